package auth

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestFileStoreRemovesStaleTemps: leftovers of crashed saves are cleaned up
// by the next save, but a fresh one (another process mid-save) is kept.
func TestFileStoreRemovesStaleTemps(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := NewFileStore(filepath.Join(dir, "token.json"))
	stale := filepath.Join(dir, ".token.json.tmp-111")
	fresh := filepath.Join(dir, ".token.json.tmp-222")
	other := filepath.Join(dir, ".other.json.tmp-333")
	old := time.Now().Add(-2 * staleTemp)
	for _, p := range []string{stale, fresh, other} {
		if err := os.WriteFile(p, []byte("{"), 0o600); err != nil {
			t.Fatal(err)
		}
		if p != fresh {
			if err := os.Chtimes(p, old, old); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := s.Save(context.Background(), &Token{AccessToken: "a", Expiry: testNow}); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]bool{stale: false, fresh: true, other: true} {
		if _, err := os.Stat(p); (err == nil) != want {
			t.Errorf("%s: exists = %v, want %v", filepath.Base(p), err == nil, want)
		}
	}
}

func TestFileStore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	s := NewFileStore(filepath.Join(dir, "token.json"))
	if s.Path() != filepath.Join(dir, "token.json") {
		t.Fatal(s.Path())
	}
	if _, err := s.Load(ctx); !errors.Is(err, ErrNoToken) {
		t.Fatalf("missing file: %v", err)
	}
	tok := &Token{AccessToken: "a", RefreshToken: "r", TokenType: "bearer", Expiry: testNow, IDToken: "i",
		Claims: &IDTokenClaims{Subject: testUser, Audience: []string{testClientID}, ExpiresAt: testNow, IssuedAt: testNow, Type: "martian"}}
	for range 2 { // create, then replace
		if err := s.Save(ctx, tok); err != nil {
			t.Fatal(err)
		}
	}
	checkPrivate(t, s.Path())
	got, err := s.Load(ctx)
	if err != nil || got.AccessToken != "a" || got.RefreshToken != "r" || !got.Expiry.Equal(testNow) ||
		got.IDToken != "i" || got.Claims.Subject != testUser || got.Claims.Type != "martian" || !got.Claims.ExpiresAt.Equal(testNow) {
		t.Fatalf("loaded %v %+v, %v", got, got.Claims, err)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}

	for name, content := range map[string]string{"empty": "", "corrupt": `{"access_token":`} {
		p := filepath.Join(dir, name+".json")
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := NewFileStore(p).Load(ctx)
		if (name == "empty") != errors.Is(err, ErrNoToken) || err == nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	// The "directory" is a file: saving and locking fail cleanly.
	bad := NewFileStore(filepath.Join(dir, "token.json", "x.json"))
	if err := bad.Save(ctx, tok); err == nil {
		t.Error("save into a file succeeded")
	}
	if _, err := bad.Lock(ctx); err == nil {
		t.Error("lock into a file succeeded")
	}
	if _, err := NewFileStore(dir).Load(ctx); err == nil || errors.Is(err, ErrNoToken) {
		t.Errorf("loading a directory: %v", err)
	}
}

// TestFileStoreFailureBeforeRename injects a failure between writing the
// temporary file and renaming it: the old token must survive intact and no
// temporary file may remain.
func TestFileStoreFailureBeforeRename(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	s := NewFileStore(filepath.Join(dir, "token.json"))
	if err := s.Save(ctx, &Token{AccessToken: "old"}); err != nil {
		t.Fatal(err)
	}
	crash := errors.New("injected crash")
	var tmpSeen string
	s.beforeRename = func(tmp string) error {
		tmpSeen = tmp
		if b, err := os.ReadFile(tmp); err != nil || !strings.Contains(string(b), `"new"`) {
			t.Errorf("temporary file incomplete before rename: %q %v", b, err)
		}
		return crash
	}
	if err := s.Save(ctx, &Token{AccessToken: "new"}); !errors.Is(err, crash) {
		t.Fatalf("err = %v", err)
	}
	if got, err := s.Load(ctx); err != nil || got.AccessToken != "old" {
		t.Fatalf("after failed save: %v %v", got, err)
	}
	if _, err := os.Stat(tmpSeen); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("temporary file %s left behind: %v", tmpSeen, err)
	}
}

func TestFileStoreLock(t *testing.T) {
	t.Parallel()
	s := NewFileStore(filepath.Join(t.TempDir(), "token.json"))
	unlock, err := s.Lock(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// A second holder (another descriptor, as another process would have) waits.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := s.Lock(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second lock: %v", err)
	}
	if err := unlock(); err != nil {
		t.Fatal(err)
	}
	unlock2, err := s.Lock(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := unlock2(); err != nil {
		t.Fatal(err)
	}
	checkPrivate(t, s.Path()+".lock")
}

// TestFileStoreLockRefusesSymlink (finding 13): a symbolic link planted at
// the lock path is refused, not followed (following it would create or
// lock whatever file it names).
func TestFileStoreLockRefusesSymlink(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := NewFileStore(filepath.Join(dir, "token.json"))
	victim := filepath.Join(dir, "victim")
	if err := os.Symlink(victim, s.Path()+".lock"); err != nil {
		t.Skipf("cannot create a symbolic link here: %v", err)
	}
	unlock, err := s.Lock(context.Background())
	if err == nil {
		_ = unlock()
		t.Fatal("Lock followed a symbolic link at the lock path")
	}
	if _, err := os.Lstat(victim); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the link's target was created: %v", err)
	}
}

// TestDirSyncPerPlatform says what holds where. After the rename, Save
// fsyncs the directory so that the rename itself survives a crash. That is
// what POSIX systems need and allow (store_unix.go). On Windows, the
// directory handle os.Open returns is read-only and FlushFileBuffers on it
// fails with "Access is denied" although the rename (MoveFileEx, journaled
// by NTFS) already went through: there the directory sync is skipped
// (store_windows.go), and a missing directory is then no error. This test
// runs on Linux in CI; "GOOS=windows go test -c ./auth" builds the Windows
// side.
func TestDirSyncPerPlatform(t *testing.T) {
	t.Parallel()
	if syncsDirectory != (runtime.GOOS != "windows") {
		t.Fatalf("syncsDirectory = %v on %s", syncsDirectory, runtime.GOOS)
	}
	if err := syncDir(t.TempDir()); err != nil {
		t.Fatalf("syncDir of a directory: %v", err)
	}
	err := syncDir(filepath.Join(t.TempDir(), "missing"))
	if syncsDirectory && err == nil {
		t.Error("syncDir of a missing directory succeeded: it did not open it")
	}
	if !syncsDirectory && err != nil {
		t.Errorf("syncDir on %s: %v, want the skip", runtime.GOOS, err)
	}
}

// checkPrivate checks that the file at path is readable by its owner only,
// where the mode bits say so (ownerOnlyModes: Linux, macOS and the other
// POSIX systems); on Windows, where Go reports 0666 and the inherited ACL
// decides, it checks that the file exists and is writable.
func checkPrivate(t *testing.T, path string) {
	t.Helper()
	fi, err := os.Stat(path)
	switch {
	case err != nil:
		t.Fatal(err)
	case ownerOnlyModes && fi.Mode().Perm() != 0o600:
		t.Fatalf("%s: mode %v, want 0600", path, fi.Mode())
	case !ownerOnlyModes && fi.Mode().Perm()&0o200 == 0:
		t.Fatalf("%s: mode %v, want a writable file", path, fi.Mode())
	}
}
