package api_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/oauth-jaccount/jaccount-go/api"
)

// recorder answers reply and remembers each request's method, URI,
// content type and body.
type recorder struct {
	mu   sync.Mutex
	seen []string
}

func (rc *recorder) handler(reply string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.seen = append(rc.seen, r.Method+" "+r.URL.RequestURI()+" "+r.Header.Get("Content-Type")+" "+string(b))
		rc.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(reply))
	})
}

func (rc *recorder) last() string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.seen[len(rc.seen)-1]
}

func TestDoBodies(t *testing.T) {
	t.Parallel()
	rc := &recorder{}
	s := newServer(t, rc.handler(`{"errno":0,"error":"success","total":2,"entities":[{"id":1},{"id":2}]}`))
	c := newClient(t, s)
	ctx := t.Context()
	tests := []struct {
		name string
		body any
		want string
	}{
		{"none", nil, "DELETE /v1/x?a=1  "},
		{"form", url.Values{"k": {"v w"}}, "DELETE /v1/x?a=1 application/x-www-form-urlencoded k=v+w"},
		{"json", map[string]int{"n": 1}, `DELETE /v1/x?a=1 application/json {"n":1}`},
		{"raw json", json.RawMessage(`[1]`), `DELETE /v1/x?a=1 application/json [1]`},
		{"bytes", []byte("abc"), "DELETE /v1/x?a=1 application/octet-stream abc"},
		{"reader", strings.NewReader("def"), "DELETE /v1/x?a=1 application/octet-stream def"},
	}
	for _, tt := range tests {
		if err := c.Do(ctx, "delete", "/v1/x", url.Values{"a": {"1"}}, tt.body, nil); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got := rc.last(); got != tt.want {
			t.Errorf("%s: sent %q, want %q", tt.name, got, tt.want)
		}
	}
	if err := c.Do(ctx, "POST", "/v1/x", nil, func() {}, nil); err == nil {
		t.Error("a body JSON cannot encode was sent")
	}
}

func TestDoOut(t *testing.T) {
	t.Parallel()
	s := newServer(t, reply(200, "application/json", `{"errno":0,"error":"success","total":2,"entities":[{"id":1},{"id":2}]}`))
	c := newClient(t, s)
	ctx := t.Context()
	type item struct{ ID int }
	var one item
	var all []item
	var raw json.RawMessage
	var m map[string]any
	if err := c.Do(ctx, "GET", "/v1/x", nil, nil, &one); err != nil || one.ID != 1 {
		t.Errorf("one: %+v %v", one, err)
	}
	if err := c.Do(ctx, "GET", "/v1/x", nil, nil, &all); err != nil || len(all) != 2 || all[1].ID != 2 {
		t.Errorf("all: %+v %v", all, err)
	}
	if err := c.Do(ctx, "GET", "/v1/x", nil, nil, &raw); err != nil || string(raw) != `[{"id":1},{"id":2}]` {
		t.Errorf("raw: %s %v", raw, err)
	}
	if err := c.Do(ctx, "GET", "/v1/x", nil, nil, &m); err != nil || m["id"] != float64(1) {
		t.Errorf("map: %v %v", m, err)
	}
	var wrong []string
	if err := c.Do(ctx, "GET", "/v1/x", nil, nil, &wrong); !errors.Is(err, api.ErrInvalidResponse) {
		t.Errorf("undecodable entities: %v", err)
	}
	for _, bad := range []any{one, (*item)(nil)} {
		if err := c.Do(ctx, "GET", "/v1/x", nil, nil, bad); !errors.Is(err, api.ErrInvalidArgument) {
			t.Errorf("out %T: %v", bad, err)
		}
	}
	if err := c.Do(ctx, "GET", "v1/x", nil, nil, nil); !errors.Is(err, api.ErrInvalidArgument) {
		t.Errorf("relative path: %v", err)
	}
	empty := newClient(t, newServer(t, reply(200, "application/json", `{"errno":0,"error":"success","total":0,"entities":[]}`)))
	if err := empty.Do(ctx, "GET", "/v1/x", nil, nil, &one); !errors.Is(err, api.ErrNoEntity) {
		t.Errorf("single out of an empty reply: %v", err)
	}
	// A reply without entities is fine when nothing is read from it.
	none := newClient(t, newServer(t, reply(200, "application/json", `{"errno":0,"error":"success","total":0}`)))
	if err := none.Do(ctx, "POST", "/v1/x", nil, url.Values{}, nil); err != nil {
		t.Errorf("no entities, out nil: %v", err)
	}
	if _, err := api.GetList[item](ctx, none, "/v1/x", nil); !errors.Is(err, api.ErrInvalidResponse) {
		t.Errorf("list without entities: %v", err)
	}
}

// TestDoRetries: a POST or a PUT is not sent again after a 503 (jAccount's
// PUTs create and send: issue 17), a DELETE is; a body is sent again, whole,
// with the refreshed token after a 401.
func TestDoRetries(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		method string
		want   int64
	}{{"POST", 1}, {"PUT", 1}, {"DELETE", 4}} {
		s := newServer(t, reply(503, "", ""))
		c := newClient(t, s)
		if err := c.Do(t.Context(), tc.method, "/v1/x", nil, url.Values{"a": {"b"}}, nil); !errors.Is(err, api.ErrServerError) {
			t.Errorf("%s: %v", tc.method, err)
		}
		if n := s.requests.Load(); n != tc.want {
			t.Errorf("%s answered 503: sent %d times, want %d", tc.method, n, tc.want)
		}
	}
	rc := &recorder{}
	s := newServer(t, rc.handler(`{"errno":0,"error":"success"}`))
	src := &refreshingSource{cur: "revoked-token", next: testToken}
	c := newClientTS(t, s, src)
	if err := c.Do(t.Context(), "POST", "/v1/x", nil, map[string]string{"k": "v"}, nil); err != nil {
		t.Fatal(err)
	}
	if got := rc.last(); src.refreshes.Load() != 1 || got != `POST /v1/x application/json {"k":"v"}` {
		t.Errorf("after the refresh: %q (refreshes %d)", got, src.refreshes.Load())
	}
}

func TestURLBuilders(t *testing.T) {
	t.Parallel()
	tests := []struct {
		got, want string
	}{
		{must(api.URL("", "/v1/me/profile", nil)), "https://api.sjtu.edu.cn/v1/me/profile"},
		{must(api.URL("http://127.0.0.1:8/prefix/", "/v1/lesson/a%2Fb", url.Values{"x": {"1 2"}})), "http://127.0.0.1:8/prefix/v1/lesson/a%2Fb?x=1+2"},
		{must(api.AuthorizedURL("", api.PathProfileGet, nil, "tok", "")), "https://api.sjtu.edu.cn/v1/me/profile?access_token=tok"},
		{must(api.AuthorizedURL("", api.PathEnterpriseGetUserRights, url.Values{"account": {"bob"}}, "t&k", "app")),
			"https://api.sjtu.edu.cn/v1/enterprise/user/rights?access_token=t%26k&account=bob&client_id=app"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %s, want %s", tt.got, tt.want)
		}
	}
	if _, err := api.URL("", "v1", nil); !errors.Is(err, api.ErrInvalidArgument) {
		t.Errorf("relative path: %v", err)
	}
	if _, err := api.URL("://", "/v1", nil); err == nil {
		t.Error("bad base accepted")
	}
}

func must(s string, err error) string {
	if err != nil {
		panic(err)
	}
	return s
}

// TestWithTokenSource: the copy sends its own token through the same
// transport; the original is unchanged.
func TestWithTokenSource(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	ct := &countingTransport{next: http.DefaultTransport}
	base := newClientTS(t, s, api.StaticToken("other"), api.WithTransport(ct), api.WithQueryAuth(testClientID))
	c := base.WithTokenSource(api.StaticToken(testToken))
	if _, err := c.Profile.Get(t.Context()); err != nil {
		t.Fatal(err)
	}
	if q := s.lastRequest().URL.Query(); q.Get("access_token") != testToken || q.Get("client_id") != testClientID {
		t.Errorf("copy sent %q", s.lastRequest().URL.RawQuery)
	}
	if _, err := base.Profile.Get(t.Context()); !errors.Is(err, api.ErrUnauthorized) {
		t.Errorf("original with its own token: %v", err)
	}
	if n := ct.n.Load(); n != 2 {
		t.Errorf("the shared transport saw %d requests, want 2", n)
	}
	if same := base.WithTokenSource(nil); same.Profile == base.Profile || same.BaseURL() != base.BaseURL() {
		t.Error("WithTokenSource(nil) must return a distinct copy with the same settings")
	}
}

// TestScopes checks the generated registry against the documentation's
// figures (evidence F17).
func TestScopes(t *testing.T) {
	t.Parallel()
	if n := len(api.Scopes()); n != 40 {
		t.Errorf("%d scopes, want 39 with a bit and openid", n)
	}
	for _, tt := range []struct {
		s      api.Scope
		bit    int
		grants string
	}{
		{api.ScopeBasic, 0, "[authorization_code client_credentials]"},
		{api.ScopeLessons, 34, "[authorization_code]"},
		{api.ScopeStudentsList, 38, "[authorization_code]"},
		{api.ScopeCalendar, 52, "[authorization_code client_credentials]"},
		{api.ScopeOpenID, -1, "[authorization_code]"},
		{api.Scope("nope"), -1, "[]"},
	} {
		if tt.s.Bit() != tt.bit || fmtSlice(tt.s.Grants()) != tt.grants || tt.s.Known() != (tt.s != "nope") {
			t.Errorf("%s: bit %d grants %v known %v", tt.s, tt.s.Bit(), tt.s.Grants(), tt.s.Known())
		}
	}
	if m, ok := api.ScopeMask(api.ScopeBasic, api.ScopeEssential, api.ScopeCardInfo); !ok || m != 1<<0|1<<1|1<<39 {
		t.Errorf("mask %d %v", m, ok)
	}
	if _, ok := api.ScopeMask(api.ScopeOpenID); ok {
		t.Error("openid has no value")
	}
	if api.ErrnoName(api.ErrnoAccessTokenExpired) != "ACCESS_TOKEN_EXPIRED" || api.ErrnoAuthenticationFailed != 10002 || api.ErrnoName(15005) != "" {
		t.Error("errno catalogue")
	}
}

func fmtSlice(gs []api.GrantType) string {
	var s []string
	for _, g := range gs {
		s = append(s, string(g))
	}
	return "[" + strings.Join(s, " ") + "]"
}

// TestWithTokenSourceIsCheap: a per-request copy costs a handful of small
// allocations, not a new transport.
func TestWithTokenSourceIsCheap(t *testing.T) {
	c, err := api.NewClient(api.StaticToken("a"))
	if err != nil {
		t.Fatal(err)
	}
	ts := api.StaticToken("b")
	n := testing.AllocsPerRun(100, func() { _ = c.WithTokenSource(ts) })
	t.Logf("WithTokenSource: %.0f allocations", n)
	if n > 12 {
		t.Errorf("WithTokenSource makes %.0f allocations, want at most 12", n)
	}
}
