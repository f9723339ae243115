package auth

// What IBSSO and Bearer share around the token cache: how they talk to the
// token and session endpoints, how failures pause fetches, and how the cache
// is shown to users (OnRefresh, oauth2.TokenSource).

import (
	"context"
	"errors"
	"net/http"
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
	return &cp
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

// reportTo adapts a user's OnRefresh hook to the cache's events.
func reportTo(hook func(RefreshEvent), scheme string) func(tokencache.Event) {
	if hook == nil {
		return nil
	}
	return func(ev tokencache.Event) {
		hook(RefreshEvent{Scheme: scheme, Reason: ev.Reason, Start: ev.Start, Duration: ev.Duration, Expiry: ev.Expiry, Err: ev.Err})
	}
}

// defaultFetchTimeout bounds one session or token request when the config
// leaves FetchTimeout zero.
const defaultFetchTimeout = 30 * time.Second

// isStatus reports whether err carries an Infobip answer with status code.
func isStatus(err error, code int) bool {
	var e *Error
	return errors.As(err, &e) && e.StatusCode == code
}

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
