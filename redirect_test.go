package auth_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ibkit/auth"
	"github.com/ibkit/auth/authtest"
)

// wireSpy is a base RoundTripper that forwards each request to base and
// records it as it left the Transport above, with the status it got.
type wireSpy struct {
	base http.RoundTripper
	mu   sync.Mutex
	sent []wireRecord
}

type wireRecord struct {
	URL           string
	Authorization []string
	Worker        string // the X-Worker header, for the stress test
	Status        int    // 0 when the round trip failed
}

func (s *wireSpy) RoundTrip(req *http.Request) (*http.Response, error) {
	rec := wireRecord{
		URL:           req.URL.String(),
		Authorization: req.Header.Values("Authorization"),
		Worker:        req.Header.Get("X-Worker"),
	}
	resp, err := s.base.RoundTrip(req)
	if err == nil {
		rec.Status = resp.StatusCode
	}
	s.mu.Lock()
	s.sent = append(s.sent, rec)
	s.mu.Unlock()
	return resp, err
}

func (s *wireSpy) records() []wireRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]wireRecord(nil), s.sent...)
}

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
