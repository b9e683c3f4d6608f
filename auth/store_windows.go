//go:build windows

package auth

import "os"

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
