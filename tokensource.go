package auth

// The oauth2.TokenSource faces of IBSSO and Bearer.

import (
	"context"
	"time"

	"golang.org/x/oauth2"

	"github.com/ibkit/auth/internal/tokencache"
)

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
