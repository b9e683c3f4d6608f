package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oauth-jaccount/jaccount-go/jaccounttest"
)

// The load figure of issue 20: two instances behind the round-robin proxy,
// loadClients browsers (Go HTTP clients with cookie jars, each signed in
// through the fake), each fetching a page behind RequireUser (/account:
// the session check and the page, no API call) as fast as it can, for
// loadDuration with the Redis stores and loadDuration with cookie sessions
// (in-memory revocations and tokens per instance), in one run. The two
// fleets run side by side and take turns in slices of a third of
// loadDuration, in the order ABBAAB, so that a machine whose load changes
// (other work on it) weighs on both alike. It takes about 80 s, so it runs
// only with JACCOUNT_LOAD=1:
//
//	JACCOUNT_LOAD=1 go test -run '^TestLoad$' -v -timeout 10m ./webapp/
//
// JACCOUNT_LOAD_CLIENTS and JACCOUNT_LOAD_DURATION override the defaults.
const (
	loadClients  = 200
	loadDuration = 30 * time.Second
	loadPath     = "/account"
	// loadLogins is how many clients log in at once before the run.
	loadLogins = 16
)

func TestLoad(t *testing.T) {
	if os.Getenv("JACCOUNT_LOAD") == "" {
		t.Skip("the load figure takes about 80 s; run it with JACCOUNT_LOAD=1")
	}
	clients, duration := loadClients, loadDuration
	if n, err := strconv.Atoi(os.Getenv("JACCOUNT_LOAD_CLIENTS")); err == nil && n > 0 {
		clients = n
	}
	if d, err := time.ParseDuration(os.Getenv("JACCOUNT_LOAD_DURATION")); err == nil && d > 0 {
		duration = d
	}
	runs := []*loadRun{{mode: "redis stores"}, {mode: "cookie sessions"}}
	for _, r := range runs {
		r.fleet = newFleet(t, 2, r.mode == "redis stores")
		// The proxy keeps as many idle connections to each instance as
		// there are clients, as a production balancer would.
		r.fleet.proxy.rp.Transport = newLoadTransport(clients)
		r.signIn(t, clients)
	}
	for _, i := range []int{0, 1, 1, 0, 0, 1} {
		runs[i].measure(t, duration/3)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "2 instances behind a round-robin proxy, %d clients, GET %s for %v per mode (3 slices each, ABBAAB)\n",
		clients, loadPath, duration)
	fmt.Fprintf(&b, "%-16s %9s %8s %7s %9s %9s %9s  %-24s %s\n", "sessions", "requests", "req/s", "errors", "p50", "p99", "max",
		"load avg after slices", "per instance")
	for _, r := range runs {
		slices.Sort(r.latencies)
		n := len(r.latencies)
		if n == 0 {
			t.Fatalf("%s: no request", r.mode)
		}
		fmt.Fprintf(&b, "%-16s %9d %8.0f %7d %9s %9s %9s  %-24s %v\n", r.mode, n, float64(n)/r.elapsed.Seconds(), r.errors,
			r.latencies[n/2].Round(10*time.Microsecond), r.latencies[n*99/100].Round(10*time.Microsecond),
			r.latencies[n-1].Round(10*time.Microsecond), strings.Join(r.loads, " "), r.perInstance())
	}
	t.Log("\n" + b.String())
	for _, r := range runs {
		if r.errors != 0 {
			t.Errorf("%s: %d errors, first: %s", r.mode, r.errors, r.firstError)
		}
	}
}

// loadRun is one mode's fleet, its signed-in clients and what they
// measured.
type loadRun struct {
	mode       string
	fleet      *fleet
	browsers   []*http.Client
	latencies  []time.Duration
	elapsed    time.Duration
	errors     int
	firstError string
	loads      []string       // the 1-minute load average after each slice
	signedIn   map[string]int // the proxy's counts when the clients were signed in
}

func newLoadTransport(clients int) *http.Transport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = 2 * clients
	tr.MaxIdleConnsPerHost = clients
	return tr
}

// signIn makes the clients, each with its cookie jar, and signs each in
// through the proxy and the fake, loadLogins at a time.
func (r *loadRun) signIn(t *testing.T, clients int) {
	t.Helper()
	tr := newLoadTransport(clients)
	r.browsers = make([]*http.Client, clients)
	sem := make(chan struct{}, loadLogins)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var loginErr error
	for i := range r.browsers {
		jar, _ := cookiejar.New(nil)
		r.browsers[i] = &http.Client{Jar: jar, Transport: tr, Timeout: time.Minute,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			if err := loadLogin(t.Context(), r.fleet, r.browsers[i]); err != nil {
				mu.Lock()
				loginErr = err
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if loginErr != nil {
		t.Fatalf("%s: login: %v\n%s", r.mode, loginErr, r.fleet.logs())
	}
	r.signedIn = r.fleet.proxy.counts()
}

// perInstance returns the requests each instance served since the
// clients were signed in.
func (r *loadRun) perInstance() map[string]int {
	m := r.fleet.proxy.counts()
	for name, n := range r.signedIn {
		m[name] -= n
	}
	return m
}

// measure has every client fetch the page in a loop for d, and records
// the latency of every request.
func (r *loadRun) measure(t *testing.T, d time.Duration) {
	t.Helper()
	var wg sync.WaitGroup
	var mu sync.Mutex
	latencies := make([][]time.Duration, len(r.browsers))
	errors, first := 0, ""
	start := time.Now()
	stop := start.Add(d)
	for i, c := range r.browsers {
		wg.Go(func() {
			lat := make([]time.Duration, 0, 1024)
			for time.Now().Before(stop) {
				began := time.Now()
				err := loadFetch(t.Context(), c, r.fleet.url+loadPath)
				lat = append(lat, time.Since(began))
				if err != nil {
					mu.Lock()
					if errors++; first == "" {
						first = err.Error()
					}
					mu.Unlock()
				}
			}
			latencies[i] = lat
		})
	}
	wg.Wait()
	took := time.Since(start)
	all := slices.Concat(latencies...)
	r.latencies = append(r.latencies, all...)
	r.elapsed += took
	r.errors += errors
	r.firstError = cmp.Or(r.firstError, first)
	r.loads = append(r.loads, strings.Split(loadAverage(), "/")[0])
	t.Logf("%s: %d requests in %v, %d errors", r.mode, len(all), took.Round(time.Millisecond), errors)
}

// loadLogin signs the client in through the proxy and the fake.
func loadLogin(ctx context.Context, f *fleet, c *http.Client) error {
	resp, err := c.Get(f.url + "/jaccount/login?next=" + loadPath)
	if err != nil {
		return err
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		return fmt.Errorf("login: %d", resp.StatusCode)
	}
	cb, err := f.fake.Login(ctx, c, resp.Header.Get("Location"), jaccounttest.StudentUsername, jaccounttest.StudentPassword)
	if err != nil {
		return err
	}
	resp, err = c.Get(cb.String())
	if err != nil {
		return err
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != loadPath {
		return fmt.Errorf("callback: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	return loadFetch(ctx, c, f.url+loadPath)
}

// loadFetch fetches the signed-in page and checks it is.
func loadFetch(ctx context.Context, c *http.Client, u string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `<span id="name">张三</span>`) {
		return fmt.Errorf("GET %s: %d, not the signed-in page", u, resp.StatusCode)
	}
	return nil
}

// loadAverage returns /proc/loadavg's first three fields, or "unknown".
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], "/")
	}
	return "unknown"
}
