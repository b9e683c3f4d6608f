//go:build linux

package redisstore

// Multi-process tests: the test binary re-executes itself as workers (see
// TestMain), which share one token through one redis-server and one fake
// jAccount (jaccounttest) that rotates refresh tokens and rejects a reused
// one. Workers stop themselves (SIGSTOP) at a chosen point of their first
// token request, so the parent can kill or resume them exactly there. Every
// wait is for an event (a line a worker prints, a generation in Redis, a
// process state), bounded by a generous timeout; nothing asserts a
// duration.

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/oauth-jaccount/jaccount-go/api"
	"github.com/oauth-jaccount/jaccount-go/auth"
	"github.com/oauth-jaccount/jaccount-go/auth/redisstore/redistest"
	"github.com/oauth-jaccount/jaccount-go/jaccounttest"
)

// The worker's configuration, passed in its environment.
const (
	envWorker = "REDISSTORE_TEST_WORKER" // "1" makes the test binary a worker
	envRedis  = "REDISSTORE_TEST_REDIS"  // host:port
	envPrefix = "REDISSTORE_TEST_PREFIX"
	envLease  = "REDISSTORE_TEST_LEASE" // a time.Duration
	envFake   = "REDISSTORE_TEST_FAKE"  // the fake's base URL
	envMode   = "REDISSTORE_TEST_MODE"  // "refresh" or "client_credentials"
	envCalls  = "REDISSTORE_TEST_CALLS" // API calls to make; 0: until stdin closes
	envPause  = "REDISSTORE_TEST_PAUSE" // "before" or "after" the first token request: SIGSTOP itself
	envWindow = "REDISSTORE_TEST_WINDOW"
)

// workerTimeout bounds a worker's whole life.
const workerTimeout = 4 * time.Minute

// waitTimeout bounds each wait of the parent for an event.
const waitTimeout = 2 * time.Minute

func TestMain(m *testing.M) {
	if os.Getenv(envRateWorker) == "1" {
		if err := rateWorker(); err != nil {
			fmt.Fprintln(os.Stderr, "rate worker:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	if os.Getenv(envWorker) == "1" {
		if err := worker(); err != nil {
			fmt.Fprintln(os.Stderr, "worker:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// out serialises the worker's stdout lines.
var out = struct {
	sync.Mutex
	w *bufio.Writer
}{w: bufio.NewWriter(os.Stdout)}

func emit(format string, args ...any) {
	out.Lock()
	defer out.Unlock()
	fmt.Fprintf(out.w, format+"\n", args...)
	_ = out.w.Flush()
}

// pauser stops the process (SIGSTOP) once, before or after its first token
// request reaches the fake: "before" means the refresh token is not spent
// yet, "after" that the fake has rotated it and the new token exists only
// in this process.
type pauser struct {
	when string
	base http.RoundTripper
	once sync.Once
}

func (p *pauser) RoundTrip(r *http.Request) (*http.Response, error) {
	if p.when == "before" {
		p.once.Do(stopSelf)
	}
	resp, err := p.base.RoundTrip(r)
	if err == nil {
		emit("# token request: %d", resp.StatusCode)
	}
	if p.when == "after" && err == nil {
		p.once.Do(stopSelf)
	}
	return resp, err
}

// stopSelf stops the process and returns once it has been continued. The
// stop takes effect a little after kill(2) returns (another thread may be
// the one to handle it), so this goroutine waits for the SIGCONT rather
// than run on meanwhile.
func stopSelf() {
	cont := make(chan os.Signal, 1)
	signal.Notify(cont, syscall.SIGCONT)
	defer signal.Stop(cont)
	emit("paused")
	_ = syscall.Kill(os.Getpid(), syscall.SIGSTOP)
	<-cont
	emit("resumed")
}

// conflictCounter counts the saves the store refused.
type conflictCounter struct {
	*Store
	mu        sync.Mutex
	conflicts int
}

func (c *conflictCounter) Load(ctx context.Context) (*auth.Token, error) {
	t, err := c.Store.Load(ctx)
	c.mu.Lock()
	gen := c.observed.gen
	c.mu.Unlock()
	emit("# loaded generation %d (%v)", gen, err)
	return t, err
}

func (c *conflictCounter) Save(ctx context.Context, t *auth.Token) error {
	err := c.Store.Save(ctx, t)
	emit("# saved (%v)", err)
	if errors.Is(err, auth.ErrSaveConflict) {
		c.mu.Lock()
		c.conflicts++
		c.mu.Unlock()
		emit("conflict")
	}
	return err
}

// worker is a batch job: it makes API calls with a token source whose
// store is in Redis, and reports on stdout: "ok" and "err <error>" at each
// change of outcome, "paused"/"resumed" around a SIGSTOP, and a summary
// line at the end.
func worker() error {
	ctx, cancel := context.WithTimeout(context.Background(), workerTimeout)
	defer cancel()
	lease, _ := time.ParseDuration(os.Getenv(envLease))
	rdb := redis.NewClient(&redis.Options{Addr: os.Getenv(envRedis)})
	defer rdb.Close()
	s, err := New(rdb, WithKeyPrefix(os.Getenv(envPrefix)), WithLeaseTTL(lease))
	if err != nil {
		return err
	}
	store := &conflictCounter{Store: s}
	fake := os.Getenv(envFake)
	var rt http.RoundTripper = http.DefaultTransport
	rt = &pauser{when: os.Getenv(envPause), base: rt}
	cfg := &auth.Config{ClientID: jaccounttest.DefaultClientID, ClientSecret: jaccounttest.DefaultClientSecret,
		Endpoint:   auth.Endpoint{TokenURL: fake + "/oauth2/token", Issuer: fake + "/oauth2/"},
		HTTPClient: &http.Client{Transport: rt, Timeout: time.Minute}}
	window, _ := time.ParseDuration(os.Getenv(envWindow))
	opts := []auth.SourceOption{auth.WithStore(store), auth.WithExpiryWindow(window), auth.WithRefreshTimeout(2 * time.Minute)}
	var ts *auth.TokenSource
	clientMode := os.Getenv(envMode) == "client_credentials"
	if clientMode {
		ts, err = cfg.ClientCredentialsSource([]string{"basic"}, opts...)
	} else {
		ts, err = cfg.TokenSource(nil, opts...)
	}
	if err != nil {
		return err
	}
	client, err := api.NewClient(ts, api.WithBaseURL(fake))
	if err != nil {
		return err
	}
	calls, _ := strconv.Atoi(os.Getenv(envCalls))
	stdin := bufio.NewReader(os.Stdin)
	if line, err := stdin.ReadString('\n'); err != nil || line != "go\n" { // all workers start together
		return fmt.Errorf("no go: %q %v", line, err)
	}
	stop := make(chan struct{})
	go func() { _, _ = io.Copy(io.Discard, stdin); close(stop) }()

	var ok, failed, invalidGrant int
	last := ""
	for i := 0; calls == 0 || i < calls; i++ {
		if calls == 0 {
			select {
			case <-stop:
				calls = i
				continue
			case <-time.After(5 * time.Millisecond): // pace the endless mode
			}
		}
		var err error
		if clientMode { // a teaching class takes a user's token only: the application reads a profile
			_, err = client.Profile.GetUser(ctx, jaccounttest.StudentUsername)
		} else {
			_, err = client.Lessons.Get(ctx, "bsid-CS2501")
		}
		state := "ok"
		if err != nil {
			failed++
			if errors.Is(err, auth.ErrInvalidGrant) {
				invalidGrant++
			}
			state = "err " + strings.ReplaceAll(err.Error(), "\n", " ")
		} else {
			ok++
		}
		if kind, _, _ := strings.Cut(state, " "); kind != last {
			emit("%s", state)
			last = kind
		}
	}
	store.mu.Lock()
	conflicts := store.conflicts
	store.mu.Unlock()
	emit("summary calls=%d ok=%d failed=%d invalid_grant=%d conflicts=%d", calls, ok, failed, invalidGrant, conflicts)
	return nil
}

// skipShort skips a multi-process test under -short.
func skipShort(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process test; skipped with -short")
	}
}

// fleet is one test's Redis, fake jAccount and workers.
type fleet struct {
	t      *testing.T
	addr   string // Redis
	fake   *jaccounttest.Server
	prefix string
	lease  time.Duration
	rdb    *redis.Client
	store  *Store // the parent's view of the shared token
}

func newFleet(t *testing.T, addr string, fake *jaccounttest.Server, lease time.Duration) *fleet {
	f := &fleet{t: t, addr: addr, fake: fake, prefix: "fleet:" + strings.ReplaceAll(t.Name(), "/", ":") + ":", lease: lease}
	f.rdb = redis.NewClient(&redis.Options{Addr: addr})
	t.Cleanup(func() { _ = f.rdb.Close() })
	f.store = newStore(t, f.rdb, WithKeyPrefix(f.prefix))
	return f
}

// seededFleet starts a fake jAccount with opts and returns the fleet of t
// on srv with the lease, its store seeded with a token of the fake.
func seededFleet(t *testing.T, srv *redistest.Server, lease time.Duration, opts ...jaccounttest.Option) (*fleet, context.Context) {
	fake := jaccounttest.New(t, opts...)
	f := newFleet(t, srv.Addr, fake, lease)
	ctx := testContext(t)
	f.seed(ctx)
	return f, ctx
}

// startAll starts n workers and lets them go together.
func (f *fleet) startAll(n int, o workerOpts) []*child {
	workers := make([]*child, n)
	for i := range workers {
		workers[i] = f.start(fmt.Sprintf("worker %d", i), o)
	}
	for _, w := range workers {
		w.goAhead()
	}
	return workers
}

// seed stores a fresh user token of the fake, marked expired so the first
// call renews it (the fake still honours its access token).
func (f *fleet) seed(ctx context.Context) {
	f.t.Helper()
	tok, err := f.fake.IssueToken(jaccounttest.StudentUsername, "lessons")
	if err != nil {
		f.t.Fatal(err)
	}
	if err := f.store.Save(ctx, &auth.Token{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken,
		TokenType: "bearer", Expiry: time.Now().Add(-time.Minute)}); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fleet) generation(ctx context.Context) int64 {
	g, _ := f.rdb.HGet(ctx, f.store.TokenKey(), "gen").Int64()
	return g
}

// waitGeneration waits until the stored token's generation reaches gen.
func (f *fleet) waitGeneration(ctx context.Context, gen int64) {
	f.t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for f.generation(ctx) < gen {
		if time.Now().After(deadline) {
			f.t.Fatalf("the stored generation stayed at %d, want %d", f.generation(ctx), gen)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// tokenRequests counts the fake's token-endpoint answers: granted (200) and
// refused with invalid_grant (400).
func (f *fleet) tokenRequests() (granted, invalidGrant int) {
	for _, r := range f.fake.Requests() {
		if r.Endpoint != jaccounttest.EndpointToken {
			continue
		}
		switch r.Status {
		case http.StatusOK:
			granted++
		case http.StatusBadRequest:
			invalidGrant++
		}
	}
	return granted, invalidGrant
}

// child is a worker process seen from the parent.
type child struct {
	t     *testing.T
	name  string
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan string // what it prints, closed at its exit
	// summary is its last line, set once lines is closed.
	summary map[string]int
	stderr  *strings.Builder
	exited  chan struct{}
	// state is the latest outcome it printed: "ok", "err" or "".
	state string
	log   []string // the lines read so far
}

// worker options.
type workerOpts struct {
	mode   string // "refresh" (default) or "client_credentials"
	calls  int    // 0: until stopped
	pause  string // "", "before" or "after"
	window time.Duration
}

func (f *fleet) start(name string, o workerOpts) *child {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), workerTimeout+time.Minute)
	f.t.Cleanup(cancel)
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	if o.mode == "" {
		o.mode = "refresh"
	}
	if o.window == 0 {
		o.window = time.Second
	}
	cmd.Env = append(os.Environ(), envWorker+"=1", envRedis+"="+f.addr, envPrefix+"="+f.prefix,
		envLease+"="+f.lease.String(), envFake+"="+f.fake.URL, envMode+"="+o.mode,
		envCalls+"="+strconv.Itoa(o.calls), envPause+"="+o.pause, envWindow+"="+o.window.String())
	c := &child{t: f.t, name: name, cmd: cmd, lines: make(chan string, 1024), stderr: &strings.Builder{}, exited: make(chan struct{})}
	cmd.Stderr = c.stderr
	var err error
	if c.stdin, err = cmd.StdinPipe(); err != nil {
		f.t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		f.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		f.t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			if s, ok := strings.CutPrefix(line, "summary "); ok {
				c.summary = parseSummary(s)
			}
			c.lines <- line
		}
		_ = cmd.Wait()
		close(c.lines)
		close(c.exited)
	}()
	f.t.Cleanup(func() { // never leave a worker behind, stopped or not
		_ = cmd.Process.Kill()
		_ = syscall.Kill(cmd.Process.Pid, syscall.SIGCONT)
		<-c.exited
	})
	return c
}

func parseSummary(s string) map[string]int {
	m := map[string]int{}
	for _, kv := range strings.Fields(s) {
		k, v, _ := strings.Cut(kv, "=")
		m[k], _ = strconv.Atoi(v)
	}
	return m
}

func (c *child) goAhead() {
	if _, err := io.WriteString(c.stdin, "go\n"); err != nil {
		c.t.Fatalf("%s: %v", c.name, err)
	}
}

// expect waits for a line starting with prefix and returns it; the lines
// before it are returned too.
func (c *child) expect(prefix string) (string, []string) {
	c.t.Helper()
	var seen []string
	timeout := time.After(waitTimeout)
	for {
		select {
		case line, ok := <-c.lines:
			if !ok {
				c.t.Fatalf("%s exited (%v) before printing %q; it printed %q; stderr: %s", c.name, c.cmd.ProcessState, prefix, seen, c.stderr)
			}
			c.log = append(c.log, line)
			if line == "ok" || strings.HasPrefix(line, "err ") {
				c.state = line[:min(3, len(line))]
			}
			if strings.HasPrefix(line, prefix) {
				return line, seen
			}
			seen = append(seen, line)
		case <-timeout:
			c.t.Fatalf("%s did not print %q within %v; it printed %q", c.name, prefix, waitTimeout, seen)
		}
	}
}

// waitStopped waits until the kernel shows the process stopped (state T).
func (c *child) waitStopped() {
	c.t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", c.cmd.Process.Pid))
		if err == nil {
			if i := strings.LastIndexByte(string(b), ')'); i > 0 && i+2 < len(b) && (b[i+2] == 'T' || b[i+2] == 't') {
				return
			}
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("%s did not stop: %s", c.name, b)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// finish closes stdin (an endless worker stops) and waits for the summary.
func (c *child) finish() map[string]int {
	c.t.Helper()
	_ = c.stdin.Close()
	var rest []string
	timeout := time.After(waitTimeout)
	for {
		select {
		case line, ok := <-c.lines:
			if !ok {
				if c.summary == nil || !c.cmd.ProcessState.Success() {
					c.t.Fatalf("%s failed (%v): printed %q; stderr: %s", c.name, c.cmd.ProcessState, rest, c.stderr)
				}
				return c.summary
			}
			rest = append(rest, line)
			c.log = append(c.log, line)
		case <-timeout:
			c.t.Fatalf("%s did not finish within %v", c.name, waitTimeout)
		}
	}
}

// liveRefreshToken reports whether the stored refresh token still works at
// the fake (it spends it; call it last).
func (f *fleet) liveRefreshToken(ctx context.Context) bool {
	f.t.Helper()
	tok, err := newStore(f.t, f.rdb, WithKeyPrefix(f.prefix)).Load(ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	cfg := &auth.Config{ClientID: jaccounttest.DefaultClientID, ClientSecret: jaccounttest.DefaultClientSecret,
		Endpoint: auth.Endpoint{TokenURL: f.fake.TokenURL()}}
	_, err = cfg.Refresh(ctx, tok)
	return err == nil
}

// TestFleetSharesOneToken: 16 processes × 200 API calls share one rotating
// refresh token while access tokens keep expiring: by their lifetime (2 s,
// renewed half a second ahead) and by the fake expiring them all after
// every 400 answered calls, so that every process at once gets "token
// expired" and asks for a renewal.
func TestFleetSharesOneToken(t *testing.T) {
	skipShort(t)
	t.Parallel()
	const procs, calls, expireEvery = 16, 200, 400
	srv := redistest.Start(t)
	f, ctx := seededFleet(t, srv, DefaultLeaseTTL, jaccounttest.WithAccessTokenTTL(2*time.Second))
	workers := f.startAll(procs, workerOpts{calls: calls, window: 500 * time.Millisecond})
	// Expire every access token after each expireEvery answered API calls.
	done := make(chan struct{})
	expiries := make(chan int, 1)
	go func() {
		n, next := 0, expireEvery
		defer func() { expiries <- n }()
		for {
			select {
			case <-done:
				return
			case <-time.After(10 * time.Millisecond):
			}
			answered := 0
			for _, r := range f.fake.Requests() {
				if r.Endpoint == jaccounttest.EndpointAPI && r.Status == http.StatusOK {
					answered++
				}
			}
			if answered >= next {
				f.fake.ExpireAccessTokens()
				n++
				next += expireEvery
			}
		}
	}()
	var ok, failed, invalidGrant, conflicts int
	for _, w := range workers {
		s := w.finish()
		ok, failed, invalidGrant, conflicts = ok+s["ok"], failed+s["failed"], invalidGrant+s["invalid_grant"], conflicts+s["conflicts"]
		if s["failed"] > 0 {
			t.Logf("%s: %q", w.name, w.log)
		}
	}
	close(done)
	forced := <-expiries
	granted, refused := f.tokenRequests()
	rejected := 0
	for _, r := range f.fake.Requests() {
		if r.Endpoint == jaccounttest.EndpointAPI && r.Status != http.StatusOK {
			rejected++
		}
	}
	t.Logf("%d processes × %d calls: %d ok, %d failed (lost), %d invalid_grant at the workers; the fake: %d refreshes granted, %d invalid_grant, %d API answers rejecting an expired token, %d times all access tokens expired at once; %d refused saves; final generation %d",
		procs, calls, ok, failed, invalidGrant, granted, refused, rejected, forced, conflicts, f.generation(ctx))
	if ok != procs*calls || failed != 0 || invalidGrant != 0 || refused != 0 {
		t.Fatalf("%d ok (want %d), %d failed, %d invalid_grant at the workers, %d at the fake (want 0)", ok, procs*calls, failed, invalidGrant, refused)
	}
	if granted < 2 || int64(granted)+1 != f.generation(ctx) {
		t.Errorf("%d refreshes but generation %d: every refresh must be saved exactly once", granted, f.generation(ctx))
	}
	if !f.liveRefreshToken(ctx) {
		t.Error("the stored refresh token is not the live one")
	}
}

// TestFleetHolderStops: the lock holder is killed (SIGKILL) or stopped
// (SIGSTOP, then SIGCONT after another process went on) exactly before or
// after its token request reached the fake.
func TestFleetHolderStops(t *testing.T) {
	skipShort(t)
	t.Parallel()
	srv := redistest.Start(t)
	const lease = 3 * time.Second
	tests := []struct {
		name  string
		mode  string
		pause string
		kill  bool
		check func(t *testing.T, f *fleet, r fleetResult)
	}{
		{"kill -9 before the refresh token is spent", "refresh", "before", true, func(t *testing.T, f *fleet, r fleetResult) {
			// The others waited for the lease, then refreshed the unspent
			// token: nothing lost.
			if r.others["ok"] != r.othersCalls || r.others["invalid_grant"] != 0 || r.granted != 1 || r.refused != 0 || r.gen != 2 {
				t.Errorf("want every call ok, one refresh, no invalid_grant, generation 2")
			}
			if !f.liveRefreshToken(t.Context()) {
				t.Error("the stored refresh token is dead")
			}
		}},
		{"kill -9 after the fake rotated the token (documented loss)", "refresh", "after", true, func(t *testing.T, f *fleet, r fleetResult) {
			// The rotated refresh token died with the process: the others
			// get invalid_grant; the store keeps the last saved token
			// (generation 1) and nothing wrong is stored.
			if r.others["ok"] != 0 || r.others["invalid_grant"] == 0 || r.refused != 1 || r.granted != 1 || r.gen != 1 {
				t.Errorf("want the documented loss: no call ok, invalid_grant, generation 1")
			}
		}},
		{"SIGSTOP after client-credentials token obtained: stale save refused", "client_credentials", "after", false, func(t *testing.T, f *fleet, r fleetResult) {
			// The stopped process's token is older than the one the other
			// stored meanwhile: its save is refused and it adopts the
			// stored token; the store never goes back to the older token.
			if r.stopped["conflicts"] != 1 || r.gen != 1 || r.stopped["failed"] != 0 || r.others["failed"] != 0 {
				t.Errorf("want one refused save, generation 1 (the other's token), no failed call")
			}
		}},
		{"SIGSTOP before the refresh token is spent", "refresh", "before", false, func(t *testing.T, f *fleet, r fleetResult) {
			// The other refreshed the unspent token and saved it; the
			// resumed process then sends the spent token: invalid_grant
			// for that process only, which then adopts the stored token.
			if r.others["failed"] != 0 || r.refused != 1 || r.stopped["ok"] == 0 || r.granted != 1 || r.gen != 2 {
				t.Errorf("want the other all ok, one invalid_grant in the stopped process, which recovers, generation 2")
			}
			if !f.liveRefreshToken(t.Context()) {
				t.Error("the stored refresh token is dead")
			}
		}},
		{"SIGSTOP after the fake rotated the token", "refresh", "after", false, func(t *testing.T, f *fleet, r fleetResult) {
			// The new token exists only in the stopped process: the other
			// gets invalid_grant until it resumes and saves (its save goes
			// through: nobody stored anything since); then all recover.
			if r.stopped["failed"] != 0 || r.stopped["conflicts"] != 0 || r.refused != 1 || r.others["ok"] == 0 || r.granted != 1 || r.gen != 2 {
				t.Errorf("want the stopped process's save to go through, the other to recover after invalid_grant, generation 2")
			}
			if !f.liveRefreshToken(t.Context()) {
				t.Error("the stored refresh token is dead")
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := jaccounttest.New(t)
			f := newFleet(t, srv.Addr, fake, lease)
			ctx := testContext(t)
			if tt.mode == "refresh" {
				f.seed(ctx)
			}
			r := f.stopHolder(ctx, tt.mode, tt.pause, tt.kill)
			t.Logf("%s: the stopped process %v; the other %v; the fake granted %d tokens, refused %d (invalid_grant); stored generation %d",
				tt.name, r.stopped, r.others, r.granted, r.refused, r.gen)
			tt.check(t, f, r)
			if t.Failed() {
				t.Logf("the holder printed %q; the other %q", r.holderLog, r.otherLog)
			}
		})
	}
}

type fleetResult struct {
	stopped     map[string]int // nil when killed
	others      map[string]int
	othersCalls int
	granted     int
	refused     int
	gen         int64
	holderLog   []string
	otherLog    []string
}

// stopHolder runs the scenario: a holder stops at its first token request;
// another process starts and waits for the lock; the holder is killed, or
// resumed once the other has stored a token or been refused one.
func (f *fleet) stopHolder(ctx context.Context, mode, pause string, kill bool) fleetResult {
	t := f.t
	gen0 := f.generation(ctx)
	holder := f.start("holder", workerOpts{mode: mode, pause: pause})
	holder.goAhead()
	holder.expect("paused")
	holder.waitStopped()
	if n := f.rdb.Exists(ctx, f.store.LockKey()).Val(); n != 1 {
		t.Fatal("the stopped holder does not hold the lease")
	}
	other := f.start("other", workerOpts{mode: mode})
	other.goAhead()
	var r fleetResult
	if kill {
		_ = holder.cmd.Process.Kill() // kill -9
		<-holder.exited
		// The other takes over when the lease expires: it succeeds, or
		// fails with invalid_grant when the holder took the only live
		// refresh token with it.
		other.nextState()
		r.others = other.finish()
	} else {
		// Wait until the other acted: it stored a token, or it was refused
		// one (the holder spent it).
		if other.nextState() == "ok" {
			f.waitGeneration(ctx, gen0+1)
		}
		_ = syscall.Kill(holder.cmd.Process.Pid, syscall.SIGCONT)
		holder.expect("resumed")
		// Both run until each has had a successful call since (or, for a
		// lost token, for good).
		waitOK(holder)
		waitOK(other)
		r.stopped, r.others = holder.finish(), other.finish()
	}
	r.othersCalls = r.others["calls"]
	r.holderLog, r.otherLog = holder.log, other.log
	r.granted, r.refused = f.tokenRequests()
	r.gen = f.generation(ctx)
	return r
}

// nextState waits for the next outcome the child prints: "ok" or "err".
func (c *child) nextState() string {
	c.t.Helper()
	for {
		if line, _ := c.expect(""); line == "ok" || strings.HasPrefix(line, "err ") {
			return c.state
		}
	}
}

// waitOK returns when the child's latest outcome is a successful call.
func waitOK(c *child) {
	c.t.Helper()
	if c.state != "ok" {
		c.expect("ok")
	}
}

// TestFleetRedisOutage: Redis goes away while 4 processes run and their
// access tokens expire, so that every process must renew, which needs the
// lock: their renewals fail with an error naming the lock and the cause;
// when Redis is back, they recover without a lost token. Redis is either
// restarted (with its data: append-only file), or stalled (SIGSTOP) for
// longer than the lease (2 s) and then continued, which expires the lease
// of anyone who held it.
func TestFleetRedisOutage(t *testing.T) {
	skipShort(t)
	t.Parallel()
	tests := []struct {
		name        string
		down, up    func(*redistest.Server)
		lease       time.Duration
		wantInError string
	}{
		{"restart", (*redistest.Server).Stop, (*redistest.Server).StartAgain, DefaultLeaseTTL, "connection refused"},
		{"stall longer than the lease", (*redistest.Server).Pause, (*redistest.Server).Resume, 2 * time.Second, "i/o timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			const procs = 4
			srv := redistest.Start(t)
			f, ctx := seededFleet(t, srv, tt.lease)
			workers := f.startAll(procs, workerOpts{})
			for _, w := range workers {
				waitOK(w)
			}
			genBefore := f.generation(ctx)
			tt.down(srv)
			f.fake.ExpireAccessTokens()
			var errs []string
			for _, w := range workers {
				line, _ := w.expect("err ")
				errs = append(errs, line)
			}
			time.Sleep(tt.lease) // a wait, not a measurement: the outage outlasts the lease
			tt.up(srv)
			for _, w := range workers {
				waitOK(w)
			}
			var ok, failed, invalidGrant int
			for _, w := range workers {
				s := w.finish()
				ok, failed, invalidGrant = ok+s["ok"], failed+s["failed"], invalidGrant+s["invalid_grant"]
			}
			granted, refused := f.tokenRequests()
			t.Logf("Redis %s: %d processes: %d calls ok, %d failed while Redis was away, %d invalid_grant; the fake granted %d tokens, refused %d; generation %d before, %d after",
				tt.name, procs, ok, failed, invalidGrant, granted, refused, genBefore, f.generation(ctx))
			t.Logf("the error a worker saw: %s", errs[0])
			for _, e := range errs {
				if !strings.Contains(e, "redisstore: locking "+f.store.LockKey()) || !strings.Contains(e, tt.wantInError) {
					t.Errorf("unclear error while Redis was away: %s", e)
				}
			}
			if invalidGrant != 0 || refused != 0 || f.generation(ctx) <= genBefore {
				t.Errorf("want no invalid_grant and a renewal saved after Redis came back")
			}
			if !f.liveRefreshToken(ctx) {
				t.Error("the stored refresh token is dead")
			}
		})
	}
}
