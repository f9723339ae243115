package auth_test

// Helpers the test files of package auth_test share, in the manner of
// go-github's setup: setup gives a test its own fake Infobip server;
// newIBSSO, newOAuth, login and the like build what tests need against it;
// client, getBalance and readAll drive requests; recv and waitFor wait
// without sleeping through a clock. Fakes of what we did not write, the
// fault rig and the measure of a live Session follow. A helper that one
// file alone uses lives in that file.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"golang.org/x/oauth2"

	"github.com/ibkit/auth"
	"github.com/ibkit/auth/authtest"
	"github.com/ibkit/auth/internal/testkit"
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

func newRequest(t *testing.T, method, target string, body io.Reader) *http.Request {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, target, body)
	require.NoError(t, err)
	return req
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

// closer is what FromEnv's documentation tests for to close what it
// returned.
type closer interface{ Close(context.Context) error }

// sendSMSAfterRevocation posts a message with a replayable body, whose
// credential the server has just revoked, and checks that it went out
// twice, byte for byte, the second time with a new credential. It returns
// the two requests the server saw.
func sendSMSAfterRevocation(t *testing.T, c *http.Client, srv *authtest.Server) []authtest.Request {
	t.Helper()
	payload := []byte(`{"messages":[{"destinations":[{"to":"41793026727"}],"text":"héllo"}]}`)
	resp, err := c.Post(srv.URL+"/sms/3/messages", "application/json", bytes.NewReader(payload))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	sent := srv.Requests(authtest.RouteSendSMS)
	require.Len(t, sent, 2)
	require.Equal(t, payload, sent[0].Body)
	require.Equal(t, payload, sent[1].Body)
	require.NotEqual(t, sent[0].Header.Get("Authorization"), sent[1].Header.Get("Authorization"))
	return sent
}

// Fakes of what the package talks to but did not write: base
// RoundTrippers that record or misbehave, bodies that count their Close
// calls, a counting token source, authenticators with fixed answers.

// closeCountingBody is a request or response body that counts its Close
// calls.
type closeCountingBody struct {
	r      io.Reader
	closes atomic.Int32
}

func newCloseCountingBody(s string) *closeCountingBody {
	return &closeCountingBody{r: strings.NewReader(s)}
}

// trackedBodies holds bodies handed out, each counting its Close calls: a
// request's own Body and then each one GetBody returned, or the response
// bodies of a recordingBase.
type trackedBodies struct {
	mu     sync.Mutex
	bodies []*closeCountingBody
}

func (tb *trackedBodies) add(s string) *closeCountingBody {
	b := newCloseCountingBody(s)
	tb.mu.Lock()
	tb.bodies = append(tb.bodies, b)
	tb.mu.Unlock()
	return b
}

// closes returns the Close count of each body handed out, in order.
func (tb *trackedBodies) closes() []int32 {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	n := make([]int32, len(tb.bodies))
	for i, b := range tb.bodies {
		n[i] = b.closes.Load()
	}
	return n
}

// seenRequest is a request as a recordingBase or recordingServer got it.
type seenRequest struct {
	Method        string
	URL           string
	Host          string
	Authorization []string
	Header        http.Header
	Body          string
}

// recordingBase is a fake base RoundTripper that, like http.Transport,
// reads and closes every request body it is given. It answers with the
// status status(n) for its n-th request (0-based; 200 when status is nil)
// and a body "response <n+1>" that counts its Close calls.
type recordingBase struct {
	status func(n int) int

	mu    sync.Mutex
	seen  []seenRequest
	resps trackedBodies
	idle  int
}

// fixedHeader is an Authenticator that is not a Renewer.
type fixedHeader string

// failingAuthenticator always fails with err.
type failingAuthenticator struct {
	err   error
	calls atomic.Int32
}

// funcBase is a base RoundTripper written as a function, as test doubles
// often are.
type funcBase func(*http.Request) (*http.Response, error)

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

type countingSource struct {
	mu  sync.Mutex
	n   int
	tok *oauth2.Token
}

func (b *closeCountingBody) Read(p []byte) (int, error) { return b.r.Read(p) }

func (b *closeCountingBody) Close() error {
	b.closes.Add(1)
	return nil
}

func (b *recordingBase) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		var err error
		body, err = io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	n := len(b.seen)
	b.seen = append(b.seen, seenRequest{
		Method:        req.Method,
		URL:           req.URL.String(),
		Host:          req.Host,
		Authorization: req.Header.Values("Authorization"),
		Header:        req.Header.Clone(),
		Body:          string(body),
	})
	status := http.StatusOK
	if b.status != nil {
		status = b.status(n)
	}
	rb := b.resps.add(fmt.Sprintf("response %d", n+1))
	return &http.Response{
		Status:     fmt.Sprintf("%d %s", status, http.StatusText(status)),
		StatusCode: status,
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header:     http.Header{},
		Body:       rb,
		Request:    req,
	}, nil
}

func (b *recordingBase) CloseIdleConnections() {
	b.mu.Lock()
	b.idle++
	b.mu.Unlock()
}

func (b *recordingBase) requests() []seenRequest {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]seenRequest(nil), b.seen...)
}

// responseCloses returns the Close count of each response body, in order.
func (b *recordingBase) responseCloses() []int32 { return b.resps.closes() }

func (h fixedHeader) Authorization(context.Context) (string, error) { return string(h), nil }

func (f *failingAuthenticator) Authorization(context.Context) (string, error) {
	f.calls.Add(1)
	return "", f.err
}

func (f funcBase) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }

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

func (s *countingSource) Token() (*oauth2.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	return s.tok, nil
}

func (s *countingSource) calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}

// The fault rig: a fake Infobip server behind a network that can go down,
// authenticators of every scheme made against it, and a leak scan that
// records everything printed on the way (see faults_test.go,
// secrets_test.go and fetch_test.go).

// Authenticator kinds a rig can build.
const (
	kindApp    = "App"
	kindBasic  = "Basic"
	kindIBSSO  = "IBSSO"
	kindBearer = "Bearer"
)

// flakyNet is a real HTTP transport whose network can fail: while down,
// every dial is refused and pooled connections are gone, as when the server
// has gone away; once up, dials work again. As a RoundTripper it counts the
// response bodies not yet closed.
type flakyNet struct {
	tr      *http.Transport
	down    atomic.Bool
	refused atomic.Int32
	open    atomic.Int32
}

func (n *flakyNet) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := n.tr.RoundTrip(req)
	if err == nil {
		n.open.Add(1)
		resp.Body = &trackedBody{ReadCloser: resp.Body, open: &n.open}
	}
	return resp, err
}

// trackedBody is a response body that reports its first Close.
type trackedBody struct {
	io.ReadCloser
	open *atomic.Int32
	once sync.Once
}

func (b *trackedBody) Close() error {
	b.once.Do(func() { b.open.Add(-1) })
	return b.ReadCloser.Close()
}

func newFlakyNet(t *testing.T) *flakyNet {
	n := &flakyNet{}
	var d net.Dialer
	n.tr = &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		if n.down.Load() {
			n.refused.Add(1)
			return nil, &net.OpError{Op: "dial", Net: network, Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
		}
		return d.DialContext(ctx, network, addr)
	}}
	t.Cleanup(n.tr.CloseIdleConnections)
	return n
}

func (n *flakyNet) goDown() {
	n.down.Store(true)
	n.tr.CloseIdleConnections()
}

func (n *flakyNet) comeBack() { n.down.Store(false) }

// verifyNoLeaks checks, after every cleanup registered later (the server's
// Close included) has run, that the test left no goroutine behind.
func verifyNoLeaks(t *testing.T) {
	t.Helper()
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })
}

// creds are the credentials a rig authenticates with.
type creds struct {
	key, user, password, clientID, secret string
}

var defaultCreds = creds{authtest.APIKey, authtest.Username, authtest.Password, authtest.ClientID, authtest.ClientSecret}

// rig is a fake Infobip server with a network that can fail, and, for the
// secrets tests, a record of everything the run could print.
type rig struct {
	t     *testing.T
	srv   *authtest.Server
	net   *flakyNet
	creds creds
	scan  *leakScan // nil: nothing is recorded
}

func newRig(t *testing.T, c creds, scan *leakScan) *rig {
	t.Helper()
	verifyNoLeaks(t)
	srv := setup(t)
	srv.AddAPIKey(c.key)
	srv.AddUser(c.user, c.password)
	srv.AddClient(c.clientID, c.secret)
	return &rig{t: t, srv: srv, net: newFlakyNet(t), creds: c, scan: scan}
}

// observe records v for the secrets scan.
func (r *rig) observe(label string, v any) {
	if r.scan != nil && v != nil {
		r.scan.add(label, v)
	}
}

// observeErr records err and every error it wraps.
func (r *rig) observeErr(label string, err error) {
	for ; err != nil; err = errors.Unwrap(err) {
		r.observe(label, err)
	}
}

// authenticator builds an authenticator of the given kind for the rig's
// server, sending its own requests through the rig's network.
func (r *rig) authenticator(kind string, fetchTimeout time.Duration) (auth.Authenticator, *events) {
	t := r.t
	t.Helper()
	switch kind {
	case kindApp:
		k, err := auth.NewAPIKey(r.creds.key)
		require.NoError(t, err)
		r.observe("APIKey", k)
		return k, nil
	case kindBasic:
		b, err := auth.NewBasic(r.creds.user, r.creds.password)
		require.NoError(t, err)
		r.observe("Basic", b)
		return b, nil
	case kindIBSSO:
		s, ev := newIBSSO(t, r.srv, func(c *auth.IBSSOConfig) {
			c.Username, c.Password = r.creds.user, r.creds.password
			c.HTTPClient = &http.Client{Transport: r.net}
			c.FetchTimeout = fetchTimeout
			r.observe("IBSSOConfig", *c)
			r.observe("*IBSSOConfig", c)
		})
		r.observe("IBSSO", s)
		return s, ev
	case kindBearer:
		b, ev := newOAuth(t, r.srv, func(c *auth.OAuthConfig) {
			c.ClientID, c.ClientSecret = r.creds.clientID, r.creds.secret
			c.HTTPClient = &http.Client{Transport: r.net}
			c.FetchTimeout = fetchTimeout
			r.observe("OAuthConfig", *c)
			r.observe("*OAuthConfig", c)
		})
		r.observe("Bearer", b)
		return b, ev
	}
	t.Fatalf("unknown kind %q", kind)
	return nil, nil
}

// client wraps a in a Transport over the rig's network.
func (r *rig) client(a auth.Authenticator) *http.Client {
	tr := newTransport(r.t, r.srv.URL, a, r.net)
	r.observe("Transport", tr)
	return &http.Client{Transport: tr}
}

// inject starts fault f on route; clear ends every fault.
func (r *rig) inject(route string, f fault) {
	if f.gone {
		r.net.goDown()
		return
	}
	r.srv.Fail(route, f.f)
}

func (r *rig) clear() {
	r.net.comeBack()
	r.srv.ClearFaults()
}

// checkBodies fails the test unless every response body the rig's network
// returned has been closed: an open one holds a connection.
func (r *rig) checkBodies() {
	r.t.Helper()
	require.Zero(r.t, r.net.open.Load(), "response bodies left open")
}

// fetchRoute is the route on which kind obtains its credential.
func fetchRoute(kind string) (route, op string) {
	switch kind {
	case kindIBSSO:
		return authtest.RouteCreateSession, "create IBSSO session"
	case kindBearer:
		return authtest.RouteToken, "fetch OAuth token"
	}
	return "", ""
}

// balance sends GET /account/1/balance with ctx through c.
func balance(t *testing.T, ctx context.Context, c *http.Client, srv *authtest.Server) (*http.Response, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/account/1/balance", nil)
	require.NoError(t, err)
	return c.Do(req)
}

// leakScan collects renderings of everything a run could print or log.
type leakScan struct {
	mu   sync.Mutex
	outs []string
}

func (l *leakScan) add(label string, v any) {
	out := label + ":\n" + fmtAll(v)
	l.mu.Lock()
	l.outs = append(l.outs, out)
	l.mu.Unlock()
}

// secrets lists what must never be printed after a run on r: the
// credentials, the Basic header's encoding of them, every token a request
// carried to the server, and the hex encoding of each.
func (r *rig) secrets() []string {
	list := []string{r.creds.key, r.creds.password, r.creds.secret, wrongKey, wrongPassword, wrongSecret,
		base64.StdEncoding.EncodeToString([]byte(r.creds.user + ":" + r.creds.password))}
	for _, route := range []string{authtest.RouteBalance, authtest.RouteSendSMS, authtest.RouteDestroySession} {
		for _, req := range r.srv.Requests(route) {
			if _, cred, ok := strings.Cut(req.Header.Get("Authorization"), " "); ok && cred != "" {
				list = append(list, cred)
			}
		}
	}
	for _, s := range list[:len(list):len(list)] {
		list = append(list, hex.EncodeToString([]byte(s)))
	}
	return list
}

// check fails t if any recorded rendering holds one of the secrets.
func (l *leakScan) check(t *testing.T, secrets []string) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	require.NotEmpty(t, l.outs, "nothing was recorded")
	for _, out := range l.outs {
		for _, s := range secrets {
			if i := strings.Index(out, s); i >= 0 {
				label, _, _ := strings.Cut(out, "\n")
				// The context is shown with the secret masked, so that the
				// failure itself does not print it.
				t.Errorf("%s: secret %.8q… printed: …%s[secret]%s…", label, s, out[max(i-60, 0):i], out[i+len(s):min(i+len(s)+20, len(out))])
			}
		}
	}
}

// Wrong credentials tried by the secrets tests; they must not show either.
const (
	wrongKey      = "badbadbadbadbadbadbadbadbadbad00-wrong-leak-probe-key"
	wrongPassword = "Wr0ng pa55-leak-probe"
	wrongSecret   = "Wr0ng-Cl1ent-leak-probe"
)

// requireNoSecret fails t if err shows secret in any form: in its text, in
// fmt's and slog's renderings of it and of every error in its chain, or in
// any field of the *auth.Error and *oauth2.RetrieveError errors.As finds,
// the response and the request that one holds included.
func requireNoSecret(t *testing.T, err error, secret string) {
	t.Helper()
	require.Error(t, err)
	outs := []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)}
	for e := err; e != nil; e = errors.Unwrap(e) {
		outs = append(outs, fmtAll(e))
	}
	var ae *auth.Error
	if errors.As(err, &ae) {
		outs = append(outs, fmtAll(*ae), ae.Code, ae.MessageID, ae.Description, ae.Action, ae.Excerpt, ae.Op)
		for _, v := range ae.Violations {
			outs = append(outs, v.Property, v.Violation)
		}
		for _, r := range ae.Resources {
			outs = append(outs, r.Name, r.URL)
		}
	}
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		outs = append(outs, fmt.Sprintf("%#v", *re), string(re.Body), re.ErrorCode, re.ErrorDescription, re.ErrorURI)
		if resp := re.Response; resp != nil {
			outs = append(outs, resp.Status, fmt.Sprint(resp.Header), fmt.Sprint(resp.Trailer))
			if resp.Body != nil {
				b, _ := io.ReadAll(resp.Body)
				outs = append(outs, string(b))
			}
			if req := resp.Request; req != nil {
				outs = append(outs, req.URL.String(), fmt.Sprint(req.Header), fmt.Sprint(req.Form), fmt.Sprint(req.PostForm))
				if req.GetBody != nil {
					if body, err := req.GetBody(); err == nil {
						b, _ := io.ReadAll(body)
						outs = append(outs, string(b))
					}
				}
			}
		}
	}
	for _, out := range outs {
		if form, ok := testkit.ShowsSecret(out, secret); ok {
			label, _, _ := strings.Cut(out, "\n")
			t.Errorf("the secret shows (%s) in %.200q", form, label)
		}
	}
}

// The measure of live Sessions, for TestSessionIsCheap and
// BenchmarkSessionMemory.

// fakeToken returns the i-th of a run of distinct tokens shaped like
// Infobip's (a UUID). ResumeSession sends nothing, so none has to exist.
func fakeToken(i int) string {
	return fmt.Sprintf("5a0e6f4c-2b1d-4e8a-9c3f-%012d", i)
}

// sessionCost is what n sessions made by newSession cost.
type sessionCost struct {
	live       float64 // heap bytes retained per session, after GC
	allocated  float64 // bytes allocated per session, garbage included
	allocs     float64 // allocations per session
	ns         float64 // time to make one
	goroutines int     // goroutines alive with the sessions, minus before
}

// measureSessions makes n sessions and measures them. The heap they retain
// is the live heap while they are held minus the live heap once they are
// dropped, so whatever else the process keeps (a fake server's records,
// connections) cancels out.
func measureSessions(n int, newSession func(i int) (*auth.Session, error)) (sessionCost, error) {
	sessions := make([]*auth.Session, n)
	var before, made, held, dropped runtime.MemStats
	runtime.GC()
	goroutines := runtime.NumGoroutine()
	runtime.ReadMemStats(&before)
	start := time.Now()
	for i := range sessions {
		s, err := newSession(i)
		if err != nil {
			return sessionCost{}, err
		}
		sessions[i] = s
	}
	elapsed := time.Since(start)
	runtime.ReadMemStats(&made)
	gc()
	runtime.ReadMemStats(&held)
	c := sessionCost{
		allocated:  float64(made.TotalAlloc-before.TotalAlloc) / float64(n),
		allocs:     float64(made.Mallocs-before.Mallocs) / float64(n),
		ns:         float64(elapsed.Nanoseconds()) / float64(n),
		goroutines: runtime.NumGoroutine() - goroutines,
	}
	runtime.KeepAlive(sessions)
	clear(sessions)
	gc()
	runtime.ReadMemStats(&dropped)
	c.live = (float64(held.HeapAlloc) - float64(dropped.HeapAlloc)) / float64(n)
	return c, nil
}

// gc collects twice: the second collection frees what the first moved to
// sync.Pool victim caches (the buffers of an HTTP exchange), which would
// otherwise count as retained.
func gc() {
	runtime.GC()
	runtime.GC()
}

// resumeFake returns a maker of n sessions resumed from fake tokens,
// formatted beforehand so that their making is not measured.
func resumeFake(cfg auth.LoginConfig, n int) func(int) (*auth.Session, error) {
	tokens := make([]string, n)
	for i := range tokens {
		tokens[i] = fakeToken(i)
	}
	return func(i int) (*auth.Session, error) { return auth.ResumeSession(cfg, tokens[i]) }
}
