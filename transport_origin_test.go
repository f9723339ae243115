package auth_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ibkit/auth"
)

func TestNewTransportRejects(t *testing.T) {
	k := apiKey(t, "k-1")

	_, err := auth.NewTransport("https://api.infobip.com", (*auth.APIKey)(nil), nil)
	require.ErrorContains(t, err, "nil *auth.APIKey")

	for _, tc := range []struct {
		baseURL string
		want    string // substring of the error
		secret  string // must not appear in the error
	}{
		{"", "empty", ""},
		{"   ", "empty", ""},
		{"https://x.api.infobip.com/path", "origin only", ""},
		{"https://x.api.infobip.com?q=1", "origin only", ""},
		{"?q", "no host", ""},
		{"#f", "no host", ""},
		{"http://api.infobip.com", "https", ""},
		{"ftp://x", "https", ""},
		{"https://user:s3cr3tpw@api.infobip.com", "user information", "s3cr3tpw"},
		{"https://user@api.infobip.com", "user information", ""},
		{"https://", "no host", ""},
		{"https://exa mple.com", "whitespace", ""},
		{"https://api.infobip.com\n", "control", ""},
		{"https://host:99999999999x", "port", ""},
	} {
		t.Run(tc.baseURL, func(t *testing.T) {
			tr, err := auth.NewTransport(tc.baseURL, k, nil)
			require.Nil(t, tr)
			require.ErrorContains(t, err, tc.want)
			require.True(t, strings.HasPrefix(err.Error(), "auth: "), err.Error())
			if tc.secret != "" {
				require.NotContains(t, err.Error(), tc.secret)
				require.NotContains(t, err.Error(), "user:")
			}
		})
	}

	t.Run("port out of range", func(t *testing.T) {
		for _, u := range []string{"https://api.infobip.com:65536", "https://api.infobip.com:99999999999"} {
			_, err := auth.NewTransport(u, k, nil)
			require.ErrorContains(t, err, "port", u)
		}
	})

	t.Run("password with a slash", func(t *testing.T) {
		_, err := auth.NewTransport("https://user:s3cr3tpw/x@api.infobip.com", k, nil)
		require.Error(t, err)
		require.NotContains(t, err.Error(), "s3cr3tpw")
	})
}

func TestNewTransportAccepts(t *testing.T) {
	for _, tc := range []struct {
		baseURL string
		target  string // a request that must get credentials
		foreign string // a request that must not
	}{
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080/x", "https://127.0.0.1:8080/x"},
		{"http://localhost:1", "http://LOCALHOST:1/x", "http://localhost:2/x"},
		{"http://[::1]:1", "http://[::1]:1/x", "http://[::1]:2/x"},
		{"http://127.0.0.2", "http://127.0.0.2:80/x", "https://127.0.0.2/x"},
		{"api.infobip.com", "https://api.infobip.com/x", "http://api.infobip.com/x"},
		{"xyz12.api.infobip.com:443", "https://xyz12.api.infobip.com/x", "https://api.infobip.com/x"},
	} {
		t.Run(tc.baseURL, func(t *testing.T) {
			base := &recordingBase{}
			tr := newTransport(t, tc.baseURL, fixedHeader("App k-1"), base)
			for _, target := range []string{tc.target, tc.foreign} {
				resp, err := tr.RoundTrip(newRequest(t, http.MethodGet, target, nil))
				require.NoError(t, err)
				readAll(t, resp)
			}
			seen := base.requests()
			require.Equal(t, []string{"App k-1"}, seen[0].Authorization)
			require.Nil(t, seen[1].Authorization)
		})
	}
}

func TestTransportBaseURLSpellings(t *testing.T) {
	for _, baseURL := range []string{
		"https://api.infobip.com",
		"https://API.Infobip.com",
		"https://api.infobip.com:443",
		"https://api.infobip.com/",
		"api.infobip.com", // https:// assumed
		"HTTPS://api.infobip.com",
	} {
		t.Run(baseURL, func(t *testing.T) {
			base := &recordingBase{}
			tr := newTransport(t, baseURL, fixedHeader("App k-1"), base)
			for _, target := range []string{"https://api.infobip.com/x", "https://api.infobip.com:443/x", "http://api.infobip.com/x"} {
				resp, err := tr.RoundTrip(newRequest(t, http.MethodGet, target, nil))
				require.NoError(t, err)
				readAll(t, resp)
			}
			seen := base.requests()
			require.Len(t, seen, 3)
			require.Equal(t, []string{"App k-1"}, seen[0].Authorization)
			require.Equal(t, []string{"App k-1"}, seen[1].Authorization)
			require.Nil(t, seen[2].Authorization, "http:// must not get credentials for an https base URL")
		})
	}
}

func TestNonASCIIBaseURLIsRefused(t *testing.T) {
	for _, u := range []string{"https://\u0430pi.infobip.com", "https://api.\u0130nfobip.com", "https://\uff41\uff50\uff49.infobip.com"} {
		_, err := auth.NewTransport(u, apiKey(t, "k-1"), nil)
		require.ErrorContains(t, err, "IDNA", u)
	}
	// The IDNA form is what net/http dials, and is accepted.
	_, err := auth.NewTransport("https://xn--pi-7ld.infobip.com", apiKey(t, "k-1"), nil)
	require.NoError(t, err)
}

// Hosts are compared as net/http dials them. A host that only Unicode
// folding, IDNA mapping or a trailing dot would equate with the base host
// is another name, and gets no credential.
func TestCredentialsWithheldFromLookalikeHosts(t *testing.T) {
	const key = "App k-1"
	for _, tc := range []struct {
		name, base, url, host string
	}{
		{"dotted capital I folds to i", "https://api.infobip.com", "https://api.\u0130nfobip.com/x", ""},
		{"dotted capital I, upper case around it", "https://api.infobip.com", "https://API.\u0130NFOBIP.COM/x", ""},
		{"Kelvin sign folds to k", "https://kiosk.example", "https://\u212Aiosk.example/x", ""},
		{"Kelvin sign in the Host header", "https://kiosk.example", "https://kiosk.example/x", "\u212Aiosk.example"},
		{"full-width letters map to ASCII in IDNA", "https://api.infobip.com", "https://\uff41\uff50\uff49.infobip.com/x", ""},
		{"Cyrillic a, as written", "https://api.infobip.com", "https://\u0430pi.infobip.com/x", ""},
		{"Cyrillic a, IDNA form", "https://api.infobip.com", "https://xn--pi-7ld.infobip.com/x", ""},
		{"trailing dot", "https://api.infobip.com", "https://api.infobip.com./x", ""},
		{"trailing dot in the Host header", "https://api.infobip.com", "https://api.infobip.com/x", "api.infobip.com."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := &recordingBase{}
			tr := newTransport(t, tc.base, fixedHeader(key), base)
			req := newRequest(t, http.MethodGet, tc.url, nil)
			if tc.host != "" {
				req.Host = tc.host
			}
			resp, err := tr.RoundTrip(req)
			require.NoError(t, err)
			readAll(t, resp)
			seen := base.requests()
			require.Len(t, seen, 1)
			require.Nil(t, seen[0].Authorization)
		})
	}
}

// Origins that must, and must not, get the credential: case, default
// ports, IPv6 literals, zones, Host overrides and user information.
func TestHostMatrix(t *testing.T) {
	cases := []struct {
		base, url, host string
		want            bool
	}{
		{"https://api.example.com", "https://api.example.com/x", "", true},
		{"https://api.example.com", "https://API.EXAMPLE.COM/x", "", true},
		{"https://api.example.com", "https://api.example.com:443/x", "", true},
		{"https://api.example.com", "https://api.example.com:/x", "", true},
		{"https://api.example.com", "https://api.example.com./x", "", false},
		{"https://api.example.com", "https://api.example.com/x", "evil.com", false},
		{"https://api.example.com", "https://evil.com/x", "api.example.com", false},
		{"https://api.example.com", "https://api.example.com:8443/x", "", false},
		{"https://api.example.com", "http://api.example.com:443/x", "", false},
		{"https://api.example.com:443", "https://api.example.com/x", "api.example.com:443", true},
		{"https://api.example.com", "https://api.example.com/x", "api.example.com:444", false},
		{"http://[::1]:8080", "http://[::1]:8080/x", "", true},
		{"http://[::1]:8080", "http://[::1%25lo]:8080/x", "", false},
		{"http://[::1]:8080", "http://[::1]:8080/x", "[::1%lo]:8080", false},
		{"http://[::1]:8080", "http://[::1]/x", "", false},
		{"http://[::1]:8080", "http://::1:8080/x", "", false},
		{"http://localhost:8080", "http://localhost:8080/x", "localhost:8080\r\nX: y", false},
		{"https://api.example.com", "https://api.example.com@evil.com/x", "", false},
		{"https://api.example.com", "https://evil.com#@api.example.com/x", "", false},
		{"https://api.example.com", "https://api.example.com\\@evil.com/x", "", false},
	}
	for _, c := range cases {
		var got string
		k, _ := auth.NewAPIKey("k")
		tr, err := auth.NewTransport(c.base, k, funcBase(func(r *http.Request) (*http.Response, error) {
			got = r.Header.Get("Authorization")
			return &http.Response{StatusCode: 200, Body: http.NoBody, Request: r}, nil
		}))
		if err != nil {
			t.Errorf("%s: %v", c.base, err)
			continue
		}
		req, err := http.NewRequest("GET", c.url, nil)
		if err != nil {
			t.Logf("%s: %v", c.url, err)
			continue
		}
		if c.host != "" {
			req.Host = c.host
		}
		got = ""
		tr.RoundTrip(req)
		if (got != "") != c.want {
			t.Errorf("base %s url %s (URL.Host %q) host %q: sent=%v want %v", c.base, c.url, req.URL.Host, c.host, got != "", c.want)
		}
	}
}
