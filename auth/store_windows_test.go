//go:build windows

package auth

import (
	"context"
	"os"
	"testing"
	"time"
)

// TestSaveWhileTokenFileOpen: on Windows a rename over a file that another
// process holds open fails (Go opens files without FILE_SHARE_DELETE), so a
// Load reading the token file outside the lock would make a concurrent Save
// fail; Save retries the rename for a short while instead.
func TestSaveWhileTokenFileOpen(t *testing.T) {
	ctx := context.Background()
	s := NewFileStore(t.TempDir() + `\token.json`)
	if err := s.Save(ctx, &Token{AccessToken: "a", Expiry: time.Now()}); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(100 * time.Millisecond)
		f.Close()
	}()
	if err := s.Save(ctx, &Token{AccessToken: "b", Expiry: time.Now()}); err != nil {
		t.Fatalf("Save while the token file was open elsewhere: %v", err)
	}
	got, err := s.Load(ctx)
	if err != nil || got.AccessToken != "b" {
		t.Fatalf("Load: %v, %v", got, err)
	}
}
