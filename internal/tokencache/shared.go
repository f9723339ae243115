package tokencache

// Sharing a cache's token with other processes (the replicas of a fleet)
// through a store, so that the fleet fetches one token per expiry and keeps
// one session per identity.
//
// The store is consulted only where the cache would fetch: on a miss, in
// the refresh window, on renewal, and (for sessions) at a check-in about
// once a minute while the session is used. The hit path never sees it.
//
// A fetch through the store goes like this:
//
//  1. Load the stored token. If it can replace what this cache has, adopt
//     it: no request to the server.
//  2. Otherwise take the store's lease for the key. The leaseholder loads
//     again (someone may have published since), fetches, publishes with a
//     compare-and-swap against what it replaced, and releases the lease.
//  3. A process that finds the lease held polls the store, at a short
//     jittered interval, until the new token appears or the lease is free
//     (its holder finished or died and the lease expired), and then takes
//     it. It waits at most half of its fetch timeout and then fetches for
//     itself.
//
// Every store error makes the cache fetch for itself, as without a store,
// and leave the store alone for a while (Shared.MinBackoff, MaxBackoff; the
// rule users read is on auth.Store). A check-in that fails keeps the
// session in use.
//
// The store is trusted to share, never to overrule the server: a token
// this cache renewed away after a 401 is not taken from the store again,
// whatever the store holds.

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"
)

// Store is what the cache needs from a store shared between processes.
// Package auth adapts its exported Store to it.
type Store interface {
	// Load returns the token stored under key, or nil if there is none.
	Load(ctx context.Context, key string) (*Stored, error)
	// Swap stores s under key for ttl if the key holds old or nothing; s
	// nil deletes. It reports whether it stored.
	Swap(ctx context.Context, key, old string, s *Stored, ttl time.Duration) (bool, error)
	// Lease takes the key's fetch lease, or fails with ErrLeaseHeld. The
	// lease ends with release, or by itself if its holder dies.
	Lease(ctx context.Context, key string) (release func(context.Context) error, err error)
}

// Stored is a token as a store holds it.
type Stored struct {
	Value    string
	Expiry   time.Time // zero for a session
	LastUse  time.Time // sessions: last use any process reported
	Created  time.Time
	Renewals int // replacements in a row of a token rejected young
}

// ErrLeaseHeld is returned by Store.Lease when another process holds the
// lease; package auth exports it.
var ErrLeaseHeld = errors.New("auth: the store's fetch lease is held by another replica")

// Shared configures sharing through a store. Store and Key are required.
type Shared struct {
	Store  Store
	Key    string
	Scheme string // the header is Scheme + " " + value

	// Sliding selects session semantics: no expiry but an idle limit (the
	// cache's Idle) that slides with use, check-ins, and destroying a
	// replaced session.
	Sliding bool
	// IdleTTL is how long a server keeps an unused session: the store
	// keeps one as long, from its last reported use.
	IdleTTL time.Duration
	// Recheck is how often a session in use checks in with the store,
	// reporting its use and picking up a replacement. Default 1 minute.
	Recheck time.Duration
	// Timeout bounds each store call. Default 1 s.
	Timeout time.Duration
	// Poll is the mean pause between looks at the store while another
	// process fetches. Default 50 ms, jittered ±50%.
	Poll time.Duration
	// MinBackoff and MaxBackoff bound the pause after a store error during
	// which the store is left alone. Defaults 1 s and 30 s.
	MinBackoff, MaxBackoff time.Duration
}

// maxGuard caps the pause between fleet-wide replacements of tokens that
// were rejected young (see guard).
const maxGuard = 5 * time.Minute

// maxRefused is how many rejected tokens a cache remembers (see refuse).
const maxRefused = 8

// shared is a cache's sharing state. Fetches run one at a time (single
// flight); mu orders them with Close and Unshare.
type shared struct {
	cfg Shared

	mu        sync.Mutex
	last      *Token // the token this cache got last, fetched or adopted
	lastRec   Stored // its record
	published bool   // last is, or was, the store's token
	downUntil time.Time
	failures  int

	// refused holds digests of the headers this cache renewed away, the
	// newest maxRefused: the server rejected them, so none is taken from
	// the store again, whatever the store holds. A store whose
	// compare-and-swap fails while it still returns the rejected token (a
	// fingerprint overwritten in Redis) would otherwise hand it back after
	// every renewal, and every request would be rejected.
	refused  [maxRefused][sha256.Size]byte
	nRefused int
}

func newShared(cfg Shared) *shared {
	if cfg.Recheck <= 0 {
		cfg.Recheck = time.Minute
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = time.Second
	}
	if cfg.Poll <= 0 {
		cfg.Poll = 50 * time.Millisecond
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = time.Second
	}
	if cfg.MaxBackoff < cfg.MinBackoff {
		cfg.MaxBackoff = max(30*time.Second, cfg.MinBackoff)
	}
	return &shared{cfg: cfg}
}

// fetch obtains a token for reason. fetched reports whether the result is
// the cache's to report as a fetch: a request went to the server, or it
// failed. Tokens adopted from the store are not reported.
func (c *Cache) fetch(ctx context.Context, reason string, stale *Token) (tok *Token, fetched bool, err error) {
	if c.sh == nil {
		tok, err = c.request(ctx, stale)
		return tok, true, err
	}
	return c.sh.fetch(ctx, c, reason, stale)
}

// recheckAt is when a token without expiry (a session) should check in with
// the store: zero unless it is shared.
func (c *Cache) recheckAt(now time.Time) time.Time {
	if c.sh == nil || !c.sh.cfg.Sliding {
		return time.Time{}
	}
	d := c.sh.cfg.Recheck
	return now.Add(d + rand.N(d/10+1))
}

func (s *shared) state() (last *Token, rec Stored, published bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last, s.lastRec, s.published
}

func (s *shared) remember(t *Token, rec Stored, published bool) {
	s.mu.Lock()
	s.last, s.lastRec, s.published = t, rec, published
	s.mu.Unlock()
}

// refuse records that the server rejected the token sent as header.
func (s *shared) refuse(header string) {
	d := sha256.Sum256([]byte(header))
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.refusedLocked(d) {
		s.refused[s.nRefused%maxRefused] = d
		s.nRefused++
	}
}

// rejected reports whether st is a token this cache renewed away.
func (s *shared) rejected(st *Stored) bool {
	d := sha256.Sum256([]byte(s.cfg.Scheme + " " + st.Value))
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refusedLocked(d)
}

// refusedLocked reports whether the digest d is remembered; s.mu is held.
func (s *shared) refusedLocked(d [sha256.Size]byte) bool {
	for _, r := range s.refused[:min(s.nRefused, maxRefused)] {
		if r == d {
			return true
		}
	}
	return false
}

func (s *shared) fetch(ctx context.Context, c *Cache, reason string, stale *Token) (*Token, bool, error) {
	now := c.cfg.Now()
	last, _, published := s.state()
	checkIn := s.cfg.Sliding && reason == ReasonProactive && last != nil
	if s.down(now) {
		return s.alone(ctx, c, reason, stale, checkIn)
	}
	st, err := s.load(ctx, now)
	if err != nil {
		return s.alone(ctx, c, reason, stale, checkIn)
	}
	if checkIn {
		return s.checkIn(ctx, c, st, last, published, now), false, nil
	}
	if t := s.adopt(c, st, reason, last, stale, now); t != nil {
		return t, false, nil
	}
	if wait := s.guard(st, reason, last, now); wait > 0 {
		return nil, true, fmt.Errorf("auth: renew %s: the shared credential was rejected %d times in a row soon after it was created; next replacement in %v (IBSSO sessions are bound to the creating replica's IP address unless Unsafe is set)",
			s.cfg.Scheme, st.Renewals+1, wait.Round(time.Millisecond))
	}
	release, err := s.lease(ctx, now)
	switch {
	case errors.Is(err, ErrLeaseHeld):
		return s.wait(ctx, c, reason, stale)
	case err != nil:
		return s.alone(ctx, c, reason, stale, false)
	}
	return s.lead(ctx, c, reason, stale, release)
}

// adopt returns the stored token as this cache's next one if it can
// replace what the cache has, else nil. It disposes of stale when stale is
// a private session that the adopted one replaces.
func (s *shared) adopt(c *Cache, st *Stored, reason string, last, stale *Token, now time.Time) *Token {
	if st == nil || s.rejected(st) {
		return nil
	}
	if s.cfg.Sliding {
		if c.cfg.Idle > 0 && now.Sub(st.LastUse) >= c.cfg.Idle {
			return nil // unused by the whole fleet for too long
		}
		// The token handed over as idle may be alive for the fleet; a
		// rejected one may not be adopted again.
		if reason != ReasonIdle && last != nil && st.Value == last.Value {
			return nil
		}
	} else {
		if st.Expiry.IsZero() || st.Expiry.Sub(now) <= min(10*time.Second, st.Expiry.Sub(st.Created)/10) {
			return nil // expired, or about to be
		}
		if last != nil && (st.Value == last.Value || reason == ReasonProactive && !st.Expiry.After(last.Expiry)) {
			return nil
		}
	}
	t := s.token(st)
	s.mu.Lock()
	private := !s.published && s.last != nil && stale != nil && s.last.Value == stale.Value
	s.last, s.lastRec, s.published = t, *st, true
	s.mu.Unlock()
	if private && stale.Value != st.Value {
		s.discard(c, stale) // ours alone: nobody else will end it
	}
	return t
}

// token builds the cache's token for a stored one.
func (s *shared) token(st *Stored) *Token {
	return &Token{Value: st.Value, Header: s.cfg.Scheme + " " + st.Value, Expiry: st.Expiry}
}

// guard returns how long to wait before replacing the stored token after
// this cache's copy of it was rejected, when it was itself the replacement
// of a token rejected young: 1 s after its creation, doubling with each
// replacement in a row, up to 5 minutes. It stops replicas that cannot use
// each other's sessions (bound to another IP address) from replacing them
// back and forth.
func (s *shared) guard(st *Stored, reason string, last *Token, now time.Time) time.Duration {
	if st == nil || last == nil || reason != ReasonRenew || st.Value != last.Value || st.Renewals == 0 {
		return 0
	}
	pause := min(time.Second<<min(st.Renewals-1, 16), maxGuard)
	return st.Created.Add(pause).Sub(now)
}

// renewals counts the replacement of replaced (nil: none) for reason.
func renewals(replaced *Stored, reason string, now time.Time) int {
	if reason != ReasonRenew || replaced == nil {
		return 0
	}
	if now.Sub(replaced.Created) < 2*maxGuard {
		return replaced.Renewals + 1
	}
	return 1
}

// lead runs the fetch for the fleet, holding the lease.
func (s *shared) lead(ctx context.Context, c *Cache, reason string, stale *Token, release func(context.Context) error) (*Token, bool, error) {
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.Timeout)
		defer cancel()
		_ = release(rctx) // if it fails, the lease expires by itself
	}()
	now := c.cfg.Now()
	last, _, published := s.state()
	st, err := s.load(ctx, now) // someone may have published since we looked
	if err != nil {
		return s.alone(ctx, c, reason, stale, false)
	}
	if t := s.adopt(c, st, reason, last, stale, now); t != nil {
		return t, false, nil
	}
	victim := stale
	if s.cfg.Sliding && st != nil {
		// The fleet's session, replaced: destroy it first, as Infobip
		// asks. A private stale session of ours goes too.
		victim = s.token(st)
		if stale != nil && stale.Value != st.Value && !published {
			s.discard(c, stale)
		}
	} else if s.cfg.Sliding && stale != nil && published {
		victim = nil // the fleet's entry is gone; so, probably, is stale
	}
	tok, err := c.request(ctx, victim)
	if err != nil {
		return nil, true, err
	}
	now = c.cfg.Now()
	rec := Stored{Value: tok.Value, Expiry: tok.Expiry, Created: now, Renewals: renewals(st, reason, now)}
	if s.cfg.Sliding {
		rec.LastUse = now
	}
	old := ""
	if st != nil {
		old = st.Value
	}
	ok, err := s.swap(ctx, old, &rec, now)
	switch {
	case err != nil:
		s.remember(tok, rec, false)
	case ok:
		s.remember(tok, rec, true)
	default:
		// Someone published meanwhile (our lease lapsed): prefer theirs,
		// so that the fleet converges on one token.
		if st2, err := s.load(ctx, now); err == nil {
			if t := s.adopt(c, st2, ReasonRenew, tok, nil, now); t != nil {
				s.discard(c, tok)
				return t, true, nil
			}
		}
		s.remember(tok, rec, false)
	}
	return tok, true, nil
}

// wait polls the store while another process fetches, and takes over the
// lease when it is free again. After half of FetchTimeout it gives up and
// fetches alone.
func (s *shared) wait(ctx context.Context, c *Cache, reason string, stale *Token) (*Token, bool, error) {
	limit := time.Now().Add(c.cfg.FetchTimeout / 2)
	timer := time.NewTimer(0)
	defer timer.Stop()
	<-timer.C
	for {
		timer.Reset(s.cfg.Poll/2 + rand.N(s.cfg.Poll+1))
		<-timer.C
		if time.Now().After(limit) {
			return s.alone(ctx, c, reason, stale, false)
		}
		now := c.cfg.Now()
		last, _, _ := s.state()
		st, err := s.load(ctx, now)
		if err != nil {
			return s.alone(ctx, c, reason, stale, false)
		}
		if t := s.adopt(c, st, reason, last, stale, now); t != nil {
			return t, false, nil
		}
		release, err := s.lease(ctx, now)
		switch {
		case errors.Is(err, ErrLeaseHeld):
			continue
		case err != nil:
			return s.alone(ctx, c, reason, stale, false)
		}
		return s.lead(ctx, c, reason, stale, release)
	}
}

// checkIn reports a session's use to the store and picks up a replacement
// made by another process. It never fails: the session in use stays.
func (s *shared) checkIn(ctx context.Context, c *Cache, st *Stored, last *Token, published bool, now time.Time) *Token {
	if st != nil && st.Value != last.Value && (c.cfg.Idle <= 0 || now.Sub(st.LastUse) < c.cfg.Idle) && !s.rejected(st) {
		// Another replica replaced it (and destroyed it, if it was shared).
		t := s.token(st)
		s.remember(t, *st, true)
		if !published {
			s.discard(c, last)
		}
		return t
	}
	return s.report(ctx, st, last, published, now)
}

// report stores the session last again, with its record (Created,
// Renewals) and LastUse now, which also extends its TTL; st is what the
// store holds. It never fails: the session in use stays.
func (s *shared) report(ctx context.Context, st *Stored, last *Token, published bool, now time.Time) *Token {
	_, rec, _ := s.state()
	old := ""
	if st != nil {
		old = st.Value // ours, or a dead one ours replaces
		if st.Value == last.Value {
			rec = *st
		}
	}
	rec.Value, rec.LastUse = last.Value, now
	if rec.Created.IsZero() {
		rec.Created = now
	}
	t := &Token{Value: last.Value, Header: last.Header}
	if ok, err := s.swap(ctx, old, &rec, now); err == nil && ok {
		s.remember(t, rec, true)
	} else {
		s.remember(t, rec, published)
	}
	return t
}

// checkOut reports the last use of the shared session e holds, when it was
// used since its last check-in, as Close leaves it to the fleet: a process
// that closes before its first check-in is due (a command's run) would
// otherwise leave the store to forget a session in use. Store errors are
// ignored, as at a check-in: the session stays alive at the server.
func (c *Cache) checkOut(ctx context.Context, e *entry) {
	if c.sh == nil || !c.sh.cfg.Sliding || e == nil || !c.Shares(e.tok) {
		return
	}
	s := c.sh
	used := c.epoch.Add(time.Duration(e.lastUse.Load()))
	_, rec, _ := s.state()
	if !used.After(rec.LastUse) || s.down(c.cfg.Now()) {
		return
	}
	st, err := s.load(ctx, c.cfg.Now())
	if err != nil || st == nil || st.Value != e.tok.Value || !used.After(st.LastUse) {
		// Gone (destroyed for the fleet, say, or forgotten), replaced by
		// another replica, or its use reported since: nothing to report.
		return
	}
	s.report(ctx, st, e.tok, true, used)
}

// alone fetches without the store, as a cache without one does. A session
// that was shared is kept rather than replaced: the store cannot tell
// whether the fleet still uses it.
func (s *shared) alone(ctx context.Context, c *Cache, reason string, stale *Token, checkIn bool) (*Token, bool, error) {
	last, _, published := s.state()
	if checkIn || s.cfg.Sliding && reason == ReasonIdle && stale != nil && published && last != nil && last.Value == stale.Value {
		return &Token{Value: last.Value, Header: last.Header}, false, nil
	}
	if s.cfg.Sliding && published && stale != nil {
		stale = nil // shared: leave it to the fleet
	}
	tok, err := c.request(ctx, stale)
	if err == nil {
		now := c.cfg.Now()
		s.remember(tok, Stored{Value: tok.Value, Expiry: tok.Expiry, Created: now, LastUse: now}, false)
	}
	return tok, true, err
}

// request fetches from the server within FetchTimeout. The bound is the
// request's own: what a store took before it (each call up to Timeout, or
// a wait for another replica) is not taken from it, so a slow or hung
// store never fails it.
func (c *Cache) request(ctx context.Context, stale *Token) (*Token, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.FetchTimeout)
	defer cancel()
	return c.cfg.Fetch(ctx, stale)
}

func (s *shared) discard(c *Cache, t *Token) {
	if c.cfg.Discard == nil || t == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.cfg.FetchTimeout)
	defer cancel()
	c.cfg.Discard(ctx, t)
}

// down reports whether the store is being left alone after an error.
func (s *shared) down(now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return now.Before(s.downUntil)
}

// result records a store call's outcome: errors start or lengthen the
// pause during which the store is left alone.
func (s *shared) result(err error, now time.Time) error {
	if errors.Is(err, ErrLeaseHeld) {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err == nil {
		s.failures = 0
		return nil
	}
	s.failures++
	d := s.cfg.MinBackoff << min(s.failures-1, 16)
	if d <= 0 || d > s.cfg.MaxBackoff {
		d = s.cfg.MaxBackoff
	}
	s.downUntil = now.Add(d/2 + rand.N(d/2+1))
	return err
}

func (s *shared) load(ctx context.Context, now time.Time) (*Stored, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	st, err := s.cfg.Store.Load(ctx, s.cfg.Key)
	return st, s.result(err, now)
}

func (s *shared) lease(ctx context.Context, now time.Time) (func(context.Context) error, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	release, err := s.cfg.Store.Lease(ctx, s.cfg.Key)
	if err == nil && release == nil {
		err = errors.New("auth: store returned no lease")
	}
	return release, s.result(err, now)
}

func (s *shared) swap(ctx context.Context, old string, rec *Stored, now time.Time) (bool, error) {
	ttl := s.cfg.IdleTTL
	if !s.cfg.Sliding {
		ttl = rec.Expiry.Sub(now)
	}
	if ttl <= 0 {
		return false, nil
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	ok, err := s.cfg.Store.Swap(ctx, s.cfg.Key, old, rec, ttl)
	return ok, s.result(err, now)
}

// Shares reports whether t is the token shared with other processes (or
// was, when the store was last reached), which Close must therefore leave
// alive.
func (c *Cache) Shares(t *Token) bool {
	if c.sh == nil || t == nil {
		return false
	}
	last, _, published := c.sh.state()
	return published && last != nil && last.Value == t.Value
}

// Unshare removes the shared token from the store and returns it, for the
// caller to dispose of; nil without a store or token.
func (c *Cache) Unshare(ctx context.Context) (*Token, error) {
	if c.sh == nil {
		return nil, nil
	}
	s := c.sh
	st, err := s.load(ctx, c.cfg.Now())
	if err != nil || st == nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	if _, err := s.cfg.Store.Swap(ctx, s.cfg.Key, st.Value, nil, 0); err != nil {
		return nil, err
	}
	return s.token(st), nil
}
