package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gofrs/flock"
)

// TokenStore persists a token. TokenSource saves every token it obtains
// (the rotated refresh token and the ID token included) and, before spending
// a refresh token, reloads the stored one, which another process may have
// renewed. It adopts a stored token only when it is newer than its own:
// when it changed since the source last loaded or saved it.
type TokenStore interface {
	// Load returns the stored token, or an error matching ErrNoToken when
	// there is none. A fenced store remembers the generation it read.
	Load(ctx context.Context) (*Token, error)
	// Save replaces the stored token. A fenced store fails with an error
	// matching ErrSaveConflict when another writer saved since the last
	// Load; TokenSource then re-reads the store instead of retrying.
	Save(ctx context.Context, t *Token) error
}

// Locker is implemented by stores shared between processes. TokenSource
// holds the lock across reload, refresh and save, so that two processes
// never spend the same refresh token.
type Locker interface {
	// Lock blocks until the lock is held or ctx ends and returns the
	// function that releases it.
	Lock(ctx context.Context) (unlock func() error, err error)
}

// FileStore keeps a token as JSON in a file readable only by its owner
// (mode 0600). Saves are atomic: a temporary file in the same directory is
// written and fsynced, then renamed over the old one, and the directory is
// fsynced, so a crash leaves either the old or the new token, never a torn
// file. A process killed mid-save may leave a stray ".<name>.tmp-*" file
// beside it; the next successful Save removes those older than a minute
// (far longer than a save takes, so another process's save in progress is
// never touched). Lock takes an advisory lock (flock(2) / LockFileEx) on a sibling
// file path+".lock", which is never renamed, so processes sharing the
// token file coordinate their refreshes.
//
// What differs per platform: on Linux, macOS and other POSIX systems the
// 0600/0700 modes keep the file private and the directory is fsynced after
// the rename. On Windows the file's privacy comes from the ACL it inherits
// from its directory (keep it under the user's profile, e.g.
// os.UserConfigDir), the directory is not fsynced (NTFS journals the
// rename), and a rename over a file another process is reading is retried
// for up to two seconds.
type FileStore struct {
	path string
	// beforeRename, set by tests, runs after the temporary file is
	// complete and before it replaces the token file.
	beforeRename func(tmp string) error
}

// NewFileStore returns a store for the token file at path. The directory is
// created (mode 0700) on first save if needed.
func NewFileStore(path string) *FileStore { return &FileStore{path: path} }

// Path returns the token file's path.
func (s *FileStore) Path() string { return s.path }

// Load reads the token file. A missing or empty file, or one holding a
// JSON value without an access or refresh token (null, {}), gives
// ErrNoToken.
func (s *FileStore) Load(context.Context) (*Token, error) {
	b, err := os.ReadFile(s.path)
	if errors.Is(err, fs.ErrNotExist) || err == nil && len(b) == 0 {
		return nil, fmt.Errorf("%w: %s is empty or missing", ErrNoToken, s.path)
	}
	if err != nil {
		return nil, fmt.Errorf("auth: loading token: %w", err)
	}
	var t Token
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, fmt.Errorf("auth: token file %s is corrupt: %w", s.path, err)
	}
	if t.AccessToken == "" && t.RefreshToken == "" {
		return nil, fmt.Errorf("%w: %s holds no token", ErrNoToken, s.path)
	}
	return &t, nil
}

// Save atomically replaces the token file with t.
func (s *FileStore) Save(_ context.Context, t *Token) (err error) {
	b, err := json.MarshalIndent(t, "", "  ")
	if err != nil {
		return fmt.Errorf("auth: saving token: %w", err)
	}
	dir := filepath.Dir(s.path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("auth: saving token: %w", err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(s.path)+".tmp-*") // created 0600
	if err != nil {
		return fmt.Errorf("auth: saving token: %w", err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = os.Remove(tmp)
			err = fmt.Errorf("auth: saving token: %w", err)
		}
	}()
	if _, err = f.Write(b); err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if s.beforeRename != nil {
		if err = s.beforeRename(tmp); err != nil {
			return err
		}
	}
	if err = replaceFile(tmp, s.path); err != nil {
		return err
	}
	if err = syncDir(dir); err != nil {
		return err
	}
	s.removeStaleTemps(dir)
	return nil
}

// staleTemp is the age after which a leftover temporary file is removed.
const staleTemp = time.Minute

// removeStaleTemps deletes temporary files that crashed saves left behind.
// It is best effort: the token file is already safely in place.
func (s *FileStore) removeStaleTemps(dir string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	prefix := "." + filepath.Base(s.path) + ".tmp-"
	for _, e := range entries {
		if !e.Type().IsRegular() || !strings.HasPrefix(e.Name(), prefix) {
			continue
		}
		if fi, err := e.Info(); err == nil && time.Since(fi.ModTime()) > staleTemp {
			_ = os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

// lockRetry is how often Lock polls while another process holds the lock.
const lockRetry = 5 * time.Millisecond

// Lock takes the cross-process lock for the token file. It works between
// goroutines of one process too: each call opens its own descriptor. A
// symbolic link at the lock path is refused, not followed: following it
// would let whoever planted it make this process create or lock any file
// it can reach.
func (s *FileStore) Lock(ctx context.Context) (func() error, error) {
	if err := os.MkdirAll(filepath.Dir(s.path), 0o700); err != nil {
		return nil, fmt.Errorf("auth: locking token file: %w", err)
	}
	lockPath := s.path + ".lock"
	if fi, err := os.Lstat(lockPath); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		return nil, fmt.Errorf("auth: locking token file: %s is a symbolic link", lockPath)
	}
	// lockOpenFlags refuses a link created between the check and the open
	// where the platform can (O_NOFOLLOW).
	fl := flock.New(lockPath, flock.SetPermissions(0o600), flock.SetFlag(lockOpenFlags))
	ok, err := fl.TryLockContext(ctx, lockRetry)
	if !ok || err != nil {
		_ = fl.Close()
		if err == nil {
			err = ctx.Err()
		}
		return nil, fmt.Errorf("auth: locking token file: %w", err)
	}
	return fl.Close, nil
}
