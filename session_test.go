package auth_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ibkit/auth"
	"github.com/ibkit/auth/authtest"
	"github.com/ibkit/auth/internal/testkit"
)

func TestLoginKeepsOnlyTheToken(t *testing.T) {
	srv := setup(t)
	s := login(t, srv, authtest.Username, authtest.Password)
	h, err := s.Authorization(context.Background())
	require.NoError(t, err)
	require.Equal(t, "IBSSO "+s.Token(), h)
	require.Equal(t, 1, srv.ActiveSessionsOf(authtest.Username))
	create := srv.Requests(authtest.RouteCreateSession)
	require.Len(t, create, 1)
	require.JSONEq(t, `{"username":"aladdin","password":"open-sesame-7"}`, string(create[0].Body))
	require.Empty(t, create[0].Header.Get("Authorization"))

	requireNotReachable(t, s, authtest.Password)
	for _, out := range []string{fmt.Sprint(s), fmt.Sprintf("%+v %#v %v", s, s, *s)} {
		require.NotContains(t, out, s.Token())
	}
}

func TestSessionIdlesOutAndNeverLogsInAgain(t *testing.T) {
	srv := setup(t)
	s := login(t, srv, authtest.Username, authtest.Password)
	c, err := auth.NewClient(srv.URL, nil, nil)
	require.NoError(t, err)
	for range 3 {
		srv.Advance(50 * time.Minute) // used within the limit: it slides
		resp, err := balanceAs(t, c, srv, s)
		require.NoError(t, err)
		readAll(t, resp)
		require.Equal(t, http.StatusOK, resp.StatusCode)
	}
	srv.Advance(59 * time.Minute) // the limit less the 2-minute margin
	_, err = s.Authorization(context.Background())
	require.ErrorIs(t, err, auth.ErrSessionExpired)
	require.ErrorContains(t, err, "auth: IBSSO session expired: unused")
	_, err = balanceAs(t, c, srv, s)
	require.ErrorIs(t, err, auth.ErrSessionExpired)
	require.Equal(t, 1, srv.Count(authtest.RouteCreateSession), "never logs in again")
	require.Equal(t, 3, srv.Count(authtest.RouteBalance))
}

func TestSessionRejectedByInfobipExpires(t *testing.T) {
	srv := setup(t)
	s := login(t, srv, authtest.Username, authtest.Password)
	c, err := auth.NewClient(srv.URL, nil, nil)
	require.NoError(t, err)
	srv.Revoke(s.Token())
	_, err = balanceAs(t, c, srv, s)
	require.ErrorIs(t, err, auth.ErrSessionExpired)
	require.ErrorContains(t, err, "Infobip rejected it")
	_, err = s.Authorization(context.Background())
	require.ErrorIs(t, err, auth.ErrSessionExpired)
	require.Equal(t, 1, srv.Count(authtest.RouteBalance), "no retry")
	require.Equal(t, 1, srv.Count(authtest.RouteCreateSession))

	// The rejection of one session changes no other.
	other := login(t, srv, authtest.Username, authtest.Password)
	resp, err := balanceAs(t, c, srv, other)
	require.NoError(t, err)
	readAll(t, resp)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	_, err = other.Authorization(context.Background())
	require.NoError(t, err)
}

func TestSessionLogout(t *testing.T) {
	srv := setup(t)
	s := login(t, srv, authtest.Username, authtest.Password)
	require.NoError(t, s.Logout(context.Background()))
	require.Equal(t, 0, srv.ActiveSessions())
	require.Equal(t, "IBSSO "+s.Token(), lastAuthorization(t, srv, authtest.RouteDestroySession))
	_, err := s.Authorization(context.Background())
	require.ErrorIs(t, err, auth.ErrSessionExpired)
	require.ErrorContains(t, err, "logged out")
	require.NoError(t, s.Logout(context.Background()), "idempotent")
	require.Equal(t, 1, srv.Count(authtest.RouteDestroySession))
}

func TestSessionLogoutFailureCanBeRetried(t *testing.T) {
	srv := setup(t)
	s := login(t, srv, authtest.Username, authtest.Password)
	srv.Fail(authtest.RouteDestroySession, authtest.Fault{Status: http.StatusInternalServerError, Times: 1})
	err := s.Logout(context.Background())
	var apiErr *auth.Error
	require.ErrorAs(t, err, &apiErr)
	require.Equal(t, http.StatusInternalServerError, apiErr.StatusCode)
	_, err = s.Authorization(context.Background())
	require.ErrorIs(t, err, auth.ErrSessionExpired, "the user asked to leave")
	require.NoError(t, s.Logout(context.Background()))
	require.Equal(t, 0, srv.ActiveSessions())
	require.Equal(t, 2, srv.Count(authtest.RouteDestroySession))
}

// A session Infobip has ended already (idle) logs out without error: the
// DELETE is sent all the same, with the session's header, and Infobip's
// 401 for a session it no longer knows counts as done.
func TestSessionLogoutAfterIdle(t *testing.T) {
	srv := setup(t)
	s := login(t, srv, authtest.Username, authtest.Password)
	srv.Advance(2 * time.Hour)
	require.Zero(t, srv.ActiveSessions(), "Infobip ended the session")
	require.NoError(t, s.Logout(context.Background()))
	require.Equal(t, 1, srv.Count(authtest.RouteDestroySession))
	require.Equal(t, "IBSSO "+s.Token(), lastAuthorization(t, srv, authtest.RouteDestroySession))
	_, err := s.Authorization(context.Background())
	require.ErrorContains(t, err, "logged out")
	require.NoError(t, s.Logout(context.Background()), "done once, done for good")
	require.Equal(t, 1, srv.Count(authtest.RouteDestroySession))
}

func TestResumeSession(t *testing.T) {
	srv := setup(t)
	first := login(t, srv, authtest.Username, authtest.Password)
	stored := first.Token()

	s, err := auth.ResumeSession(loginConfig(srv), stored)
	require.NoError(t, err)
	c, err := auth.NewClient(srv.URL, nil, nil)
	require.NoError(t, err)
	resp, err := balanceAs(t, c, srv, s)
	require.NoError(t, err)
	readAll(t, resp)
	require.Equal(t, http.StatusOK, resp.StatusCode)

	// Resumed again, last use unknown: sent as is, and the 401 tells.
	srv.Advance(2 * time.Hour)
	s, err = auth.ResumeSession(loginConfig(srv), "IBSSO "+stored)
	require.NoError(t, err)
	_, err = balanceAs(t, c, srv, s)
	require.ErrorIs(t, err, auth.ErrSessionExpired)
	require.Equal(t, 1, srv.Count(authtest.RouteCreateSession))

	_, err = auth.ResumeSession(loginConfig(srv), "bad token\n")
	require.ErrorContains(t, err, "auth: ResumeSession: session token contains")
	require.NotContains(t, err.Error(), "bad token")
}

// Refusals are *auth.Error values a login page can show.
func TestLoginRefusals(t *testing.T) {
	srv := setup(t)
	_, err := auth.Login(context.Background(), loginConfig(srv), authtest.Username, "wrong-password")
	var apiErr *auth.Error
	require.ErrorAs(t, err, &apiErr)
	require.Equal(t, http.StatusUnauthorized, apiErr.StatusCode)
	require.Equal(t, "E401", apiErr.Code)
	require.NotEmpty(t, apiErr.Description)
	require.NotContains(t, err.Error(), "wrong-password")

	srv.Fail(authtest.RouteCreateSession, authtest.Fault{Status: http.StatusTooManyRequests, Times: 1,
		Body: `{"requestError":{"serviceException":{"messageId":"TOO_MANY_REQUESTS","text":"Too many requests"}}}`})
	_, err = auth.Login(context.Background(), loginConfig(srv), authtest.Username, authtest.Password)
	require.ErrorAs(t, err, &apiErr)
	require.Equal(t, "E429", apiErr.Code)

	for _, tc := range []struct{ user, password, want string }{
		{"", "x-password", "auth: Login: username is empty"},
		{"a:b\n", "x-password", "auth: Login: username contains a control character"},
		{"alice", "", "auth: Login: password is empty"},
	} {
		_, err := auth.Login(context.Background(), loginConfig(srv), tc.user, tc.password)
		require.ErrorContains(t, err, tc.want)
	}
	_, err = auth.Login(context.Background(), auth.LoginConfig{BaseURL: "http://example.com"}, "u", "p-password")
	require.ErrorContains(t, err, "auth: Login: base URL")
}

// One client, 1,000 users at once, each with their own session: every
// request carries its own user's session and nobody else's.
func TestOneClientManyUsers(t *testing.T) {
	srv := setup(t)
	const users = 1000
	sessions := make([]*auth.Session, users)
	for i := range sessions {
		name := "user" + strconv.Itoa(i)
		srv.AddUser(name, name+"-password")
		sessions[i] = login(t, srv, name, name+"-password")
	}
	base := httpBase(t)
	c, err := auth.NewClient(srv.URL, nil, &http.Client{Transport: base})
	require.NoError(t, err)
	var wg sync.WaitGroup
	errs := make(chan error, users)
	for i, s := range sessions {
		wg.Go(func() {
			for range 3 {
				req, err := http.NewRequestWithContext(auth.WithAuthenticator(context.Background(), s), http.MethodGet, srv.URL+"/account/1/balance", nil)
				if err != nil {
					errs <- err
					return
				}
				req.Header.Set("X-User", strconv.Itoa(i))
				resp, err := c.Do(req)
				if err != nil {
					errs <- err
					return
				}
				readAll(t, resp)
				if resp.StatusCode != http.StatusOK {
					errs <- errors.New(resp.Status)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	got := srv.Requests(authtest.RouteBalance)
	require.Len(t, got, 3*users)
	for _, r := range got {
		i, err := strconv.Atoi(r.Header.Get("X-User"))
		require.NoError(t, err)
		require.Equal(t, "IBSSO "+sessions[i].Token(), r.Header.Get("Authorization"))
	}
	for i := range 3 {
		require.Equal(t, 1, srv.ActiveSessionsOf("user"+strconv.Itoa(i)))
		require.Equal(t, 1, srv.Logins("user"+strconv.Itoa(i)))
	}
}

// A 401 on a body that cannot be replayed is returned as it is, and the
// Session learns it was rejected all the same.
func TestSession401OnAnUnreplayableBodyExpiresIt(t *testing.T) {
	srv := authtest.NewServer()
	defer srv.Close()
	s, err := auth.Login(context.Background(), auth.LoginConfig{BaseURL: srv.URL, Now: srv.Now}, authtest.Username, authtest.Password)
	if err != nil {
		t.Fatal(err)
	}
	srv.Revoke(s.Token())
	c, _ := auth.NewClient(srv.URL, nil, nil)
	req, _ := http.NewRequestWithContext(auth.WithAuthenticator(context.Background(), s), "POST", srv.URL+"/sms/3/messages", io.NopCloser(strings.NewReader(`{}`)))
	resp, err := c.Do(req)
	if err == nil {
		t.Logf("status %d", resp.StatusCode)
		resp.Body.Close()
	}
	if _, err := s.Authorization(context.Background()); !errors.Is(err, auth.ErrSessionExpired) {
		t.Errorf("after a 401 from Infobip the Session is still live (err=%v)", err)
	}
}

// The Sessions of one LoginConfig share its settings (base URL, client,
// clock, limits, logger): a live Session holds its token and its state,
// and a pointer to those.
func TestSessionsOfOneLoginConfigShareTheirSettings(t *testing.T) {
	const n = 2000
	cfg := auth.LoginConfig{BaseURL: "https://api.infobip.com", HTTPClient: &http.Client{}, Logger: slog.Default()}
	c, err := measureSessions(n, resumeFake(cfg, n))
	require.NoError(t, err)
	t.Logf("%.0f bytes per live session", c.live)
	require.Less(t, c.live, 128.0, "bytes per live session")
}

// Settings are shared only between equal LoginConfigs, and go with their
// last Session: LoginConfigs made per request (a logger per request, say)
// leave nothing behind.
func TestSessionSettingsGoWithTheirSessions(t *testing.T) {
	a := setup(t)
	b := setup(t)
	sa, err := auth.ResumeSession(auth.LoginConfig{BaseURL: a.URL}, "token-of-a")
	require.NoError(t, err)
	sb, err := auth.ResumeSession(auth.LoginConfig{BaseURL: b.URL}, "token-of-b")
	require.NoError(t, err)
	_, err = auth.NewTransport(b.URL, sb, nil)
	require.NoError(t, err)
	_, err = auth.NewTransport(b.URL, sa, nil)
	require.ErrorContains(t, err, "is not the authenticator's ("+a.URL+")")

	before := auth.SharedSettings()
	sessions := make([]*auth.Session, 100)
	for i := range sessions {
		cfg := auth.LoginConfig{BaseURL: a.URL, Logger: slog.New(slog.DiscardHandler)}
		sessions[i], err = auth.ResumeSession(cfg, fakeToken(i))
		require.NoError(t, err)
	}
	require.Equal(t, before+len(sessions), auth.SharedSettings())
	runtime.KeepAlive(sessions)
	sessions = nil
	// Cleanups run after a collection, on a goroutine of their own.
	for i := 0; auth.SharedSettings() > before && i < 1000; i++ {
		runtime.GC()
		time.Sleep(time.Millisecond)
	}
	require.Equal(t, before, auth.SharedSettings())
	runtime.KeepAlive(sa)
	runtime.KeepAlive(sb)
}

// TestSessionIsCheap holds a Session to its budget: under 1 KiB of heap
// and no goroutine, however many are alive.
func TestSessionIsCheap(t *testing.T) {
	const n = 2000
	c, err := measureSessions(n, resumeFake(auth.LoginConfig{BaseURL: "https://api.infobip.com"}, n))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%.0f bytes per live session, %d goroutines for 2,000", c.live, c.goroutines)
	if c.live >= 1024 {
		t.Errorf("a live Session retains %.0f bytes, want under 1 KiB", c.live)
	}
	if c.goroutines > 0 {
		t.Errorf("2,000 sessions started %d goroutines, want none", c.goroutines)
	}
}

// requireNotReachable fails if secret is among the values reachable from v.
func requireNotReachable(t *testing.T, v any, secret string) {
	t.Helper()
	if path, ok := testkit.FindReachable(v, secret); ok {
		t.Fatalf("the secret is reachable at %s", path)
	}
}
