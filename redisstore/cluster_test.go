package redisstore_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/ibkit/auth"
	"github.com/ibkit/auth/authtest"
	"github.com/ibkit/auth/redisstore"
	"github.com/ibkit/auth/redisstore/internal/redistest"
)

// The store on a real Redis Cluster: three masters started by the test,
// formed with CLUSTER ADDSLOTS and MEET. Every replica has its own cluster
// client, cold: it has not asked the cluster for its layout yet. Subtests
// share the cluster (forming one takes about 2 s) and keep apart by
// prefix.
func TestCluster(t *testing.T) {
	cl := redistest.StartCluster(t, 3)

	t.Run("one token and one session for the fleet", func(t *testing.T) {
		srv := newServer(t)
		var oauth, ibsso []auth.Authenticator
		for range 30 {
			oauth = append(oauth, clusterOAuth(t, srv, clusterStore(t, cl, "one:", nil), authtest.ClientID, authtest.ClientSecret))
			ibsso = append(ibsso, clusterIBSSO(t, srv, clusterStore(t, cl, "one:", nil)))
		}
		require.Len(t, mustAll(t, oauth), 1)
		require.Equal(t, 1, srv.Count(authtest.RouteToken), "cold start")
		srv.Advance(3 * time.Hour)
		require.Len(t, mustAll(t, oauth), 1)
		require.Equal(t, 2, srv.Count(authtest.RouteToken), "hard expiry")

		rejected := only(mustAll(t, ibsso))
		require.Equal(t, 1, srv.Count(authtest.RouteCreateSession))
		renewAll(t, ibsso, rejected)
		seen := mustAll(t, ibsso)
		require.Len(t, seen, 1)
		require.NotContains(t, seen, rejected)
		require.Equal(t, 2, srv.Count(authtest.RouteCreateSession), "one replacement for the fleet")
		require.Equal(t, 1, srv.Count(authtest.RouteDestroySession))
	})

	// Identities hash to slots all over the cluster; each one's entry and
	// lease hash to the same slot, so a command may touch both.
	t.Run("identities spread over the masters, entry and lease in one slot", func(t *testing.T) {
		srv := newServer(t)
		const identities = 30
		var fleet []auth.Authenticator
		var stores []*redisstore.Store
		for i := range identities {
			id, secret := fmt.Sprintf("client-%d", i), fmt.Sprintf("secret-%d", i)
			srv.AddClient(id, secret)
			for range 2 {
				st := clusterStore(t, cl, "spread:", nil)
				stores = append(stores, st)
				fleet = append(fleet, clusterOAuth(t, srv, st, id, secret))
			}
		}
		require.Len(t, mustAll(t, fleet), identities)
		require.Equal(t, identities, srv.Count(authtest.RouteToken), "one fetch per identity")

		ctx := context.Background()
		rdb := cl.Client(t)
		var entries []string
		for _, addr := range cl.Addrs {
			node := redis.NewClient(&redis.Options{Addr: addr})
			keys, err := node.Keys(ctx, "spread:*").Result()
			node.Close()
			require.NoError(t, err)
			require.NotEmpty(t, keys, "no entry on the master at %s", addr)
			entries = append(entries, keys...)
		}
		require.Len(t, entries, identities)
		for _, entry := range entries {
			lease := entry + ":lease"
			require.Equal(t, rdb.ClusterKeySlot(ctx, entry).Val(), rdb.ClusterKeySlot(ctx, lease).Val(), "%s and its lease", entry)
		}
		// With a lease held, one command reads both keys (CROSSSLOT if
		// they were in different slots).
		l, err := stores[0].Lease(ctx, coreKey(t, strings.TrimPrefix(entries[0], "spread:")))
		require.NoError(t, err)
		n, err := rdb.Exists(ctx, entries[0], entries[0]+":lease").Result()
		require.NoError(t, err)
		require.Equal(t, int64(2), n)
		require.NoError(t, l.Release(ctx))
	})

	// A cluster far away: each new connection takes 600 ms (a slow network,
	// a TLS handshake), so a cold client needs more than a store call's
	// 1 s budget to discover the layout (a connection to a seed node, then
	// one to the entry's master). New does that discovery: each round of
	// replicas on fresh clients makes exactly one fetch.
	t.Run("cold clients make one fetch", func(t *testing.T) {
		srv := newServer(t)
		for round := range 3 {
			prefix := fmt.Sprintf("cold%d:", round)
			fleet := make([]auth.Authenticator, 8)
			var wg sync.WaitGroup
			for i := range fleet {
				wg.Go(func() {
					st := clusterStore(t, cl, prefix, slowDial(600*time.Millisecond))
					fleet[i] = clusterOAuth(t, srv, st, authtest.ClientID, authtest.ClientSecret)
				})
			}
			wg.Wait()
			require.Len(t, mustAll(t, fleet), 1)
			require.Equal(t, round+1, srv.Count(authtest.RouteToken), "round %d", round)
		}
	})
}

func newServer(t *testing.T) *authtest.Server {
	srv := authtest.NewServer()
	t.Cleanup(srv.Close)
	return srv
}

// clusterStore is one replica's store on its own cold cluster client.
func clusterStore(t *testing.T, cl *redistest.Cluster, prefix string, dial func(context.Context, string, string) (net.Conn, error)) *redisstore.Store {
	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: cl.Addrs, ContextTimeoutEnabled: true, Dialer: dial})
	t.Cleanup(func() { rdb.Close() })
	st, err := redisstore.New(rdb, &redisstore.Options{Key: testKey, LockTTL: time.Second, Prefix: prefix})
	require.NoError(t, err)
	return st
}

func clusterOAuth(t *testing.T, srv *authtest.Server, st auth.Store, id, secret string) auth.Authenticator {
	b, err := auth.NewOAuth(auth.OAuthConfig{BaseURL: srv.URL, ClientID: id, ClientSecret: secret, Now: srv.Now, Store: st})
	require.NoError(t, err)
	return b
}

func clusterIBSSO(t *testing.T, srv *authtest.Server, st auth.Store) auth.Authenticator {
	s, err := auth.NewIBSSO(auth.IBSSOConfig{BaseURL: srv.URL, Username: authtest.Username, Password: authtest.Password, Now: srv.Now, Store: st})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close(context.Background()) })
	return s
}

// slowDial dials after a pause of d.
func slowDial(d time.Duration) func(context.Context, string, string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		select {
		case <-time.After(d):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		var dl net.Dialer
		return dl.DialContext(ctx, network, addr)
	}
}

// A cluster that does not answer is not New's failure: the store works
// as with Redis down, and New waits at most 5 s for it.
func TestNewOnAClusterThatDoesNotAnswer(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{addr}, ContextTimeoutEnabled: true})
	defer rdb.Close()
	start := time.Now()
	st, err := redisstore.New(rdb, nil)
	require.NoError(t, err)
	require.Less(t, time.Since(start), 6*time.Second)
	srv := newServer(t)
	_, err = clusterOAuth(t, srv, st, authtest.ClientID, authtest.ClientSecret).Authorization(context.Background())
	require.NoError(t, err, "the replica fetched for itself")
	require.Equal(t, 1, srv.Count(authtest.RouteToken))
}
