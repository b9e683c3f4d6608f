package api_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oauth-jaccount/jaccount-go/api"
)

// operation is a call of a typed method against fakeAPI, the request it
// must send, and a check of the result.
type operation struct {
	call  func(context.Context, *api.Client) (any, error)
	want  string // method, escaped path and query of the request
	check func(t *testing.T, v any)
}

// operations are the methods of the first version of the spec, with the
// exact requests they send.
var operations = map[string]operation{
	"getMyProfile": {
		call: func(ctx context.Context, c *api.Client) (any, error) { return c.Profile.Get(ctx) },
		want: "GET /v1/me/profile",
		check: func(t *testing.T, v any) {
			if p := v.(*api.Profile); p.Account != "alice" || p.UserType != api.UserTypeStudent {
				t.Errorf("profile = %+v", p)
			}
		},
	},
	"getUserPositions": {
		call: func(ctx context.Context, c *api.Client) (any, error) { return c.Enterprise.GetUserPositions(ctx) },
		want: "GET /v1/enterprise/user/positions",
		check: func(t *testing.T, v any) {
			if p := v.(*api.UserPositions); p.Account != "alice" || len(p.Positions) != 1 || p.Positions[0].Post.PostCode != "BuiltInStudent" {
				t.Errorf("positions = %+v", p)
			}
		},
	},
	"getUserRights": {
		call: func(ctx context.Context, c *api.Client) (any, error) {
			return c.Enterprise.GetUserRights(ctx, api.EnterpriseGetUserRightsParams{Account: "bob & co"})
		},
		want: "GET /v1/enterprise/user/rights?account=bob+%26+co",
		check: func(t *testing.T, v any) {
			if l := v.(*api.List[api.UserRight]); l.Total != 1 || len(l.Items) != 1 || l.Items[0].Name != "bob & co" ||
				l.Items[0].Parent == nil || l.Items[0].Parent.Code != "root" {
				t.Errorf("rights = %+v", l)
			}
		},
	},
	"listMyLessons": {
		call: func(ctx context.Context, c *api.Client) (any, error) { return c.Lessons.List(ctx) },
		want: "GET /v1/me/lessons",
		check: func(t *testing.T, v any) {
			if l := v.(*api.List[api.Lesson]); len(l.Items) != 1 || l.Items[0].Code != "CS101-1" || l.Items[0].Credits != 3 {
				t.Errorf("lessons = %+v", l)
			}
		},
	},
	"listMyLessonsBySemester": {
		call: func(ctx context.Context, c *api.Client) (any, error) {
			return c.Lessons.ListBySemester(ctx, "2024-2025-1", api.LessonsListBySemesterParams{})
		},
		want: "GET /v1/me/lessons/2024-2025-1",
		check: func(t *testing.T, v any) {
			if l := v.(*api.List[api.Lesson]); len(l.Items) != 1 || l.Items[0].Name != "2024-2025-1" {
				t.Errorf("lessons = %+v", l)
			}
		},
	},
	"getLesson": {
		call: func(ctx context.Context, c *api.Client) (any, error) { return c.Lessons.Get(ctx, "CS101-1") },
		want: "GET /v1/lesson/CS101-1",
		check: func(t *testing.T, v any) {
			if l := v.(*api.Lesson); l.Bsid != "B1" {
				t.Errorf("lesson = %+v", l)
			}
		},
	},
	"listMyExaminations": {
		call: func(ctx context.Context, c *api.Client) (any, error) { return c.Examinations.List(ctx) },
		want: "GET /v1/me/examinations",
		check: func(t *testing.T, v any) {
			if l := v.(*api.List[api.Examination]); l.Total != 2 || len(l.Items) != 2 || l.Items[1]["name"] != "Physics" {
				t.Errorf("examinations = %+v", l)
			}
		},
	},
	"getMyCard": {
		call: func(ctx context.Context, c *api.Client) (any, error) { return c.Card.Get(ctx) },
		want: "GET /v1/me/card",
		check: func(t *testing.T, v any) {
			if card := v.(*api.CardInfo); card.CardNo != "12345" || card.CardBalance != 42.5 {
				t.Errorf("card = %+v", card)
			}
		},
	},
	"listMyCardTransactions": {
		call: func(ctx context.Context, c *api.Client) (any, error) {
			return c.Card.ListTransactions(ctx, api.CardListTransactionsParams{
				CardNo: "12345", Begin: time.UnixMilli(1000), End: time.UnixMilli(2000), Start: 3, Limit: 3,
			})
		},
		want: "GET /v1/me/card/transactions?cardNo=12345&beginDate=1000&endDate=2000&start=3&limit=3",
		check: func(t *testing.T, v any) {
			l := v.(*api.List[api.CardTransaction])
			if l.Total != 7 || len(l.Items) != 3 || l.Items[0].DateTime != 1003 || l.NextToken != "" {
				t.Errorf("transactions = %+v", l)
			}
		},
	},
}

func TestOperations(t *testing.T) {
	t.Parallel()
	for id, op := range operations {
		t.Run(id, func(t *testing.T) {
			t.Parallel()
			s := newServer(t, nil)
			c := newClient(t, s)
			v, err := op.call(t.Context(), c)
			if err != nil {
				t.Fatalf("%s: %v", id, err)
			}
			op.check(t, v)
			got := s.lastRequest()
			req := got.Method + " " + got.URL.EscapedPath()
			if got.URL.RawQuery != "" {
				req += "?" + got.URL.RawQuery
			}
			if req != op.want {
				t.Errorf("request %s, want %s", req, op.want)
			}
			if h := got.Header.Get("Authorization"); h != "Bearer "+testToken {
				t.Errorf("Authorization = %q", h)
			}
			if ua := got.Header.Get("User-Agent"); ua != "jaccount-go/api" {
				t.Errorf("User-Agent = %q", ua)
			}
		})
	}
}

// TestDeprecatedNames calls the former names, which the spec's
// x-jaccount-aliases keep as wrappers.
func TestDeprecatedNames(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	c := newClient(t, s)
	ctx := t.Context()
	pos, err := c.Enterprise.Positions(ctx)
	if err != nil || pos.Account != "alice" {
		t.Errorf("Positions: %+v %v", pos, err)
	}
	rights, err := c.Enterprise.Rights(ctx, api.EnterpriseGetUserRightsParams{Account: "bob"})
	if err != nil || len(rights.Items) != 1 {
		t.Errorf("Rights: %+v %v", rights, err)
	}
	p := api.TransactionsParams{CardNo: "12345"}
	page, err := c.Card.Transactions(ctx, p)
	if err != nil || len(page.Items) != 3 {
		t.Errorf("Transactions: %+v %v", page, err)
	}
	n := 0
	for _, err := range c.Card.ListTransactionsIter(ctx, p) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != len(testTransactions) {
		t.Errorf("AllTransactions walked %d, want %d", n, len(testTransactions))
	}
}

func TestQueryAuth(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	c := newClient(t, s, api.WithQueryAuth(testClientID), api.WithUserAgent("ua/1"))
	if _, err := c.Enterprise.GetUserRights(t.Context(), api.EnterpriseGetUserRightsParams{Account: "bob"}); err != nil {
		t.Fatal(err)
	}
	r := s.lastRequest()
	q := r.URL.Query()
	if q.Get("access_token") != testToken || q.Get("client_id") != testClientID || q.Get("account") != "bob" {
		t.Errorf("query = %q", r.URL.RawQuery)
	}
	if h := r.Header.Get("Authorization"); h != "" {
		t.Errorf("Authorization = %q in query mode", h)
	}
	if ua := r.Header.Get("User-Agent"); ua != "ua/1" {
		t.Errorf("User-Agent = %q", ua)
	}
}

func TestBaseURLWithPath(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	mux.Handle("/prefix/", http.StripPrefix("/prefix", fakeAPI()))
	s := newServer(t, mux)
	c := newClient(t, s, api.WithBaseURL(s.URL+"/prefix/"))
	if _, err := c.Lessons.Get(t.Context(), "CS101-1"); err != nil {
		t.Fatal(err)
	}
	if p := s.lastRequest().URL.Path; p != "/prefix/v1/lesson/CS101-1" {
		t.Errorf("path = %q", p)
	}
	// A code with a slash stays one path segment.
	_, err := c.Lessons.Get(t.Context(), "a/b")
	if !errors.Is(err, api.ErrNotFound) {
		t.Errorf("Get(a/b) = %v, want ErrNotFound", err)
	}
	if p := s.lastRequest().URL.EscapedPath(); p != "/prefix/v1/lesson/a%2Fb" {
		t.Errorf("escaped path = %q", p)
	}
}

func TestInvalidArguments(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	c := newClient(t, s)
	calls := map[string]func() error{
		"bad semester": func() error {
			_, err := c.Lessons.ListBySemester(t.Context(), "2024/1", api.LessonsListBySemesterParams{})
			return err
		},
		"empty code":    func() error { _, err := c.Lessons.Get(t.Context(), ""); return err },
		"relative path": func() error { _, err := c.NewRequest(t.Context(), "v1/me/profile", nil); return err },
		"semester range": func() error {
			_, err := c.Lessons.ListBySemester(t.Context(), "2024-2025-4", api.LessonsListBySemesterParams{})
			return err
		},
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, api.ErrInvalidArgument) {
			t.Errorf("%s: err = %v, want ErrInvalidArgument", name, err)
		}
	}
	if n := s.requests.Load(); n != 0 {
		t.Errorf("%d requests sent for invalid arguments", n)
	}
}

func TestNewClientErrors(t *testing.T) {
	t.Parallel()
	if _, err := api.NewClient(nil); err == nil {
		t.Error("nil TokenSource accepted")
	}
	for _, u := range []string{"ftp://x", "://", "http://", "https://h/?q=1", "/relative"} {
		if _, err := api.NewClient(api.StaticToken("t"), api.WithBaseURL(u)); err == nil {
			t.Errorf("base URL %q accepted", u)
		}
	}
	c, err := api.NewClient(api.StaticToken("t"))
	if err != nil {
		t.Fatal(err)
	}
	if c.BaseURL() != api.DefaultBaseURL {
		t.Errorf("BaseURL = %q", c.BaseURL())
	}
}

// TestHTTPClient sends through the client's stack with a plain
// *http.Client, for replies that are not the envelope.
func TestHTTPClient(t *testing.T) {
	t.Parallel()
	flaky := newServer(t, sequence(reply(503, "", ""), reply(503, "", ""), reply(200, "image/png", "PNG")))
	c := newClient(t, flaky)
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, flaky.URL+"/v1/barcode/qr/x.png", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	// Closing a body twice is harmless.
	_ = resp.Body.Close()
	_ = resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != "PNG" {
		t.Errorf("reply %d %q", resp.StatusCode, b)
	}
	if got := flaky.requests.Load(); got != 3 {
		t.Errorf("attempts = %d, want 3 (the 503s are retried)", got)
	}
	if h := flaky.lastRequest().Header.Get("Authorization"); h != "Bearer "+testToken {
		t.Errorf("Authorization = %q", h)
	}
}

func TestNewRequestAndAuthorize(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	for _, query := range []bool{false, true} {
		var opts []api.Option
		if query {
			opts = append(opts, api.WithQueryAuth(testClientID))
		}
		c := newClient(t, s, opts...)
		before := s.requests.Load()
		req, err := c.NewRequest(t.Context(), "/v1/me/card/transactions", url.Values{"cardNo": {"1 2"}})
		if err != nil {
			t.Fatal(err)
		}
		if s.requests.Load() != before {
			t.Fatal("NewRequest sent the request")
		}
		q := req.URL.Query()
		if q.Get("cardNo") != "1 2" || req.URL.Path != "/v1/me/card/transactions" || req.Method != http.MethodGet {
			t.Errorf("request = %s %s", req.Method, req.URL)
		}
		hasHeader := req.Header.Get("Authorization") == "Bearer "+testToken
		hasQuery := q.Get("access_token") == testToken && q.Get("client_id") == testClientID
		if hasHeader == query || hasQuery != query {
			t.Errorf("query mode %v: header %v, query %v", query, hasHeader, hasQuery)
		}
		// Authorize a request built elsewhere; the input stays bare.
		bare, err := http.NewRequestWithContext(t.Context(), http.MethodGet, c.BaseURL()+"/v1/lesson/CS101-1", nil)
		if err != nil {
			t.Fatal(err)
		}
		authed, err := c.Authorize(bare)
		if err != nil {
			t.Fatal(err)
		}
		if bare.Header.Get("Authorization") != "" || strings.Contains(bare.URL.RawQuery, "access_token") {
			t.Error("Authorize modified its input")
		}
		resp, err := http.DefaultClient.Do(authed.WithContext(t.Context()))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("authorized request: status %d", resp.StatusCode)
		}
	}
}

func TestAllTransactions(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	c := newClient(t, s)
	p := api.CardListTransactionsParams{CardNo: "12345"}
	var got []int64
	for tx, err := range c.Card.ListTransactionsIter(t.Context(), p) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, tx.DateTime)
	}
	if want := []int64{1000, 1001, 1002, 1003, 1004, 1005, 1006}; !slices.Equal(got, want) {
		t.Errorf("walked %v, want %v", got, want)
	}
	if p.Start != 0 || p.Limit != 0 {
		t.Error("caller's params were changed")
	}
	if n := s.requests.Load(); n != 3 {
		t.Errorf("%d requests, want 3 pages", n)
	}
	// Stopping early makes no further request.
	before := s.requests.Load()
	for range c.Card.ListTransactionsIter(t.Context(), p) {
		break
	}
	if n := s.requests.Load() - before; n != 1 {
		t.Errorf("break after the first item: %d requests", n)
	}
	// A cancelled context yields its error and stops.
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	var errs int
	for _, err := range c.Card.ListTransactionsIter(ctx, p) {
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v", err)
		}
		errs++
	}
	if errs != 1 {
		t.Errorf("%d yields on a cancelled context", errs)
	}
}

func TestAllTransactionsErrors(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		handler http.Handler
		want    error
		items   int
	}{
		"second page fails": {
			handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Query().Get("start") == "" {
					reply(200, "application/json", `{"errno":0,"error":"success","total":5,"entities":[{"amount":1},{"amount":2}]}`).ServeHTTP(w, r)
					return
				}
				reply(403, "application/json", `{"errno":10010,"error":"AUTHENTICATION_SCOPE_FAILED","total":0}`).ServeHTTP(w, r)
			}),
			want: api.ErrForbidden, items: 2,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := newClient(t, newServer(t, tc.handler))
			var items, errs int
			var last error
			for _, err := range c.Card.ListTransactionsIter(t.Context(), api.CardListTransactionsParams{}) {
				if err != nil {
					errs++
					last = err
					continue
				}
				items++
			}
			if items != tc.items || errs != 1 {
				t.Errorf("items %d errors %d, want %d and 1", items, errs, tc.items)
			}
			if tc.want != nil && !errors.Is(last, tc.want) {
				t.Errorf("err = %v, want %v", last, tc.want)
			}
		})
	}
}

func TestWithHTTPClient(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	ct := &countingTransport{next: http.DefaultTransport}
	// Only the Transport is used; the client's own Timeout is not.
	c := newClient(t, s, api.WithHTTPClient(&http.Client{Transport: ct, Timeout: time.Nanosecond}))
	if _, err := c.Profile.Get(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := ct.n.Load(); n != 1 {
		t.Errorf("transport saw %d requests, want 1", n)
	}
}

// TestTokenPaging walks GET /v1/me/circles, which pages by token: each
// reply's nextToken comes back as pageToken (with the caller's limit), and a
// server that repeats its token is stopped with an error instead of looped.
func TestTokenPaging(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var got []string
	s := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		mu.Lock()
		got = append(got, q.Encode())
		mu.Unlock()
		switch q.Get("pageToken") {
		case "":
			reply(200, "application/json", `{"errno":0,"error":"Succeed.","total":3,"nextToken":"3A4bz-e","entities":[{"id":"100001","name":"网络信息中心"},{"id":"100002"}]}`).ServeHTTP(w, r)
		case "3A4bz-e":
			reply(200, "application/json", `{"errno":0,"error":"Succeed.","total":3,"entities":[{"id":"100003"}]}`).ServeHTTP(w, r)
		default:
			reply(200, "application/json", `{"errno":0,"error":"Succeed.","nextToken":"same","entities":[{"id":"x"}]}`).ServeHTTP(w, r)
		}
	}))
	c := newClient(t, s)
	var ids []string
	for circle, err := range c.Circles.ListIter(t.Context(), api.CirclesListParams{Limit: 2}) {
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, circle.Id)
	}
	if want := []string{"100001", "100002", "100003"}; !slices.Equal(ids, want) {
		t.Errorf("walked %v, want %v", ids, want)
	}
	mu.Lock()
	if want := []string{"limit=2", "limit=2&pageToken=3A4bz-e"}; !slices.Equal(got, want) {
		t.Errorf("queries %q, want %q", got, want)
	}
	mu.Unlock()
	var items, errs int
	for _, err := range c.Circles.ListIter(t.Context(), api.CirclesListParams{PageToken: "loop"}) {
		if err != nil {
			errs++
			continue
		}
		items++
	}
	if items != 2 || errs != 1 {
		t.Errorf("a repeated nextToken: %d items and %d errors, want 2 and 1", items, errs)
	}
}
