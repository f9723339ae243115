package main

// The credential cache: ibauth keeps OAuth tokens and IBSSO sessions
// between calls in a filestore under the user's cache directory, so that
// a script's calls share one token per expiry and one session, as the
// replicas of a fleet share them through Redis.

import (
	"context"
	"crypto/hkdf"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/ibkit/auth"
	"github.com/ibkit/auth/filestore"
)

// noCacheVar turns the cache off, as --no-cache does.
const noCacheVar = "IB_NO_CACHE"

// cacheFlag defines --no-cache, which every command takes.
func (f *flagSet) cacheFlag(noCache *bool) {
	f.fs.BoolVar(noCache, "no-cache", *noCache, "")
	f.docs = append(f.docs, flagDoc{long: "no-cache", inherited: true,
		usage: "Keep no OAuth token or IBSSO session between calls (see 'ibauth --help')"})
}

// cacheOff reports whether the run keeps no credentials: --no-cache, or
// IB_NO_CACHE set to anything but 0 or false.
func (a *app) cacheOff() bool {
	v := strings.TrimSpace(os.Getenv(noCacheVar))
	return a.noCache || v != "" && v != "0" && !strings.EqualFold(v, "false")
}

// cacheDir is where ibauth keeps credentials: ibauth in the user's cache
// directory ($XDG_CACHE_HOME or ~/.cache on Linux).
func cacheDir() (string, error) {
	d, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(d, "ibauth"), nil
}

// cacheKey derives the key that encrypts the cache entries of one set of
// credentials. Entries made with other credentials, a wrong password
// included, are sealed with another key: unreadable, never used (the
// filestore keeps them apart, and a new entry is made beside them). The
// key is derived, never stored.
//
// HKDF is fast: a copy of the cache files lets its holder test guesses of
// a weak password offline, as fast as HKDF runs. The directory's modes are
// the first defence (filestore refuses one that others can read); a slow
// password hash would cost every call the time the cache saves.
func cacheKey(scheme, baseURL, identity, secret string) ([]byte, error) {
	info := "ibauth credential cache v1\x00" + scheme + "\x00" + baseURL + "\x00" + identity
	// It fails only where FIPS 140-only mode refuses a short secret.
	return hkdf.Key(sha256.New, []byte(secret), nil, info, 32)
}

// cacheState is what became of the cache in one run.
type cacheState struct {
	dir   string
	off   bool        // --no-cache or IB_NO_CACHE
	err   error       // why the cache is not used
	store *cacheStore // nil: not used
}

// openCache opens the cache for the credentials of scheme ("oauth" or
// "ibsso"). A cache that cannot be used is reported in the result, never
// fatal.
func (a *app) openCache(scheme, baseURL, identity, secret string) *cacheState {
	c := &cacheState{off: a.cacheOff()}
	if c.off {
		return c
	}
	if c.dir, c.err = cacheDir(); c.err != nil {
		return c
	}
	key, err := cacheKey(scheme, baseURL, identity, secret)
	if err != nil {
		c.err = fmt.Errorf("deriving the cache key: %v", err)
		return c
	}
	fs, err := filestore.New(c.dir, &filestore.Options{Key: key})
	if err != nil {
		c.err = err
		return c
	}
	c.store = &cacheStore{Store: fs}
	return c
}

// warning is the line a command prints when the cache cannot be used, or
// "" when there is nothing to say.
func (c *cacheState) warning() string {
	if c == nil || c.err == nil {
		return ""
	}
	return notKeeping(c.err)
}

// failure is the line a command prints when the cache could be opened but
// its entry could not be used (a lock file that is not ibauth's, say), or
// "" when there is nothing to say: the run went without the cache, as with
// a directory that cannot be used.
func (c *cacheState) failure() string {
	if c == nil || c.store == nil {
		return ""
	}
	c.store.mu.Lock()
	defer c.store.mu.Unlock()
	if c.store.err == nil {
		return ""
	}
	return notKeeping(c.store.err)
}

// notKeeping is the warning that the cache is not used, for err.
func notKeeping(err error) string {
	return "warning: not keeping credentials between calls: " + err.Error() + " (--no-cache or " + noCacheVar + "=1 silences this)"
}

// close releases the cache's directory.
func (c *cacheState) close() {
	if c != nil && c.store != nil {
		c.store.Close()
	}
}

// cacheStore is the filestore as the library uses it, noting what the
// run found there and stored.
type cacheStore struct {
	*filestore.Store

	mu     sync.Mutex
	key    string
	loaded bool              // a Load found an entry
	stored bool              // this run stored an entry
	entry  *auth.StoredToken // the entry as last seen; nil: none
	err    error             // the first failure of the store, other than a wait cut short
}

func (c *cacheStore) Load(ctx context.Context, key string) (*auth.StoredToken, error) {
	t, err := c.Store.Load(ctx, key)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		c.fail(err)
		return nil, err
	}
	c.key, c.entry = key, t
	c.loaded = c.loaded || t != nil
	return t, nil
}

// fail notes the store's first failure; c.mu is held. A wait for a lock
// that ran out is not one: the directory is fine, another call holds it.
func (c *cacheStore) fail(err error) {
	if c.err == nil && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
		c.err = err
	}
}

func (c *cacheStore) CompareAndSwap(ctx context.Context, key, old string, tok *auth.StoredToken, ttl time.Duration) (bool, error) {
	ok, err := c.Store.CompareAndSwap(ctx, key, old, tok, ttl)
	if err != nil {
		c.mu.Lock()
		c.fail(err)
		c.mu.Unlock()
	}
	if err == nil && ok {
		c.mu.Lock()
		c.key, c.entry = key, nil
		if tok != nil {
			t := *tok
			c.entry = &t
			c.stored = true
		}
		c.mu.Unlock()
	}
	return ok, err
}

// seen reports whether a Load found an entry and whether the run stored
// one.
func (c *cacheStore) seen() (loaded, stored bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.loaded, c.stored
}

// cacheIdentity returns the scheme, identity and secret that a cache entry
// for au is keyed and sealed with: the variables auth.FromEnv took them
// from. ok is false for schemes that need no cache: App keys and Basic
// send the same credential every time.
func cacheIdentity(au auth.Authenticator) (scheme, identity, secret string, ok bool) {
	switch au.(type) {
	case *auth.Bearer:
		scheme = "oauth"
	case *auth.IBSSO:
		scheme = "ibsso"
	default:
		return "", "", "", false
	}
	idVar, secretVar := envVarsOf(au)
	return scheme, os.Getenv(idVar), os.Getenv(secretVar), true
}

// noSessionToEnd is logout's error when there is no session to end.
var noSessionToEnd = configError(errors.New("IB_SESSION_TOKEN is not set: there is no session to end ('ibauth login' starts one; with IB_AUTH=ibsso, ibauth keeps one in its cache and 'ibauth logout' ends it)"))

// logoutCached ends the IBSSO session that the cache holds for the
// credentials of the IB_* variables, at Infobip and in the cache.
func (a *app) logoutCached(ctx context.Context) error {
	acc, err := a.openAccount()
	if err != nil {
		if strings.EqualFold(strings.TrimSpace(os.Getenv("IB_AUTH")), "ibsso") {
			return err
		}
		return noSessionToEnd
	}
	ib, ok := acc.auth.(*auth.IBSSO)
	if !ok {
		acc.close(a)
		return noSessionToEnd
	}
	if acc.cache.store == nil {
		acc.close(a)
		why := "the cache is off (--no-cache or " + noCacheVar + ")"
		if acc.cache.err != nil {
			why = "the cache cannot be used"
		}
		return configError(fmt.Errorf("IB_SESSION_TOKEN is not set, and %s: there is no session to end", why))
	}
	defer acc.cache.close()
	// Destroy, not Close: the session is the cache's, shared with every
	// call that uses these credentials.
	if err := ib.Destroy(ctx); err != nil {
		return describeError("log out", err)
	}
	who := fmt.Sprintf("%s at %s", printable(os.Getenv("IB_USERNAME")), acc.baseURL)
	if loaded, _ := acc.cache.store.seen(); !loaded {
		fmt.Fprintf(a.stderr, "ibauth: no cached IBSSO session for %s: nothing to end\n", who)
		return nil
	}
	fmt.Fprintf(a.stderr, "ibauth: logged out; the cached IBSSO session for %s has ended\n", who)
	return nil
}

// cacheReport is doctor's line on the cache: its status, and what to say.
func cacheReport(acc *account) (status, msg string, advice []string) {
	c := acc.cache
	switch {
	case acc.source == "IB_SESSION_TOKEN":
		return "ok", "not used: the session in IB_SESSION_TOKEN is yours, until 'ibauth logout'", nil
	case c == nil:
		return "ok", "not needed: " + acc.scheme() + " sends the same credential on every call", nil
	case c.off:
		return "ok", "off (--no-cache or " + noCacheVar + "): each call fetches its own token or session", nil
	case c.err != nil:
		return "warn", "not used: " + c.err.Error(), []string{"Each call fetches its own token or session. Fix the directory as the message says, or set " + noCacheVar + "=1."}
	}
	what := "OAuth token"
	if _, ok := acc.auth.(*auth.IBSSO); ok {
		what = "IBSSO session"
	}
	_, secretVar := envVarsOf(acc.auth)
	loaded, stored := c.store.seen()
	fetched := len(acc.refreshes()) > 0
	switch {
	case !fetched && loaded:
		msg = "the " + what + " came from the cache, made by an earlier call"
	case stored:
		msg = "the " + what + " was fetched and stored for later calls"
	default:
		msg = "the " + what + " was fetched but not stored"
	}
	return "ok", c.dir + ": " + msg + " (encrypted with a key derived from " + secretVar + ")", nil
}
