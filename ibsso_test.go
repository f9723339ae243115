package auth_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ibkit/auth"
	"github.com/ibkit/auth/authtest"
)

func TestIBSSOCreatesOneSessionAndReusesIt(t *testing.T) {
	srv := setup(t)
	s, ev := newIBSSO(t, srv)
	c := client(t, srv, s)

	for range 5 {
		require.Equal(t, http.StatusOK, getBalance(t, c, srv))
	}
	require.Equal(t, 1, srv.Count(authtest.RouteCreateSession))
	require.Equal(t, []string{"initial"}, ev.reasons())

	create := srv.Requests(authtest.RouteCreateSession)[0]
	require.Empty(t, create.Header.Get("Authorization"), "session creation carries no credentials header")
	require.Equal(t, "application/json", create.Header.Get("Content-Type"))
	var body map[string]any
	require.NoError(t, json.Unmarshal(create.Body, &body))
	require.Equal(t, map[string]any{"username": authtest.Username, "password": authtest.Password}, body)

	h := lastAuthorization(t, srv, authtest.RouteBalance)
	require.True(t, strings.HasPrefix(h, "IBSSO "), h)
	for _, r := range srv.Requests(authtest.RouteBalance) {
		require.Equal(t, h, r.Header.Get("Authorization"))
	}
}

func TestIBSSOUnsafeSession(t *testing.T) {
	srv := setup(t)
	s, _ := newIBSSO(t, srv, func(c *auth.IBSSOConfig) { c.Unsafe = true })
	_, err := s.Authorization(context.Background())
	require.NoError(t, err)
	require.JSONEq(t, `{"username":"aladdin","password":"open-sesame-7","unsafe":true}`,
		string(srv.Requests(authtest.RouteCreateSession)[0].Body))
}

// TestIBSSOUnsafeSessionIsNotBoundToIP: Infobip binds a session to the
// address that created it unless unsafe is set. Here the session is created
// from 127.0.0.1 and used from 127.0.0.2.
func TestIBSSOUnsafeSessionIsNotBoundToIP(t *testing.T) {
	for unsafe, want := range map[bool]int{false: http.StatusUnauthorized, true: http.StatusOK} {
		t.Run(fmt.Sprint("unsafe=", unsafe), func(t *testing.T) {
			srv := setup(t)
			s, _ := newIBSSO(t, srv, func(c *auth.IBSSOConfig) { c.Unsafe = unsafe })
			_, err := s.Authorization(context.Background()) // created from 127.0.0.1
			require.NoError(t, err)

			elsewhere := http.DefaultTransport.(*http.Transport).Clone()
			elsewhere.DialContext = (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}}).DialContext
			t.Cleanup(elsewhere.CloseIdleConnections)
			tr, err := auth.NewTransport(srv.URL, s, elsewhere)
			require.NoError(t, err)
			require.Equal(t, want, getBalance(t, &http.Client{Transport: tr}, srv))
		})
	}
}

func TestIBSSOSessionSlidesWhileUsed(t *testing.T) {
	srv := setup(t)
	s, _ := newIBSSO(t, srv)
	c := client(t, srv, s)
	for range 10 { // five hours, a use every 30 minutes
		require.Equal(t, http.StatusOK, getBalance(t, c, srv))
		srv.Advance(30 * time.Minute)
	}
	require.Equal(t, 1, srv.Count(authtest.RouteCreateSession))
}

func TestIBSSOIdleSessionIsReplacedBeforeUse(t *testing.T) {
	srv := setup(t)
	s, ev := newIBSSO(t, srv)
	c := client(t, srv, s)
	require.Equal(t, http.StatusOK, getBalance(t, c, srv))
	first := lastAuthorization(t, srv, authtest.RouteBalance)

	// Before the 58-minute cutoff (Infobip's 60 less the 2-minute margin):
	// still reused.
	srv.Advance(57 * time.Minute)
	require.Equal(t, http.StatusOK, getBalance(t, c, srv))
	require.Equal(t, 1, srv.Count(authtest.RouteCreateSession))

	// Unused for 59 minutes: the server would still accept it for one more,
	// but it is too close; it is destroyed and replaced before the request.
	srv.Advance(59 * time.Minute)
	require.Equal(t, http.StatusOK, getBalance(t, c, srv))
	require.Equal(t, 2, srv.Count(authtest.RouteCreateSession))
	require.Equal(t, 1, srv.Count(authtest.RouteDestroySession))
	require.Equal(t, first, srv.Requests(authtest.RouteDestroySession)[0].Header.Get("Authorization"))
	require.NotEqual(t, first, lastAuthorization(t, srv, authtest.RouteBalance))
	require.Equal(t, 0, srv.Count(authtest.RouteBalance)-3, "no request was rejected")
	require.Equal(t, []string{"initial", "idle"}, ev.reasons())
	require.Equal(t, 1, srv.ActiveSessions())
}

func TestIBSSOCustomIdleTimeout(t *testing.T) {
	srv := setup(t)
	srv.SetIdleTimeout(10 * time.Minute)
	s, _ := newIBSSO(t, srv, func(c *auth.IBSSOConfig) { c.IdleTimeout = 10 * time.Minute })
	c := client(t, srv, s)
	require.Equal(t, http.StatusOK, getBalance(t, c, srv))
	srv.Advance(8*time.Minute + 59*time.Second) // margin is a tenth: 1 minute
	require.Equal(t, http.StatusOK, getBalance(t, c, srv))
	srv.Advance(9 * time.Minute)
	require.Equal(t, http.StatusOK, getBalance(t, c, srv))
	require.Equal(t, 2, srv.Count(authtest.RouteCreateSession))
}

func TestIBSSORenewsAfter401AndReplaysTheBody(t *testing.T) {
	srv := setup(t)
	s, ev := newIBSSO(t, srv)
	c := client(t, srv, s)
	require.Equal(t, http.StatusOK, getBalance(t, c, srv))
	srv.Revoke(strings.TrimPrefix(lastAuthorization(t, srv, authtest.RouteBalance), "IBSSO "))

	sendSMSAfterRevocation(t, c, srv)
	require.Equal(t, 2, srv.Count(authtest.RouteCreateSession))
	// The rejected session is destroyed before the next is made, as
	// Infobip asks: best effort, since a revoked one is gone already.
	require.Equal(t, 1, srv.Count(authtest.RouteDestroySession))
	require.Equal(t, 1, srv.ActiveSessions())
	require.Equal(t, []string{"initial", "renew"}, ev.reasons())
}

func TestIBSSO401WithUnreplayableBodyIsReturned(t *testing.T) {
	srv := setup(t)
	s, _ := newIBSSO(t, srv)
	c := client(t, srv, s)
	require.Equal(t, http.StatusOK, getBalance(t, c, srv))
	srv.ExpireAll()

	req, err := http.NewRequest(http.MethodPost, srv.URL+"/sms/3/messages", io.NopCloser(strings.NewReader(`{}`)))
	require.NoError(t, err)
	require.Nil(t, req.GetBody)
	resp, err := c.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	apiErr := auth.ParseError(resp)
	require.Equal(t, "E401", apiErr.Code)
	require.Equal(t, 1, srv.Count(authtest.RouteSendSMS))
	require.Equal(t, 1, srv.Count(authtest.RouteCreateSession), "no renewal without a retry")

	// The next replayable request renews.
	require.Equal(t, http.StatusOK, getBalance(t, c, srv))
	require.Equal(t, 2, srv.Count(authtest.RouteCreateSession))
}

func TestIBSSOColdStormCreatesOneSession(t *testing.T) {
	srv := setup(t)
	s, _ := newIBSSO(t, srv)
	headers := storm(t, 1000, func() (string, error) { return s.Authorization(context.Background()) })
	require.Equal(t, 1, srv.Count(authtest.RouteCreateSession))
	require.Len(t, headers, 1)
}

func TestIBSSODeadSessionStormRenewsOnce(t *testing.T) {
	srv := setup(t)
	s, _ := newIBSSO(t, srv)
	dead, err := s.Authorization(context.Background())
	require.NoError(t, err)
	srv.Revoke(strings.TrimPrefix(dead, "IBSSO "))

	headers := storm(t, 1000, func() (string, error) {
		if err := s.Renew(context.Background(), dead); err != nil {
			return "", err
		}
		return s.Authorization(context.Background())
	})
	require.Equal(t, 2, srv.Count(authtest.RouteCreateSession))
	require.Len(t, headers, 1)
	require.NotContains(t, headers, dead)

	// Through the Transport: many requests rejected together, one renewal.
	srv.ExpireAll()
	c := client(t, srv, s)
	statuses := storm(t, 100, func() (string, error) {
		return http.StatusText(getBalance(t, c, srv)), nil
	})
	require.Equal(t, map[string]int{"OK": 100}, statuses)
	require.Equal(t, 3, srv.Count(authtest.RouteCreateSession))
}

func TestIBSSOCancelledCallerDoesNotSpoilTheFetch(t *testing.T) {
	srv := setup(t)
	srv.Fail(authtest.RouteCreateSession, authtest.Fault{Delay: 200 * time.Millisecond, Times: 1})
	s, _ := newIBSSO(t, srv)

	ctx, cancel := context.WithCancel(context.Background())
	cancelled := make(chan error, 1)
	go func() {
		_, err := s.Authorization(ctx)
		cancelled <- err
	}()
	waitFor(t, func() bool { return srv.Count(authtest.RouteCreateSession) == 1 })
	patient := make(chan error, 1)
	go func() {
		_, err := s.Authorization(context.Background())
		patient <- err
	}()
	cancel()
	require.ErrorIs(t, recv(t, cancelled), context.Canceled)
	require.NoError(t, recv(t, patient))
	require.Equal(t, 1, srv.Count(authtest.RouteCreateSession))
}

func TestIBSSOEndpointDownThenUp(t *testing.T) {
	srv := setup(t)
	srv.Fail(authtest.RouteCreateSession, authtest.Fault{
		Status: http.StatusInternalServerError,
		Body:   `{"requestError":{"serviceException":{"messageId":"GENERAL_ERROR","text":"Something went wrong"}}}`,
	})
	s, ev := newIBSSO(t, srv)
	c := client(t, srv, s)

	_, err := c.Get(srv.URL + "/account/1/balance")
	var apiErr *auth.Error
	require.ErrorAs(t, err, &apiErr)
	require.Equal(t, http.StatusInternalServerError, apiErr.StatusCode)
	require.Equal(t, "E500", apiErr.Code)
	require.Equal(t, "create IBSSO session", apiErr.Op)

	// Callers arriving right after a failure get it again without a request.
	for range 20 {
		_, err = s.Authorization(context.Background())
		require.ErrorAs(t, err, &apiErr)
	}
	require.Equal(t, 1, srv.Count(authtest.RouteCreateSession))
	require.Equal(t, 0, srv.Count(authtest.RouteBalance))

	srv.ClearFaults()
	srv.Advance(time.Minute) // past the backoff
	require.Equal(t, http.StatusOK, getBalance(t, c, srv))
	require.Equal(t, 2, srv.Count(authtest.RouteCreateSession))
	require.Len(t, ev.reasons(), 2)
}

func TestIBSSOWrongPassword(t *testing.T) {
	srv := setup(t)
	const wrong = "not-the-password-42"
	s, ev := newIBSSO(t, srv, func(c *auth.IBSSOConfig) { c.Password = wrong })
	_, err := s.Authorization(context.Background())
	var apiErr *auth.Error
	require.ErrorAs(t, err, &apiErr)
	require.Equal(t, http.StatusUnauthorized, apiErr.StatusCode)
	require.Equal(t, "E401", apiErr.Code)
	require.NotContains(t, err.Error(), wrong)
	require.Len(t, ev.all, 1)
	require.ErrorAs(t, ev.all[0].Err, &apiErr)
}

func TestIBSSOHonoursRetryAfter(t *testing.T) {
	srv := setup(t)
	srv.Fail(authtest.RouteCreateSession, authtest.Fault{
		Status: http.StatusTooManyRequests,
		Header: http.Header{"Retry-After": {"7"}},
		Body:   `{"requestError":{"serviceException":{"messageId":"TOO_MANY_REQUESTS","text":"Too many requests"}}}`,
		Times:  1,
	})
	s, _ := newIBSSO(t, srv)
	_, err := s.Authorization(context.Background())
	var apiErr *auth.Error
	require.ErrorAs(t, err, &apiErr)
	require.Equal(t, "E429", apiErr.Code)
	require.Equal(t, 7*time.Second, apiErr.RetryAfter)

	srv.Advance(6 * time.Second)
	_, err = s.Authorization(context.Background())
	require.ErrorAs(t, err, &apiErr, "still inside Retry-After: no new request")
	require.Equal(t, 1, srv.Count(authtest.RouteCreateSession))

	srv.Advance(2 * time.Second)
	_, err = s.Authorization(context.Background())
	require.NoError(t, err)
	require.Equal(t, 2, srv.Count(authtest.RouteCreateSession))
}

func TestIBSSOCloseDestroysTheSession(t *testing.T) {
	srv := setup(t)
	s, _ := newIBSSO(t, srv)
	h, err := s.Authorization(context.Background())
	require.NoError(t, err)
	require.Equal(t, 1, srv.ActiveSessions())

	require.NoError(t, s.Close(context.Background()))
	require.Equal(t, 0, srv.ActiveSessions())
	require.Equal(t, 1, srv.Count(authtest.RouteDestroySession))
	require.Equal(t, h, srv.Requests(authtest.RouteDestroySession)[0].Header.Get("Authorization"))

	_, err = s.Authorization(context.Background())
	require.ErrorIs(t, err, auth.ErrClosed)
	require.ErrorIs(t, s.Renew(context.Background(), h), auth.ErrClosed)
	require.NoError(t, s.Close(context.Background()), "Close twice is fine")
	require.Equal(t, 1, srv.Count(authtest.RouteDestroySession))
}

func TestIBSSOCloseUnusedSendsNothing(t *testing.T) {
	srv := setup(t)
	s, _ := newIBSSO(t, srv)
	require.NoError(t, s.Close(context.Background()))
	require.Equal(t, 0, srv.Count(authtest.RouteDestroySession))
	require.Equal(t, 0, srv.Count(authtest.RouteCreateSession))
}

func TestIBSSOCloseDuringCreationDestroysTheNewSession(t *testing.T) {
	srv := setup(t)
	srv.Fail(authtest.RouteCreateSession, authtest.Fault{Delay: 100 * time.Millisecond, Times: 1})
	s, _ := newIBSSO(t, srv)
	got := make(chan error, 1)
	go func() {
		_, err := s.Authorization(context.Background())
		got <- err
	}()
	waitFor(t, func() bool { return srv.Count(authtest.RouteCreateSession) == 1 })
	require.NoError(t, s.Close(context.Background()))
	require.ErrorIs(t, recv(t, got), auth.ErrClosed)
	require.Equal(t, 0, srv.ActiveSessions())
	require.Equal(t, 1, srv.Count(authtest.RouteDestroySession))
}

func TestIBSSODoesNotFollowRedirectsWithThePassword(t *testing.T) {
	srv := setup(t)
	other := setup(t)
	srv.Fail(authtest.RouteCreateSession, authtest.Fault{
		Status: http.StatusTemporaryRedirect,
		Header: http.Header{"Location": {other.URL + "/auth/1/session"}},
	})
	s, _ := newIBSSO(t, srv)
	_, err := s.Authorization(context.Background())
	var apiErr *auth.Error
	require.ErrorAs(t, err, &apiErr)
	require.Equal(t, http.StatusTemporaryRedirect, apiErr.StatusCode)
	require.Equal(t, 0, other.Count(authtest.RouteCreateSession))
}

func TestNewIBSSORejectsBadConfig(t *testing.T) {
	const secret = "pa\nss-word-123"
	for name, cfg := range map[string]auth.IBSSOConfig{
		"no base URL":       {Username: "u", Password: "p"},
		"http base URL":     {BaseURL: "http://api.infobip.com", Username: "u", Password: "p"},
		"empty username":    {BaseURL: "https://api.infobip.com", Password: "p"},
		"empty password":    {BaseURL: "https://api.infobip.com", Username: "u"},
		"password with LF":  {BaseURL: "https://api.infobip.com", Username: "u", Password: secret},
		"negative idle":     {BaseURL: "https://api.infobip.com", Username: "u", Password: "p", IdleTimeout: -time.Second},
		"username with tab": {BaseURL: "https://api.infobip.com", Username: "u\tx", Password: "p"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := auth.NewIBSSO(cfg)
			require.Error(t, err)
			require.NotContains(t, err.Error(), "ss-word")
		})
	}
}

func TestIBSSOMalformedSessionResponse(t *testing.T) {
	for name, body := range map[string]string{
		"not JSON":    `<html>hi</html>`,
		"empty token": `{"token":""}`,
		"no token":    `{"session":"x"}`,
		"bad token":   `{"token":"abc\r\nX-Evil: 1"}`,
	} {
		t.Run(name, func(t *testing.T) {
			srv := setup(t)
			srv.Fail(authtest.RouteCreateSession, authtest.Fault{Status: http.StatusOK, Body: body, Times: 1})
			s, _ := newIBSSO(t, srv)
			_, err := s.Authorization(context.Background())
			require.ErrorContains(t, err, "create IBSSO session")
			require.False(t, errors.Is(err, context.Canceled))
		})
	}
}

// TestIBSSOCreateNeverShowsTheToken: Infobip documents only 200 for session
// create. Any other 2xx with a token is a session; an answer that is not
// one never shows the token it may carry.
func TestIBSSOCreateNeverShowsTheToken(t *testing.T) {
	const token = "5e55i0n-70ken-leak-pr0be-e4c0ffee"
	create := func(t *testing.T, srv *authtest.Server) (string, error) {
		s, err := auth.NewIBSSO(auth.IBSSOConfig{BaseURL: srv.URL, Username: authtest.Username, Password: authtest.Password, Now: srv.Now})
		require.NoError(t, err)
		t.Cleanup(func() { s.Close(context.Background()) })
		return s.Authorization(context.Background())
	}
	for _, status := range []int{http.StatusCreated, http.StatusAccepted, http.StatusNonAuthoritativeInfo} {
		t.Run(fmt.Sprintf("%d with a token", status), func(t *testing.T) {
			srv := setup(t)
			srv.Fail(authtest.RouteCreateSession, authtest.Fault{Status: status, Body: `{"token":"` + token + `"}`, Times: 1})
			h, err := create(t, srv)
			require.NoError(t, err)
			require.Equal(t, "IBSSO "+token, h)
		})
	}
	for _, tc := range []struct {
		status int
		body   string
	}{
		{http.StatusNoContent, ""},
		{http.StatusAccepted, `{"token":""}`},
		{http.StatusCreated, `{"token":"` + token + ` x"}`},
		{http.StatusCreated, `{"token":"` + token + `","unsafe":`},
		{http.StatusMultipleChoices, `{"token":"` + token + `"}`},
		{http.StatusFound, `{"token":"` + token + `"}`},
		{http.StatusBadRequest, `{"errorCode":"E400","description":"already have ` + token + `","token":"` + token + `"}`},
		{http.StatusInternalServerError, `{"token":"` + token + `","detail":"` + base64.StdEncoding.EncodeToString([]byte("IBSSO "+token)) + `"}`},
	} {
		t.Run(fmt.Sprintf("%d %.20s", tc.status, tc.body), func(t *testing.T) {
			srv := setup(t)
			srv.Fail(authtest.RouteCreateSession, authtest.Fault{Status: tc.status, Body: tc.body, Times: 1})
			h, err := create(t, srv)
			require.Empty(t, h)
			requireNoSecret(t, err, token)
		})
	}
}

// A session created after Close gave up waiting is destroyed all the same.
func TestIBSSOSessionLandingAfterCloseIsDestroyed(t *testing.T) {
	srv := setup(t)
	srv.Fail(authtest.RouteCreateSession, authtest.Fault{Delay: 300 * time.Millisecond, Times: 1})
	s, _ := newIBSSO(t, srv)
	got := make(chan error, 1)
	go func() { _, err := s.Authorization(context.Background()); got <- err }()
	waitFor(t, func() bool { return srv.Count(authtest.RouteCreateSession) == 1 })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, s.Close(ctx), context.DeadlineExceeded)
	require.ErrorIs(t, recv(t, got), auth.ErrClosed)
	waitFor(t, func() bool { return srv.Count(authtest.RouteDestroySession) == 1 })
	require.Equal(t, 0, srv.ActiveSessions())
}

// An idle replacement whose create fails has already destroyed the old
// session: Close does not destroy it again.
func TestIBSSOFailedIdleReplacementThenClose(t *testing.T) {
	srv := setup(t)
	s, _ := newIBSSO(t, srv)
	_, err := s.Authorization(context.Background())
	require.NoError(t, err)
	srv.Advance(59 * time.Minute)
	srv.Fail(authtest.RouteCreateSession, authtest.Fault{Status: 500, Times: 1})
	_, err = s.Authorization(context.Background())
	require.Error(t, err)
	require.Equal(t, 1, srv.Count(authtest.RouteDestroySession))
	require.NoError(t, s.Close(context.Background()))
	require.Equal(t, 1, srv.Count(authtest.RouteDestroySession), "the dead session is not destroyed twice")
}

// Close sends at most FetchTimeout's worth of DELETE, whatever ctx allows.
func TestIBSSOCloseIsBoundedByFetchTimeout(t *testing.T) {
	srv := setup(t)
	s, _ := newIBSSO(t, srv, func(c *auth.IBSSOConfig) { c.FetchTimeout = 100 * time.Millisecond })
	_, err := s.Authorization(context.Background())
	require.NoError(t, err)
	srv.Fail(authtest.RouteDestroySession, authtest.Fault{Hang: true})
	done := make(chan error, 1)
	go func() { done <- s.Close(context.Background()) }()
	err = recv(t, done)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.ErrorContains(t, err, "auth: destroy IBSSO session: ")
}

// An endpoint the user may not call answers 401 to a live session: each
// renewal destroys the rejected session before making the next, so none
// is left behind.
func TestIBSSORenewalDestroysTheRejectedSession(t *testing.T) {
	srv := setup(t)
	srv.HandleFunc("GET /forbidden/1/thing", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"requestError":{"serviceException":{"messageId":"UNAUTHORIZED","text":"Invalid login details"}}}`)
	})
	s, _ := newIBSSO(t, srv)
	c := client(t, srv, s)
	for range 10 {
		resp, err := c.Get(srv.URL + "/forbidden/1/thing")
		require.NoError(t, err)
		readAll(t, resp)
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
		require.Equal(t, 1, srv.ActiveSessions())
	}
	require.Equal(t, 11, srv.Count(authtest.RouteCreateSession))
	require.NoError(t, s.Close(context.Background()))
	require.Equal(t, 0, srv.ActiveSessions(), "no session is left alive")
}

// Close while an idle replacement is failing: the replacement has
// destroyed the old session, and Close does not send a second DELETE for it.
func TestIBSSOCloseDuringAFailingIdleReplacement(t *testing.T) {
	srv := setup(t)
	s, _ := newIBSSO(t, srv, func(c *auth.IBSSOConfig) { c.FetchTimeout = 200 * time.Millisecond })
	_, err := s.Authorization(context.Background())
	require.NoError(t, err)
	srv.Advance(59 * time.Minute)
	srv.Fail(authtest.RouteCreateSession, authtest.Fault{Hang: true, Times: 1})
	got := make(chan error, 1)
	go func() { _, err := s.Authorization(context.Background()); got <- err }()
	waitFor(t, func() bool { return srv.Count(authtest.RouteCreateSession) == 2 })
	require.NoError(t, s.Close(context.Background()))
	require.Error(t, recv(t, got))
	require.Equal(t, 1, srv.Count(authtest.RouteDestroySession))
}

// Infobip's older docs answer DELETE /auth/1/session with 204: any 2xx is
// success.
func TestIBSSODestroyAcceptsAny2xx(t *testing.T) {
	for _, status := range []int{http.StatusOK, http.StatusAccepted, http.StatusNoContent} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			srv := setup(t)
			s, _ := newIBSSO(t, srv)
			_, err := s.Authorization(context.Background())
			require.NoError(t, err)
			srv.Fail(authtest.RouteDestroySession, authtest.Fault{Status: status})
			require.NoError(t, s.Close(context.Background()))
		})
	}
}
