package tokencache

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// nopStore shares nothing: every load finds the store empty.
type nopStore struct{ calls atomic.Int64 }

func (s *nopStore) Load(context.Context, string) (*Stored, error) { s.calls.Add(1); return nil, nil }
func (s *nopStore) Swap(context.Context, string, string, *Stored, time.Duration) (bool, error) {
	s.calls.Add(1)
	return true, nil
}
func (s *nopStore) Lease(context.Context, string) (func(context.Context) error, error) {
	s.calls.Add(1)
	return func(context.Context) error { return nil }, nil
}

func sharedCache(clk *clock, session bool) (*Cache, *nopStore) {
	src := &source{clk: clk, lifetime: time.Hour}
	st := &nopStore{}
	cfg := Config{Fetch: src.fetch, Now: clk.Now, Shared: &Shared{Store: st, Key: "k", Scheme: "Bearer", Sliding: session, IdleTTL: time.Hour}}
	if session {
		cfg.Idle = time.Hour
		src.lifetime = 0
	}
	return New(cfg), st
}

// With a store, a hit is still an atomic load: no store call, no
// allocation, for tokens that expire and for sessions.
func TestSharedHitDoesNotAllocateOrCallTheStore(t *testing.T) {
	clk := newClock()
	ctx := context.Background()
	for _, session := range []bool{false, true} {
		c, st := sharedCache(clk, session)
		_, err := c.Get(ctx)
		require.NoError(t, err)
		calls := st.calls.Load()
		allocs := testing.AllocsPerRun(1000, func() {
			if _, err := c.Get(ctx); err != nil {
				t.Fatal(err)
			}
		})
		require.Zero(t, allocs)
		require.Equal(t, calls, st.calls.Load(), "session=%v", session)
	}
}

// A shared session checks in with the store about once a minute while it
// is used, in the background, and not at all while it is not.
func TestSharedSessionChecksInWhileUsed(t *testing.T) {
	clk := newClock()
	ctx := context.Background()
	c, st := sharedCache(clk, true)
	_, err := c.Get(ctx)
	require.NoError(t, err)
	calls := st.calls.Load()
	clk.Advance(30 * time.Minute) // unused: no check-in
	require.Equal(t, calls, st.calls.Load())
	_, err = c.Get(ctx) // a use past the check-in time starts one
	require.NoError(t, err)
	require.Eventually(t, func() bool { return st.calls.Load() >= calls+2 }, 5*time.Second, time.Millisecond)
}

// BenchmarkGetHitShared is BenchmarkGetHit with a store configured: the
// same cost, since a hit never reaches the store.
func BenchmarkGetHitShared(b *testing.B) {
	for _, bc := range []struct {
		name    string
		session bool
	}{{"expiring", false}, {"idle", true}} {
		b.Run(bc.name, func(b *testing.B) {
			c, _ := sharedCache(newClock(), bc.session)
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

// gatedStore is a shared store in memory whose loads wait at a gate while
// it is closed.
type gatedStore struct {
	mu   sync.Mutex
	recs map[string]Stored
	gate chan struct{} // nil: open
	in   chan struct{}
}

func (s *gatedStore) Load(ctx context.Context, key string) (*Stored, error) {
	s.mu.Lock()
	gate := s.gate
	s.mu.Unlock()
	if gate != nil {
		s.in <- struct{}{}
		select {
		case <-gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.recs[key]
	if !ok {
		return nil, nil
	}
	return &r, nil
}

func (s *gatedStore) Swap(_ context.Context, key, old string, r *Stored, _ time.Duration) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if cur, ok := s.recs[key]; ok && cur.Value != old {
		return false, nil
	}
	if r == nil {
		delete(s.recs, key)
	} else {
		s.recs[key] = *r
	}
	return true, nil
}

func (s *gatedStore) Lease(context.Context, string) (func(context.Context) error, error) {
	return func(context.Context) error { return nil }, nil
}

// A renewal that joins a session's check-in in flight (which keeps the
// session) still replaces the rejected session, and a Get that joins the
// same check-in is never handed the refused token: the check-in brings it
// back, and a new fetch runs for everyone waiting.
func TestRenewJoiningACheckInStillRenews(t *testing.T) {
	clk := newClock()
	src := &source{clk: clk}
	st := &gatedStore{recs: map[string]Stored{}, in: make(chan struct{}, 1)}
	c := New(Config{Fetch: src.fetch, Now: clk.Now, Idle: time.Hour,
		Shared: &Shared{Store: st, Key: "k", Scheme: "IBSSO", Sliding: true, IdleTTL: time.Hour, Timeout: 5 * time.Second}})
	ctx := context.Background()
	first, err := c.Get(ctx)
	require.NoError(t, err)

	st.mu.Lock()
	st.gate = make(chan struct{})
	st.mu.Unlock()
	clk.Advance(2 * time.Minute)
	_, err = c.Get(ctx) // starts the check-in, which waits at the gate
	require.NoError(t, err)
	<-st.in
	renewed := make(chan error, 1)
	go func() { renewed <- c.Renew(ctx, first.Header) }()
	require.Eventually(t, func() bool { return c.cur.Load() == nil }, 5*time.Second, time.Millisecond)
	joined := make(chan *Token, 1)
	go func() { tk, _ := c.Get(ctx); joined <- tk }()
	st.mu.Lock()
	close(st.gate)
	st.gate = nil
	st.mu.Unlock()
	require.NoError(t, <-renewed)
	tk := <-joined
	require.NotNil(t, tk)
	require.NotEqual(t, first.Header, tk.Header, "the joining Get got the refused token")
	got, err := c.Get(ctx)
	require.NoError(t, err)
	require.NotEqual(t, first.Header, got.Header)
	require.Equal(t, 2, src.count())
}

// A fetch that lands after Close gave up waiting is disposed of, unless it
// is the fleet's shared session, which is not this process's to end.
func TestLateFetchAfterCloseLeavesTheSharedToken(t *testing.T) {
	clk := newClock()
	src := &source{clk: clk}
	st := &gatedStore{recs: map[string]Stored{"k": {Value: "fleet", Created: clk.Now(), LastUse: clk.Now()}}, in: make(chan struct{}, 1)}
	st.gate = make(chan struct{})
	var mu sync.Mutex
	var discarded []*Token
	fetched := make(chan struct{}, 1)
	c := New(Config{Fetch: src.fetch, Now: clk.Now, Idle: time.Hour,
		Discard: func(_ context.Context, t *Token) { mu.Lock(); discarded = append(discarded, t); mu.Unlock() },
		OnFetch: func(Event) { fetched <- struct{}{} },
		Shared:  &Shared{Store: st, Key: "k", Scheme: "IBSSO", Sliding: true, IdleTTL: time.Hour, Timeout: 5 * time.Second}})
	got := make(chan error, 1)
	go func() { _, err := c.Get(context.Background()); got <- err }()
	<-st.in
	cctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	_, err := c.Close(cctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	st.mu.Lock()
	close(st.gate)
	st.gate = nil
	st.mu.Unlock()
	require.ErrorIs(t, <-got, ErrClosed) // the adopted session landed after Close
	mu.Lock()
	defer mu.Unlock()
	require.Empty(t, discarded, "the fleet's session was handed to Discard")
	require.Zero(t, src.count(), "adopted, not fetched")
	select {
	case <-fetched:
		t.Fatal("an adopted token is not reported as a fetch")
	default:
	}
}

// stuckStore is a shared store in memory whose compare-and-swaps can be
// made to fail while its loads go on returning the record, as when the
// fingerprint a store compares has been overwritten behind its back.
type stuckStore struct {
	mu    sync.Mutex
	recs  map[string]Stored
	stuck bool
	loads int
}

func (s *stuckStore) Load(_ context.Context, key string) (*Stored, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.loads++
	r, ok := s.recs[key]
	if !ok {
		return nil, nil
	}
	return &r, nil
}

func (s *stuckStore) Swap(_ context.Context, key, old string, r *Stored, _ time.Duration) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if cur, ok := s.recs[key]; ok && (s.stuck || cur.Value != old) {
		return false, nil
	}
	if r == nil {
		delete(s.recs, key)
	} else {
		s.recs[key] = *r
	}
	return true, nil
}

func (s *stuckStore) Lease(context.Context, string) (func(context.Context) error, error) {
	return func(context.Context) error { return nil }, nil
}

func (s *stuckStore) loaded() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.loads
}

// Whatever the store says, a renewal never takes back the token it renews
// away: when the store keeps the rejected token (its compare-and-swap
// fails), the cache keeps its fresh one, disposes of nothing it fetched,
// and neither the next look at the store nor a session's check-in brings
// the rejected token back.
func TestRenewNeverAdoptsTheRejectedToken(t *testing.T) {
	for _, session := range []bool{false, true} {
		t.Run(map[bool]string{false: "token", true: "session"}[session], func(t *testing.T) {
			clk := newClock()
			src := &source{clk: clk, lifetime: time.Hour}
			st := &stuckStore{recs: map[string]Stored{}}
			var mu sync.Mutex
			var discarded []*Token
			cfg := Config{Fetch: src.fetch, Now: clk.Now,
				Discard: func(_ context.Context, t *Token) { mu.Lock(); discarded = append(discarded, t); mu.Unlock() },
				Shared:  &Shared{Store: st, Key: "k", Scheme: "Bearer", Sliding: session, IdleTTL: time.Hour}}
			if session {
				src.lifetime, cfg.Idle = 0, time.Hour
			}
			c := New(cfg)
			ctx := context.Background()
			first, err := c.Get(ctx)
			require.NoError(t, err)

			st.mu.Lock()
			st.stuck = true
			st.mu.Unlock()
			require.NoError(t, c.Renew(ctx, first.Header))
			fresh, err := c.Get(ctx)
			require.NoError(t, err)
			require.NotEqual(t, first.Header, fresh.Header, "the renewal adopted the token it renewed away")
			require.Equal(t, 2, src.count())
			mu.Lock()
			require.Empty(t, discarded, "the fresh token was thrown away")
			mu.Unlock()

			// Past the check-in time (sessions) and into the refresh
			// window (tokens): the cache looks at the store again, which
			// still holds the rejected token, unexpired.
			loads := st.loaded()
			clk.Advance(55 * time.Minute)
			_, err = c.Get(ctx)
			require.NoError(t, err)
			require.Eventually(t, func() bool { return st.loaded() > loads && !c.fetching.Load() }, 5*time.Second, time.Millisecond)
			got, err := c.Get(ctx)
			require.NoError(t, err)
			require.NotEqual(t, first.Header, got.Header, "the rejected token came back from the store")
		})
	}
}
