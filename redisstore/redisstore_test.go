package redisstore_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bsm/redislock"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/ibkit/auth"
	"github.com/ibkit/auth/authtest"
	"github.com/ibkit/auth/internal/testkit"
	"github.com/ibkit/auth/redisstore"
	"github.com/ibkit/auth/redisstore/internal/redistest"
)

func TestMain(m *testing.M) {
	// go-redis logs every failed dial; the tests stop Redis on purpose.
	redis.SetLogger(quiet{})
	goleak.VerifyTestMain(m)
}

type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

var testKey = []byte("0123456789abcdef0123456789abcdef")

// env is a fake Infobip server and a real Redis for one test.
type env struct {
	srv *authtest.Server
	rd  *redistest.Server
}

func setup(t testing.TB) *env {
	t.Helper()
	rd := redistest.Start(t)
	srv := authtest.NewServer()
	t.Cleanup(srv.Close)
	return &env{srv: srv, rd: rd}
}

// store is one replica's store: its own client, so its own connections.
func (e *env) store(t testing.TB, opts *redisstore.Options) *redisstore.Store {
	t.Helper()
	if opts == nil {
		opts = &redisstore.Options{Key: testKey, LockTTL: time.Second}
	}
	st, err := redisstore.New(e.rd.Client(t), opts)
	require.NoError(t, err)
	return st
}

func (e *env) oauth(t testing.TB, st auth.Store) *auth.Bearer {
	t.Helper()
	b, err := auth.NewOAuth(auth.OAuthConfig{
		BaseURL: e.srv.URL, ClientID: authtest.ClientID, ClientSecret: authtest.ClientSecret,
		Now: e.srv.Now, Store: st,
	})
	require.NoError(t, err)
	return b
}

func (e *env) ibsso(t testing.TB, st auth.Store) *auth.IBSSO {
	t.Helper()
	s, err := auth.NewIBSSO(auth.IBSSOConfig{
		BaseURL: e.srv.URL, Username: authtest.Username, Password: authtest.Password,
		Now: e.srv.Now, Store: st,
	})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close(context.Background()) })
	return s
}

// replicas makes n replicas, each with its own store (nil opts: the
// default test options; store false: no store).
func oauthReplicas(t testing.TB, e *env, n int, store bool) []auth.Authenticator {
	var out []auth.Authenticator
	for range n {
		var st auth.Store
		if store {
			st = e.store(t, nil)
		}
		out = append(out, e.oauth(t, st))
	}
	return out
}

func ibssoReplicas(t testing.TB, e *env, n int, store bool) []auth.Authenticator {
	var out []auth.Authenticator
	for range n {
		var st auth.Store
		if store {
			st = e.store(t, nil)
		}
		out = append(out, e.ibsso(t, st))
	}
	return out
}

// all calls Authorization on every replica at once and returns the
// distinct headers and the errors.
func all(replicas []auth.Authenticator) (map[string]int, []error) {
	return testkit.Tally(replicas, func(a auth.Authenticator) (string, error) {
		return a.Authorization(context.Background())
	})
}

func mustAll(t testing.TB, replicas []auth.Authenticator) map[string]int {
	t.Helper()
	seen, errs := all(replicas)
	require.Empty(t, errs)
	return seen
}

// renewAll has every authenticator renew, at once, after the server
// refused the header rejected; any error fails the test.
func renewAll(t testing.TB, fleet []auth.Authenticator, rejected string) {
	t.Helper()
	_, errs := testkit.Tally(fleet, func(a auth.Authenticator) (string, error) {
		return "", a.(auth.Renewer).Renew(context.Background(), rejected)
	})
	require.Empty(t, errs)
}

func only(m map[string]int) string {
	for k := range m {
		return k
	}
	return ""
}

func TestFleetOAuthFetchesOneTokenPerExpiry(t *testing.T) {
	e := setup(t)
	fleet := oauthReplicas(t, e, 50, true)

	require.Len(t, mustAll(t, fleet), 1)
	require.Equal(t, 1, e.srv.Count(authtest.RouteToken), "cold start")

	e.srv.Advance(3 * time.Hour)
	require.Len(t, mustAll(t, fleet), 1)
	require.Equal(t, 2, e.srv.Count(authtest.RouteToken), "hard expiry")

	// Inside the refresh window: the current token is served while one
	// replica refreshes for all of them.
	e.srv.Advance(2*time.Hour - 4*time.Minute)
	old := only(mustAll(t, fleet))
	require.Eventually(t, func() bool {
		seen := mustAll(t, fleet)
		_, stale := seen[old]
		return len(seen) == 1 && !stale
	}, 10*time.Second, 10*time.Millisecond)
	require.Equal(t, 3, e.srv.Count(authtest.RouteToken), "proactive refresh")
}

func TestFleetWithoutStoreFetchesPerReplica(t *testing.T) {
	e := setup(t)
	fleet := oauthReplicas(t, e, 10, false)
	require.Len(t, mustAll(t, fleet), 10)
	require.Equal(t, 10, e.srv.Count(authtest.RouteToken))
}

func TestFleetIBSSOOneSessionAndOneReplacementAfter401(t *testing.T) {
	e := setup(t)
	fleet := ibssoReplicas(t, e, 30, true)
	rejected := only(mustAll(t, fleet))
	require.Equal(t, 1, e.srv.Count(authtest.RouteCreateSession))
	require.Equal(t, 1, e.srv.ActiveSessions())

	// Every replica's requests come back 401 on the shared session.
	renewAll(t, fleet, rejected)
	seen := mustAll(t, fleet)
	require.Len(t, seen, 1)
	require.NotContains(t, seen, rejected)
	require.Equal(t, 2, e.srv.Count(authtest.RouteCreateSession), "one replacement for the fleet")
	require.Equal(t, 1, e.srv.Count(authtest.RouteDestroySession), "the old session destroyed first")
	require.Equal(t, 1, e.srv.ActiveSessions())

	// Close on one replica leaves the session to the others.
	require.NoError(t, fleet[0].(*auth.IBSSO).Close(context.Background()))
	require.Equal(t, 1, e.srv.ActiveSessions())
	require.NoError(t, fleet[1].(*auth.IBSSO).Destroy(context.Background()))
	require.Equal(t, 0, e.srv.ActiveSessions())
}

// A leaseholder that vanished (its lease is there, nobody renews it)
// delays the fleet by at most LockTTL plus one fetch.
func TestFleetTakesOverALeaseWhoseHolderDied(t *testing.T) {
	e := setup(t)
	const lockTTL = time.Second // the test stores' LockTTL
	fleet := oauthReplicas(t, e, 10, true)
	_, err := fleet[0].Authorization(context.Background())
	require.NoError(t, err)
	rdb := e.rd.Client(t)
	key := onlyKey(t, rdb)

	// The token expires, and a replica that took the lease dies before
	// renewing it: the lease is there, never renewed, never released.
	e.srv.Advance(3 * time.Hour)
	_, err = redislock.Obtain(context.Background(), rdb, key+":lease", lockTTL, nil)
	require.NoError(t, err)

	start := time.Now()
	require.Len(t, mustAll(t, fleet), 1)
	took := time.Since(start)
	require.Equal(t, 2, e.srv.Count(authtest.RouteToken))
	require.GreaterOrEqual(t, took, lockTTL/2, "the replicas waited for the lease")
	require.Less(t, took, lockTTL+2*time.Second, "and took over once it expired")
	t.Logf("recovered in %v (LockTTL %v)", took, lockTTL)
}

func TestRedisDownReplicasFetchAloneAndRecover(t *testing.T) {
	e := setup(t)
	fleet := oauthReplicas(t, e, 10, true)
	require.Len(t, mustAll(t, fleet), 1)

	e.rd.Stop()
	// Cached tokens keep working without Redis.
	require.Len(t, mustAll(t, fleet), 1)
	require.Equal(t, 1, e.srv.Count(authtest.RouteToken))
	// At expiry each replica fetches for itself: no request fails.
	e.srv.Advance(3 * time.Hour)
	require.Len(t, mustAll(t, fleet), 10)
	require.Equal(t, 11, e.srv.Count(authtest.RouteToken))

	e.rd.Restart() // empty, as after a crash
	e.srv.Advance(3 * time.Hour)
	require.Len(t, mustAll(t, fleet), 1, "shared again once Redis is back")
	require.Equal(t, 12, e.srv.Count(authtest.RouteToken))
}

func TestRedisSlowIsBounded(t *testing.T) {
	e := setup(t)
	fleet := oauthReplicas(t, e, 3, true)
	admin := e.rd.Client(t)
	require.NoError(t, admin.Do(context.Background(), "CLIENT", "PAUSE", "4000", "ALL").Err())
	start := time.Now()
	require.Len(t, mustAll(t, fleet), 3, "each replica gave up on Redis and fetched")
	took := time.Since(start)
	require.Less(t, took, 3*time.Second, "a store call is given at most a second")
	t.Logf("first token in %v with Redis paused", took)
	require.NoError(t, admin.Do(context.Background(), "CLIENT", "UNPAUSE").Err())
}

func TestRedisFlushedCostsAtMostOneFetch(t *testing.T) {
	e := setup(t)
	fleet := oauthReplicas(t, e, 10, true)
	require.Len(t, mustAll(t, fleet), 1)
	require.NoError(t, e.rd.Client(t).FlushAll(context.Background()).Err())
	require.Len(t, mustAll(t, fleet), 1, "cached tokens are unaffected")

	late := oauthReplicas(t, e, 5, true) // replicas starting after the flush
	require.Len(t, mustAll(t, late), 1)
	require.Equal(t, 2, e.srv.Count(authtest.RouteToken))
	e.srv.Advance(3 * time.Hour)
	require.Len(t, mustAll(t, append(fleet, late...)), 1)
	require.Equal(t, 3, e.srv.Count(authtest.RouteToken))
}

func TestSessionReplacementsAcrossEgressAddressesBackOff(t *testing.T) {
	e := setup(t)
	fleet := ibssoReplicas(t, e, 2, true)
	a, b := fleet[0].(*auth.IBSSO), fleet[1].(*auth.IBSSO)
	ctx := context.Background()
	h := only(mustAll(t, fleet))
	// b cannot use a's session (another IP address): it replaces it once.
	require.NoError(t, b.Renew(ctx, h))
	h2, err := b.Authorization(ctx)
	require.NoError(t, err)
	// a cannot use b's; it may not replace it straight back.
	require.NoError(t, a.Renew(ctx, h))
	got, err := a.Authorization(ctx)
	require.NoError(t, err)
	require.Equal(t, h2, got)
	for range 20 {
		require.Error(t, a.Renew(ctx, h2))
	}
	require.Equal(t, 2, e.srv.Count(authtest.RouteCreateSession))
}

func TestSessionEntryExpiresWithTheIdleLimitAndSlides(t *testing.T) {
	e := setup(t)
	s := e.ibsso(t, e.store(t, nil))
	c := &http.Client{Transport: transport(t, e, s)}
	get(t, c, e)
	rdb := e.rd.Client(t)
	key := onlyKey(t, rdb)
	ttl := rdb.PTTL(context.Background(), key).Val()
	require.InDelta(t, float64(60*time.Minute), float64(ttl), float64(5*time.Second))

	time.Sleep(1100 * time.Millisecond) // let the Redis TTL visibly run down
	e.srv.Advance(2 * time.Minute)
	get(t, c, e) // a use after the check-in time: the entry's TTL slides
	require.Eventually(t, func() bool {
		return rdb.PTTL(context.Background(), key).Val() > 60*time.Minute-time.Second
	}, 5*time.Second, 10*time.Millisecond)
}

func TestOAuthEntryExpiresWithTheToken(t *testing.T) {
	e := setup(t)
	e.srv.SetTokenLifetime(10 * time.Minute)
	b := e.oauth(t, e.store(t, nil))
	_, err := b.Authorization(context.Background())
	require.NoError(t, err)
	rdb := e.rd.Client(t)
	ttl := rdb.PTTL(context.Background(), onlyKey(t, rdb)).Val()
	require.InDelta(t, float64(10*time.Minute), float64(ttl), float64(5*time.Second))
}

func TestTokensAreEncryptedAtRestWithAKey(t *testing.T) {
	for _, tc := range []struct {
		name  string
		key   []byte
		clear bool
	}{{"key", testKey, false}, {"no key", nil, true}} {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t)
			b := e.oauth(t, e.store(t, &redisstore.Options{Key: tc.key, Prefix: "env1:"}))
			h, err := b.Authorization(context.Background())
			require.NoError(t, err)
			token := strings.TrimPrefix(h, "Bearer ")
			rdb := e.rd.Client(t)
			key := onlyKey(t, rdb)
			require.True(t, strings.HasPrefix(key, "env1:{bearer:"), key)
			for _, secret := range []string{token, authtest.ClientID, authtest.ClientSecret} {
				require.NotContains(t, key, secret)
			}
			raw, err := rdb.HGetAll(context.Background(), key).Result()
			require.NoError(t, err)
			require.Equal(t, tc.clear, strings.Contains(fmt.Sprint(raw), token))
			require.NotContains(t, fmt.Sprint(raw), authtest.ClientSecret)
		})
	}
}

// A replica with another key (or none) cannot read the fleet's record: it
// works alone and does not overwrite it.
func TestReplicasOnAnotherKeyShareAmongThemselves(t *testing.T) {
	e := setup(t)
	good := e.oauth(t, e.store(t, nil))
	h, err := good.Authorization(context.Background())
	require.NoError(t, err)
	for _, key := range [][]byte{bytes.Repeat([]byte{7}, 32), nil} {
		first := e.oauth(t, e.store(t, &redisstore.Options{Key: key}))
		h2, err := first.Authorization(context.Background())
		require.NoError(t, err)
		require.NotEqual(t, h, h2, "another Key: another entry")
		second := e.oauth(t, e.store(t, &redisstore.Options{Key: key}))
		h3, err := second.Authorization(context.Background())
		require.NoError(t, err)
		require.Equal(t, h2, h3, "shared within the Key's group")
	}
	late := e.oauth(t, e.store(t, nil))
	got, err := late.Authorization(context.Background())
	require.NoError(t, err)
	require.Equal(t, h, got, "the fleet's record is intact")
	require.Equal(t, 3, e.srv.Count(authtest.RouteToken), "one fetch per Key")
}

// A replica without the fleet's Key that fetches first after a flush
// cannot take the fleet's entry: the fleet still makes one fetch.
func TestAnotherKeyAfterAFlushCannotSplitTheFleet(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	_, err := e.oauth(t, e.store(t, nil)).Authorization(ctx)
	require.NoError(t, err)
	require.NoError(t, e.rd.Client(t).FlushAll(ctx).Err())
	_, err = e.oauth(t, e.store(t, &redisstore.Options{})).Authorization(ctx) // no Key
	require.NoError(t, err)
	before := e.srv.Count(authtest.RouteToken)
	seen := map[string]bool{}
	for range 5 {
		h, err := e.oauth(t, e.store(t, nil)).Authorization(ctx)
		require.NoError(t, err)
		seen[h] = true
	}
	require.Len(t, seen, 1, "the keyed replicas share one token")
	require.Equal(t, before+1, e.srv.Count(authtest.RouteToken))
}

func TestNewRejectsBadOptions(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer rdb.Close()
	_, err := redisstore.New(nil, nil)
	require.ErrorContains(t, err, "redisstore: New: Redis client is nil")
	_, err = redisstore.New(rdb, &redisstore.Options{Key: []byte("short-secret-key")})
	require.ErrorContains(t, err, "Key is 16 bytes, want 32")
	require.NotContains(t, err.Error(), "short-secret")
	_, err = redisstore.New(rdb, &redisstore.Options{LockTTL: time.Millisecond})
	require.ErrorContains(t, err, "LockTTL")
}

// TestStoreAndOptionsAreRedacted renders a Store and its Options, alone and
// inside a struct, every way fmt, slog and encoding/json can, and looks for
// the Key.
func TestStoreAndOptionsAreRedacted(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer rdb.Close()
	opts := redisstore.Options{Key: testKey, Prefix: "p:"}
	st, err := redisstore.New(rdb, &opts)
	require.NoError(t, err)
	type config struct {
		Store *redisstore.Store
		Opts  redisstore.Options
	}
	testkit.RequireRedacted(t, testKey, st, opts, &opts, config{st, opts})
}

func onlyKey(t *testing.T, rdb *redis.Client) string {
	t.Helper()
	keys, err := rdb.Keys(context.Background(), "*").Result()
	require.NoError(t, err)
	var tokens []string
	for _, k := range keys {
		if !strings.HasSuffix(k, ":lease") {
			tokens = append(tokens, k)
		}
	}
	require.Len(t, tokens, 1, "keys: %v", keys)
	return tokens[0]
}

func transport(t testing.TB, e *env, a auth.Authenticator) http.RoundTripper {
	t.Helper()
	tr, err := auth.NewTransport(e.srv.URL, a, nil)
	require.NoError(t, err)
	t.Cleanup(tr.CloseIdleConnections)
	return tr
}

func get(t testing.TB, c *http.Client, e *env) {
	t.Helper()
	resp, err := c.Get(e.srv.URL + "/account/1/balance")
	require.NoError(t, err)
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
}

// Anyone who can write to Redis can overwrite an entry's fingerprint, so
// that every compare-and-swap against it fails while loads still return
// its token. When the server then rejects that token, each replica renews
// once and keeps its fresh credential: the rejected token is never taken
// back from Redis, no request fails, no fresh session is destroyed, and
// a session's check-ins do not bring it back either. With a Key, the
// tampered entry is refused as tampered.
func TestTamperedFingerprintNeverBringsBackARejectedToken(t *testing.T) {
	for _, scheme := range []string{"oauth", "ibsso"} {
		for _, key := range [][]byte{nil, testKey} {
			name := scheme + "/no key"
			if key != nil {
				name = scheme + "/key"
			}
			t.Run(name, func(t *testing.T) {
				e := setup(t)
				ctx := context.Background()
				opts := &redisstore.Options{Key: key, LockTTL: time.Second}
				route := authtest.RouteToken
				if scheme == "ibsso" {
					route = authtest.RouteCreateSession
				}
				var clients []*http.Client
				var first auth.Authenticator
				for i := range 3 {
					var a auth.Authenticator
					if scheme == "oauth" {
						a = e.oauth(t, e.store(t, opts))
					} else {
						a = e.ibsso(t, e.store(t, opts))
					}
					if i == 0 {
						first = a
					}
					c := &http.Client{Transport: transport(t, e, a)}
					get(t, c, e)
					clients = append(clients, c)
				}
				require.Equal(t, 1, e.srv.Count(route), "one credential for the fleet")
				h, err := first.Authorization(ctx)
				require.NoError(t, err)
				rejected := h[strings.IndexByte(h, ' ')+1:]

				rdb := e.rd.Client(t)
				entry := onlyKey(t, rdb)
				require.NoError(t, rdb.HSet(ctx, entry, "fp", strings.Repeat("0", 64)).Err())
				e.srv.Revoke(rejected)

				for range 3 {
					for _, c := range clients {
						get(t, c, e) // 200, after one renewal per replica
					}
				}
				require.Equal(t, 1+len(clients), e.srv.Count(route), "one renewal per replica, then cached")
				if scheme == "ibsso" {
					require.Equal(t, len(clients), e.srv.ActiveSessions(), "every fresh session is alive")
					// A check-in per replica finds the rejected session in
					// Redis; none takes it back.
					e.srv.Advance(2 * time.Minute)
					deadline := time.Now().Add(300 * time.Millisecond)
					for time.Now().Before(deadline) {
						for _, c := range clients {
							get(t, c, e)
						}
						time.Sleep(10 * time.Millisecond)
					}
					require.Equal(t, 1+len(clients), e.srv.Count(route))
					require.Equal(t, len(clients), e.srv.ActiveSessions())
				}

				st := e.store(t, opts)
				_, err = st.Load(ctx, coreKey(t, entry))
				if key != nil {
					require.ErrorContains(t, err, "tampered")
				} else {
					require.NoError(t, err, "without a Key, Redis is trusted as it is")
				}
			})
		}
	}
}

// coreKey is the key auth gives the store for a Redis entry's name.
func coreKey(t *testing.T, entry string) string {
	t.Helper()
	k := strings.TrimPrefix(entry, "ibkit:auth:")
	k = k[:strings.LastIndexByte(k, ':')]
	return strings.NewReplacer("{", "", "}", "").Replace(k)
}

// TestReleaseIsBoundedByItsContextWhileARenewalHangs releases a lease while
// its keep-alive is stuck renewing on a paused Redis: Release must return
// within its own context's deadline (the store call's budget), not wait
// out the renewal's.
func TestReleaseIsBoundedByItsContextWhileARenewalHangs(t *testing.T) {
	e := setup(t)
	st := e.store(t, &redisstore.Options{Key: testKey, LockTTL: 6 * time.Second})
	l, err := st.Lease(context.Background(), "oauth:release")
	require.NoError(t, err)
	// Renewals run every LockTTL/3 = 2 s, each given 2 s: pause Redis
	// before the first, release just after it started.
	time.Sleep(1800 * time.Millisecond)
	admin := e.rd.Client(t)
	require.NoError(t, admin.Do(context.Background(), "CLIENT", "PAUSE", "4000", "ALL").Err())
	t.Cleanup(func() { admin.Do(context.Background(), "CLIENT", "UNPAUSE") })
	time.Sleep(400 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_ = l.Release(ctx)
	took := time.Since(start)
	require.Less(t, took, time.Second, "Release waited %v, beyond its context's 300ms", took)
}

// TestNilStoreIsAStoreErrorNotAPanic: a program that sets the result of a
// failed New as the Store (a nil *Store in a non-nil auth.Store) runs as
// without a store, and a nil Store's calls fail with an error.
func TestNilStoreIsAStoreErrorNotAPanic(t *testing.T) {
	e := setup(t)
	st, err := redisstore.New(nil, nil)
	require.Error(t, err)
	require.Nil(t, st)
	ctx := context.Background()
	_, err = st.Load(ctx, "k")
	require.ErrorContains(t, err, "redisstore: load: nil Store")
	_, err = st.CompareAndSwap(ctx, "k", "", &auth.StoredToken{Value: "v"}, time.Hour)
	require.ErrorContains(t, err, "redisstore: store: nil Store")
	_, err = st.Lease(ctx, "k")
	require.ErrorContains(t, err, "redisstore: lease: nil Store")

	b := e.oauth(t, st)
	h, err := b.Authorization(ctx)
	require.NoError(t, err)
	require.NotEmpty(t, h)
	require.NoError(t, b.Close(ctx))
}
