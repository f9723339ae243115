package auth_test

import (
	"context"
	"errors"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ibkit/auth"
	"github.com/ibkit/auth/authtest"
)

// The fault matrix: every misbehaviour in faults() is played by the session
// endpoint, the token endpoint, the protected API (behind a Transport, for
// an App key, an IBSSO session and an OAuth token) and the session's DELETE
// endpoint. For each, the test checks the error the caller gets, that a
// failing fetch is not retried before its pause (backoff or Retry-After)
// has passed on the server's clock, that the next request after the fault
// clears succeeds, how many requests each endpoint saw, and that no
// goroutine is left behind.

// maxRetryAfterPause is the longest pause a Retry-After header imposes on
// session and token fetches.
const maxRetryAfterPause = 5 * time.Minute

// Error bodies and pages the faults answer with.
const (
	html502   = "<html><body><h1>502 Bad Gateway</h1>nginx</body></html>"
	old429    = `{"requestError":{"serviceException":{"messageId":"TOO_MANY_REQUESTS","text":"Too many requests"}}}`
	new429    = `{"errorCode":"E429","description":"Too many requests","action":"Slow down","violations":[],"resources":[]}`
	old400    = `{"requestError":{"serviceException":{"messageId":"BAD_REQUEST","text":"Bad request","validationErrors":{"password":["must not be empty"]}}}}`
	new400    = `{"errorCode":"E400","description":"Bad request","action":"Check the request","violations":[{"property":"client_id","violation":"must not be empty"}],"resources":[{"name":"API docs","url":"https://www.infobip.com/docs/api"}]}`
	malformed = `{"token":"0d1e5e55","access_token":"0d1e5e55","expires_in":`
	noToken   = `{"token":"","access_token":"","token_type":"Bearer","expires_in":3600}`
	// oversizeLen is the length of an authtest Oversize body.
	oversizeLen = 1<<20 + 1<<10 + 64
)

// outcome is what a caller gets from a fault. For an Infobip error answer
// (status set) it describes the *auth.Error: the authenticator's fetch
// error, or auth.ParseError of the API's response; "{op}" in msg stands
// for the operation and its ": ", or nothing for the API.
type outcome struct {
	status     int
	code       string
	retryAfter time.Duration
	// msg is the exact error text; contains lists substrings, when the
	// text holds an address.
	msg      string
	contains []string
	// is, if set, must be in the error chain.
	is error
	// For the API only: the response passes through (200) with body, or
	// a body of bodyLen bytes, or a body whose reading fails with readErr.
	body    string
	bodyLen int
	readErr error
}

// fault is one row of the matrix.
type fault struct {
	name string
	// f is installed on the route under test, until the fault clears.
	f authtest.Fault
	// gone plays a server that has gone away instead: dials are refused.
	gone bool
	// pause is how long fetches stay refused after this fault: the
	// server's Retry-After (capped). Zero: the first backoff, at most
	// 500 ms.
	pause time.Duration
	// session and token are what the IBSSO and OAuth fetches give; api is
	// what a caller of the Transport gets. For an Infobip error answer the
	// three are the same, and set through answer.
	answer              *outcome
	session, token, api outcome
}

func (f fault) sessionWant() outcome { return f.pick(f.session) }
func (f fault) tokenWant() outcome   { return f.pick(f.token) }
func (f fault) apiWant() outcome     { return f.pick(f.api) }

func (f fault) pick(o outcome) outcome {
	if f.answer != nil {
		return *f.answer
	}
	return o
}

func faults() []fault {
	refused := outcome{is: syscall.ECONNREFUSED, contains: []string{"connection refused"}}
	return []fault{
		{
			name:   "500 without a body",
			f:      authtest.Fault{Status: 500},
			answer: &outcome{status: 500, code: "E500", msg: "auth: {op}500 E500: Internal Server Error"},
		},
		{
			name:   "502 with an HTML page",
			f:      authtest.Fault{Status: 502, Body: html502},
			answer: &outcome{status: 502, code: "E502", msg: `auth: {op}502 E502: "` + html502 + `"`},
		},
		{
			name:   "429 with Retry-After",
			f:      authtest.Fault{Status: 429, Header: http.Header{"Retry-After": {"30"}}, Body: old429},
			pause:  30 * time.Second,
			answer: &outcome{status: 429, code: "E429", retryAfter: 30 * time.Second, msg: "auth: {op}429 E429: Too many requests"},
		},
		{
			name:   "429 without Retry-After",
			f:      authtest.Fault{Status: 429, Body: new429},
			answer: &outcome{status: 429, code: "E429", msg: "auth: {op}429 E429: Too many requests; Slow down"},
		},
		{
			name:   "429 with an absurd Retry-After",
			f:      authtest.Fault{Status: 429, Header: http.Header{"Retry-After": {"99999999999"}}, Body: old429},
			pause:  maxRetryAfterPause,
			answer: &outcome{status: 429, code: "E429", retryAfter: math.MaxInt64, msg: "auth: {op}429 E429: Too many requests"},
		},
		{
			name:   "400 with the old error body",
			f:      authtest.Fault{Status: 400, Body: old400},
			answer: &outcome{status: 400, code: "E400", msg: "auth: {op}400 E400: Bad request (password: must not be empty)"},
		},
		{
			name:   "400 with the new error body",
			f:      authtest.Fault{Status: 400, Body: new400},
			answer: &outcome{status: 400, code: "E400", msg: "auth: {op}400 E400: Bad request; Check the request (client_id: must not be empty)"},
		},
		{
			name: "500 with a body over 1 MiB",
			f:    authtest.Fault{Status: 500, Oversize: true},
			answer: &outcome{status: 500, code: "E500",
				msg: "auth: {op}500 E500: " + strconv.Quote(`{"padding":"`+strings.Repeat("x", 105)+"…")},
		},
		{
			name:    "200 with malformed JSON",
			f:       authtest.Fault{Status: 200, Body: malformed},
			session: outcome{msg: "auth: create IBSSO session: response is not the expected JSON"},
			token:   outcome{msg: "auth: fetch OAuth token: oauth2: cannot parse json: unexpected end of JSON input"},
			api:     outcome{status: 200, body: malformed},
		},
		{
			name:    "200 with an empty token",
			f:       authtest.Fault{Status: 200, Body: noToken},
			session: outcome{msg: "auth: create IBSSO session: response token is empty or malformed"},
			token:   outcome{msg: "auth: fetch OAuth token: oauth2: server response missing access_token"},
			api:     outcome{status: 200, body: noToken},
		},
		{
			name:    "200 with a body over 1 MiB",
			f:       authtest.Fault{Oversize: true},
			session: outcome{msg: "auth: create IBSSO session: response is larger than 1 MiB"},
			token:   outcome{msg: "auth: fetch OAuth token: oauth2: cannot parse json: unexpected end of JSON input"},
			api:     outcome{status: 200, bodyLen: oversizeLen},
		},
		{
			name:    "connection reset mid-body",
			f:       authtest.Fault{Reset: true},
			session: outcome{msg: "auth: create IBSSO session: reading the response: unexpected EOF", is: io.ErrUnexpectedEOF},
			token:   outcome{msg: "auth: fetch OAuth token: oauth2: cannot fetch token: unexpected EOF"},
			api:     outcome{status: 200, readErr: io.ErrUnexpectedEOF},
		},
		{
			name:    "server never answers",
			f:       authtest.Fault{Hang: true},
			session: outcome{is: context.DeadlineExceeded, contains: []string{"auth: create IBSSO session: Post ", "context deadline exceeded"}},
			token:   outcome{is: context.DeadlineExceeded, contains: []string{"auth: fetch OAuth token: Post ", "context deadline exceeded"}},
			api:     outcome{is: context.DeadlineExceeded},
		},
		{
			name:    "server gone, then back",
			gone:    true,
			session: withContains(refused, "auth: create IBSSO session: Post "),
			token:   withContains(refused, "auth: fetch OAuth token: Post "),
			api:     refused,
		},
	}
}

func withContains(o outcome, s ...string) outcome {
	o.contains = append(append([]string(nil), o.contains...), s...)
	return o
}

// checkErr checks err, the error of operation op ("" for the API's own
// answers), against o.
func (o outcome) checkErr(t *testing.T, err error, op string) {
	t.Helper()
	require.Error(t, err)
	var apiErr *auth.Error
	if o.status != 0 {
		require.ErrorAs(t, err, &apiErr)
		require.Equal(t, o.status, apiErr.StatusCode)
		require.Equal(t, o.code, apiErr.Code)
		require.Equal(t, o.retryAfter, apiErr.RetryAfter)
		require.Equal(t, op, apiErr.Op)
	} else {
		require.False(t, errors.As(err, &apiErr), "want no *auth.Error, got %v", err)
	}
	if o.msg != "" {
		if op != "" {
			op += ": "
		}
		require.Equal(t, strings.ReplaceAll(o.msg, "{op}", op), err.Error())
	}
	for _, s := range o.contains {
		require.ErrorContains(t, err, s)
	}
	if o.is != nil {
		require.ErrorIs(t, err, o.is)
	}
}

// runFetchFault plays f on the endpoint where kind fetches its credential.
func runFetchFault(t *testing.T, r *rig, kind string, f fault, want outcome) {
	route, op := fetchRoute(kind)
	var timeout time.Duration
	if f.f.Hang {
		timeout = 500 * time.Millisecond // the fetch's own deadline
	}
	a, ev := r.authenticator(kind, timeout)
	if f.f.Hang {
		// Should the fetch outlive its timeout, release it before the
		// authenticator's Close waits for it.
		t.Cleanup(r.srv.Close)
	}
	c := r.client(a)
	arrived := 1 // requests the endpoint sees per attempt
	if f.gone {
		arrived = 0
	}
	r.inject(route, f)

	// The caller's request fails with the fetch error; the API sees nothing.
	// (The deadline is a safety net for a fetch that never ends.)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	_, err := balance(t, ctx, c, r.srv)
	r.observeErr("client error", err)
	var ue *url.Error
	require.ErrorAs(t, err, &ue)
	first := ue.Err
	want.checkErr(t, first, op)
	require.Equal(t, arrived, r.srv.Count(route))
	require.Equal(t, 0, r.srv.Count(authtest.RouteBalance))

	// Until the pause has passed, callers get the same error and nothing is
	// sent, although the fault is still there.
	for range 5 {
		_, err := a.Authorization(t.Context())
		require.ErrorIs(t, err, first)
		_, err = balance(t, t.Context(), c, r.srv)
		require.ErrorIs(t, err, first)
	}
	if f.pause > 0 {
		r.srv.Advance(f.pause - time.Second)
		_, err := a.Authorization(t.Context())
		require.ErrorIs(t, err, first, "a second before the end of the pause")
	}
	require.Equal(t, arrived, r.srv.Count(route), "no request during the pause")
	require.Equal(t, int32(1-arrived), r.net.refused.Load(), "no dial during the pause")

	// The fault clears: past the pause, the next request succeeds.
	r.clear()
	r.srv.Advance(2 * time.Second)
	require.Equal(t, http.StatusOK, getBalance(t, c, r.srv))
	require.Equal(t, arrived+1, r.srv.Count(route))
	require.Equal(t, 1, r.srv.Count(authtest.RouteBalance))
	evs := ev.wait(t, 2)
	require.Len(t, evs, 2)
	require.ErrorIs(t, evs[0].Err, first)
	require.NoError(t, evs[1].Err)
	for _, e := range evs {
		r.observe("RefreshEvent", e)
		r.observeErr("RefreshEvent.Err", e.Err)
	}
	r.checkBodies()
}

// runAPIFault plays f on the protected API, called through a Transport
// with a credential of the given kind that is already cached.
func runAPIFault(t *testing.T, r *rig, kind string, f fault) {
	a, _ := r.authenticator(kind, 0)
	c := r.client(a)
	require.Equal(t, http.StatusOK, getBalance(t, c, r.srv))
	route, _ := fetchRoute(kind)
	fetches := func() int {
		if route == "" {
			return 0
		}
		return r.srv.Count(route)
	}
	before := fetches()
	arrived := 1
	if f.gone {
		arrived = 0
	}
	r.inject(authtest.RouteBalance, f)

	ctx := t.Context()
	if f.f.Hang {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 500*time.Millisecond) // the caller's deadline
		defer cancel()
	}
	resp, err := balance(t, ctx, c, r.srv)
	want := f.apiWant()
	switch {
	case want.status == 0:
		r.observeErr("client error", err)
		require.Nil(t, resp)
		want.checkErr(t, err, "")
	case want.status >= 400:
		require.NoError(t, err)
		require.Equal(t, want.status, resp.StatusCode)
		apiErr := auth.ParseError(resp)
		resp.Body.Close()
		r.observeErr("ParseError", apiErr)
		want.checkErr(t, apiErr, "")
	default:
		require.NoError(t, err)
		require.Equal(t, want.status, resp.StatusCode)
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		switch {
		case want.readErr != nil:
			require.ErrorIs(t, err, want.readErr)
		case want.bodyLen != 0:
			require.NoError(t, err)
			require.Len(t, body, want.bodyLen)
		default:
			require.NoError(t, err)
			require.Equal(t, want.body, string(body))
		}
	}
	require.Equal(t, 1+arrived, r.srv.Count(authtest.RouteBalance), "one request, no retry")
	require.Equal(t, before, fetches(), "a fault of the API does not renew the credential")

	r.clear()
	require.Equal(t, http.StatusOK, getBalance(t, c, r.srv))
	require.Equal(t, 2+arrived, r.srv.Count(authtest.RouteBalance))
	require.Equal(t, before, fetches())
	r.checkBodies()
}

// runCloseFault plays f on DELETE /auth/1/session while an IBSSO session is
// closed.
func runCloseFault(t *testing.T, r *rig, f fault) {
	a, _ := r.authenticator(kindIBSSO, 0)
	s := a.(*auth.IBSSO)
	c := r.client(s)
	require.Equal(t, http.StatusOK, getBalance(t, c, r.srv))
	arrived := 1
	if f.gone {
		arrived = 0
	}
	r.inject(authtest.RouteDestroySession, f)

	ctx := t.Context()
	if f.f.Hang {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 500*time.Millisecond)
		defer cancel()
	}
	err := s.Close(ctx)
	want := f.apiWant()
	if want.status == http.StatusOK {
		require.NoError(t, err, "the server answered 200")
	} else {
		r.observeErr("Close error", err)
		want.checkErr(t, err, "destroy IBSSO session")
		require.Equal(t, 1, r.srv.ActiveSessions(), "the session outlives a failed DELETE")
	}
	require.Equal(t, arrived, r.srv.Count(authtest.RouteDestroySession))

	// Closed whatever the DELETE gave: nothing more is sent.
	r.clear()
	_, err = s.Authorization(t.Context())
	require.ErrorIs(t, err, auth.ErrClosed)
	_, err = balance(t, t.Context(), c, r.srv)
	require.ErrorIs(t, err, auth.ErrClosed)
	require.NoError(t, s.Close(t.Context()), "a second Close does nothing")
	require.Equal(t, arrived, r.srv.Count(authtest.RouteDestroySession))
	require.Equal(t, 1, r.srv.Count(authtest.RouteBalance))
	require.Equal(t, 1, r.srv.Count(authtest.RouteCreateSession))
	r.checkBodies()
}

func TestFaultMatrix(t *testing.T) {
	for _, f := range faults() {
		t.Run(f.name, func(t *testing.T) {
			t.Run("session endpoint", func(t *testing.T) {
				runFetchFault(t, newRig(t, defaultCreds, nil), kindIBSSO, f, f.sessionWant())
			})
			t.Run("token endpoint", func(t *testing.T) {
				runFetchFault(t, newRig(t, defaultCreds, nil), kindBearer, f, f.tokenWant())
			})
			for _, kind := range []string{kindApp, kindBasic, kindIBSSO, kindBearer} {
				t.Run("API with "+kind, func(t *testing.T) {
					runAPIFault(t, newRig(t, defaultCreds, nil), kind, f)
				})
			}
			t.Run("session DELETE", func(t *testing.T) {
				runCloseFault(t, newRig(t, defaultCreds, nil), f)
			})
		})
	}
}

// runRenewalFailure revokes kind's credential and makes its endpoint fail,
// so that the Transport's renewal after the API's 401 fails.
func runRenewalFailure(t *testing.T, r *rig, kind string) {
	route, op := fetchRoute(kind)
	a, _ := r.authenticator(kind, 0)
	c := r.client(a)
	require.Equal(t, http.StatusOK, getBalance(t, c, r.srv))
	h := lastAuthorization(t, r.srv, authtest.RouteBalance)
	r.srv.Revoke(h[strings.IndexByte(h, ' ')+1:])
	r.srv.Fail(route, authtest.Fault{Status: 500})

	_, err := balance(t, t.Context(), c, r.srv)
	r.observeErr("client error", err)
	want := outcome{status: 500, code: "E500", contains: []string{
		"auth: renewing credentials after 401: " + op + ": 500 E500: Internal Server Error"}}
	want.checkErr(t, err, op)
	require.Equal(t, 2, r.srv.Count(authtest.RouteBalance), "the 401, and no retry")
	require.Equal(t, 2, r.srv.Count(route))

	// During the backoff, requests fail before reaching the API.
	for range 5 {
		_, err := balance(t, t.Context(), c, r.srv)
		r.observeErr("client error", err)
		outcome{status: 500, code: "E500", msg: "auth: {op}500 E500: Internal Server Error"}.checkErr(t, errors.Unwrap(err), op)
	}
	require.Equal(t, 2, r.srv.Count(authtest.RouteBalance))
	require.Equal(t, 2, r.srv.Count(route))

	r.clear()
	r.srv.Advance(2 * time.Second)
	require.Equal(t, http.StatusOK, getBalance(t, c, r.srv))
	require.Equal(t, 3, r.srv.Count(authtest.RouteBalance))
	require.Equal(t, 3, r.srv.Count(route))
	require.NotEqual(t, h, lastAuthorization(t, r.srv, authtest.RouteBalance))
	r.checkBodies()
}

func TestRenewalFailsAfter401(t *testing.T) {
	for _, kind := range []string{kindIBSSO, kindBearer} {
		t.Run(kind, func(t *testing.T) {
			runRenewalFailure(t, newRig(t, defaultCreds, nil), kind)
		})
	}
}
