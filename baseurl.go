package auth

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

// origin is a scheme and a host:port with the port always spelled out, so
// "https://API.infobip.com" and "https://api.infobip.com:443" compare equal.
type origin struct {
	scheme   string
	hostPort string
}

// parseBaseURL checks a base URL against the rules of the package
// documentation ("Where credentials go") and returns its canonical origin
// and the URL to build endpoint addresses on. Errors never repeat userinfo.
func parseBaseURL(raw string) (origin, string, error) {
	if strings.TrimSpace(raw) == "" {
		return origin{}, "", errors.New("auth: base URL is empty")
	}
	if strings.ContainsFunc(raw, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return origin{}, "", errors.New("auth: base URL contains whitespace or control characters")
	}
	if !strings.Contains(raw, "://") {
		raw = "https://" + raw
	}
	// Errors show at most the scheme and a host that checked out: a pasted
	// key can hide in a path, a query, a port or the parser's message.
	u, err := url.Parse(raw)
	if err != nil {
		return origin{}, "", errors.New("auth: base URL does not parse (check the host and port); give an origin such as https://xxxxx.api.infobip.com")
	}
	if u.User != nil {
		return origin{}, "", errors.New("auth: base URL contains user information; pass credentials to an authenticator instead")
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "https" && scheme != "http" {
		return origin{}, "", errors.New("auth: base URL scheme must be https")
	}
	if strings.Contains(u.Host, "%") {
		return origin{}, "", errors.New("auth: base URL host contains an escape or zone (%)")
	}
	if u.Hostname() == "" {
		return origin{}, "", errors.New("auth: base URL has no host")
	}
	if !isASCII(u.Host) {
		return origin{}, "", errors.New("auth: base URL host is not ASCII; give its IDNA form (xn--…), the name net/http dials")
	}
	o, ok := originOf(scheme, u.Host)
	if !ok {
		return origin{}, "", errors.New("auth: base URL has an invalid port")
	}
	shown := scheme + "://" + asciiLower(u.Host)
	if u.Path != "" && u.Path != "/" || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return origin{}, "", fmt.Errorf("auth: base URL on %q has a path, query or fragment (not shown); it must be an origin only (scheme and host, e.g. https://xxxxx.api.infobip.com)", shown)
	}
	if scheme == "http" && !isLoopback(u.Hostname()) {
		return origin{}, "", fmt.Errorf("auth: base URL %q uses http://; Infobip credentials travel only over https (http is allowed for loopback test servers)", shown)
	}
	return o, shown, nil
}

// originOf canonicalises a URL's scheme and host; ok is false for an
// unusable port and for a host that is not ASCII.
//
// Why byte for byte after ASCII case folding, and nothing looser: Unicode
// folding would let "\u212Aey.example" (Kelvin sign) pass for
// "key.example" while net/http dials its IDNA form, another domain. A
// trailing dot is kept: it is a different name to the resolver, and not
// matching only withholds the credential.
func originOf(scheme, host string) (o origin, ok bool) {
	if !isASCII(host) {
		return origin{}, false
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
			return origin{}, false
		}
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 || port[0] == '+' {
		return origin{}, false
	}
	return origin{scheme: scheme, hostPort: net.JoinHostPort(asciiLower(h), port)}, true
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
