package api_test

import (
	"context"
	"errors"
	"math"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oauth-jaccount/jaccount-go/api"
)

// The tests of the client's request budget (limit.go) assert lower bounds
// only (no request before a pause ends, no faster than the rate): a loaded
// machine makes calls slower, never faster. Upper bounds are generous.

func TestRateLimitOptions(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		opt  api.Option
		ok   bool
	}{
		{"zero rate: no limit", api.WithRateLimit(0, 0), true},
		{"rate and burst", api.WithRateLimit(2.5, 3), true},
		{"zero burst means 1", api.WithRateLimit(1, 0), true},
		{"negative rate", api.WithRateLimit(-1, 1), false},
		{"NaN rate", api.WithRateLimit(math.NaN(), 1), false},
		{"infinite rate", api.WithRateLimit(math.Inf(1), 1), false},
		{"negative burst", api.WithRateLimit(1, -1), false},
		{"nil limiter: none", api.WithLimiter(nil), true},
		{"a limiter", api.WithLimiter(&fakeLimiter{}), true},
	}
	for _, tc := range cases {
		_, err := api.NewClient(api.StaticToken(testToken), tc.opt)
		if tc.ok != (err == nil) || (err != nil && !errors.Is(err, api.ErrInvalidOption)) {
			t.Errorf("%s: NewClient = %v", tc.name, err)
		}
	}
}

// stamped records when each request reached the server, and answers the
// first with status and Retry-After: 1, the others with a profile.
type stamped struct {
	mu     sync.Mutex
	times  []time.Time
	status int
}

func (s *stamped) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.times = append(s.times, time.Now())
	first := len(s.times) == 1
	s.mu.Unlock()
	if first {
		withRetryAfter(s.status, "1").ServeHTTP(w, r)
		return
	}
	reply(200, "application/json", okProfile).ServeHTTP(w, r)
}

// TestPauseOn429 is issue 20's: one 429 (or 503) with Retry-After: 1 to
// one call pauses the whole client, its WithTokenSource copies included:
// none of the calls of many goroutines reaches the server within that
// second, and all of them succeed after it.
func TestPauseOn429(t *testing.T) {
	t.Parallel()
	for _, status := range []int{http.StatusTooManyRequests, http.StatusServiceUnavailable} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			t.Parallel()
			h := &stamped{status: status}
			s := newServer(t, h)
			c := newClient(t, s, api.WithRetryPolicy(api.RetryPolicy{MaxAttempts: 4, MinWait: time.Millisecond, MaxWait: 5 * time.Second, Budget: time.Minute}))
			cp := c.WithTokenSource(api.StaticToken(testToken))
			// One attempt: the 429 comes back at once, and the client is
			// paused for a second.
			_, err := c.Profile.Get(t.Context(), api.WithRetryPolicy(api.RetryPolicy{MaxAttempts: 1}))
			if !errors.Is(err, api.ErrServerError) && !errors.Is(err, api.ErrRateLimited) {
				t.Fatalf("first call: %v, want the %d", err, status)
			}
			h.mu.Lock()
			paused := h.times[0]
			h.mu.Unlock()
			var wg sync.WaitGroup
			var failed atomic.Int64
			for i := range 64 {
				cl := c
				if i%2 == 1 {
					cl = cp
				}
				wg.Go(func() {
					for range 3 {
						if _, err := cl.Profile.Get(t.Context()); err != nil {
							failed.Add(1)
							t.Errorf("call: %v", err)
						}
					}
				})
			}
			wg.Wait()
			h.mu.Lock()
			defer h.mu.Unlock()
			if n := len(h.times); n != 1+64*3 {
				t.Errorf("server saw %d requests, want %d", n, 1+64*3)
			}
			for i, at := range h.times[1:] {
				if d := at.Sub(paused); d < time.Second {
					t.Errorf("request %d reached the server %v after the %d, within its Retry-After: 1", i+2, d, status)
				}
			}
		})
	}
}

// TestRateLimit: n calls at rate r with burst b, from goroutines of a
// client and of its WithTokenSource copy, take at least (n-b)/r.
func TestRateLimit(t *testing.T) {
	t.Parallel()
	cases := []struct {
		rate  float64
		burst int
		n     int
	}{
		{rate: 20, burst: 1, n: 16},
		{rate: 40, burst: 10, n: 40},
	}
	for _, tc := range cases {
		t.Run("", func(t *testing.T) {
			t.Parallel()
			s := newServer(t, nil)
			c := newClient(t, s, api.WithRateLimit(tc.rate, tc.burst))
			cp := c.WithTokenSource(api.StaticToken(testToken))
			start := time.Now()
			var wg sync.WaitGroup
			for i := range tc.n {
				cl := c
				if i%2 == 1 {
					cl = cp
				}
				wg.Go(func() {
					if _, err := cl.Profile.Get(t.Context()); err != nil {
						t.Errorf("call: %v", err)
					}
				})
			}
			wg.Wait()
			// The limiter's clock starts with a full bucket: the first
			// burst calls go at once, each of the others a 1/rate later.
			want := time.Duration(float64(tc.n-tc.burst) / tc.rate * float64(time.Second))
			if d := time.Since(start); d < want {
				t.Errorf("%d calls at %v/s, burst %d, took %v, want at least %v", tc.n, tc.rate, tc.burst, d, want)
			}
			if got := s.requests.Load(); got != int64(tc.n) {
				t.Errorf("server saw %d requests, want %d", got, tc.n)
			}
		})
	}
}

// TestWaitPastDeadlineRefused: a call whose turn (under the rate, or after
// a pause) would come after its deadline fails at once, sends nothing, and
// is not OutcomeUnknown, even when it is not idempotent.
func TestWaitPastDeadlineRefused(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		handler http.Handler // the first call's answer
		opts    []api.Option
		is      []error
		notIs   error
	}{
		{name: "rate", handler: reply(200, "application/json", okProfile),
			opts: []api.Option{api.WithRateLimit(0.1, 1)},
			is:   []error{api.ErrThrottled}, notIs: api.ErrPaused},
		{name: "paused by 429", handler: withRetryAfter(429, "30"),
			opts: []api.Option{api.WithRetryPolicy(api.RetryPolicy{MaxAttempts: 1, MaxWait: time.Minute})},
			is:   []error{api.ErrPaused, api.ErrRateLimited}, notIs: api.ErrThrottled},
		{name: "paused by 503", handler: withRetryAfter(503, "30"),
			opts: []api.Option{api.WithRetryPolicy(api.RetryPolicy{MaxAttempts: 1, MaxWait: time.Minute})},
			is:   []error{api.ErrPaused}, notIs: api.ErrRateLimited},
		{name: "pause beyond MaxWait", handler: withRetryAfter(429, "30"),
			opts: []api.Option{api.WithRetryPolicy(api.RetryPolicy{MaxAttempts: 1, MaxWait: time.Second})},
			is:   []error{api.ErrPaused}, notIs: api.ErrThrottled},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newServer(t, tc.handler)
			c := newClient(t, s, tc.opts...)
			_, _ = c.Profile.Get(t.Context()) // spends the turn, or sees the pause
			if n := s.requests.Load(); n != 1 {
				t.Fatalf("first call: %d requests, want 1", n)
			}
			for _, call := range []struct {
				name string
				do   func(ctx context.Context, opts ...api.CallOption) error
			}{
				{"GET", func(ctx context.Context, opts ...api.CallOption) error {
					_, err := c.Profile.Get(ctx, opts...)
					return err
				}},
				{"PUT /v1/notification", func(ctx context.Context, opts ...api.CallOption) error {
					return c.Do(ctx, http.MethodPut, "/v1/notification", nil, map[string]any{"title": "x"}, nil, opts...)
				}},
			} {
				for _, bound := range []string{"context", "WithTimeout"} {
					ctx := t.Context()
					var opts []api.CallOption
					if bound == "context" {
						var cancel context.CancelFunc
						ctx, cancel = context.WithTimeout(ctx, 5*time.Second)
						defer cancel()
					} else {
						opts = append(opts, api.WithTimeout(5*time.Second))
					}
					start := time.Now()
					err := call.do(ctx, opts...)
					if d := time.Since(start); d > 4*time.Second {
						t.Errorf("%s (%s): refused after %v, want at once", call.name, bound, d)
					}
					for _, target := range tc.is {
						if !errors.Is(err, target) {
							t.Errorf("%s (%s): %v, want it to match %v", call.name, bound, err, target)
						}
					}
					var e *api.Error
					var we *api.WaitError
					switch {
					case errors.Is(err, tc.notIs) || errors.Is(err, context.DeadlineExceeded):
						t.Errorf("%s (%s): %v matches %v", call.name, bound, err, tc.notIs)
					case !errors.As(err, &e) || !errors.As(err, &we):
						t.Errorf("%s (%s): %T %v, want an *api.Error wrapping an *api.WaitError", call.name, bound, err, err)
					case e.OutcomeUnknown || errors.Is(err, api.ErrOutcomeUnknown) || e.Attempts != 0 || e.StatusCode != 0:
						t.Errorf("%s (%s): %+v, want no attempt, no status, outcome known", call.name, bound, e)
					case we.Paused && (e.RetryAfter <= 0 || e.RetryAfter > 30*time.Second || time.Until(we.Until) <= 0):
						t.Errorf("%s (%s): RetryAfter %v, Until %v", call.name, bound, e.RetryAfter, we.Until)
					}
				}
			}
			if n := s.requests.Load(); n != 1 {
				t.Errorf("server saw %d requests, want only the first", n)
			}
		})
	}
}

// TestNotIdempotent429: a send answered 429 is not repeated (a non-
// idempotent call is never retried once answered, as before), its outcome
// is known (a 4xx: not acted), and the client is paused all the same.
func TestNotIdempotent429(t *testing.T) {
	t.Parallel()
	h := &stamped{status: http.StatusTooManyRequests}
	s := newServer(t, h)
	c := newClient(t, s, api.WithRetryPolicy(api.RetryPolicy{MaxAttempts: 4, MinWait: time.Millisecond, MaxWait: 5 * time.Second}))
	err := c.Do(t.Context(), http.MethodPut, "/v1/notification", nil, map[string]any{"title": "x"}, nil)
	var e *api.Error
	if !errors.As(err, &e) || !errors.Is(err, api.ErrRateLimited) || e.OutcomeUnknown || e.Attempts != 1 {
		t.Fatalf("PUT answered 429: %v (%+v), want ErrRateLimited after one attempt, outcome known", err, e)
	}
	if n := s.requests.Load(); n != 1 {
		t.Fatalf("PUT answered 429 sent %d times, want 1", n)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	if _, err := c.Profile.Get(ctx); !errors.Is(err, api.ErrPaused) {
		t.Errorf("GET within the pause: %v, want ErrPaused", err)
	}
	if n := s.requests.Load(); n != 1 {
		t.Errorf("server saw %d requests, want 1", n)
	}
}

// TestRetryRefusedTurnGivesLastAnswer: a retry whose turn under the rate
// would come after the deadline is not waited for; the caller gets the
// last answer, a 503, not a wait error.
func TestRetryRefusedTurnGivesLastAnswer(t *testing.T) {
	t.Parallel()
	s := newServer(t, reply(503, "text/html", "<h1>503</h1>"))
	c := newClient(t, s, api.WithRateLimit(0.2, 1))
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
	defer cancel()
	start := time.Now()
	_, err := c.Profile.Get(ctx)
	var e *api.Error
	var we *api.WaitError
	if !errors.As(err, &e) || e.StatusCode != 503 || e.Attempts != 1 || errors.As(err, &we) || errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Get = %v, want the 503 after one attempt", err)
	}
	if d := time.Since(start); d > 2500*time.Millisecond {
		t.Errorf("gave up after %v, want at once", d)
	}
	if n := s.requests.Load(); n != 1 {
		t.Errorf("server saw %d requests, want 1", n)
	}
}

// fakeLimiter is a Limiter that records its calls; pausedUntil, when set,
// makes Wait report a pause.
type fakeLimiter struct {
	mu          sync.Mutex
	waits       int
	pauses      []int
	pausedUntil time.Time
	err         error
}

func (l *fakeLimiter) Wait(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.waits++
	if l.err != nil {
		return l.err
	}
	if time.Now().Before(l.pausedUntil) {
		return &api.WaitError{Until: l.pausedUntil, Paused: true, Status: 429}
	}
	return nil
}

func (l *fakeLimiter) Pause(ctx context.Context, until time.Time, status int) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.pauses = append(l.pauses, status)
	if until.After(l.pausedUntil) {
		l.pausedUntil = until
	}
	return nil
}

// TestLimiter: a shared Limiter is asked before every attempt, told of
// the pauses the server asks for, and heard when it reports a pause
// another process saw; its failure fails the call unsent.
func TestLimiter(t *testing.T) {
	t.Parallel()
	t.Run("asked and told", func(t *testing.T) {
		t.Parallel()
		s := newServer(t, sequence(withRetryAfter(429, "1"), reply(200, "application/json", okProfile)))
		l := &fakeLimiter{}
		c := newClient(t, s, api.WithLimiter(l), api.WithRetryPolicy(api.RetryPolicy{MaxAttempts: 2, MinWait: time.Millisecond, MaxWait: 5 * time.Second}))
		if _, err := c.Profile.Get(t.Context()); err != nil {
			t.Fatal(err)
		}
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.waits != 2 || len(l.pauses) != 1 || l.pauses[0] != 429 {
			t.Errorf("limiter: %d waits, pauses %v; want 2 waits, one pause of a 429", l.waits, l.pauses)
		}
	})
	t.Run("another process's pause", func(t *testing.T) {
		t.Parallel()
		s := newServer(t, nil)
		l := &fakeLimiter{pausedUntil: time.Now().Add(time.Second)}
		c := newClient(t, s, api.WithLimiter(l), api.WithRetryPolicy(api.RetryPolicy{MaxWait: 5 * time.Second}))
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		defer cancel()
		if _, err := c.Profile.Get(ctx); !errors.Is(err, api.ErrPaused) || !errors.Is(err, api.ErrRateLimited) {
			t.Errorf("Get within the limiter's pause, deadline before its end: %v, want ErrPaused", err)
		}
		start := time.Now()
		if _, err := c.Profile.Get(t.Context()); err != nil {
			t.Errorf("Get: %v", err)
		}
		l.mu.Lock()
		until := l.pausedUntil
		l.mu.Unlock()
		if d := time.Since(start); time.Now().Before(until) {
			t.Errorf("Get returned after %v, before the limiter's pause ended", d)
		}
		if n := s.requests.Load(); n != 1 {
			t.Errorf("server saw %d requests, want 1", n)
		}
	})
	t.Run("limiter fails", func(t *testing.T) {
		t.Parallel()
		s := newServer(t, nil)
		boom := errors.New("limiter store unreachable")
		c := newClient(t, s, api.WithLimiter(&fakeLimiter{err: boom}))
		err := c.Do(t.Context(), http.MethodPut, "/v1/notification", nil, map[string]any{"title": "x"}, nil)
		var e *api.Error
		if !errors.Is(err, boom) || !errors.As(err, &e) || e.OutcomeUnknown || e.Attempts != 0 {
			t.Errorf("PUT with a failing limiter: %v, want its error, unsent, outcome known", err)
		}
		if n := s.requests.Load(); n != 0 {
			t.Errorf("server saw %d requests, want 0", n)
		}
	})
}
