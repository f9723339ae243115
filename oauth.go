package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/ibkit/auth/internal/baseurl"
	"github.com/ibkit/auth/internal/tokencache"
)

// SchemeBearer is the [RefreshEvent.Scheme] of the token fetches of a
// [Bearer].
const SchemeBearer = "Bearer"

const tokenPath = "/auth/1/oauth2/token"

// OAuthConfig configures [NewOAuth]. Zero values mean the defaults given.
type OAuthConfig struct {
	// BaseURL is the account's API base URL, e.g.
	// https://xxxxx.api.infobip.com: token requests go to BaseURL + /auth/1/oauth2/token, and a
	// [Transport] or [NewClient] given this authenticator must use the same
	// origin (the session or token belongs to that account).
	BaseURL string
	// ClientID and ClientSecret identify the OAuth client. They are sent as
	// form parameters to BaseURL + /auth/1/oauth2/token.
	ClientID, ClientSecret string

	// HTTPClient sends the token requests: give the client whose TLS
	// roots, proxy or certificates reach Infobip. It is copied at
	// construction, and redirects are never followed, so the secret cannot
	// travel to another host. Default: http.DefaultClient.
	HTTPClient *http.Client
	// RefreshBefore is how long before a token expires a background refresh
	// starts, while requests keep using the current token. Default: the
	// smaller of 5 minutes and a quarter of the token's lifetime. Each
	// token's window is stretched by a random 0–25%, so a fleet does not
	// refresh in step, and capped at half the token's life. Negative: no
	// refresh before expiry. Tokens stop being served a little before they
	// expire (10 s, or a tenth of a short lifetime), and the window counts
	// back from there.
	RefreshBefore time.Duration
	// FetchTimeout bounds one token request. Default 30 seconds.
	FetchTimeout time.Duration
	// Now is the clock that every expiry decision uses. Default time.Now.
	Now func() time.Time
	// OnRefresh, if set, is called after each attempt to fetch a token.
	// With a Store, tokens taken from the store are not reported.
	OnRefresh func(RefreshEvent)
	// Logger, if set, records each attempt to fetch a token (info; warn
	// when it failed) and, through a Transport made over this Bearer, each
	// request sent without credentials (debug). Records never hold a
	// secret.
	Logger *slog.Logger
	// Store, if set, shares tokens with the other replicas of a fleet that
	// use the same client ID and base URL: the fleet makes one token
	// request per expiry. Nil: tokens are this process's own. See [Store].
	Store Store
}

// Format prints "auth.OAuthConfig{[redacted]}" for every verb, %#v and %+v
// included, so that printing the config never shows a secret.
func (OAuthConfig) Format(f fmt.State, verb rune) {
	formatAs(f, verb, "auth.OAuthConfig{"+redacted+"}")
}

// MarshalJSON encodes the string "auth.OAuthConfig{[redacted]}", so that
// encoding/json, and slog's JSON handler, never show the client secret.
func (OAuthConfig) MarshalJSON() ([]byte, error) {
	return redactedJSON("auth.OAuthConfig{" + redacted + "}")
}

// BearerOptions configures [NewBearer]. Zero values mean the defaults
// given.
type BearerOptions struct {
	// RefreshBefore is how long before a token expires a background
	// refresh starts; see [OAuthConfig.RefreshBefore].
	RefreshBefore time.Duration
	// FetchTimeout bounds one call to the token source. Default 30
	// seconds.
	FetchTimeout time.Duration
	// Now is the clock that every expiry decision uses. Default time.Now.
	Now func() time.Time
	// OnRefresh, if set, is called after each call to the token source.
	OnRefresh func(RefreshEvent)
	// Logger, if set, records each call to the token source and each
	// request a Transport made over this Bearer sends without credentials;
	// see [OAuthConfig.Logger].
	Logger *slog.Logger
}

// Bearer authenticates with OAuth 2.0 access tokens: "Authorization: Bearer
// <token>". It caches the token, refreshes it in the background before it
// expires, and replaces it when the API rejects it. It is a [Renewer] and
// safe for concurrent use; [Bearer.Close] stops it.
type Bearer struct {
	cache *tokencache.Cache
	base  string // canonical base URL; "" for NewBearer
	log   *slog.Logger
}

// Format prints "auth.Bearer{[redacted]}" for every verb, %#v and %+v
// included, so that printing a Bearer never shows a secret.
func (Bearer) Format(f fmt.State, verb rune) { formatAs(f, verb, "auth.Bearer{"+redacted+"}") }

// NewOAuth returns a [Bearer] that obtains tokens from Infobip with the
// client credentials grant. It makes no request until the first call to
// Authorization.
//
// Infobip's token response must carry a positive expires_in; the token's
// expiry is computed from it with cfg.Now.
func NewOAuth(cfg OAuthConfig) (*Bearer, error) {
	o, base, err := baseurl.Parse(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	if err := checkCredential("client ID", cfg.ClientID, false); err != nil {
		return nil, err
	}
	if err := checkCredential("client secret", cfg.ClientSecret, false); err != nil {
		return nil, err
	}
	cc := &clientcredentials.Config{
		ClientID:     cfg.ClientID,
		ClientSecret: cfg.ClientSecret,
		TokenURL:     base + tokenPath,
		// Infobip reads credentials from the form; auto-detection would cost
		// a failed request first.
		AuthStyle: oauth2.AuthStyleInParams,
	}
	client := noRedirects(cfg.HTTPClient)
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	fetch := func(ctx context.Context, _ *tokencache.Token) (*tokencache.Token, error) {
		// A fresh Config.Token per fetch: our cache, not x/oauth2's
		// ReuseTokenSource, decides when to fetch.
		tok, err := cc.Token(context.WithValue(ctx, oauth2.HTTPClient, client))
		if err != nil {
			return nil, tokenError(err, now(), cfg.ClientSecret)
		}
		return bearerToken(tok, now(), true)
	}
	shared := sharing(cfg.Store, SchemeBearer, o, cfg.ClientID, false, 0)
	b := newBearer(fetch, BearerOptions{cfg.RefreshBefore, cfg.FetchTimeout, now, cfg.OnRefresh, cfg.Logger}, shared)
	b.base = base
	return b, nil
}

// NewBearer returns a [Bearer] that caches tokens from ts, any
// oauth2.TokenSource. Pass a source that fetches on each call (not one
// wrapped in oauth2.ReuseTokenSource): the Bearer does the caching, and on a
// 401 it asks ts for a new token.
//
// A token's expiry comes from its "expires_in" extra field or ExpiresIn,
// counted from opts.Now, or else from its Expiry. A token with neither is
// used until the API rejects it. A call to ts.Token that outlasts
// FetchTimeout is abandoned (it cannot be cancelled: TokenSource takes no
// context) and counts as a failed fetch.
func NewBearer(ts oauth2.TokenSource, o BearerOptions) (*Bearer, error) {
	if ts == nil {
		return nil, errors.New("auth: NewBearer: token source is nil")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	fetch := func(ctx context.Context, _ *tokencache.Token) (*tokencache.Token, error) {
		tok, err := tokenWithin(ctx, ts)
		if err != nil {
			return nil, tokenError(err, o.Now())
		}
		return bearerToken(tok, o.Now(), false)
	}
	return newBearer(fetch, o, nil), nil
}

// tokenWithin calls ts.Token, which takes no context, and gives up when ctx
// ends (FetchTimeout), so a hung source cannot block callers forever. The
// abandoned call finishes in the background.
func tokenWithin(ctx context.Context, ts oauth2.TokenSource) (*oauth2.Token, error) {
	type result struct {
		tok *oauth2.Token
		err error
	}
	done := make(chan result, 1)
	go func() {
		tok, err := ts.Token()
		done <- result{tok, err}
	}()
	select {
	case r := <-done:
		return r.tok, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func newBearer(fetch func(context.Context, *tokencache.Token) (*tokencache.Token, error), o BearerOptions, shared *tokencache.Shared) *Bearer {
	return &Bearer{log: o.Logger, cache: tokencache.New(tokencache.Config{
		Fetch:         fetch,
		Now:           o.Now,
		RefreshBefore: o.RefreshBefore,
		FetchTimeout:  o.FetchTimeout,
		RetryAfter:    retryAfter,
		OnFetch:       reportTo(o.OnRefresh, o.Logger, SchemeBearer, "auth: token fetched"),
		Shared:        shared,
	})}
}

// Authorization returns "Bearer <token>", fetching a token when there is
// no usable one. Inside the refresh window it returns the current token and
// starts one background refresh.
func (b *Bearer) Authorization(ctx context.Context) (string, error) {
	if err := b.ready(); err != nil {
		return "", err
	}
	t, err := b.cache.Get(ctx)
	if err != nil {
		return "", err
	}
	return t.Header, nil
}

// Renew fetches a new token if rejected is still the current one's header.
// Many calls for the same rejected token make one fetch.
func (b *Bearer) Renew(ctx context.Context, rejected string) error {
	if err := b.ready(); err != nil {
		return err
	}
	return b.cache.Renew(ctx, rejected)
}

// TokenSource returns b as an oauth2.TokenSource, for libraries that take
// one. It shares b's cache.
func (b *Bearer) TokenSource() oauth2.TokenSource {
	if err := b.ready(); err != nil {
		return failingTokenSource{err}
	}
	return cacheTokenSource{cache: b.cache, typ: "Bearer"}
}

// Close stops b: no background refresh starts any more, a fetch in flight
// is waited for (or ctx), and later calls fail with [ErrClosed]. OAuth
// tokens cannot be revoked at Infobip, so nothing is sent. Calling it
// again does nothing.
func (b *Bearer) Close(ctx context.Context) error {
	if err := b.ready(); err != nil {
		return err
	}
	if ctx == nil {
		ctx = context.Background()
	}
	_, err := b.cache.Close(ctx)
	return err
}

func (b *Bearer) ready() error {
	if b == nil || b.cache == nil {
		return notMade("Bearer", "NewOAuth or NewBearer")
	}
	return nil
}

func (b *Bearer) baseURL() string      { return b.base }
func (b *Bearer) logger() *slog.Logger { return b.log }

// rejected leaves the 401 to Renew, which fetches a new token.
func (b *Bearer) rejected(string) error { return nil }

// maxLifetime bounds expires_in; anything longer is a broken response.
const maxLifetime = 366 * 24 * time.Hour

// bearerToken checks a token from x/oauth2 and computes its expiry with our
// clock. strict requires a positive expires_in, as Infobip always sends.
func bearerToken(tok *oauth2.Token, now time.Time, strict bool) (*tokencache.Token, error) {
	if tok == nil || tok.AccessToken == "" {
		return nil, errors.New("auth: fetch OAuth token: response has no access_token")
	}
	if checkCredential("access token", tok.AccessToken, false) != nil {
		return nil, errors.New("auth: fetch OAuth token: access_token contains whitespace or control characters")
	}
	if typ := tok.TokenType; typ != "" && !strings.EqualFold(typ, "bearer") {
		// The value is not shown: a server could echo anything there.
		return nil, errors.New("auth: fetch OAuth token: token_type is not Bearer")
	}
	seconds, present, err := expiresIn(tok)
	if err != nil {
		return nil, err
	}
	t := &tokencache.Token{Value: tok.AccessToken, Header: "Bearer " + tok.AccessToken}
	switch {
	case present && seconds < 1:
		// Less than a second would be expired on arrival, and fetched again
		// by every request.
		return nil, fmt.Errorf("auth: fetch OAuth token: expires_in is %v, want a positive number of seconds (at least 1)", seconds)
	case present && seconds > maxLifetime.Seconds():
		return nil, fmt.Errorf("auth: fetch OAuth token: expires_in is %v seconds, more than a year", seconds)
	case present:
		t.Expiry = now.Add(time.Duration(seconds * float64(time.Second)))
	case strict:
		return nil, errors.New("auth: fetch OAuth token: response has no expires_in")
	case !tok.Expiry.IsZero():
		// Only the source's own (real) clock is known: keep the time left.
		// Under a second is refused as expires_in is: the token would be
		// fetched again by every request.
		left := time.Until(tok.Expiry)
		if left < time.Second {
			return nil, errors.New("auth: fetch OAuth token: the token source returned a token that expires in less than a second")
		}
		t.Expiry = now.Add(left)
	}
	return t, nil
}

// expiresIn reads expires_in from the raw response (as x/oauth2 keeps it) or
// from Token.ExpiresIn.
func expiresIn(tok *oauth2.Token) (seconds float64, present bool, err error) {
	bad := errors.New("auth: fetch OAuth token: expires_in is not a number")
	raw := tok.Extra("expires_in")
	if s, ok := raw.(string); ok && strings.TrimSpace(s) == "" {
		raw = nil // a form-encoded response without expires_in reads as ""
	}
	switch v := raw.(type) {
	case nil:
		if tok.ExpiresIn != 0 {
			return float64(tok.ExpiresIn), true, nil
		}
		return 0, false, nil
	case float64:
		seconds = v
	case int64:
		seconds = float64(v)
	case json.Number:
		if seconds, err = v.Float64(); err != nil {
			return 0, true, bad
		}
	case string:
		if seconds, err = strconv.ParseFloat(strings.TrimSpace(v), 64); err != nil {
			return 0, true, bad
		}
	default:
		return 0, true, bad
	}
	if math.IsNaN(seconds) || math.IsInf(seconds, 0) {
		return 0, true, bad
	}
	return seconds, true, nil
}

// tokenError turns a token endpoint's refusal into an *Error, keeping the
// x/oauth2 error reachable with errors.Unwrap. The secrets sent, and any
// token in the answer, are scrubbed from both, in every field and in any
// encoding, in case the server echoed them. now is the configured clock's
// reading, for a Retry-After date when the answer has no Date header.
func tokenError(err error, now time.Time, secrets ...string) error {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.Response == nil {
		return failure("fetch OAuth token", err, secrets...)
	}
	sc := newScrubber(slices.Concat(secrets, tokensIn(re.Body))...)
	e := parseErrorBody(re.Response.StatusCode, re.Response.Header, re.Body, now)
	e.scrub(sc, re.Body)
	sc.scrubRetrieveError(re)
	e.Op = "fetch OAuth token"
	e.Err = re
	return e
}
