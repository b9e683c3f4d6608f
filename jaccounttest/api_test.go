package jaccounttest_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/oauth-jaccount/jaccount-go/gen"
	"github.com/oauth-jaccount/jaccount-go/jaccounttest"
	"github.com/oauth-jaccount/jaccount-go/openapi"
)

// call is one spec operation called through the generated client; it
// returns the HTTP status and body.
type call func(ctx context.Context, c *gen.ClientWithResponses) (int, []byte, error)

func wrap[R interface {
	StatusCode() int
	GetBody() []byte
}](r R, err error) (int, []byte, error) {
	if err != nil {
		return 0, nil, err
	}
	return r.StatusCode(), r.GetBody(), nil
}

// calls has one call per operationId of openapi/jaccount.yaml.
var calls = map[string]call{
	"getMyProfile": func(ctx context.Context, c *gen.ClientWithResponses) (int, []byte, error) {
		return wrap(c.GetMyProfileWithResponse(ctx))
	},
	"getUserPositions": func(ctx context.Context, c *gen.ClientWithResponses) (int, []byte, error) {
		return wrap(c.GetUserPositionsWithResponse(ctx))
	},
	"getUserRights": func(ctx context.Context, c *gen.ClientWithResponses) (int, []byte, error) {
		return wrap(c.GetUserRightsWithResponse(ctx, &gen.GetUserRightsParams{Account: jaccounttest.StudentUsername}))
	},
	"listMyLessons": func(ctx context.Context, c *gen.ClientWithResponses) (int, []byte, error) {
		return wrap(c.ListMyLessonsWithResponse(ctx))
	},
	"listMyLessonsBySemester": func(ctx context.Context, c *gen.ClientWithResponses) (int, []byte, error) {
		return wrap(c.ListMyLessonsBySemesterWithResponse(ctx, jaccounttest.PreviousSemester))
	},
	"getLesson": func(ctx context.Context, c *gen.ClientWithResponses) (int, []byte, error) {
		return wrap(c.GetLessonWithResponse(ctx, "(2026-2027-1)-CS2501-01"))
	},
	"listMyExaminations": func(ctx context.Context, c *gen.ClientWithResponses) (int, []byte, error) {
		return wrap(c.ListMyExaminationsWithResponse(ctx))
	},
	"getMyCard": func(ctx context.Context, c *gen.ClientWithResponses) (int, []byte, error) {
		return wrap(c.GetMyCardWithResponse(ctx))
	},
	"listMyCardTransactions": func(ctx context.Context, c *gen.ClientWithResponses) (int, []byte, error) {
		return wrap(c.ListMyCardTransactionsWithResponse(ctx, &gen.ListMyCardTransactionsParams{}))
	},
}

// specOperations returns operationId -> the scopes of its first security
// alternative.
func specOperations(t *testing.T) map[string][]string {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(openapi.Spec)
	if err != nil {
		t.Fatal(err)
	}
	ops := map[string][]string{}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			var scopes []string
			if op.Security != nil && len(*op.Security) > 0 {
				for _, s := range (*op.Security)[0] {
					scopes = append(scopes, s...)
				}
			}
			ops[op.OperationID] = scopes
		}
	}
	return ops
}

// client returns a generated client sending token as a bearer token.
func client(t *testing.T, srv *jaccounttest.Server, token string) *gen.ClientWithResponses {
	t.Helper()
	c, err := gen.NewClientWithResponses(srv.APIURL(), gen.WithHTTPClient(srv.HTTPClient()),
		gen.WithRequestEditorFn(func(_ context.Context, req *http.Request) error {
			req.Header.Set("Authorization", "Bearer "+token)
			return nil
		}))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

type envelope struct {
	Errno     int               `json:"errno"`
	Error     string            `json:"error"`
	Total     int64             `json:"total"`
	NextToken string            `json:"nextToken"`
	Entities  []json.RawMessage `json:"entities"`
}

func TestEveryOperationServed(t *testing.T) {
	t.Parallel()
	ops := specOperations(t)
	for id := range calls {
		if _, ok := ops[id]; !ok {
			t.Errorf("test calls %s, which the spec does not have", id)
		}
	}
	srv := newServer(t)
	served := 0
	for id, scopes := range ops {
		t.Run(id, func(t *testing.T) {
			call, ok := calls[id]
			if !ok {
				t.Fatalf("spec operation %s has no call in this test", id)
			}
			tok := issue(t, srv, jaccounttest.StudentUsername, scopes...)
			status, body, err := call(testContext(t), client(t, srv, tok.AccessToken))
			if err != nil {
				t.Fatal(err)
			}
			var env envelope
			if err := json.Unmarshal(body, &env); err != nil {
				t.Fatalf("status %d, body %s: %v", status, body, err)
			}
			if status != http.StatusOK || env.Errno != 0 || len(env.Entities) == 0 || env.Total < int64(len(env.Entities)) {
				t.Fatalf("status %d errno %d entities %d total %d; want 200, errno 0, entities", status, env.Errno, len(env.Entities), env.Total)
			}
			served++
		})
	}
	t.Logf("%d of %d spec operations served", served, len(ops))
	if served != len(ops) {
		t.Errorf("%d of %d spec operations served", served, len(ops))
	}
}

func TestMissingScopeIsForbidden(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	// openid grants no API access; every operation that names a scope must refuse it.
	tok := issue(t, srv, jaccounttest.StudentUsername, "openid")
	for id, scopes := range specOperations(t) {
		t.Run(id, func(t *testing.T) {
			want := http.StatusForbidden
			if len(scopes) == 0 {
				want = http.StatusOK // getUserRights names no scope
			}
			status, body, err := calls[id](testContext(t), client(t, srv, tok.AccessToken))
			if err != nil {
				t.Fatal(err)
			}
			var env envelope
			if status != want || json.Unmarshal(body, &env) != nil || (want == 403) != (env.Errno != 0) {
				t.Fatalf("status %d body %s, want %d in the envelope", status, body, want)
			}
		})
	}
}

func TestProfileAlternativesAndTrimming(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	tests := []struct {
		scope            string
		wantEmail, wantM bool
	}{
		{"basic", false, false},
		{"essential", false, false},
		{"profile", true, false},
		{"privacy", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.scope, func(t *testing.T) {
			t.Parallel()
			tok := issue(t, srv, jaccounttest.StudentUsername, tt.scope)
			r, err := client(t, srv, tok.AccessToken).GetMyProfileWithResponse(testContext(t))
			if err != nil || r.JSON200 == nil || len(r.JSON200.Entities) != 1 {
				t.Fatalf("profile with %s: %v %s", tt.scope, err, r.Body)
			}
			p := r.JSON200.Entities[0]
			if p.Account != jaccounttest.StudentUsername || p.Name != "张三" || p.Kind != "canvas.profile" {
				t.Errorf("profile = %+v", p)
			}
			if (p.Email != "") != tt.wantEmail || (p.Mobile != "") != tt.wantM {
				t.Errorf("with %s: email %q mobile %q", tt.scope, p.Email, p.Mobile)
			}
		})
	}
}

func TestAPIAuthModes(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	good := issue(t, srv, jaccounttest.FacultyUsername, "essential")
	expired := issue(t, srv, jaccounttest.FacultyUsername, "essential")
	revoked := issue(t, srv, jaccounttest.FacultyUsername, "essential")
	if !srv.ExpireAccessToken(expired.AccessToken) || !srv.RevokeToken(revoked.AccessToken) {
		t.Fatal("expire or revoke did not find the token")
	}
	// The live API answers a bad token with 403 and errno 10002, an expired
	// one with errno 10007, and no entities (jaccount-api.md §0).
	tests := []struct {
		name      string
		header    string
		query     string
		want      int
		wantErrno int
		wantCred  jaccounttest.Credential
	}{
		{"bearer", "Bearer " + good.AccessToken, "", 200, 0, jaccounttest.CredentialBearer},
		{"bearer lower-case scheme", "bearer " + good.AccessToken, "", 200, 0, jaccounttest.CredentialBearer},
		{"query with client_id", "", "access_token=" + good.AccessToken + "&client_id=" + jaccounttest.DefaultClientID, 200, 0, jaccounttest.CredentialQuery},
		{"none", "", "", 403, 10002, jaccounttest.CredentialNone},
		{"unknown token", "Bearer nope", "", 403, 10002, jaccounttest.CredentialBearer},
		{"basic scheme", "Basic " + good.AccessToken, "", 403, 10002, jaccounttest.CredentialNone},
		{"expired", "Bearer " + expired.AccessToken, "", 403, 10007, jaccounttest.CredentialBearer},
		{"revoked", "", "access_token=" + revoked.AccessToken, 403, 10002, jaccounttest.CredentialQuery},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := "/v1/enterprise/user/positions?" + tt.query
			req, _ := http.NewRequestWithContext(testContext(t), http.MethodGet, srv.APIURL()+path, nil)
			if tt.header != "" {
				req.Header.Set("Authorization", tt.header)
			}
			r := do(t, srv.HTTPClient(), req)
			if r.status != tt.want || errno(r) != tt.wantErrno {
				t.Fatalf("status %d body %s, want %d errno %d", r.status, r.body, tt.want, tt.wantErrno)
			}
			if tt.want != 200 {
				if _, has := r.json["entities"]; has || r.str("error") == "" || r.json["total"] != float64(0) {
					t.Errorf("rejection body %s, want errno, error and total 0 without entities", r.body)
				}
				if tt.wantErrno == 10002 && r.str("error") != "Authentication Failed." {
					t.Errorf("error = %q, want the live API's \"Authentication Failed.\"", r.str("error"))
				}
			}
			if tt.want == 200 && r.str("error") != "Succeed." {
				t.Errorf("positions message = %q, want the documented \"Succeed.\"", r.str("error"))
			}
			if strings.Contains(r.body, good.AccessToken) {
				t.Error("the response echoes the token")
			}
			found := false
			for _, l := range srv.Requests() {
				if l.Path == "/v1/enterprise/user/positions" && l.Credential == tt.wantCred && l.Status == tt.want {
					found = true
				}
			}
			if !found {
				t.Errorf("request log has no entry with credential %s and status %d: %+v", tt.wantCred, tt.want, srv.Requests())
			}
		})
	}
}

func TestExpireAllAccessTokens(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	a := issue(t, srv, jaccounttest.StudentUsername, "basic")
	b := issue(t, srv, jaccounttest.FacultyUsername, "basic")
	srv.ExpireAccessTokens()
	for _, tok := range []string{a.AccessToken, b.AccessToken} {
		if r := apiGet(t, srv, "/v1/me/profile", tok); r.status != 403 || errno(r) != 10007 {
			t.Errorf("after ExpireAccessTokens: %d %s", r.status, r.body)
		}
	}
}

func TestCardTransactionsPaging(t *testing.T) {
	t.Parallel()
	srv := newServer(t, jaccounttest.WithPageSize(10))
	c := client(t, srv, issue(t, srv, jaccounttest.StudentUsername, "card_transactions").AccessToken)
	var all []gen.CardTransaction
	next, pages := "", 0
	for {
		r, err := c.ListMyCardTransactionsWithResponse(testContext(t), &gen.ListMyCardTransactionsParams{NextToken: next})
		if err != nil || r.JSON200 == nil {
			t.Fatalf("page %d: %v %s", pages, err, r.Body)
		}
		pages++
		all = append(all, r.JSON200.Entities...)
		if r.JSON200.Total != 45 {
			t.Errorf("total = %d, want 45", r.JSON200.Total)
		}
		if next = r.JSON200.NextToken; next == "" {
			break
		}
		if pages > 10 {
			t.Fatal("paging does not end")
		}
	}
	if pages != 5 || len(all) != 45 {
		t.Fatalf("%d pages, %d transactions; want 5 and 45", pages, len(all))
	}
	if !slices.IsSortedFunc(all, func(a, b gen.CardTransaction) int { return int(b.DateTime - a.DateTime) }) {
		t.Error("transactions are not newest first")
	}
	// The date range is inclusive at both ends.
	begin, end := all[30].DateTime, all[10].DateTime
	r, err := c.ListMyCardTransactionsWithResponse(testContext(t), &gen.ListMyCardTransactionsParams{BeginDate: begin, EndDate: end})
	if err != nil || r.JSON200 == nil || r.JSON200.Total != 21 {
		t.Fatalf("range: %v %s, want total 21", err, r.Body)
	}
	for _, bad := range []gen.ListMyCardTransactionsParams{
		{NextToken: "not-a-token"}, {CardNo: "0000"}, {BeginDate: end, EndDate: begin},
	} {
		r, err := c.ListMyCardTransactionsWithResponse(testContext(t), &bad)
		if err != nil || r.JSON400 == nil || r.JSON400.Errno == 0 {
			t.Errorf("params %+v: %v status %d, want 400", bad, err, r.StatusCode())
		}
	}
}

func TestLessonsAndErrors(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	tok := issue(t, srv, jaccounttest.StudentUsername, "lessons").AccessToken
	tests := []struct {
		path      string
		want      int
		wantTotal int
	}{
		{"/v1/me/lessons", 200, 2},
		{"/v1/me/lessons/" + jaccounttest.PreviousSemester, 200, 1},
		{"/v1/me/lessons/2001-2002-1", 200, 0},
		{"/v1/me/lessons/spring", 400, 0},
		{"/v1/lesson/bsid-CS2501", 200, 1},
		{"/v1/lesson/(2025-2026-2)-MATH2701-01", 200, 1},
		{"/v1/lesson/NOPE", 404, 0},
		{"/v1/enterprise/user/rights", 400, 0},
		{"/v1/enterprise/user/rights?account=nobody", 404, 0},
		{"/v1/no/such/api", 404, 0},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			t.Parallel()
			r := apiGet(t, srv, tt.path, tok)
			if r.status != tt.want || r.json == nil || (tt.want == 200) != (errno(r) == 0) {
				t.Fatalf("status %d body %s, want %d in the envelope", r.status, r.body, tt.want)
			}
			if tt.want == 200 {
				if n, _ := r.json["total"].(float64); int(n) != tt.wantTotal {
					t.Errorf("total = %v, want %d", r.json["total"], tt.wantTotal)
				}
				if _, ok := r.json["entities"].([]any); !ok {
					t.Errorf("entities is not an array: %s", r.body)
				}
			}
		})
	}
}

func TestClientCredentialsTokenOnUserAPIs(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	r := postToken(t, srv, creds(srv, "grant_type", "client_credentials", "scope", "lessons essential"), false)
	tok := r.str("access_token")
	if r.status != 200 || tok == "" || r.str("refresh_token") != "" || r.str("id_token") != "" {
		t.Fatalf("client_credentials: %d %s", r.status, r.body)
	}
	if r := apiGet(t, srv, "/v1/enterprise/user/rights?account="+jaccounttest.FacultyUsername, tok); r.status != 200 {
		t.Errorf("rights with a client token: %d %s", r.status, r.body)
	}
	if r := apiGet(t, srv, "/v1/lesson/bsid-MATH1207", tok); r.status != 200 {
		t.Errorf("lesson with a client token: %d %s", r.status, r.body)
	}
	if r := apiGet(t, srv, "/v1/me/lessons", tok); r.status != 403 {
		t.Errorf("my lessons with a client token: %d %s, want 403", r.status, r.body)
	}
}

func TestCustomUsersAndClients(t *testing.T) {
	t.Parallel()
	u := jaccounttest.DefaultUsers()[0]
	u.Username, u.Password, u.Profile.Name = "wangwu", "pw", "王五"
	srv := newServer(t, jaccounttest.WithUsers(u), jaccounttest.WithCurrentSemester(jaccounttest.PreviousSemester),
		jaccounttest.WithClient(jaccounttest.Client{ID: "other", Secret: "s3", RedirectURIs: []string{"https://app.example/cb"}, Scopes: []string{"basic"}}))
	if _, err := srv.IssueToken(jaccounttest.StudentUsername, "basic"); err == nil {
		t.Error("WithUsers kept the default users")
	}
	tok := issue(t, srv, "wangwu", "basic", "lessons")
	if r := apiGet(t, srv, "/v1/me/profile", tok.AccessToken); r.status != 200 || !strings.Contains(r.body, "王五") {
		t.Errorf("profile of the custom user: %d %s", r.status, r.body)
	}
	if r := apiGet(t, srv, "/v1/me/lessons", tok.AccessToken); r.json["total"] != float64(1) {
		t.Errorf("lessons of WithCurrentSemester: %s", r.body)
	}
	r := postToken(t, srv, url.Values{"client_id": {"other"}, "client_secret": {"s3"}, "grant_type": {"client_credentials"}, "scope": {"lessons"}}, false)
	if r.status != 400 || r.str("error") != "invalid_scope" {
		t.Errorf("client limited to basic asked for lessons: %d %s", r.status, r.body)
	}
}
