package auth_test

// Helpers every test file of package auth_test uses, in the manner of
// go-github's setup: setup gives a test its own fake Infobip server;
// newIBSSO, newOAuth, login and the like build what tests need against it;
// client, getBalance and readAll drive requests; recv and waitFor wait
// without sleeping through a clock. Fakes of what we did not write live in
// fakes_test.go, the fault rig in rig_test.go.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/ibkit/auth"
	"github.com/ibkit/auth/authtest"
	"github.com/ibkit/auth/internal/testkit"
	"github.com/stretchr/testify/require"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// setup gives a test its own fake Infobip server, closed when the test ends.
func setup(t testing.TB) *authtest.Server {
	t.Helper()
	srv := authtest.NewServer()
	t.Cleanup(srv.Close)
	return srv
}

// events collects OnRefresh reports.
type events struct {
	mu  sync.Mutex
	all []auth.RefreshEvent
}

func newIBSSO(t *testing.T, srv *authtest.Server, mutate ...func(*auth.IBSSOConfig)) (*auth.IBSSO, *events) {
	t.Helper()
	ev := &events{}
	cfg := auth.IBSSOConfig{
		BaseURL:   srv.URL,
		Username:  authtest.Username,
		Password:  authtest.Password,
		Now:       srv.Now,
		OnRefresh: ev.record,
	}
	for _, m := range mutate {
		m(&cfg)
	}
	s, err := auth.NewIBSSO(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { s.Close(context.Background()) })
	return s, ev
}

// client wraps a in a Transport for srv's base URL.
func client(t testing.TB, srv *authtest.Server, a auth.Authenticator) *http.Client {
	t.Helper()
	tr, err := auth.NewTransport(srv.URL, a, nil)
	require.NoError(t, err)
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

func getBalance(t testing.TB, c *http.Client, srv *authtest.Server) int {
	t.Helper()
	resp, err := c.Get(srv.URL + "/account/1/balance")
	require.NoError(t, err)
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func lastAuthorization(t *testing.T, srv *authtest.Server, route string) string {
	t.Helper()
	reqs := srv.Requests(route)
	require.NotEmpty(t, reqs)
	return reqs[len(reqs)-1].Header.Get("Authorization")
}

// storm runs f in n goroutines released together and returns how often each
// distinct result occurred. Any error fails the test.
func storm(t testing.TB, n int, f func() (string, error)) map[string]int {
	t.Helper()
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		start = make(chan struct{})
		seen  = map[string]int{}
		errs  []error
	)
	for range n {
		wg.Go(func() {
			<-start
			v, err := f()
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			seen[v]++
		})
	}
	close(start)
	wg.Wait()
	require.Empty(t, errs)
	return seen
}

// recv receives from ch, failing the test instead of hanging if nothing
// arrives: a liveness check, not a timing.
func recv[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(30 * time.Second):
		t.Fatal("nothing received in 30 s")
		panic("unreachable")
	}
}

// waitFor polls cond, which must become true because of work already under
// way (not because time passes on a clock).
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	require.Eventually(t, cond, 5*time.Second, time.Millisecond)
}

func newOAuth(t *testing.T, srv *authtest.Server, mutate ...func(*auth.OAuthConfig)) (*auth.Bearer, *events) {
	t.Helper()
	ev := &events{}
	cfg := auth.OAuthConfig{
		BaseURL:      srv.URL,
		ClientID:     authtest.ClientID,
		ClientSecret: authtest.ClientSecret,
		Now:          srv.Now,
		OnRefresh:    ev.record,
	}
	for _, m := range mutate {
		m(&cfg)
	}
	b, err := auth.NewOAuth(cfg)
	require.NoError(t, err)
	return b, ev
}

func (e *events) wait(t *testing.T, n int) []auth.RefreshEvent {
	t.Helper()
	waitFor(t, func() bool {
		e.mu.Lock()
		defer e.mu.Unlock()
		return len(e.all) >= n
	})
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]auth.RefreshEvent(nil), e.all...)
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

func newRequest(t *testing.T, method, target string, body io.Reader) *http.Request {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, target, body)
	require.NoError(t, err)
	return req
}

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

// httpBase returns a real base transport whose idle connections are closed
// when the test ends.
func httpBase(t *testing.T) *http.Transport {
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return tr
}

// readAll reads and closes resp's body.
func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	return string(b)
}

func newTransport(t *testing.T, baseURL string, a auth.Authenticator, base http.RoundTripper) *auth.Transport {
	t.Helper()
	tr, err := auth.NewTransport(baseURL, a, base)
	require.NoError(t, err)
	return tr
}

func apiKey(t *testing.T, key string) *auth.APIKey {
	t.Helper()
	k, err := auth.NewAPIKey(key)
	require.NoError(t, err)
	return k
}

// fmtAll renders v every way a program might print or log it.
func fmtAll(v any) string {
	var b bytes.Buffer
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%T"} {
		fmt.Fprintf(&b, verb+"\n", v)
	}
	fmt.Fprintln(&b, v)
	if s, ok := v.(fmt.Stringer); ok {
		b.WriteString(s.String())
	}
	if e, ok := v.(error); ok {
		b.WriteString(e.Error())
	}
	for _, h := range []slog.Handler{slog.NewJSONHandler(&b, nil), slog.NewTextHandler(&b, nil)} {
		l := slog.New(h)
		l.Info("value", "v", v)
		l.Info("group", slog.Group("g", "v", v))
		l.Info("any", slog.Any("v", v))
	}
	return b.String()
}

func jsonQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// clearEnv unsets every variable FromEnv reads (empty counts as unset) for
// the rest of the test, then sets the given name=value pairs.
func clearEnv(t *testing.T, pairs ...string) {
	t.Helper()
	for _, name := range []string{"IB_BASE_URL", "IB_API_KEY", "IB_USERNAME", "IB_PASSWORD", "IB_CLIENT_ID", "IB_CLIENT_SECRET", "IB_AUTH"} {
		t.Setenv(name, "")
	}
	for _, p := range pairs {
		name, value, ok := strings.Cut(p, "=")
		require.True(t, ok, p)
		t.Setenv(name, value)
	}
}

// response builds an error answer with the given status, body and header
// pairs (name, value, name, value, …).
func response(status int, body string, header ...string) *http.Response {
	h := http.Header{}
	for i := 0; i+1 < len(header); i += 2 {
		h.Add(header[i], header[i+1])
	}
	return &http.Response{
		StatusCode: status,
		Status:     fmt.Sprintf("%d %s", status, http.StatusText(status)),
		Header:     h,
		Body:       io.NopCloser(strings.NewReader(body)),
	}
}

// failed returns the error of a call that returns a value and an error.
func failed[T any](_ T, err error) error { return err }

func loginConfig(srv *authtest.Server) auth.LoginConfig {
	return auth.LoginConfig{BaseURL: srv.URL, Now: srv.Now}
}

func login(t testing.TB, srv *authtest.Server, user, password string) *auth.Session {
	t.Helper()
	s, err := auth.Login(context.Background(), loginConfig(srv), user, password)
	require.NoError(t, err)
	return s
}

// balanceAs GETs the balance through c as the owner of a.
func balanceAs(t testing.TB, c *http.Client, srv *authtest.Server, a auth.Authenticator) (*http.Response, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(auth.WithAuthenticator(context.Background(), a), http.MethodGet, srv.URL+"/account/1/balance", nil)
	require.NoError(t, err)
	return c.Do(req)
}

// requireNotReachable fails if secret is among the values reachable from v.
func requireNotReachable(t *testing.T, v any, secret string) {
	t.Helper()
	if path, ok := testkit.FindReachable(v, secret); ok {
		t.Fatalf("the secret is reachable at %s", path)
	}
}

// envSchemes configure FromEnv for App, Basic, IBSSO and OAuth, in that
// order, with the credentials every authtest server accepts.
var envSchemes = [][]string{
	{"IB_API_KEY=" + authtest.APIKey},
	{"IB_USERNAME=" + authtest.Username, "IB_PASSWORD=" + authtest.Password},
	{"IB_USERNAME=" + authtest.Username, "IB_PASSWORD=" + authtest.Password, "IB_AUTH=ibsso"},
	{"IB_CLIENT_ID=" + authtest.ClientID, "IB_CLIENT_SECRET=" + authtest.ClientSecret},
}

// schemes builds each of the four authenticators for srv, made without an
// HTTPClient of their own unless own is set.
func schemes(t *testing.T, srv *authtest.Server, own *http.Client) map[string]auth.Authenticator {
	t.Helper()
	key, err := auth.NewAPIKey(authtest.APIKey)
	require.NoError(t, err)
	basic, err := auth.NewBasic(authtest.Username, authtest.Password)
	require.NoError(t, err)
	ibsso, err := auth.NewIBSSO(auth.IBSSOConfig{BaseURL: srv.URL, Username: authtest.Username, Password: authtest.Password, Now: srv.Now, HTTPClient: own})
	require.NoError(t, err)
	t.Cleanup(func() { ibsso.Close(context.Background()) })
	bearer, err := auth.NewOAuth(auth.OAuthConfig{BaseURL: srv.URL, ClientID: authtest.ClientID, ClientSecret: authtest.ClientSecret, Now: srv.Now, HTTPClient: own})
	require.NoError(t, err)
	t.Cleanup(func() { bearer.Close(context.Background()) })
	return map[string]auth.Authenticator{"App": key, "Basic": basic, "IBSSO": ibsso, "Bearer": bearer}
}

func (e *events) record(ev auth.RefreshEvent) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.all = append(e.all, ev)
}

func (e *events) reasons() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var r []string
	for _, ev := range e.all {
		r = append(r, ev.Reason)
	}
	return r
}
