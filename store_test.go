package auth_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ibkit/auth"
	"github.com/ibkit/auth/authtest"
	"github.com/ibkit/auth/internal/testkit"
)

// memStore is an in-memory auth.Store for the core's tests; the real
// store, on Redis, is tested in package redisstore. Leases never expire by
// themselves here: a test that needs a dead holder uses Redis.
type memStore struct {
	mu     sync.Mutex
	tokens map[string]auth.StoredToken
	leases map[string]bool
	err    error // every call fails with it while set
	calls  int
	keys   map[string]bool
}

func newMemStore() *memStore {
	return &memStore{tokens: map[string]auth.StoredToken{}, leases: map[string]bool{}, keys: map[string]bool{}}
}

func (m *memStore) enter(key string) error {
	m.calls++
	m.keys[key] = true
	return m.err
}

func (m *memStore) Load(_ context.Context, key string) (*auth.StoredToken, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.enter(key); err != nil {
		return nil, err
	}
	t, ok := m.tokens[key]
	if !ok {
		return nil, nil
	}
	return &t, nil
}

func (m *memStore) CompareAndSwap(_ context.Context, key, old string, tok *auth.StoredToken, _ time.Duration) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.enter(key); err != nil {
		return false, err
	}
	if cur, ok := m.tokens[key]; ok && cur.Value != old {
		return false, nil
	}
	if tok == nil {
		delete(m.tokens, key)
	} else {
		m.tokens[key] = *tok
	}
	return true, nil
}

func (m *memStore) Lease(_ context.Context, key string) (auth.Lease, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.enter(key); err != nil {
		return nil, err
	}
	if m.leases[key] {
		return nil, auth.ErrLeaseHeld
	}
	m.leases[key] = true
	return memLease{m, key}, nil
}

type memLease struct {
	m   *memStore
	key string
}

func (l memLease) Release(context.Context) error {
	l.m.mu.Lock()
	defer l.m.mu.Unlock()
	delete(l.m.leases, l.key)
	return nil
}

func (m *memStore) fail(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.err = err
}

func (m *memStore) stored() []auth.StoredToken {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []auth.StoredToken
	for _, t := range m.tokens {
		out = append(out, t)
	}
	return out
}

func (m *memStore) callCount() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.calls
}

// fleet runs f for each of n replicas at once and returns the distinct
// results; any error fails the test.
func fleet[T any](t *testing.T, replicas []T, f func(T) (string, error)) map[string]int {
	t.Helper()
	seen, errs := testkit.Tally(replicas, f)
	require.Empty(t, errs)
	return seen
}

func oauthFleet(t *testing.T, srv *authtest.Server, st auth.Store, n int) []*auth.Bearer {
	t.Helper()
	var bs []*auth.Bearer
	for range n {
		b, _ := newOAuth(t, srv, func(c *auth.OAuthConfig) { c.Store = st })
		bs = append(bs, b)
	}
	return bs
}

func ibssoFleet(t *testing.T, srv *authtest.Server, st auth.Store, n int) []*auth.IBSSO {
	t.Helper()
	var ss []*auth.IBSSO
	for range n {
		s, _ := newIBSSO(t, srv, func(c *auth.IBSSOConfig) { c.Store = st })
		ss = append(ss, s)
	}
	return ss
}

func authorization[A auth.Authenticator](a A) (string, error) {
	return a.Authorization(context.Background())
}

func TestStoreFleetFetchesOneTokenPerExpiry(t *testing.T) {
	srv := setup(t)
	st := newMemStore()
	bs := oauthFleet(t, srv, st, 50)

	require.Len(t, fleet(t, bs, authorization), 1, "one token for the fleet")
	require.Equal(t, 1, srv.Count(authtest.RouteToken))

	// Past expiry: every replica needs a new token at once.
	srv.Advance(3 * time.Hour)
	require.Len(t, fleet(t, bs, authorization), 1)
	require.Equal(t, 2, srv.Count(authtest.RouteToken))

	// Into the refresh window: the replicas keep serving the current token
	// while one of them refreshes for all.
	srv.Advance(2*time.Hour - 4*time.Minute)
	old := fleet(t, bs, authorization)
	require.Len(t, old, 1)
	waitFor(t, func() bool { return srv.Count(authtest.RouteToken) == 3 })
	waitFor(t, func() bool {
		now := fleet(t, bs, authorization)
		_, same := now[firstKey(old)]
		return len(now) == 1 && !same
	})
	require.Equal(t, 3, srv.Count(authtest.RouteToken))
}

func firstKey(m map[string]int) string {
	for k := range m {
		return k
	}
	return ""
}

func TestStoreWithoutItEachReplicaFetches(t *testing.T) {
	srv := setup(t)
	bs := oauthFleet(t, srv, nil, 10)
	require.Len(t, fleet(t, bs, authorization), 10)
	require.Equal(t, 10, srv.Count(authtest.RouteToken))
}

func TestStoreRenewalAfter401IsOneFetchForTheFleet(t *testing.T) {
	srv := setup(t)
	st := newMemStore()
	bs := oauthFleet(t, srv, st, 20)
	seen := fleet(t, bs, authorization)
	rejected := firstKey(seen)
	srv.Revoke(strings.TrimPrefix(rejected, "Bearer "))

	got := fleet(t, bs, func(b *auth.Bearer) (string, error) {
		if err := b.Renew(context.Background(), rejected); err != nil {
			return "", err
		}
		return b.Authorization(context.Background())
	})
	require.Len(t, got, 1)
	require.NotContains(t, got, rejected)
	require.Equal(t, 2, srv.Count(authtest.RouteToken))
}

func TestStoreDownEachReplicaFetchesAndRecovers(t *testing.T) {
	srv := setup(t)
	st := newMemStore()
	st.fail(errors.New("connection refused"))
	bs := oauthFleet(t, srv, st, 5)

	require.Len(t, fleet(t, bs, authorization), 5, "each replica fetches for itself")
	require.Equal(t, 5, srv.Count(authtest.RouteToken))
	calls := st.callCount()

	// Within the store's pause, nobody asks it again.
	srv.Advance(3 * time.Hour)
	require.Len(t, fleet(t, bs, authorization), 5)
	require.Equal(t, 10, srv.Count(authtest.RouteToken))

	// Back up: after the pause, the fleet shares again.
	st.fail(nil)
	srv.Advance(3 * time.Hour)
	require.Len(t, fleet(t, bs, authorization), 1)
	require.Equal(t, 11, srv.Count(authtest.RouteToken))
	require.Greater(t, st.callCount(), calls)
}

func TestStoreIBSSOOneSessionForTheFleet(t *testing.T) {
	srv := setup(t)
	st := newMemStore()
	ss := ibssoFleet(t, srv, st, 30)
	require.Len(t, fleet(t, ss, authorization), 1)
	require.Equal(t, 1, srv.Count(authtest.RouteCreateSession))
	require.Equal(t, 1, srv.ActiveSessions())
}

func TestStoreIBSSORejectedSessionIsReplacedOnceAndDestroyed(t *testing.T) {
	srv := setup(t)
	st := newMemStore()
	ss := ibssoFleet(t, srv, st, 20)
	rejected := firstKey(fleet(t, ss, authorization))

	// Every replica is told 401 on the shared session.
	got := fleet(t, ss, func(s *auth.IBSSO) (string, error) {
		if err := s.Renew(context.Background(), rejected); err != nil {
			return "", err
		}
		return s.Authorization(context.Background())
	})
	require.Len(t, got, 1)
	require.NotContains(t, got, rejected)
	require.Equal(t, 2, srv.Count(authtest.RouteCreateSession))
	require.Equal(t, 1, srv.Count(authtest.RouteDestroySession), "the old session is destroyed before the new one is made")
	require.Equal(t, rejected, srv.Requests(authtest.RouteDestroySession)[0].Header.Get("Authorization"))
	require.Equal(t, 1, srv.ActiveSessions())
}

// Two groups of replicas that cannot use each other's sessions (as when
// each group has its own egress IP and sessions are IP-bound) must not
// replace the session back and forth without pause.
func TestStoreIBSSORejectionPingPongBacksOff(t *testing.T) {
	srv := setup(t)
	st := newMemStore()
	ss := ibssoFleet(t, srv, st, 2)
	a, b := ss[0], ss[1]
	ctx := context.Background()

	h, err := a.Authorization(ctx)
	require.NoError(t, err)
	hb, err := b.Authorization(ctx)
	require.NoError(t, err)
	require.Equal(t, h, hb)
	require.NoError(t, b.Renew(ctx, h)) // b cannot use a's session: replaces it
	h2, err := b.Authorization(ctx)
	require.NoError(t, err)
	require.NotEqual(t, h, h2)

	// a gets h2 and cannot use it either: a replacement of a replacement
	// rejected within the second is refused for now.
	require.NoError(t, a.Renew(ctx, h))
	got, err := a.Authorization(ctx)
	require.NoError(t, err)
	require.Equal(t, h2, got, "a picks up b's session")
	err = a.Renew(ctx, h2)
	require.ErrorContains(t, err, "rejected 2 times in a row")
	require.ErrorContains(t, err, "Unsafe")
	require.Equal(t, 2, srv.Count(authtest.RouteCreateSession))

	// Once the pause is over, a replaces it, and the next pause is longer.
	srv.Advance(time.Minute)
	h3, err := a.Authorization(ctx)
	require.NoError(t, err)
	require.NotEqual(t, h2, h3)
	require.Equal(t, 3, srv.Count(authtest.RouteCreateSession))
	srv.Advance(time.Second + 500*time.Millisecond)
	require.NoError(t, b.Renew(ctx, h2))
	got, err = b.Authorization(ctx)
	require.NoError(t, err)
	require.Equal(t, h3, got)
	err = b.Renew(ctx, h3)
	require.ErrorContains(t, err, "rejected 3 times in a row")
	require.Equal(t, 3, srv.Count(authtest.RouteCreateSession))
}

// A replica whose own use stopped does not destroy the session the rest of
// the fleet still uses: it asks the store when the session was last used.
func TestStoreIBSSOIdleHereButUsedElsewhereIsKept(t *testing.T) {
	srv := setup(t)
	st := newMemStore()
	ss := ibssoFleet(t, srv, st, 2)
	busy, quiet := ss[0], ss[1]
	c := client(t, srv, busy)
	h := firstKey(fleet(t, ss, authorization))

	lastUse := func() time.Time {
		for _, tok := range st.stored() {
			return tok.LastUse
		}
		return time.Time{}
	}
	for range 70 { // 70 minutes of use by one replica only
		srv.Advance(time.Minute)
		require.Equal(t, http.StatusOK, getBalance(t, c, srv))
		// Its check-ins, due every 1 to 2 minutes of use, run in the
		// background: while the last one is more than 2 minutes old,
		// traffic and time go on (a second at a time) until one lands.
		deadline := time.Now().Add(10 * time.Second)
		for srv.Now().Sub(lastUse()) > 2*time.Minute {
			require.True(t, time.Now().Before(deadline), "no check-in in 10 s; last use reported %v ago", srv.Now().Sub(lastUse()))
			srv.Advance(time.Second)
			_, err := busy.Authorization(context.Background())
			require.NoError(t, err)
			time.Sleep(time.Millisecond)
		}
	}
	got, err := quiet.Authorization(context.Background())
	require.NoError(t, err)
	require.Equal(t, h, got)
	require.Equal(t, 1, srv.Count(authtest.RouteCreateSession))
	require.Equal(t, 0, srv.Count(authtest.RouteDestroySession))

	// Unused by everyone past the limit: replaced, the old one destroyed.
	srv.Advance(59 * time.Minute)
	got, err = quiet.Authorization(context.Background())
	require.NoError(t, err)
	require.NotEqual(t, h, got)
	require.Equal(t, 2, srv.Count(authtest.RouteCreateSession))
	require.Equal(t, 1, srv.Count(authtest.RouteDestroySession))
	require.Equal(t, 1, srv.ActiveSessions())
}

func TestStoreIBSSOCloseLeavesTheSharedSessionDestroyEndsIt(t *testing.T) {
	srv := setup(t)
	st := newMemStore()
	ss := ibssoFleet(t, srv, st, 3)
	fleet(t, ss, authorization)

	require.NoError(t, ss[0].Close(context.Background()))
	require.Equal(t, 0, srv.Count(authtest.RouteDestroySession))
	require.Equal(t, 1, srv.ActiveSessions())
	_, err := ss[1].Authorization(context.Background())
	require.NoError(t, err)

	require.NoError(t, ss[1].Destroy(context.Background()))
	require.Equal(t, 1, srv.Count(authtest.RouteDestroySession))
	require.Equal(t, 0, srv.ActiveSessions())
	require.Empty(t, st.stored())
	_, err = ss[1].Authorization(context.Background())
	require.ErrorIs(t, err, auth.ErrClosed)

	// The last replica still running makes a new session when it needs one.
	srv.Advance(2 * time.Minute)
	c := client(t, srv, ss[2])
	require.Equal(t, http.StatusOK, getBalance(t, c, srv))
	require.Equal(t, 2, srv.Count(authtest.RouteCreateSession))
}

// A replica that used the shared session since its last check-in reports
// that use when it closes, so that the fleet keeps the session as long as
// Infobip does: a short-lived process never lives to its first check-in.
func TestStoreIBSSOCloseReportsTheLastUse(t *testing.T) {
	srv := setup(t)
	st := newMemStore()
	s := ibssoFleet(t, srv, st, 1)[0]
	ctx := context.Background()
	_, err := s.Authorization(ctx)
	require.NoError(t, err)
	require.Len(t, st.stored(), 1)
	created := st.stored()[0].LastUse

	srv.Advance(30 * time.Second) // before the first check-in is due
	_, err = s.Authorization(ctx)
	require.NoError(t, err)
	used := srv.Now()
	srv.Advance(20 * time.Second)
	require.Equal(t, created, st.stored()[0].LastUse, "no check-in yet")

	require.NoError(t, s.Close(ctx))
	require.Len(t, st.stored(), 1)
	require.Equal(t, used, st.stored()[0].LastUse, "the last use, reported")
	require.Equal(t, 0, srv.Count(authtest.RouteDestroySession))
	require.Equal(t, 1, srv.ActiveSessions())
}

// A session made while the store was down is this replica's alone: Close
// destroys it, and once the store is back the replica moves to the fleet's.
func TestStoreIBSSOPrivateSessionConvergesAndIsDestroyed(t *testing.T) {
	srv := setup(t)
	st := newMemStore()
	ss := ibssoFleet(t, srv, st, 2)
	shared, err := ss[0].Authorization(context.Background())
	require.NoError(t, err)

	st.fail(errors.New("timeout"))
	private, err := ss[1].Authorization(context.Background())
	require.NoError(t, err)
	require.NotEqual(t, shared, private)
	require.Equal(t, 2, srv.ActiveSessions())

	st.fail(nil)
	c := client(t, srv, ss[1])
	srv.Advance(2 * time.Minute) // past the store pause and the check-in
	require.Equal(t, http.StatusOK, getBalance(t, c, srv))
	waitFor(t, func() bool {
		h, err := ss[1].Authorization(context.Background())
		return err == nil && h == shared
	})
	require.Equal(t, 1, srv.ActiveSessions(), "the private session is destroyed")
	require.Equal(t, private, srv.Requests(authtest.RouteDestroySession)[0].Header.Get("Authorization"))
}

func TestStoreKeysNameNoSecretAndSeparateIdentities(t *testing.T) {
	srv := setup(t)
	st := newMemStore()
	srv.AddClient("other-client", "other-secret-1")
	for _, cfg := range []auth.OAuthConfig{
		{BaseURL: srv.URL, ClientID: authtest.ClientID, ClientSecret: authtest.ClientSecret},
		{BaseURL: strings.ToUpper(srv.URL[:4]) + srv.URL[4:], ClientID: authtest.ClientID, ClientSecret: authtest.ClientSecret},
		{BaseURL: srv.URL, ClientID: "other-client", ClientSecret: "other-secret-1"},
	} {
		cfg.Now, cfg.Store = srv.Now, st
		b, err := auth.NewOAuth(cfg)
		require.NoError(t, err)
		_, err = b.Authorization(context.Background())
		require.NoError(t, err)
	}
	s, _ := newIBSSO(t, srv, func(c *auth.IBSSOConfig) { c.Store = st })
	_, err := s.Authorization(context.Background())
	require.NoError(t, err)

	require.Len(t, st.keys, 3, "same client at one origin shares; another client or scheme does not")
	for k := range st.keys {
		for _, secret := range []string{authtest.ClientSecret, "other-secret-1", authtest.Password, authtest.ClientID, authtest.Username, "127.0.0.1"} {
			require.NotContains(t, k, secret)
		}
	}
}

func TestStoredTokenIsRedacted(t *testing.T) {
	tok := auth.StoredToken{Scheme: "Bearer", Value: "sekrit-token-value", Expiry: time.Now()}
	var buf strings.Builder
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	log.Info("x", "tok", tok, "ptr", &tok)
	for _, s := range []string{
		fmt.Sprint(tok), fmt.Sprintf("%v %+v %#v %s %q", tok, tok, tok, tok, tok),
		fmt.Sprintf("%v %+v %#v", &tok, &tok, []auth.StoredToken{tok}), buf.String(),
	} {
		require.NotContains(t, s, "sekrit")
		require.Contains(t, s, "redacted")
	}
}

// A store holding garbage is a store error: the replica fetches for itself
// and never sends what it found.
func TestStoreMalformedTokenIsNeverSent(t *testing.T) {
	srv := setup(t)
	st := newMemStore()
	b, _ := newOAuth(t, srv, func(c *auth.OAuthConfig) { c.Store = st })
	_, err := b.Authorization(context.Background())
	require.NoError(t, err)
	var key string
	for k := range st.keys {
		key = k
	}
	for _, bad := range []auth.StoredToken{
		{Scheme: "Bearer", Value: "evil\r\nX-Injected: 1", Expiry: srv.Now().Add(time.Hour), Created: srv.Now()},
		{Scheme: "IBSSO", Value: "fine", Expiry: srv.Now().Add(time.Hour), Created: srv.Now()},
	} {
		st.mu.Lock()
		st.tokens[key] = bad
		st.mu.Unlock()
		srv.Advance(3 * time.Hour)
		h, err := b.Authorization(context.Background())
		require.NoError(t, err)
		require.NotContains(t, h, "evil")
		require.NotEqual(t, "Bearer fine", h)
	}
}

// slowStore answers every call after delay, or fails when its context
// ends first, as Redis does when it is slow or hangs.
type slowStore struct {
	*memStore
	delay time.Duration
}

func (s slowStore) pause(ctx context.Context) error {
	select {
	case <-time.After(s.delay):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s slowStore) Load(ctx context.Context, key string) (*auth.StoredToken, error) {
	if err := s.pause(ctx); err != nil {
		return nil, err
	}
	return s.memStore.Load(ctx, key)
}

func (s slowStore) CompareAndSwap(ctx context.Context, key, old string, tok *auth.StoredToken, ttl time.Duration) (bool, error) {
	if err := s.pause(ctx); err != nil {
		return false, err
	}
	return s.memStore.CompareAndSwap(ctx, key, old, tok, ttl)
}

func (s slowStore) Lease(ctx context.Context, key string) (auth.Lease, error) {
	if err := s.pause(ctx); err != nil {
		return nil, err
	}
	return s.memStore.Lease(ctx, key)
}

// TestStoreSlowOrHungLeavesTheFetchItsTimeout: the time spent on the store
// (each call at most a second) is not taken from the token request's
// FetchTimeout, so a slow or hung store never fails a request.
func TestStoreSlowOrHungLeavesTheFetchItsTimeout(t *testing.T) {
	for _, delay := range []time.Duration{800 * time.Millisecond, time.Hour} {
		t.Run(delay.String(), func(t *testing.T) {
			srv := setup(t)
			st := slowStore{newMemStore(), delay}
			b, _ := newOAuth(t, srv, func(c *auth.OAuthConfig) { c.Store = st; c.FetchTimeout = time.Second })
			h, err := b.Authorization(context.Background())
			require.NoError(t, err, "a store that is slow (or hangs) must not fail the request")
			require.NotEmpty(t, h)
		})
	}
}
