//go:build !unix

package filestore

import (
	"io/fs"
	"os"
)

// readFlags and lockFlags: Windows has no O_NOFOLLOW (creating a symbolic
// link there takes a privilege or developer mode); the entry's identity is
// still checked against the name after opening.
const (
	readFlags = 0
	lockFlags = os.O_CREATE | os.O_RDWR
)

// private accepts every file: on Windows access is governed by ACLs, which
// the user's profile directories already restrict to the user.
func private(fs.FileInfo, string, string) error { return nil }

// fixMode does nothing: the directory inherits the ACL of its parent.
func fixMode(string) error { return nil }
