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

// An authenticator that would panic or send an empty header at the first
// request is refused when the Transport is made, and fails (never panics)
// when called directly.
func TestUnmadeAuthenticatorsAreRefused(t *testing.T) {
	for _, tc := range []struct {
		name string
		a    auth.Authenticator
	}{
		{"nil *APIKey", (*auth.APIKey)(nil)},
		{"nil *Basic", (*auth.Basic)(nil)},
		{"nil *IBSSO", (*auth.IBSSO)(nil)},
		{"nil *Bearer", (*auth.Bearer)(nil)},
		{"nil pointer of the caller's type", (*failingAuthenticator)(nil)},
		{"zero APIKey", &auth.APIKey{}},
		{"zero Basic", &auth.Basic{}},
		{"zero IBSSO", &auth.IBSSO{}},
		{"zero Bearer", &auth.Bearer{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr, err := auth.NewTransport("https://api.infobip.com", tc.a, nil)
			require.Nil(t, tr)
			require.ErrorContains(t, err, "auth: NewTransport: ")
			if _, ok := tc.a.(*failingAuthenticator); ok {
				return // the caller's own type: its methods are its business
			}
			_, err = tc.a.Authorization(context.Background())
			require.ErrorContains(t, err, "was not made with New")
			if r, ok := tc.a.(auth.Renewer); ok {
				require.ErrorContains(t, r.Renew(context.Background(), "x"), "was not made with New")
			}
			if c, ok := tc.a.(interface{ Close(context.Context) error }); ok {
				require.ErrorContains(t, c.Close(context.Background()), "was not made with New")
			}
			if d, ok := tc.a.(interface{ Destroy(context.Context) error }); ok {
				require.ErrorContains(t, d.Destroy(context.Background()), "was not made with New")
			}
			if s, ok := tc.a.(interface{ TokenSource() oauth2.TokenSource }); ok {
				_, err := s.TokenSource().Token()
				require.ErrorContains(t, err, "was not made with New")
			}
		})
	}
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

// Nil requests, contexts, Transports and authenticators give errors, never
// panics.
func TestNothingPanicsOnBadInput(t *testing.T) {
	k, _ := auth.NewAPIKey("k")
	tr, _ := auth.NewTransport("https://api.example.com", k, funcBase(func(r *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 200, Body: http.NoBody, Request: r}, nil
	}))
	try := func(name string, f func()) {
		t.Helper()
		defer func() {
			if r := recover(); r != nil {
				t.Errorf("%s panicked: %v", name, r)
			}
		}()
		f()
	}
	try("RoundTrip(nil)", func() { tr.RoundTrip(nil) })
	try("RoundTrip(no URL)", func() { tr.RoundTrip(&http.Request{}) })
	try("zero Transport RoundTrip", func() { (&auth.Transport{}).RoundTrip(&http.Request{}) })
	try("zero Transport String", func() { _ = (&auth.Transport{}).String() })
	try("zero Transport AllowOrigin", func() { (&auth.Transport{}).AllowOrigin("https://x") })
	try("zero Transport CloseIdle", func() { (&auth.Transport{}).CloseIdleConnections() })
	try("nil Transport String", func() { var n *auth.Transport; _ = n.String() })
	try("nil Transport BaseURL", func() { var n *auth.Transport; _ = n.BaseURL() })
	for _, a := range []auth.Authenticator{(*auth.Session)(nil), (*auth.IBSSO)(nil), (*auth.Bearer)(nil), (*auth.APIKey)(nil), (*auth.Basic)(nil), &auth.Session{}, &auth.IBSSO{}, &auth.Bearer{}} {
		try(fmt.Sprintf("WithAuthenticator(%T)", a), func() {
			req, _ := http.NewRequestWithContext(auth.WithAuthenticator(context.Background(), a), "GET", "https://api.example.com/x", nil)
			_, err := tr.RoundTrip(req)
			if err == nil || !strings.HasPrefix(err.Error(), "auth: ") {
				t.Errorf("%T: err=%v", a, err)
			}
		})
		try(fmt.Sprintf("Close(%T)", a), func() {
			switch c := a.(type) {
			case interface{ Close(context.Context) error }:
				c.Close(context.Background())
			case interface{ Logout(context.Context) error }:
				c.Logout(context.Background())
			}
		})
		try(fmt.Sprintf("Renew(%T)", a), func() {
			if r, ok := a.(auth.Renewer); ok {
				r.Renew(context.Background(), "x")
			}
		})
	}
	srv := authtest.NewServer()
	defer srv.Close()
	ib, _ := auth.NewIBSSO(auth.IBSSOConfig{BaseURL: srv.URL, Username: authtest.Username, Password: authtest.Password})
	be, _ := auth.NewOAuth(auth.OAuthConfig{BaseURL: srv.URL, ClientID: authtest.ClientID, ClientSecret: authtest.ClientSecret})
	s, _ := auth.Login(context.Background(), auth.LoginConfig{BaseURL: srv.URL}, authtest.Username, authtest.Password)
	var nilCtx context.Context
	try("IBSSO.Authorization(nil)", func() { ib.Authorization(nilCtx) })
	try("Bearer.Authorization(nil)", func() { be.Authorization(nilCtx) })
	try("IBSSO.Renew(nil)", func() { ib.Renew(nilCtx, "IBSSO x") })
	try("Bearer.Renew(nil)", func() { be.Renew(nilCtx, "Bearer x") })
	try("Session.Logout(nil)", func() { s.Logout(nilCtx) })
	try("IBSSO.Close(nil)", func() { ib.Close(nilCtx) })
	try("Bearer.Close(nil)", func() { be.Close(nilCtx) })
	try("WithAuthenticator(nil ctx)", func() { auth.WithAuthenticator(nilCtx, s) })
	try("ParseError(resp nil body)", func() { auth.ParseError(&http.Response{}) })
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
