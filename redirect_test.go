package auth_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ibkit/auth"
	"github.com/ibkit/auth/authtest"
)

// TestTLSRedirectsDropCredentials extends TestTransportRedirects to an
// https base URL: redirects that leave its origin, by host, port or scheme
// alone, go out without our Authorization header.
func TestTLSRedirectsDropCredentials(t *testing.T) {
	const key = "App " + authtest.APIKey
	srv := authtest.NewTLSServer()
	t.Cleanup(srv.Close)
	base, err := url.Parse(srv.URL)
	require.NoError(t, err)
	plain := newRecordingServer(t, nil) // http://127.0.0.1, another port
	require.True(t, strings.HasPrefix(plain.URL, "http://"+base.Hostname()+":"))

	srv.HandleFunc("GET /to-plain", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, plain.URL+"/landing", http.StatusFound)
	})
	srv.HandleFunc("GET /to-http", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://"+base.Host+"/account/1/balance", http.StatusFound)
	})
	srv.HandleFunc("POST /post-to-plain", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, plain.URL+"/sms", http.StatusTemporaryRedirect)
	})
	srv.HandleFunc("GET /moved", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/account/1/balance", http.StatusFound)
	})

	newClient := func(t *testing.T) (*wireSpy, *auth.Transport, *http.Client) {
		spy := &wireSpy{base: srv.Client().Transport}
		tr := newTransport(t, srv.URL, apiKey(t, authtest.APIKey), spy)
		return spy, tr, &http.Client{Transport: tr}
	}

	t.Run("same origin: credentials follow (control)", func(t *testing.T) {
		spy, _, c := newClient(t)
		resp, err := c.Get(srv.URL + "/moved")
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, resp.StatusCode, readAll(t, resp))
		require.Equal(t, []wireRecord{
			{URL: srv.URL + "/moved", Authorization: []string{key}, Status: http.StatusFound},
			{URL: srv.URL + "/account/1/balance", Authorization: []string{key}, Status: http.StatusOK},
		}, spy.records())
	})

	t.Run("to plain http on the same host, another port", func(t *testing.T) {
		spy, _, c := newClient(t)
		before := len(plain.requests())
		resp, err := c.Get(srv.URL + "/to-plain")
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Equal(t, "answer "+strconv.Itoa(before+1), readAll(t, resp))
		require.Equal(t, []wireRecord{
			{URL: srv.URL + "/to-plain", Authorization: []string{key}, Status: http.StatusFound},
			{URL: plain.URL + "/landing", Status: http.StatusOK},
		}, spy.records())
		got := plain.requests()[before]
		require.Equal(t, "/landing", got.URL)
		require.Nil(t, got.Authorization)
	})

	t.Run("307 POST to another port keeps the body, not the credentials", func(t *testing.T) {
		spy, _, c := newClient(t)
		before := len(plain.requests())
		resp, err := c.Post(srv.URL+"/post-to-plain", "application/json", strings.NewReader(`{"text":"hi"}`))
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, resp.StatusCode, readAll(t, resp))
		got := plain.requests()[before]
		require.Equal(t, "/sms", got.URL)
		require.Equal(t, `{"text":"hi"}`, got.Body)
		require.Nil(t, got.Authorization)
		recs := spy.records()
		require.Len(t, recs, 2)
		require.Equal(t, []string{key}, recs[0].Authorization)
		require.Nil(t, recs[1].Authorization)
	})

	t.Run("to the same host and port over plain http", func(t *testing.T) {
		spy, _, c := newClient(t)
		before := srv.Count(authtest.RouteBalance)
		resp, err := c.Get(srv.URL + "/to-http")
		require.NoError(t, err)
		// The TLS server refuses the plain request before any handler runs.
		require.Equal(t, http.StatusBadRequest, resp.StatusCode, readAll(t, resp))
		require.Equal(t, []wireRecord{
			{URL: srv.URL + "/to-http", Authorization: []string{key}, Status: http.StatusFound},
			{URL: "http://" + base.Host + "/account/1/balance", Status: http.StatusBadRequest},
		}, spy.records())
		require.Equal(t, before, srv.Count(authtest.RouteBalance))
	})

	t.Run("the scheme alone differs, without a redirect", func(t *testing.T) {
		spy, tr, _ := newClient(t)
		resp, err := tr.RoundTrip(newRequest(t, http.MethodGet, "http://"+base.Host+"/account/1/balance", nil))
		require.NoError(t, err)
		require.Equal(t, http.StatusBadRequest, resp.StatusCode, readAll(t, resp))
		require.Equal(t, []wireRecord{{URL: "http://" + base.Host + "/account/1/balance", Status: http.StatusBadRequest}}, spy.records())
	})
}

// A 401 from the host a redirect led to is not ours to renew: it is
// returned, and no session is created or retried for it.
func TestForeign401AfterRedirectRenewsNothing(t *testing.T) {
	srv := authtest.NewTLSServer()
	t.Cleanup(srv.Close)
	foreign := newRecordingServer(t, func(int, *http.Request) int { return http.StatusUnauthorized })
	srv.HandleFunc("GET /to-foreign", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, foreign.URL+"/x", http.StatusFound)
	})
	s, ev := newIBSSO(t, srv, func(c *auth.IBSSOConfig) { c.HTTPClient = srv.Client() })
	spy := &wireSpy{base: srv.Client().Transport}
	c := &http.Client{Transport: newTransport(t, srv.URL, s, spy)}

	resp, err := c.Get(srv.URL + "/to-foreign")
	require.NoError(t, err)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	require.Equal(t, "answer 1", readAll(t, resp))
	recs := spy.records()
	require.Len(t, recs, 2, "no retry")
	require.Len(t, recs[0].Authorization, 1)
	require.True(t, strings.HasPrefix(recs[0].Authorization[0], "IBSSO "))
	require.Nil(t, recs[1].Authorization)
	require.Nil(t, foreign.requests()[0].Authorization)
	require.Equal(t, 1, srv.Count(authtest.RouteCreateSession))
	require.Equal(t, []string{"initial"}, ev.reasons())
}

// Session and token requests carry the password or the client secret: they
// never follow a redirect (TestIBSSODoesNotFollowRedirectsWithThePassword
// covers the session endpoint's 307).
func TestFetchesDoNotFollowRedirects(t *testing.T) {
	for _, kind := range []string{kindIBSSO, kindBearer} {
		route, op := fetchRoute(kind)
		for _, status := range []int{http.StatusMovedPermanently, http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
			if kind == kindIBSSO && status == http.StatusTemporaryRedirect {
				continue
			}
			t.Run(kind+" "+http.StatusText(status), func(t *testing.T) {
				r := newRig(t, defaultCreds, nil)
				other := setup(t)
				r.srv.Fail(route, authtest.Fault{Status: status, Header: http.Header{"Location": {other.URL + route[strings.IndexByte(route, ' ')+1:]}}})
				a, _ := r.authenticator(kind, 0)
				_, err := a.Authorization(t.Context())
				var apiErr *auth.Error
				require.ErrorAs(t, err, &apiErr)
				require.Equal(t, status, apiErr.StatusCode)
				require.Equal(t, op, apiErr.Op)
				require.Equal(t, 1, r.srv.Count(route))
				require.Equal(t, 0, other.Count(route))
			})
		}
	}
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

func TestNonASCIIBaseURLIsRefused(t *testing.T) {
	for _, u := range []string{"https://\u0430pi.infobip.com", "https://api.\u0130nfobip.com", "https://\uff41\uff50\uff49.infobip.com"} {
		_, err := auth.NewTransport(u, apiKey(t, "k-1"), nil)
		require.ErrorContains(t, err, "IDNA", u)
	}
	// The IDNA form is what net/http dials, and is accepted.
	_, err := auth.NewTransport("https://xn--pi-7ld.infobip.com", apiKey(t, "k-1"), nil)
	require.NoError(t, err)
}

// resp.Request is the caller's request: a CheckRedirect that copies its
// headers onto the next hop, or a logger that prints them, finds no
// credential there.
func TestResponseCarriesTheCallersRequest(t *testing.T) {
	srv := authtest.NewTLSServer()
	t.Cleanup(srv.Close)
	foreign := newRecordingServer(t, nil)
	srv.HandleFunc("GET /to-foreign", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, foreign.URL+"/x", http.StatusFound)
	})
	tr := newTransport(t, srv.URL, apiKey(t, authtest.APIKey), srv.Client().Transport)

	t.Run("RoundTrip", func(t *testing.T) {
		req := newRequest(t, http.MethodGet, srv.URL+"/account/1/balance", nil)
		resp, err := tr.RoundTrip(req)
		require.NoError(t, err)
		readAll(t, resp)
		require.Same(t, req, resp.Request)
		require.Empty(t, resp.Request.Header.Values("Authorization"))
	})

	t.Run("CheckRedirect copying the previous hop's headers", func(t *testing.T) {
		var seen []string
		c := &http.Client{Transport: tr, CheckRedirect: func(next *http.Request, via []*http.Request) error {
			prev := next.Response.Request
			seen = append(seen, prev.Header.Values("Authorization")...)
			for k, v := range prev.Header {
				next.Header[k] = v
			}
			return nil
		}}
		resp, err := c.Get(srv.URL + "/to-foreign")
		require.NoError(t, err)
		readAll(t, resp)
		require.Empty(t, seen)
		got := foreign.requests()
		require.NotEmpty(t, got)
		require.Nil(t, got[len(got)-1].Authorization)
	})
}
