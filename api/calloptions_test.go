package api_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oauth-jaccount/jaccount-go/api"
)

// headersSeen records a header of every request a server gets.
type headersSeen struct {
	mu   sync.Mutex
	seen []string
}

func (h *headersSeen) wrap(key string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		h.seen = append(h.seen, strings.Join(r.Header.Values(key), "|"))
		h.mu.Unlock()
		next.ServeHTTP(w, r)
	})
}

func (h *headersSeen) all() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.seen...)
}

// TestWithResponseInto: the metadata of a success and of every kind of
// failure, with the headers that may carry a secret left out.
func TestWithResponseInto(t *testing.T) {
	t.Parallel()
	leaky := func(status int, body string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h := w.Header()
			h.Set("Content-Type", "application/json")
			h.Set("X-Request-Id", "req-42")
			h.Set("Set-Cookie", "JSESSIONID=secret-session")
			h.Set("X-Session-Id", "secret-session-2")
			h.Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			h.Set("X-Echo", "you sent "+r.Header.Get("Authorization")) // a hostile server
			h.Set("Link", "<https://example.invalid/?access_token=abcdef0123456789>")
			w.WriteHeader(status)
			_, _ = w.Write([]byte(body))
		})
	}
	page := `{"errno":0,"error":"success","total":42,"nextToken":"tok-next","entities":[{"name":"c1"}]}`
	unavailable := reply(503, "text/html", "<h1>503</h1>")
	cases := []struct {
		name     string
		handler  http.Handler
		call     func(c *api.Client, o api.CallOption) error
		status   int
		total    int64
		next     string
		attempts int
		is       error // nil: success
	}{
		{name: "success after a retry", handler: sequence(unavailable, leaky(200, page)),
			call: func(c *api.Client, o api.CallOption) error {
				_, err := c.Circles.List(t.Context(), api.CirclesListParams{}, o)
				return err
			}, status: 200, total: 42, next: "tok-next", attempts: 2},
		{name: "errno failure", handler: leaky(200, `{"errno":10001,"error":"BAD_PARAMETERS","total":0}`),
			call: func(c *api.Client, o api.CallOption) error {
				_, err := c.Profile.Get(t.Context(), o)
				return err
			}, status: 200, attempts: 1, is: api.ErrAPI},
		{name: "404 via Get", handler: leaky(404, `{"errno":404,"error":"no such API","total":7}`),
			call: func(c *api.Client, o api.CallOption) error {
				_, err := api.Get[api.Profile](t.Context(), c, "/v1/nowhere", nil, o)
				return err
			}, status: 404, total: 7, attempts: 1, is: api.ErrNotFound},
		{name: "503 forever via Do", handler: unavailable,
			call: func(c *api.Client, o api.CallOption) error {
				return c.Do(t.Context(), http.MethodGet, "/v1/me/profile", nil, nil, nil, o)
			}, status: 503, attempts: 4, is: api.ErrServerError},
		{name: "no reply", handler: hangUp,
			call: func(c *api.Client, o api.CallOption) error {
				_, err := api.GetList[api.Lesson](t.Context(), c, "/v1/me/lessons", url.Values{"x": {"1"}}, o)
				return err
			}, status: 0, attempts: 4},
		{name: "blob", handler: reply(200, "image/png", "\x89PNG"),
			call: func(c *api.Client, o api.CallOption) error {
				_, err := c.File.GetThumbnail(t.Context(), "f1", "10x10", o)
				return err
			}, status: 200, attempts: 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := newClient(t, newServer(t, tc.handler))
			var r api.Response
			t0 := time.Now()
			err := tc.call(c, api.WithResponseInto(&r))
			took := time.Since(t0)
			switch {
			case tc.is == nil && tc.status != 0 && err != nil:
				t.Fatalf("call failed: %v", err)
			case tc.is != nil && !errors.Is(err, tc.is):
				t.Fatalf("err = %v, want %v", err, tc.is)
			case tc.status == 0 && err == nil:
				t.Fatal("call succeeded without a reply")
			}
			if r.StatusCode != tc.status || r.Total != tc.total || r.NextToken != tc.next || r.Attempts != tc.attempts {
				t.Errorf("Response = {status %d, total %d, next %q, attempts %d}, want {%d, %d, %q, %d}",
					r.StatusCode, r.Total, r.NextToken, r.Attempts, tc.status, tc.total, tc.next, tc.attempts)
			}
			if r.Duration <= 0 || r.Duration > took {
				t.Errorf("Duration %v, want in (0, %v]", r.Duration, took)
			}
			if tc.status == 0 {
				if r.Header != nil {
					t.Errorf("Header %v without a reply", r.Header)
				}
				return
			}
			if r.Header.Get("Content-Type") == "" {
				t.Errorf("Header lost Content-Type: %v", r.Header)
			}
			if tc.name != "blob" && !strings.Contains(tc.name, "503") && r.Header.Get("X-Request-Id") != "req-42" {
				t.Errorf("Header lost X-Request-Id: %v", r.Header)
			}
			for k, vs := range r.Header {
				text := k + ": " + strings.Join(vs, ", ")
				for _, secret := range []string{"secret-session", testToken, "abcdef0123456789", "invalid_token"} {
					if strings.Contains(text, secret) {
						t.Errorf("Header holds %q: %s", secret, text)
					}
				}
			}
		})
	}
}

// TestWithTimeout: the call ends by its timeout, retries and waits
// included, whatever the server does: an attempt still running then is cut
// off, with an error that says so and matches context.DeadlineExceeded,
// and a retry whose wait would pass the timeout is not started (the last
// answer comes back at once). A client-wide WithTimeout is every call's,
// and a call's own replaces it.
func TestWithTimeout(t *testing.T) {
	t.Parallel()
	const d = 300 * time.Millisecond
	slowRetries := api.WithRetryPolicy(api.RetryPolicy{MaxAttempts: 100, MinWait: 40 * time.Millisecond, MaxWait: 40 * time.Millisecond, Budget: time.Hour})
	cases := []struct {
		name       string
		handler    http.Handler
		clientOpts []api.Option
		callOpts   []api.CallOption
		is         error         // what the error matches
		earliest   time.Duration // the call's end, at the soonest
	}{
		{name: "server stalls", handler: stall(10*time.Second, false), callOpts: []api.CallOption{api.WithTimeout(d)},
			is: context.DeadlineExceeded, earliest: d},
		{name: "body stalls", handler: stall(10*time.Second, true), callOpts: []api.CallOption{api.WithTimeout(d)},
			is: context.DeadlineExceeded, earliest: d},
		{name: "the client's", handler: stall(10*time.Second, false), clientOpts: []api.Option{api.WithTimeout(d)},
			is: context.DeadlineExceeded, earliest: d},
		{name: "the call's replaces the client's", handler: stall(10*time.Second, false),
			clientOpts: []api.Option{api.WithTimeout(time.Minute)}, callOpts: []api.CallOption{api.WithTimeout(d)},
			is: context.DeadlineExceeded, earliest: d},
		// Retried until the next wait (40 ms) would pass the timeout.
		{name: "503 forever, retried", handler: reply(503, "", ""), clientOpts: []api.Option{slowRetries},
			callOpts: []api.CallOption{api.WithTimeout(d)}, is: api.ErrServerError, earliest: d - 40*time.Millisecond},
		{name: "attempts of 50 ms, retried", handler: stall(10*time.Second, false), clientOpts: []api.Option{slowRetries},
			callOpts: []api.CallOption{api.WithTimeout(d), api.WithAttemptTimeout(50 * time.Millisecond)},
			is:       context.DeadlineExceeded, earliest: d - 90*time.Millisecond},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newServer(t, tc.handler)
			c := newClient(t, s, tc.clientOpts...)
			var r api.Response
			t0 := time.Now()
			_, err := c.Profile.Get(t.Context(), append(tc.callOpts, api.WithResponseInto(&r))...)
			took := time.Since(t0)
			var e *api.Error
			if !errors.As(err, &e) || !errors.Is(err, tc.is) {
				t.Fatalf("err = %v, want an *api.Error matching %v", err, tc.is)
			}
			if tc.earliest == d && !strings.Contains(err.Error(), "call timed out after "+d.String()+" (WithTimeout)") {
				t.Errorf("err = %v, want it to name the timeout", err)
			}
			// Exact: never after the timeout (but for the scheduling of a
			// loaded machine).
			if took < tc.earliest || took > d+100*time.Millisecond {
				t.Errorf("the call took %v, want %v to %v", took, tc.earliest, d)
			}
			if r.Duration < tc.earliest || r.Duration > took || r.Attempts < 1 {
				t.Errorf("Response %+v", r)
			}
			t.Logf("%v after %d attempt(s): %v", took.Round(time.Millisecond), r.Attempts, err)
		})
	}
	t.Run("the caller's deadline first", func(t *testing.T) {
		t.Parallel()
		c := newClient(t, newServer(t, stall(10*time.Second, false)))
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		defer cancel()
		_, err := c.Profile.Get(ctx, api.WithTimeout(time.Minute))
		if !errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "WithTimeout") {
			t.Errorf("err = %v, want the caller's deadline, not the call's timeout", err)
		}
	})
}

// TestCallRetryPolicy: a call's own policy replaces the client's for that
// call only; MaxAttempts 1 makes one attempt even on a 503, and zero
// fields keep the client's.
func TestCallRetryPolicy(t *testing.T) {
	t.Parallel()
	unavailable := reply(503, "text/html", "<h1>503</h1>")
	cases := []struct {
		name     string
		client   api.RetryPolicy
		call     api.RetryPolicy
		attempts int64
	}{
		{name: "no retries on a 503", client: fastRetries, call: api.RetryPolicy{MaxAttempts: 1}, attempts: 1},
		{name: "more than the client's", client: api.RetryPolicy{MaxAttempts: 1}, call: api.RetryPolicy{MaxAttempts: 3, MinWait: time.Millisecond, MaxWait: time.Millisecond}, attempts: 3},
		{name: "zero keeps the client's", client: fastRetries, call: api.RetryPolicy{}, attempts: int64(fastRetries.MaxAttempts)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newServer(t, unavailable)
			c := newClient(t, s, api.WithRetryPolicy(tc.client))
			_, err := c.Profile.Get(t.Context(), api.WithRetryPolicy(tc.call))
			var e *api.Error
			if !errors.As(err, &e) || !errors.Is(err, api.ErrServerError) || int64(e.Attempts) != tc.attempts {
				t.Fatalf("err = %v, want a 503 after %d attempt(s)", err, tc.attempts)
			}
			if n := s.requests.Load(); n != tc.attempts {
				t.Errorf("%d requests on the wire, want %d", n, tc.attempts)
			}
			// The client's own policy is unchanged for the next call.
			before := s.requests.Load()
			_, _ = c.Profile.Get(t.Context())
			if n, want := s.requests.Load()-before, clientAttempts(tc.client); n != want {
				t.Errorf("the next call made %d attempts, want the client's %d", n, want)
			}
		})
	}
	t.Run("invalid", func(t *testing.T) {
		t.Parallel()
		s := newServer(t, nil)
		c := newClient(t, s)
		for _, p := range []api.RetryPolicy{{MaxAttempts: -1}, {MinWait: time.Second, MaxWait: time.Millisecond}} {
			if _, err := c.Profile.Get(t.Context(), api.WithRetryPolicy(p)); !errors.Is(err, api.ErrInvalidOption) {
				t.Errorf("%+v: err = %v, want ErrInvalidOption", p, err)
			}
		}
		if n := s.requests.Load(); n != 0 {
			t.Errorf("%d requests sent with an invalid option", n)
		}
	})
}

// clientAttempts is the MaxAttempts of a client given p.
func clientAttempts(p api.RetryPolicy) int64 {
	if p.MaxAttempts == 0 {
		return int64(api.DefaultRetryPolicy.MaxAttempts)
	}
	return int64(p.MaxAttempts)
}

// TestWithHeader: an extra header reaches the server, a call's replaces
// the client's of the same key, and the client's own headers are refused
// (at NewClient and at a call, before anything is sent) without the value
// in the error.
func TestWithHeader(t *testing.T) {
	t.Parallel()
	var seen headersSeen
	s := newServer(t, seen.wrap("X-Trace", fakeAPI()))
	c := newClient(t, s, api.WithHeader("x-trace", "client"))
	if _, err := c.Profile.Get(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Profile.Get(t.Context(), api.WithHeader("X-Trace", "call")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Profile.Get(t.Context(), api.WithHeader("X-Trace", "first"), api.WithHeader("X-TRACE", "last")); err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(seen.all(), ","), "client,call,last"; got != want {
		t.Errorf("X-Trace seen %s, want %s", got, want)
	}

	const secretValue = "value-SECRET-77"
	for _, key := range []string{"Authorization", "cookie", "Host", "content-type", "Content-Length", "Transfer-Encoding",
		"Accept", "accept-encoding", "User-Agent", "Connection", "Proxy-Authorization", "Bad Header", "X-Ok:", ""} {
		before := s.requests.Load()
		_, err := c.Profile.Get(t.Context(), api.WithHeader(key, secretValue))
		if !errors.Is(err, api.ErrInvalidOption) || strings.Contains(err.Error(), secretValue) {
			t.Errorf("WithHeader(%q): err = %v, want ErrInvalidOption without the value", key, err)
		}
		if s.requests.Load() != before {
			t.Errorf("WithHeader(%q): a request was sent", key)
		}
		if _, err := api.NewClient(api.StaticToken(testToken), api.WithHeader(key, secretValue)); !errors.Is(err, api.ErrInvalidOption) {
			t.Errorf("NewClient(WithHeader(%q)): err = %v, want ErrInvalidOption", key, err)
		}
	}
	for _, value := range []string{"a\r\nInjected: 1", "a\nb", "nul\x00"} {
		if _, err := c.Profile.Get(t.Context(), api.WithHeader("X-Trace", value)); !errors.Is(err, api.ErrInvalidOption) {
			t.Errorf("value %q: err = %v, want ErrInvalidOption", value, err)
		}
	}
}

// TestIteratorCallOptions: an iterator passes its options to every page's
// call: the header reaches every request, the Response describes the last
// page, and WithMaxPages caps this walk only.
func TestIteratorCallOptions(t *testing.T) {
	t.Parallel()
	var seen headersSeen
	s := newServer(t, seen.wrap("X-Trace", fakeAPI()))
	c := newClient(t, s)
	var r api.Response
	n := 0
	for _, err := range c.Card.ListTransactionsIter(t.Context(), api.CardListTransactionsParams{}, api.WithHeader("X-Trace", "walk"), api.WithResponseInto(&r)) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	pages := seen.all()
	if n != len(testTransactions) || len(pages) != 3 {
		t.Fatalf("%d items in %d pages, want %d in 3", n, len(pages), len(testTransactions))
	}
	for i, v := range pages {
		if v != "walk" {
			t.Errorf("page %d: X-Trace %q, want walk", i+1, v)
		}
	}
	if r.StatusCode != 200 || r.Total != int64(len(testTransactions)) || r.Attempts != 1 {
		t.Errorf("Response after the walk: %+v", r)
	}
	var pe *api.PagingError
	n = 0
	var last error
	for _, err := range c.Card.ListTransactionsIter(t.Context(), api.CardListTransactionsParams{}, api.WithMaxPages(2)) {
		if err != nil {
			last = err
			break
		}
		n++
	}
	if !errors.As(last, &pe) || !errors.Is(last, api.ErrTooManyPages) || n != 6 {
		t.Errorf("WithMaxPages(2): %d items, err %v; want 6 and ErrTooManyPages", n, last)
	}
	// An invalid option ends the walk at its first page, with nothing sent.
	before := s.requests.Load()
	for _, err := range c.Card.ListTransactionsIter(t.Context(), api.CardListTransactionsParams{}, api.WithTimeout(-1)) {
		if !errors.Is(err, api.ErrInvalidOption) {
			t.Errorf("err = %v, want ErrInvalidOption", err)
		}
	}
	if s.requests.Load() != before {
		t.Error("a walk with an invalid option sent a request")
	}
}

// TestCallOptionsRefused: what a call or NewClient cannot take fails with
// ErrInvalidOption before anything is sent.
func TestCallOptionsRefused(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	c := newClient(t, s)
	var r api.Response
	for name, o := range map[string]api.CallOption{
		"WithResponseInto(nil)":        api.WithResponseInto(nil),
		"negative WithTimeout":         api.WithTimeout(-time.Second),
		"negative WithAttemptTimeout":  api.WithAttemptTimeout(-time.Second),
		"negative WithMaxResponseSize": api.WithMaxResponseSize(-1),
		"negative WithMaxPages":        api.WithMaxPages(-1),
	} {
		if _, err := c.Profile.Get(t.Context(), o, api.WithResponseInto(&r)); !errors.Is(err, api.ErrInvalidOption) {
			t.Errorf("%s: err = %v, want ErrInvalidOption", name, err)
		}
		if err := c.Do(t.Context(), http.MethodGet, "/v1/me/profile", nil, nil, nil, o); !errors.Is(err, api.ErrInvalidOption) {
			t.Errorf("Do with %s: err = %v, want ErrInvalidOption", name, err)
		}
	}
	if n := s.requests.Load(); n != 0 {
		t.Errorf("%d requests sent", n)
	}
	if _, err := api.NewClient(api.StaticToken(testToken), api.WithResponseInto(&r)); !errors.Is(err, api.ErrInvalidOption) ||
		!strings.Contains(err.Error(), "WithResponseInto") {
		t.Errorf("NewClient(WithResponseInto): %v, want ErrInvalidOption naming it", err)
	}
	// A nil CallOption is skipped, like a nil Option.
	if _, err := c.Profile.Get(t.Context(), nil); err != nil {
		t.Errorf("a nil CallOption: %v", err)
	}
}

// TestCallSizeAndAttemptLimits: WithMaxResponseSize and WithAttemptTimeout
// apply to one call, over the client's.
func TestCallSizeAndAttemptLimits(t *testing.T) {
	t.Parallel()
	big := reply(200, "application/json", `{"errno":0,"total":1,"entities":[{"account":"`+strings.Repeat("a", 4000)+`"}]}`)
	c := newClient(t, newServer(t, big), api.WithMaxResponseSize(1000))
	if _, err := c.Profile.Get(t.Context()); !errors.Is(err, api.ErrResponseTooLarge) {
		t.Errorf("client cap: err = %v, want ErrResponseTooLarge", err)
	}
	if _, err := c.Profile.Get(t.Context(), api.WithMaxResponseSize(1<<20)); err != nil {
		t.Errorf("a call's larger cap: %v", err)
	}
	s := newServer(t, stall(10*time.Second, false))
	c = newClient(t, s, api.WithRetryPolicy(api.RetryPolicy{MaxAttempts: 2, MinWait: time.Millisecond, MaxWait: time.Millisecond}))
	t0 := time.Now()
	_, err := c.Profile.Get(t.Context(), api.WithAttemptTimeout(100*time.Millisecond))
	if took, text := time.Since(t0), errText(err); !strings.Contains(text, "attempt timed out after 100ms") || took > 2*time.Second {
		t.Errorf("after %v: %s", took, text)
	}
	if n := s.requests.Load(); n != 2 {
		t.Errorf("%d attempts, want 2", n)
	}
}

func errText(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}
