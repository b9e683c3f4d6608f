//go:build unix

package cli

import (
	"bufio"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// buildJaccount builds the jaccount binary (with the race detector when
// the test has it, so the build reuses the test's) into a temporary
// directory.
func buildJaccount(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command to build jaccount with")
	}
	exe := filepath.Join(t.TempDir(), "jaccount")
	args := []string{"build", "-o", exe}
	if raceEnabled {
		args = append(args, "-race")
	}
	out, err := exec.Command("go", append(args, "github.com/oauth-jaccount/jaccount-go/cmd/jaccount")...).CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return exe
}

// TestSignalExitCodes starts the real binary, waits until `jaccount --fake
// login --no-browser` waits for the browser, and sends it SIGINT, then
// (another run) SIGTERM: it stops with 130 "interrupted" or 143
// "terminated" and one line, having removed the fake's temporary directory.
func TestSignalExitCodes(t *testing.T) {
	t.Parallel()
	exe := buildJaccount(t)
	for _, tt := range []struct {
		sig  syscall.Signal
		code int
		line string
	}{
		{syscall.SIGINT, ExitInterrupted, "jaccount: interrupted"},
		{syscall.SIGTERM, ExitTerminated, "jaccount: terminated"},
	} {
		t.Run(tt.sig.String(), func(t *testing.T) {
			t.Parallel()
			// --fake keeps its login in a directory of its own under
			// TMPDIR, which it must remove however it stops.
			tmp := t.TempDir()
			cmd := exec.Command(exe, "--fake", "login", "--no-browser")
			cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
			stderr, err := cmd.StderrPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			lines := make(chan string)
			go func() {
				defer close(lines)
				sc := bufio.NewScanner(stderr)
				for sc.Scan() {
					lines <- sc.Text()
				}
			}()
			var got []string
			timeout := time.After(time.Minute)
		wait:
			for {
				select {
				case l, ok := <-lines:
					if !ok {
						t.Fatalf("jaccount ended before waiting for the browser: %q", got)
					}
					got = append(got, l)
					if strings.HasPrefix(l, "Waiting for jAccount") {
						break wait
					}
				case <-timeout:
					_ = cmd.Process.Kill()
					t.Fatalf("jaccount login printed %q and no wait", got)
				}
			}
			if err := cmd.Process.Signal(tt.sig); err != nil {
				t.Fatal(err)
			}
			for l := range lines {
				got = append(got, l)
			}
			err = cmd.Wait()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != tt.code {
				t.Errorf("after %v: %v, want exit %d", tt.sig, err, tt.code)
			}
			if last := got[len(got)-1]; last != tt.line {
				t.Errorf("after %v, stderr ends %q, want %q (all: %q)", tt.sig, last, tt.line, got)
			}
			if left, err := readDirNames(tmp); err != nil || len(left) != 0 {
				t.Errorf("after %v, the fake's directory is still there: %q %v", tt.sig, left, err)
			}
		})
	}
}

// TestSecondSignal: the first SIGINT cancels the context with the signal
// as cause; a second one, for a command that did not stop, ends the
// process at once with the exit code and a line saying why. The test
// signals its own process, whose signals notifyContext holds meanwhile.
func TestSecondSignal(t *testing.T) {
	var stderr syncBuffer
	exited := make(chan int, 1)
	ctx, stop := notifyContext(context.Background(), &stderr, func(code int) { exited <- code })
	defer stop()
	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ctx.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("SIGINT did not cancel the context")
	}
	var se *signalError
	if cause := context.Cause(ctx); !errors.As(cause, &se) || se.code() != ExitInterrupted {
		t.Fatalf("cause = %v", cause)
	}
	if len(exited) != 0 || stderr.String() != "" {
		t.Fatalf("the first signal ended the process: %q", stderr.String())
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-exited:
		if code != ExitInterrupted || stderr.String() != "jaccount: interrupted again: exiting at once\n" {
			t.Errorf("second SIGINT: exit %d, stderr %q", code, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a second SIGINT did not end the process")
	}
	// stop releases the signals (and may be called again).
	stop()
	stop()
}
