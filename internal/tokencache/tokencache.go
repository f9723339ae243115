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
	// FetchTimeout bounds one fetch. Default 30 s.
	FetchTimeout time.Duration
	// MinBackoff and MaxBackoff bound the pause after failed fetches.
	// Defaults 500 ms and 30 s.
	MinBackoff, MaxBackoff time.Duration
	// RetryAfter extracts a server-requested pause from a fetch error.
	RetryAfter func(error) time.Duration
	// OnFetch is called after each fetch, from the fetching goroutine,
	// before the callers waiting for it return. It must not block.
	OnFetch func(Event)
}

// ErrClosed is returned after Close; package auth exports it.
var ErrClosed = errors.New("auth: authenticator is closed")

// Cache holds the current token. Its zero value is not usable: see [New].
type Cache struct {
	cfg Config
	cur atomic.Pointer[entry]

	mu          sync.Mutex
	call        *call // the fetch in flight, if any
	fetched     bool  // a fetch has succeeded at least once
	failures    int   // consecutive failed fetches
	nextAttempt time.Time
	lastErr     error
	closed      bool
	closing     bool   // Close is waiting for the fetch in flight
	orphan      *Token // fetched while closing; Close disposes of it
}

// entry is a token and what the cache knows about it. Only lastUse and
// retryAt change after publication, atomically.
type entry struct {
	tok       *Token
	deadline  time.Time // stop serving at this instant; zero: never
	refreshAt time.Time // start a background refresh; zero: never
	lastUse   atomic.Int64
	retryAt   atomic.Int64 // unix ns before which no background refresh starts
}

type call struct {
	done chan struct{}
	tok  *Token
	err  error
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
	return &Cache{cfg: cfg}
}

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
			if !e.refreshAt.IsZero() && !now.Before(e.refreshAt) && now.UnixNano() >= e.retryAt.Load() {
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
	return c.cfg.Idle <= 0 || now.UnixNano()-e.lastUse.Load() < int64(c.cfg.Idle)
}

func (c *Cache) touch(e *entry, now time.Time) {
	if c.cfg.Idle <= 0 {
		return
	}
	n := now.UnixNano()
	if old := e.lastUse.Load(); n-old >= int64(min(idleGranularity, c.cfg.Idle/4)) {
		e.lastUse.CompareAndSwap(old, n)
	}
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
		if c.lastErr != nil && now.Before(c.nextAttempt) {
			err := c.lastErr
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
// replaced already, and waits for the replacement.
func (c *Cache) Renew(ctx context.Context, rejected string) error {
	if ctx == nil {
		ctx = context.Background()
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return ErrClosed
	}
	e := c.cur.Load()
	if e != nil && e.tok.Header != rejected {
		c.mu.Unlock()
		return nil // a newer token is already here
	}
	cl := c.call
	if e != nil {
		c.cur.Store(nil) // rejected: never send it again
	}
	if cl == nil {
		if c.lastErr != nil && c.cfg.Now().Before(c.nextAttempt) {
			err := c.lastErr
			c.mu.Unlock()
			return err
		}
		cl = c.start(ctx, ReasonRenew, nil)
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
	if c.closed || c.call != nil || c.cur.Load() != e || c.cfg.Now().Before(c.nextAttempt) {
		return
	}
	e.retryAt.Store(1<<63 - 1) // until this fetch ends
	c.start(ctx, ReasonProactive, nil)
}

// start launches a fetch; c.mu must be held.
func (c *Cache) start(ctx context.Context, reason string, stale *Token) *call {
	cl := &call{done: make(chan struct{})}
	c.call = cl
	// Detached: one caller's cancellation must not fail the others.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.cfg.FetchTimeout)
	go func() {
		defer cancel()
		c.run(fctx, cl, reason, stale)
	}()
	return cl
}

func (c *Cache) run(ctx context.Context, cl *call, reason string, stale *Token) {
	start, t0 := c.cfg.Now(), time.Now()
	tok, err := c.cfg.Fetch(ctx, stale)
	if err == nil && (tok == nil || tok.Header == "") {
		err = errors.New("tokencache: fetch returned no token")
	}
	elapsed := time.Since(t0)

	c.mu.Lock()
	now := c.cfg.Now()
	var discard *Token
	switch {
	case err != nil:
		c.failures++
		pause := c.backoff(err)
		c.nextAttempt = now.Add(pause)
		c.lastErr = err
		if e := c.cur.Load(); e != nil && stale != nil && e.tok == stale {
			c.cur.Store(nil) // handed to the fetch to dispose of
		} else if e != nil {
			e.retryAt.Store(c.nextAttempt.UnixNano())
		}
	case c.closing:
		c.orphan, err = tok, ErrClosed
	case c.closed:
		discard, err = tok, ErrClosed
	default:
		c.cur.Store(c.newEntry(tok, now))
		c.fetched, c.failures, c.lastErr = true, 0, nil
	}
	cl.tok, cl.err = tok, err
	c.call = nil
	c.mu.Unlock()

	// Report before releasing the waiters, so that a caller who got the
	// result also sees the event.
	if c.cfg.OnFetch != nil {
		ev := Event{Reason: reason, Start: start, Duration: elapsed, Err: err}
		if err == nil {
			ev.Expiry = tok.Expiry
		}
		c.cfg.OnFetch(ev)
	}
	close(cl.done)
	if discard != nil && c.cfg.Discard != nil {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.cfg.FetchTimeout)
		defer cancel()
		c.cfg.Discard(dctx, discard)
	}
}

func (c *Cache) newEntry(tok *Token, now time.Time) *entry {
	e := &entry{tok: tok}
	e.lastUse.Store(now.UnixNano())
	if tok.Expiry.IsZero() {
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
	select {
	case <-cl.done:
		return cl.tok, cl.err
	case <-ctx.Done():
		return nil, ctx.Err()
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
	var tok *Token
	if e := c.cur.Swap(nil); e != nil {
		tok = e.tok
	}
	cl := c.call
	c.closing = cl != nil
	c.mu.Unlock()
	if cl == nil {
		return tok, nil
	}
	var err error
	select {
	case <-cl.done:
	case <-ctx.Done():
		err = ctx.Err()
	}
	c.mu.Lock()
	c.closing = false
	if c.orphan != nil {
		// The fetch replaced tok (destroying it when it was still alive).
		tok, c.orphan = c.orphan, nil
	}
	c.mu.Unlock()
	return tok, err
}
