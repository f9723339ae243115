package auth

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"

	"github.com/ibkit/auth/internal/baseurl"
)

// Transport is an http.RoundTripper that adds an Infobip Authorization
// header to requests for its base URL and passes every other request through
// untouched. The package documentation states the rules it follows: where
// credentials go, and when a request is sent again.
//
// Build one with [NewTransport], or let [NewClient] build it inside a new
// http.Client. Do not install it on http.DefaultClient, or on any client
// other code shares: every request that client sends to the base URL's
// origin would carry the credential.
type Transport struct {
	base    http.RoundTripper
	auth    Authenticator // nil: only requests with their own (WithAuthenticator)
	renewer Renewer       // auth, when it can renew; else nil
	// logger is the authenticator's: it hears of each request sent
	// without credentials (its origin is not the base URL's) at debug
	// level, the cause of a 401 that would otherwise look like a wrong key.
	logger *slog.Logger

	// Fast match: the base URL's scheme and host exactly as requests built
	// from it spell them, and the two joined, computed once.
	scheme, host, baseURL string
	origins               atomic.Pointer[[]baseurl.Origin]
}

// NewTransport returns a [Transport] that authenticates requests for baseURL
// with a and sends them with base (http.DefaultTransport when nil). A base
// that is itself a Transport is replaced by what it sends with: credentials
// never stack.
//
// baseURL is the account's origin, such as https://xxxxx.api.infobip.com;
// the package documentation ("Where credentials go") says which forms are
// accepted.
//
// a may be nil for a Transport that serves only requests carrying their own
// authenticator ([WithAuthenticator]); a request for the base URL without
// one then fails before it is sent. A nil pointer, or an authenticator of
// this package not made by its constructor, is refused. An [IBSSO] or
// [Bearer] made for another base URL is refused too: its session or token
// belongs to that account.
func NewTransport(baseURL string, a Authenticator, base http.RoundTripper) (*Transport, error) {
	return newTransport("NewTransport", baseURL, a, base)
}

// newTransport is NewTransport for op, the exported function whose errors
// these are.
func newTransport(op, baseURL string, a Authenticator, base http.RoundTripper) (*Transport, error) {
	if a != nil {
		if err := checkAuthenticator(a); err != nil {
			return nil, wrap(op, err)
		}
	}
	o, canonical, err := baseurl.Parse(baseURL)
	if err != nil {
		return nil, wrap(op, err)
	}
	known, _ := a.(ours)
	if known != nil && known.baseURL() != "" && known.baseURL() != canonical {
		return nil, fmt.Errorf("auth: %s: base URL %s is not the authenticator's (%s): its session or token is for that account", op, canonical, known.baseURL())
	}
	if base = unwrapTransport(base); base == nil {
		base = http.DefaultTransport
	}
	t := &Transport{base: base, auth: a, scheme: o.Scheme, host: canonical[len(o.Scheme)+3:], baseURL: canonical}
	t.renewer, _ = a.(Renewer)
	t.origins.Store(&[]baseurl.Origin{o})
	if known != nil {
		t.logger = known.logger()
	}
	return t, nil
}

// BaseURL returns t's base URL in canonical form, scheme://host[:port]
// with no trailing slash, ready for paths to be appended.
func (t *Transport) BaseURL() string {
	if t == nil {
		return ""
	}
	return t.baseURL
}

// AllowOrigin lets t add credentials to requests for another origin
// (scheme://host[:port]), under the same rules as the base URL. It is safe to
// call while requests are in flight.
func (t *Transport) AllowOrigin(rawURL string) error {
	if t == nil || t.base == nil {
		return errors.New("auth: Transport was not made with NewTransport")
	}
	o, _, err := baseurl.Parse(rawURL)
	if err != nil {
		return err
	}
	for {
		old := t.origins.Load()
		next := append(append([]baseurl.Origin(nil), *old...), o)
		if t.origins.CompareAndSwap(old, &next) {
			return nil
		}
	}
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req == nil {
		return nil, errors.New("auth: RoundTrip: request is nil")
	}
	if t == nil || t.base == nil {
		closeBody(req.Body)
		return nil, errors.New("auth: Transport was not made with NewTransport")
	}
	if req.URL == nil || !t.trusted(req) {
		if t.logger != nil && req.URL != nil {
			t.logWithheld(req)
		}
		if req.Response != nil && t.leftOurOrigin(req) {
			return t.sendWithout(req)
		}
		return t.base.RoundTrip(req)
	}
	ctx := req.Context()
	a, renewer := t.auth, t.renewer
	if own, ok := ctx.Value(authenticatorKey{}).(Authenticator); ok {
		if err := t.checkOwn(own); err != nil {
			closeBody(req.Body)
			return nil, err
		}
		a = own
		renewer, _ = own.(Renewer)
	}
	if a == nil {
		closeBody(req.Body)
		return nil, errors.New("auth: request has no authenticator: the Transport was made without one and the request's context carries none (see WithAuthenticator)")
	}
	header, err := a.Authorization(ctx)
	if err != nil {
		closeBody(req.Body)
		return nil, err
	}
	resp, err := t.send(req, header, req.Body)
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		return resp, err
	}
	// An authenticator that learns of the rejection without a request (a
	// Session, which never logs in again) is told; its error ends a request
	// that could be retried.
	var over error
	if o, ok := a.(ours); ok {
		over = o.rejected(header)
	}
	if over == nil && renewer == nil {
		return resp, nil
	}
	body, ok := replayBody(req)
	if !ok {
		return resp, nil
	}
	if over == nil {
		// Free the connection before renewing: the renewal may need it.
		bufferBody(resp)
		over = renewer.Renew(ctx, header)
	}
	if over != nil {
		closeBody(body)
		discard(resp)
		return nil, wrap("renewing credentials after 401", over)
	}
	fresh, err := a.Authorization(ctx)
	if err != nil {
		closeBody(body)
		discard(resp)
		return nil, err
	}
	if fresh == header {
		// Nothing new to offer: the API's answer stands.
		closeBody(body)
		return resp, nil
	}
	discard(resp)
	return t.send(req, fresh, body)
}

// checkOwn refuses a request's own authenticator as NewTransport would
// refuse it: one that would panic, or an IBSSO or Bearer of another
// account's base URL.
func (t *Transport) checkOwn(a Authenticator) error {
	if err := checkAuthenticator(a); err != nil {
		return wrap("request's authenticator", err)
	}
	if o, ok := a.(ours); ok && o.baseURL() != "" && o.baseURL() != t.baseURL {
		return fmt.Errorf("auth: request's authenticator is for base URL %s, not %s: its session or token is for that account", o.baseURL(), t.baseURL)
	}
	return nil
}

// maxRedirectChain bounds the walk back to a redirect chain's first
// request, against a base transport that links responses into a cycle.
const maxRedirectChain = 100

// leftOurOrigin reports whether req, a redirect that http.Client follows,
// leaves a chain that began at an origin t trusts, with an Authorization
// header in it. http.Client copies the first request's headers to every
// hop on the same host name or a subdomain, whatever the port or scheme;
// the caller's Authorization (an SDK's own key, say) was replaced on our
// origin and was meant for Infobip, not for where the redirect leads.
func (t *Transport) leftOurOrigin(req *http.Request) bool {
	if !hasAuthorization(req.Header) {
		return false
	}
	first := req
	for i := 0; i < maxRedirectChain && first.Response != nil && first.Response.Request != nil; i++ {
		first = first.Response.Request
	}
	return first.URL != nil && t.trusted(first)
}

// sendWithout sends a copy of req without its Authorization header, and
// gives the caller's request back in the response.
func (t *Transport) sendWithout(req *http.Request) (*http.Response, error) {
	c := *req
	c.Header = headerWithout(req.Header, 0)
	resp, err := t.base.RoundTrip(&c)
	if resp != nil {
		resp.Request = req
	}
	return resp, err
}

// headerWithout returns a copy of h without its Authorization, however it
// is spelled, with room for extra more entries. The value slices are
// shared, which the RoundTripper contract (no mutation) makes safe.
func headerWithout(h http.Header, extra int) http.Header {
	c := make(http.Header, len(h)+extra)
	for k, v := range h {
		if !isAuthorization(k) {
			c[k] = v
		}
	}
	return c
}

func hasAuthorization(h http.Header) bool {
	for k := range h {
		if isAuthorization(k) {
			return true
		}
	}
	return false
}

// isAuthorization reports whether the header name k is Authorization,
// however it is spelled.
func isAuthorization(k string) bool {
	return len(k) == len("Authorization") && strings.EqualFold(k, "Authorization")
}

// logWithheld reports a request sent without credentials. Records carry
// its method and origin, never a header or a path.
func (t *Transport) logWithheld(req *http.Request) {
	ctx := req.Context()
	if !t.logger.Enabled(ctx, slog.LevelDebug) {
		return
	}
	t.logger.LogAttrs(ctx, slog.LevelDebug, "auth: credentials withheld: the request's origin is not the base URL's",
		slog.String("method", req.Method),
		slog.String("origin", clean(req.URL.Scheme+"://"+req.URL.Host, maxExcerpt)),
		slog.String("base_url", t.BaseURL()))
}

// send sends a copy of req carrying header and body, and gives the caller's
// request back in the response: code that reads resp.Request (a
// CheckRedirect copying headers, a logger) must not find the credential
// there. An error response remembers the credential, so that [ParseError]
// can scrub it should the server echo the request.
func (t *Transport) send(req *http.Request, header string, body io.ReadCloser) (*http.Response, error) {
	resp, err := t.base.RoundTrip(withAuthorization(req, header, body))
	if err != nil {
		return nil, err
	}
	if resp == nil {
		closeBody(body) // the base broke its contract; the body may be unclosed
		return nil, errors.New("auth: the base RoundTripper returned neither a response nor an error")
	}
	resp.Request = req
	if resp.Body == nil {
		// http.Client tolerates a missing body; the code below reads it.
		resp.Body = http.NoBody
	}
	if resp.StatusCode >= 400 {
		rememberCredential(resp, header)
	}
	return resp, nil
}

// CloseIdleConnections closes idle connections of the base transport, if it
// has that method.
func (t *Transport) CloseIdleConnections() {
	if t == nil {
		return
	}
	if c, ok := t.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// trusted reports whether req goes to an origin that may see credentials.
// The common case, a URL built from the base URL, costs two string compares.
func (t *Transport) trusted(req *http.Request) bool {
	u := req.URL
	if u.Scheme == t.scheme && u.Host == t.host && (req.Host == "" || req.Host == t.host) {
		return true
	}
	if !t.allowed(u.Scheme, u.Host) {
		return false
	}
	return req.Host == "" || req.Host == u.Host || t.allowed(u.Scheme, req.Host)
}

func (t *Transport) allowed(scheme, host string) bool {
	o, ok := baseurl.OriginOf(scheme, host)
	if !ok {
		return false
	}
	for _, a := range *t.origins.Load() {
		if a == o {
			return true
		}
	}
	return false
}

// withAuthorization returns a shallow copy of req with its own header map
// carrying header, and body as its body. The caller's request and header map
// stay as they were.
func withAuthorization(req *http.Request, header string, body io.ReadCloser) *http.Request {
	a := &authorizedRequest{req: *req}
	a.value[0] = header
	h := headerWithout(req.Header, 1) // ours replaces the caller's
	h["Authorization"] = a.value[:]
	a.req.Header = h
	a.req.Body = body
	return &a.req
}

// authorizedRequest is a request copy and the backing array of its
// Authorization value, allocated together: one allocation fewer per
// request, in the same size class as an http.Request alone.
type authorizedRequest struct {
	req   http.Request
	value [1]string
}

// replayBody returns a fresh copy of req's body for a retry, or ok=false when
// the body cannot be sent twice.
func replayBody(req *http.Request) (body io.ReadCloser, ok bool) {
	if req.Body == nil || req.Body == http.NoBody {
		return req.Body, true
	}
	if req.GetBody == nil {
		return nil, false
	}
	b, err := req.GetBody()
	if err != nil {
		return nil, false
	}
	return b, true
}

func closeBody(b io.ReadCloser) {
	if b != nil {
		b.Close()
	}
}

// bufferBody replaces a short response body by an in-memory copy and closes
// the original, so its connection returns to the pool. A long body is left
// as it is.
func bufferBody(resp *http.Response) {
	b, err := io.ReadAll(io.LimitReader(resp.Body, drainLimit+1))
	if err != nil || len(b) > drainLimit {
		resp.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(b), resp.Body), resp.Body}
		return
	}
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(b))
}

// discard drains a little of resp's body, so the connection can be reused,
// and closes it.
func discard(resp *http.Response) {
	io.CopyN(io.Discard, resp.Body, drainLimit)
	resp.Body.Close()
}

// String describes t by its base URL; it never shows credentials.
func (t *Transport) String() string { return "auth.Transport{" + t.BaseURL() + "}" }

// Format prints String for every verb, so that printing a Transport never
// walks into its authenticator or base transport.
func (t *Transport) Format(f fmt.State, verb rune) { formatAs(f, verb, t.String()) }

// unwrapTransport returns what a Transport of ours sends with, so that
// credentials never stack: a session or token request, or a second
// Transport, must not go through one that sets its own Authorization.
func unwrapTransport(rt http.RoundTripper) http.RoundTripper {
	for {
		t, ok := rt.(*Transport)
		if !ok || t.base == nil {
			return rt
		}
		rt = t.base
	}
}

type authenticatorKey struct{}

// WithAuthenticator returns a copy of ctx that carries a. A [Transport] (or
// a client from [NewClient]) authenticates a request whose context carries
// an authenticator with that one instead of its own, under the same rules:
// only for its base URL's origin, and a renewal after a 401 goes to the
// authenticator that signed the request. One client can so serve many end
// users, each with their own [Session]. A nil a leaves ctx as it is.
func WithAuthenticator(ctx context.Context, a Authenticator) context.Context {
	if a == nil {
		return ctx
	}
	if ctx == nil {
		ctx = context.Background()
	}
	return context.WithValue(ctx, authenticatorKey{}, a)
}
