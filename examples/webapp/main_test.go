package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/ibkit/auth/authtest"
	"github.com/ibkit/auth/internal/testkit"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The two demo users of every fixture, with balances of their own.
var (
	aladdin = demoAccounts[0]
	jasmine = demoAccounts[1]
)

// fixture is the app under test, served on loopback in front of a fake
// Infobip server that shares its clock.
type fixture struct {
	srv  *authtest.Server
	app  *app
	url  string
	logs *testkit.SyncBuffer // everything the app logged, debug level up
	rec  *recorder           // every response any browser of the fixture received
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	srv := authtest.NewServer()
	t.Cleanup(srv.Close)
	for _, u := range demoAccounts {
		srv.AddUser(u.username, u.password)
		srv.SetBalance(u.username, u.balance)
	}
	logs := &testkit.SyncBuffer{}
	a, err := newApp(config{
		BaseURL: srv.URL,
		Now:     srv.Now,
		Logger:  slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	require.NoError(t, err)
	t.Cleanup(a.close)
	hs := httptest.NewServer(a)
	t.Cleanup(hs.Close)
	rec := &recorder{rt: &http.Transport{}}
	t.Cleanup(rec.CloseIdleConnections)
	return &fixture{srv: srv, app: a, url: hs.URL, logs: logs, rec: rec}
}

// browser returns a new browser, with a cookie jar of its own, whose
// responses f records.
func (f *fixture) browser() *browser { return newBrowser(f.rec) }

// signIn signs u in with b and requires the balance page.
func (f *fixture) signIn(t *testing.T, b *browser, u account) page {
	t.Helper()
	p, err := b.signIn(t.Context(), f.url, u.username, u.password)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, p.status, p.body)
	require.Equal(t, "/balance", p.path)
	return p
}

func (f *fixture) get(t *testing.T, b *browser, path string) page {
	t.Helper()
	p, err := b.get(t.Context(), f.url+path)
	require.NoError(t, err)
	return p
}

func (f *fixture) post(t *testing.T, b *browser, path string, form url.Values) page {
	t.Helper()
	p, err := b.post(t.Context(), f.url+path, form)
	require.NoError(t, err)
	return p
}

// token returns the IBSSO token the store holds for username.
func (f *fixture) token(t *testing.T, username string) string {
	t.Helper()
	f.app.store.mu.Lock()
	defer f.app.store.mu.Unlock()
	for _, e := range f.app.store.entries {
		if e.username == username {
			return e.session.Token()
		}
	}
	t.Fatalf("no session for %s in the store", username)
	return ""
}

func requireBalancePage(t *testing.T, p page, u account) {
	t.Helper()
	require.Equal(t, http.StatusOK, p.status, p.body)
	require.Equal(t, "/balance", p.path)
	require.Equal(t, strconv.FormatFloat(u.balance, 'f', 2, 64)+" EUR", find(balanceOut, p.body))
	require.Contains(t, p.body, "Hello, "+u.username)
}

func requireLoginPage(t *testing.T, p page, query, notice string) {
	t.Helper()
	require.Equal(t, http.StatusOK, p.status, p.body)
	require.Equal(t, "/login"+query, p.path)
	require.Contains(t, p.body, `<form method="post" action="/login">`)
	if notice != "" {
		require.Contains(t, p.body, notice)
	}
}

// TestSelfCheck is what CI runs: go run ./examples/webapp, offline.
func TestSelfCheck(t *testing.T) {
	var out, errs bytes.Buffer
	require.NoError(t, run(t.Context(), nil, noEnv, &out, &errs), errs.String())
	require.Contains(t, out.String(), "aladdin: signed in, saw balance 1234.50 EUR, signed out\n")
	require.Contains(t, out.String(), "jasmine: signed in, saw balance 87.25 EUR, signed out\n")
	require.Contains(t, out.String(), "self-check passed\n")
	require.Empty(t, errs.String(), "no warnings")
}

func noEnv(string) string { return "" }

func envOf(vars map[string]string) func(string) string {
	return func(name string) string { return vars[name] }
}

// With IB_BASE_URL the self-check signs in to that API as IB_USERNAME.
func TestSelfCheckAgainstAPI(t *testing.T) {
	srv := authtest.NewServer()
	defer srv.Close()
	var out, errs bytes.Buffer
	env := envOf(map[string]string{"IB_BASE_URL": srv.URL, "IB_USERNAME": authtest.Username, "IB_PASSWORD": authtest.Password})
	require.NoError(t, run(t.Context(), nil, env, &out, &errs), errs.String())
	require.Contains(t, out.String(), "aladdin: signed in, saw balance 42.50 EUR, signed out\n")
	require.Equal(t, 1, srv.Logins(authtest.Username))
	require.Equal(t, 0, srv.ActiveSessions())

	err := run(t.Context(), nil, envOf(map[string]string{"IB_BASE_URL": srv.URL}), &out, &errs)
	require.ErrorContains(t, err, "set both, or pass -serve")

	env = envOf(map[string]string{"IB_BASE_URL": srv.URL, "IB_USERNAME": authtest.Username, "IB_PASSWORD": "wrong-password"})
	err = run(t.Context(), nil, env, &out, &errs)
	require.ErrorContains(t, err, "aladdin: sign-in: ended on /login with status 401")
	require.NotContains(t, err.Error()+errs.String(), "wrong-password")
}

// -addr serves until the context ends, then logs out whoever is still
// signed in.
func TestServe(t *testing.T) {
	srv := authtest.NewServer()
	defer srv.Close()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := run(ctx, []string{"-addr", "127.0.0.1:0"}, envOf(map[string]string{"IB_BASE_URL": srv.URL}), pw, io.Discard)
		pw.Close()
		done <- err
	}()
	var appURL string
	lines := bufio.NewScanner(pr)
	for appURL == "" && lines.Scan() {
		if u, ok := strings.CutPrefix(lines.Text(), "Open "); ok {
			appURL = strings.TrimSuffix(u, "/ in a browser.")
		}
	}
	drained := make(chan struct{})
	go func() { io.Copy(io.Discard, pr); close(drained) }()
	require.True(t, strings.HasPrefix(appURL, "http://127.0.0.1:"), appURL)

	b := newBrowser(nil)
	defer b.close()
	p, err := b.signIn(t.Context(), appURL, authtest.Username, authtest.Password)
	require.NoError(t, err)
	requireBalancePage(t, p, account{authtest.Username, "", 42.5})
	require.Equal(t, 1, srv.ActiveSessionsOf(authtest.Username))

	cancel()
	require.NoError(t, <-done)
	<-drained
	require.Equal(t, 0, srv.ActiveSessionsOf(authtest.Username), "stopping logs everyone out")
	require.Equal(t, 1, srv.Count(authtest.RouteDestroySession))
}

func TestFlags(t *testing.T) {
	var errs bytes.Buffer
	require.ErrorContains(t, run(t.Context(), []string{"extra"}, noEnv, io.Discard, &errs), `unexpected argument "extra"`)
	require.Error(t, run(t.Context(), []string{"-bogus"}, noEnv, io.Discard, &errs))
	require.Contains(t, errs.String(), "-serve")
}

// Two users signed in at once through one app (one client to Infobip):
// each sees their own balance, and only theirs.
func TestTwoUsersAtOnce(t *testing.T) {
	f := newFixture(t)
	users := map[*browser]account{f.browser(): aladdin, f.browser(): jasmine}
	for b, u := range users {
		requireBalancePage(t, f.signIn(t, b, u), u)
	}
	require.Equal(t, 2, f.app.store.len())
	require.NotEqual(t, f.token(t, aladdin.username), f.token(t, jasmine.username))

	var wg sync.WaitGroup
	pages := make(chan [2]any, 20)
	for b, u := range users {
		for range 5 {
			wg.Go(func() {
				p, err := b.get(t.Context(), f.url+"/balance")
				if err != nil {
					p.body = err.Error()
				}
				pages <- [2]any{u, p}
			})
		}
	}
	wg.Wait()
	close(pages)
	for up := range pages {
		u, p := up[0].(account), up[1].(page)
		requireBalancePage(t, p, u)
		for _, other := range demoAccounts {
			if other != u {
				require.NotContains(t, p.body, other.username)
				require.NotContains(t, p.body, strconv.FormatFloat(other.balance, 'f', 2, 64))
			}
		}
	}
	// Every call to Infobip carried the session of one of the two, and
	// nobody was signed in twice.
	tokens := map[string]bool{"IBSSO " + f.token(t, aladdin.username): true, "IBSSO " + f.token(t, jasmine.username): true}
	calls := f.srv.Requests(authtest.RouteBalance)
	require.Len(t, calls, 12)
	for _, r := range calls {
		require.True(t, tokens[r.Header.Get("Authorization")])
	}
	for _, u := range demoAccounts {
		require.Equal(t, 1, f.srv.Logins(u.username))
		require.Equal(t, 1, f.srv.ActiveSessionsOf(u.username))
	}
}

// Signing out destroys the session at Infobip and in the store; the old
// cookie, replayed, gets nothing.
func TestSignOut(t *testing.T) {
	f := newFixture(t)
	b, other := f.browser(), f.browser()
	p := f.signIn(t, b, aladdin)
	f.signIn(t, other, jasmine)
	sid := cookieValue(t, b, f.url, sessionCookie)

	p = f.post(t, b, "/logout", url.Values{"csrf": {find(csrfField, p.body)}})
	requireLoginPage(t, p, "?m=signedout", "You have signed out.")
	require.Equal(t, 0, f.srv.ActiveSessionsOf(aladdin.username))
	require.Equal(t, 1, f.srv.ActiveSessionsOf(jasmine.username), "the other user stays signed in")
	require.Equal(t, 1, f.app.store.len())
	require.Empty(t, cookieValue(t, b, f.url, sessionCookie), "the cookie is deleted")

	requireLoginPage(t, f.get(t, b, "/balance"), "", "")
	calls := f.srv.Count(authtest.RouteBalance)
	replay := newBrowser(f.rec)
	u, err := url.Parse(f.url)
	require.NoError(t, err)
	replay.c.Jar.SetCookies(u, []*http.Cookie{{Name: sessionCookie, Value: sid}})
	requireLoginPage(t, f.get(t, replay, "/balance"), "?m=expired", "Your session has ended")
	require.Equal(t, calls, f.srv.Count(authtest.RouteBalance), "nothing sent to Infobip for a dead session")
}

func cookieValue(t *testing.T, b *browser, rawURL, name string) string {
	t.Helper()
	u, err := url.Parse(rawURL)
	require.NoError(t, err)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// A session unused for longer than Infobip's idle limit sends its user back
// to the sign-in page, with a message, and is never used again.
func TestIdleSessionBackToSignIn(t *testing.T) {
	f := newFixture(t)
	b := f.browser()
	f.signIn(t, b, aladdin)
	for range 2 {
		f.srv.Advance(50 * time.Minute) // used within the limit: it slides
		requireBalancePage(t, f.get(t, b, "/balance"), aladdin)
	}
	calls := f.srv.Count(authtest.RouteBalance)
	f.srv.Advance(61 * time.Minute)
	requireLoginPage(t, f.get(t, b, "/balance"), "?m=expired", "Your session has ended. Please sign in again.")
	require.Equal(t, calls, f.srv.Count(authtest.RouteBalance), "the expired session is not sent")
	require.Equal(t, 0, f.app.store.len())
	require.Equal(t, 1, f.srv.Logins(aladdin.username), "the app never signs in by itself")
	require.Contains(t, f.logs.String(), "session expired")

	f.signIn(t, b, aladdin) // and the user can sign in again
}

// A session Infobip rejects (401) ends the same way.
func TestRejectedSessionBackToSignIn(t *testing.T) {
	f := newFixture(t)
	b := f.browser()
	f.signIn(t, b, aladdin)
	f.srv.Revoke(f.token(t, aladdin.username))
	requireLoginPage(t, f.get(t, b, "/balance"), "?m=expired", "Your session has ended.")
	require.Equal(t, 0, f.app.store.len())
	require.Equal(t, 1, f.srv.Logins(aladdin.username))
}

// Entries nobody uses are swept from the store after the idle limit.
func TestStoreSweepsAbandonedSessions(t *testing.T) {
	f := newFixture(t)
	f.signIn(t, f.browser(), aladdin)
	f.srv.Advance(61 * time.Minute)
	f.signIn(t, f.browser(), jasmine)
	require.Equal(t, 1, f.app.store.len())
}

// Every POST form needs its token: a request without it, or with a wrong
// one, is refused with 403 and changes nothing.
func TestCSRF(t *testing.T) {
	f := newFixture(t)
	creds := url.Values{"username": {aladdin.username}, "password": {aladdin.password}}
	with := func(token string) url.Values {
		v := url.Values{"csrf": {token}}
		for k, vs := range creds {
			v[k] = vs
		}
		return v
	}

	// Sign-in: no pre-session cookie at all (a forged cross-site form).
	b := f.browser()
	requireForbidden(t, f.post(t, b, "/login", creds))
	requireForbidden(t, f.post(t, b, "/login", with("")))

	// With the pre-session cookie: no token, a wrong one, another
	// browser's.
	form := f.get(t, b, "/login")
	mine := find(csrfField, form.body)
	require.NotEmpty(t, mine)
	requireForbidden(t, f.post(t, b, "/login", creds))
	requireForbidden(t, f.post(t, b, "/login", with(tamper(mine))))
	theirs := find(csrfField, f.get(t, f.browser(), "/login").body)
	require.NotEqual(t, mine, theirs)
	requireForbidden(t, f.post(t, b, "/login", with(theirs)))
	require.Equal(t, 0, f.srv.Logins(aladdin.username), "no sign-in was attempted")
	require.Equal(t, 0, f.app.store.len())

	// The right token passes (so the refusals above are the check's).
	requireBalancePage(t, f.post(t, b, "/login", with(mine)), aladdin)

	// Sign-out: no token, a wrong one, another user's.
	other := f.browser()
	otherPage := f.signIn(t, other, jasmine)
	requireForbidden(t, f.post(t, b, "/logout", nil))
	requireForbidden(t, f.post(t, b, "/logout", url.Values{"csrf": {"wrong"}}))
	requireForbidden(t, f.post(t, b, "/logout", url.Values{"csrf": {find(csrfField, otherPage.body)}}))
	require.Equal(t, 1, f.srv.ActiveSessionsOf(aladdin.username), "still signed in")
	requireBalancePage(t, f.get(t, b, "/balance"), aladdin)

	// Sign-out only by POST.
	p := f.get(t, b, "/logout")
	require.Equal(t, http.StatusMethodNotAllowed, p.status)
	require.Equal(t, 1, f.srv.ActiveSessionsOf(aladdin.username))
	require.Contains(t, f.logs.String(), "CSRF check failed")
}

// tamper changes the last character of s.
func tamper(s string) string {
	last := byte('A')
	if s[len(s)-1] == last {
		last = 'B'
	}
	return s[:len(s)-1] + string(last)
}

func requireForbidden(t *testing.T, p page) {
	t.Helper()
	require.Equal(t, http.StatusForbidden, p.status, p.body)
	require.Contains(t, p.body, "This form has expired or did not come from this site.")
}

// A wrong password shows the form again, with Infobip's reason and the
// username, never the password.
func TestWrongPassword(t *testing.T) {
	f := newFixture(t)
	b := f.browser()
	p, err := b.signIn(t.Context(), f.url, aladdin.username, "wrong-password-1")
	require.NoError(t, err)
	require.Equal(t, http.StatusUnauthorized, p.status)
	require.Equal(t, "/login", p.path)
	require.Contains(t, p.body, "Infobip refused the sign-in: Invalid login details")
	require.Contains(t, p.body, `value="aladdin"`)
	require.NotContains(t, p.body, "wrong-password-1")
	require.Equal(t, 0, f.app.store.len())
	require.Empty(t, cookieValue(t, b, f.url, sessionCookie))

	// The form shown again carries a working token.
	p = f.post(t, b, "/login", url.Values{"csrf": {find(csrfField, p.body)}, "username": {aladdin.username}, "password": {aladdin.password}})
	requireBalancePage(t, p, aladdin)

	p = f.post(t, f.browser(), "/login", nil)
	require.Equal(t, http.StatusForbidden, p.status)
	b = f.browser()
	token := find(csrfField, f.get(t, b, "/login").body)
	p = f.post(t, b, "/login", url.Values{"csrf": {token}, "username": {" "}, "password": {"x"}})
	require.Equal(t, http.StatusBadRequest, p.status)
	require.Contains(t, p.body, "Enter your username and password.")
}

// Infobip failing a call shows an error page; the session survives.
func TestInfobipFails(t *testing.T) {
	f := newFixture(t)
	b := f.browser()
	f.signIn(t, b, aladdin)
	f.srv.Fail(authtest.RouteBalance, authtest.Fault{Status: http.StatusServiceUnavailable, Times: 1})
	p := f.get(t, b, "/balance")
	require.Equal(t, http.StatusBadGateway, p.status)
	require.Contains(t, p.body, "Infobip answered E503")
	requireBalancePage(t, f.get(t, b, "/balance"), aladdin)
}

// The password goes to Infobip once and nowhere else: not in any response
// (body or header, redirects included), not in the app's log, not in
// anything the app holds. Session tokens stay out of responses and logs
// too.
func TestPasswordNeverLeaks(t *testing.T) {
	f := newFixture(t)
	const wrong = "wrong-password-2"
	b, other := f.browser(), f.browser()
	_, err := b.signIn(t.Context(), f.url, aladdin.username, wrong)
	require.NoError(t, err)
	p := f.signIn(t, b, aladdin)
	f.signIn(t, other, jasmine)
	f.get(t, b, "/balance")

	var tokens []string
	for _, u := range demoAccounts {
		tokens = append(tokens, f.token(t, u.username))
	}
	secrets := []string{aladdin.password, jasmine.password, wrong}
	for _, s := range secrets {
		requireNotReachable(t, f.app, s)
	}

	f.post(t, b, "/logout", url.Values{"csrf": {find(csrfField, p.body)}})
	f.srv.Advance(61 * time.Minute)
	f.get(t, other, "/balance") // expired

	secrets = append(secrets, tokens...)
	responses := f.rec.all()
	require.GreaterOrEqual(t, len(responses), 10)
	logs := f.logs.String()
	require.Contains(t, logs, "sign-in failed")
	require.Contains(t, logs, "signed in")
	require.Contains(t, logs, "signed out")
	require.Contains(t, logs, "session expired")
	for _, s := range secrets {
		for _, r := range responses {
			require.NotContains(t, r, s)
		}
		require.NotContains(t, logs, s)
	}
	// The password did go to Infobip, once per sign-in.
	require.Len(t, f.srv.Requests(authtest.RouteCreateSession), 3)
}

// requireNotReachable fails if secret is among the values reachable from
// v. It does not enter net/http's values: their buffers may hold a request
// written earlier, which is beyond what an application controls.
func requireNotReachable(t *testing.T, v any, secret string) {
	t.Helper()
	if path, ok := testkit.FindReachable(v, secret, "net/http"); ok {
		t.Fatalf("the secret is reachable at %s", path)
	}
}

// Cookies: HttpOnly, SameSite=Lax, Path=/, no Domain; Secure with the
// __Host- prefix unless on loopback. The session cookie lasts as long as
// the browser session.
func TestCookieFlags(t *testing.T) {
	for _, secure := range []bool{false, true} {
		t.Run("secure="+strconv.FormatBool(secure), func(t *testing.T) {
			srv := authtest.NewServer()
			defer srv.Close()
			a, err := newApp(config{BaseURL: srv.URL, Now: srv.Now, Secure: secure})
			require.NoError(t, err)
			defer a.close()
			prefix := ""
			if secure {
				prefix = "__Host-"
			}
			requireFlags := func(c *http.Cookie) {
				t.Helper()
				require.True(t, c.HttpOnly, c.Name)
				require.Equal(t, secure, c.Secure, c.Name)
				require.Equal(t, http.SameSiteLaxMode, c.SameSite, c.Name)
				require.Equal(t, "/", c.Path, c.Name)
				require.Empty(t, c.Domain, c.Name)
			}

			w := httptest.NewRecorder()
			a.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/login", nil))
			form := w.Result()
			require.Len(t, form.Cookies(), 1)
			pre := form.Cookies()[0]
			require.Equal(t, prefix+formCookie, pre.Name)
			requireFlags(pre)

			body := url.Values{"csrf": {find(csrfField, w.Body.String())}, "username": {authtest.Username}, "password": {authtest.Password}}
			r := httptest.NewRequest(http.MethodPost, "/login", strings.NewReader(body.Encode()))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			r.AddCookie(&http.Cookie{Name: pre.Name, Value: pre.Value})
			w = httptest.NewRecorder()
			a.ServeHTTP(w, r)
			resp := w.Result()
			require.Equal(t, http.StatusSeeOther, resp.StatusCode)
			cookies := map[string]*http.Cookie{}
			for _, c := range resp.Cookies() {
				cookies[c.Name] = c
			}
			sid := cookies[prefix+sessionCookie]
			require.NotNil(t, sid)
			requireFlags(sid)
			require.Zero(t, sid.MaxAge, "a browser-session cookie")
			require.Len(t, sid.Value, 43, "32 random bytes")
			gone := cookies[prefix+formCookie]
			require.NotNil(t, gone, "the pre-session cookie is deleted")
			require.Negative(t, gone.MaxAge)
			require.Equal(t, 1, srv.ActiveSessionsOf(authtest.Username))
			require.Zero(t, a.store.logoutAll(t.Context()))
			require.Equal(t, 0, srv.ActiveSessionsOf(authtest.Username))
		})
	}
}

func TestIsLoopback(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:8080": true, "localhost:80": true, "[::1]:8080": true, "127.1.2.3:0": true,
		":8080": false, "0.0.0.0:8080": false, "[::]:80": false, "192.168.1.2:80": false, "example.com:443": false, "junk": false,
	} {
		require.Equal(t, want, isLoopback(addr), addr)
	}
}

// recorder is a RoundTripper that keeps a copy of every response: status,
// headers and body, redirects included.
type recorder struct {
	rt        *http.Transport
	mu        sync.Mutex
	responses []string
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.rt.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	var b strings.Builder
	b.WriteString(req.Method + " " + req.URL.RequestURI() + " " + resp.Status + "\n")
	resp.Header.Write(&b)
	b.Write(body)
	r.mu.Lock()
	r.responses = append(r.responses, b.String())
	r.mu.Unlock()
	return resp, nil
}

func (r *recorder) CloseIdleConnections() { r.rt.CloseIdleConnections() }

func (r *recorder) all() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.responses...)
}

// Behind a TLS-terminating proxy on the same host the app listens on
// loopback; -secure marks its cookies Secure all the same.
func TestSecureFlagOnLoopback(t *testing.T) {
	srv := authtest.NewServer()
	defer srv.Close()
	ctx, cancel := context.WithCancel(t.Context())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := run(ctx, []string{"-addr", "127.0.0.1:0", "-secure"}, envOf(map[string]string{"IB_BASE_URL": srv.URL}), pw, io.Discard)
		pw.Close()
		done <- err
	}()
	lines := bufio.NewScanner(pr)
	secure := false
	for !secure && lines.Scan() {
		secure = strings.HasPrefix(lines.Text(), "Cookies are Secure")
	}
	go io.Copy(io.Discard, pr)
	require.True(t, secure, "the app announces Secure cookies")
	cancel()
	require.NoError(t, <-done)
}
