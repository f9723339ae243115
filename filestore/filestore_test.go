package filestore_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/ibkit/auth"
	"github.com/ibkit/auth/authtest"
	"github.com/ibkit/auth/filestore"
	"github.com/ibkit/auth/internal/testkit"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

var testKey = []byte("0123456789abcdef0123456789abcdef")

// env is a fake Infobip server and a cache directory for one test.
type env struct {
	srv *authtest.Server
	dir string
}

func setup(t testing.TB) *env {
	t.Helper()
	srv := authtest.NewServer()
	t.Cleanup(srv.Close)
	return &env{srv: srv, dir: filepath.Join(t.TempDir(), "cache")}
}

// store is one process's store on the test's directory, on the fake
// server's clock (nil opts: the test Key).
func (e *env) store(t testing.TB, opts *filestore.Options) *filestore.Store {
	t.Helper()
	if opts == nil {
		opts = &filestore.Options{Key: testKey}
	}
	if opts.Now == nil {
		opts.Now = e.srv.Now
	}
	st, err := filestore.New(e.dir, opts)
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
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

// storeFleet makes n authenticators sharing the directory with newAuth:
// each group of perStore shares one Store, as goroutines of one process
// do, and each Store stands for one process.
func storeFleet[A auth.Authenticator](t testing.TB, e *env, n, perStore int, newAuth func(testing.TB, auth.Store) A) []auth.Authenticator {
	var out []auth.Authenticator
	var st *filestore.Store
	for i := range n {
		if i%perStore == 0 {
			st = e.store(t, nil)
		}
		out = append(out, newAuth(t, st))
	}
	return out
}

func oauthFleet(t testing.TB, e *env, n, perStore int) []auth.Authenticator {
	return storeFleet(t, e, n, perStore, e.oauth)
}

func ibssoFleet(t testing.TB, e *env, n, perStore int) []auth.Authenticator {
	return storeFleet(t, e, n, perStore, e.ibsso)
}

// all calls Authorization on every authenticator at once and returns the
// distinct headers; any error fails the test.
func all(t testing.TB, fleet []auth.Authenticator) map[string]int {
	t.Helper()
	seen, errs := testkit.Tally(fleet, authorization)
	require.Empty(t, errs)
	return seen
}

func authorization(a auth.Authenticator) (string, error) {
	return a.Authorization(context.Background())
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

func TestOAuthFetchesOneTokenPerExpiry(t *testing.T) {
	e := setup(t)
	fleet := oauthFleet(t, e, 40, 4) // 10 stores, 4 goroutines each

	require.Len(t, all(t, fleet), 1)
	require.Equal(t, 1, e.srv.Count(authtest.RouteToken), "cold start")

	e.srv.Advance(3 * time.Hour)
	require.Len(t, all(t, fleet), 1)
	require.Equal(t, 2, e.srv.Count(authtest.RouteToken), "hard expiry")

	// Inside the refresh window: the current token is served while one
	// of them refreshes for all.
	e.srv.Advance(2*time.Hour - 4*time.Minute)
	old := only(all(t, fleet))
	require.Eventually(t, func() bool {
		seen := all(t, fleet)
		_, stale := seen[old]
		return len(seen) == 1 && !stale
	}, 10*time.Second, 10*time.Millisecond)
	require.Equal(t, 3, e.srv.Count(authtest.RouteToken), "proactive refresh")

	late := oauthFleet(t, e, 5, 1) // processes started later
	require.Len(t, all(t, append(late, fleet...)), 1)
	require.Equal(t, 3, e.srv.Count(authtest.RouteToken), "late starters take the stored token")
}

func TestIBSSOOneSessionAndOneReplacementAfter401(t *testing.T) {
	e := setup(t)
	fleet := ibssoFleet(t, e, 30, 3)
	rejected := only(all(t, fleet))
	require.Equal(t, 1, e.srv.Count(authtest.RouteCreateSession))
	require.Equal(t, 1, e.srv.ActiveSessions())

	renewAll(t, fleet, rejected)
	seen := all(t, fleet)
	require.Len(t, seen, 1)
	require.NotContains(t, seen, rejected)
	require.Equal(t, 2, e.srv.Count(authtest.RouteCreateSession), "one replacement for all")
	require.Equal(t, 1, e.srv.Count(authtest.RouteDestroySession), "the old session destroyed first")
	require.Equal(t, 1, e.srv.ActiveSessions())

	require.NoError(t, fleet[0].(*auth.IBSSO).Close(context.Background()))
	require.Equal(t, 1, e.srv.ActiveSessions(), "Close leaves the shared session")
	require.NoError(t, fleet[1].(*auth.IBSSO).Destroy(context.Background()))
	require.Equal(t, 0, e.srv.ActiveSessions())
	entries, err := filepath.Glob(filepath.Join(e.dir, "*.tok"))
	require.NoError(t, err)
	require.Empty(t, entries, "Destroy removes the entry")
}

func TestCompareAndSwap(t *testing.T) {
	e := setup(t)
	a, b := e.store(t, nil), e.store(t, nil)
	ctx := context.Background()
	tok := func(v string) *auth.StoredToken {
		return &auth.StoredToken{Scheme: "Bearer", Value: v, Expiry: e.srv.Now().Add(time.Hour), Created: e.srv.Now()}
	}

	got, err := a.Load(ctx, "k")
	require.NoError(t, err)
	require.Nil(t, got)
	ok, err := a.CompareAndSwap(ctx, "k", "", tok("one"), time.Hour)
	require.NoError(t, err)
	require.True(t, ok, "empty: stored")
	ok, err = b.CompareAndSwap(ctx, "k", "", tok("two"), time.Hour)
	require.NoError(t, err)
	require.False(t, ok, "holds one, not nothing")
	ok, err = b.CompareAndSwap(ctx, "k", "zero", tok("two"), time.Hour)
	require.NoError(t, err)
	require.False(t, ok, "holds one, not zero")
	ok, err = b.CompareAndSwap(ctx, "k", "one", tok("two"), time.Hour)
	require.NoError(t, err)
	require.True(t, ok)
	got, err = a.Load(ctx, "k")
	require.NoError(t, err)
	require.Equal(t, "two", got.Value)
	require.True(t, got.Expiry.Equal(e.srv.Now().Add(time.Hour)))

	other, err := a.Load(ctx, "k2")
	require.NoError(t, err)
	require.Nil(t, other, "keys are apart")

	ok, err = a.CompareAndSwap(ctx, "k", "one", nil, 0)
	require.NoError(t, err)
	require.False(t, ok, "delete only what is expected")
	ok, err = a.CompareAndSwap(ctx, "k", "two", nil, 0)
	require.NoError(t, err)
	require.True(t, ok)
	got, err = b.Load(ctx, "k")
	require.NoError(t, err)
	require.Nil(t, got)

	_, err = a.CompareAndSwap(ctx, "k", "", tok("x"), 0)
	require.ErrorContains(t, err, "filestore: store: TTL 0s is too short")
}

// Concurrent compare-and-swaps from many stores: exactly one of those
// expecting the same old value wins.
func TestCompareAndSwapIsSerialised(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	var stores []*filestore.Store
	for range 8 {
		stores = append(stores, e.store(t, nil))
	}
	prev := ""
	for round := range 5 {
		var wg sync.WaitGroup
		var mu sync.Mutex
		var winners []string
		for i, st := range stores {
			for g := range 3 {
				v := fmt.Sprintf("r%d-s%d-g%d", round, i, g)
				wg.Go(func() {
					ok, err := st.CompareAndSwap(ctx, "k", prev, &auth.StoredToken{Scheme: "Bearer", Value: v}, time.Hour)
					require.NoError(t, err)
					if ok {
						mu.Lock()
						winners = append(winners, v)
						mu.Unlock()
					}
				})
			}
		}
		wg.Wait()
		require.Len(t, winners, 1, "round %d", round)
		got, err := stores[0].Load(ctx, "k")
		require.NoError(t, err)
		require.Equal(t, winners[0], got.Value)
		prev = got.Value
	}
}

func TestEntryExpiresWithItsTTL(t *testing.T) {
	e := setup(t)
	st := e.store(t, nil)
	ctx := context.Background()
	ok, err := st.CompareAndSwap(ctx, "k", "", &auth.StoredToken{Scheme: "IBSSO", Value: "s1"}, time.Minute)
	require.NoError(t, err)
	require.True(t, ok)

	e.srv.Advance(time.Minute - time.Millisecond)
	got, err := st.Load(ctx, "k")
	require.NoError(t, err)
	require.NotNil(t, got, "alive until its TTL")

	e.srv.Advance(time.Millisecond)
	got, err = st.Load(ctx, "k")
	require.NoError(t, err)
	require.Nil(t, got, "absent from its TTL on")
	ok, err = st.CompareAndSwap(ctx, "k", "", &auth.StoredToken{Scheme: "IBSSO", Value: "s2"}, time.Minute)
	require.NoError(t, err)
	require.True(t, ok, "an expired entry holds nothing")

	// A check-in stores the session again: its TTL slides.
	e.srv.Advance(50 * time.Second)
	ok, err = st.CompareAndSwap(ctx, "k", "s2", &auth.StoredToken{Scheme: "IBSSO", Value: "s2"}, time.Minute)
	require.NoError(t, err)
	require.True(t, ok)
	e.srv.Advance(50 * time.Second)
	got, err = st.Load(ctx, "k")
	require.NoError(t, err)
	require.NotNil(t, got)
}

// Through the auth package: an OAuth entry lives as long as its token, a
// session's as long as the idle limit.
func TestOAuthEntryExpiresWithTheToken(t *testing.T) {
	e := setup(t)
	e.srv.SetTokenLifetime(10 * time.Minute)
	st := record(e.store(t, nil))
	_, err := e.oauth(t, st).Authorization(context.Background())
	require.NoError(t, err)
	key := st.only(t)
	got, err := st.Load(context.Background(), key)
	require.NoError(t, err)
	require.NotNil(t, got)
	e.srv.Advance(10 * time.Minute)
	got, err = st.Load(context.Background(), key)
	require.NoError(t, err)
	require.Nil(t, got)
}

func TestLeaseIsExclusiveUntilReleased(t *testing.T) {
	e := setup(t)
	a, b := e.store(t, nil), e.store(t, nil)
	ctx := context.Background()
	l, err := a.Lease(ctx, "k")
	require.NoError(t, err)
	for _, st := range []*filestore.Store{a, b} {
		_, err = st.Lease(ctx, "k")
		require.ErrorIs(t, err, auth.ErrLeaseHeld, "held, in this process too")
	}
	other, err := b.Lease(ctx, "k2")
	require.NoError(t, err, "another key's lease is apart")
	require.NoError(t, other.Release(ctx))

	require.NoError(t, l.Release(ctx))
	require.NoError(t, l.Release(ctx), "twice is harmless")
	l2, err := b.Lease(ctx, "k")
	require.NoError(t, err)
	require.NoError(t, l2.Release(ctx))
}

// A lease held elsewhere makes the others wait, not fetch, and they take
// over as soon as it is released.
func TestFleetWaitsForTheLeaseholder(t *testing.T) {
	e := setup(t)
	fleet := oauthFleet(t, e, 10, 2)
	rec := record(e.store(t, nil))
	_, err := e.oauth(t, rec).Authorization(context.Background())
	require.NoError(t, err)
	key := rec.only(t)
	e.srv.Advance(3 * time.Hour)
	l, err := e.store(t, nil).Lease(context.Background(), key)
	require.NoError(t, err)
	time.AfterFunc(300*time.Millisecond, func() { l.Release(context.Background()) })
	start := time.Now()
	require.Len(t, all(t, fleet), 1)
	took := time.Since(start)
	require.GreaterOrEqual(t, took, 250*time.Millisecond, "they waited for the lease")
	require.Equal(t, 2, e.srv.Count(authtest.RouteToken))
}

func TestNewCreatesAPrivateDirectory(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "a", "b", "cache")
	st, err := filestore.New(dir, nil)
	require.NoError(t, err)
	defer st.Close()
	for _, d := range []string{dir, filepath.Dir(dir), filepath.Join(parent, "a")} {
		fi, err := os.Stat(d)
		require.NoError(t, err)
		require.True(t, fi.IsDir())
		require.Equal(t, os.FileMode(0o700), fi.Mode().Perm(), d)
	}
	ok, err := st.CompareAndSwap(context.Background(), "bearer:k", "", &auth.StoredToken{Scheme: "Bearer", Value: "v"}, time.Hour)
	require.NoError(t, err)
	require.True(t, ok)
	_, err = st.Lease(context.Background(), "bearer:k")
	require.NoError(t, err)
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	var exts []string
	for _, de := range ents {
		fi, err := de.Info()
		require.NoError(t, err)
		require.True(t, fi.Mode().IsRegular(), de.Name())
		require.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), de.Name())
		require.True(t, strings.HasPrefix(de.Name(), "bearer-"), de.Name())
		exts = append(exts, filepath.Ext(de.Name()))
	}
	require.ElementsMatch(t, []string{".tok", ".lock", ".lease"}, exts, "no temporary file is left")
}

func TestNewRejectsBadOptions(t *testing.T) {
	_, err := filestore.New("", nil)
	require.EqualError(t, err, "filestore: New: directory is empty")
	_, err = filestore.New(filepath.Join(t.TempDir(), "c"), &filestore.Options{Key: []byte("short-secret-key")})
	require.EqualError(t, err, "filestore: New: Key is 16 bytes, want 32 (AES-256)")
	file := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(file, nil, 0o600))
	_, err = filestore.New(file, nil)
	require.ErrorContains(t, err, "filestore: New: ")
	_, err = filestore.New(filepath.Join(file, "sub"), nil)
	require.ErrorContains(t, err, "filestore: New: ")
}

// TestStoreAndOptionsAreRedacted renders a Store and its Options, alone and
// inside a struct, every way fmt, slog and encoding/json can, and looks for
// the Key.
func TestStoreAndOptionsAreRedacted(t *testing.T) {
	opts := filestore.Options{Key: testKey}
	st, err := filestore.New(filepath.Join(t.TempDir(), "c"), &opts)
	require.NoError(t, err)
	defer st.Close()
	type config struct {
		Store *filestore.Store
		Opts  filestore.Options
	}
	testkit.RequireRedacted(t, testKey, st, opts, &opts, config{st, opts})
}

func TestStoreFailsAfterClose(t *testing.T) {
	e := setup(t)
	st := e.store(t, nil)
	require.NoError(t, st.Close())
	_, err := st.Load(context.Background(), "k")
	require.ErrorContains(t, err, "filestore: load: ")
	_, err = st.CompareAndSwap(context.Background(), "k", "", &auth.StoredToken{Value: "v"}, time.Hour)
	require.ErrorContains(t, err, "filestore: store: ")
	_, err = st.Lease(context.Background(), "k")
	require.ErrorContains(t, err, "filestore: lease: ")
	require.False(t, errors.Is(err, auth.ErrLeaseHeld))
}

// recorder is a Store that remembers the keys the auth package uses,
// which the file names, being hashes, do not tell.
type recorder struct {
	*filestore.Store
	mu   sync.Mutex
	keys map[string]bool
}

func record(st *filestore.Store) *recorder { return &recorder{Store: st, keys: map[string]bool{}} }

func (r *recorder) Load(ctx context.Context, key string) (*auth.StoredToken, error) {
	r.mu.Lock()
	r.keys[key] = true
	r.mu.Unlock()
	return r.Store.Load(ctx, key)
}

// only returns the one key used.
func (r *recorder) only(t *testing.T) string {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	require.Len(t, r.keys, 1)
	for k := range r.keys {
		return k
	}
	return ""
}

// TestNilStoreIsAStoreErrorNotAPanic: a program that sets the result of a
// failed New as the Store (a nil *Store in a non-nil auth.Store) runs as
// without a store, and a nil Store's calls fail with an error.
func TestNilStoreIsAStoreErrorNotAPanic(t *testing.T) {
	e := setup(t)
	st, err := filestore.New(filepath.Join(e.dir, "missing", "\x00"), nil)
	require.Error(t, err)
	require.Nil(t, st)
	ctx := context.Background()
	_, err = st.Load(ctx, "k")
	require.ErrorContains(t, err, "filestore: load: nil Store")
	_, err = st.CompareAndSwap(ctx, "k", "", &auth.StoredToken{Value: "v"}, time.Hour)
	require.ErrorContains(t, err, "filestore: store: nil Store")
	_, err = st.Lease(ctx, "k")
	require.ErrorContains(t, err, "filestore: lease: nil Store")
	require.ErrorContains(t, st.Close(), "filestore: close: nil Store")

	b := e.oauth(t, st)
	h, err := b.Authorization(ctx)
	require.NoError(t, err)
	require.NotEmpty(t, h)
	require.NoError(t, b.Close(ctx))
}
