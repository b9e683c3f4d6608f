package api_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/oauth-jaccount/jaccount-go/api"
	"github.com/oauth-jaccount/jaccount-go/gen"
	"github.com/oauth-jaccount/jaccount-go/openapi"
)

// operation ties a spec operation to its api method, the generated request
// builder for the same call, and a check of the result.
type operation struct {
	call   func(context.Context, *api.Client) (any, error)
	genReq func(server string) (*http.Request, error)
	check  func(t *testing.T, v any)
}

// operations maps every operationId of openapi/jaccount.yaml to its method.
// TestEveryOperationHasMethod fails when the spec gains one not listed here.
var operations = map[string]operation{
	"getMyProfile": {
		call:   func(ctx context.Context, c *api.Client) (any, error) { return c.Profile.Get(ctx) },
		genReq: gen.NewGetMyProfileRequest,
		check: func(t *testing.T, v any) {
			if p := v.(*gen.Profile); p.Account != "alice" || p.UserType != "student" {
				t.Errorf("profile = %+v", p)
			}
		},
	},
	"getUserPositions": {
		call:   func(ctx context.Context, c *api.Client) (any, error) { return c.Enterprise.Positions(ctx) },
		genReq: gen.NewGetUserPositionsRequest,
		check: func(t *testing.T, v any) {
			if p := v.(*gen.UserPositions); p.Account != "alice" || len(p.Positions) != 1 || p.Positions[0].Post.PostCode != "BuiltInStudent" {
				t.Errorf("positions = %+v", p)
			}
		},
	},
	"getUserRights": {
		call: func(ctx context.Context, c *api.Client) (any, error) { return c.Enterprise.Rights(ctx, "bob & co") },
		genReq: func(s string) (*http.Request, error) {
			return gen.NewGetUserRightsRequest(s, &gen.GetUserRightsParams{Account: "bob & co"})
		},
		check: func(t *testing.T, v any) {
			if l := v.(*api.List[gen.UserRight]); l.Total != 1 || len(l.Items) != 1 || l.Items[0]["account"] != "bob & co" {
				t.Errorf("rights = %+v", l)
			}
		},
	},
	"listMyLessons": {
		call:   func(ctx context.Context, c *api.Client) (any, error) { return c.Lessons.List(ctx) },
		genReq: gen.NewListMyLessonsRequest,
		check: func(t *testing.T, v any) {
			if l := v.(*api.List[gen.Lesson]); len(l.Items) != 1 || l.Items[0].Code != "CS101-1" || l.Items[0].Credits != 3 {
				t.Errorf("lessons = %+v", l)
			}
		},
	},
	"listMyLessonsBySemester": {
		call: func(ctx context.Context, c *api.Client) (any, error) {
			return c.Lessons.ListBySemester(ctx, "2024-2025-1")
		},
		genReq: func(s string) (*http.Request, error) { return gen.NewListMyLessonsBySemesterRequest(s, "2024-2025-1") },
		check: func(t *testing.T, v any) {
			if l := v.(*api.List[gen.Lesson]); len(l.Items) != 1 || l.Items[0].Name != "2024-2025-1" {
				t.Errorf("lessons = %+v", l)
			}
		},
	},
	"getLesson": {
		call:   func(ctx context.Context, c *api.Client) (any, error) { return c.Lessons.Get(ctx, "CS101-1") },
		genReq: func(s string) (*http.Request, error) { return gen.NewGetLessonRequest(s, "CS101-1") },
		check: func(t *testing.T, v any) {
			if l := v.(*gen.Lesson); l.Bsid != "B1" {
				t.Errorf("lesson = %+v", l)
			}
		},
	},
	"listMyExaminations": {
		call:   func(ctx context.Context, c *api.Client) (any, error) { return c.Examinations.List(ctx) },
		genReq: gen.NewListMyExaminationsRequest,
		check: func(t *testing.T, v any) {
			if l := v.(*api.List[gen.Examination]); l.Total != 2 || len(l.Items) != 2 || l.Items[1]["name"] != "Physics" {
				t.Errorf("examinations = %+v", l)
			}
		},
	},
	"getMyCard": {
		call:   func(ctx context.Context, c *api.Client) (any, error) { return c.Card.Get(ctx) },
		genReq: gen.NewGetMyCardRequest,
		check: func(t *testing.T, v any) {
			if card := v.(*gen.CardInfo); card.CardNo != "12345" || card.CardBalance != 42.5 {
				t.Errorf("card = %+v", card)
			}
		},
	},
	"listMyCardTransactions": {
		call: func(ctx context.Context, c *api.Client) (any, error) {
			return c.Card.Transactions(ctx, api.TransactionsParams{
				CardNo: "12345", Begin: time.UnixMilli(1000), End: time.UnixMilli(2000), NextToken: "3",
			})
		},
		genReq: func(s string) (*http.Request, error) {
			return gen.NewListMyCardTransactionsRequest(s, &gen.ListMyCardTransactionsParams{
				CardNo: "12345", BeginDate: 1000, EndDate: 2000, NextToken: "3",
			})
		},
		check: func(t *testing.T, v any) {
			l := v.(*api.List[gen.CardTransaction])
			if l.Total != 7 || len(l.Items) != 3 || l.Items[0].DateTime != 1003 || l.NextToken != "6" {
				t.Errorf("transactions = %+v", l)
			}
		},
	},
}

func TestEveryOperationHasMethod(t *testing.T) {
	t.Parallel()
	doc, err := openapi3.NewLoader().LoadFromData(openapi.Spec)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			ids = append(ids, op.OperationID)
		}
	}
	slices.Sort(ids)
	var mapped []string
	for id := range operations {
		mapped = append(mapped, id)
	}
	slices.Sort(mapped)
	if !slices.Equal(ids, mapped) {
		t.Errorf("spec operations %v, api methods cover %v", ids, mapped)
	}
	if n := reflect.TypeFor[gen.ClientInterface]().NumMethod(); n != len(operations) {
		t.Errorf("gen.ClientInterface has %d methods, api covers %d operations", n, len(operations))
	}
	t.Logf("operation-to-method coverage: %d of %d", len(mapped), len(ids))
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
			// The request must be the one the generated builder makes.
			want, err := op.genReq(s.URL)
			if err != nil {
				t.Fatal(err)
			}
			got := s.lastRequest()
			if got.Method != want.Method || got.URL.EscapedPath() != want.URL.EscapedPath() ||
				got.URL.Query().Encode() != want.URL.Query().Encode() {
				t.Errorf("request %s %s, generated builder %s %s", got.Method, got.URL, want.Method, want.URL)
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

func TestQueryAuth(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	c := newClient(t, s, api.WithQueryAuth(testClientID), api.WithUserAgent("ua/1"))
	if _, err := c.Enterprise.Rights(t.Context(), "bob"); err != nil {
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
	mux.Handle("/prefix/", http.StripPrefix("/prefix", gen.HandlerFromMux(gen.NewStrictHandler(fakeAPI{}, nil), http.NewServeMux())))
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
		"empty account":  func() error { _, err := c.Enterprise.Rights(t.Context(), ""); return err },
		"bad semester":   func() error { _, err := c.Lessons.ListBySemester(t.Context(), "2024/1"); return err },
		"empty code":     func() error { _, err := c.Lessons.Get(t.Context(), ""); return err },
		"relative path":  func() error { _, err := c.NewRequest(t.Context(), "v1/me/profile", nil); return err },
		"semester range": func() error { _, err := c.Lessons.ListBySemester(t.Context(), "2024-2025-4"); return err },
	}
	for name, call := range calls {
		if err := call(); err == nil {
			t.Errorf("%s: no error", name)
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

func TestRaw(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	c := newClient(t, s)
	resp, err := c.Raw().GetLessonWithResponse(t.Context(), "CS101-1")
	if err != nil {
		t.Fatal(err)
	}
	if resp.JSON200 == nil || len(resp.JSON200.Entities) != 1 || resp.JSON200.Entities[0].Bsid != "B1" {
		t.Fatalf("raw reply = %d %s", resp.StatusCode(), resp.Body)
	}
	if h := s.lastRequest().Header.Get("Authorization"); h != "Bearer "+testToken {
		t.Errorf("Authorization = %q", h)
	}
	// The raw client shares the retry stack: a 503 burst is retried.
	flaky := newServer(t, sequence(reply(503, "", ""), reply(503, "", ""),
		gen.HandlerFromMux(gen.NewStrictHandler(fakeAPI{}, nil), http.NewServeMux())))
	c = newClient(t, flaky)
	pr, err := c.Raw().GetMyProfileWithResponse(t.Context())
	if err != nil || pr.JSON200 == nil {
		t.Fatalf("raw profile: %v", err)
	}
	if got := flaky.requests.Load(); got != 3 {
		t.Errorf("attempts = %d, want 3", got)
	}
	// Closing a raw body twice is harmless.
	hr, err := c.Raw().GetMyProfile(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := gen.ParseGetMyProfileResponse(hr); err != nil {
		t.Fatal(err)
	}
	_ = hr.Body.Close()
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
		// Authorize on a generated builder's request; the input stays bare.
		bare, err := gen.NewGetLessonRequest(c.BaseURL(), "CS101-1")
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
	p := api.TransactionsParams{CardNo: "12345"}
	var got []int64
	for tx, err := range c.Card.AllTransactions(t.Context(), p) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, tx.DateTime)
	}
	if want := []int64{1000, 1001, 1002, 1003, 1004, 1005, 1006}; !slices.Equal(got, want) {
		t.Errorf("walked %v, want %v", got, want)
	}
	if p.NextToken != "" {
		t.Error("caller's params were changed")
	}
	if n := s.requests.Load(); n != 3 {
		t.Errorf("%d requests, want 3 pages", n)
	}
	// Stopping early makes no further request.
	before := s.requests.Load()
	for range c.Card.AllTransactions(t.Context(), p) {
		break
	}
	if n := s.requests.Load() - before; n != 1 {
		t.Errorf("break after the first item: %d requests", n)
	}
	// A cancelled context yields its error and stops.
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	var errs int
	for _, err := range c.Card.AllTransactions(ctx, p) {
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
				if r.URL.Query().Get("nextToken") == "" {
					reply(200, "application/json", `{"errno":0,"error":"success","total":5,"nextToken":"x","entities":[{"amount":1},{"amount":2}]}`).ServeHTTP(w, r)
					return
				}
				reply(403, "application/json", `{"errno":403,"error":"no scope","entities":[]}`).ServeHTTP(w, r)
			}),
			want: api.ErrForbidden, items: 2,
		},
		"repeated token": {
			handler: reply(200, "application/json", `{"errno":0,"error":"success","nextToken":"same","entities":[{"amount":1}]}`),
			items:   2,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := newClient(t, newServer(t, tc.handler))
			var items, errs int
			var last error
			for _, err := range c.Card.AllTransactions(t.Context(), api.TransactionsParams{}) {
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
