// Package baseurl checks Infobip base URLs and puts them and request
// origins in canonical form, so that the auth package and the ibauth
// command accept the same base URLs and spell them alike. The rules are
// stated once, in the auth package documentation, under "Where credentials
// go"; this package implements them.
//
// Its errors begin with "auth: ": they are the auth package's errors,
// returned as they are.
package baseurl

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Origin is a scheme and a host:port with the port always spelled out, so
// "https://API.infobip.com" and "https://api.infobip.com:443" compare equal
// with ==.
type Origin struct {
	Scheme   string
	HostPort string
}

// Parse checks a base URL and returns its canonical origin and the
// canonical URL, scheme://host[:port] with no trailing slash, to build
// endpoint addresses on. Errors never repeat userinfo.
func Parse(raw string) (Origin, string, error) {
	if strings.TrimSpace(raw) == "" {
		return Origin{}, "", errors.New("auth: base URL is empty")
	}
	if strings.ContainsFunc(raw, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return Origin{}, "", errors.New("auth: base URL contains whitespace or control characters")
	}
	if !strings.Contains(raw, "://") {
		raw = "https://" + raw
	}
	// Errors show at most the scheme and a host that checked out: a pasted
	// key can hide in a path, a query, a port or the parser's message.
	u, err := url.Parse(raw)
	if err != nil {
		return Origin{}, "", errors.New("auth: base URL does not parse (check the host and port); give an origin such as https://xxxxx.api.infobip.com")
	}
	if u.User != nil {
		return Origin{}, "", errors.New("auth: base URL contains user information; pass credentials to an authenticator instead")
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "https" && scheme != "http" {
		return Origin{}, "", errors.New("auth: base URL scheme must be https")
	}
	if strings.Contains(u.Host, "%") {
		return Origin{}, "", errors.New("auth: base URL host contains an escape or zone (%)")
	}
	if u.Hostname() == "" {
		return Origin{}, "", errors.New("auth: base URL has no host")
	}
	if !isASCII(u.Host) {
		return Origin{}, "", errors.New("auth: base URL host is not ASCII; give its IDNA form (xn--…), the name net/http dials")
	}
	o, ok := OriginOf(scheme, u.Host)
	if !ok {
		return Origin{}, "", errors.New("auth: base URL has an invalid port")
	}
	shown := scheme + "://" + asciiLower(u.Host)
	if u.Path != "" && u.Path != "/" || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return Origin{}, "", fmt.Errorf("auth: base URL on %q has a path, query or fragment (not shown); it must be an origin only (scheme and host, e.g. https://xxxxx.api.infobip.com)", shown)
	}
	if scheme == "http" && !isLoopback(u.Hostname()) {
		return Origin{}, "", fmt.Errorf("auth: base URL %q uses http://; Infobip credentials travel only over https (http is allowed for loopback test servers)", shown)
	}
	return o, shown, nil
}

// OriginOf canonicalises a request URL's scheme and host (as url.URL
// holds them); ok is false for an unusable port and for a host that is
// not ASCII.
//
// Why byte for byte after ASCII case folding, and nothing looser: Unicode
// folding would let "\u212Aey.example" (Kelvin sign) pass for
// "key.example" while net/http dials its IDNA form, another domain. A
// trailing dot is kept: it is a different name to the resolver, and not
// matching only withholds the credential.
func OriginOf(scheme, host string) (o Origin, ok bool) {
	if !isASCII(host) {
		return Origin{}, false
	}
	scheme = asciiLower(scheme)
	h, port, err := net.SplitHostPort(host)
	if err != nil {
		// No port (or a bare IPv6 literal in brackets).
		h, port = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"), ""
	}
	if port == "" {
		switch scheme {
		case "https":
			port = "443"
		case "http":
			port = "80"
		default:
			return Origin{}, false
		}
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 || port[0] == '+' {
		return Origin{}, false
	}
	return Origin{Scheme: scheme, HostPort: net.JoinHostPort(asciiLower(h), port)}, true
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// asciiLower lower-cases the ASCII letters of s and nothing else.
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

func isLoopback(host string) bool {
	if asciiLower(host) == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
