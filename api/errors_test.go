package api_test

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/oauth-jaccount/jaccount-go/api"
)

func TestErrors(t *testing.T) {
	t.Parallel()
	const js = "application/json"
	long := strings.Repeat("x", 5000)
	cases := []struct {
		name    string
		handler http.Handler
		list    bool // call a list operation instead of Profile.Get
		opts    []api.Option
		status  int
		errno   api.Errno
		is      []error
		isNot   []error
		body    string // substring of Error.Body
		msg     string // substring of Error.Message
	}{
		{name: "HTML page on 200", handler: reply(200, "text/html", "<html><body>Bad gateway</body></html>"),
			status: 200, is: []error{api.ErrInvalidResponse}, isNot: []error{api.ErrServerError}, body: "<html><body>Bad gateway"},
		{name: "no content type, valid envelope", handler: reply(200, "", `{"errno":0,"error":"success","entities":[{"account":"a"}]}`)},
		{name: "malformed JSON", handler: reply(200, js, `{"errno":0,"entities":[{"account":`),
			status: 200, is: []error{api.ErrInvalidResponse}, msg: "not valid JSON"},
		{name: "wrong entities type", handler: reply(200, js, `{"errno":0,"entities":{"account":"a"}}`),
			status: 200, is: []error{api.ErrInvalidResponse}},
		{name: "empty body", handler: reply(200, js, ""), status: 200, is: []error{api.ErrInvalidResponse}},
		{name: "errno on 200", handler: reply(200, js, `{"errno":10003,"error":"scope not granted","entities":[]}`),
			status: 200, errno: 10003, is: []error{api.ErrAPI}, isNot: []error{api.ErrInvalidResponse}, msg: "scope not granted"},
		{name: "missing entities", handler: reply(200, js, `{"errno":0,"error":"success"}`),
			status: 200, is: []error{api.ErrInvalidResponse}, msg: "no entities"},
		{name: "null entities", handler: reply(200, js, `{"errno":0,"error":"success","entities":null}`),
			status: 200, is: []error{api.ErrInvalidResponse}},
		{name: "missing errno", handler: reply(200, js, `{"entities":[{"account":"a"}]}`),
			status: 200, is: []error{api.ErrInvalidResponse}, msg: "no errno"},
		{name: "empty entities, single", handler: reply(200, js, `{"errno":0,"error":"success","entities":[]}`),
			status: 200, is: []error{api.ErrNoEntity}},
		{name: "empty entities, list", list: true, handler: reply(200, js, `{"errno":0,"error":"success","entities":[]}`)},
		{name: "body over cap", handler: reply(200, js, `{"errno":0,"entities":[{"name":"`+long+`"}]}`),
			opts: []api.Option{api.WithMaxResponseSize(1024)}, status: 200, is: []error{api.ErrResponseTooLarge}, body: `{"errno":0`},
		{name: "401", handler: reply(401, js, `{"errno":401,"error":"token expired","entities":[]}`),
			status: 401, errno: 401, is: []error{api.ErrUnauthorized}, msg: "token expired"},
		{name: "403", handler: reply(403, js, `{"errno":403,"error":"forbidden","entities":[]}`),
			status: 403, errno: 403, is: []error{api.ErrForbidden}},
		{name: "404 HTML", handler: reply(404, "text/html", "<h1>Not Found</h1>"),
			status: 404, is: []error{api.ErrNotFound}, isNot: []error{api.ErrInvalidResponse}, body: "Not Found"},
		{name: "400 envelope", handler: reply(400, js, `{"errno":1,"error":"bad account","entities":[]}`),
			status: 400, errno: 1, is: []error{api.ErrAPI}, isNot: []error{api.ErrNotFound}, msg: "bad account"},
		{name: "429", handler: reply(429, js, `{"errno":429,"error":"slow down"}`),
			status: 429, errno: 429, is: []error{api.ErrRateLimited}, msg: "slow down"},
		{name: "500", handler: reply(500, "text/plain", "boom"), status: 500, is: []error{api.ErrServerError}, body: "boom", msg: "Internal Server Error"},
		{name: "501 not retried", handler: reply(501, js, `{"errno":501,"error":"nope"}`), status: 501, errno: 501, is: []error{api.ErrServerError}},
		// The live API's replies (jaccount-api.md section 0).
		{name: "403 errno 10002", handler: reply(403, js, `{"errno":10002,"error":"Authentication Failed.","total":0}`),
			status: 403, errno: 10002, is: []error{api.ErrUnauthorized, api.ErrAPI, api.ErrnoAuthenticationFailed},
			isNot: []error{api.ErrForbidden, api.ErrnoAccessTokenExpired}, msg: "Authentication Failed."},
		{name: "403 errno 10007", handler: reply(403, js, `{"errno":10007,"error":"ACCESS_TOKEN_EXPIRED","total":0}`),
			status: 403, errno: 10007, is: []error{api.ErrUnauthorized, api.ErrnoAccessTokenExpired}, isNot: []error{api.ErrForbidden}},
		{name: "403 errno 10010", handler: reply(403, js, `{"errno":10010,"error":"AUTHENTICATION_SCOPE_FAILED","total":0}`),
			status: 403, errno: 10010, is: []error{api.ErrForbidden, api.ErrAPI, api.ErrnoAuthenticationScopeFailed},
			isNot: []error{api.ErrUnauthorized}, msg: "AUTHENTICATION_SCOPE_FAILED"},
		{name: "200 errno 10010", handler: reply(200, js, `{"errno":10010,"error":"AUTHENTICATION_SCOPE_FAILED","total":0}`),
			status: 200, errno: 10010, is: []error{api.ErrForbidden, api.ErrAPI}, isNot: []error{api.ErrUnauthorized}},
		{name: "200 errno 10001 with detail", handler: reply(200, js, `{"errno":10001,"error":"BAD_PARAMETERS\n\nMORE_INFORMATION:phones is required","total":0}`),
			status: 200, errno: 10001, is: []error{api.ErrAPI, api.ErrnoBadParameters}, isNot: []error{api.ErrForbidden, api.ErrInvalidResponse},
			msg: "BAD_PARAMETERS: MORE_INFORMATION:phones is required"},
		{name: "redirect not followed", handler: http.RedirectHandler("http://127.0.0.1:1/elsewhere", http.StatusFound),
			status: 302, isNot: []error{api.ErrInvalidResponse}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := newClient(t, newServer(t, tc.handler), tc.opts...)
			var err error
			if tc.list {
				l, lerr := c.Lessons.List(t.Context())
				if err = lerr; err == nil && l.Items == nil {
					t.Error("nil Items without error")
				}
			} else {
				p, perr := c.Profile.Get(t.Context())
				if err = perr; (err == nil) == (p == nil) {
					t.Errorf("result %v with error %v", p, err)
				}
			}
			if tc.status == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			path := "/v1/me/profile"
			if tc.list {
				path = "/v1/me/lessons"
			}
			var e *api.Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v (%T), want *api.Error", err, err)
			}
			if e.StatusCode != tc.status || e.Errno != tc.errno || e.Method != http.MethodGet || e.Path != path {
				t.Errorf("error = %+v, want status %d errno %d", e, tc.status, tc.errno)
			}
			for _, s := range tc.is {
				if !errors.Is(err, s) {
					t.Errorf("errors.Is(%v, %v) = false", err, s)
				}
			}
			for _, s := range tc.isNot {
				if errors.Is(err, s) {
					t.Errorf("errors.Is(%v, %v) = true", err, s)
				}
			}
			if !strings.Contains(e.Body, tc.body) || len(e.Body) > 300 {
				t.Errorf("Body = %q, want it to contain %q and be short", e.Body, tc.body)
			}
			if !strings.Contains(e.Message, tc.msg) {
				t.Errorf("Message = %q, want %q", e.Message, tc.msg)
			}
			if !strings.HasPrefix(err.Error(), "jaccount api: GET "+path) {
				t.Errorf("Error() = %q", err.Error())
			}
		})
	}
}

func TestMalformedJSONKeepsCause(t *testing.T) {
	t.Parallel()
	c := newClient(t, newServer(t, reply(200, "application/json", `{"errno":0,"entities":[1,2`)))
	_, err := c.Lessons.List(t.Context())
	var se *json.SyntaxError
	if !errors.As(err, &se) {
		t.Errorf("err = %v, want a *json.SyntaxError in the chain", err)
	}
}

func TestSnippetIsSanitised(t *testing.T) {
	t.Parallel()
	body := "<html>\x00\x1b[31mtoken " + testToken + " access_token=other-secret&x=1 Authorization: Bearer abc.def\n" +
		strings.Repeat("é", 400) + "\xff</html>"
	c := newClient(t, newServer(t, reply(200, "text/html", body)))
	_, err := c.Profile.Get(t.Context())
	var e *api.Error
	if !errors.As(err, &e) {
		t.Fatal(err)
	}
	for _, secret := range []string{testToken, "other-secret", "abc.def"} {
		if strings.Contains(e.Body, secret) || strings.Contains(err.Error(), secret) {
			t.Errorf("snippet leaks %q: %q", secret, e.Body)
		}
	}
	if strings.IndexFunc(e.Body, unicode.IsControl) >= 0 || strings.ContainsRune(e.Body, '\uFFFD') {
		t.Errorf("snippet has control or invalid characters: %q", e.Body)
	}
	if len(e.Body) > 210 {
		t.Errorf("snippet is %d bytes", len(e.Body))
	}
}

func TestErrorString(t *testing.T) {
	t.Parallel()
	e := &api.Error{Method: "GET", Path: "/v1/me/card", StatusCode: 503, Errno: 7, Message: "busy", Body: "x", Attempts: 4}
	want := `jaccount api: GET /v1/me/card: HTTP 503: errno 7: busy: body "x" (after 4 attempts)`
	if got := e.Error(); got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	cause := errors.New("dial failed")
	e = &api.Error{Method: "GET", Path: "/v1/me/profile", Err: cause}
	if got := e.Error(); got != "jaccount api: GET /v1/me/profile: dial failed" || !errors.Is(e, cause) {
		t.Errorf("Error() = %q", got)
	}
	// The text names the operation's template, or redacts what the spec
	// does not know; Path keeps what was sent.
	for path, want := range map[string]string{
		"/v1/profile/alice":     "jaccount api: GET /v1/profile/{id}: HTTP 404",
		"/v1/lesson/CS101-1":    "jaccount api: GET /v1/lesson/{code}: HTTP 404",
		"/v1/unmodeled/alice/x": "jaccount api: GET /v1/{redacted}/{redacted}/{redacted}: HTTP 404",
		"/v1/me/profile/":       "jaccount api: GET /v1/me/profile/: HTTP 404",
	} {
		e := &api.Error{Method: "GET", Path: path, StatusCode: 404}
		if got := e.Error(); got != want {
			t.Errorf("Path %q: Error() = %q, want %q", path, got, want)
		}
	}
	e = &api.Error{Method: "GET", Path: "/v1/me/profile", StatusCode: 404}
	if got := fmt.Sprintf("%q|%#v|%10.5s|", e, e, e); got != `"jaccount api: GET /v1/me/profile: HTTP 404"|&api.Error{"jaccount api: GET /v1/me/profile: HTTP 404"}|     jacco|` {
		t.Errorf("fmt verbs: %s", got)
	}
}

// TestErrorTextHoldsNoPathData: a user's account (or a code) in the path
// of a failed call is in Error.Path, for the caller, and in no text of the
// error under any fmt verb nor through slog: an operation's path, a path
// the spec does not know, a call refused for an invalid option.
func TestErrorTextHoldsNoPathData(t *testing.T) {
	t.Parallel()
	const account = "alice-PERSONAL-account"
	c := newClient(t, newServer(t, reply(404, "application/json", `{"errno":10008,"error":"GETDATA_NOT_FOUND","total":0}`)))
	ctx := t.Context()
	calls := map[string]func() error{
		"Profile.GetUser": func() error { _, err := c.Profile.GetUser(ctx, account); return err },
		"Get of a path the spec does not know": func() error {
			_, err := api.Get[map[string]any](ctx, c, "/v1/unmodeled/"+account, nil)
			return err
		},
		"Do": func() error { return c.Do(ctx, http.MethodPost, "/v1/unmodeled/"+account, nil, nil, nil) },
		"an invalid option": func() error {
			_, err := c.Profile.GetUser(ctx, account, api.WithTimeout(-time.Second))
			return err
		},
	}
	for name, call := range calls {
		err := call()
		if err == nil {
			t.Fatalf("%s: no error", name)
		}
		var e *api.Error
		if errors.As(err, &e) && e.Path != "/v1/profile/"+account && e.Path != "/v1/unmodeled/"+account {
			t.Errorf("%s: Error.Path = %q, want the path as sent", name, e.Path)
		}
		var texts []string
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T"} {
			texts = append(texts, fmt.Sprintf(verb, err))
			if e != nil {
				texts = append(texts, fmt.Sprintf(verb, e), fmt.Sprintf(verb, *e))
			}
		}
		var b strings.Builder
		slog.New(slog.NewJSONHandler(&b, nil)).Error("call failed", "err", err, "e", e)
		slog.New(slog.NewTextHandler(&b, nil)).Error("call failed", "err", err, "e", e)
		texts = append(texts, b.String())
		for _, s := range texts {
			for _, form := range []string{account, hex.EncodeToString([]byte(account)), strings.ToUpper(hex.EncodeToString([]byte(account)))} {
				if strings.Contains(s, form) {
					t.Errorf("%s: the error's text holds the account: %s", name, s)
				}
			}
		}
		t.Logf("%s: %v", name, err)
	}
}

// TestErrnoSentinels: an Errno is an error of its own, and an *Error
// matches the Errno it carries and no other; 10010 names the missing
// scopes when the reply does.
func TestErrnoSentinels(t *testing.T) {
	t.Parallel()
	if got := api.ErrnoBadParameters.Error(); got != "jaccount api: errno 10001 BAD_PARAMETERS" {
		t.Errorf("ErrnoBadParameters.Error() = %q", got)
	}
	if got := api.Errno(15005).Error(); got != "jaccount api: errno 15005" {
		t.Errorf("Errno(15005).Error() = %q", got)
	}
	e := &api.Error{StatusCode: 200, Errno: api.ErrnoTaskExist}
	if !errors.Is(e, api.ErrnoTaskExist) || errors.Is(e, api.ErrnoBadParameters) || errors.Is(&api.Error{}, api.Errno(0)) {
		t.Error("an *Error must match exactly its own errno")
	}
	wrapped := fmt.Errorf("sync: %w", e)
	var n api.Errno
	if !errors.Is(wrapped, api.ErrnoTaskExist) || errors.As(wrapped, &n) {
		t.Errorf("wrapped: Is %v, As an Errno %v (the errno is in the *Error, not in its chain)", errors.Is(wrapped, api.ErrnoTaskExist), errors.As(wrapped, &n))
	}
	for _, tc := range []struct {
		body string
		want []api.Scope
	}{
		{`{"errno":10010,"error":"AUTHENTICATION_SCOPE_FAILED","total":0}`, nil},
		{`{"errno":10010,"error":"AUTHENTICATION_SCOPE_FAILED\n\nMORE_INFORMATION:scope lessons is required","total":0}`, []api.Scope{api.ScopeLessons}},
		{`{"errno":10010,"error":"AUTHENTICATION_SCOPE_FAILED\n\nMORE_INFORMATION:one of the scopes exams or scores is required","total":0}`, []api.Scope{api.ScopeExams, api.ScopeScores}},
	} {
		c := newClient(t, newServer(t, reply(403, "application/json", tc.body)))
		_, err := c.Examinations.List(t.Context())
		var ae *api.Error
		if !errors.As(err, &ae) || !errors.Is(err, api.ErrForbidden) || !slices.Equal(ae.Scopes(), tc.want) {
			t.Errorf("%s: err %v, scopes %v, want ErrForbidden naming %v", tc.body, err, ae.Scopes(), tc.want)
		}
	}
}
