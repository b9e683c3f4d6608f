package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oauth-jaccount/jaccount-go/jaccounttest"
)

// harness runs the command in-process against a fake jAccount, the way a
// user would run it against the real one: through the environment
// variables, with its own configuration directory and a browser that the
// test plays.
type harness struct {
	t    testing.TB
	fake *jaccounttest.Server
	dir  string
	vars map[string]string
	// browser is what OpenBrowser does; nil means no browser (the URL is
	// printed).
	browser func(u string) error
	// stdoutTTY and stderrTTY pretend the streams are terminals.
	stdoutTTY, stderrTTY bool
}

func newHarness(t testing.TB, opts ...jaccounttest.Option) *harness {
	t.Helper()
	fake := jaccounttest.New(t, append([]jaccounttest.Option{jaccounttest.WithPKCE()}, opts...)...)
	h := &harness{t: t, fake: fake, dir: t.TempDir()}
	h.vars = map[string]string{
		EnvClientID:     fake.ClientID(),
		EnvClientSecret: fake.ClientSecret(),
		EnvURL:          fake.URL,
		EnvAPIURL:       fake.APIURL(),
		EnvDataURL:      fake.DataURL(),
		EnvConfigDir:    h.dir,
	}
	h.browser = h.student
	return h
}

// student is the browser of the fixture student: it logs in on the fake's
// pages and follows the redirect to the loopback callback, which must
// answer 200.
func (h *harness) student(u string) error {
	loc, err := h.fake.Login(context.Background(), nil, u, jaccounttest.StudentUsername, jaccounttest.StudentPassword)
	if err != nil {
		return err
	}
	status, body := get(h.t, loc.String())
	if status != http.StatusOK {
		return fmt.Errorf("callback answered %d: %s", status, body)
	}
	return nil
}

// get fetches u and returns the status and body.
func get(t testing.TB, u string) (int, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Errorf("GET %s: %v", u, err)
		return 0, ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// result is one run's outcome.
type result struct {
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

// env returns the Env of one run; stderr may be watched.
func (h *harness) env(stdout, stderr io.Writer, args ...string) *Env {
	vars := h.vars
	return &Env{
		Args:      args,
		Stdin:     strings.NewReader(""),
		Stdout:    stdout,
		Stderr:    stderr,
		StdoutTTY: h.stdoutTTY,
		StderrTTY: h.stderrTTY,
		LookupEnv: func(k string) (string, bool) {
			v, ok := vars[k]
			return v, ok
		},
		UserConfigDir: func() (string, error) { return h.dir, nil },
		OpenBrowser:   h.browser,
	}
}

// run runs the command line and fails the test on a timeout.
func (h *harness) run(args ...string) result {
	h.t.Helper()
	var stdout, stderr syncBuffer
	return h.runEnv(h.env(&stdout, &stderr, args...), &stdout, &stderr)
}

func (h *harness) runEnv(env *Env, stdout, stderr *syncBuffer) result {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	code := Run(ctx, env)
	return result{stdout: stdout.String(), stderr: stderr.String(), code: code}
}

// mustRun runs the command line and fails the test unless it exits 0.
func (h *harness) mustRun(args ...string) result {
	h.t.Helper()
	r := h.run(args...)
	if r.code != 0 {
		h.t.Fatalf("jaccount %s: %s", strings.Join(args, " "), r)
	}
	return r
}

// syncBuffer is a bytes.Buffer safe for concurrent writes, which can call
// watch with everything written so far after each write.
type syncBuffer struct {
	mu    sync.Mutex
	b     bytes.Buffer
	watch func(s string)
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	n, err := b.b.Write(p)
	s, watch := b.b.String(), b.watch
	b.mu.Unlock()
	if watch != nil {
		watch(s)
	}
	return n, err
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// authorizeURL finds the authorize URL printed in s.
func authorizeURL(s string) (string, bool) {
	for _, f := range strings.Fields(s) {
		if u, err := url.Parse(f); err == nil && strings.HasSuffix(u.Path, "/oauth2/authorize") {
			return f, true
		}
	}
	return "", false
}

// readDirNames lists a directory.
func readDirNames(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names, err
}

// exitCodeOf is the exit code of a run that failed with err.
func exitCodeOf(err error) int {
	code, _ := (&app{env: &Env{}}).exitStatus(context.Background(), err)
	return code
}

// raceEnabled reports a test binary built with -race (race_test.go).
var raceEnabled bool
