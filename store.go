package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ibkit/auth/internal/baseurl"
	"github.com/ibkit/auth/internal/tokencache"
)

// Store shares OAuth tokens and IBSSO sessions between the replicas of a
// fleet that use the same credentials, so that the fleet behaves like one
// process: one token request per expiry, one session per identity. Set it as
// [OAuthConfig.Store] or [IBSSOConfig.Store]. Package
// github.com/ibkit/auth/redisstore implements it on Redis, for replicas on
// many hosts, and package github.com/ibkit/auth/filestore on a directory,
// for processes on one host.
//
// A Store is consulted only where a process would otherwise fetch: when it
// has no usable token, inside the refresh window, after a 401, and, for an
// IBSSO session in use, about once a minute in the background to report the
// use (sessions end when unused fleet-wide, not per replica). A request with
// a cached credential never reaches the store.
//
// One replica at a time fetches for the fleet: it takes the store's lease,
// fetches, and publishes the token. The others look at the store every
// 50 ms or so and take the token as soon as it is there (inside the
// refresh window, OAuth replicas serve their current token meanwhile); one
// that has waited half its FetchTimeout fetches for itself. A failing
// session or token endpoint is not shared: each replica backs off from it
// as a single process does.
//
// Store errors are never fatal. After one, the process fetches for itself,
// as without a store, and leaves the store alone for a jittered pause that
// grows from 1 s to 30 s. Each store call gets a context with a 1-second
// deadline; a Store that ignores its context is not cut short. A
// session already in use is kept while the store is unreachable, and
// published again once it is back.
//
// A store shares tokens; it never overrules the server. A token a process
// renewed away after a 401 is never taken back from the store, whatever
// the store holds: the process keeps the token it fetched instead. A token
// rejected soon after it was made (as when replicas behind different
// egress addresses share IP-bound IBSSO sessions) is replaced for the fleet
// at once the first time; each replacement in a row then waits longer, 1 s
// after the rejected token's creation, then 2 s, 4 s and so on up to 5
// minutes, and a renewal fails meanwhile with an error that says so. Such
// replicas cannot start a storm of replacements.
//
// Keys are computed by this package from the scheme, the canonical base URL
// and the identity (client ID or username, and the Unsafe flag for IBSSO),
// hashed: they never contain a secret. Implementations add their own
// prefix. Implementations must be safe for concurrent use.
type Store interface {
	// Load returns the token stored under key, or nil and no error if there
	// is none.
	Load(ctx context.Context, key string) (*StoredToken, error)
	// CompareAndSwap stores tok under key, to be forgotten after ttl, if
	// the key holds a token whose Value is old, or holds nothing. A nil tok
	// deletes the key on the same condition. It reports whether it stored
	// (or deleted). ttl is how long the token stays useful: until its
	// expiry for OAuth, the idle limit for a session (each check-in stores
	// the session again, so the limit slides with use).
	CompareAndSwap(ctx context.Context, key, old string, tok *StoredToken, ttl time.Duration) (bool, error)
	// Lease takes the lease that lets one replica fetch for key while the
	// others wait for its result. If another replica holds it, Lease
	// returns [ErrLeaseHeld] at once. A lease must end by itself (a TTL) if
	// its holder dies, and should be kept alive while its holder runs;
	// the holder calls Release when its fetch is done.
	Lease(ctx context.Context, key string) (Lease, error)
}

// Lease is a fetch lease taken with [Store.Lease].
type Lease interface {
	// Release ends the lease, unless it has already ended by itself.
	Release(ctx context.Context) error
}

// ErrLeaseHeld is returned by [Store.Lease] when another replica holds the
// lease.
var ErrLeaseHeld = tokencache.ErrLeaseHeld

// StoredToken is a token as a [Store] holds it. Times are on the clock of
// the process that stored them (the Now of its config).
//
// Value is a secret: a StoredToken prints and logs itself redacted, and a
// Store should encrypt it at rest.
type StoredToken struct {
	// Scheme is "Bearer" (OAuth) or "IBSSO".
	Scheme string
	// Value is the token itself, sent as "Authorization: <Scheme> <Value>".
	Value string
	// Expiry is when an OAuth token expires; zero for a session, which
	// ends only when unused.
	Expiry time.Time
	// LastUse is, for a session, the last use a replica reported.
	LastUse time.Time
	// Created is when the token was fetched.
	Created time.Time
	// Renewals counts replacements in a row of a token that was rejected
	// (401) soon after it was created; each one doubles the pause before
	// the fleet may replace the next (see [Store]).
	Renewals int
}

// Format prints "auth.StoredToken{[redacted]}" for every verb, %#v and %+v
// included, so that printing a stored token never shows a secret.
func (StoredToken) Format(f fmt.State, verb rune) {
	formatAs(f, verb, "auth.StoredToken{"+redacted+"}")
}

// MarshalJSON encodes the string "auth.StoredToken{[redacted]}", so that
// encoding/json, and slog's JSON handler, never show the token.
func (StoredToken) MarshalJSON() ([]byte, error) {
	return redactedJSON("auth.StoredToken{" + redacted + "}")
}

// storeKey derives the store key for an identity. The scheme keeps tokens
// and sessions apart; unsafe keeps IP-bound and unbound sessions apart.
func storeKey(scheme string, o baseurl.Origin, identity string, unsafe bool) string {
	h := sha256.New()
	fmt.Fprintf(h, "ibkit/auth\x00%s\x00%s://%s\x00%s\x00%t", scheme, o.Scheme, o.HostPort, identity, unsafe)
	return strings.ToLower(scheme) + ":" + hex.EncodeToString(h.Sum(nil))
}

// sharing returns the cache's sharing configuration for st (nil: none).
// A positive idle selects session semantics with that idle limit.
func sharing(st Store, scheme string, o baseurl.Origin, identity string, unsafe bool, idle time.Duration) *tokencache.Shared {
	if st == nil {
		return nil
	}
	return &tokencache.Shared{
		Store:   storeAdapter{st, scheme},
		Key:     storeKey(scheme, o, identity, unsafe),
		Scheme:  scheme,
		Sliding: idle > 0,
		IdleTTL: idle,
	}
}

// storeAdapter presents a Store to the token cache, and checks what it
// loads: a token that cannot travel in a header is never sent.
type storeAdapter struct {
	s      Store
	scheme string
}

func (a storeAdapter) Load(ctx context.Context, key string) (*tokencache.Stored, error) {
	t, err := a.s.Load(ctx, key)
	if err != nil || t == nil {
		return nil, err
	}
	if t.Scheme != a.scheme {
		return nil, fmt.Errorf("auth: store holds a %q token where a %s one belongs", clean(t.Scheme, 20), a.scheme)
	}
	if checkCredential("stored token", t.Value, false) != nil {
		return nil, errors.New("auth: store holds a malformed token (empty, whitespace or control characters)")
	}
	return &tokencache.Stored{Value: t.Value, Expiry: t.Expiry, LastUse: t.LastUse, Created: t.Created, Renewals: t.Renewals}, nil
}

func (a storeAdapter) Swap(ctx context.Context, key, old string, s *tokencache.Stored, ttl time.Duration) (bool, error) {
	var t *StoredToken
	if s != nil {
		t = &StoredToken{Scheme: a.scheme, Value: s.Value, Expiry: s.Expiry, LastUse: s.LastUse, Created: s.Created, Renewals: s.Renewals}
	}
	return a.s.CompareAndSwap(ctx, key, old, t, ttl)
}

func (a storeAdapter) Lease(ctx context.Context, key string) (func(context.Context) error, error) {
	l, err := a.s.Lease(ctx, key)
	if err != nil {
		return nil, err
	}
	if l == nil {
		return nil, errors.New("auth: store returned a nil lease")
	}
	return l.Release, nil
}
