package auth

// What IBSSO and Bearer share around the token cache: how they talk to the
// token and session endpoints, how failures pause fetches, and how the cache
// is shown to users (OnRefresh, oauth2.TokenSource).

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/ibkit/auth/internal/tokencache"
)

// noRedirects returns a copy of c (or of a default client) that never
// follows redirects: requests carrying passwords or tokens go to the
// configured host or nowhere.
func noRedirects(c *http.Client) *http.Client {
	var cp http.Client
	if c != nil {
		cp = *c
	}
	cp.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	cp.Transport = unwrapTransport(cp.Transport)
	return &cp
}

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

// maxRetryAfter caps the pause a Retry-After header imposes on fetches, so
// that a broken or hostile answer ("Retry-After: 99999999999") cannot lock
// the authenticator out for centuries.
const maxRetryAfter = 5 * time.Minute

// retryAfter extracts the pause an Infobip error asks for, at most
// maxRetryAfter.
func retryAfter(err error) time.Duration {
	var e *Error
	if errors.As(err, &e) {
		return min(e.RetryAfter, maxRetryAfter)
	}
	return 0
}

// reportTo adapts a user's OnRefresh hook and Logger to the cache's events.
func reportTo(hook func(RefreshEvent), logger *slog.Logger, scheme string) func(tokencache.Event) {
	if hook == nil && logger == nil {
		return nil
	}
	return func(ev tokencache.Event) {
		if logger != nil {
			logFetch(logger, scheme, ev)
		}
		if hook != nil {
			hook(RefreshEvent{Scheme: scheme, Reason: ev.Reason, Start: ev.Start, Duration: ev.Duration, Expiry: ev.Expiry, Err: ev.Err})
		}
	}
}

// logFetch reports a fetch: info when it succeeded, warn when it failed.
// Records hold the scheme, the reason, times and the error text, which
// never holds a secret.
func logFetch(l *slog.Logger, scheme string, ev tokencache.Event) {
	ctx := context.Background()
	if ev.Err != nil {
		l.LogAttrs(ctx, slog.LevelWarn, "auth: fetch failed, backing off",
			slog.String("scheme", scheme), slog.String("reason", ev.Reason),
			slog.Duration("duration", ev.Duration), slog.Time("retry_after", ev.Start.Add(ev.Duration).Add(ev.Pause)),
			slog.String("error", ev.Err.Error()))
		return
	}
	what := "auth: token fetched"
	if scheme == SchemeIBSSO {
		what = "auth: session created"
	}
	attrs := []slog.Attr{slog.String("scheme", scheme), slog.String("reason", ev.Reason), slog.Duration("duration", ev.Duration)}
	if !ev.Expiry.IsZero() {
		attrs = append(attrs, slog.Time("expiry", ev.Expiry))
	}
	l.LogAttrs(ctx, slog.LevelInfo, what, attrs...)
}

// fetchClient is the client an authenticator sends its own session or
// token requests with. One configured without HTTPClient may adopt the
// client of the first NewClient it is given, until it sends a request.
type fetchClient struct {
	mu        sync.Mutex
	client    *http.Client
	adoptable bool
}

func newFetchClient(configured *http.Client) *fetchClient {
	return &fetchClient{client: noRedirects(configured), adoptable: configured == nil}
}

// get returns the client; from then on, none is adopted.
func (f *fetchClient) get() *http.Client {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.adoptable = false
	return f.client
}

func (f *fetchClient) adopt(c *http.Client) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.adoptable {
		f.client, f.adoptable = noRedirects(c), false
	}
}

// defaultFetchTimeout bounds one session or token request when the config
// leaves FetchTimeout zero.
const defaultFetchTimeout = 30 * time.Second

// cacheTokenSource adapts a token cache to oauth2.TokenSource.
type cacheTokenSource struct {
	cache *tokencache.Cache
	typ   string
	// expiry, if set, gives tokens with no expiry of their own one, so
	// that oauth2.ReuseTokenSource asks again.
	expiry func() time.Time
}

func (ts cacheTokenSource) Token() (*oauth2.Token, error) {
	t, err := ts.cache.Get(context.Background())
	if err != nil {
		return nil, err
	}
	tok := &oauth2.Token{AccessToken: t.Value, TokenType: ts.typ, Expiry: t.Expiry}
	if tok.Expiry.IsZero() && ts.expiry != nil {
		tok.Expiry = ts.expiry()
	}
	return tok, nil
}

// failingTokenSource is the TokenSource of an authenticator that was not
// made by its constructor.
type failingTokenSource struct{ err error }

func (ts failingTokenSource) Token() (*oauth2.Token, error) { return nil, ts.err }
