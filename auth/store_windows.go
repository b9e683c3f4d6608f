//go:build windows

package auth

import (
	"errors"
	"os"
	"syscall"
	"time"
)

// syncsDirectory says whether Save fsyncs the directory after the rename:
// not on Windows, see syncDir.
const syncsDirectory = false

// lockOpenFlags opens (creating) the lock file. Windows has no O_NOFOLLOW;
// Lock's Lstat check refuses a symbolic link.
const lockOpenFlags = os.O_CREATE | os.O_RDONLY

// syncDir does nothing on Windows. There os.Open gives a read-only
// directory handle and FlushFileBuffers needs write access, so syncing it
// failed with "Access is denied" and made Save report a failure after a
// rename that had already succeeded. os.Rename is MoveFileEx with
// MOVEFILE_REPLACE_EXISTING, and NTFS journals that metadata change.
func syncDir(string) error { return nil }

// ownerOnlyModes says whether the file mode bits are what keeps the token
// file private. Not on Windows: Go reports 0666 for any writable file, and
// access is governed by the ACL the file inherits from its directory (the
// user's profile directory is private to the user by default).
const ownerOnlyModes = false

// Errors of a rename over a file another process has open: Go opens files
// without FILE_SHARE_DELETE, so a Load reading the token file at that
// moment makes MoveFileEx fail.
const (
	errorAccessDenied     syscall.Errno = 5
	errorSharingViolation syscall.Errno = 32
)

// replaceFile atomically replaces to with from, retrying for a short while
// when another process (a Load outside the lock) holds to open.
func replaceFile(from, to string) error {
	deadline := time.Now().Add(2 * time.Second)
	for wait := time.Millisecond; ; wait = min(2*wait, 100*time.Millisecond) {
		err := os.Rename(from, to)
		if err == nil || !errors.Is(err, errorAccessDenied) && !errors.Is(err, errorSharingViolation) || time.Now().After(deadline) {
			return err
		}
		time.Sleep(wait)
	}
}
