package tokencache

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// clock is a manual clock.
type clock struct{ ns atomic.Int64 }

func newClock() *clock {
	c := &clock{}
	c.ns.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	return c
}
func (c *clock) Now() time.Time          { return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// source hands out numbered tokens with a fixed lifetime, or err.
type source struct {
	clk      *clock
	lifetime time.Duration
	mu       sync.Mutex
	n        int
	err      error
	stale    []*Token
}

func (s *source) fetch(_ context.Context, stale *Token) (*Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	s.stale = append(s.stale, stale)
	if s.err != nil {
		return nil, s.err
	}
	v := "t" + strconv.Itoa(s.n)
	t := &Token{Value: v, Header: "Bearer " + v}
	if s.lifetime > 0 {
		t.Expiry = s.clk.Now().Add(s.lifetime)
	}
	return t, nil
}

func (s *source) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}

func TestHitDoesNotAllocate(t *testing.T) {
	clk := newClock()
	src := &source{clk: clk, lifetime: time.Hour}
	c := New(Config{Fetch: src.fetch, Now: clk.Now})
	ctx := context.Background()
	_, err := c.Get(ctx)
	require.NoError(t, err)
	allocs := testing.AllocsPerRun(1000, func() {
		if _, err := c.Get(ctx); err != nil {
			t.Fatal(err)
		}
	})
	require.Zero(t, allocs)

	idle := New(Config{Fetch: src.fetch, Now: clk.Now, Idle: time.Hour})
	_, err = idle.Get(ctx)
	require.NoError(t, err)
	allocs = testing.AllocsPerRun(1000, func() {
		clk.Advance(time.Second) // every hit also records its use
		if _, err := idle.Get(ctx); err != nil {
			t.Fatal(err)
		}
	})
	require.Zero(t, allocs)
}

func TestRefreshWindowIsJitteredWithinBounds(t *testing.T) {
	clk := newClock()
	src := &source{clk: clk, lifetime: time.Hour}
	seen := map[time.Time]bool{}
	for range 50 {
		c := New(Config{Fetch: src.fetch, Now: clk.Now, RefreshBefore: 4 * time.Minute})
		_, err := c.Get(context.Background())
		require.NoError(t, err)
		e := c.cur.Load()
		expiry := e.tok.Expiry
		require.Equal(t, expiry.Add(-10*time.Second), e.deadline)
		require.False(t, e.refreshAt.After(e.deadline.Add(-4*time.Minute)))
		require.False(t, e.refreshAt.Before(e.deadline.Add(-5*time.Minute)))
		seen[e.refreshAt] = true
	}
	require.Greater(t, len(seen), 1, "windows differ between tokens")
}

func TestDefaultWindowIsAQuarterOfShortLifetimes(t *testing.T) {
	clk := newClock()
	src := &source{clk: clk, lifetime: 8 * time.Minute}
	c := New(Config{Fetch: src.fetch, Now: clk.Now})
	_, err := c.Get(context.Background())
	require.NoError(t, err)
	e := c.cur.Load()
	require.False(t, e.refreshAt.After(e.deadline.Add(-2*time.Minute)))
	require.False(t, e.refreshAt.Before(e.deadline.Add(-150*time.Second)))
}

func TestBackoffGrowsJitteredAndBounded(t *testing.T) {
	clk := newClock()
	boom := errors.New("boom")
	src := &source{clk: clk, err: boom}
	c := New(Config{Fetch: src.fetch, Now: clk.Now, MinBackoff: time.Second, MaxBackoff: 8 * time.Second})
	var pauses []time.Duration
	for range 6 {
		_, err := c.Get(context.Background())
		require.ErrorIs(t, err, boom)
		c.mu.Lock()
		pauses = append(pauses, time.Duration(c.pause.from.Load()+c.pause.length.Load()-c.since(clk.Now())))
		c.mu.Unlock()
		_, err = c.Get(context.Background()) // inside the pause: no fetch
		require.ErrorIs(t, err, boom)
		clk.Advance(pauses[len(pauses)-1])
	}
	require.Equal(t, 6, src.count())
	for i, p := range pauses {
		ceiling := min(time.Second<<i, 8*time.Second)
		require.GreaterOrEqual(t, p, ceiling/2, "pause %d", i)
		require.LessOrEqual(t, p, ceiling, "pause %d", i)
	}
}

func TestRetryAfterLengthensThePause(t *testing.T) {
	clk := newClock()
	boom := errors.New("slow down")
	src := &source{clk: clk, err: boom}
	c := New(Config{Fetch: src.fetch, Now: clk.Now, RetryAfter: func(error) time.Duration { return time.Minute }})
	_, err := c.Get(context.Background())
	require.ErrorIs(t, err, boom)
	clk.Advance(59 * time.Second)
	_, err = c.Get(context.Background())
	require.ErrorIs(t, err, boom)
	require.Equal(t, 1, src.count())
	clk.Advance(time.Second)
	src.err = nil
	_, err = c.Get(context.Background())
	require.NoError(t, err)
	require.Equal(t, 2, src.count())
}

func TestRenewIgnoresAStaleRejection(t *testing.T) {
	clk := newClock()
	src := &source{clk: clk, lifetime: time.Hour}
	c := New(Config{Fetch: src.fetch, Now: clk.Now})
	first, err := c.Get(context.Background())
	require.NoError(t, err)
	require.NoError(t, c.Renew(context.Background(), first.Header))
	second, err := c.Get(context.Background())
	require.NoError(t, err)
	require.NotEqual(t, first.Header, second.Header)
	require.NoError(t, c.Renew(context.Background(), first.Header))
	require.Equal(t, 2, src.count())
	require.Same(t, second, c.cur.Load().tok)
}

func TestIdleTokenIsHandedToTheFetchAsStale(t *testing.T) {
	clk := newClock()
	src := &source{clk: clk}
	c := New(Config{Fetch: src.fetch, Now: clk.Now, Idle: 10 * time.Minute})
	first, err := c.Get(context.Background())
	require.NoError(t, err)
	clk.Advance(9 * time.Minute)
	_, err = c.Get(context.Background()) // a use: slides the idle limit
	require.NoError(t, err)
	clk.Advance(9 * time.Minute)
	got, err := c.Get(context.Background())
	require.NoError(t, err)
	require.Same(t, first, got)
	clk.Advance(10 * time.Minute)
	got, err = c.Get(context.Background())
	require.NoError(t, err)
	require.NotSame(t, first, got)
	require.Equal(t, []*Token{nil, first}, src.stale)
}

// BenchmarkGetHit measures a cache hit, for a token that expires (OAuth)
// and for one that dies when idle (IBSSO, which also records its use).
func BenchmarkGetHit(b *testing.B) {
	for _, bc := range []struct {
		name           string
		lifetime, idle time.Duration
	}{{"expiring", time.Hour, 0}, {"idle", 0, time.Hour}} {
		b.Run(bc.name, func(b *testing.B) {
			clk := newClock()
			src := &source{clk: clk, lifetime: bc.lifetime}
			c := New(Config{Fetch: src.fetch, Now: clk.Now, Idle: bc.idle})
			ctx := context.Background()
			if _, err := c.Get(ctx); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := c.Get(ctx); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

func TestWindowLongerThanTheLifetimeDoesNotRefetchOnEveryHit(t *testing.T) {
	clk := newClock()
	src := &source{clk: clk, lifetime: 5 * time.Minute}
	c := New(Config{Fetch: src.fetch, Now: clk.Now, RefreshBefore: 10 * time.Minute})
	for range 200 {
		_, err := c.Get(context.Background())
		require.NoError(t, err)
	}
	require.Equal(t, 1, src.count())
	e := c.cur.Load()
	require.Equal(t, e.deadline.Add(-e.deadline.Sub(clk.Now())/2), e.refreshAt, "half the usable life")
}

func TestShortWindowStillRefreshesBeforeTheDeadline(t *testing.T) {
	clk := newClock()
	src := &source{clk: clk, lifetime: time.Hour}
	c := New(Config{Fetch: src.fetch, Now: clk.Now, RefreshBefore: 2 * time.Second})
	_, err := c.Get(context.Background())
	require.NoError(t, err)
	e := c.cur.Load()
	require.True(t, e.refreshAt.Before(e.deadline), "refreshAt %v, deadline %v", e.refreshAt, e.deadline)
}

func TestRenewDuringBackoffReturnsTheLastErrorAndDropsTheToken(t *testing.T) {
	clk := newClock()
	boom := errors.New("boom")
	src := &source{clk: clk, lifetime: time.Hour}
	c := New(Config{Fetch: src.fetch, Now: clk.Now, RefreshBefore: 10 * time.Minute,
		RetryAfter: func(error) time.Duration { return time.Minute }})
	tok, err := c.Get(context.Background())
	require.NoError(t, err)

	src.mu.Lock()
	src.err = boom
	src.mu.Unlock()
	clk.Advance(50*time.Minute + 30*time.Second) // inside the window: a background fetch fails
	_, err = c.Get(context.Background())
	require.NoError(t, err)
	require.Eventually(t, func() bool { return src.count() == 2 }, 5*time.Second, time.Millisecond)
	require.Eventually(t, func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.lastErr != nil
	}, 5*time.Second, time.Millisecond)

	require.ErrorIs(t, c.Renew(context.Background(), tok.Header), boom, "no fetch inside Retry-After")
	require.Equal(t, 2, src.count())
	_, err = c.Get(context.Background())
	require.ErrorIs(t, err, boom, "the rejected token is not served again")
}

func TestNilContextDoesNotPanic(t *testing.T) {
	clk := newClock()
	src := &source{clk: clk, lifetime: time.Hour}
	c := New(Config{Fetch: src.fetch, Now: clk.Now})
	//lint:ignore SA1012 a nil context is what this test is about
	_, err := c.Get(nil)
	require.NoError(t, err)
	//lint:ignore SA1012 a nil context is what this test is about
	require.NoError(t, c.Renew(nil, "none"))
}

func TestClockSteppedBackDoesNotLengthenThePause(t *testing.T) {
	clk := newClock()
	boom := errors.New("503")
	src := &source{clk: clk, err: boom}
	c := New(Config{Fetch: src.fetch, Now: clk.Now, MinBackoff: time.Second, MaxBackoff: time.Second})
	_, err := c.Get(context.Background())
	require.ErrorIs(t, err, boom)
	clk.Advance(-time.Hour) // an NTP correction, an hour back
	src.mu.Lock()
	src.err = nil
	src.mu.Unlock()
	_, err = c.Get(context.Background())
	require.NoError(t, err, "a pause of 1 s must not last the hour the clock went back")
	require.Equal(t, 2, src.count())
}

func TestClockSteppedBackRestartsTheIdleCount(t *testing.T) {
	clk := newClock()
	src := &source{clk: clk}
	c := New(Config{Fetch: src.fetch, Now: clk.Now, Idle: 10 * time.Minute})
	_, err := c.Get(context.Background())
	require.NoError(t, err)
	clk.Advance(-time.Hour)
	_, err = c.Get(context.Background()) // used now, an hour "earlier"
	require.NoError(t, err)
	clk.Advance(11 * time.Minute)
	_, err = c.Get(context.Background())
	require.NoError(t, err)
	require.Equal(t, 2, src.count(), "unused for 11 minutes after the step: replaced once, not kept for an hour more")
}

func TestRenewHandsTheRejectedTokenToTheFetch(t *testing.T) {
	clk := newClock()
	src := &source{clk: clk}
	c := New(Config{Fetch: src.fetch, Now: clk.Now})
	tok, err := c.Get(context.Background())
	require.NoError(t, err)
	require.NoError(t, c.Renew(context.Background(), tok.Header))
	src.mu.Lock()
	defer src.mu.Unlock()
	require.Equal(t, []*Token{nil, tok}, src.stale)
}

func TestCloseLeavesTheStaleTokenToTheFetchInFlight(t *testing.T) {
	clk := newClock()
	release := make(chan struct{})
	entered := make(chan struct{})
	var n atomic.Int32
	var disposed []*Token
	c := New(Config{Now: clk.Now, Idle: time.Minute, Fetch: func(_ context.Context, stale *Token) (*Token, error) {
		if n.Add(1) == 1 {
			return &Token{Value: "a", Header: "IBSSO a"}, nil
		}
		disposed = append(disposed, stale)
		close(entered)
		<-release
		return nil, errors.New("create failed")
	}})
	first, err := c.Get(context.Background())
	require.NoError(t, err)
	clk.Advance(2 * time.Minute) // idle: the next Get replaces it
	done := make(chan error, 1)
	go func() { _, err := c.Get(context.Background()); done <- err }()
	<-entered
	closed := make(chan *Token, 1)
	go func() { tok, _ := c.Close(context.Background()); closed <- tok }()
	close(release)
	require.Error(t, <-done)
	require.Nil(t, <-closed, "the fetch disposes of the idle token; Close must not dispose of it again")
	require.Equal(t, []*Token{first}, disposed)
}
