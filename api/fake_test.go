package api_test

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/oauth-jaccount/jaccount-go/api"
	"github.com/oauth-jaccount/jaccount-go/auth"
	"github.com/oauth-jaccount/jaccount-go/jaccounttest"
)

// These tests run the client against jaccounttest, the project's fake
// jAccount, which serves the spec through the generated strict server,
// enforces scopes and injects faults.

// allScopes covers every operation of the open API.
var allScopes = []string{"essential", "profile", "lessons", "exams", "card_info", "card_transactions"}

func startFake(t *testing.T, opts ...jaccounttest.Option) *jaccounttest.Server {
	t.Helper()
	fake := jaccounttest.New(t, opts...)
	return fake
}

func student(t *testing.T) jaccounttest.User {
	t.Helper()
	for _, u := range jaccounttest.DefaultUsers() {
		if u.Username == jaccounttest.StudentUsername {
			return u
		}
	}
	t.Fatal("no fixture student")
	return jaccounttest.User{}
}

// fakeRetries keeps fault tests quick while still honouring a 1 s Retry-After.
var fakeRetries = api.WithRetryPolicy(api.RetryPolicy{MaxAttempts: 4, MinWait: time.Millisecond, MaxWait: 2 * time.Second, Budget: 10 * time.Second})

// countRequests counts the requests in the fake's log that match.
func countRequests(fake *jaccounttest.Server, match func(jaccounttest.Request) bool) (n int) {
	for _, r := range fake.Requests() {
		if match(r) {
			n++
		}
	}
	return n
}

// apiCalls counts the API requests the fake saw for path.
func apiCalls(fake *jaccounttest.Server, path string) int {
	return countRequests(fake, func(r jaccounttest.Request) bool { return r.Path == path })
}

// tokenCalls counts the requests the fake's token endpoint saw.
func tokenCalls(fake *jaccounttest.Server) int {
	return countRequests(fake, func(r jaccounttest.Request) bool { return r.Endpoint == jaccounttest.EndpointToken })
}

func TestEveryMethodAgainstFake(t *testing.T) {
	t.Parallel()
	fake := startFake(t)
	stu := student(t)
	tok, err := fake.IssueToken(stu.Username, allScopes...)
	if err != nil {
		t.Fatal(err)
	}
	modes := []struct {
		name string
		opts []api.Option
		cred jaccounttest.Credential
	}{
		{"bearer", nil, jaccounttest.CredentialBearer},
		{"query", []api.Option{api.WithQueryAuth(fake.ClientID())}, jaccounttest.CredentialQuery},
	}
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) { // not parallel: the request log is shared
			fake.ResetRequests()
			c, err := api.NewClient(api.StaticToken(tok.AccessToken), append(mode.opts, api.WithBaseURL(fake.APIURL()))...)
			if err != nil {
				t.Fatal(err)
			}
			ctx := t.Context()
			check := func(what string, err error, ok bool) {
				t.Helper()
				if err != nil || !ok {
					t.Errorf("%s: ok=%v err=%v", what, ok, err)
				}
			}
			p, err := c.Profile.Get(ctx)
			check("Profile.Get", err, err == nil && p.Account == stu.Username && p.Name == stu.Profile.Name)
			pos, err := c.Enterprise.GetUserPositions(ctx)
			check("Enterprise.GetUserPositions", err, err == nil && len(pos.Positions) == len(stu.Positions))
			rights, err := c.Enterprise.GetUserRights(ctx, api.EnterpriseGetUserRightsParams{Account: stu.Username})
			check("Enterprise.GetUserRights", err, err == nil && len(rights.Items) == len(stu.Rights))
			cur, err := c.Lessons.List(ctx)
			check("Lessons.List", err, err == nil && len(cur.Items) == len(stu.Lessons[jaccounttest.CurrentSemester]))
			prev, err := c.Lessons.ListBySemester(ctx, jaccounttest.PreviousSemester, api.LessonsListBySemesterParams{})
			check("Lessons.ListBySemester", err, err == nil && len(prev.Items) == len(stu.Lessons[jaccounttest.PreviousSemester]))
			want := stu.Lessons[jaccounttest.CurrentSemester][0]
			one, err := c.Lessons.Get(ctx, want.Code)
			check("Lessons.Get", err, err == nil && one.Code == want.Code && one.Name == want.Name)
			ex, err := c.Examinations.List(ctx)
			check("Examinations.List", err, err == nil && len(ex.Items) == len(stu.Examinations))
			card, err := c.Card.Get(ctx)
			check("Card.Get", err, err == nil && card.CardNo == stu.Card.CardNo && card.CardBalance == stu.Card.CardBalance)
			page, err := c.Card.ListTransactions(ctx, api.CardListTransactionsParams{})
			check("Card.ListTransactions", err, err == nil && page.Total == int64(len(stu.Transactions)) &&
				len(page.Items) > 0 && len(page.Items) < len(stu.Transactions))
			var walked []api.CardTransaction
			// Ordered by posting time, the transactions carry it (dateTimAccount).
			for tx, err := range c.Card.ListTransactionsIter(ctx, api.CardListTransactionsParams{OrderBy: "dateTimeAccount"}) {
				if err != nil {
					t.Fatalf("ListTransactionsIter after %d: %v", len(walked), err)
				}
				walked = append(walked, tx)
			}
			byTime := func(a, b api.CardTransaction) int { return cmp.Compare(a.DateTime, b.DateTime) }
			slices.SortFunc(walked, byTime)
			if want := slices.SortedFunc(slices.Values(stu.Transactions), byTime); !reflect.DeepEqual(walked, want) {
				t.Errorf("ListTransactionsIter walked %d transactions, want the fixture's %d", len(walked), len(want))
			}
			for _, r := range fake.Requests() {
				if r.Endpoint == jaccounttest.EndpointAPI && (r.Credential != mode.cred || r.Status != 200) {
					t.Errorf("%s %s: credential %s status %d, want %s 200", r.Method, r.Path, r.Credential, r.Status, mode.cred)
				}
			}
		})
	}
}

func TestFakeFaults(t *testing.T) {
	t.Parallel()
	const path = "/v1/me/profile"
	cases := []struct {
		name     string
		fault    jaccounttest.Fault
		scopes   []string
		opts     []api.Option
		attempts int   // requests the fake sees; 0 means at least 2
		is       error // nil: success
		errno    api.Errno
		min      time.Duration
	}{
		{name: "503 burst", fault: jaccounttest.ErrorStatus(503).Times(2), attempts: 3},
		{name: "503 forever", fault: jaccounttest.ErrorStatus(503), attempts: 4, is: api.ErrServerError},
		{name: "429 with Retry-After", fault: jaccounttest.RateLimit(time.Second).Times(1), attempts: 2, min: time.Second},
		{name: "HTML 502 page", fault: jaccounttest.HTMLPage(502).Times(1), attempts: 2},
		{name: "HTML page on 200", fault: jaccounttest.HTMLPage(200), attempts: 1, is: api.ErrInvalidResponse},
		{name: "errno on 200", fault: jaccounttest.Errno(40001, "busy"), attempts: 1, is: api.ErrAPI, errno: 40001},
		{name: "truncated body", fault: jaccounttest.TruncateBody().Times(1), attempts: 2},
		// net/http itself may replay a GET on a dropped keep-alive connection.
		{name: "dropped connections", fault: jaccounttest.DropConnection().Times(2)},
		{name: "slow past attempt timeout", fault: jaccounttest.Latency(5 * time.Second).Times(1),
			opts: []api.Option{api.WithAttemptTimeout(200 * time.Millisecond)}, attempts: 2, min: 200 * time.Millisecond},
		{name: "missing scope", scopes: []string{"lessons"}, attempts: 1, is: api.ErrForbidden},
		{name: "400 not retried", fault: jaccounttest.ErrorStatus(400), attempts: 1, is: api.ErrAPI},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fake := startFake(t)
			scopes := tc.scopes
			if scopes == nil {
				scopes = []string{"basic"}
			}
			tok, err := fake.IssueToken(jaccounttest.StudentUsername, scopes...)
			if err != nil {
				t.Fatal(err)
			}
			if tc.scopes == nil {
				fake.Inject(tc.fault.OnPath(path))
			}
			c, err := api.NewClient(api.StaticToken(tok.AccessToken), append([]api.Option{api.WithBaseURL(fake.APIURL()), fakeRetries}, tc.opts...)...)
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			p, err := c.Profile.Get(t.Context())
			elapsed := time.Since(start)
			switch n := apiCalls(fake, path); {
			case tc.attempts == 0 && n < 2, tc.attempts != 0 && n != tc.attempts:
				t.Errorf("the fake saw %d requests, want %d (err %v)", n, tc.attempts, err)
			}
			if tc.is == nil {
				if err != nil || p.Account != jaccounttest.StudentUsername {
					t.Fatalf("Get = %+v, %v", p, err)
				}
			} else if !errors.Is(err, tc.is) {
				t.Fatalf("err = %v, want %v", err, tc.is)
			}
			var e *api.Error
			if tc.errno != 0 && (!errors.As(err, &e) || e.Errno != tc.errno) {
				t.Errorf("err = %#v, want errno %d", err, tc.errno)
			}
			if elapsed < tc.min {
				t.Errorf("took %v, want at least %v", elapsed, tc.min)
			}
		})
	}
}

// fakeAuth is an auth.Config for the fake's default client.
func fakeAuth(fake *jaccounttest.Server) *auth.Config {
	return &auth.Config{ClientID: fake.ClientID(), ClientSecret: fake.ClientSecret(), Endpoint: auth.Endpoint{
		AuthURL: fake.AuthURL(), TokenURL: fake.TokenURL(), LogoutURL: fake.LogoutURL(), Issuer: fake.Issuer()}}
}

// refreshingClient is a client over an auth.TokenSource holding the token
// the fake issued, which refreshes at the fake's token endpoint.
func refreshingClient(t *testing.T, fake *jaccounttest.Server, issued *jaccounttest.Token) (*auth.TokenSource, *api.Client) {
	t.Helper()
	ts, err := fakeAuth(fake).TokenSource(&auth.Token{AccessToken: issued.AccessToken, RefreshToken: issued.RefreshToken,
		TokenType: issued.TokenType, Expiry: issued.Expiry})
	if err != nil {
		t.Fatal(err)
	}
	c, err := api.NewClient(ts, api.WithBaseURL(fake.APIURL()), fakeRetries)
	if err != nil {
		t.Fatal(err)
	}
	return ts, c
}

// TestFakeRefreshOn401 revokes tokens on the server while the client still
// holds them as valid: a rejection (in either style the live API has used)
// forces one refresh for any number of callers, and a revoked refresh token
// ends in auth.ErrInvalidGrant without retries.
func TestFakeRefreshOn401(t *testing.T) {
	t.Parallel()
	for _, style := range rejectionStyles {
		t.Run(style.name, func(t *testing.T) {
			t.Parallel()
			fake := startFake(t, style.opt)
			issued, err := fake.IssueToken(jaccounttest.StudentUsername, "basic")
			if err != nil {
				t.Fatal(err)
			}
			ts, c := refreshingClient(t, fake, issued)
			ctx := t.Context()

			fake.ExpireAccessTokens() // the server no longer accepts a token the client thinks valid
			const callers = 32
			for _, err := range getProfiles(ctx, c, callers) {
				t.Errorf("Get after expiry: %v", err)
			}
			if n := tokenCalls(fake); n != 1 {
				t.Errorf("%d callers caused %d refreshes, want 1", callers, n)
			}

			cur, err := ts.AuthToken(ctx)
			if err != nil {
				t.Fatal(err)
			}
			fake.RevokeToken(cur.AccessToken)
			fake.RevokeToken(cur.RefreshToken)
			fake.ResetRequests()
			_, err = c.Profile.Get(ctx)
			if !errors.Is(err, auth.ErrInvalidGrant) {
				t.Fatalf("err = %v, want auth.ErrInvalidGrant", err)
			}
			if n, m := tokenCalls(fake), apiCalls(fake, "/v1/me/profile"); n != 1 || m != 1 {
				t.Errorf("after revocation: %d token requests and %d API requests, want 1 and 1 (no retries)", n, m)
			}
		})
	}
}

// getProfiles calls Profile.Get from n goroutines at once and returns the
// errors.
func getProfiles(ctx context.Context, c *api.Client, n int) []error {
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			if _, err := c.Profile.Get(ctx); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	var out []error
	for err := range errs {
		out = append(out, err)
	}
	return out
}

// expiredSource is an auth.TokenSource over the fake whose token the fake
// no longer accepts and that is past its expiry, so the first call
// refreshes.
func expiredSource(t *testing.T, fake *jaccounttest.Server, opts ...auth.SourceOption) *auth.TokenSource {
	t.Helper()
	issued, err := fake.IssueToken(jaccounttest.StudentUsername, "basic")
	if err != nil {
		t.Fatal(err)
	}
	fake.ExpireAccessToken(issued.AccessToken)
	ts, err := fakeAuth(fake).TokenSource(&auth.Token{AccessToken: issued.AccessToken, RefreshToken: issued.RefreshToken,
		TokenType: issued.TokenType, Expiry: time.Now().Add(-time.Minute)}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

// TestFakeSlowRefreshKeepsDeadline (finding 3): a call with a 200 ms
// deadline returns by it while the token endpoint takes 1.5 s to refresh.
func TestFakeSlowRefreshKeepsDeadline(t *testing.T) {
	t.Parallel()
	fake := startFake(t)
	fake.Inject(jaccounttest.Latency(1500 * time.Millisecond).On(jaccounttest.EndpointToken).Times(1))
	c, err := api.NewClient(expiredSource(t, fake), api.WithBaseURL(fake.APIURL()), fakeRetries)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = c.Profile.Get(ctx)
	if elapsed := time.Since(start); !errors.Is(err, context.DeadlineExceeded) || elapsed > time.Second {
		t.Fatalf("err = %v after %v, want the deadline within 1 s", err, elapsed)
	}
	// The refresh the call started completes for the next caller.
	if _, err := c.Profile.Get(t.Context()); err != nil || tokenCalls(fake) != 1 {
		t.Fatalf("next call: %v, %d token requests (want 1)", err, tokenCalls(fake))
	}
}

// TestFakeTokenEndpointBlip (finding 5): the token endpoint answering 503
// a few times while the API rejects the expired token costs no call; an
// endpoint that stays down gives an error that says it is temporary, not
// ErrUnauthorized.
func TestFakeTokenEndpointBlip(t *testing.T) {
	t.Parallel()
	for _, style := range rejectionStyles {
		t.Run(style.name, func(t *testing.T) {
			t.Parallel()
			testTokenEndpointBlip(t, style.opt)
		})
	}
}

func testTokenEndpointBlip(t *testing.T, style jaccounttest.Option) {
	t.Run("blip", func(t *testing.T) {
		t.Parallel()
		fake := startFake(t, style)
		ts := expiredSource(t, fake)
		if _, err := ts.Token(); err != nil { // the source holds a fresh token the API accepts
			t.Fatal(err)
		}
		fake.ExpireAccessTokens() // the API now answers errno 10007
		fake.Inject(jaccounttest.ErrorStatus(503).On(jaccounttest.EndpointToken).Times(3))
		c, err := api.NewClient(ts, api.WithBaseURL(fake.APIURL()), fakeRetries)
		if err != nil {
			t.Fatal(err)
		}
		fake.ResetRequests()
		for _, err := range getProfiles(t.Context(), c, 16) {
			t.Errorf("call during a 3-answer token endpoint blip: %v", err)
		}
		if n := tokenCalls(fake); n != 4 {
			t.Errorf("%d token requests, want 4 (3 failed, then 1 for all 16 callers)", n)
		}
	})
	t.Run("down", func(t *testing.T) {
		t.Parallel()
		fake := startFake(t, style)
		fake.Inject(jaccounttest.ErrorStatus(503).On(jaccounttest.EndpointToken))
		// Long enough that a loaded machine still gets a 503 before the
		// refresh times out: a timeout with no answer at all is not what
		// this test is about.
		ts := expiredSource(t, fake, auth.WithRefreshTimeout(2*time.Second))
		c, err := api.NewClient(ts, api.WithBaseURL(fake.APIURL()), fakeRetries)
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Profile.Get(t.Context())
		var e *api.Error
		if !errors.As(err, &e) || !errors.Is(err, auth.ErrTemporary) || errors.Is(err, api.ErrUnauthorized) || errors.Is(err, auth.ErrInvalidGrant) {
			t.Fatalf("err = %v, want an *api.Error matching auth.ErrTemporary, not ErrUnauthorized", err)
		}
		// The same outage reached through a rejection (forced refresh).
		fake.ClearFaults()
		if _, err := ts.Token(); err != nil {
			t.Fatal(err)
		}
		fake.ExpireAccessTokens()
		fake.Inject(jaccounttest.ErrorStatus(503).On(jaccounttest.EndpointToken))
		_, err = c.Profile.Get(t.Context())
		if !errors.Is(err, auth.ErrTemporary) || errors.Is(err, api.ErrUnauthorized) {
			t.Fatalf("after a rejection: err = %v, want auth.ErrTemporary, not ErrUnauthorized", err)
		}
	})
}

// TestRevokedTokenRefreshesOnce: the fake revokes the access token the
// client holds as valid. The API answers it as the live service has: 403
// with {"errno":10002,"error":"Authentication Failed.","total":0}, or 200
// with {"errno":10002,"error":"Authentication Failed","total":0} (evidence
// E11); the next call through the client gets that answer, refreshes once
// and succeeds, in three requests: the rejected call, one token request,
// the retried call.
func TestRevokedTokenRefreshesOnce(t *testing.T) {
	t.Parallel()
	for _, style := range rejectionStyles {
		t.Run(style.name, func(t *testing.T) {
			t.Parallel()
			fake := startFake(t, style.opt)
			issued, err := fake.IssueToken(jaccounttest.StudentUsername, "essential")
			if err != nil {
				t.Fatal(err)
			}
			ts, c := refreshingClient(t, fake, issued)
			if _, err := c.Profile.Get(t.Context()); err != nil {
				t.Fatal(err)
			}
			if !fake.RevokeToken(issued.AccessToken) {
				t.Fatal("the fake does not know the token")
			}

			// What the server answers the revoked token.
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, fake.APIURL()+api.PathProfileGet, nil)
			req.Header.Set("Authorization", "Bearer "+issued.AccessToken)
			resp, err := fake.HTTPClient().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != style.status || string(bytes.TrimSpace(body)) != style.body {
				t.Fatalf("revoked token: %d %s, want %d %s", resp.StatusCode, body, style.status, style.body)
			}
			t.Logf("revoked token: HTTP %d %s", resp.StatusCode, bytes.TrimSpace(body))

			fake.ResetRequests()
			p, err := c.Profile.Get(t.Context())
			if err != nil || p.Account != jaccounttest.StudentUsername {
				t.Fatalf("the call after the revocation: %v, want the profile after one refresh", err)
			}
			var seen []string
			for _, r := range fake.Requests() {
				seen = append(seen, fmt.Sprintf("%s %s %d", r.Method, r.Path, r.Status))
			}
			want := []string{fmt.Sprintf("GET /v1/me/profile %d", style.status), "POST /oauth2/token 200", "GET /v1/me/profile 200"}
			if !slices.Equal(seen, want) {
				t.Errorf("requests %q, want %q", seen, want)
			}
			cur, err := ts.AuthToken(t.Context())
			if err != nil || cur.AccessToken == issued.AccessToken || cur.RefreshToken == issued.RefreshToken {
				t.Errorf("after the refresh the source holds the revoked token or the spent refresh token (%v)", err)
			}
			t.Logf("next call: %q, then succeeded", seen)
		})
	}
}
