package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ibkit/auth"
	"github.com/ibkit/auth/internal/baseurl"
	"github.com/ibkit/auth/internal/scrub"
)

// account is the Infobip account the IB_* variables configure, with the
// HTTP clients that reach it.
type account struct {
	baseURL string
	auth    auth.Authenticator
	source  string       // the variables the credentials came from
	client  *http.Client // authenticates requests for baseURL
	plain   *http.Client // adds no credentials (session, token, checks)
	cache   *cacheState  // nil: the credentials need no cache

	mu     sync.Mutex
	events []auth.RefreshEvent // session and token fetches
}

// ibVars are the variables ibauth reads for the account, in the order
// doctor lists them.
var ibVars = []string{"IB_BASE_URL", "IB_AUTH", "IB_API_KEY", "IB_USERNAME", "IB_PASSWORD",
	"IB_CLIENT_ID", "IB_CLIENT_SECRET", "IB_SESSION_TOKEN"}

// openAccount configures the account from the environment as
// auth.FromEnv does, except that IB_SESSION_TOKEN, a session from
// 'ibauth login', wins over the other credentials. Its errors are
// configuration errors.
func (a *app) openAccount() (*account, error) {
	acc := &account{plain: &http.Client{Transport: a.transport()}}
	onRefresh := func(e auth.RefreshEvent) {
		acc.mu.Lock()
		acc.events = append(acc.events, e)
		acc.mu.Unlock()
	}
	if token := os.Getenv("IB_SESSION_TOKEN"); token != "" {
		baseURL, err := envBaseURL()
		if err != nil {
			return nil, configError(err)
		}
		s, err := auth.ResumeSession(auth.LoginConfig{BaseURL: baseURL, HTTPClient: acc.plain, Logger: a.logger()}, token)
		if err != nil {
			return nil, configError(fmt.Errorf("IB_SESSION_TOKEN: %w", err))
		}
		acc.baseURL, acc.auth, acc.source = baseURL, s, "IB_SESSION_TOKEN"
	} else {
		opts := []auth.EnvOption{auth.WithHTTPClient(acc.plain), auth.WithOnRefresh(onRefresh)}
		if l := a.logger(); l != nil {
			opts = append(opts, auth.WithLogger(l))
		}
		baseURL, au, err := auth.FromEnv(opts...)
		if err != nil {
			return nil, configError(err)
		}
		if scheme, identity, secret, ok := cacheIdentity(au); ok {
			acc.cache = a.openCache(scheme, baseURL, identity, secret)
			if w := acc.cache.warning(); w != "" && !a.reportsCache {
				a.printErr(w)
			}
			if acc.cache.store != nil {
				// The same credentials again, with the store: au has
				// made no request yet.
				if c, ok := au.(interface{ Close(context.Context) error }); ok {
					c.Close(context.Background())
				}
				if baseURL, au, err = auth.FromEnv(append(opts, auth.WithStore(acc.cache.store))...); err != nil {
					acc.cache.close()
					return nil, configError(err)
				}
			}
		}
		acc.baseURL, acc.auth, acc.source = baseURL, au, envSource(au)
	}
	client, err := auth.NewClient(acc.baseURL, acc.auth, acc.plain)
	if err != nil {
		acc.close(a)
		return nil, configError(err)
	}
	acc.client = client
	return acc, nil
}

// close releases the account's credential: an IBSSO session ibauth
// created is destroyed, unless the cache keeps it for later calls (then
// the run's use of it is reported to the cache). A session from
// IB_SESSION_TOKEN lives on: it is the user's, until 'ibauth logout'.
func (acc *account) close(a *app) {
	if _, ok := acc.auth.(*auth.Session); ok {
		return
	}
	defer acc.cache.close()
	// Not the command's context: a session must be destroyed even after
	// Ctrl-C.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	closeCtx := ctx
	if _, ok := acc.auth.(*auth.Bearer); ok {
		// An OAuth token has nothing to dispose of: waiting for a fetch
		// in flight, one that Ctrl-C cut short say, would only delay the
		// exit.
		var stop context.CancelFunc
		closeCtx, stop = context.WithCancel(ctx)
		stop()
	}
	// With a store, Close leaves the session the store shares alive, and
	// reports its use there: a run never lives to its first check-in.
	if c, ok := acc.auth.(interface{ Close(context.Context) error }); ok {
		if err := c.Close(closeCtx); err != nil && closeCtx.Err() != context.Canceled {
			a.printErr("warning: " + err.Error())
		}
	}
	acc.warnCacheFailure(a)
}

// warnCacheFailure prints the cache's failure in the run, if any, unless
// the command reports the cache itself.
func (acc *account) warnCacheFailure(a *app) {
	if w := acc.cache.failure(); w != "" && !a.reportsCache {
		a.printErr(w)
	}
}

// refreshes returns the session and token fetches so far.
func (acc *account) refreshes() []auth.RefreshEvent {
	acc.mu.Lock()
	defer acc.mu.Unlock()
	return slices.Clone(acc.events)
}

// scheme describes the account's authentication for people.
func (acc *account) scheme() string {
	switch acc.auth.(type) {
	case *auth.APIKey:
		return "App (API key)"
	case *auth.Basic:
		return "Basic"
	case *auth.IBSSO:
		if acc.cache != nil && acc.cache.store != nil {
			return "IBSSO (a session kept in ibauth's cache)"
		}
		return "IBSSO (a session created for this run)"
	case *auth.Bearer:
		return "OAuth 2.0 (Bearer token)"
	case *auth.Session:
		return "IBSSO (the session in IB_SESSION_TOKEN)"
	}
	return fmt.Sprintf("%T", acc.auth)
}

// envBaseURL returns IB_BASE_URL in canonical form, checked by the same
// rules as in auth.FromEnv.
func envBaseURL() (string, error) {
	raw := os.Getenv("IB_BASE_URL")
	if raw == "" {
		return "", errors.New("IB_BASE_URL is not set")
	}
	_, canonical, err := baseurl.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("IB_BASE_URL: %w", err)
	}
	return canonical, nil
}

// envSource names the variables auth.FromEnv took a's credentials from.
func envSource(a auth.Authenticator) string {
	identity, secret := envVarsOf(a)
	if identity == "" {
		return secret
	}
	return identity + " and " + secret
}

// envVarsOf names the variables auth.FromEnv took a's identity and secret
// from; an API key has no identity.
func envVarsOf(a auth.Authenticator) (identity, secret string) {
	switch a.(type) {
	case *auth.APIKey:
		return "", "IB_API_KEY"
	case *auth.Bearer:
		// The account's username and password stand in for the client's
		// only when neither client variable is set.
		if os.Getenv("IB_CLIENT_ID") != "" || os.Getenv("IB_CLIENT_SECRET") != "" {
			return "IB_CLIENT_ID", "IB_CLIENT_SECRET"
		}
	}
	return "IB_USERNAME", "IB_PASSWORD"
}

// logger is the library's logger under --debug: its records never hold a
// secret, and are written through the run's scrubber all the same.
func (a *app) logger() *slog.Logger {
	if !a.debug {
		return nil
	}
	return slog.New(slog.NewTextHandler(scrubbingWriter{a.stderr, &a.secrets}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// secretVars are the IB_* variables that hold a secret.
var secretVars = []string{"IB_API_KEY", "IB_PASSWORD", "IB_CLIENT_SECRET", "IB_SESSION_TOKEN"}

// secrets are the credentials of one run: those of the IB_* variables, a
// password typed at the prompt, and every Authorization value sent. What
// ibauth shows of a server (an error body, headers, --debug) is judged
// against all of them, in every encoding the scrubber knows.
type secrets struct {
	mu   sync.Mutex
	list []string
	seen map[string]bool
	// sc and long scrub for list; nil until asked for after an add. A
	// run adds its few secrets early and scrubs many texts after.
	sc, long *scrub.Scrubber
}

// add adds the non-empty values vs.
func (s *secrets) add(vs ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range vs {
		if v != "" && !s.seen[v] {
			if s.seen == nil {
				s.seen = make(map[string]bool)
			}
			s.seen[v] = true
			s.list = append(s.list, v)
			s.sc, s.long = nil, nil
		}
	}
}

// scrubber returns a scrubber for the secrets known so far, for what a
// server sent: a body, a header.
func (s *secrets) scrubber() *scrub.Scrubber {
	sc, _ := s.scrubbers()
	return sc
}

func (s *secrets) scrubbers() (all, long *scrub.Scrubber) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sc == nil {
		s.sc = scrub.New(s.list...)
		s.long = s.sc.Long()
	}
	return s.sc, s.long
}

// inWords returns a scrubber for the secrets known so far that are long
// enough to look for in a message written in words, ibauth's or the
// library's, that may quote a server: a short one turns up there by chance
// and would wipe the message out. (The library drops any text from a
// server that holds a short secret its request carried.)
func (s *secrets) inWords() *scrub.Scrubber {
	_, long := s.scrubbers()
	return long
}

// scrubbingWriter writes to w what is written to it, every secret
// redacted: for slog, which writes a record at a time.
type scrubbingWriter struct {
	w       io.Writer
	secrets *secrets
}

func (sw scrubbingWriter) Write(p []byte) (int, error) {
	if _, err := sw.w.Write(sw.secrets.inWords().Bytes(p)); err != nil {
		return 0, err
	}
	return len(p), nil
}

// transport is the bottom of every client ibauth makes: below the
// auth.Transport, it sees requests with their Authorization header, so it
// learns each credential sent, and --debug shows them here, redacted. One
// run has one.
func (a *app) transport() *wireTransport {
	if a.wire == nil {
		base := http.DefaultTransport.(*http.Transport).Clone()
		base.ResponseHeaderTimeout = time.Minute
		a.wire = &wireTransport{base: base, userAgent: "ibauth/" + version(), secrets: &a.secrets}
		if a.debug {
			a.wire.log = a.stderr
		}
	}
	return a.wire
}

// wireTransport sets ibauth's User-Agent, adds the credential of each
// request to the run's secrets and, under --debug, writes each request and
// response head to log, as curl -v does, with every credential redacted:
// by name (Authorization, Cookie, …) and by value, wherever a secret of
// the run shows, in any encoding. Bodies are never shown: session and
// token requests carry passwords and secrets in theirs.
type wireTransport struct {
	base      http.RoundTripper
	userAgent string
	secrets   *secrets
	log       io.Writer // nil: quiet
}

func (t *wireTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	for _, name := range []string{"Authorization", "Proxy-Authorization"} {
		for _, v := range req.Header.Values(name) {
			t.secrets.add(scrub.Credential(v)...)
		}
	}
	if req.Header.Get("User-Agent") == "" {
		// A RoundTripper must not change the caller's request.
		r := req.Clone(req.Context())
		r.Header.Set("User-Agent", t.userAgent)
		req = r
	}
	if t.log == nil {
		return t.base.RoundTrip(req)
	}
	sc, long := t.secrets.scrubbers()
	uri := sc.Text(redactURI(req.URL))
	var b strings.Builder
	fmt.Fprintf(&b, "> %s %s %s\n", req.Method, uri, req.Proto)
	fmt.Fprintf(&b, "> Host: %s\n", sc.Text(req.URL.Host))
	writeHeader(&b, "> ", req.Header, sc)
	b.WriteString(">\n")
	io.WriteString(t.log, b.String())

	start := time.Now()
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		fmt.Fprintf(t.log, "* %s %s: %s\n", req.Method, uri, long.Text(err.Error()))
		return nil, err
	}
	b.Reset()
	fmt.Fprintf(&b, "< %s %s (%s)\n", resp.Proto, printable(sc.Text(resp.Status)), time.Since(start).Round(time.Millisecond))
	writeHeader(&b, "< ", resp.Header, sc)
	b.WriteString("<\n")
	io.WriteString(t.log, b.String())
	return resp, nil
}

// writeHeader writes h sorted by name, one line per value, redacted by
// name and by value.
func writeHeader(b *strings.Builder, prefix string, h http.Header, sc *scrub.Scrubber) {
	for _, name := range slices.Sorted(maps.Keys(h)) {
		for _, v := range h[name] {
			fmt.Fprintf(b, "%s%s: %s\n", prefix, printable(sc.Text(name)), printable(sc.Text(redactHeader(name, v))))
		}
	}
}

// redactHeader returns the value of header name as --debug may show it.
// Authorization keeps its scheme, which tells which credential was sent.
func redactHeader(name, value string) string {
	switch http.CanonicalHeaderKey(name) {
	case "Authorization", "Proxy-Authorization":
		scheme, _, _ := strings.Cut(value, " ")
		for _, s := range []string{"App", "Basic", "IBSSO", "Bearer"} {
			if strings.EqualFold(scheme, s) {
				return scheme + " [redacted]"
			}
		}
		return "[redacted]"
	}
	if sensitive(name) {
		return "[redacted]"
	}
	return value
}

// sensitive reports whether a header or query parameter called name
// probably holds a credential.
func sensitive(name string) bool {
	n := strings.ToLower(name)
	for _, s := range []string{"auth", "cookie", "token", "secret", "password", "passwd", "key", "session", "signature"} {
		if strings.Contains(n, s) {
			return true
		}
	}
	return false
}

// redactURI is u's path and query, with the values of sensitive query
// parameters redacted.
func redactURI(u *url.URL) string {
	if u.RawQuery == "" {
		return u.RequestURI()
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return u.EscapedPath() + "?[redacted]"
	}
	for k, vs := range q {
		if sensitive(k) {
			for i := range vs {
				vs[i] = "[redacted]"
			}
		}
	}
	return u.EscapedPath() + "?" + strings.ReplaceAll(q.Encode(), "%5Bredacted%5D", "[redacted]")
}

// describeError rewrites an error from a request for people: op, such as
// "GET /account/1/balance", replaces the URL that net/http puts in front,
// and an ended session says what to do.
func describeError(op string, err error) error {
	if errors.Is(err, auth.ErrSessionExpired) {
		return errors.New("the IBSSO session in IB_SESSION_TOKEN has ended (unused for too long, logged out, or refused): run 'ibauth login' for a new one")
	}
	if ue, ok := errors.AsType[*url.Error](err); ok {
		err = ue.Err
	}
	if op == "" {
		return err
	}
	return fmt.Errorf("%s: %w", op, err)
}
