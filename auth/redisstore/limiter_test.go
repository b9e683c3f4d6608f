package redisstore_test

import (
	"context"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oauth-jaccount/jaccount-go/api"
	"github.com/oauth-jaccount/jaccount-go/auth/redisstore"
	"github.com/oauth-jaccount/jaccount-go/auth/redisstore/redistest"
)

// The limiter's tests assert lower bounds on time (never faster than the
// budget, nothing before a pause ends) and generous upper ones: a loaded
// machine makes waits longer, never shorter.

func TestNewLimiterInvalid(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	rdb := srv.Client()
	cases := []struct {
		name  string
		rate  float64
		burst int
		opts  []redisstore.Option
	}{
		{"negative rate", -1, 1, nil},
		{"NaN rate", math.NaN(), 1, nil},
		{"infinite rate", math.Inf(1), 1, nil},
		{"negative burst", 1, -1, nil},
		{"bad prefix", 1, 1, []redisstore.Option{redisstore.WithKeyPrefix("a b")}},
	}
	for _, tc := range cases {
		if _, err := redisstore.NewLimiter(rdb, tc.rate, tc.burst, tc.opts...); !errors.Is(err, redisstore.ErrInvalidOption) {
			t.Errorf("%s: NewLimiter = %v, want ErrInvalidOption", tc.name, err)
		}
	}
	if _, err := redisstore.NewLimiter(nil, 1, 1); !errors.Is(err, redisstore.ErrInvalidOption) {
		t.Errorf("nil client: %v", err)
	}
}

// TestLimiterBudget: limiters of the same prefix on separate connections
// (as separate processes have) share one budget; another prefix has its
// own; a slot past the deadline is refused at once and not taken.
func TestLimiterBudget(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	const rate, burst, n = 20.0, 2, 24
	var ls []*redisstore.Limiter
	for range 3 {
		l, err := redisstore.NewLimiter(srv.Client(), rate, burst, redisstore.WithKeyPrefix("{job}:"))
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
	}
	start := time.Now()
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if err := ls[i%len(ls)].Wait(t.Context()); err != nil {
				t.Errorf("Wait: %v", err)
			}
		})
	}
	wg.Wait()
	want := time.Duration(float64(n-burst) / rate * float64(time.Second))
	if d := time.Since(start); d < want {
		t.Errorf("%d waits at %v/s, burst %d, took %v, want at least %v", n, rate, burst, d, want)
	}

	// Another prefix has a budget of its own: one slot every 5 s. Its
	// first Wait goes at once; the next, which must end within a second,
	// is refused at once and takes no slot.
	slow, err := redisstore.NewLimiter(srv.Client(), 0.2, 1, redisstore.WithKeyPrefix("{other}:"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Second)
	defer cancel()
	if err := slow.Wait(ctx); err != nil {
		t.Errorf("another prefix's first Wait: %v", err)
	}
	for range 2 {
		var we *api.WaitError
		if err := slow.Wait(ctx); !errors.As(err, &we) || !errors.Is(err, api.ErrThrottled) || we.Paused || time.Until(we.Until) < 2*time.Second || time.Until(we.Until) > 6*time.Second {
			t.Errorf("Wait past the deadline: %v, want an *api.WaitError matching ErrThrottled, its slot some 5 s off", err)
		}
	}
	if ctx.Err() != nil {
		t.Errorf("the refusals waited for the deadline")
	}
	keys, err := srv.Client().Keys(t.Context(), "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if !strings.HasPrefix(k, "{job}:") && !strings.HasPrefix(k, "{other}:") {
			t.Errorf("key %q outside the limiters' prefixes", k)
		}
	}
}

// TestLimiterPause: a pause set through one limiter is seen by another on
// its own connection until it ends; the key expires with it; a shorter
// pause does not shorten it.
func TestLimiterPause(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	rdb := srv.Client()
	a, err := redisstore.NewLimiter(rdb, 0, 0, redisstore.WithKeyPrefix("p:"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := redisstore.NewLimiter(srv.Client(), 0, 0, redisstore.WithKeyPrefix("p:"))
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Wait(t.Context()); err != nil {
		t.Fatalf("Wait before any pause: %v", err)
	}
	start := time.Now()
	if err := a.Pause(t.Context(), start.Add(time.Second), http.StatusTooManyRequests); err != nil {
		t.Fatal(err)
	}
	if err := a.Pause(t.Context(), start.Add(100*time.Millisecond), http.StatusServiceUnavailable); err != nil {
		t.Fatal(err)
	}
	if ttl := rdb.PTTL(t.Context(), "p:pause").Val(); ttl <= 0 || ttl > time.Second {
		t.Errorf("p:pause PTTL = %v, want within (0, 1s]", ttl)
	}
	for {
		err := b.Wait(t.Context())
		if err == nil {
			break
		}
		var we *api.WaitError
		if !errors.As(err, &we) || !we.Paused || we.Status != 429 || !errors.Is(err, api.ErrRateLimited) {
			t.Fatalf("Wait during the pause: %v, want a pause of a 429", err)
		}
		time.Sleep(min(time.Until(we.Until), 100*time.Millisecond) + time.Millisecond)
	}
	if d := time.Since(start); d < time.Second {
		t.Errorf("Wait went through %v after a 1 s pause began", d)
	}
	if n := rdb.Exists(t.Context(), "p:pause").Val(); n != 0 {
		t.Errorf("p:pause still there after the pause")
	}
}

// TestLimiterPausesEveryClient is the fleet's pause in one process: two
// api.Clients with limiters of the same prefix on separate connections
// (as two processes have); a 429 with Retry-After: 1 to the first keeps
// every request of the second off the server for that second.
func TestLimiterPausesEveryClient(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	var mu sync.Mutex
	var times []time.Time
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		times = append(times, time.Now())
		first := len(times) == 1
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if first {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = w.Write([]byte(`{"errno":-1,"error":"slow down"}`))
			return
		}
		_, _ = w.Write([]byte(`{"errno":0,"error":"success","total":1,"entities":[{"account":"alice"}]}`))
	}))
	defer ts.Close()
	newClient := func() *api.Client {
		l, err := redisstore.NewLimiter(srv.Client(), 1000, 100, redisstore.WithKeyPrefix("fleet:"))
		if err != nil {
			t.Fatal(err)
		}
		c, err := api.NewClient(api.StaticToken("tok"), api.WithBaseURL(ts.URL), api.WithLimiter(l),
			api.WithRetryPolicy(api.RetryPolicy{MaxAttempts: 1, MaxWait: 5 * time.Second}))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	first, second := newClient(), newClient()
	if _, err := first.Profile.Get(t.Context()); !errors.Is(err, api.ErrRateLimited) {
		t.Fatalf("first call: %v, want the 429", err)
	}
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			if _, err := second.Profile.Get(t.Context()); err != nil {
				t.Errorf("second client's call: %v", err)
			}
		})
	}
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if len(times) != 33 {
		t.Errorf("server saw %d requests, want 33", len(times))
	}
	for i, at := range times[1:] {
		if d := at.Sub(times[0]); d < time.Second {
			t.Errorf("request %d of the other client came %v after the 429, within its Retry-After: 1", i+2, d)
		}
	}
}
