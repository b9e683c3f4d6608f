package main

import (
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
// the session check and the page, no API call) as fast as it can for
// loadDuration, once with the Redis stores and once with cookie sessions
// (in-memory revocations and tokens per instance), one after the other in
// one run. It takes about 70 s, so it runs only with JACCOUNT_LOAD=1:
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
		t.Skip("the load figure takes about 70 s; run it with JACCOUNT_LOAD=1")
	}
	clients, duration := loadClients, loadDuration
	if n, err := strconv.Atoi(os.Getenv("JACCOUNT_LOAD_CLIENTS")); err == nil && n > 0 {
		clients = n
	}
	if d, err := time.ParseDuration(os.Getenv("JACCOUNT_LOAD_DURATION")); err == nil && d > 0 {
		duration = d
	}
	var results []loadResult
	for _, mode := range []string{"redis stores", "cookie sessions"} {
		f := newFleet(t, 2, mode == "redis stores")
		// The proxy keeps as many idle connections to each instance as
		// there are clients, as a production balancer would.
		f.proxy.rp.Transport = newLoadTransport(clients)
		r := runLoad(t, f, mode, clients, duration)
		results = append(results, r)
		for _, in := range f.insts {
			f.stop(in)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "2 instances behind a round-robin proxy, %d clients, GET %s for %v per mode\n", clients, loadPath, duration)
	fmt.Fprintf(&b, "%-16s %9s %8s %7s %9s %9s %9s  %-14s %s\n", "sessions", "requests", "req/s", "errors", "p50", "p99", "max", "load avg after", "per instance")
	for _, r := range results {
		fmt.Fprintf(&b, "%-16s %9d %8.0f %7d %9s %9s %9s  %-14s %v\n", r.mode, r.requests, float64(r.requests)/r.elapsed.Seconds(),
			r.errors, r.p50.Round(10*time.Microsecond), r.p99.Round(10*time.Microsecond), r.max.Round(10*time.Microsecond), r.load, r.perInstance)
	}
	t.Log("\n" + b.String())
	for _, r := range results {
		if r.errors != 0 {
			t.Errorf("%s: %d errors, first: %s", r.mode, r.errors, r.firstError)
		}
	}
}

// loadResult is one mode's figure.
type loadResult struct {
	mode          string
	requests      int
	errors        int
	firstError    string
	elapsed       time.Duration
	p50, p99, max time.Duration
	load          string // the load average at the end
	perInstance   map[string]int
}

func newLoadTransport(clients int) *http.Transport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = 2 * clients
	tr.MaxIdleConnsPerHost = clients
	return tr
}

// runLoad signs the clients in, then has each fetch the page in a loop for
// duration, and measures every request.
func runLoad(t *testing.T, f *fleet, mode string, clients int, duration time.Duration) loadResult {
	t.Helper()
	tr := newLoadTransport(clients)
	browsers := make([]*http.Client, clients)
	sem := make(chan struct{}, loadLogins)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var loginErr error
	for i := range browsers {
		jar, _ := cookiejar.New(nil)
		browsers[i] = &http.Client{Jar: jar, Transport: tr, Timeout: time.Minute,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			if err := loadLogin(t.Context(), f, browsers[i]); err != nil {
				mu.Lock()
				loginErr = err
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if loginErr != nil {
		t.Fatalf("%s: login: %v\n%s", mode, loginErr, f.logs())
	}
	before := f.proxy.counts()

	res := loadResult{mode: mode}
	latencies := make([][]time.Duration, clients)
	start := time.Now()
	stop := start.Add(duration)
	for i, c := range browsers {
		wg.Go(func() {
			lat := make([]time.Duration, 0, 4096)
			for time.Now().Before(stop) {
				began := time.Now()
				err := loadFetch(t.Context(), c, f.url+loadPath)
				lat = append(lat, time.Since(began))
				if err != nil {
					mu.Lock()
					if res.errors++; res.firstError == "" {
						res.firstError = err.Error()
					}
					mu.Unlock()
				}
			}
			latencies[i] = lat
		})
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	res.load = loadAverage()
	all := slices.Concat(latencies...)
	slices.Sort(all)
	res.requests = len(all)
	if len(all) > 0 {
		res.p50, res.p99, res.max = all[len(all)/2], all[len(all)*99/100], all[len(all)-1]
	}
	res.perInstance = map[string]int{}
	for name, n := range f.proxy.counts() {
		res.perInstance[name] = n - before[name]
	}
	t.Logf("%s: %d requests in %v, %d errors, p50 %v, p99 %v", mode, res.requests, res.elapsed, res.errors, res.p50, res.p99)
	return res
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
