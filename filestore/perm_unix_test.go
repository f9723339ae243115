//go:build unix

package filestore_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ibkit/auth"
	"github.com/ibkit/auth/authtest"
	"github.com/ibkit/auth/filestore"
)

// otherUID is a user id that is not the test's: only root can give a file
// to it, so the tests that need one run only as root.
func otherUID(t *testing.T) int {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("giving a file to another user takes root")
	}
	return 4242
}

// New refuses a directory that another user could read, write, plant in
// or redirect, and says why.
func TestNewRefusesAnUnsafeDirectory(t *testing.T) {
	for _, tc := range []struct {
		name    string
		prepare func(t *testing.T, dir string)
		want    string
	}{
		{"group-readable", func(t *testing.T, dir string) { require.NoError(t, os.Chmod(dir, 0o750)) }, "has mode 0750, open to group or others: chmod 700 it"},
		{"other-writable", func(t *testing.T, dir string) { require.NoError(t, os.Chmod(dir, 0o703)) }, "has mode 0703, open to group or others"},
		{"world-writable", func(t *testing.T, dir string) { require.NoError(t, os.Chmod(dir, 0o777)) }, "has mode 0777"},
		{"a symbolic link", func(t *testing.T, dir string) {
			target := filepath.Join(t.TempDir(), "target")
			require.NoError(t, os.Mkdir(target, 0o700))
			require.NoError(t, os.Remove(dir))
			require.NoError(t, os.Symlink(target, dir))
		}, "is a symbolic link; give its target instead"},
		{"owned by another user", func(t *testing.T, dir string) {
			require.NoError(t, os.Chown(dir, otherUID(t), otherUID(t)))
		}, "is owned by uid 4242, not by this user (uid 0)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "cache")
			require.NoError(t, os.Mkdir(dir, 0o700))
			tc.prepare(t, dir)
			st, err := filestore.New(dir, nil)
			require.Nil(t, st)
			require.ErrorContains(t, err, "filestore: New: directory "+dir+" ")
			require.ErrorContains(t, err, tc.want)
		})
	}
}

// A directory New creates is 0700 whatever the umask left of the owner's
// bits.
func TestNewFixesTheModeOfADirectoryItCreates(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cache") // before the umask: it needs its bits
	old := syscall.Umask(0o277)
	defer syscall.Umask(old)
	st, err := filestore.New(dir, nil)
	syscall.Umask(old)
	require.NoError(t, err)
	defer st.Close()
	fi, err := os.Stat(dir)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o700), fi.Mode().Perm())
}

// Entries another user could have read or planted are not trusted.
func TestEntriesOpenToOthersOrOwnedByThemAreIgnored(t *testing.T) {
	for _, tc := range []struct {
		name   string
		damage func(t *testing.T, path string)
	}{
		{"group-readable", func(t *testing.T, path string) { require.NoError(t, os.Chmod(path, 0o640)) }},
		{"other-writable", func(t *testing.T, path string) { require.NoError(t, os.Chmod(path, 0o602)) }},
		{"owned by another user", func(t *testing.T, path string) { require.NoError(t, os.Chown(path, otherUID(t), -1)) }},
		{"a FIFO", func(t *testing.T, path string) {
			require.NoError(t, os.Remove(path))
			require.NoError(t, syscall.Mkfifo(path, 0o600))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t)
			_, key, path := published(t, e, nil)
			tc.damage(t, path)
			ignoredAndReplaced(t, e, nil, key, path)
		})
	}
}

// A directory that stops being safe while in use (its mode loosened, or
// the path moved to another directory) makes every call fail, which the
// auth package survives by fetching for itself; restored, it is used
// again.
func TestDirectoryChangedWhileInUse(t *testing.T) {
	e := setup(t)
	st := e.store(t, nil)
	rec := record(st)
	a := e.oauth(t, rec)
	_, err := a.Authorization(context.Background())
	require.NoError(t, err)
	key := rec.only(t)

	require.NoError(t, os.Chmod(e.dir, 0o755))
	_, err = st.Load(context.Background(), key)
	require.ErrorContains(t, err, "filestore: load: directory "+e.dir+" has mode 0755, open to group or others")
	e.srv.Advance(3 * time.Hour)
	_, err = a.Authorization(context.Background())
	require.NoError(t, err, "a store failure is never fatal")
	require.Equal(t, 2, e.srv.Count(authtest.RouteToken))

	require.NoError(t, os.Chmod(e.dir, 0o700))
	got, err := st.Load(context.Background(), key)
	require.NoError(t, err)
	require.Nil(t, got, "the token fetched alone was not published")

	moved := e.dir + ".old"
	require.NoError(t, os.Rename(e.dir, moved))
	require.NoError(t, os.Mkdir(e.dir, 0o700))
	_, err = st.Load(context.Background(), key)
	require.ErrorContains(t, err, "filestore: load: directory "+e.dir+" was moved or replaced while in use")
	_, err = st.Lease(context.Background(), key)
	require.ErrorContains(t, err, "was moved or replaced")
}

// A lock or lease file that another user could hold, or that is not a
// regular file, is refused with an error that says what to do, never
// taken for a lease another process holds.
func TestLockFilesOpenToOthersAreRefused(t *testing.T) {
	for _, tc := range []struct {
		name   string
		damage func(t *testing.T, path string)
		want   string
	}{
		{"group-writable", func(t *testing.T, path string) { require.NoError(t, os.Chmod(path, 0o620)) }, "has mode 0620, open to group or others: remove it"},
		{"a FIFO", func(t *testing.T, path string) {
			require.NoError(t, os.Remove(path))
			require.NoError(t, syscall.Mkfifo(path, 0o600))
		}, "is not a regular file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t)
			_, key, path := published(t, e, nil)
			st := e.store(t, nil)
			base := strings.TrimSuffix(path, ".tok")
			l, err := st.Lease(context.Background(), key)
			require.NoError(t, err)
			require.NoError(t, l.Release(context.Background()))

			refused := func(err error, op, file string) {
				t.Helper()
				require.ErrorContains(t, err, "filestore: "+op+": lock: ")
				require.ErrorContains(t, err, filepath.Base(file))
				require.ErrorContains(t, err, tc.want)
			}
			tc.damage(t, base+".lock")
			_, err = st.Load(context.Background(), key)
			refused(err, "load", base+".lock")
			_, err = st.CompareAndSwap(context.Background(), key, "", &auth.StoredToken{Value: "v"}, time.Hour)
			refused(err, "store", base+".lock")

			tc.damage(t, base+".lease")
			_, err = st.Lease(context.Background(), key)
			refused(err, "lease", base+".lease")
			require.NotErrorIs(t, err, auth.ErrLeaseHeld)
		})
	}
}
