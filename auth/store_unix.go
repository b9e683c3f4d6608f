//go:build !windows

package auth

import (
	"os"
	"syscall"
)

// syncsDirectory says whether Save fsyncs the directory after the rename.
const syncsDirectory = true

// lockOpenFlags opens (creating) the lock file without following a
// symbolic link at its path. flock(2) works on a read-only descriptor.
const lockOpenFlags = os.O_CREATE | os.O_RDONLY | syscall.O_NOFOLLOW

// syncDir makes the rename durable: on POSIX systems the new directory
// entry reaches the disk only with an fsync of the directory.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// ownerOnlyModes says whether the file mode bits are what keeps the token
// file private: on POSIX systems FileStore's 0600 and 0700 are.
const ownerOnlyModes = true

// replaceFile atomically replaces to with from.
func replaceFile(from, to string) error { return os.Rename(from, to) }
