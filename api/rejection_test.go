package api_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/oauth-jaccount/jaccount-go/api"
	"github.com/oauth-jaccount/jaccount-go/jaccounttest"
)

// rejectionStyles are the answers the live API has given a token it
// refuses (issue 17 item 4): 403 to a missing token, 200 to an invalid one
// (evidence E11). The tests of a rejected token run in both.
var rejectionStyles = []struct {
	name   string
	status int
	body   string // what a revoked token gets
	opt    jaccounttest.Option
}{
	{"HTTP 403", http.StatusForbidden, `{"errno":10002,"error":"Authentication Failed.","total":0}`,
		jaccounttest.WithTokenRejectionStatus(0)}, // zero: the default
	{"HTTP 200", http.StatusOK, `{"errno":10002,"error":"Authentication Failed","total":0}`,
		jaccounttest.WithTokenRejectionStatus(http.StatusOK)},
}

// TestRejectionAnyStatusError: without a source that can refresh, errno
// 10002 or 10007 is ErrUnauthorized at any status (not ErrForbidden), and
// still the errno and ErrAPI.
func TestRejectionAnyStatusError(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		status int
		body   string
		is     []error
	}{
		{200, `{"errno":10002,"error":"Authentication Failed","total":0}`, []error{api.ErrnoAuthenticationFailed}},
		{200, `{"errno":10007,"error":"ACCESS_TOKEN_EXPIRED","total":0}`, []error{api.ErrnoAccessTokenExpired}},
		{403, `{"errno":10002,"error":"Authentication Failed.","total":0}`, nil},
		{401, `{"errno":10007,"error":"ACCESS_TOKEN_EXPIRED","total":0}`, nil},
		{500, `{"errno":10002,"error":"Authentication Failed","total":0}`, []error{api.ErrServerError}},
	} {
		c := newClient(t, newServer(t, reply(tc.status, "application/json", tc.body)), api.WithRetryPolicy(api.RetryPolicy{MaxAttempts: 1}))
		_, err := c.Profile.Get(t.Context())
		for _, want := range append(tc.is, api.ErrUnauthorized, api.ErrAPI) {
			if !errors.Is(err, want) {
				t.Errorf("HTTP %d %s: err = %v, want %v", tc.status, tc.body, err, want)
			}
		}
		if errors.Is(err, api.ErrForbidden) {
			t.Errorf("HTTP %d %s: err = %v matches ErrForbidden", tc.status, tc.body, err)
		}
	}
}

// TestRejectionErrnoAnywhere: the rejection is the envelope's top-level
// errno wherever it stands among the members; an errno inside the entities
// is data, not a rejection.
func TestRejectionErrnoAnywhere(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		first     string
		refreshes int64
	}{
		{"errno last", `{"error":"Authentication Failed","total":0,"errno":10002}`, 1},
		{"white space and case", "{ \"ERRNO\" :\n10007 }", 1},
		{"errno in an entity", `{"errno":0,"error":"success","total":1,"entities":[{"account":"alice","errno":10002}]}`, 0},
		{"errno as a string", `{"errno":"10002","error":"Authentication Failed"}`, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sc := &script{steps: []func(http.ResponseWriter, string){answer(200, tc.first), answer(200, okProfile)}}
			s := &server{Server: httptest.NewServer(sc)}
			t.Cleanup(s.Close)
			src := &rotatingSource{tokens: []string{"t1", "t2"}}
			c := newClientTS(t, s, src, api.WithRetryPolicy(api.RetryPolicy{MaxAttempts: 1}))
			_, _ = c.Profile.Get(t.Context())
			if n := src.refreshes.Load(); n != tc.refreshes {
				t.Errorf("%d forced refreshes, want %d (tokens sent %q)", n, tc.refreshes, sc.sent())
			}
		})
	}
}

// refresherSource is a fixed token behind the Refresher interface, so that
// the client checks every reply for a rejected token.
type refresherSource struct{}

func (refresherSource) Token() (*oauth2.Token, error) {
	return &oauth2.Token{AccessToken: testToken}, nil
}
func (refresherSource) ForceRefresh(context.Context, *oauth2.Token) (*oauth2.Token, error) {
	return &oauth2.Token{AccessToken: testToken}, nil
}

// BenchmarkRejectionCheck measures what the check for a rejected token
// costs a successful call (issue 17 item 4): Profile.Get through a client
// whose source can refresh (every reply is checked) and one whose source
// cannot (StaticToken: none is), alternating in each iteration as
// BenchmarkAPIPaired does. It reports each side's ns/call and the ratio;
// allocs/op are those of the pair.
func BenchmarkRejectionCheck(b *testing.B) {
	srv := benchServer()
	static, err := api.NewClient(api.StaticToken(testToken), api.WithBaseURL(srv.URL), api.WithTransport(benchTransport()))
	if err != nil {
		b.Fatal(err)
	}
	refreshing, err := api.NewClient(refresherSource{}, api.WithBaseURL(srv.URL), api.WithTransport(benchTransport()))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	get := func(c *api.Client) int64 {
		t0 := time.Now()
		if p, err := c.Profile.Get(ctx); err != nil || p.Account != "alice" {
			b.Fatal(err)
		}
		return time.Since(t0).Nanoseconds()
	}
	get(static)
	get(refreshing)
	b.ReportAllocs()
	var staticNS, refreshNS, n int64
	for b.Loop() {
		if n%2 == 0 {
			staticNS += get(static)
			refreshNS += get(refreshing)
		} else {
			refreshNS += get(refreshing)
			staticNS += get(static)
		}
		n++
	}
	b.ReportMetric(float64(staticNS)/float64(n), "static-ns/call")
	b.ReportMetric(float64(refreshNS)/float64(n), "refresher-ns/call")
	b.ReportMetric(float64(refreshNS)/float64(staticNS), "refresher/static")
}
