package auth_test

// Fakes of what the package talks to but did not write: base
// RoundTrippers that record or misbehave, bodies that count their Close
// calls, token sources, authenticators with scripted answers.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// closeCountingBody is a request or response body that counts its Close
// calls.
type closeCountingBody struct {
	r      io.Reader
	closes atomic.Int32
}

func newCloseCountingBody(s string) *closeCountingBody {
	return &closeCountingBody{r: strings.NewReader(s)}
}

// trackedBodies holds every body a request has handed out: its own Body
// first, then each one GetBody returned.
type trackedBodies struct {
	mu     sync.Mutex
	bodies []*closeCountingBody
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
	resps []*closeCountingBody
	idle  int
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

// fixedHeader is an Authenticator that is not a Renewer.
type fixedHeader string

// failingAuthenticator always fails with err.
type failingAuthenticator struct {
	err   error
	calls atomic.Int32
}

var errStub = errors.New("stub failure")

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

// gate holds token requests until released, so a test controls exactly when
// a fetch ends without timing anything.
type gate struct {
	release chan struct{}
	entered chan struct{}
	once    sync.Once
}

func newGate() *gate { return &gate{release: make(chan struct{}), entered: make(chan struct{}, 100)} }

type countingSource struct {
	mu  sync.Mutex
	n   int
	tok *oauth2.Token
}

// countingBody is an endless body of one byte that counts what was read from
// it and whether it was closed.
type countingBody struct {
	b      byte
	read   int
	closed bool
}

type closeRecorder struct {
	*strings.Reader
	closed bool
}

// hungSource blocks until released.
type hungSource struct{ release chan struct{} }

// formTokenSource fetches a token from srv's token endpoint on every call,
// as the source of NewBearer should.
type formTokenSource struct {
	cc  *clientcredentials.Config
	ctx context.Context
}

func (b *closeCountingBody) Read(p []byte) (int, error) { return b.r.Read(p) }

func (b *closeCountingBody) Close() error {
	b.closes.Add(1)
	return nil
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
	rb := newCloseCountingBody(fmt.Sprintf("response %d", n+1))
	b.resps = append(b.resps, rb)
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
func (b *recordingBase) responseCloses() []int32 {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := make([]int32, len(b.resps))
	for i, r := range b.resps {
		n[i] = r.closes.Load()
	}
	return n
}

func (rs *recordingServer) requests() []seenRequest {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return append([]seenRequest(nil), rs.seen...)
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

func (g *gate) RoundTrip(r *http.Request) (*http.Response, error) {
	g.entered <- struct{}{}
	select {
	case <-g.release:
	case <-r.Context().Done():
		return nil, r.Context().Err()
	}
	return http.DefaultTransport.RoundTrip(r)
}

func (g *gate) open() { g.once.Do(func() { close(g.release) }) }

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

func (r *countingBody) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = r.b
	}
	r.read += len(p)
	return len(p), nil
}

func (r *countingBody) Close() error {
	r.closed = true
	return nil
}

func (c *closeRecorder) Close() error { c.closed = true; return nil }

func (h hungSource) Token() (*oauth2.Token, error) {
	<-h.release
	return &oauth2.Token{AccessToken: "late"}, nil
}

func (s formTokenSource) Token() (*oauth2.Token, error) { return s.cc.Token(s.ctx) }
