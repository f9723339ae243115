// Package filestore is an [auth.Store] on a directory: the processes of one
// host that use the same credentials (a shell loop of command-line calls,
// cron jobs, workers started per request, test runners) share one OAuth
// token per expiry and one IBSSO session per identity, without Redis.
//
//	var st auth.Store // nil: no sharing
//	if fs, err := filestore.New(filepath.Join(cacheDir, "myapp"), nil); err != nil {
//		log.Printf("running without a token cache: %v", err)
//	} else {
//		st = fs
//	}
//	a, err := auth.NewOAuth(auth.OAuthConfig{BaseURL: baseURL, ClientID: id, ClientSecret: secret, Store: st})
//
// For a fleet of hosts use github.com/ibkit/auth/redisstore.
//
// # The directory
//
// [New] treats the directory as ssh and git treat theirs: another user of
// the host must not be able to read, plant or redirect what it holds. New
// creates it (and missing parents) with mode 0700, and refuses, with an
// error that says why, a directory that is a symbolic link, is not owned by
// the current user, or can be read or written by group or others. A program
// should then warn and run without a store, as the auth package does when a
// store fails. New keeps a handle on the directory it checked: if the path
// later leads elsewhere (the directory was moved, replaced or its mode
// loosened), every call fails until a new Store is made, and the auth
// package fetches for itself. On Windows, where modes and owners are ACLs,
// only the symbolic link and the handle are checked: use a directory under
// the user's profile (os.UserCacheDir).
//
// # What is stored
//
// For each identity (scheme, base URL and client ID or username, hashed by
// the auth package into the key) one file holds the token and when it
// expires, was created and (sessions) was last used, and when the entry
// itself expires (its TTL, measured with [Options.Now]). File names are
// hashes of the key and an id of [Options.Key]: they never contain a
// secret. Entries are written to a temporary file in the same directory,
// synced and renamed into place, mode 0600. With [Options.Key] the record
// is sealed with AES-256-GCM, bound to its file name. Without a Key the
// token is stored in clear, protected only by the modes of the directory
// and the file, like ssh's keys without a passphrase: readable by this user
// and by root, and by whoever reads a backup of the directory.
//
// An entry that is corrupt, truncated, sealed with another Key, bound to
// another name, expired, a symbolic link, not a regular file, owned by
// another user or readable by group or others is ignored as if absent: the
// next process that fetches replaces it. It is never trusted and never
// fatal.
//
// # Locks
//
// Each entry has two lock files beside it, taken with flock(2) (LockFileEx
// on Windows) through github.com/gofrs/flock: ".lock" serialises the
// compare-and-swap of processes and goroutines, ".lease" is the fetch
// lease. The kernel releases a lock when its holder exits or is killed, so
// a lease ends with its holder at once, without a TTL; a holder that hangs
// keeps it, and the others fetch for themselves when their wait runs out
// (see [auth.Store]). Lock files are kept
// (removing them would let two processes lock two different files).
// File locks are for one host: do not put the directory on a network file
// system.
//
// # Why in the root module
//
// Unlike redisstore, this package lives in the module of package auth. Its
// one dependency, github.com/gofrs/flock, is small and well kept (the Gofrs
// organisation; BSD-3-Clause), and needs only golang.org/x/sys, which the
// module already requires. A program that does not import filestore builds
// none of it.
package filestore

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gofrs/flock"

	"github.com/ibkit/auth"
)

// Options configures [New]; nil means all defaults.
type Options struct {
	// Key, if set, encrypts tokens at rest with AES-256-GCM. It must be 32
	// bytes, the same for every process that shares the directory. Nil:
	// tokens are stored in clear, protected by the file modes alone.
	Key []byte
	// Now is the clock that dates entries' TTLs. Default time.Now.
	Now func() time.Time
}

// Format prints "filestore.Options{[redacted]}" for every verb, %#v and %+v
// included, so that printing the options never shows the Key.
func (Options) Format(f fmt.State, verb rune) { format(f, verb, "filestore.Options{[redacted]}") }

// MarshalJSON encodes the string "filestore.Options{[redacted]}", so that
// encoding/json, and slog's JSON handler, never show the Key.
func (Options) MarshalJSON() ([]byte, error) { return json.Marshal("filestore.Options{[redacted]}") }

// Store is an [auth.Store] on a directory. Create it with [New]; it is safe
// for concurrent use by goroutines and processes. Close releases its handle
// on the directory.
type Store struct {
	dir  string
	root *os.Root    // the directory New checked, whatever its path leads to later
	aead cipher.AEAD // nil: clear
	kid  [kidLen]byte
	kidN string // the Key's id in file names: "clear" without one
	now  func() time.Time
}

var _ auth.Store = (*Store)(nil)

// New returns a [Store] on dir, creating it if it is missing. It fails if
// dir cannot be used safely (see the package documentation); the caller
// should then run without a store.
func New(dir string, opts *Options) (*Store, error) {
	if dir == "" {
		return nil, errors.New("filestore: New: directory is empty")
	}
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	s := &Store{dir: filepath.Clean(dir), now: o.Now, kidN: "clear"}
	if o.Key != nil {
		if len(o.Key) != 32 {
			return nil, fmt.Errorf("filestore: New: Key is %d bytes, want 32 (AES-256)", len(o.Key))
		}
		block, err := aes.NewCipher(o.Key)
		if err != nil {
			return nil, fmt.Errorf("filestore: New: %w", err)
		}
		if s.aead, err = cipher.NewGCM(block); err != nil {
			return nil, fmt.Errorf("filestore: New: %w", err)
		}
		// Processes on different Keys use different files: none can lock
		// the others out by writing a record they cannot open.
		id := sha256.Sum256(append([]byte("ibkit/auth/filestore key id\x00"), o.Key...))
		copy(s.kid[:], id[:])
		s.kidN = hex.EncodeToString(s.kid[:])
	}
	if err := s.open(); err != nil {
		return nil, fmt.Errorf("filestore: New: %w", err)
	}
	return s, nil
}

// open creates the directory if needed, opens it and checks it.
func (s *Store) open() error {
	created := false
	if _, err := os.Lstat(s.dir); errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(filepath.Dir(s.dir), 0o700); err != nil {
			return err
		}
		switch err := os.Mkdir(s.dir, 0o700); {
		case err == nil:
			created = true
		case !errors.Is(err, fs.ErrExist): // else made meanwhile: checked below
			return err
		}
	}
	if created {
		// The umask may have taken the owner's own bits; it cannot have
		// added any for others.
		if err := fixMode(s.dir); err != nil {
			return err
		}
	}
	root, err := os.OpenRoot(s.dir)
	if err != nil {
		return err
	}
	s.root = root
	if err = s.check(); err != nil {
		root.Close()
		s.root = nil
		return err
	}
	return nil
}

// check reports whether the directory's path still leads to the directory
// New checked, and whether it is still private.
func (s *Store) check() error {
	held, err := s.root.Stat(".")
	if err != nil {
		return err
	}
	fi, err := os.Lstat(s.dir)
	switch {
	case err != nil:
		return err
	case fi.Mode()&fs.ModeSymlink != 0:
		return fmt.Errorf("directory %s is a symbolic link; give its target instead", s.dir)
	case !fi.IsDir():
		return fmt.Errorf("%s is not a directory", s.dir)
	case !os.SameFile(fi, held):
		return fmt.Errorf("directory %s was moved or replaced while in use", s.dir)
	}
	return private(fi, "directory "+s.dir, "chmod 700 it")
}

// Close releases the Store's handle on the directory. Calls after Close
// fail; leases already taken stay valid until released.
func (s *Store) Close() error {
	if s == nil {
		return fmt.Errorf("filestore: close: %w", errNilStore)
	}
	if err := s.root.Close(); err != nil {
		return fmt.Errorf("filestore: close: %w", err)
	}
	return nil
}

// Format prints "filestore.Store{[redacted]}" for every verb, %#v and %+v
// included: fmt never walks into the cipher, whose state holds the Key.
func (Store) Format(f fmt.State, verb rune) { format(f, verb, "filestore.Store{[redacted]}") }

// format implements fmt.Formatter for a type that must print as a fixed
// text, quoted for %q.
func format(f fmt.State, verb rune, safe string) {
	if verb == 'q' {
		fmt.Fprintf(f, "%q", safe)
		return
	}
	io.WriteString(f, safe)
}

// names are the files of one entry.
type names struct {
	base  string // bound into the record
	entry string
	lock  string
	lease string
	tmp   string
}

// names derives an entry's file names from the key. The key is already a
// hash, but any caller may pass anything: it is hashed again, and only a
// short lowercase label (the scheme) is kept for people reading the
// directory.
func (s *Store) names(key string) names {
	label := "entry"
	if l, _, ok := strings.Cut(key, ":"); ok && len(l) > 0 && len(l) <= 16 && strings.Trim(l, "abcdefghijklmnopqrstuvwxyz") == "" {
		label = l
	}
	sum := sha256.Sum256([]byte("ibkit/auth/filestore name\x00" + key))
	base := label + "-" + hex.EncodeToString(sum[:16]) + "-" + s.kidN
	return names{base: base, entry: base + ".tok", lock: base + ".lock", lease: base + ".lease", tmp: base + ".tmp"}
}

// errNilStore is the error of every call on a nil *Store: a program that
// sets the result of a failed [New] as its auth.Store (a non-nil interface
// holding a nil pointer) then runs as without a store instead of crashing.
var errNilStore = errors.New("nil Store (did New fail?)")

// errLockHeld: another holds the lock.
var errLockHeld = errors.New("lock: held by another")

// lock checks the directory (see check), takes the lock file name with
// take and checks that the file is ours. If take finds the lock held, it
// returns errLockHeld.
func (s *Store) lock(name string, take func(*flock.Flock) (bool, error)) (*flock.Flock, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	fl := flock.New(filepath.Join(s.dir, name), flock.SetFlag(lockFlags), flock.SetPermissions(0o600))
	switch ok, err := take(fl); {
	case err != nil:
		return nil, fmt.Errorf("lock: %w", err)
	case !ok:
		return nil, errLockHeld
	}
	if err := checkLock(fl); err != nil {
		fl.Unlock()
		return nil, fmt.Errorf("lock: %w", err)
	}
	return fl, nil
}

// lockPoll is the pause between attempts at a lock another process holds
// for a compare-and-swap (a few milliseconds: a read, a write, an fsync).
const lockPoll = 2 * time.Millisecond

// lockEntry takes the entry's lock file, shared or exclusive, waiting for
// it as long as ctx allows.
func (s *Store) lockEntry(ctx context.Context, n names, exclusive bool) (*flock.Flock, error) {
	try := (*flock.Flock).TryRLockContext
	if exclusive {
		try = (*flock.Flock).TryLockContext
	}
	return s.lock(n.lock, func(fl *flock.Flock) (bool, error) { return try(fl, ctx, lockPoll) })
}

// checkLock refuses a lock file that is not one of ours: another user
// could hold it forever.
func checkLock(fl *flock.Flock) error {
	fi, err := fl.Stat()
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", filepath.Base(fl.Path()))
	}
	return private(fi, "lock file "+filepath.Base(fl.Path()), "remove it")
}

// Load implements [auth.Store]. An entry that cannot be trusted is
// reported as absent; only a directory or lock that cannot be used is an
// error.
func (s *Store) Load(ctx context.Context, key string) (*auth.StoredToken, error) {
	if s == nil {
		return nil, fmt.Errorf("filestore: load: %w", errNilStore)
	}
	n := s.names(key)
	// Shared: on Windows a file open for reading may not be replaceable.
	fl, err := s.lockEntry(ctx, n, false)
	if err != nil {
		return nil, fmt.Errorf("filestore: load: %w", err)
	}
	defer fl.Unlock()
	t, _ := s.read(n)
	return t, nil
}

// read returns the entry's token, or nil and why it is absent or ignored.
func (s *Store) read(n names) (*auth.StoredToken, error) {
	f, err := s.root.OpenFile(n.entry, os.O_RDONLY|readFlags, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	// os.Root follows a symbolic link that stays inside the directory:
	// the name must be the file itself.
	if lfi, err := s.root.Lstat(n.entry); err != nil || !os.SameFile(fi, lfi) {
		return nil, errors.New("entry is a symbolic link, or was replaced")
	}
	if !fi.Mode().IsRegular() {
		return nil, errors.New("entry is not a regular file")
	}
	if err := private(fi, "entry", ""); err != nil {
		return nil, err
	}
	b, err := io.ReadAll(io.LimitReader(f, maxRecord+1))
	if err != nil {
		return nil, err
	}
	return s.decode(n.base, b, s.now())
}

// CompareAndSwap implements [auth.Store]. An entry that cannot be trusted,
// or has expired, counts as none.
func (s *Store) CompareAndSwap(ctx context.Context, key, old string, tok *auth.StoredToken, ttl time.Duration) (bool, error) {
	if s == nil {
		return false, fmt.Errorf("filestore: store: %w", errNilStore)
	}
	n := s.names(key)
	var data []byte
	if tok != nil {
		if ttl < time.Millisecond {
			return false, fmt.Errorf("filestore: store: TTL %v is too short", ttl)
		}
		var err error
		if data, err = s.encode(n.base, tok, s.now().Add(ttl)); err != nil {
			return false, fmt.Errorf("filestore: store: %w", err)
		}
	}
	fl, err := s.lockEntry(ctx, n, true)
	if err != nil {
		return false, fmt.Errorf("filestore: store: %w", err)
	}
	defer fl.Unlock()
	if cur, _ := s.read(n); cur != nil && cur.Value != old {
		return false, nil
	}
	if tok == nil {
		if err := s.root.Remove(n.entry); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return false, fmt.Errorf("filestore: delete: %w", err)
		}
		return true, nil
	}
	if err := s.write(n, data); err != nil {
		return false, fmt.Errorf("filestore: store: %w", err)
	}
	return true, nil
}

// write replaces the entry atomically: readers see the old record or the
// new one, whole, even if the writer dies. The caller holds the entry's
// lock, so the temporary file's name is the writer's own; one left by a
// writer that died is removed first.
func (s *Store) write(n names, data []byte) error {
	if err := s.root.Remove(n.tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	// O_EXCL: never through a symbolic link planted under the name.
	f, err := s.root.OpenFile(n.tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if fi, lerr := s.root.Lstat(n.entry); err == nil && lerr == nil && fi.IsDir() {
		// A file cannot be renamed over a directory: one left under the
		// entry's name would fail every store. It is not a record; it goes.
		err = s.root.RemoveAll(n.entry)
	}
	if err == nil {
		// No fsync of the directory: a rename lost in a crash costs one
		// fetch, not a torn record.
		err = s.root.Rename(n.tmp, n.entry)
	}
	if err != nil {
		s.root.Remove(n.tmp)
	}
	return err
}

// Lease implements [auth.Store] with a non-blocking exclusive flock on the
// entry's ".lease" file. The kernel releases it if the process dies; a live
// holder keeps it until Release.
func (s *Store) Lease(ctx context.Context, key string) (auth.Lease, error) {
	if s == nil {
		return nil, fmt.Errorf("filestore: lease: %w", errNilStore)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("filestore: lease: %w", err)
	}
	fl, err := s.lock(s.names(key).lease, (*flock.Flock).TryLock)
	if errors.Is(err, errLockHeld) {
		return nil, auth.ErrLeaseHeld
	}
	if err != nil {
		return nil, fmt.Errorf("filestore: lease: %w", err)
	}
	return lease{fl}, nil
}

type lease struct{ fl *flock.Flock }

// Release implements [auth.Lease]. Releasing twice is harmless.
func (l lease) Release(context.Context) error {
	if err := l.fl.Unlock(); err != nil {
		return fmt.Errorf("filestore: release lease: %w", err)
	}
	return nil
}
