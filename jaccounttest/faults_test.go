package jaccounttest_test

import (
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oauth-jaccount/jaccount-go/internal/apigen"
	"github.com/oauth-jaccount/jaccount-go/jaccounttest"
	"github.com/oauth-jaccount/jaccount-go/openapi"
)

// freshClient has no keep-alive connections, so a dropped connection is
// not retried by the transport.
func freshClient() *http.Client {
	return &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
}

func TestFaults(t *testing.T) {
	t.Parallel()
	const profile = "/v1/me/profile"
	tests := []struct {
		name  string
		fault jaccounttest.Fault
		path  string // request path; the token endpoint when "token"
		check func(t *testing.T, resp *http.Response, body string, err error)
	}{
		{"error status on the API", jaccounttest.ErrorStatus(503), profile, func(t *testing.T, resp *http.Response, body string, err error) {
			if err != nil || resp.StatusCode != 503 || !strings.Contains(body, `"errno":10004`) {
				t.Errorf("got %v %v %s", err, resp.StatusCode, body)
			}
		}},
		{"error status on the token endpoint", jaccounttest.ErrorStatus(500).On(jaccounttest.EndpointToken), "token", func(t *testing.T, resp *http.Response, body string, err error) {
			if err != nil || resp.StatusCode != 500 || !strings.Contains(body, `"error":"server_error"`) {
				t.Errorf("got %v %v %s", err, resp.StatusCode, body)
			}
		}},
		{"429 with Retry-After", jaccounttest.RateLimit(1500 * time.Millisecond), profile, func(t *testing.T, resp *http.Response, body string, err error) {
			if err != nil || resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "2" {
				t.Errorf("got %v %v Retry-After %q", err, resp.StatusCode, resp.Header.Get("Retry-After"))
			}
		}},
		{"429 on the token endpoint", jaccounttest.RateLimit(time.Second).On(jaccounttest.EndpointToken), "token", func(t *testing.T, resp *http.Response, body string, err error) {
			if err != nil || resp.StatusCode != 429 || !strings.Contains(body, "temporarily_unavailable") {
				t.Errorf("got %v %v %s", err, resp.StatusCode, body)
			}
		}},
		{"HTML error page", jaccounttest.HTMLPage(502), profile, func(t *testing.T, resp *http.Response, body string, err error) {
			if err != nil || resp.StatusCode != 502 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
				t.Errorf("got %v %v %s", err, resp.StatusCode, body)
			}
		}},
		{"HTML page on 200", jaccounttest.HTMLPage(200), profile, func(t *testing.T, resp *http.Response, body string, err error) {
			if err != nil || resp.StatusCode != 200 || !strings.Contains(body, "<html>") {
				t.Errorf("got %v %v %s", err, resp.StatusCode, body)
			}
		}},
		{"errno on 200", jaccounttest.Errno(20001, "系统繁忙"), profile, func(t *testing.T, resp *http.Response, body string, err error) {
			if err != nil || resp.StatusCode != 200 || !strings.Contains(body, `"errno":20001`) {
				t.Errorf("got %v %v %s", err, resp.StatusCode, body)
			}
		}},
		{"dropped connection", jaccounttest.DropConnection(), profile, func(t *testing.T, resp *http.Response, body string, err error) {
			if err == nil {
				t.Errorf("got %v %s, want a transport error", resp.StatusCode, body)
			}
		}},
		{"truncated body", jaccounttest.TruncateBody(), profile, func(t *testing.T, resp *http.Response, body string, err error) {
			if err == nil || resp == nil || resp.StatusCode != 200 {
				t.Errorf("got %v %v %s, want a 200 whose body fails", err, resp, body)
			}
		}},
		{"fault on another path", jaccounttest.ErrorStatus(500).OnPath("/v1/me/lessons"), profile, func(t *testing.T, resp *http.Response, body string, err error) {
			if err != nil || resp.StatusCode != 200 {
				t.Errorf("got %v %v %s, want the fault not to apply", err, resp.StatusCode, body)
			}
		}},
		{"fault on a path prefix", jaccounttest.ErrorStatus(500).OnPath("/v1/me/"), profile, func(t *testing.T, resp *http.Response, body string, err error) {
			if err != nil || resp.StatusCode != 500 {
				t.Errorf("got %v %v %s", err, resp.StatusCode, body)
			}
		}},
		{"token fault spares the API", jaccounttest.ErrorStatus(500).On(jaccounttest.EndpointToken), profile, func(t *testing.T, resp *http.Response, body string, err error) {
			if err != nil || resp.StatusCode != 200 {
				t.Errorf("got %v %v %s", err, resp.StatusCode, body)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t)
			tok := issue(t, srv, jaccounttest.StudentUsername, "basic")
			srv.Inject(tt.fault.Times(1))
			var req *http.Request
			if tt.path == "token" {
				req = tokenRequest(t, srv, creds(srv, "grant_type", "refresh_token", "refresh_token", tok.RefreshToken))
			} else {
				req, _ = http.NewRequestWithContext(testContext(t), http.MethodGet, srv.APIURL()+tt.path, nil)
				req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
			}
			resp, err := freshClient().Do(req)
			var body string
			if err == nil {
				b, rerr := io.ReadAll(resp.Body)
				resp.Body.Close()
				body, err = string(b), rerr
			}
			tt.check(t, resp, body, err)
			// Times(1): the next request is served normally.
			if r := apiGet(t, srv, profile, tok.AccessToken); r.status != 200 {
				t.Errorf("after the fault: %d %s", r.status, r.body)
			}
		})
	}
}

func TestFaultTimesAndLog(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	tok := issue(t, srv, jaccounttest.StudentUsername, "basic").AccessToken
	srv.Inject(jaccounttest.ErrorStatus(502).Times(3))
	var wg sync.WaitGroup
	statuses := make(chan int, 10)
	for range 10 {
		wg.Go(func() {
			req, _ := http.NewRequestWithContext(testContext(t), http.MethodGet, srv.APIURL()+"/v1/me/profile", nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			resp, err := srv.HTTPClient().Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			statuses <- resp.StatusCode
		})
	}
	wg.Wait()
	close(statuses)
	count := map[int]int{}
	for s := range statuses {
		count[s]++
	}
	if count[502] != 3 || count[200] != 7 {
		t.Fatalf("statuses %v, want 3 x 502 and 7 x 200", count)
	}
	faults := 0
	for _, l := range srv.Requests() {
		if l.Fault {
			faults++
			if l.Status != 502 {
				t.Errorf("fault logged with status %d", l.Status)
			}
		}
	}
	if faults != 3 {
		t.Errorf("log shows %d faults, want 3", faults)
	}
	srv.ResetRequests()
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("%d requests after ResetRequests", n)
	}
}

func TestLatencyAndClearFaults(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	tok := issue(t, srv, jaccounttest.StudentUsername, "basic").AccessToken
	srv.Inject(jaccounttest.Latency(200*time.Millisecond), jaccounttest.ErrorStatus(503))
	start := time.Now()
	if r := apiGet(t, srv, "/v1/me/profile", tok); r.status != 503 {
		t.Errorf("status %d, want 503 (unlimited fault)", r.status)
	}
	if d := time.Since(start); d < 200*time.Millisecond {
		t.Errorf("answered after %v, want at least the 200ms latency", d)
	}
	if r := apiGet(t, srv, "/v1/me/profile", tok); r.status != 503 {
		t.Errorf("second request: %d, want 503 until ClearFaults", r.status)
	}
	srv.ClearFaults()
	start = time.Now()
	if r := apiGet(t, srv, "/v1/me/profile", tok); r.status != 200 || time.Since(start) > 150*time.Millisecond {
		t.Errorf("after ClearFaults: %d in %v", r.status, time.Since(start))
	}
}

func TestRevokeRefreshToken(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	tok := issue(t, srv, jaccounttest.StudentUsername, "basic")
	if srv.RevokeToken("unknown") || srv.ExpireAccessToken("unknown") {
		t.Error("unknown tokens reported as found")
	}
	if !srv.RevokeToken(tok.RefreshToken) {
		t.Fatal("refresh token not found")
	}
	r := postToken(t, srv, creds(srv, "grant_type", "refresh_token", "refresh_token", tok.RefreshToken), false)
	if r.status != 400 || r.str("error") != "invalid_grant" {
		t.Errorf("revoked refresh token: %d %s", r.status, r.body)
	}
	// The access token still works.
	if r := apiGet(t, srv, "/v1/me/profile", tok.AccessToken); r.status != 200 {
		t.Errorf("access token after its refresh token was revoked: %d", r.status)
	}
}

// TestFaultFor: a fault narrowed with For applies for that long after
// Inject, by the server's clock, then goes away by itself.
func TestFaultFor(t *testing.T) {
	t.Parallel()
	base := time.Now()
	var offset atomic.Int64 // the clock stands still but for these steps
	clock := func() time.Time { return base.Add(time.Duration(offset.Load())) }
	srv := newServer(t, jaccounttest.WithClock(clock))
	tok := issue(t, srv, jaccounttest.StudentUsername, "basic").AccessToken
	srv.Inject(jaccounttest.ErrorStatus(503).For(time.Second))
	get := func() int {
		r := apiGet(t, srv, "/v1/me/profile", tok)
		return r.status
	}
	if s := get(); s != 503 {
		t.Fatalf("inside the window: %d, want 503", s)
	}
	offset.Add(int64(900 * time.Millisecond))
	if s := get(); s != 503 {
		t.Fatalf("still inside the window: %d, want 503", s)
	}
	offset.Add(int64(200 * time.Millisecond))
	if s := get(); s != 200 {
		t.Fatalf("after the window: %d, want 200", s)
	}
}

// TestFaultAboveRate: a fault narrowed with AboveRate(n, per) lets n
// matching requests through in any window of per, by the server's clock,
// and answers the others; the requests it answered do not count, nor do
// the ones another fault answered, nor those it does not match.
func TestFaultAboveRate(t *testing.T) {
	t.Parallel()
	base := time.Now()
	var offset atomic.Int64 // the clock stands still but for these steps
	clock := func() time.Time { return base.Add(time.Duration(offset.Load())) }
	srv := newServer(t, jaccounttest.WithClock(clock))
	tok := issue(t, srv, jaccounttest.StudentUsername, "basic", "card_info").AccessToken
	srv.Inject(jaccounttest.ErrorStatus(502).OnPath("/v1/me/card").Times(2),
		jaccounttest.RateLimit(time.Second).AboveRate(3, time.Second).OnPath("/v1/me/"))
	steps := []struct {
		at     time.Duration // since base
		path   string
		status int
	}{
		{0, "/v1/me/profile", 200},
		{0, "/v1/me/card", 502}, // the first fault answers: not counted
		{0, "/v1/me/card", 502},
		{100 * time.Millisecond, "/v1/me/profile", 200},
		{100 * time.Millisecond, "/v1/me/card", 200},
		{100 * time.Millisecond, "/v1/me/profile", 429}, // the fourth within a second
		{100 * time.Millisecond, "/v1/profile/" + jaccounttest.StudentUsername, 200},
		{999 * time.Millisecond, "/v1/me/profile", 429}, // counted from the first pass, at 0
		{time.Second, "/v1/me/profile", 200},            // the pass at 0 left the window
		{time.Second, "/v1/me/profile", 429},            // the two at 100ms still in it
		{1100 * time.Millisecond, "/v1/me/profile", 200},
		{1100 * time.Millisecond, "/v1/me/profile", 200},
		{1100 * time.Millisecond, "/v1/me/profile", 429},
		{5 * time.Second, "/v1/me/profile", 200},
	}
	for i, st := range steps {
		offset.Store(int64(st.at))
		r := apiGet(t, srv, st.path, tok)
		if r.status != st.status {
			t.Fatalf("step %d, at %v, %s: %d, want %d", i, st.at, st.path, r.status, st.status)
		}
		if r.status == 429 && r.header.Get("Retry-After") != "1" {
			t.Errorf("step %d: Retry-After %q, want 1", i, r.header.Get("Retry-After"))
		}
	}
}

// TestFaultAboveRateConcurrent: under the real clock, 16 goroutines
// sending as fast as they can get at most n answers from the server in any
// window of per; the rest are the fault's. (The log's times are taken as
// requests arrive, a little before the fault decides, in an order that
// may differ: hence the slack.)
func TestFaultAboveRateConcurrent(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	tok := issue(t, srv, jaccounttest.StudentUsername, "basic").AccessToken
	const n, per, slack = 10, 500 * time.Millisecond, 50 * time.Millisecond
	srv.Inject(jaccounttest.RateLimit(time.Second).AboveRate(n, per))
	deadline := time.Now().Add(1600 * time.Millisecond)
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for time.Now().Before(deadline) && !t.Failed() {
				apiGet(t, srv, "/v1/me/profile", tok)
			}
		})
	}
	wg.Wait()
	var served []time.Time
	limited := 0
	for _, r := range srv.Requests() {
		switch {
		case r.Endpoint != jaccounttest.EndpointAPI:
		case r.Status == 200:
			served = append(served, r.Time)
		case r.Status == 429 && r.Fault:
			limited++
		}
	}
	slices.SortFunc(served, time.Time.Compare)
	for i := n; i < len(served); i++ {
		if d := served[i].Sub(served[i-n]); d < per-slack {
			t.Fatalf("%d requests served within %v (%v), want at most %d", n+1, per, d, n)
		}
	}
	t.Logf("%d served, %d answered 429", len(served), limited)
	if len(served) < n || limited == 0 {
		t.Errorf("%d served and %d limited: the test did not go above the rate", len(served), limited)
	}
}

// TestFaultProbability: a fault narrowed with Probability answers about
// that share of the matching requests.
func TestFaultProbability(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	tok := issue(t, srv, jaccounttest.StudentUsername, "basic").AccessToken
	srv.Inject(jaccounttest.ErrorStatus(503).Probability(0.3), jaccounttest.ErrorStatus(502).Probability(0.5).Times(10))
	count := map[int]int{}
	const n = 1000
	for range n {
		count[apiGet(t, srv, "/v1/me/profile", tok).status]++
	}
	// 503: binomial(1000, 0.3) less what the first 502s took; seven
	// standard deviations either side.
	if count[503] < 200 || count[503] > 400 || count[502] != 10 || count[200] != n-count[503]-10 {
		t.Fatalf("statuses %v, want about 300 x 503, exactly 10 x 502 (Times), the rest 200", count)
	}
	faults := 0
	for _, r := range srv.Requests() {
		if r.Fault {
			faults++
		}
	}
	if faults != count[503]+count[502] {
		t.Errorf("log shows %d faults, want %d", faults, count[503]+count[502])
	}
}

// TestErrorStatusErrno checks that an injected error status on the API
// carries the errno the spec's catalogue gives that kind of failure, with
// the message in the documented form (the symbol, a blank line, the
// detail), never the HTTP status as an errno.
func TestErrorStatusErrno(t *testing.T) {
	t.Parallel()
	catalogue := map[int]string{}
	a, err := apigen.Load(openapi.Spec)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range a.Errnos {
		catalogue[e.Code] = e.Name
	}
	tests := []struct {
		fault     jaccounttest.Fault
		status    int
		wantErrno int
	}{
		{jaccounttest.ErrorStatus(500), 500, 10004},
		{jaccounttest.ErrorStatus(502), 502, 10004},
		{jaccounttest.ErrorStatus(503), 503, 10004},
		{jaccounttest.ErrorStatus(504), 504, 10004},
		{jaccounttest.RateLimit(time.Second), 429, -1},
		{jaccounttest.ErrorStatus(400), 400, 10001},
		{jaccounttest.ErrorStatus(401), 401, 10002},
		{jaccounttest.ErrorStatus(403), 403, 10003},
		{jaccounttest.ErrorStatus(404), 404, 10008},
		{jaccounttest.ErrorStatus(405), 405, -1},
		{jaccounttest.ErrorStatus(418), 418, -1},
	}
	srv := newServer(t)
	tok := issue(t, srv, jaccounttest.StudentUsername, "basic")
	for _, tt := range tests {
		// Each fault answers the one request on its own path.
		path := "/v1/profile/" + strconv.Itoa(tt.status)
		srv.Inject(tt.fault.OnPath(path).Times(1))
		r := apiGet(t, srv, path, tok.AccessToken)
		name, known := catalogue[tt.wantErrno]
		msg := r.str("error")
		switch {
		case r.status != tt.status || errno(r) != tt.wantErrno || !known:
			t.Errorf("%d: status %d errno %d (%s), want %d errno %d", tt.status, r.status, errno(r), r.body, tt.status, tt.wantErrno)
		case !strings.HasPrefix(msg, name+"\n\nMORE_INFORMATION:") || !strings.Contains(msg, http.StatusText(tt.status)):
			t.Errorf("%d: message %q, want %q, a blank line and MORE_INFORMATION: with the status text", tt.status, msg, name)
		case !strings.HasPrefix(r.header.Get("Content-Type"), "application/json"):
			t.Errorf("%d: Content-Type %q", tt.status, r.header.Get("Content-Type"))
		}
	}
	// An HTML fault stays an HTML page.
	srv.Inject(jaccounttest.HTMLPage(503).OnPath("/v1/profile/html").Times(1))
	if r := apiGet(t, srv, "/v1/profile/html", tok.AccessToken); r.status != 503 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
		t.Errorf("HTML fault: %d %q", r.status, r.header.Get("Content-Type"))
	}
}

// TestFaultProbabilityBounds: Probability(0) never answers and
// Probability(1) always does, like a fault without Probability.
func TestFaultProbabilityBounds(t *testing.T) {
	t.Parallel()
	const n = 20
	for _, tt := range []struct {
		name   string
		fault  jaccounttest.Fault
		faults int
	}{
		{"Probability(0)", jaccounttest.ErrorStatus(503).Probability(0), 0},
		{"Probability(1)", jaccounttest.ErrorStatus(503).Probability(1), n},
		{"no Probability", jaccounttest.ErrorStatus(503), n},
		{"Probability(0).Times(3)", jaccounttest.ErrorStatus(503).Probability(0).Times(3), 0},
		{"Probability(1).Times(3)", jaccounttest.ErrorStatus(503).Probability(1).Times(3), 3},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t)
			tok := issue(t, srv, jaccounttest.StudentUsername, "basic").AccessToken
			srv.Inject(tt.fault)
			faults := 0
			for range n {
				if apiGet(t, srv, "/v1/me/profile", tok).status == 503 {
					faults++
				}
			}
			if faults != tt.faults {
				t.Errorf("%d of %d requests faulted, want %d", faults, n, tt.faults)
			}
		})
	}
}

// TestFaultInvalid: a knob or constructor given a value outside its range
// makes a fault that Err reports and Inject refuses with the same error,
// adding none of the faults it was given; the edges of each range are
// accepted.
func TestFaultInvalid(t *testing.T) {
	t.Parallel()
	invalid := []struct {
		fault jaccounttest.Fault
		names string // what the error must name
	}{
		{jaccounttest.ErrorStatus(503).Times(0), "Times(0)"},
		{jaccounttest.ErrorStatus(503).Times(-1), "Times(-1)"},
		{jaccounttest.ErrorStatus(503).For(0), "For(0s)"},
		{jaccounttest.ErrorStatus(503).For(-time.Second), "For(-1s)"},
		{jaccounttest.ErrorStatus(503).Probability(-0.1), "Probability(-0.1)"},
		{jaccounttest.ErrorStatus(503).Probability(1.5), "Probability(1.5)"},
		{jaccounttest.ErrorStatus(503).Probability(math.NaN()), "Probability(NaN)"},
		{jaccounttest.ErrorStatus(503).Probability(math.Inf(1)), "Probability(+Inf)"},
		{jaccounttest.ErrorStatus(503).On("API"), `On("API")`},
		{jaccounttest.ErrorStatus(503).OnPath("v1/me/profile"), `OnPath("v1/me/profile")`},
		{jaccounttest.RateLimit(time.Second).AboveRate(0, time.Second), "AboveRate(0, 1s)"},
		{jaccounttest.RateLimit(time.Second).AboveRate(-1, time.Second), "AboveRate(-1, 1s)"},
		{jaccounttest.RateLimit(time.Second).AboveRate(jaccounttest.MaxAboveRate+1, time.Second), "AboveRate(1048577, 1s)"},
		{jaccounttest.RateLimit(time.Second).AboveRate(50, 0), "AboveRate(50, 0s)"},
		{jaccounttest.RateLimit(time.Second).AboveRate(50, -time.Second), "AboveRate(50, -1s)"},
		{jaccounttest.Latency(-time.Millisecond), "Latency(-1ms)"},
		{jaccounttest.RateLimit(-time.Second), "RateLimit(-1s)"},
		{jaccounttest.ErrorStatus(200), "ErrorStatus(200)"},
		{jaccounttest.ErrorStatus(0), "ErrorStatus(0)"},
		{jaccounttest.ErrorStatus(600), "ErrorStatus(600)"},
		{jaccounttest.HTMLPage(100), "HTMLPage(100)"},
		{jaccounttest.HTMLPage(1000), "HTMLPage(1000)"},
		{jaccounttest.Fault{}, "zero Fault"},
		// The first invalid value is the one reported.
		{jaccounttest.ErrorStatus(503).Times(0).For(-1), "Times(0)"},
		// A later valid knob does not clear the error.
		{jaccounttest.ErrorStatus(503).Times(0).Times(2), "Times(0)"},
	}
	// A server of Start, which has no test to fail: Inject only returns
	// the error.
	srv, err := jaccounttest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	tok := issue(t, srv, jaccounttest.StudentUsername, "basic").AccessToken
	for _, tt := range invalid {
		err := tt.fault.Err()
		if !errors.Is(err, jaccounttest.ErrInvalidFault) || !strings.Contains(err.Error(), tt.names) {
			t.Errorf("Err() = %v, want ErrInvalidFault naming %s", err, tt.names)
		}
		err = srv.Inject(jaccounttest.ErrorStatus(502), tt.fault)
		if !errors.Is(err, jaccounttest.ErrInvalidFault) || !strings.Contains(err.Error(), tt.names) ||
			!strings.Contains(err.Error(), "fault 2 of 2") {
			t.Errorf("Inject(valid, %s) = %v, want an ErrInvalidFault naming it", tt.names, err)
		}
	}
	// None of the refused calls added a fault, not even the valid first one.
	if r := apiGet(t, srv, "/v1/me/profile", tok); r.status != 200 {
		t.Fatalf("after refused Injects: %d, want 200", r.status)
	}
	valid := []jaccounttest.Fault{
		jaccounttest.ErrorStatus(503).Times(1), jaccounttest.ErrorStatus(503).For(time.Nanosecond),
		jaccounttest.ErrorStatus(503).Probability(0), jaccounttest.ErrorStatus(503).Probability(1),
		jaccounttest.ErrorStatus(400), jaccounttest.ErrorStatus(599), jaccounttest.HTMLPage(200), jaccounttest.HTMLPage(599),
		jaccounttest.Latency(0), jaccounttest.RateLimit(0), jaccounttest.DropConnection(), jaccounttest.TruncateBody(),
		jaccounttest.Errno(10004, "x").On(""), jaccounttest.ErrorStatus(503).OnPath(""),
		jaccounttest.ErrorStatus(503).On(jaccounttest.EndpointOther).OnPath("/v1/"),
		jaccounttest.RateLimit(time.Second).AboveRate(1, time.Nanosecond),
		jaccounttest.RateLimit(time.Second).AboveRate(jaccounttest.MaxAboveRate, time.Hour),
	}
	for _, f := range valid {
		if err := f.Err(); err != nil {
			t.Errorf("a valid fault: %v", err)
		}
	}
}

// failures records what a test reports through Errorf and Fatal, and
// hands everything else to the real test.
type failures struct {
	testing.TB
	mu     sync.Mutex
	errors []string
	fatal  bool
}

func (f *failures) Errorf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errors = append(f.errors, fmt.Sprintf(format, args...))
}

func (f *failures) Fatal(args ...any) {
	f.mu.Lock()
	f.errors = append(f.errors, fmt.Sprint(args...))
	f.fatal = true
	f.mu.Unlock()
	runtime.Goexit() // as testing.T's Fatal
}

func (f *failures) Helper() {}

// TestInjectFailsTheTest: on a server of New, an invalid fault fails the
// test even when the test drops Inject's error, so that it cannot pass
// without the failure it meant to inject.
func TestInjectFailsTheTest(t *testing.T) {
	t.Parallel()
	rec := &failures{TB: t}
	srv := jaccounttest.New(rec)
	_ = srv.Inject(jaccounttest.ErrorStatus(503).Times(0)) // dropped: the test fails all the same
	if len(rec.errors) != 1 || !strings.Contains(rec.errors[0], "Times(0)") || !strings.Contains(rec.errors[0], "Inject") {
		t.Errorf("the test was told %q, want one failure naming Times(0)", rec.errors)
	}
	if err := srv.Inject(jaccounttest.ErrorStatus(503).Times(1)); err != nil || len(rec.errors) != 1 {
		t.Errorf("a valid fault: %v, failures %q", err, rec.errors)
	}
}
