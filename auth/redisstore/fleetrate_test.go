//go:build linux

package redisstore

// The fleet's request budget (issue 20 item 4): 16 processes (the test
// binary re-executed, see TestMain) × 64 goroutines call the fake, which
// answers 429 with Retry-After: 1 above 50 requests a second, for a fixed
// time: once through one Limiter in Redis at 45 a second, once without
// (each process then only pauses itself on a 429). Each prints what it
// sent; the parent adds them up and prints the figures.
//
// The default run takes 3 s a phase; REDISSTORE_FLEET_SECONDS sets
// another length and REDISSTORE_FLEET_RATE the Limiter's rate, e.g. for
// the figures of docs/fleet.md:
//
//	REDISSTORE_FLEET_SECONDS=15 go test -count=1 -run TestFleetRateLimit -v ./auth/redisstore

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/oauth-jaccount/jaccount-go/api"
	"github.com/oauth-jaccount/jaccount-go/auth/redisstore/redistest"
	"github.com/oauth-jaccount/jaccount-go/jaccounttest"
)

// The rate worker's configuration, in its environment.
const (
	envRateWorker   = "REDISSTORE_TEST_RATE_WORKER" // "1" makes the test binary a rate worker
	envRateToken    = "REDISSTORE_TEST_RATE_TOKEN"  // the access token
	envRateLimit    = "REDISSTORE_TEST_RATE_LIMIT"  // requests a second through the Limiter; 0: no Limiter
	envRateRoutines = "REDISSTORE_TEST_RATE_GOROUTINES"
	envFleetSeconds = "REDISSTORE_FLEET_SECONDS"
	envFleetRate    = "REDISSTORE_FLEET_RATE" // the Limiter's rate; default 45
)

// statusCounter counts the attempts a process sends, and the 429s.
type statusCounter struct {
	sent, tooMany atomic.Int64
}

func (c *statusCounter) RoundTrip(r *http.Request) (*http.Response, error) {
	c.sent.Add(1)
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err == nil && resp.StatusCode == http.StatusTooManyRequests {
		c.tooMany.Add(1)
	}
	return resp, err
}

// rateWorker calls the API from its goroutines from "go" on stdin until
// stdin closes, then prints "summary sent=… r429=… ok=… failed=…
// stopped=…": stopped counts the calls still waiting for their turn when
// the run ended (cancelled unsent), failed every other error.
func rateWorker() error {
	rdb := redis.NewClient(&redis.Options{Addr: os.Getenv(envRedis), PoolSize: 128})
	defer rdb.Close()
	counter := &statusCounter{}
	opts := []api.Option{api.WithBaseURL(os.Getenv(envFake)), api.WithTransport(counter)}
	if perSecond, _ := strconv.ParseFloat(os.Getenv(envRateLimit), 64); perSecond > 0 {
		l, err := NewLimiter(rdb, perSecond, 1, WithKeyPrefix(os.Getenv(envPrefix)))
		if err != nil {
			return err
		}
		opts = append(opts, api.WithLimiter(l))
	}
	c, err := api.NewClient(api.StaticToken(os.Getenv(envRateToken)), opts...)
	if err != nil {
		return err
	}
	n, _ := strconv.Atoi(os.Getenv(envRateRoutines))
	stdin := bufio.NewReader(os.Stdin)
	if line, err := stdin.ReadString('\n'); err != nil || line != "go\n" {
		return fmt.Errorf("no go: %q %v", line, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), workerTimeout)
	defer cancel()
	go func() { _, _ = stdin.ReadString('\n'); cancel() }() // stdin closed: the run is over

	var ok, failed, stopped atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			for ctx.Err() == nil {
				_, err := c.Profile.Get(ctx)
				switch {
				case err == nil:
					ok.Add(1)
				case ctx.Err() != nil && errors.Is(err, context.Canceled):
					stopped.Add(1)
				default:
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
				}
			}
		})
	}
	wg.Wait()
	if e, _ := firstErr.Load().(string); e != "" {
		emit("first error: %s", e)
	}
	emit("summary sent=%d r429=%d ok=%d failed=%d stopped=%d", counter.sent.Load(), counter.tooMany.Load(), ok.Load(), failed.Load(), stopped.Load())
	return nil
}

// fleetFigures is what the processes of one phase sent, in all.
type fleetFigures struct {
	seconds                               float64
	sent, r429, ok, failed, stopped, errs int
}

func (f fleetFigures) String() string {
	return fmt.Sprintf("%.1f s: sent %d attempts (%.1f/s), %d answered 429, %d calls ok, %d failed, %d cut off unsent at the end",
		f.seconds, f.sent, float64(f.sent)/f.seconds, f.r429, f.ok, f.failed, f.stopped)
}

// runFleet runs procs rate workers of goroutines each for d, with a
// Limiter at perSecond (0: none), and adds up their summaries.
func runFleet(t *testing.T, srv *redistest.Server, fake *jaccounttest.Server, token, prefix string, procs, goroutines int, perSecond float64, d time.Duration) fleetFigures {
	t.Helper()
	type proc struct {
		cmd         *exec.Cmd
		stdin       io.WriteCloser
		out, stderr *strings.Builder
	}
	var ps []*proc
	ctx, cancel := context.WithTimeout(t.Context(), workerTimeout)
	defer cancel()
	for range procs {
		cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), envRateWorker+"=1", envRedis+"="+srv.Addr, envPrefix+"="+prefix,
			envFake+"="+fake.URL, envRateToken+"="+token, envRateLimit+"="+strconv.FormatFloat(perSecond, 'f', -1, 64),
			envRateRoutines+"="+strconv.Itoa(goroutines))
		p := &proc{cmd: cmd, out: &strings.Builder{}, stderr: &strings.Builder{}}
		cmd.Stdout, cmd.Stderr = p.out, p.stderr
		w, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		p.stdin = w
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	for _, p := range ps {
		if _, err := io.WriteString(p.stdin, "go\n"); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	time.Sleep(d)
	for _, p := range ps {
		_ = p.stdin.Close()
	}
	seconds := time.Since(start).Seconds()
	fig := fleetFigures{seconds: seconds}
	for i, p := range ps {
		if err := p.cmd.Wait(); err != nil {
			t.Fatalf("worker %d: %v\n%s", i, err, p.stderr.String())
		}
		for line := range strings.SplitSeq(p.out.String(), "\n") {
			if s, ok := strings.CutPrefix(line, "summary "); ok {
				m := parseSummary(s)
				fig.sent += m["sent"]
				fig.r429 += m["r429"]
				fig.ok += m["ok"]
				fig.failed += m["failed"]
				fig.stopped += m["stopped"]
			} else if e, ok := strings.CutPrefix(line, "first error: "); ok && fig.errs < 3 {
				fig.errs++
				t.Logf("worker %d: first error: %s", i, e)
			}
		}
	}
	return fig
}

// TestFleetRateLimit measures issue 20's figure: 16 processes × 64
// goroutines against a fake that answers 429 above 50 requests a second,
// through one Redis Limiter at 45 a second, and without it.
func TestFleetRateLimit(t *testing.T) {
	skipShort(t)
	d := 3 * time.Second
	if v := os.Getenv(envFleetSeconds); v != "" {
		s, err := strconv.Atoi(v)
		if err != nil || s <= 0 {
			t.Fatalf("%s=%q: want a whole number of seconds", envFleetSeconds, v)
		}
		d = time.Duration(s) * time.Second
	}
	const procs, goroutines, serverRate = 16, 64, 50
	limit := 45.0
	if v := os.Getenv(envFleetRate); v != "" {
		r, err := strconv.ParseFloat(v, 64)
		if err != nil || r <= 0 || r > serverRate {
			t.Fatalf("%s=%q: want a rate in (0, %d]", envFleetRate, v, serverRate)
		}
		limit = r
	}
	srv := redistest.Start(t)
	// redistest fsyncs every write (for the store's restart tests); a
	// budget in Redis writes once a request, and a disk's fsync would
	// bound the fleet's rate, not the Limiter. Production servers fsync
	// once a second, as here.
	if err := srv.Client().ConfigSet(t.Context(), "appendfsync", "everysec").Err(); err != nil {
		t.Fatal(err)
	}
	fake := jaccounttest.New(t)
	if err := fake.Inject(jaccounttest.RateLimit(time.Second).AboveRate(serverRate, time.Second)); err != nil {
		t.Fatal(err)
	}
	tok, err := fake.IssueToken(jaccounttest.StudentUsername, "basic")
	if err != nil {
		t.Fatal(err)
	}
	with := runFleet(t, srv, fake, tok.AccessToken, "fleet-rate:", procs, goroutines, limit, d)
	t.Logf("with a Limiter at %v/s: %v", limit, with)
	without := runFleet(t, srv, fake, tok.AccessToken, "fleet-none:", procs, goroutines, 0, d)
	t.Logf("without a Limiter:  %v", without)

	// The budget holds within the server's rate and its margin for the
	// start of the run; a 429 or two may come of requests the machine
	// delayed into one window; no call fails.
	if rate := float64(with.sent) / with.seconds; rate > serverRate {
		t.Errorf("with the Limiter the fleet sent %.1f/s, above the server's %d/s", rate, serverRate)
	}
	if with.failed != 0 || with.r429 > max(10, without.r429/50) {
		t.Errorf("with the Limiter: %d calls failed, %d answered 429; want none failed, 429s near 0", with.failed, with.r429)
	}
	if with.ok == 0 || without.r429 <= with.r429 {
		t.Errorf("the contrast does not show: with %v; without %v", with, without)
	}
}
