package api_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oauth-jaccount/jaccount-go/api"
	"github.com/oauth-jaccount/jaccount-go/auth"
	"github.com/oauth-jaccount/jaccount-go/jaccounttest"
)

// Soak parameters (issue 10, "Must show").
const (
	soakCalls   = 10_000
	soakWorkers = 64
	// Every soakExpireEvery-th call expires every access token at the
	// server, which then answers 403 errno 10007 until the client
	// refreshes; access tokens also live only soakTTL, so the source
	// renews them ahead of expiry during the run.
	soakExpireEvery = 1_000
	soakTTL         = 3 * time.Second
	// Call soakOutageAt starts a one-second 503 outage of the token
	// endpoint together with an expiry, so refreshes must happen in it.
	soakOutageAt = 4_000
)

// soakResult counts what happened to the calls.
type soakResult struct {
	ok, wrong, untyped, tokenFailed, faultFailed atomic.Int64
	inFlightAtOutage                             atomic.Int64
}

// TestSoak runs 10,000 API calls, 64 at a time, through the whole stack
// (api.Client over an auth.TokenSource with a FileStore) against
// jaccounttest with about 20 % of the API's answers replaced by faults
// (503, HTML 502 pages, 429, dropped connections, truncated bodies), 10 %
// of the token endpoint's by HTML 502 pages, access tokens expiring at the
// server every 1,000 calls and by their 3-second lifetime, and a 1-second
// 503 outage of the token endpoint starting at call 4,000. It asserts
// counts, never times: no call failed because of the token endpoint (the
// outage included), none was lost, none returned wrong data, every error
// was an *api.Error, and no goroutine outlived the run. It takes a few
// seconds; -short skips it.
func TestSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("soak: skipped with -short")
	}
	// Not parallel: the goroutine count must be this test's own.
	baseline := runtime.NumGoroutine()

	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = soakWorkers
	fake := jaccounttest.New(t, jaccounttest.WithAccessTokenTTL(soakTTL))
	stu := student(t)
	issued, err := fake.IssueToken(stu.Username, allScopes...)
	if err != nil {
		t.Fatal(err)
	}
	cfg := fakeAuth(fake)
	cfg.HTTPClient = &http.Client{Transport: tr, Timeout: 30 * time.Second}
	store := auth.NewFileStore(filepath.Join(t.TempDir(), "token.json"))
	ts, err := cfg.TokenSource(&auth.Token{AccessToken: issued.AccessToken, RefreshToken: issued.RefreshToken,
		TokenType: issued.TokenType, Expiry: issued.Expiry}, auth.WithStore(store), auth.WithExpiryWindow(2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	c, err := api.NewClient(ts, api.WithBaseURL(fake.APIURL()), api.WithTransport(tr),
		api.WithRetryPolicy(api.RetryPolicy{MaxAttempts: 12, MinWait: time.Millisecond, MaxWait: 20 * time.Millisecond}))
	if err != nil {
		t.Fatal(err)
	}
	fake.Inject(
		jaccounttest.ErrorStatus(503).On(jaccounttest.EndpointAPI).Probability(0.05),
		jaccounttest.HTMLPage(502).On(jaccounttest.EndpointAPI).Probability(0.05),
		jaccounttest.RateLimit(0).On(jaccounttest.EndpointAPI).Probability(0.05),
		jaccounttest.DropConnection().On(jaccounttest.EndpointAPI).Probability(0.04),
		jaccounttest.TruncateBody().On(jaccounttest.EndpointAPI).Probability(0.03),
		jaccounttest.Latency(2*time.Millisecond).On(jaccounttest.EndpointAPI).Probability(0.05),
		jaccounttest.HTMLPage(502).On(jaccounttest.EndpointToken).Probability(0.1),
	)

	var res soakResult
	var next, inFlight atomic.Int64
	seen := make([]atomic.Int32, soakCalls)
	var wg sync.WaitGroup
	for range soakWorkers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= soakCalls {
					return
				}
				switch {
				case i == soakOutageAt:
					res.inFlightAtOutage.Store(inFlight.Load())
					fake.Inject(jaccounttest.ErrorStatus(503).On(jaccounttest.EndpointToken).For(time.Second))
					fake.ExpireAccessTokens()
				case i%soakExpireEvery == soakExpireEvery-1:
					fake.ExpireAccessTokens()
				}
				inFlight.Add(1)
				err := soakCall(t.Context(), c, stu, i)
				inFlight.Add(-1)
				seen[i].Add(1)
				res.classify(t, i, err)
			}
		})
	}
	wg.Wait()

	// What the fake saw.
	var apiReqs, apiFaults, rejections, tokenReqs, outage503, token502 int
	for _, r := range fake.Requests() {
		switch r.Endpoint {
		case jaccounttest.EndpointAPI:
			apiReqs++
			if r.Fault {
				apiFaults++
			}
			if r.Status == http.StatusForbidden {
				rejections++
			}
		case jaccounttest.EndpointToken:
			tokenReqs++
			switch {
			case r.Fault && r.Status == 503:
				outage503++
			case r.Fault && r.Status == 502:
				token502++
			}
		}
	}
	lost, twice := 0, 0
	for i := range seen {
		switch seen[i].Load() {
		case 0:
			lost++
		case 1:
		default:
			twice++
		}
	}
	// The store holds the live token: one more call works without a
	// refresh from scratch.
	stored, err := store.Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	cur, err := ts.AuthToken(t.Context())
	if err != nil || stored.RefreshToken != cur.RefreshToken {
		t.Errorf("the store does not hold the source's current token: %v", err)
	}

	fake.Close()
	tr.CloseIdleConnections()
	leaked := settleGoroutines(baseline)

	t.Logf("calls %d (%d workers): ok %d, wrong data %d, lost %d, counted twice %d, untyped errors %d, failed for the token endpoint (outage included) %d, failed after all retries of API faults %d",
		soakCalls, soakWorkers, res.ok.Load(), res.wrong.Load(), lost, twice, res.untyped.Load(), res.tokenFailed.Load(), res.faultFailed.Load())
	t.Logf("API requests %d, answered by an injected fault %d (%.1f %%), rejected tokens (403) %d",
		apiReqs, apiFaults, 100*float64(apiFaults)/float64(apiReqs), rejections)
	t.Logf("token requests %d: outage 503s %d, injected HTML 502s %d, calls in flight when the outage began %d",
		tokenReqs, outage503, token502, res.inFlightAtOutage.Load())
	t.Logf("goroutines: %d before, %d leaked after the run", baseline, leaked)

	if res.ok.Load() != soakCalls || res.wrong.Load() != 0 || lost != 0 || twice != 0 || res.untyped.Load() != 0 ||
		res.tokenFailed.Load() != 0 || res.faultFailed.Load() != 0 {
		t.Errorf("want all %d calls ok: see the counts above", soakCalls)
	}
	if outage503 < 2 || rejections == 0 || res.inFlightAtOutage.Load() == 0 {
		t.Errorf("the run did not exercise the outage (%d outage answers) or expiry (%d rejections)", outage503, rejections)
	}
	if apiFaults*100 < apiReqs*15 || apiFaults*100 > apiReqs*25 {
		t.Errorf("%d of %d API answers were faults, want about 20 %%", apiFaults, apiReqs)
	}
	if leaked > 0 {
		var b bytes.Buffer
		_ = pprof.Lookup("goroutine").WriteTo(&b, 1)
		t.Errorf("%d goroutines leaked:\n%s", leaked, b.String())
	}
}

// soakCall makes call number i, one of five operations, and checks what
// came back against the fixture.
func soakCall(ctx context.Context, c *api.Client, stu jaccounttest.User, i int) error {
	wrong := errors.New("wrong data")
	lessons := stu.Lessons[jaccounttest.CurrentSemester]
	switch i % 5 {
	case 0:
		p, err := c.Profile.Get(ctx)
		if err == nil && (p.Account != stu.Username || p.Name != stu.Profile.Name) {
			return wrong
		}
		return err
	case 1:
		l, err := c.Lessons.List(ctx)
		if err == nil && (len(l.Items) != len(lessons) || l.Items[0].Code != lessons[0].Code) {
			return wrong
		}
		return err
	case 2:
		card, err := c.Card.Get(ctx)
		if err == nil && (card.CardNo != stu.Card.CardNo || card.CardBalance != stu.Card.CardBalance) {
			return wrong
		}
		return err
	case 3:
		ex, err := c.Examinations.List(ctx)
		if err == nil && len(ex.Items) != len(stu.Examinations) {
			return wrong
		}
		return err
	default:
		want := lessons[i%len(lessons)]
		l, err := c.Lessons.Get(ctx, want.Code)
		if err == nil && (l.Code != want.Code || l.Name != want.Name) {
			return wrong
		}
		return err
	}
}

// classify counts the outcome of call i.
func (r *soakResult) classify(t *testing.T, i int, err error) {
	var e *api.Error
	var te *auth.TokenError
	switch {
	case err == nil:
		r.ok.Add(1)
	case err.Error() == "wrong data":
		r.wrong.Add(1)
	case !errors.As(err, &e):
		r.untyped.Add(1)
		t.Errorf("call %d: untyped error %T: %v", i, err, err)
	case errors.As(err, &te) || errors.Is(err, auth.ErrTemporary) || errors.Is(err, auth.ErrInvalidGrant) ||
		errors.Is(err, api.ErrUnauthorized) || errors.Is(err, context.DeadlineExceeded):
		r.tokenFailed.Add(1)
		t.Errorf("call %d failed for the token: %v", i, err)
	default:
		r.faultFailed.Add(1)
		t.Errorf("call %d failed after its retries: %v", i, err)
	}
}

// settleGoroutines waits (a bounded while) for the goroutines of the run to
// end and returns how many more there are than baseline.
func settleGoroutines(baseline int) int {
	for range 200 {
		if runtime.NumGoroutine() <= baseline {
			return 0
		}
		time.Sleep(25 * time.Millisecond)
	}
	return max(runtime.NumGoroutine()-baseline, 0)
}
