package api_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/oauth-jaccount/jaccount-go/api"
)

var okProfile = `{"errno":0,"error":"success","total":1,"entities":[{"account":"alice"}]}`

// sequence serves the handlers in turn, repeating the last one.
func sequence(hs ...http.Handler) http.Handler {
	var n atomic.Int64
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := min(int(n.Add(1))-1, len(hs)-1)
		hs[i].ServeHTTP(w, r)
	})
}

func repeat(n int, h http.Handler) []http.Handler {
	hs := make([]http.Handler, n)
	for i := range hs {
		hs[i] = h
	}
	return hs
}

// hangUp hijacks the connection and closes it without a reply.
var hangUp = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err == nil {
		conn.Close()
	}
})

// truncated promises a long body and hangs up after a few bytes.
var truncated = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"errno\":0,")
	_ = buf.Flush()
	conn.Close()
})

// stall waits past any attempt timeout, or until the client gives up.
func stall(d time.Duration, headersFirst bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if headersFirst {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(200)
			_, _ = w.Write([]byte(`{"errno":0,`))
			http.NewResponseController(w).Flush()
		}
		select {
		case <-time.After(d):
		case <-r.Context().Done():
		}
	})
}

func withRetryAfter(status int, after string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Retry-After", after)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(`{"errno":1,"error":"busy"}`))
	})
}

func TestRetries(t *testing.T) {
	t.Parallel()
	ok := reply(200, "application/json", okProfile)
	unavailable := reply(503, "text/html", "<h1>503 maintenance</h1>")
	cases := []struct {
		name     string
		handler  http.Handler
		opts     []api.Option
		attempts int64
		is       error         // nil: success
		min, max time.Duration // bounds on the call's duration
	}{
		{name: "503 burst", handler: sequence(append(repeat(2, unavailable), ok)...), attempts: 3},
		{name: "503 forever", handler: unavailable, attempts: 4, is: api.ErrServerError},
		{name: "502 502 500 ok", handler: sequence(reply(502, "", ""), reply(502, "", ""), reply(500, "", ""), ok), attempts: 4},
		{name: "429 then ok", handler: sequence(withRetryAfter(429, "0"), ok), attempts: 2},
		{name: "Retry-After honoured",
			handler:  sequence(withRetryAfter(429, "1"), ok),
			opts:     []api.Option{api.WithRetryPolicy(api.RetryPolicy{MaxAttempts: 2, MinWait: time.Millisecond, MaxWait: 2 * time.Second})},
			attempts: 2, min: time.Second, max: 3 * time.Second},
		{name: "Retry-After above MaxWait returned at once",
			handler:  sequence(withRetryAfter(429, "3600"), ok),
			opts:     []api.Option{api.WithRetryPolicy(api.RetryPolicy{MaxAttempts: 2, MinWait: time.Millisecond, MaxWait: 150 * time.Millisecond})},
			attempts: 1, is: api.ErrRateLimited, max: 2 * time.Second},
		{name: "Retry-After date an hour ahead", handler: sequence(withRetryAfter(503, time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)), ok),
			attempts: 1, is: api.ErrServerError},
		{name: "connection resets", handler: sequence(hangUp, hangUp, ok), attempts: 3},
		{name: "truncated body", handler: sequence(truncated, ok), attempts: 2},
		{name: "slow headers past attempt timeout", handler: sequence(stall(5*time.Second, false), ok),
			opts: []api.Option{api.WithAttemptTimeout(100 * time.Millisecond)}, attempts: 2, min: 100 * time.Millisecond, max: 3 * time.Second},
		{name: "slow body past attempt timeout", handler: sequence(stall(5*time.Second, true), ok),
			opts: []api.Option{api.WithAttemptTimeout(100 * time.Millisecond)}, attempts: 2, min: 100 * time.Millisecond, max: 3 * time.Second},
		{name: "budget bounds attempts", handler: unavailable,
			// The first retry (after 50–100 ms) fits in 150 ms; a second
			// could end past it, so it is not started.
			opts:     []api.Option{api.WithRetryPolicy(api.RetryPolicy{MaxAttempts: 50, MinWait: 100 * time.Millisecond, MaxWait: 100 * time.Millisecond, Budget: 150 * time.Millisecond})},
			attempts: 2, is: api.ErrServerError, min: 50 * time.Millisecond, max: 2 * time.Second},
		{name: "budget cuts a slow attempt", handler: stall(5*time.Second, false),
			opts:     []api.Option{api.WithAttemptTimeout(0), api.WithRetryPolicy(api.RetryPolicy{MaxAttempts: 4, MinWait: time.Millisecond, MaxWait: time.Millisecond, Budget: 150 * time.Millisecond})},
			attempts: 1, is: context.DeadlineExceeded, min: 150 * time.Millisecond, max: 2 * time.Second},
		{name: "no retries", handler: unavailable, opts: []api.Option{api.WithRetryPolicy(api.RetryPolicy{MaxAttempts: 1})}, attempts: 1, is: api.ErrServerError},
		{name: "501 not retried", handler: reply(501, "", ""), attempts: 1, is: api.ErrServerError},
		{name: "400 not retried", handler: reply(400, "application/json", `{"errno":2,"error":"bad"}`), attempts: 1, is: api.ErrAPI},
		{name: "404 not retried", handler: reply(404, "", ""), attempts: 1, is: api.ErrNotFound},
		{name: "oversized not retried", handler: reply(200, "application/json", strings.Repeat(" ", 2048)),
			opts: []api.Option{api.WithMaxResponseSize(1024)}, attempts: 1, is: api.ErrResponseTooLarge},
		{name: "errno on 200 not retried", handler: reply(200, "application/json", `{"errno":5,"error":"x","entities":[]}`), attempts: 1, is: api.ErrAPI},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newServer(t, tc.handler)
			c := newClient(t, s, tc.opts...)
			start := time.Now()
			p, err := c.Profile.Get(t.Context())
			elapsed := time.Since(start)
			if n := s.requests.Load(); n != tc.attempts {
				t.Errorf("attempts = %d, want %d (err %v)", n, tc.attempts, err)
			}
			switch {
			case tc.is == nil && (err != nil || p.Account != "alice"):
				t.Errorf("Get = %v, %v", p, err)
			case tc.is != nil && !errors.Is(err, tc.is):
				t.Errorf("err = %v, want %v", err, tc.is)
			}
			var e *api.Error
			if tc.is != nil && errors.As(err, &e) && tc.attempts > 1 && int64(e.Attempts) != tc.attempts {
				t.Errorf("Error.Attempts = %d, want %d", e.Attempts, tc.attempts)
			}
			if elapsed < tc.min || (tc.max > 0 && elapsed > tc.max) {
				t.Errorf("took %v, want within [%v, %v]", elapsed, tc.min, tc.max)
			}
		})
	}
}

func TestLastResponseReachesCaller(t *testing.T) {
	t.Parallel()
	s := newServer(t, withRetryAfter(429, "0"))
	c := newClient(t, s)
	_, err := c.Card.Get(t.Context())
	var e *api.Error
	if !errors.As(err, &e) || e.StatusCode != 429 || e.Message != "busy" || e.Attempts != 4 {
		t.Fatalf("err = %#v", err)
	}
	if strings.Contains(err.Error(), "giving up") {
		t.Errorf("bare retryablehttp error: %v", err)
	}
}

func TestContextCancelStopsRetries(t *testing.T) {
	t.Parallel()
	s := newServer(t, withRetryAfter(503, "30"))
	c := newClient(t, s, api.WithRetryPolicy(api.RetryPolicy{MaxAttempts: 5, MaxWait: time.Minute, Budget: time.Hour}))
	// No deadline, so the 30 s wait starts; cancelling ends it.
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	_, err := c.Profile.Get(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want canceled", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v after cancel", d)
	}
	if n := s.requests.Load(); n != 1 {
		t.Errorf("attempts = %d, want 1", n)
	}
	// Already cancelled: no request at all.
	cctx, ccancel := context.WithCancel(t.Context())
	ccancel()
	if _, err := c.Profile.Get(cctx); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v", err)
	}
	if n := s.requests.Load(); n != 1 {
		t.Errorf("request sent on a cancelled context")
	}
}

// countingTransport counts the attempts that reach the transport.
type countingTransport struct {
	n    atomic.Int64
	next http.RoundTripper
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.next.RoundTrip(r)
}

func TestNonIdempotentRequests(t *testing.T) {
	t.Parallel()
	s := newServer(t, reply(503, "", ""))
	ct := &countingTransport{next: http.DefaultTransport}
	c := newClient(t, s, api.WithTransport(ct))
	hc := c.HTTPClient()
	post := func(url string) error {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url, strings.NewReader("x=1"))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := hc.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	if err := post(s.URL + "/v1/anything"); err != nil {
		t.Fatal(err)
	}
	if n := ct.n.Load(); n != 1 {
		t.Errorf("POST answered 503 was sent %d times, want 1", n)
	}
	// A dial error proves the request never left: it is retried.
	dead := newServer(t, nil)
	dead.Close()
	ct.n.Store(0)
	if err := post(dead.URL + "/v1/anything"); err == nil {
		t.Fatal("POST to a closed server succeeded")
	}
	if n := ct.n.Load(); n != 4 {
		t.Errorf("POST with dial errors was tried %d times, want 4", n)
	}
	// A hang-up after the request was written is not retried for POST.
	hung := newServer(t, hangUp)
	ct.n.Store(0)
	if err := post(hung.URL + "/v1/anything"); err == nil {
		t.Fatal("POST to a hanging-up server succeeded")
	}
	if n := ct.n.Load(); n != 1 {
		t.Errorf("POST after a hang-up was tried %d times, want 1", n)
	}
}

var errInvalidGrant = errors.New("invalid_grant")

type failingSource struct {
	calls atomic.Int64
	err   error
}

func (f *failingSource) Token() (*oauth2.Token, error) {
	f.calls.Add(1)
	return nil, f.err
}

func TestTokenSourceErrorsNotRetried(t *testing.T) {
	t.Parallel()
	retrieve := &oauth2.RetrieveError{ErrorCode: "invalid_grant", ErrorDescription: "refresh token revoked"}
	for _, cause := range []error{retrieve, errInvalidGrant, &wrappedErr{errInvalidGrant}} {
		s := newServer(t, nil)
		src := &failingSource{err: cause}
		c := newClientTS(t, s, src)
		_, err := c.Profile.Get(t.Context())
		if !errors.Is(err, cause) {
			t.Errorf("err = %v, want %v in the chain", err, cause)
		}
		if cause == retrieve {
			var re *oauth2.RetrieveError
			if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
				t.Errorf("errors.As RetrieveError failed: %v", err)
			}
		}
		if n := src.calls.Load(); n != 1 {
			t.Errorf("token source asked %d times, want 1", n)
		}
		if n := s.requests.Load(); n != 0 {
			t.Errorf("%d requests sent without a token", n)
		}
		if _, err := c.Authorize(&http.Request{}); !errors.Is(err, cause) {
			t.Errorf("Authorize err = %v", err)
		}
	}
	// An empty token is an error too.
	s := newServer(t, nil)
	c := newClientTS(t, s, oauth2.StaticTokenSource(&oauth2.Token{}))
	if _, err := c.Profile.Get(t.Context()); err == nil || s.requests.Load() != 0 {
		t.Errorf("empty token: err %v, %d requests", err, s.requests.Load())
	}
}

type wrappedErr struct{ err error }

func (w *wrappedErr) Error() string { return "auth: " + w.err.Error() }
func (w *wrappedErr) Unwrap() error { return w.err }

// refreshingSource is a stand-in for auth.TokenSource.
type refreshingSource struct {
	mu        sync.Mutex
	cur, next string
	err       error
	refreshes atomic.Int64
}

var _ api.Refresher = (*refreshingSource)(nil)

func (r *refreshingSource) Token() (*oauth2.Token, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return &oauth2.Token{AccessToken: r.cur, TokenType: "bearer"}, nil
}

func (r *refreshingSource) ForceRefresh(_ context.Context, rejected *oauth2.Token) (*oauth2.Token, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if rejected.AccessToken == r.cur {
		r.refreshes.Add(1)
		if r.err != nil {
			return nil, r.err
		}
		r.cur = r.next
	}
	return &oauth2.Token{AccessToken: r.cur, TokenType: "bearer"}, nil
}

func TestRefreshOn401(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		next      string
		err       error
		query     bool
		wantErr   []error
		requests  int64
		refreshes int64
	}{
		{name: "refresh fixes it", next: testToken, requests: 2, refreshes: 1},
		{name: "refresh fixes it, query mode", next: testToken, query: true, requests: 2, refreshes: 1},
		// The new token is rejected too: it is reported once more, and the
		// source, having nothing newer, hands it back.
		{name: "still 401", next: "also-revoked-token", wantErr: []error{api.ErrUnauthorized}, requests: 2, refreshes: 2},
		{name: "refresh fails", err: errInvalidGrant, wantErr: []error{api.ErrUnauthorized, errInvalidGrant}, requests: 1, refreshes: 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newServer(t, nil)
			src := &refreshingSource{cur: "revoked-token", next: tc.next, err: tc.err}
			var opts []api.Option
			if tc.query {
				opts = append(opts, api.WithQueryAuth(testClientID))
			}
			c := newClientTS(t, s, src, opts...)
			p, err := c.Profile.Get(t.Context())
			if tc.wantErr == nil && (err != nil || p.Account != "alice") {
				t.Fatalf("Get = %v, %v", p, err)
			}
			for _, w := range tc.wantErr {
				if !errors.Is(err, w) {
					t.Errorf("err = %v, want %v", err, w)
				}
			}
			if n := s.requests.Load(); n != tc.requests {
				t.Errorf("requests = %d, want %d", n, tc.requests)
			}
			if n := src.refreshes.Load(); n != tc.refreshes {
				t.Errorf("refreshes = %d, want %d", n, tc.refreshes)
			}
		})
	}
}

func TestStaticTokenOn401(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	c := newClientTS(t, s, api.StaticToken("wrong-token"))
	if _, err := c.Profile.Get(t.Context()); !errors.Is(err, api.ErrUnauthorized) {
		t.Errorf("err = %v", err)
	}
	if n := s.requests.Load(); n != 1 {
		t.Errorf("requests = %d, want 1", n)
	}
}

func TestConcurrentCalls(t *testing.T) {
	t.Parallel()
	s := newServer(t, sequence(append(repeat(5, reply(503, "", "")), reply(200, "application/json", okProfile))...))
	src := &refreshingSource{cur: testToken}
	c := newClientTS(t, s, src, api.WithRetryPolicy(api.RetryPolicy{MaxAttempts: 8, MinWait: time.Millisecond, MaxWait: 2 * time.Millisecond}))
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			if _, err := c.Profile.Get(t.Context()); err != nil {
				t.Error(err)
			}
			if l, err := c.Examinations.List(t.Context()); err != nil || len(l.Items) != 1 {
				t.Errorf("examinations = %v, %v", l, err)
			}
		})
	}
	wg.Wait()
}

// TestConcurrentRefresh: many calls rejected at once hand the same rejected
// token to ForceRefresh, so the source refreshes once.
func TestConcurrentRefresh(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	src := &refreshingSource{cur: "revoked-token", next: testToken}
	c := newClientTS(t, s, src)
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			if _, err := c.Profile.Get(t.Context()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := src.refreshes.Load(); n != 1 {
		t.Errorf("refreshes = %d, want 1", n)
	}
}

// TestRefreshResendsBody: a request with a body (only reachable through the
// raw stack) is sent again, body included, after the forced refresh.
func TestRefreshResendsBody(t *testing.T) {
	t.Parallel()
	var bodies sync.Map
	s := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		bodies.Store(string(b), true)
		reply(200, "application/json", okProfile).ServeHTTP(w, r)
	}))
	src := &refreshingSource{cur: "revoked-token", next: testToken}
	c := newClientTS(t, s, src)
	hc := c.HTTPClient()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPut, s.URL+"/v1/x", strings.NewReader("payload"))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || src.refreshes.Load() != 1 || s.requests.Load() != 2 {
		t.Errorf("status %d, refreshes %d, requests %d", resp.StatusCode, src.refreshes.Load(), s.requests.Load())
	}
	if _, ok := bodies.Load("payload"); !ok {
		t.Error("the body was not sent again after the refresh")
	}
}
