package auth_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/ibkit/auth"
	"github.com/ibkit/auth/authtest"
)

func TestTransportSendsTheAppHeader(t *testing.T) {
	srv := setup(t)
	tr := newTransport(t, srv.URL, apiKey(t, authtest.APIKey), httpBase(t))

	resp, err := (&http.Client{Transport: tr}).Do(newRequest(t, http.MethodGet, srv.URL+"/account/1/balance", nil))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.JSONEq(t, `{"balance":42.5,"currency":"EUR"}`, readAll(t, resp))

	require.Equal(t, 1, srv.Count(authtest.RouteBalance))
	require.Equal(t, []string{"App " + authtest.APIKey}, srv.Requests(authtest.RouteBalance)[0].Header.Values("Authorization"))
}

func TestTransportSendsTheBasicHeader(t *testing.T) {
	t.Run("RFC 7617 vector", func(t *testing.T) {
		rs := newRecordingServer(t, nil)
		b, err := auth.NewBasic("Aladdin", "openSesame")
		require.NoError(t, err)
		tr := newTransport(t, rs.URL, b, httpBase(t))

		resp, err := tr.RoundTrip(newRequest(t, http.MethodGet, rs.URL+"/account/1/balance", nil))
		require.NoError(t, err)
		require.Equal(t, "answer 1", readAll(t, resp))
		seen := rs.requests()
		require.Len(t, seen, 1)
		require.Equal(t, []string{"Basic QWxhZGRpbjpvcGVuU2VzYW1l"}, seen[0].Authorization)
	})
	t.Run("accepted by the server", func(t *testing.T) {
		srv := setup(t)
		b, err := auth.NewBasic(authtest.Username, authtest.Password)
		require.NoError(t, err)
		tr := newTransport(t, srv.URL, b, httpBase(t))

		payload := `{"messages":[{"destinations":[{"to":"41793026727"}],"text":"hi"}]}`
		req := newRequest(t, http.MethodPost, srv.URL+"/sms/3/messages", strings.NewReader(payload))
		req.Header.Set("Content-Type", "application/json")
		resp, err := tr.RoundTrip(req)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, resp.StatusCode, readAll(t, resp))
		got := srv.Requests(authtest.RouteSendSMS)
		require.Len(t, got, 1)
		require.Equal(t, payload, string(got[0].Body))
		require.Equal(t, []string{"Basic YWxhZGRpbjpvcGVuLXNlc2FtZS03"}, got[0].Header.Values("Authorization"))
	})
}

func TestTransportDoesNotMutateTheRequest(t *testing.T) {
	const payload = `{"text":"hello"}`
	for _, tc := range []struct {
		name     string
		a        auth.Authenticator
		statuses []int
		want     []string // Authorization of each request sent
	}{
		{"one request", fixedHeader("App k-1"), nil, []string{"App k-1"}},
		{"renewed after 401", newRenewerStub(), []int{401}, []string{"Bearer old", "Bearer new"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := &recordingBase{status: statuses(tc.statuses...)}
			tr := newTransport(t, "https://api.infobip.com", tc.a, base)

			req, _ := trackedRequest(t, http.MethodPost, "https://api.infobip.com/sms/3/messages", payload, true)
			req.Header.Set("Authorization", "Basic Y2FsbGVyOm93bg==")
			req.Header.Set("X-Request-Id", "r-1")
			wantHeader := req.Header.Clone()
			wantURL, urlPtr := *req.URL, req.URL
			body, getBody := req.Body, req.GetBody
			wantHost, wantLen := req.Host, req.ContentLength

			resp, err := tr.RoundTrip(req)
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, resp.StatusCode)
			readAll(t, resp)

			require.Equal(t, wantHeader, req.Header)
			require.Equal(t, []string{"Basic Y2FsbGVyOm93bg=="}, req.Header.Values("Authorization"))
			require.Same(t, urlPtr, req.URL)
			require.Equal(t, wantURL, *req.URL)
			require.Same(t, body, req.Body)
			require.NotNil(t, req.GetBody)
			require.Equal(t, fmt.Sprintf("%p", getBody), fmt.Sprintf("%p", req.GetBody))
			require.Equal(t, wantHost, req.Host)
			require.Equal(t, wantLen, req.ContentLength)

			seen := base.requests()
			require.Len(t, seen, len(tc.want))
			for i, s := range seen {
				require.Equal(t, []string{tc.want[i]}, s.Authorization, "request %d", i+1)
				require.Equal(t, []string{"r-1"}, s.Header.Values("X-Request-Id"), "request %d", i+1)
				require.Equal(t, payload, s.Body, "request %d", i+1)
				require.Equal(t, "https://api.infobip.com/sms/3/messages", s.URL, "request %d", i+1)
			}
		})
	}
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

func TestTransportClosesTheBodyOnEveryPath(t *testing.T) {
	const target = "https://api.infobip.com/sms/3/messages"

	t.Run("success", func(t *testing.T) {
		base := &recordingBase{}
		tr := newTransport(t, "https://api.infobip.com", fixedHeader("App k-1"), base)
		req, bodies := trackedRequest(t, http.MethodPost, target, "p", true)
		resp, err := tr.RoundTrip(req)
		require.NoError(t, err)
		require.Equal(t, "response 1", readAll(t, resp))
		require.Equal(t, []int32{1}, bodies.closes())
		require.Len(t, base.requests(), 1)
	})

	t.Run("authenticator error", func(t *testing.T) {
		base := &recordingBase{}
		a := &failingAuthenticator{err: errStub}
		tr := newTransport(t, "https://api.infobip.com", a, base)
		req, bodies := trackedRequest(t, http.MethodPost, target, "p", true)
		resp, err := tr.RoundTrip(req)
		require.ErrorIs(t, err, errStub)
		require.Nil(t, resp)
		require.Equal(t, int32(1), a.calls.Load())
		require.Empty(t, base.requests(), "the base transport must not be called")
		require.Equal(t, []int32{1}, bodies.closes())
	})

	t.Run("base transport error", func(t *testing.T) {
		down := httptest.NewServer(http.NotFoundHandler())
		down.Close() // nothing listens on its address any more
		tr := newTransport(t, down.URL, fixedHeader("App k-1"), httpBase(t))
		req, bodies := trackedRequest(t, http.MethodPost, down.URL+"/sms/3/messages", "p", true)
		resp, err := tr.RoundTrip(req)
		require.Error(t, err)
		require.Nil(t, resp)
		require.Equal(t, []int32{1}, bodies.closes())
	})

	t.Run("401 without a Renewer", func(t *testing.T) {
		base := &recordingBase{status: statuses(401)}
		tr := newTransport(t, "https://api.infobip.com", fixedHeader("App k-1"), base)
		req, bodies := trackedRequest(t, http.MethodPost, target, "p", true)
		resp, err := tr.RoundTrip(req)
		require.NoError(t, err)
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
		require.Equal(t, []int32{0}, base.responseCloses(), "the returned response belongs to the caller")
		require.Equal(t, "response 1", readAll(t, resp))
		require.Equal(t, []int32{1}, bodies.closes(), "GetBody must not be called")
	})

	t.Run("401 with an unreplayable body", func(t *testing.T) {
		base := &recordingBase{status: statuses(401)}
		r := newRenewerStub()
		tr := newTransport(t, "https://api.infobip.com", r, base)
		req, bodies := trackedRequest(t, http.MethodPost, target, "p", false)
		resp, err := tr.RoundTrip(req)
		require.NoError(t, err)
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
		require.Equal(t, "response 1", readAll(t, resp))
		require.Equal(t, []int32{1}, bodies.closes())
		require.Empty(t, r.renewals())
	})

	t.Run("401 then retry", func(t *testing.T) {
		base := &recordingBase{status: statuses(401)}
		tr := newTransport(t, "https://api.infobip.com", newRenewerStub(), base)
		req, bodies := trackedRequest(t, http.MethodPost, target, "p", true)
		resp, err := tr.RoundTrip(req)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Equal(t, []int32{1, 0}, base.responseCloses(), "the first 401 must be closed, the answer returned open")
		require.Equal(t, "response 2", readAll(t, resp))
		require.Equal(t, []int32{1, 1}, bodies.closes(), "the body and its one replay")
	})

	t.Run("401 and Renew fails", func(t *testing.T) {
		base := &recordingBase{status: statuses(401)}
		r := newRenewerStub()
		r.renewErr = errStub
		tr := newTransport(t, "https://api.infobip.com", r, base)
		req, bodies := trackedRequest(t, http.MethodPost, target, "p", true)
		resp, err := tr.RoundTrip(req)
		require.ErrorIs(t, err, errStub)
		require.Nil(t, resp)
		require.Equal(t, []int32{1}, base.responseCloses(), "the 401 must be closed")
		closes := bodies.closes()
		require.NotEmpty(t, closes)
		require.LessOrEqual(t, len(closes), 2)
		for i, n := range closes {
			require.Equal(t, int32(1), n, "body %d", i)
		}
	})

	t.Run("401 and Renew changes nothing", func(t *testing.T) {
		base := &recordingBase{status: statuses(401)}
		r := newRenewerStub()
		r.next = r.header
		tr := newTransport(t, "https://api.infobip.com", r, base)
		req, bodies := trackedRequest(t, http.MethodPost, target, "p", true)
		resp, err := tr.RoundTrip(req)
		require.NoError(t, err)
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
		// The short body was read into memory and the original closed, so
		// the connection was free while Renew ran; the caller still reads it.
		require.Equal(t, []int32{1}, base.responseCloses())
		require.Equal(t, "response 1", readAll(t, resp))
		closes := bodies.closes()
		require.NotEmpty(t, closes)
		require.LessOrEqual(t, len(closes), 2)
		for i, n := range closes {
			require.Equal(t, int32(1), n, "body %d", i)
		}
	})
}

func TestTransportCredentialsOnlyForTheBaseOrigin(t *testing.T) {
	const key = "App k-1"
	for _, tc := range []struct {
		name   string
		url    string
		host   string // Host override, if any
		caller string // Authorization set by the caller, if any
		want   []string
	}{
		{"same origin", "https://api.infobip.com/account/1/balance", "", "", []string{key}},
		{"host in upper case", "https://API.Infobip.COM/account/1/balance", "", "", []string{key}},
		{"explicit default port", "https://api.infobip.com:443/account/1/balance", "", "", []string{key}},
		{"caller's header is replaced", "https://api.infobip.com/x", "", "Bearer caller-own", []string{key}},
		{"Host header naming the same host", "https://api.infobip.com/x", "API.infobip.com:443", "", []string{key}},
		{"another host", "https://eu.api.infobip.com/x", "", "", nil},
		{"a host with the base as prefix", "https://api.infobip.com.example.net/x", "", "", nil},
		{"another port", "https://api.infobip.com:8443/x", "", "", nil},
		{"plain http", "http://api.infobip.com/x", "", "", nil},
		{"plain http on port 443", "http://api.infobip.com:443/x", "", "", nil},
		{"Host header naming another host", "https://api.infobip.com/x", "example.net", "", nil},
		{"another host with the base in the Host header", "https://example.net/x", "api.infobip.com", "", nil},
		{"another host keeps the caller's header", "https://example.net/x", "", "Bearer caller-own", []string{"Bearer caller-own"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := &recordingBase{}
			tr := newTransport(t, "https://api.infobip.com", fixedHeader(key), base)
			req := newRequest(t, http.MethodGet, tc.url, nil)
			if tc.host != "" {
				req.Host = tc.host
			}
			if tc.caller != "" {
				req.Header.Set("Authorization", tc.caller)
			}
			resp, err := tr.RoundTrip(req)
			require.NoError(t, err)
			readAll(t, resp)
			seen := base.requests()
			require.Len(t, seen, 1)
			require.Equal(t, tc.want, seen[0].Authorization)
			require.Equal(t, tc.url, seen[0].URL)
		})
	}
}

func TestTransportAllowOrigin(t *testing.T) {
	base := &recordingBase{}
	tr := newTransport(t, "https://api.infobip.com", fixedHeader("App k-1"), base)
	send := func(target string) []string {
		t.Helper()
		resp, err := tr.RoundTrip(newRequest(t, http.MethodGet, target, nil))
		require.NoError(t, err)
		readAll(t, resp)
		seen := base.requests()
		return seen[len(seen)-1].Authorization
	}

	require.Nil(t, send("https://eu.api.infobip.com/x"))
	require.NoError(t, tr.AllowOrigin("https://EU.api.infobip.com"))
	require.Equal(t, []string{"App k-1"}, send("https://eu.api.infobip.com/x"))
	require.Equal(t, []string{"App k-1"}, send("https://eu.api.infobip.com:443/x"))
	require.Nil(t, send("http://eu.api.infobip.com/x"))
	require.Nil(t, send("https://eu.api.infobip.com:8443/x"))
	require.Equal(t, []string{"App k-1"}, send("https://api.infobip.com/x"), "the base origin stays")

	err := tr.AllowOrigin("http://eu.api.infobip.com")
	require.ErrorContains(t, err, "https")
	require.Nil(t, send("http://eu.api.infobip.com/x"))

	require.ErrorContains(t, tr.AllowOrigin("https://eu.api.infobip.com/path"), "origin only")
	require.Error(t, tr.AllowOrigin(""))

	require.NoError(t, tr.AllowOrigin("http://localhost:9000"))
	require.Equal(t, []string{"App k-1"}, send("http://localhost:9000/x"))
	require.Nil(t, send("http://localhost:9001/x"))
}

func TestTransportAllowOriginWhileInFlight(t *testing.T) {
	base := &recordingBase{}
	tr := newTransport(t, "https://api.infobip.com", fixedHeader("App k-1"), base)
	const origins, senders, sends = 20, 4, 50
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range origins {
			if err := tr.AllowOrigin(fmt.Sprintf("https://h%d.example.net", i)); err != nil {
				t.Error(err)
			}
		}
	})
	for range senders {
		wg.Go(func() {
			for i := range sends {
				req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, fmt.Sprintf("https://h%d.example.net/x", i%origins), nil)
				if err != nil {
					t.Error(err)
					return
				}
				resp, err := tr.RoundTrip(req)
				if err != nil {
					t.Error(err)
					return
				}
				resp.Body.Close()
			}
		})
	}
	wg.Wait()
	require.Len(t, base.requests(), senders*sends)

	for i := range origins {
		resp, err := tr.RoundTrip(newRequest(t, http.MethodGet, fmt.Sprintf("https://h%d.example.net/x", i), nil))
		require.NoError(t, err)
		readAll(t, resp)
		seen := base.requests()
		require.Equal(t, []string{"App k-1"}, seen[len(seen)-1].Authorization, "origin %d", i)
	}
}

func TestTransportRedirects(t *testing.T) {
	t.Run("to another host:port", func(t *testing.T) {
		other := newRecordingServer(t, nil)
		srv := setup(t)
		srv.HandleFunc("GET /away", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, other.URL+"/landing", http.StatusFound)
		})
		client := &http.Client{Transport: newTransport(t, srv.URL, apiKey(t, authtest.APIKey), httpBase(t))}

		resp, err := client.Do(newRequest(t, http.MethodGet, srv.URL+"/away", nil))
		require.NoError(t, err)
		require.Equal(t, "answer 1", readAll(t, resp))

		require.Equal(t, []string{"App " + authtest.APIKey}, srv.Requests("GET /away")[0].Header.Values("Authorization"))
		seen := other.requests()
		require.Len(t, seen, 1)
		require.Equal(t, "/landing", seen[0].URL)
		require.Nil(t, seen[0].Authorization)
	})

	t.Run("to another host name on the same server", func(t *testing.T) {
		srv := setup(t)
		u, err := url.Parse(srv.URL)
		require.NoError(t, err)
		srv.HandleFunc("GET /away", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "http://localhost:"+u.Port()+"/account/1/balance", http.StatusFound)
		})
		// Every connection goes to the server, whatever the host name.
		base := httpBase(t)
		base.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, u.Host)
		}
		client := &http.Client{Transport: newTransport(t, srv.URL, apiKey(t, authtest.APIKey), base)}

		resp, err := client.Do(newRequest(t, http.MethodGet, srv.URL+"/away", nil))
		require.NoError(t, err)
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode, readAll(t, resp))
		got := srv.Requests(authtest.RouteBalance)
		require.Len(t, got, 1)
		require.Nil(t, got[0].Header.Values("Authorization"))
	})

	t.Run("on the same host", func(t *testing.T) {
		srv := setup(t)
		srv.HandleFunc("GET /moved", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/account/1/balance", http.StatusFound)
		})
		client := &http.Client{Transport: newTransport(t, srv.URL, apiKey(t, authtest.APIKey), httpBase(t))}

		resp, err := client.Do(newRequest(t, http.MethodGet, srv.URL+"/moved", nil))
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, resp.StatusCode, readAll(t, resp))
		require.Equal(t, 1, srv.Count("GET /moved"))
		got := srv.Requests(authtest.RouteBalance)
		require.Len(t, got, 1)
		require.Equal(t, []string{"App " + authtest.APIKey}, got[0].Header.Values("Authorization"))
	})
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

// unlessNew answers 401 unless the request carries "Bearer new".
func unlessNew(_ int, r *http.Request) int {
	if r.Header.Get("Authorization") == "Bearer new" {
		return http.StatusOK
	}
	return http.StatusUnauthorized
}

func TestTransportRenewsAndReplaysOnce(t *testing.T) {
	rs := newRecordingServer(t, unlessNew)
	r := newRenewerStub()
	tr := newTransport(t, rs.URL, r, httpBase(t))

	payload := []byte("{\"text\":\"h\u00e9llo\"}\n\x00\xff")
	resp, err := tr.RoundTrip(newRequest(t, http.MethodPost, rs.URL+"/sms/3/messages", bytes.NewReader(payload)))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "answer 2", readAll(t, resp))

	seen := rs.requests()
	require.Len(t, seen, 2)
	require.Equal(t, []string{"Bearer old"}, seen[0].Authorization)
	require.Equal(t, []string{"Bearer new"}, seen[1].Authorization)
	require.Equal(t, string(payload), seen[0].Body)
	require.Equal(t, string(payload), seen[1].Body)
	require.Equal(t, []string{"Bearer old"}, r.renewals())
}

func TestTransportRetriesRequestsWithoutBody(t *testing.T) {
	for _, tc := range []struct {
		name string
		body io.ReadCloser
	}{
		{"nil body", nil},
		{"http.NoBody", http.NoBody},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rs := newRecordingServer(t, unlessNew)
			r := newRenewerStub()
			tr := newTransport(t, rs.URL, r, httpBase(t))
			req := newRequest(t, http.MethodGet, rs.URL+"/account/1/balance", nil)
			req.Body, req.GetBody = tc.body, nil

			resp, err := tr.RoundTrip(req)
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, resp.StatusCode)
			require.Equal(t, "answer 2", readAll(t, resp))
			require.Len(t, rs.requests(), 2)
			require.Equal(t, []string{"Bearer old"}, r.renewals())
		})
	}
}

func TestTransportDoesNotRetryAnUnreplayableBody(t *testing.T) {
	rs := newRecordingServer(t, unlessNew)
	r := newRenewerStub()
	tr := newTransport(t, rs.URL, r, httpBase(t))

	const payload = `{"text":"once"}`
	req := newRequest(t, http.MethodPost, rs.URL+"/sms/3/messages", nil)
	req.Body = io.NopCloser(strings.NewReader(payload))
	req.GetBody = nil
	req.ContentLength = int64(len(payload))

	resp, err := tr.RoundTrip(req)
	require.NoError(t, err)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	require.Equal(t, "answer 1", readAll(t, resp))
	seen := rs.requests()
	require.Len(t, seen, 1)
	require.Equal(t, payload, seen[0].Body)
	require.Empty(t, r.renewals(), "Renew must not be called when no retry can follow")
}

func TestTransportDoesNotRetryWhenGetBodyFails(t *testing.T) {
	base := &recordingBase{status: statuses(401)}
	r := newRenewerStub()
	tr := newTransport(t, "https://api.infobip.com", r, base)
	req, bodies := trackedRequest(t, http.MethodPost, "https://api.infobip.com/x", "p", false)
	req.GetBody = func() (io.ReadCloser, error) { return nil, errStub }

	resp, err := tr.RoundTrip(req)
	require.NoError(t, err)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	require.Equal(t, "response 1", readAll(t, resp))
	require.Len(t, base.requests(), 1)
	require.Equal(t, []int32{1}, bodies.closes())
}

func TestTransportRetriesAtMostOnce(t *testing.T) {
	rs := newRecordingServer(t, func(int, *http.Request) int { return http.StatusUnauthorized })
	r := newRenewerStub()
	tr := newTransport(t, rs.URL, r, httpBase(t))

	resp, err := tr.RoundTrip(newRequest(t, http.MethodPost, rs.URL+"/sms/3/messages", strings.NewReader("p")))
	require.NoError(t, err)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	require.Equal(t, "answer 2", readAll(t, resp), "the second 401 is returned")
	seen := rs.requests()
	require.Len(t, seen, 2)
	require.Equal(t, []string{"Bearer old"}, seen[0].Authorization)
	require.Equal(t, []string{"Bearer new"}, seen[1].Authorization)
	require.Equal(t, []string{"Bearer old"}, r.renewals())
}

func TestTransportRenewError(t *testing.T) {
	rs := newRecordingServer(t, unlessNew)
	r := newRenewerStub()
	r.renewErr = errStub
	tr := newTransport(t, rs.URL, r, httpBase(t))

	resp, err := tr.RoundTrip(newRequest(t, http.MethodGet, rs.URL+"/account/1/balance", nil))
	require.ErrorIs(t, err, errStub)
	require.Nil(t, resp)
	require.Len(t, rs.requests(), 1)
	require.Equal(t, []string{"Bearer old"}, r.renewals())
}

func TestTransportNoRetryWithoutRenewer(t *testing.T) {
	rs := newRecordingServer(t, func(int, *http.Request) int { return http.StatusUnauthorized })
	tr := newTransport(t, rs.URL, fixedHeader("Bearer static"), httpBase(t))

	resp, err := tr.RoundTrip(newRequest(t, http.MethodGet, rs.URL+"/account/1/balance", nil))
	require.NoError(t, err)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	require.Equal(t, "answer 1", readAll(t, resp))
	seen := rs.requests()
	require.Len(t, seen, 1)
	require.Equal(t, []string{"Bearer static"}, seen[0].Authorization)
}

func TestTransportRenewWithoutNewCredential(t *testing.T) {
	rs := newRecordingServer(t, unlessNew)
	r := newRenewerStub()
	r.next = r.header // Renew keeps "Bearer old"
	tr := newTransport(t, rs.URL, r, httpBase(t))

	resp, err := tr.RoundTrip(newRequest(t, http.MethodGet, rs.URL+"/account/1/balance", nil))
	require.NoError(t, err)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	require.Equal(t, "answer 1", readAll(t, resp), "the first 401 is returned")
	require.Len(t, rs.requests(), 1)
	require.Equal(t, []string{"Bearer old"}, r.renewals())
}

func TestTransportOtherStatusesAreNotRetried(t *testing.T) {
	for _, status := range []int{http.StatusForbidden, http.StatusTooManyRequests, http.StatusInternalServerError} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			base := &recordingBase{status: statuses(status)}
			r := newRenewerStub()
			tr := newTransport(t, "https://api.infobip.com", r, base)
			resp, err := tr.RoundTrip(newRequest(t, http.MethodGet, "https://api.infobip.com/x", nil))
			require.NoError(t, err)
			require.Equal(t, status, resp.StatusCode)
			readAll(t, resp)
			require.Len(t, base.requests(), 1)
			require.Empty(t, r.renewals())
		})
	}
}

// roundTripOnly is a base transport without CloseIdleConnections.
type roundTripOnly struct{ base *recordingBase }

func (r roundTripOnly) RoundTrip(req *http.Request) (*http.Response, error) {
	return r.base.RoundTrip(req)
}

func TestTransportCloseIdleConnections(t *testing.T) {
	base := &recordingBase{}
	tr := newTransport(t, "https://api.infobip.com", fixedHeader("App k-1"), base)
	tr.CloseIdleConnections()
	base.mu.Lock()
	require.Equal(t, 1, base.idle)
	base.mu.Unlock()

	(&http.Client{Transport: tr}).CloseIdleConnections()
	base.mu.Lock()
	require.Equal(t, 2, base.idle, "http.Client.CloseIdleConnections must reach the base")
	base.mu.Unlock()

	plain := newTransport(t, "https://api.infobip.com", fixedHeader("App k-1"), roundTripOnly{&recordingBase{}})
	require.NotPanics(t, plain.CloseIdleConnections)
}

// A 401 body too large to buffer is still closed when Renew fails and
// before the retry.
type bigBody struct {
	r      io.Reader
	closed bool
}

func (b *bigBody) Read(p []byte) (int, error) { return b.r.Read(p) }
func (b *bigBody) Close() error               { b.closed = true; return nil }

type big401 struct{ bodies []*bigBody }

func (b *big401) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		req.Body.Close()
	}
	bb := &bigBody{r: strings.NewReader(strings.Repeat("x", 8<<10))}
	b.bodies = append(b.bodies, bb)
	st := http.StatusUnauthorized
	if len(b.bodies) > 1 {
		st = http.StatusOK
	}
	return &http.Response{StatusCode: st, Header: http.Header{}, Body: bb, Request: req}, nil
}

func TestTransportClosesALarge401Body(t *testing.T) {
	t.Run("renew fails", func(t *testing.T) {
		base := &big401{}
		r := newRenewerStub()
		r.renewErr = errStub
		tr := newTransport(t, "https://api.infobip.com", r, base)
		_, err := tr.RoundTrip(newRequest(t, http.MethodGet, "https://api.infobip.com/x", nil))
		require.True(t, errors.Is(err, errStub))
		require.True(t, base.bodies[0].closed)
	})
	t.Run("retry", func(t *testing.T) {
		base := &big401{}
		tr := newTransport(t, "https://api.infobip.com", newRenewerStub(), base)
		resp, err := tr.RoundTrip(newRequest(t, http.MethodGet, "https://api.infobip.com/x", nil))
		require.NoError(t, err)
		resp.Body.Close()
		require.True(t, base.bodies[0].closed)
	})
}

// Renew succeeds but the new credential cannot be read: the error is
// returned, and the 401 body and the replay body are both closed.
func TestTransportLookupFailingAfterRenew(t *testing.T) {
	base := &big401{}
	r := newRenewerStub()
	r.lookupErr = errStub
	tr := newTransport(t, "https://api.infobip.com", r, base)
	req, bodies := trackedRequest(t, http.MethodPost, "https://api.infobip.com/sms/3/messages", "p", true)
	resp, err := tr.RoundTrip(req)
	require.Nil(t, resp)
	require.ErrorIs(t, err, errStub)
	require.Len(t, base.bodies, 1, "no retry")
	require.True(t, base.bodies[0].closed)
	for i, n := range bodies.closes() {
		require.Equal(t, int32(1), n, "body %d", i)
	}
	require.Len(t, bodies.closes(), 2, "the original and the replay copy")
}

func TestTransportToleratesANilResponseBody(t *testing.T) {
	var n atomic.Int32
	base := funcBase(func(req *http.Request) (*http.Response, error) {
		if n.Add(1) == 1 {
			return &http.Response{StatusCode: http.StatusUnauthorized, Header: http.Header{}, Request: req}, nil
		}
		return &http.Response{StatusCode: http.StatusOK, Header: http.Header{}, Request: req}, nil
	})
	r := newRenewerStub()
	tr := newTransport(t, "https://api.infobip.com", r, base)
	resp, err := tr.RoundTrip(newRequest(t, http.MethodGet, "https://api.infobip.com/x", nil))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.NotNil(t, resp.Body)
	require.Equal(t, "", readAll(t, resp))
	require.Equal(t, []string{"Bearer old"}, r.renewals())

	// A 401 with no body that is not retried (App is no Renewer) reads as
	// empty too, and ParseError handles it.
	tr = newTransport(t, "https://api.infobip.com", apiKey(t, "k-1"), funcBase(func(req *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: http.StatusUnauthorized, Header: http.Header{}}, nil
	}))
	resp, err = tr.RoundTrip(newRequest(t, http.MethodGet, "https://api.infobip.com/x", nil))
	require.NoError(t, err)
	require.Equal(t, "E401", auth.ParseError(resp).Code)
	require.NoError(t, resp.Body.Close())
}

func TestTransportRefusesANilResponseWithoutError(t *testing.T) {
	tr := newTransport(t, "https://api.infobip.com", apiKey(t, "k-1"), funcBase(func(*http.Request) (*http.Response, error) {
		return nil, nil
	}))
	resp, err := tr.RoundTrip(newRequest(t, http.MethodGet, "https://api.infobip.com/x", nil))
	require.Nil(t, resp)
	require.ErrorContains(t, err, "auth: ")
	require.ErrorContains(t, err, "neither a response nor an error")
}

func TestCallerAuthorizationIsReplacedHoweverSpelled(t *testing.T) {
	srv := setup(t)
	key, err := auth.NewAPIKey(authtest.APIKey)
	require.NoError(t, err)
	c := client(t, srv, key)
	req, err := http.NewRequest(http.MethodGet, srv.URL+"/account/1/balance", nil)
	require.NoError(t, err)
	req.Header["authorization"] = []string{"Basic callers-own"}
	resp, err := c.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	sent := srv.Requests(authtest.RouteBalance)[0].Header
	require.Equal(t, []string{"App " + authtest.APIKey}, sent.Values("Authorization"))
	//lint:ignore SA1008 the non-canonical spelling is the point
	require.Equal(t, []string{"Basic callers-own"}, req.Header["authorization"], "the caller's map is untouched")
}

func TestZeroValuesDoNotPanic(t *testing.T) {
	var tr auth.Transport
	body := &closeRecorder{Reader: strings.NewReader("x")}
	req, err := http.NewRequest(http.MethodPost, "https://api.infobip.com/sms/3/messages", body)
	require.NoError(t, err)
	_, err = tr.RoundTrip(req)
	require.ErrorContains(t, err, "NewTransport")
	require.True(t, body.closed)
	require.ErrorContains(t, tr.AllowOrigin("https://api.infobip.com"), "NewTransport")

	var e *auth.Error
	require.Equal(t, "auth: <nil>", e.Error())
}

func TestUnrenewable401KeepsItsBody(t *testing.T) {
	srv := setup(t)
	b, err := auth.NewBearer(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "never-issued"}), auth.BearerOptions{})
	require.NoError(t, err)
	c := client(t, srv, b)
	resp, err := c.Get(srv.URL + "/account/1/balance")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	require.Equal(t, "E401", auth.ParseError(resp).Code, "the body read before renewing is given back")
	require.Equal(t, 1, srv.Count(authtest.RouteBalance))
}

// closeTrack is a request body that records its Close.
type closeTrack struct {
	io.Reader
	closed atomic.Bool
}

func (c *closeTrack) Close() error { c.closed.Store(true); return nil }

// A base that breaks its contract, answering (nil, nil): RoundTrip fails
// with an error that says so, and the request body is closed all the same.
func TestTransportClosesTheBodyWhenTheBaseReturnsNothing(t *testing.T) {
	k, err := auth.NewAPIKey("k")
	require.NoError(t, err)
	tr, err := auth.NewTransport("https://api.example.com", k, funcBase(func(*http.Request) (*http.Response, error) { return nil, nil }))
	require.NoError(t, err)
	body := &closeTrack{Reader: strings.NewReader("x")}
	req, err := http.NewRequest(http.MethodPost, "https://api.example.com/x", nil)
	require.NoError(t, err)
	req.Body = body
	resp, err := tr.RoundTrip(req)
	require.Nil(t, resp)
	require.EqualError(t, err, "auth: the base RoundTripper returned neither a response nor an error")
	require.True(t, body.closed.Load(), "request body not closed when the base returned (nil, nil)")
}

func TestTransportRefusesAnotherAccountsAuthenticator(t *testing.T) {
	srv := setup(t)
	other := setup(t)
	b, _ := newOAuth(t, srv)
	_, err := auth.NewTransport(other.URL, b, nil)
	require.ErrorContains(t, err, "auth: NewTransport: base URL "+other.URL+" is not the authenticator's ("+srv.URL+")")
	_, err = auth.NewClient(srv.URL+"/", b, nil)
	require.NoError(t, err, "the same origin, spelled with a slash")
}

// A request's own authenticator wins over the Transport's; a Transport
// without one refuses a request that brings none, before sending it.
func TestWithAuthenticator(t *testing.T) {
	srv := setup(t)
	srv.AddUser("alice", "alice-password-1")
	alice, err := auth.NewBasic("alice", "alice-password-1")
	require.NoError(t, err)

	c, err := auth.NewClient(srv.URL, apiKey(t, authtest.APIKey), nil)
	require.NoError(t, err)
	req, err := http.NewRequestWithContext(auth.WithAuthenticator(context.Background(), alice), http.MethodGet, srv.URL+"/account/1/balance", nil)
	require.NoError(t, err)
	resp, err := c.Do(req)
	require.NoError(t, err)
	readAll(t, resp)
	h, _ := alice.Authorization(context.Background())
	require.Equal(t, h, lastAuthorization(t, srv, authtest.RouteBalance))

	anonymous, err := auth.NewClient(srv.URL, nil, nil)
	require.NoError(t, err)
	before := srv.Count(authtest.RouteBalance)
	_, err = anonymous.Get(srv.URL + "/account/1/balance")
	require.ErrorContains(t, err, "auth: request has no authenticator")
	require.Equal(t, before, srv.Count(authtest.RouteBalance), "nothing was sent")

	// Another origin gets no credential, whoever's it is.
	foreign := newRecordingServer(t, nil)
	req, err = http.NewRequestWithContext(auth.WithAuthenticator(context.Background(), alice), http.MethodGet, foreign.URL+"/x", nil)
	require.NoError(t, err)
	resp, err = anonymous.Do(req)
	require.NoError(t, err)
	readAll(t, resp)
	require.Nil(t, foreign.requests()[0].Authorization)
	require.Same(t, auth.WithAuthenticator(req.Context(), nil), req.Context())
}

// A request's own authenticator is held to NewTransport's rules: an IBSSO
// or Bearer of another account's base URL is refused, nothing is sent.
func TestWithAuthenticatorOfAnotherAccountIsRefused(t *testing.T) {
	srv := setup(t)
	other := setup(t)
	b, _ := newOAuth(t, srv)
	c, err := auth.NewClient(other.URL, nil, nil)
	require.NoError(t, err)
	resp, err := balanceAs(t, c, other, b)
	if err == nil {
		resp.Body.Close()
	}
	require.ErrorContains(t, err, "auth: request's authenticator is for base URL "+srv.URL)
	require.Equal(t, 0, other.Count(authtest.RouteBalance))
	require.Equal(t, 0, srv.Count(authtest.RouteToken), "not even a token was fetched")

	resp, err = balanceAs(t, c, other, (*auth.APIKey)(nil))
	if err == nil {
		resp.Body.Close()
	}
	require.ErrorContains(t, err, "auth: request's authenticator: authenticator is a nil *auth.APIKey")
}

// A Session logged in at account A is refused by a Transport for origin B.
func TestPerRequestSessionOfAnotherAccountIsRefused(t *testing.T) {
	srvA := authtest.NewServer()
	defer srvA.Close()
	var got atomic.Value
	srvB := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Store(r.Header.Get("Authorization"))
	}))
	defer srvB.Close()
	s, err := auth.Login(context.Background(), auth.LoginConfig{BaseURL: srvA.URL}, authtest.Username, authtest.Password)
	if err != nil {
		t.Fatal(err)
	}
	c, err := auth.NewClient(srvB.URL, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequestWithContext(auth.WithAuthenticator(context.Background(), s), "GET", srvB.URL+"/x", nil)
	resp, err := c.Do(req)
	if err == nil {
		resp.Body.Close()
	}
	if v, _ := got.Load().(string); strings.Contains(v, s.Token()) {
		t.Errorf("session of %s sent to %s", srvA.URL, srvB.URL)
	}
	// compare: NewTransport refuses an IBSSO for another base URL
}

// trackedRequest returns a request whose bodies count their Close calls.
// With replayable, GetBody hands out fresh tracked copies of payload;
// otherwise GetBody is nil and the body cannot be sent twice.
func trackedRequest(t *testing.T, method, target, payload string, replayable bool) (*http.Request, *trackedBodies) {
	t.Helper()
	req := newRequest(t, method, target, nil)
	tb := &trackedBodies{}
	req.Body = tb.add(payload)
	req.ContentLength = int64(len(payload))
	if replayable {
		req.GetBody = func() (io.ReadCloser, error) { return tb.add(payload), nil }
	}
	return req, tb
}

// recordingServer is an httptest server that records every request and
// answers status(n, r) with the body "answer <n+1>".
type recordingServer struct {
	*httptest.Server
	mu   sync.Mutex
	seen []seenRequest
}

func newRecordingServer(t *testing.T, status func(n int, r *http.Request) int) *recordingServer {
	t.Helper()
	rs := &recordingServer{}
	rs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rs.mu.Lock()
		n := len(rs.seen)
		rs.seen = append(rs.seen, seenRequest{
			Method:        r.Method,
			URL:           r.URL.RequestURI(),
			Host:          r.Host,
			Authorization: r.Header.Values("Authorization"),
			Header:        r.Header.Clone(),
			Body:          string(body),
		})
		rs.mu.Unlock()
		code := http.StatusOK
		if status != nil {
			code = status(n, r)
		}
		w.WriteHeader(code)
		fmt.Fprintf(w, "answer %d", n+1)
	}))
	t.Cleanup(rs.Close)
	return rs
}

func (rs *recordingServer) requests() []seenRequest {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return append([]seenRequest(nil), rs.seen...)
}

// renewerStub is a Renewer that answers "Bearer old" until Renew is called
// with the current value, then next ("Bearer new" unless changed).
type renewerStub struct {
	mu       sync.Mutex
	header   string
	next     string
	renewErr error
	rejected []string
	// lookupErr, if set, fails Authorization once Renew has run.
	lookupErr error
	renewed   bool
}

func newRenewerStub() *renewerStub {
	return &renewerStub{header: "Bearer old", next: "Bearer new"}
}

func (r *renewerStub) Authorization(context.Context) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.renewed && r.lookupErr != nil {
		return "", r.lookupErr
	}
	return r.header, nil
}

func (r *renewerStub) Renew(_ context.Context, rejected string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rejected = append(r.rejected, rejected)
	r.renewed = true
	if r.renewErr != nil {
		return r.renewErr
	}
	if rejected == r.header {
		r.header = r.next
	}
	return nil
}

// renewals returns the rejected values Renew was called with.
func (r *renewerStub) renewals() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.rejected...)
}

var errStub = errors.New("stub failure")

// statuses returns a status function answering the given statuses in turn,
// then 200.
func statuses(s ...int) func(int) int {
	return func(n int) int {
		if n < len(s) {
			return s[n]
		}
		return http.StatusOK
	}
}

type closeRecorder struct {
	*strings.Reader
	closed bool
}

func (c *closeRecorder) Close() error { c.closed = true; return nil }

// Infobip's Go SDK (github.com/infobip/infobip-api-go-client/v3) puts its own
// "Authorization: App <key>" on each request it builds, from its context or
// default headers, and gives it to the client from NewClient. The Transport
// replaces that header on the base URL's origin; when the API redirects to
// another origin, http.Client copies the caller's headers to the next
// request (it strips them only for another host name, not for another port
// or scheme), and that header must not go there either.
func TestRedirectElsewhereDropsCallersAuthorization(t *testing.T) {
	const sdkKey = "App sdk-own-key-0123456789abcdef"
	srv := authtest.NewServer()
	t.Cleanup(srv.Close)
	other := newRecordingServer(t, nil) // http://127.0.0.1, another port
	srv.Fail(authtest.RouteSendSMS, authtest.Fault{Status: http.StatusTemporaryRedirect, Times: 1,
		Header: http.Header{"Location": {other.URL + "/sms/3/messages"}}})
	c, err := auth.NewClient(srv.URL, apiKey(t, authtest.APIKey), &http.Client{Transport: httpBase(t)})
	require.NoError(t, err)

	// The SDK's request: a *bytes.Buffer body, JSON headers, its own key.
	body := `{"messages":[{"destinations":[{"to":"41793026727"}],"content":{"text":"hi"}}]}`
	req := newRequest(t, http.MethodPost, srv.URL+"/sms/3/messages", bytes.NewBufferString(body))
	req.Header = http.Header{"Content-Type": {"application/json"}, "Accept": {"application/json"}}
	req.Header.Add("User-Agent", "infobip-api-client-go/3.2.0")
	req.Header.Add("Authorization", sdkKey)
	resp, err := c.Do(req)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, readAll(t, resp))

	got := srv.Requests(authtest.RouteSendSMS)
	require.Len(t, got, 1)
	require.Equal(t, []string{"App " + authtest.APIKey}, got[0].Header.Values("Authorization"))
	seen := other.requests()
	require.Len(t, seen, 1)
	require.Equal(t, body, seen[0].Body, "a 307 keeps the body")
	require.Nil(t, seen[0].Authorization, "the caller's Authorization, replaced on the base URL's origin, followed the redirect")
	require.Equal(t, []string{sdkKey}, req.Header.Values("Authorization"), "the caller's request is not modified")
}
