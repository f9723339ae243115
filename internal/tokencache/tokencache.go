// Package tokencache holds one credential that expires (an OAuth token) or
// dies when unused (an IBSSO session), and fetches a new one when needed.
//
// A hit is an atomic load and a clock read: no lock, no allocation. Misses
// share one fetch (single flight); each waiter gives up on its own context
// while the fetch runs detached with its own timeout. A token inside its
// refresh window keeps being served while one background fetch replaces it.
// After a failed fetch, further fetches wait a jittered, growing pause (or
// the server's Retry-After), so a failing endpoint is not hammered.
package tokencache

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// Token is an immutable credential.
type Token struct {
	Value  string    // the raw token
	Header string    // the Authorization header value that carries it
	Expiry time.Time // when the server stops accepting it; zero: no fixed expiry
}

// Reasons a fetch runs, as reported in [Event].
const (
	ReasonInitial   = "initial"
	ReasonExpired   = "expired"
	ReasonIdle      = "idle"
	ReasonProactive = "proactive"
	ReasonRenew     = "renew"
)

// Event describes one fetch.
type Event struct {
	Reason   string
	Start    time.Time // by Config.Now
	Duration time.Duration
	Expiry   time.Time
	Err      error
	Pause    time.Duration // after a failure: no fetch starts for this long
}

// Config configures a [Cache]. Fetch is required; zero values elsewhere
// mean the documented defaults.
type Config struct {
	// Fetch obtains a new token. stale, when not nil, is a token the cache
	// gives up on while the server may still accept it (an idle one): Fetch
	// disposes of it, and the cache never serves it again, whether the
	// fetch succeeds or not. A token being refreshed early is not stale: it
	// is served until its replacement lands.
	Fetch func(ctx context.Context, stale *Token) (*Token, error)
	// Discard disposes of a token fetched after Close. Optional.
	Discard func(ctx context.Context, t *Token)

	Now func() time.Time // default time.Now

	// RefreshBefore is how long before a token stops being served (its
	// Expiry less a margin of 10 s, or a tenth of the lifetime if smaller)
	// a background refresh starts. 0: the smaller of 5 minutes and a
	// quarter of the lifetime; negative: never. Each token's window is
	// stretched by a random 0–25% so a fleet of processes does not refresh
	// in step, and capped at half the token's usable life.
	RefreshBefore time.Duration
	// Idle, if positive, makes a token unusable once it has not been used
	// for this long (the caller subtracts its safety margin).
	Idle time.Duration
	// FetchTimeout bounds one call to Fetch. Default 30 s. With a store,
	// the store calls and a wait for another replica come first, bounded
	// on their own: they do not shorten the call.
	FetchTimeout time.Duration
	// MinBackoff and MaxBackoff bound the pause after failed fetches.
	// Defaults 500 ms and 30 s.
	MinBackoff, MaxBackoff time.Duration
	// RetryAfter extracts a server-requested pause from a fetch error.
	RetryAfter func(error) time.Duration
	// OnFetch is called after each fetch, from the fetching goroutine,
	// before the callers waiting for it return. It must not block.
	OnFetch func(Event)
	// Shared, if set, shares the token with other processes through a
	// store (see shared.go). Tokens taken from the store are not reported
	// to OnFetch.
	Shared *Shared
}

// ErrClosed is returned after Close; package auth exports it.
var ErrClosed = errors.New("auth: authenticator is closed")

// Cache holds the current token. Its zero value is not usable: see [New].
//
// Instants that the cache keeps as numbers (a token's last use, the
// backoff pause) are nanoseconds since epoch, the clock's reading when the
// cache was made. With the default clock, time.Now, the difference is taken
// on the monotonic clock, so a wall-clock step (an NTP correction) moves
// none of them. An injected clock has no monotonic reading; a step back is
// then treated as no time passed: it never lengthens a pause.
type Cache struct {
	cfg   Config
	epoch time.Time
	cur   atomic.Pointer[entry]

	// pause is the one "not yet" of the cache: after a failed fetch, no
	// fetch starts (foreground, background or renewal) until it ends.
	// Written under mu; the hit path reads it without the lock.
	pause    pause
	fetching atomic.Bool // a fetch is in flight (c.call != nil)

	mu       sync.Mutex
	call     *call // the fetch in flight, if any
	fetched  bool  // a fetch has succeeded at least once
	failures int   // consecutive failed fetches
	lastErr  error // the last fetch's error, until a fetch succeeds
	closed   bool
	closing  bool   // Close is waiting for the fetch in flight
	orphan   *Token // fetched while closing; Close disposes of it
	rejected *Token // renewed away while no fetch could start; the next fetch disposes of it

	sh *shared // nil without Config.Shared
}

// pause is a span of the cache's clock, in nanoseconds since its epoch.
type pause struct {
	from, length atomic.Int64
}

func (p *pause) set(from int64, length time.Duration) {
	p.length.Store(0) // a reader between the two stores sees no pause
	p.from.Store(from)
	p.length.Store(int64(length))
}

// holds reports whether at lies inside the pause. Before its start (the
// clock stepped back) it does not: a pause never lasts longer than its
// length.
func (p *pause) holds(at int64) bool {
	d := at - p.from.Load()
	return d >= 0 && d < p.length.Load()
}

// entry is a token and what the cache knows about it. Only lastUse
// changes after publication, atomically.
type entry struct {
	tok       *Token
	deadline  time.Time    // stop serving at this instant; zero: never
	refreshAt time.Time    // start a background refresh; zero: never
	lastUse   atomic.Int64 // nanoseconds since the cache's epoch
}

type call struct {
	done  chan struct{}
	stale *Token // the token this fetch disposes of, if any
	// rejected is the header of a token a Renew that joined this call
	// refused: should the call bring it back (a shared session's check-in
	// does), it is not served, and next fetches again.
	rejected string
	next     *call // set before done closes: waiters move on to it
	tok      *Token
	err      error
}

// New returns a cache; it fetches nothing until the first Get.
func New(cfg Config) *Cache {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.FetchTimeout <= 0 {
		cfg.FetchTimeout = 30 * time.Second
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = 500 * time.Millisecond
	}
	if cfg.MaxBackoff < cfg.MinBackoff {
		cfg.MaxBackoff = max(30*time.Second, cfg.MinBackoff)
	}
	c := &Cache{cfg: cfg, epoch: cfg.Now()}
	if cfg.Shared != nil {
		c.sh = newShared(*cfg.Shared)
	}
	return c
}

// since converts an instant of the clock to nanoseconds since the epoch.
func (c *Cache) since(t time.Time) int64 { return int64(t.Sub(c.epoch)) }

// idleGranularity limits lastUse writes to one a second per token (less for
// very short idle limits), so a hot token's cache line is mostly read, not
// written.
const idleGranularity = time.Second

// Get returns a usable token, fetching one if needed.
func (c *Cache) Get(ctx context.Context) (*Token, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if e := c.cur.Load(); e != nil {
		now := c.cfg.Now()
		if c.usable(e, now) {
			if !e.refreshAt.IsZero() && !now.Before(e.refreshAt) && !c.fetching.Load() && !c.pause.holds(c.since(now)) {
				c.refreshInBackground(ctx, e)
			}
			c.touch(e, now)
			return e.tok, nil
		}
	}
	return c.slow(ctx)
}

func (c *Cache) usable(e *entry, now time.Time) bool {
	if !e.deadline.IsZero() && !now.Before(e.deadline) {
		return false
	}
	return c.cfg.Idle <= 0 || c.since(now)-e.lastUse.Load() < int64(c.cfg.Idle)
}

func (c *Cache) touch(e *entry, now time.Time) {
	if c.cfg.Idle <= 0 {
		return
	}
	n := c.since(now)
	// A clock stepped back (n < old) restarts the count from now.
	if old := e.lastUse.Load(); n-old >= int64(min(idleGranularity, c.cfg.Idle/4)) || n < old {
		e.lastUse.CompareAndSwap(old, n)
	}
}

// paused returns the last error while the pause after it holds. c.mu must
// be held.
func (c *Cache) paused(now time.Time) error {
	if c.lastErr != nil && c.pause.holds(c.since(now)) {
		return c.lastErr
	}
	return nil
}

func (c *Cache) slow(ctx context.Context) (*Token, error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, ErrClosed
	}
	now := c.cfg.Now()
	e := c.cur.Load()
	if e != nil && c.usable(e, now) { // another caller's fetch landed
		c.mu.Unlock()
		c.touch(e, now)
		return e.tok, nil
	}
	cl := c.call
	if cl == nil {
		if err := c.paused(now); err != nil {
			c.mu.Unlock()
			return nil, err
		}
		reason := ReasonInitial
		var stale *Token
		switch {
		case e != nil && !e.deadline.IsZero() && !now.Before(e.deadline):
			reason = ReasonExpired
		case e != nil:
			reason, stale = ReasonIdle, e.tok
		case c.fetched:
			reason = ReasonRenew
		}
		cl = c.start(ctx, reason, stale)
	}
	c.mu.Unlock()
	return wait(ctx, cl)
}

// Renew replaces the token whose header is rejected, unless it has been
// replaced already, and waits for the replacement. The rejected token goes
// to Fetch as stale, to be disposed of: the server refused one use of it,
// which does not prove it dead.
func (c *Cache) Renew(ctx context.Context, rejected string) error {
	if ctx == nil {
		ctx = context.Background()
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return ErrClosed
	}
	if c.sh != nil {
		c.sh.refuse(rejected) // never to be taken from the store again
	}
	e := c.cur.Load()
	if e != nil && e.tok.Header != rejected {
		c.mu.Unlock()
		return nil // a newer token is already here
	}
	cl := c.call
	var stale *Token
	if e != nil {
		c.cur.Store(nil) // rejected: never send it again
		stale = e.tok
		if cl != nil {
			cl.rejected = rejected
		}
	}
	if cl == nil {
		if err := c.paused(c.cfg.Now()); err != nil {
			if stale != nil {
				c.rejected = stale
			}
			c.mu.Unlock()
			return err
		}
		cl = c.start(ctx, ReasonRenew, stale)
	}
	c.mu.Unlock()
	_, err := wait(ctx, cl)
	return err
}

func (c *Cache) refreshInBackground(ctx context.Context, e *entry) {
	if !c.mu.TryLock() {
		return // someone holds the lock: a fetch is starting or landing
	}
	defer c.mu.Unlock()
	if c.closed || c.call != nil || c.cur.Load() != e || c.paused(c.cfg.Now()) != nil {
		return
	}
	c.start(ctx, ReasonProactive, nil)
}

// start launches a fetch; c.mu must be held.
func (c *Cache) start(ctx context.Context, reason string, stale *Token) *call {
	if stale == nil {
		stale, c.rejected = c.rejected, nil
	}
	cl := &call{done: make(chan struct{}), stale: stale}
	c.call = cl
	c.fetching.Store(true)
	// Detached: one caller's cancellation must not fail the others. Each
	// call to Fetch is bounded by FetchTimeout (see request), each store
	// call by its own Timeout.
	go c.run(context.WithoutCancel(ctx), cl, reason, stale)
	return cl
}

func (c *Cache) run(ctx context.Context, cl *call, reason string, stale *Token) {
	start, t0 := c.cfg.Now(), time.Now()
	tok, fetched, err := c.fetch(ctx, reason, stale)
	if err == nil && (tok == nil || tok.Header == "") {
		err = errors.New("auth: the fetch returned no token")
	}
	elapsed := time.Since(t0)

	c.mu.Lock()
	now := c.cfg.Now()
	var discard *Token
	var pause time.Duration
	again := false
	switch {
	case err != nil:
		c.failures++
		pause = c.backoff(err)
		c.pause.set(c.since(now), pause)
		c.lastErr = err
		if e := c.cur.Load(); e != nil && stale != nil && e.tok == stale {
			c.cur.Store(nil) // handed to the fetch to dispose of
		}
	case c.closing:
		c.orphan, err = tok, ErrClosed
	case c.closed:
		err = ErrClosed
		if !c.Shares(tok) { // the fleet's session is not ours to end
			discard = tok
		}
	case cl.rejected != "" && tok.Header == cl.rejected:
		again = true // the token a renewal refused came back
	default:
		c.cur.Store(c.newEntry(tok, now))
		c.fetched, c.failures, c.lastErr = true, 0, nil
		c.pause.set(0, 0)
	}
	cl.tok, cl.err = tok, err
	c.call = nil
	c.fetching.Store(false)
	if again {
		cl.next = c.start(ctx, ReasonRenew, tok)
	}
	c.mu.Unlock()

	// Report before releasing the waiters, so that a caller who got the
	// result also sees the event.
	if c.cfg.OnFetch != nil && fetched {
		ev := Event{Reason: reason, Start: start, Duration: elapsed, Err: err, Pause: pause}
		if err == nil {
			ev.Expiry = tok.Expiry
		}
		c.cfg.OnFetch(ev)
	}
	close(cl.done)
	if discard != nil && c.cfg.Discard != nil {
		dctx, cancel := context.WithTimeout(ctx, c.cfg.FetchTimeout)
		defer cancel()
		c.cfg.Discard(dctx, discard)
	}
}

func (c *Cache) newEntry(tok *Token, now time.Time) *entry {
	e := &entry{tok: tok}
	e.lastUse.Store(c.since(now))
	if tok.Expiry.IsZero() {
		e.refreshAt = c.recheckAt(now) // zero unless shared
		return e
	}
	lifetime := tok.Expiry.Sub(now)
	// Stop a little early: the request still has to reach the server.
	e.deadline = tok.Expiry.Add(-min(10*time.Second, max(lifetime/10, 0)))
	window := c.cfg.RefreshBefore
	if window == 0 {
		window = min(5*time.Minute, lifetime/4)
	}
	if window > 0 {
		window += rand.N(window/4 + 1)
		// However long the window asked for, use the token for at least
		// half its life: a window longer than the lifetime would otherwise
		// refetch on every request.
		usable := e.deadline.Sub(now)
		e.refreshAt = e.deadline.Add(-min(window, usable/2))
	}
	return e
}

// backoff returns the pause before the next fetch after c.failures
// consecutive failures: exponential, jittered to 50–100%, at least what the
// server asked for.
func (c *Cache) backoff(err error) time.Duration {
	d := c.cfg.MinBackoff << min(c.failures-1, 16)
	if d <= 0 || d > c.cfg.MaxBackoff {
		d = c.cfg.MaxBackoff
	}
	d = d/2 + rand.N(d/2+1)
	if c.cfg.RetryAfter != nil {
		d = max(d, c.cfg.RetryAfter(err))
	}
	return d
}

func wait(ctx context.Context, cl *call) (*Token, error) {
	for {
		select {
		case <-cl.done:
			if cl.next != nil {
				cl = cl.next
				continue
			}
			return cl.tok, cl.err
		case <-ctx.Done():
			return nil, fmt.Errorf("auth: waiting for a token: %w", ctx.Err())
		}
	}
}

// Close stops the cache: later calls fail with ErrClosed. It waits for a
// fetch in flight (or ctx) and returns the token the caller should dispose
// of, if any. A fetch that lands after Close returns goes to Config.Discard.
func (c *Cache) Close(ctx context.Context) (*Token, error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, nil
	}
	c.closed = true
	cl := c.call
	tok := c.rejected
	c.rejected = nil
	e := c.cur.Swap(nil)
	if e != nil && (cl == nil || cl.stale != e.tok) {
		// A token handed to the fetch in flight is that fetch's to dispose
		// of, not ours.
		tok = e.tok
	}
	c.closing = cl != nil
	c.mu.Unlock()
	if cl == nil {
		c.checkOut(ctx, e)
		return tok, nil
	}
	var err error
	select {
	case <-cl.done:
	case <-ctx.Done():
		err = fmt.Errorf("auth: waiting for the fetch in flight: %w", ctx.Err())
	}
	c.mu.Lock()
	c.closing = false
	if c.orphan != nil {
		// The fetch replaced tok (destroying it when it was still alive).
		tok, c.orphan = c.orphan, nil
	}
	c.mu.Unlock()
	if err == nil {
		c.checkOut(ctx, e)
	}
	return tok, err
}
