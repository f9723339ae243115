package baseurl

import (
	"net/netip"
	"net/url"
	"strings"
	"testing"
)

// userinfoPassword returns the password of raw's userinfo as a URL parser
// sees it (RFC 3986: the authority runs from "//" to the first '/', '?' or
// '#'; userinfo is what precedes its last '@'; the password follows the
// first ':' of userinfo), and the input with that userinfo cut out.
func userinfoPassword(raw string) (password, rest string) {
	start := strings.Index(raw, "://")
	if start < 0 {
		start = 0 // Parse adds https:// to such input
	} else {
		start += len("://")
	}
	authority := raw[start:]
	if i := strings.IndexAny(authority, "/?#"); i >= 0 {
		authority = authority[:i]
	}
	at := strings.LastIndex(authority, "@")
	if at < 0 {
		return "", raw
	}
	_, password, _ = strings.Cut(authority[:at], ":")
	return password, raw[:start] + raw[start+at+1:]
}

// loopbackHost reports whether host (as url.URL.Hostname returns it) names
// the loopback interface, without using the package's own helper.
func loopbackHost(host string) bool {
	if strings.ToLower(host) == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsLoopback()
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"https://api.infobip.com",
		"api.infobip.com",
		"https://XYZ.api.infobip.com:443/",
		"http://127.0.0.1:8080",
		"http://[::1]:1",
		"http://localhost",
		"http://api.infobip.com",
		"https://user:s3cretpw@api.infobip.com",
		"https://user:s3cretpw/x@api.infobip.com",
		"https://api.infobip.com/path?q#f",
		"ftp://x",
		"https://",
		"?q",
		"#f",
		"https://exa mple.com",
		"https://host:99999999999x",
		"https://a%25b",
		"https://[fe80::1%25en0]:8443",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		o, canonical, err := Parse(raw)
		if err != nil {
			msg := err.Error()
			if !strings.HasPrefix(msg, "auth: ") {
				t.Fatalf("error %q does not start with \"auth: \"", msg)
			}
			if o != (Origin{}) || canonical != "" {
				t.Fatalf("error %q with a result: %+v %q", msg, o, canonical)
			}
			// The password must not be echoed, unless it also appears
			// outside the userinfo (as the port, say) or in the message
			// text itself.
			pw, rest := userinfoPassword(raw)
			if len(pw) >= 4 && !strings.Contains(rest, pw) && strings.Contains(msg, pw) {
				t.Fatalf("error %q repeats the userinfo password %q", msg, pw)
			}
			return
		}

		u, perr := url.Parse(canonical)
		if perr != nil {
			t.Fatalf("canonical URL %q of %q does not parse: %v", canonical, raw, perr)
		}
		if u.Scheme != o.Scheme || canonical != o.Scheme+"://"+u.Host {
			t.Fatalf("canonical URL %q does not match origin %+v", canonical, o)
		}
		switch o.Scheme {
		case "https":
		case "http":
			if !loopbackHost(u.Hostname()) {
				t.Fatalf("%q accepted as http with a non-loopback host %q", raw, u.Hostname())
			}
		default:
			t.Fatalf("%q accepted with scheme %q", raw, o.Scheme)
		}
		if u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" || u.ForceQuery {
			t.Fatalf("canonical URL %q of %q is more than an origin", canonical, raw)
		}
		if u.Hostname() == "" {
			t.Fatalf("canonical URL %q of %q has no host", canonical, raw)
		}
		o2, canonical2, err := Parse(canonical)
		if err != nil {
			t.Fatalf("canonical URL %q of %q is refused: %v", canonical, raw, err)
		}
		if o2 != o || canonical2 != canonical {
			t.Fatalf("re-parsing %q gives %+v %q, want %+v %q", canonical, o2, canonical2, o, canonical)
		}
		// A request built on the canonical URL belongs to the origin.
		if ro, ok := OriginOf(u.Scheme, u.Host); !ok || ro != o {
			t.Fatalf("origin of %q is %+v (ok %v), want %+v", canonical, ro, ok, o)
		}
	})
}
