package auth_test

// The fault rig: a fake Infobip server behind a network that can go down,
// authenticators of every scheme made against it, and a leak scan that
// records everything printed on the way (see faults_test.go and
// secrets_test.go).

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ibkit/auth"
	"github.com/ibkit/auth/authtest"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
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
				t.Errorf("%s: secret %.8q… printed: …%s…", label, s, out[max(i-60, 0):min(i+len(s)+20, len(out))])
			}
		}
	}
}
