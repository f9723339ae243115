//go:build unix

package filestore

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// readFlags open an entry: never through a symbolic link, and never
// blocking on a FIFO planted under its name.
const readFlags = syscall.O_NOFOLLOW | syscall.O_NONBLOCK

// lockFlags open a lock file, creating it if needed.
const lockFlags = os.O_CREATE | os.O_RDWR | syscall.O_NOFOLLOW | syscall.O_NONBLOCK

// private reports whether fi belongs to this user and is closed to group
// and others, as ssh requires of its files. fix, if set, says what the
// user can do about a loose mode.
func private(fi fs.FileInfo, what, fix string) error {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fmt.Errorf("%s: cannot tell its owner", what)
	}
	if uid := os.Geteuid(); int(st.Uid) != uid {
		return fmt.Errorf("%s is owned by uid %d, not by this user (uid %d)", what, st.Uid, uid)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		if fix != "" {
			fix = ": " + fix
		}
		return fmt.Errorf("%s has mode %#o, open to group or others%s", what, perm, fix)
	}
	return nil
}

// fixMode sets the mode of a directory New created to 0700, on the
// directory itself, never through a symbolic link put in its place.
func fixMode(dir string) error {
	f, err := os.OpenFile(dir, os.O_RDONLY|syscall.O_DIRECTORY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Chmod(0o700)
}
