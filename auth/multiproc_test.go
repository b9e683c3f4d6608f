package auth

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Child processes are this test binary re-executed with these variables.
const (
	envChild    = "JACCOUNT_AUTH_TEST_CHILD" // "token", "rotate" or "saver"
	envTokenURL = "JACCOUNT_AUTH_TEST_TOKEN_URL"
	envStore    = "JACCOUNT_AUTH_TEST_STORE"
	envIter     = "JACCOUNT_AUTH_TEST_ITER"
)

func TestMain(m *testing.M) {
	if mode := os.Getenv(envChild); mode != "" {
		if err := runChild(mode); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// runChild is the body of a child process. "token" and "rotate" wait for
// stdin to close so that all children start together.
func runChild(mode string) error {
	store := NewFileStore(os.Getenv(envStore))
	ctx := context.Background()
	if mode == "saver" {
		// Save forever, alternating sizes, until killed.
		for i := 0; ; i++ {
			tok := &Token{AccessToken: fmt.Sprintf("access-%d", i), Scope: strings.Repeat("s", (i%2)*64<<10)}
			if err := store.Save(ctx, tok); err != nil {
				return err
			}
			if i == 0 {
				fmt.Println("ready")
			}
		}
	}
	_, _ = io.Copy(io.Discard, os.Stdin)
	cfg := &Config{ClientID: testClientID, ClientSecret: testSecret, RedirectURL: testRedirect,
		Endpoint: Endpoint{TokenURL: os.Getenv(envTokenURL)}}
	ts, err := cfg.TokenSource(nil, WithStore(store), WithRefreshTimeout(time.Minute))
	if err != nil {
		return err
	}
	iter, _ := strconv.Atoi(os.Getenv(envIter))
	for range iter {
		o, err := ts.Token()
		if err == nil && mode == "rotate" {
			_, err = ts.ForceRefresh(ctx, o)
		}
		if errors.Is(err, ErrInvalidGrant) {
			return fmt.Errorf("invalid_grant: %w", err)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// childTimeout bounds every child process, so a hung child fails the test
// instead of stalling it.
const childTimeout = time.Minute

func childCmd(t *testing.T, mode string, env ...string) *exec.Cmd {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), childTimeout)
	t.Cleanup(cancel)
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), append(env, envChild+"="+mode)...)
	cmd.Stderr = &strings.Builder{}
	return cmd
}

// runChildren starts n children, releases them together and waits.
func runChildren(t *testing.T, n int, mode string, env ...string) {
	t.Helper()
	cmds := make([]*exec.Cmd, n)
	stdins := make([]io.WriteCloser, n)
	for i := range cmds {
		cmds[i] = childCmd(t, mode, env...)
		var err error
		if stdins[i], err = cmds[i].StdinPipe(); err != nil {
			t.Fatal(err)
		}
		if err := cmds[i].Start(); err != nil {
			t.Fatal(err)
		}
	}
	for _, in := range stdins {
		_ = in.Close() // go
	}
	var wg sync.WaitGroup
	for i, cmd := range cmds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := cmd.Wait(); err != nil {
				t.Errorf("child %d: %v: %s", i, err, cmd.Stderr)
			}
		}()
	}
	wg.Wait()
}

// TestMultiProcessRefresh: 8 processes share one token file and refresh
// concurrently against a server that rotates refresh tokens and rejects a
// reused one.
func TestMultiProcessRefresh(t *testing.T) {
	t.Parallel()
	const procs = 8
	tests := []struct {
		name     string
		mode     string
		iter     int
		min, max int64 // refresh requests allowed
	}{
		// One expired token: one refresh for all processes together.
		{"shared expired token", "token", 1, 1, 1},
		// Every process repeatedly reports its token as rejected; whoever
		// comes second adopts the token the first one saved. (+1: the stored
		// token starts out expired.)
		{"forced rotation storm", "rotate", 25, 25, procs*25 + 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeServer(t)
			clk := newClock()
			_, tok := login(t, f, clk)
			f.now = time.Now
			tok.Expiry = time.Now().Add(-time.Hour)
			path := filepath.Join(t.TempDir(), "token.json")
			if err := NewFileStore(path).Save(context.Background(), tok); err != nil {
				t.Fatal(err)
			}
			runChildren(t, procs, tt.mode, envTokenURL+"="+f.URL+"/oauth2/token", envStore+"="+path, envIter+"="+strconv.Itoa(tt.iter))
			r, ig := f.refreshes.Load(), f.invalidGrants.Load()
			t.Logf("%d processes × %d iterations: %d refresh requests, %d invalid_grant", procs, tt.iter, r, ig)
			if ig != 0 || r < tt.min || r > tt.max {
				t.Fatalf("%d refresh requests (want %d..%d), %d invalid_grant (want 0)", r, tt.min, tt.max, ig)
			}
			final, err := NewFileStore(path).Load(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			f.mu.Lock()
			live := f.live[final.RefreshToken]
			f.mu.Unlock()
			if !live || final.Claims == nil || final.Claims.Subject != testUser {
				t.Fatalf("stored token is not the latest (live=%v): %v", live, final)
			}
		})
	}
}

// TestCrashDuringSave kills (SIGKILL) a process that saves in a tight loop,
// many times at random moments; the token file must always parse.
func TestCrashDuringSave(t *testing.T) {
	t.Parallel()
	const kills = 15
	dir := t.TempDir()
	path := filepath.Join(dir, "token.json")
	for i := range kills {
		cmd := childCmd(t, "saver", envStore+"="+path)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		line, err := bufio.NewReader(out).ReadString('\n')
		if err != nil || line != "ready\n" {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			t.Fatalf("child not ready: %q %v %s", line, err, cmd.Stderr)
		}
		// Random timing is the point here, not synchronisation.
		time.Sleep(time.Duration(rand.IntN(20_000)) * time.Microsecond)
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()
		tok, err := NewFileStore(path).Load(context.Background())
		if err != nil || !strings.HasPrefix(tok.AccessToken, "access-") {
			t.Fatalf("after kill %d: %v, %v", i, tok, err)
		}
	}
	// Killed saves may leave temporary files, never a torn token file.
	entries, _ := os.ReadDir(dir)
	t.Logf("%d kills; the token file parsed every time; %d stray temporary files", kills, len(entries)-1)
}
