package main

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ibkit/auth"
	"github.com/ibkit/auth/authtest"
	"github.com/ibkit/auth/filestore"
)

// The credential cache, tested as scripts use it: runs of the built
// binary one after another, or at once, sharing XDG_CACHE_HOME.

// cached returns c's environment with the cache in dir.
func cached(env map[string]string, dir string) map[string]string {
	return with(env, "XDG_CACHE_HOME", dir)
}

// cachedSchemes are the schemes whose credential the cache keeps, with
// the route that fetches it.
var cachedSchemes = map[string]struct {
	env   func(*authtest.Server) map[string]string
	route string
}{
	"oauth": {oauthEnv, authtest.RouteToken},
	"ibsso": {ibssoEnv, authtest.RouteCreateSession},
}

// balanceCalls runs 'ibauth api /account/1/balance' n times in a row with
// c (extra flags before the path), each printing the balance.
func balanceCalls(t *testing.T, c call, n int, flags ...string) {
	t.Helper()
	for i := range n {
		r := c.run(t, append(append([]string{"api"}, flags...), "/account/1/balance")...)
		require.Equal(t, 0, r.code, "call %d: %s", i+1, r)
		require.Equal(t, balanceBody, r.stdout)
		require.Empty(t, r.stderr, "call %d", i+1)
	}
}

// balanceCallsAtOnce runs n balance calls with c at the same time.
func balanceCallsAtOnce(t *testing.T, c call, n int) {
	t.Helper()
	require.Contains(t, c.env, "XDG_CACHE_HOME")
	results := make([]result, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { results[i], errs[i] = c.exec("api", "/account/1/balance") })
	}
	wg.Wait()
	for i, r := range results {
		require.NoError(t, errs[i])
		c.check(t, r)
		require.Equal(t, 0, r.code, r)
		require.Equal(t, balanceBody, r.stdout)
	}
}

// credentialsSent returns the distinct Authorization values of srv's
// balance requests.
func credentialsSent(srv *authtest.Server) map[string]int {
	out := map[string]int{}
	for _, r := range srv.Requests(authtest.RouteBalance) {
		out[r.Header.Get("Authorization")]++
	}
	return out
}

// TestCacheOAuthTwentyCallsOneToken: twenty calls in a row with OAuth
// credentials make one token request, and send the same token.
func TestCacheOAuthTwentyCallsOneToken(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	dir := t.TempDir()
	balanceCalls(t, call{srv: srv, env: cached(oauthEnv(srv), dir)}, 20)
	require.Equal(t, 1, srv.Count(authtest.RouteToken))
	require.Equal(t, 20, srv.Count(authtest.RouteBalance))
	require.Len(t, credentialsSent(srv), 1)
	requirePrivateCache(t, filepath.Join(dir, "ibauth"))
}

// TestCacheIBSSOTwentyCallsOneSession: twenty calls in a row with
// IB_AUTH=ibsso create one session, and destroy none: it stays alive for
// the next call.
func TestCacheIBSSOTwentyCallsOneSession(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	balanceCalls(t, call{srv: srv, env: cached(ibssoEnv(srv), t.TempDir())}, 20)
	require.Equal(t, 1, srv.Count(authtest.RouteCreateSession))
	require.Zero(t, srv.Count(authtest.RouteDestroySession))
	require.Equal(t, 1, srv.ActiveSessions())
	require.Len(t, credentialsSent(srv), 1)
}

// TestCacheTenCallsAtOnce: ten calls started together make one token
// request, or create one session.
func TestCacheTenCallsAtOnce(t *testing.T) {
	t.Parallel()
	for name, tc := range cachedSchemes {
		t.Run(name, func(t *testing.T) {
			srv := newServer(t)
			balanceCallsAtOnce(t, call{srv: srv, env: cached(tc.env(srv), t.TempDir())}, 10)
			require.Equal(t, 1, srv.Count(tc.route))
			require.Zero(t, srv.Count(authtest.RouteDestroySession))
			require.Len(t, credentialsSent(srv), 1)
		})
	}
}

// TestNoCache: --no-cache, before or after the command, and IB_NO_CACHE
// turn the cache off: each call fetches its own token, or creates and
// destroys its own session, and the cache directory is not made.
func TestNoCache(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	dir := t.TempDir()
	oauth := call{srv: srv, env: cached(oauthEnv(srv), dir)}
	for range 20 {
		r := oauth.run(t, "--no-cache", "api", "/account/1/balance")
		require.Equal(t, 0, r.code, r)
	}
	require.Equal(t, 20, srv.Count(authtest.RouteToken))
	balanceCalls(t, oauth, 2, "--no-cache")
	balanceCalls(t, call{srv: srv, env: with(oauth.env, "IB_NO_CACHE", "1")}, 2)
	require.Equal(t, 24, srv.Count(authtest.RouteToken))

	ibsso := call{srv: srv, env: cached(ibssoEnv(srv), dir)}
	balanceCalls(t, ibsso, 3, "--no-cache")
	require.Equal(t, 3, srv.Count(authtest.RouteCreateSession))
	require.Equal(t, 3, srv.Count(authtest.RouteDestroySession))
	require.Zero(t, srv.ActiveSessions())

	_, err := os.Stat(filepath.Join(dir, "ibauth"))
	require.ErrorIs(t, err, fs.ErrNotExist)

	// IB_NO_CACHE=0 leaves it on.
	balanceCalls(t, call{srv: srv, env: with(oauth.env, "IB_NO_CACHE", "0")}, 2)
	require.Equal(t, 25, srv.Count(authtest.RouteToken))
}

// TestCacheNeverSharedAcrossCredentials: an entry is used only with the
// credentials that made it. A wrong secret or password is refused by
// Infobip, not served a cached token; a new secret gets a new token; another
// user, client or base URL has its own entry.
func TestCacheNeverSharedAcrossCredentials(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	dir := t.TempDir()
	oauth := call{srv: srv, env: cached(oauthEnv(srv), dir)}
	balanceCalls(t, oauth, 1)
	first := srv.Requests(authtest.RouteBalance)[0].Header.Get("Authorization")

	wrong := call{srv: srv, env: with(oauth.env, "IB_CLIENT_SECRET", "wrong-secret-1"), secrets: []string{"wrong-secret-1"}}
	r := wrong.run(t, "api", "/account/1/balance")
	require.Equal(t, 1, r.code, r)
	require.Contains(t, r.stderr, "fetch OAuth token: 401 E401")
	require.Equal(t, 2, srv.Count(authtest.RouteToken))
	require.Equal(t, 1, srv.Count(authtest.RouteBalance), "the cached token was not used")

	// The client's secret is rotated: the new one fetches a new token.
	srv.AddClient(authtest.ClientID, "rotated-secret-2")
	rotated := call{srv: srv, env: with(oauth.env, "IB_CLIENT_SECRET", "rotated-secret-2"), secrets: []string{"rotated-secret-2"}}
	balanceCalls(t, rotated, 2)
	require.Equal(t, 3, srv.Count(authtest.RouteToken))
	sent := credentialsSent(srv)
	require.Len(t, sent, 2)
	require.Equal(t, 1, sent[first], "the old entry was not used with the new secret")

	// IBSSO: a wrong password is refused, never served the cached session.
	ibsso := call{srv: srv, env: cached(ibssoEnv(srv), dir)}
	balanceCalls(t, ibsso, 1)
	r = call{srv: srv, env: with(ibsso.env, "IB_PASSWORD", "wrong-password-3"), secrets: []string{"wrong-password-3"}}.
		run(t, "api", "/account/1/balance")
	require.Equal(t, 1, r.code, r)
	require.Contains(t, r.stderr, "create IBSSO session: 401 E401")
	require.Equal(t, 2, srv.Count(authtest.RouteCreateSession))
	require.Equal(t, 4, srv.Count(authtest.RouteBalance), "the cached session was not used")

	// Another user, and the account's user as OAuth client: entries of
	// their own.
	srv.AddUser("jasmine", "magic-carpet-4")
	jas := call{srv: srv, env: with(ibsso.env, "IB_USERNAME", "jasmine", "IB_PASSWORD", "magic-carpet-4"), secrets: []string{"magic-carpet-4"}}
	balanceCalls(t, jas, 2)
	require.Equal(t, 3, srv.Count(authtest.RouteCreateSession))
	balanceCalls(t, call{srv: srv, env: with(basicEnv(srv), "IB_AUTH", "oauth", "XDG_CACHE_HOME", dir)}, 2)
	require.Equal(t, 4, srv.Count(authtest.RouteToken))

	// Another base URL, with the same credentials: a token of its own.
	other := newServer(t)
	balanceCalls(t, call{srv: other, env: cached(oauthEnv(other), dir)}, 2)
	require.Equal(t, 1, other.Count(authtest.RouteToken))
	require.Equal(t, 4, srv.Count(authtest.RouteToken))
}

// TestCacheRenewsARejectedCredentialOnce: a cached token or session that
// Infobip no longer accepts is replaced once, by the call that meets the
// 401, which then succeeds; the calls after it use the replacement.
func TestCacheRenewsARejectedCredentialOnce(t *testing.T) {
	t.Parallel()
	for name, tc := range cachedSchemes {
		t.Run(name, func(t *testing.T) {
			srv := newServer(t)
			c := call{srv: srv, env: cached(tc.env(srv), t.TempDir())}
			balanceCalls(t, c, 2)
			_, cred, _ := strings.Cut(srv.Requests(authtest.RouteBalance)[0].Header.Get("Authorization"), " ")
			srv.Revoke(cred)

			balanceCalls(t, c, 1)
			require.Equal(t, 2, srv.Count(tc.route), "one new fetch")
			require.Equal(t, 4, srv.Count(authtest.RouteBalance), "the 401 and the retry")
			balanceCalls(t, c, 3)
			require.Equal(t, 2, srv.Count(tc.route))
			require.Len(t, credentialsSent(srv), 2)
			if name == "ibsso" {
				require.Equal(t, 1, srv.ActiveSessions())
			}
		})
	}
}

// TestLogoutEndsTheCachedSession: without IB_SESSION_TOKEN, logout ends
// the session the cache holds for the IB_* credentials, at Infobip and in
// the cache; the next call creates a new one.
func TestLogoutEndsTheCachedSession(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	dir := t.TempDir()
	c := call{srv: srv, env: cached(ibssoEnv(srv), dir)}
	balanceCalls(t, c, 3)
	require.Equal(t, 1, srv.ActiveSessions())
	token := srv.Requests(authtest.RouteBalance)[0].Header.Get("Authorization")

	r := c.run(t, "logout")
	require.Equal(t, 0, r.code, r)
	require.Empty(t, r.stdout)
	require.Equal(t, "ibauth: logged out; the cached IBSSO session for aladdin at "+srv.URL+" has ended\n", r.stderr)
	require.Zero(t, srv.ActiveSessions())
	require.Equal(t, 1, srv.Count(authtest.RouteDestroySession))
	require.Equal(t, 401, balance(t, srv, token))

	balanceCalls(t, c, 2)
	require.Equal(t, 2, srv.Count(authtest.RouteCreateSession), "a new session, kept")
	require.Equal(t, 1, srv.ActiveSessions())
	require.Equal(t, 0, c.run(t, "logout").code)
	require.Zero(t, srv.ActiveSessions())

	// Nothing cached: nothing to end, and no request.
	r = c.run(t, "logout")
	require.Equal(t, 0, r.code, r)
	require.Contains(t, r.stderr, "no cached IBSSO session for aladdin at "+srv.URL+": nothing to end")
	require.Equal(t, 2, srv.Count(authtest.RouteDestroySession))

	// No session to end without the cache, or with other credentials.
	r = c.run(t, "logout", "--no-cache")
	require.Equal(t, 3, r.code, r)
	require.Contains(t, r.stderr, "IB_SESSION_TOKEN is not set, and the cache is off")
	r = call{srv: srv, env: cached(oauthEnv(srv), dir)}.run(t, "logout")
	require.Equal(t, 3, r.code, r)
	require.Contains(t, r.stderr, "IB_SESSION_TOKEN is not set: there is no session to end")
	require.Equal(t, 2, srv.Count(authtest.RouteDestroySession))
}

// TestTokenSharesTheCache: 'ibauth token' prints the cached credential,
// which later calls use too; a session it created stays in the cache until
// logout.
func TestTokenSharesTheCache(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	dir := t.TempDir()
	token := func(env map[string]string) result {
		t.Helper()
		r := call{srv: srv, env: env, printsSecret: true}.run(t, "token")
		require.Equal(t, 0, r.code, r)
		return r
	}

	oauth := cached(oauthEnv(srv), dir)
	bearer := strings.TrimSpace(token(oauth).stdout)
	require.Equal(t, bearer, strings.TrimSpace(token(oauth).stdout))
	balanceCalls(t, call{srv: srv, env: oauth}, 1)
	require.Equal(t, 1, srv.Count(authtest.RouteToken))
	require.Equal(t, map[string]int{bearer: 1}, credentialsSent(srv))

	ibsso := cached(ibssoEnv(srv), dir)
	r := token(ibsso)
	session := strings.TrimSpace(r.stdout)
	require.True(t, strings.HasPrefix(session, "IBSSO "), session)
	require.Contains(t, r.stderr, "created an IBSSO session; ibauth keeps it in its cache")
	r = token(ibsso)
	require.Equal(t, session+"\n", r.stdout)
	require.Empty(t, r.stderr, "no new session")
	balanceCalls(t, call{srv: srv, env: ibsso}, 1)
	require.Equal(t, 1, srv.Count(authtest.RouteCreateSession))
	require.Equal(t, 1, credentialsSent(srv)[session])

	require.Equal(t, 0, call{srv: srv, env: ibsso}.run(t, "logout").code)
	require.Equal(t, 401, balance(t, srv, session))
}

// TestCacheHoldsNoSecret: the cache directory is private (0700, files
// 0600), and neither its file names nor their bytes hold a password, a
// client secret, a token or a session, raw, in hex or in base64.
func TestCacheHoldsNoSecret(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	dir := t.TempDir()
	for _, env := range []map[string]string{oauthEnv(srv), ibssoEnv(srv), with(basicEnv(srv), "IB_AUTH", "oauth")} {
		balanceCalls(t, call{srv: srv, env: cached(env, dir)}, 2)
		r := call{srv: srv, env: cached(env, dir)}.run(t, "--debug", "api", "/account/1/balance")
		require.Equal(t, 0, r.code, r)
	}
	secrets := append(staticSecrets(), issued(srv)...)
	require.Len(t, secrets, len(staticSecrets())+9, "three tokens or sessions, three calls each")

	cache := filepath.Join(dir, "ibauth")
	requirePrivateCache(t, cache)
	entries, err := os.ReadDir(cache)
	require.NoError(t, err)
	require.NotEmpty(t, entries)
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(cache, e.Name()))
		require.NoError(t, err)
		for _, s := range secrets {
			for _, enc := range encodings(s) {
				require.NotContains(t, e.Name(), enc, "a secret (%.6s…) in a file name", s)
				require.NotContains(t, string(b), enc, "a secret (%.6s…) in %s", s, e.Name())
			}
		}
	}
}

// encodings returns s as it is and in the encodings a file could hold it
// in.
func encodings(s string) []string {
	b := []byte(s)
	return []string{s, hex.EncodeToString(b), strings.ToUpper(hex.EncodeToString(b)),
		base64.StdEncoding.EncodeToString(b), base64.URLEncoding.EncodeToString(b),
		base64.RawStdEncoding.EncodeToString(b), base64.RawURLEncoding.EncodeToString(b)}
}

// requirePrivateCache checks that dir is 0700 and its files 0600.
func requirePrivateCache(t *testing.T, dir string) {
	t.Helper()
	if runtime.GOOS == "windows" {
		return
	}
	fi, err := os.Stat(dir)
	require.NoError(t, err)
	require.Equal(t, fs.FileMode(0o700), fi.Mode().Perm())
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		fi, err := e.Info()
		require.NoError(t, err)
		require.True(t, fi.Mode().IsRegular(), e.Name())
		require.Equal(t, fs.FileMode(0o600), fi.Mode().Perm(), e.Name())
	}
}

// TestCacheUnusable: a cache directory open to others, or no cache
// directory at all, costs a one-line warning on stderr; the call still
// succeeds, without the cache.
func TestCacheUnusable(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("modes are ACLs on Windows")
	}
	srv := newServer(t)
	dir := t.TempDir()
	require.NoError(t, os.Mkdir(filepath.Join(dir, "ibauth"), 0o700))
	require.NoError(t, os.Chmod(filepath.Join(dir, "ibauth"), 0o755))
	for _, env := range []map[string]string{
		cached(oauthEnv(srv), dir),
		cached(oauthEnv(srv), ""), // and no HOME either
	} {
		for range 2 {
			r := call{srv: srv, env: env}.run(t, "api", "/account/1/balance")
			require.Equal(t, 0, r.code, r)
			require.Equal(t, balanceBody, r.stdout)
			require.Equal(t, 1, strings.Count(r.stderr, "\n"), r.stderr)
			require.True(t, strings.HasPrefix(r.stderr, "ibauth: warning: not keeping credentials between calls: "), r.stderr)
		}
	}
	require.Equal(t, 4, srv.Count(authtest.RouteToken))
	r := call{srv: srv, env: cached(oauthEnv(srv), dir)}.run(t, "api", "/account/1/balance")
	require.Contains(t, r.stderr, "mode 0755")
	r = call{srv: srv, env: with(cached(oauthEnv(srv), dir), "IB_NO_CACHE", "1")}.run(t, "api", "/account/1/balance")
	require.Empty(t, r.stderr, "no warning with the cache off")
}

// TestCacheEntryLockUnusable: a lock file of the cache that cannot be
// opened (here a symbolic link planted in its place) keeps every call from
// the cache; like a directory that cannot be used, it costs one line on
// stderr, never the call, and the link's target is left alone.
func TestCacheEntryLockUnusable(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("symbolic links need privileges on Windows")
	}
	for name, env := range map[string]func(*authtest.Server) map[string]string{"oauth": oauthEnv, "ibsso": ibssoEnv} {
		t.Run(name, func(t *testing.T) {
			srv := newServer(t)
			dir := t.TempDir()
			c := call{srv: srv, env: cached(env(srv), dir)}
			balanceCalls(t, c, 1)
			locks, err := filepath.Glob(filepath.Join(dir, "ibauth", "*.lock"))
			require.NoError(t, err)
			require.Len(t, locks, 1)
			target := filepath.Join(t.TempDir(), "target")
			require.NoError(t, os.WriteFile(target, []byte("left alone"), 0o600))
			require.NoError(t, os.Remove(locks[0]))
			require.NoError(t, os.Symlink(target, locks[0]))
			for range 2 {
				r := c.run(t, "api", "/account/1/balance")
				require.Equal(t, 0, r.code, r)
				require.Equal(t, balanceBody, r.stdout)
				require.Equal(t, 1, strings.Count(r.stderr, "\n"), r.stderr)
				require.True(t, strings.HasPrefix(r.stderr, "ibauth: warning: not keeping credentials between calls: "), r.stderr)
			}
			b, err := os.ReadFile(target)
			require.NoError(t, err)
			require.Equal(t, "left alone", string(b))
		})
	}
}

// TestCacheKeepsASessionInUseAlive: a call that used the cached session
// reports the use to the cache, as a long-running process checks in, so
// that the cache keeps the session as long as Infobip does: for 60
// minutes after its last use, not after its creation.
func TestCacheKeepsASessionInUseAlive(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	dir := t.TempDir()
	c := call{srv: srv, env: cached(ibssoEnv(srv), dir)}
	balanceCalls(t, c, 1)

	// Open the entry as ibauth does; the library names it.
	key, err := cacheKey("ibsso", srv.URL, authtest.Username, authtest.Password)
	require.NoError(t, err)
	st, err := filestore.New(filepath.Join(dir, "ibauth"), &filestore.Options{Key: key})
	require.NoError(t, err)
	defer st.Close()
	rec := &cacheStore{Store: st}
	ib, err := auth.NewIBSSO(auth.IBSSOConfig{BaseURL: srv.URL, Username: authtest.Username, Password: authtest.Password, Store: rec})
	require.NoError(t, err)
	ctx := context.Background()
	_, err = ib.Authorization(ctx)
	require.NoError(t, err)
	require.NoError(t, ib.Close(ctx))
	require.Equal(t, 1, srv.Count(authtest.RouteCreateSession), "the cached session, taken")
	loaded, _ := rec.seen()
	require.True(t, loaded)

	// The session was last used half an hour ago.
	entry, err := st.Load(ctx, rec.key)
	require.NoError(t, err)
	old := *entry
	old.LastUse = time.Now().Add(-30 * time.Minute)
	ok, err := st.CompareAndSwap(ctx, rec.key, entry.Value, &old, 30*time.Minute)
	require.NoError(t, err)
	require.True(t, ok)

	balanceCalls(t, c, 1)
	entry, err = st.Load(ctx, rec.key)
	require.NoError(t, err)
	require.NotNil(t, entry)
	require.Equal(t, old.Value, entry.Value)
	require.WithinDuration(t, time.Now(), entry.LastUse, time.Minute, "the call reported its use")
	require.Equal(t, 1, srv.Count(authtest.RouteCreateSession))
}

// TestDoctorReportsTheCache: doctor says where the cache is and whether
// the credential came from it.
func TestDoctorReportsTheCache(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	srv.Advance(time.Since(srv.Now())) // the Date header on this machine's time, as in TestDoctorHealthy
	dir := t.TempDir()
	cache := filepath.Join(dir, "ibauth")
	doctor := func(env map[string]string, args ...string) string {
		t.Helper()
		r := call{srv: srv, env: env}.run(t, append([]string{"doctor"}, args...)...)
		require.Equal(t, 0, r.code, r)
		require.Empty(t, r.stderr)
		return r.stdout
	}
	oauth := cached(oauthEnv(srv), dir)
	require.Contains(t, doctor(oauth), "ok    cache          "+cache+": the OAuth token was fetched and stored for later calls (encrypted with a key derived from IB_CLIENT_SECRET)\n")
	require.Contains(t, doctor(oauth), "ok    cache          "+cache+": the OAuth token came from the cache, made by an earlier call")
	require.Contains(t, doctor(oauth, "--no-cache"), "ok    cache          off (--no-cache or IB_NO_CACHE)")
	require.Contains(t, doctor(cached(appEnv(srv), dir)), "ok    cache          not needed: App (API key) sends the same credential on every call")

	out := doctor(cached(ibssoEnv(srv), dir))
	require.Contains(t, out, "IBSSO (a session kept in ibauth's cache)")
	require.Contains(t, out, "the IBSSO session was fetched and stored for later calls (encrypted with a key derived from IB_PASSWORD)")
	require.Equal(t, 1, srv.ActiveSessions(), "the session stays for later calls")

	require.NoError(t, os.Chmod(cache, 0o755))
	out = doctor(oauth)
	require.Contains(t, out, "warn  cache          not used: filestore: New: directory "+cache+" has mode 0755")
	require.Contains(t, out, "No problems found; 1 warning.")
}
