package jaccounttest_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/oauth-jaccount/jaccount-go/jaccounttest"
)

// admin calls the admin API: method, path under AdminURL, a JSON body ("" for
// none).
func admin(t *testing.T, srv *jaccounttest.Server, method, path, body string) reply {
	t.Helper()
	req, err := http.NewRequestWithContext(testContext(t), method, srv.AdminURL()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return do(t, srv.HTTPClient(), req)
}

func TestAdminOffByDefault(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	if srv.AdminURL() != "" {
		t.Errorf("AdminURL() = %q without WithAdmin", srv.AdminURL())
	}
	r := get(t, srv.HTTPClient(), srv.URL+jaccounttest.AdminPath+"/faults")
	if r.status != http.StatusNotFound {
		t.Errorf("GET %s/faults without WithAdmin: %d, want 404", jaccounttest.AdminPath, r.status)
	}
}

// TestAdminFaults injects each kind of fault through the admin API and sees
// the client get it, once when times is 1.
func TestAdminFaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body string
		check      func(t *testing.T, r reply)
	}{
		{"status", `{"kind":"status","status":503,"endpoint":"api","times":1}`, func(t *testing.T, r reply) {
			if r.status != 503 || errno(r) != 10004 {
				t.Errorf("got %d %s, want 503 with errno 10004", r.status, r.body)
			}
		}},
		{"rate limit", `{"kind":"rate_limit","retry_after_ms":1500,"times":1}`, func(t *testing.T, r reply) {
			if r.status != 429 || r.header.Get("Retry-After") != "2" {
				t.Errorf("got %d Retry-After %q", r.status, r.header.Get("Retry-After"))
			}
		}},
		{"html", `{"kind":"html","status":502,"path":"/v1/me/","times":1}`, func(t *testing.T, r reply) {
			if r.status != 502 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
				t.Errorf("got %d %s", r.status, r.header.Get("Content-Type"))
			}
		}},
		{"errno", `{"kind":"errno","errno":20001,"message":"系统繁忙","times":1}`, func(t *testing.T, r reply) {
			if r.status != 200 || errno(r) != 20001 || r.str("error") != "系统繁忙" {
				t.Errorf("got %d %s", r.status, r.body)
			}
		}},
		{"errno with the catalogue's message", `{"kind":"errno","errno":10004,"times":1,"probability":1}`, func(t *testing.T, r reply) {
			if r.status != 200 || errno(r) != 10004 || r.str("error") != "INTERNAL_FAILURE" {
				t.Errorf("got %d %s", r.status, r.body)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, jaccounttest.WithAdmin())
			tok := issue(t, srv, jaccounttest.StudentUsername, "essential")
			added := admin(t, srv, http.MethodPost, "/faults", tt.body)
			if added.status != http.StatusCreated {
				t.Fatalf("POST /faults: %d %s", added.status, added.body)
			}
			if list := admin(t, srv, http.MethodGet, "/faults", ""); !strings.Contains(list.body, `"times":1`) {
				t.Errorf("GET /faults = %s, want the fault with times 1", list.body)
			}
			tt.check(t, apiGet(t, srv, "/v1/me/profile", tok.AccessToken))
			if r := apiGet(t, srv, "/v1/me/profile", tok.AccessToken); r.status != 200 || errno(r) != 0 {
				t.Errorf("after times 1: %d %s, want the profile", r.status, r.body)
			}
			if list := admin(t, srv, http.MethodGet, "/faults", ""); list.body != "{\"faults\":[]}\n" {
				t.Errorf("GET /faults after the fault was spent = %s", list.body)
			}
		})
	}
}

// TestAdminProbability: probability 0 never fires and 1 always does, as
// the Go knob; the list shows the probability given.
func TestAdminProbability(t *testing.T) {
	t.Parallel()
	srv := newServer(t, jaccounttest.WithAdmin())
	tok := issue(t, srv, jaccounttest.StudentUsername, "essential")
	if r := admin(t, srv, http.MethodPost, "/faults", `{"kind":"status","status":500,"probability":0}`); r.status != 201 || !strings.Contains(r.body, `"probability":0`) {
		t.Fatalf("probability 0: %d %s", r.status, r.body)
	}
	for range 20 {
		if r := apiGet(t, srv, "/v1/me/profile", tok.AccessToken); r.status != 200 {
			t.Fatalf("a fault of probability 0 fired: %d", r.status)
		}
	}
	admin(t, srv, http.MethodDelete, "/faults", "")
	admin(t, srv, http.MethodPost, "/faults", `{"kind":"status","status":500,"probability":1,"times":3}`)
	for i := range 3 {
		if r := apiGet(t, srv, "/v1/me/profile", tok.AccessToken); r.status != 500 {
			t.Fatalf("request %d: a fault of probability 1 did not fire: %d", i, r.status)
		}
	}
	if r := apiGet(t, srv, "/v1/me/profile", tok.AccessToken); r.status != 200 {
		t.Errorf("after times 3: %d", r.status)
	}
}

// TestAdminAboveRate: above_rate narrows a fault to the requests beyond n
// per per_ms, as AboveRate, and the list shows it.
func TestAdminAboveRate(t *testing.T) {
	t.Parallel()
	srv := newServer(t, jaccounttest.WithAdmin())
	tok := issue(t, srv, jaccounttest.StudentUsername, "essential")
	r := admin(t, srv, http.MethodPost, "/faults", `{"kind":"rate_limit","retry_after_ms":1000,"above_rate":{"n":2,"per_ms":600000}}`)
	if r.status != 201 || !strings.Contains(r.body, `"above_rate":{"n":2,"per_ms":600000}`) {
		t.Fatalf("inject: %d %s", r.status, r.body)
	}
	for i, want := range []int{200, 200, 429, 429} {
		if r := apiGet(t, srv, "/v1/me/profile", tok.AccessToken); r.status != want {
			t.Fatalf("request %d: %d, want %d", i, r.status, want)
		}
	}
	if list := admin(t, srv, http.MethodGet, "/faults", ""); !strings.Contains(list.body, `"above_rate":{"n":2,"per_ms":600000}`) {
		t.Errorf("GET /faults = %s", list.body)
	}
}

// TestAdminFaultScope: a fault on an endpoint leaves the others alone, and
// the admin API itself is never subject to faults nor logged.
func TestAdminFaultScope(t *testing.T) {
	t.Parallel()
	srv := newServer(t, jaccounttest.WithAdmin())
	tok := issue(t, srv, jaccounttest.StudentUsername, "essential")
	if r := admin(t, srv, http.MethodPost, "/faults", `{"kind":"status","status":500,"endpoint":"token"}`); r.status != 201 {
		t.Fatalf("POST /faults: %d %s", r.status, r.body)
	}
	if r := admin(t, srv, http.MethodPost, "/faults", `{"kind":"drop","path":"/__admin/"}`); r.status != 201 {
		t.Fatalf("POST /faults: %d %s", r.status, r.body)
	}
	if r := postToken(t, srv, creds(srv, "grant_type", "client_credentials"), false); r.status != 500 {
		t.Errorf("token endpoint: %d, want the injected 500", r.status)
	}
	if r := apiGet(t, srv, "/v1/me/profile", tok.AccessToken); r.status != 200 {
		t.Errorf("API: %d, want 200 (the fault is on the token endpoint)", r.status)
	}
	if r := admin(t, srv, http.MethodGet, "/", ""); r.status != 200 || !strings.Contains(r.body, `"/__admin/faults"`) {
		t.Errorf("GET / with faults in force: %d %s", r.status, r.body)
	}
	for _, l := range srv.Requests() {
		if strings.HasPrefix(l.Path, jaccounttest.AdminPath) {
			t.Errorf("the request log holds an admin request: %+v", l)
		}
	}
	if r := admin(t, srv, http.MethodDelete, "/faults", ""); r.status != 200 || r.json["cleared"] != float64(2) {
		t.Errorf("DELETE /faults: %d %s", r.status, r.body)
	}
	if r := postToken(t, srv, creds(srv, "grant_type", "client_credentials"), false); r.status != 200 {
		t.Errorf("token endpoint after DELETE /faults: %d", r.status)
	}
}

// TestAdminRefusals: every bad request is a typed JSON error with a 4xx
// status, and injects nothing.
func TestAdminRefusals(t *testing.T) {
	t.Parallel()
	srv := newServer(t, jaccounttest.WithAdmin())
	tests := []struct {
		method, path, body string
		status             int
		code, message      string
	}{
		{"POST", "/faults", ``, 400, "invalid_request", "describe the fault"},
		{"POST", "/faults", `{"kind":"status"}`, 400, "invalid_request", "a status fault needs status"},
		{"POST", "/faults", `{"kind":"status","status":200}`, 400, "invalid_request", "ErrorStatus(200): not an HTTP error status (400–599)"},
		{"POST", "/faults", `{"kind":"boom"}`, 400, "invalid_request", `unknown kind "boom"`},
		{"POST", "/faults", `{"status":503}`, 400, "invalid_request", "kind is missing"},
		{"POST", "/faults", `{"kind":"drop","status":503}`, 400, "invalid_request", "a drop fault takes no status"},
		{"POST", "/faults", `{"kind":"status","status":503,"colour":"red"}`, 400, "invalid_request", `unknown field "colour"`},
		{"POST", "/faults", `{"kind":"status","status":503} {}`, 400, "invalid_request", "one JSON object"},
		{"POST", "/faults", `[1]`, 400, "invalid_request", "JSON object"},
		{"POST", "/faults", `{"kind":"status","status":503,"times":0}`, 400, "invalid_request", "Times(0): n must be at least 1"},
		{"POST", "/faults", `{"kind":"status","status":503,"probability":1.5}`, 400, "invalid_request", "Probability(1.5): p must be in [0, 1]"},
		{"POST", "/faults", `{"kind":"status","status":503,"endpoint":"graphql"}`, 400, "invalid_request", `On("graphql"): not an Endpoint of the fake`},
		{"POST", "/faults", `{"kind":"status","status":503,"path":"v1"}`, 400, "invalid_request", `OnPath("v1"): a path starts with /`},
		{"POST", "/faults", `{"kind":"latency","latency_ms":-5}`, 400, "invalid_request", "Latency(-5ms): negative"},
		{"POST", "/faults", `{"kind":"rate_limit","retry_after_ms":-1}`, 400, "invalid_request", "RateLimit(-1ms): negative Retry-After"},
		{"POST", "/faults", `{"kind":"errno","errno":0}`, 400, "invalid_request", "errno other than 0"},
		{"POST", "/faults", `{"kind":"status","status":503,"for_ms":0}`, 400, "invalid_request", "For(0s): d must be positive"},
		{"POST", "/faults", `{"kind":"rate_limit","above_rate":{"n":0,"per_ms":1000}}`, 400, "invalid_request", "AboveRate(0, 1s): n must be in [1, 1048576] and per positive"},
		{"POST", "/faults", `{"kind":"rate_limit","above_rate":{"n":5}}`, 400, "invalid_request", "AboveRate(5, 0s)"},
		{"POST", "/faults", `{"kind":"status","status":503,"until":"2030-01-01T00:00:00Z"}`, 400, "invalid_request", "until is set by the server"},
		{"POST", "/faults", `{"kind":"status","status":503,"message":"x"}`, 400, "invalid_request", "a status fault takes no message"},
		{"POST", "/faults", `{"kind":"html","status":99}`, 400, "invalid_request", "HTMLPage(99): not a status a page can have (200–599)"},
		{"POST", "/faults", `{"kind":"latency"}`, 400, "invalid_request", "a latency fault needs latency_ms"},
		{"PATCH", "/settings", `{"token_rejection_status":"200"}`, 400, "invalid_request", "cannot unmarshal string"},
		{"POST", "/faults", strings.Repeat(" ", 70<<10) + `{}`, 413, "too_large", "larger than"},
		{"GET", "/faults", `{}`, 400, "invalid_request", "takes no body"},
		{"PUT", "/faults", ``, 405, "method_not_allowed", "takes GET or POST or DELETE, not PUT"},
		{"GET", "/nothing", ``, 404, "not_found", "no admin endpoint /__admin/nothing"},
		{"POST", "/tokens/revoke", `{}`, 400, "invalid_request", "must name the token"},
		{"POST", "/tokens/revoke", `{"token":"nope"}`, 404, "not_found", "no such access or refresh token"},
		{"POST", "/tokens/expire", `{"token":"nope"}`, 404, "not_found", "no such access token"},
		{"POST", "/tokens", `{"username":"nobody"}`, 400, "invalid_request", `no user "nobody"`},
		{"POST", "/tokens", `{"scopes":["telepathy"]}`, 400, "invalid_request", `unknown scope "telepathy"`},
		{"POST", "/tokens", `{"client_id":"other"}`, 400, "invalid_request", `no client "other"`},
		{"POST", "/reset", `{"everything":true}`, 400, "invalid_request", `unknown field "everything"`},
	}
	t.Run("refused", func(t *testing.T) {
		for _, tt := range tests {
			t.Run(tt.method+" "+tt.path+" "+tt.body[:min(len(tt.body), 60)], func(t *testing.T) {
				t.Parallel()
				r := admin(t, srv, tt.method, tt.path, tt.body)
				if r.status != tt.status || r.str("error") != tt.code || !strings.Contains(r.str("message"), tt.message) {
					t.Errorf("%d %s, want %d %s with %q", r.status, r.body, tt.status, tt.code, tt.message)
				}
				if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
					t.Errorf("Content-Type %q", ct)
				}
			})
		}
	})
	if r := admin(t, srv, http.MethodGet, "/faults", ""); r.body != "{\"faults\":[]}\n" {
		t.Errorf("refused requests injected faults: %s", r.body)
	}
}

// TestAdminTokens issues, expires and revokes tokens through the admin API.
func TestAdminTokens(t *testing.T) {
	t.Parallel()
	srv := newServer(t, jaccounttest.WithAdmin())
	user := admin(t, srv, http.MethodPost, "/tokens", `{"username":"zhangsan","scopes":["openid","essential"]}`)
	if user.status != 200 || user.str("refresh_token") == "" || user.str("id_token") == "" ||
		user.str("scope") != "essential openid" || user.json["expires_in"] != float64(7200) {
		t.Fatalf("POST /tokens for a user: %d %s", user.status, user.body)
	}
	app := admin(t, srv, http.MethodPost, "/tokens", `{"scopes":["exchange_data"]}`)
	if app.status != 200 || app.str("refresh_token") != "" || app.str("access_token") == "" {
		t.Fatalf("POST /tokens for the application: %d %s", app.status, app.body)
	}
	if r := apiGetAt(t, srv, srv.DataURL(), "/v1/stu/profile?offset=1", app.str("access_token")); r.status != 200 {
		t.Errorf("the application's token on the data resources: %d %s", r.status, r.body)
	}
	at := user.str("access_token")
	if r := apiGet(t, srv, "/v1/me/profile", at); r.status != 200 {
		t.Fatalf("the issued token: %d %s", r.status, r.body)
	}

	if r := admin(t, srv, http.MethodPost, "/tokens/expire", `{"token":"`+at+`"}`); r.status != 200 || r.json["expired"] != float64(1) {
		t.Fatalf("expire one: %d %s", r.status, r.body)
	}
	if r := apiGet(t, srv, "/v1/me/profile", at); r.status != 403 || errno(r) != 10007 {
		t.Errorf("expired token: %d %s, want 403 errno 10007", r.status, r.body)
	}
	refreshed := postToken(t, srv, creds(srv, "grant_type", "refresh_token", "refresh_token", user.str("refresh_token")), false)
	if refreshed.status != 200 {
		t.Fatalf("refresh: %d %s", refreshed.status, refreshed.body)
	}
	if r := admin(t, srv, http.MethodPost, "/tokens/expire", ``); r.status != 200 || r.json["expired"] != float64(3) {
		t.Errorf("expire all: %d %s, want 3 expired", r.status, r.body)
	}
	if r := apiGet(t, srv, "/v1/me/profile", refreshed.str("access_token")); errno(r) != 10007 {
		t.Errorf("after expiring all: %d %s", r.status, r.body)
	}
	if r := admin(t, srv, http.MethodPost, "/tokens/revoke", `{"token":"`+refreshed.str("refresh_token")+`"}`); r.status != 200 {
		t.Fatalf("revoke: %d %s", r.status, r.body)
	}
	if r := postToken(t, srv, creds(srv, "grant_type", "refresh_token", "refresh_token", refreshed.str("refresh_token")), false); r.str("error") != "invalid_grant" {
		t.Errorf("revoked refresh token: %d %s, want invalid_grant", r.status, r.body)
	}
}

// TestAdminRequestsRedacted: the request log the admin API serves holds the
// parameters of each request, but no code, token, secret, password,
// verifier or ticket.
func TestAdminRequestsRedacted(t *testing.T) {
	t.Parallel()
	srv := newServer(t, jaccounttest.WithAdmin(), jaccounttest.WithPKCE())
	const verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
	c := browser(srv)
	q := url.Values{"response_type": {"code"}, "client_id": {srv.ClientID()}, "redirect_uri": {redirectURI},
		"scope": {"openid essential"}, "state": {"st"}, "nonce": {"nn"},
		"code_challenge": {"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"}, "code_challenge_method": {"S256"}}
	page := get(t, c, srv.AuthURL()+"?"+q.Encode())
	ticket := ticketRE.FindStringSubmatch(page.body)[1]
	consent := submit(t, c, srv, page, url.Values{"action": {"login"}, "username": {jaccounttest.StudentUsername}, "password": {jaccounttest.StudentPassword}})
	code := codeFrom(t, location(t, submit(t, c, srv, consent, url.Values{"action": {"approve"}})), "st")
	tok := postToken(t, srv, creds(srv, "grant_type", "authorization_code", "code", code, "redirect_uri", redirectURI, "code_verifier", verifier), false)
	if tok.status != 200 {
		t.Fatalf("exchange: %d %s", tok.status, tok.body)
	}
	refreshed := postToken(t, srv, creds(srv, "grant_type", "refresh_token", "refresh_token", tok.str("refresh_token")), true)
	if refreshed.status != 200 {
		t.Fatalf("refresh: %d %s", refreshed.status, refreshed.body)
	}
	apiGet(t, srv, "/v1/me/profile?access_token="+url.QueryEscape(refreshed.str("access_token")), "")

	r := admin(t, srv, http.MethodGet, "/requests", "")
	if r.status != 200 {
		t.Fatalf("GET /requests: %d %s", r.status, r.body)
	}
	for _, secret := range []string{code, tok.str("access_token"), tok.str("refresh_token"), tok.str("id_token"),
		refreshed.str("access_token"), refreshed.str("refresh_token"), srv.ClientSecret(), jaccounttest.StudentPassword,
		verifier, ticket} {
		if secret == "" {
			t.Fatal("a secret of the flow is empty")
		}
		if strings.Contains(r.body, secret) {
			t.Errorf("GET /requests holds a secret: %s", r.body)
		}
	}
	var log struct {
		Requests []struct {
			Method, Path, Endpoint, Credential string
			Status                             int
			Query, Form                        url.Values
		}
	}
	if err := json.Unmarshal([]byte(r.body), &log); err != nil {
		t.Fatal(err)
	}
	var sawState, sawVerifier, sawQueryToken bool
	for _, l := range log.Requests {
		sawState = sawState || l.Query.Get("state") == "st"
		sawVerifier = sawVerifier || l.Form.Get("code_verifier") == "[REDACTED]"
		sawQueryToken = sawQueryToken || (l.Credential == "query" && l.Query.Get("access_token") == "[REDACTED]")
	}
	if !sawState || !sawVerifier || !sawQueryToken {
		t.Errorf("the log lacks the redacted parameters (state %v, verifier %v, query token %v): %s", sawState, sawVerifier, sawQueryToken, r.body)
	}
	if r := admin(t, srv, http.MethodDelete, "/requests", ""); r.status != 200 {
		t.Errorf("DELETE /requests: %d", r.status)
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("%d requests logged after DELETE /requests", n)
	}
}

// TestAdminReset resets faults, tokens and the log, each alone and all
// together, and a seeded server then issues the codes and tokens of a
// fresh one.
func TestAdminReset(t *testing.T) {
	t.Parallel()
	srv := newServer(t, jaccounttest.WithAdmin(), jaccounttest.WithSeed(7))
	first := admin(t, srv, http.MethodPost, "/tokens", `{"username":"zhangsan","scopes":["essential"]}`)
	admin(t, srv, http.MethodPost, "/faults", `{"kind":"latency","latency_ms":1}`)
	apiGet(t, srv, "/v1/me/profile", first.str("access_token"))

	if r := admin(t, srv, http.MethodPost, "/reset", `{"requests":true}`); r.status != 200 || !strings.Contains(r.body, `"reset":["requests"]`) {
		t.Fatalf("reset requests: %d %s", r.status, r.body)
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("%d requests after resetting the log", n)
	}
	if r := apiGet(t, srv, "/v1/me/profile", first.str("access_token")); r.status != 200 {
		t.Errorf("resetting the log reset the tokens: %d", r.status)
	}
	if r := admin(t, srv, http.MethodPost, "/reset", ``); r.status != 200 || !strings.Contains(r.body, `"reset":["faults","tokens","requests"]`) {
		t.Fatalf("reset all: %d %s", r.status, r.body)
	}
	if r := apiGet(t, srv, "/v1/me/profile", first.str("access_token")); r.status != 403 || errno(r) != 10002 {
		t.Errorf("a token after the reset: %d %s, want 403 errno 10002", r.status, r.body)
	}
	if r := admin(t, srv, http.MethodGet, "/faults", ""); r.body != "{\"faults\":[]}\n" {
		t.Errorf("faults after the reset: %s", r.body)
	}
	again := admin(t, srv, http.MethodPost, "/tokens", `{"username":"zhangsan","scopes":["essential"]}`)
	if again.str("access_token") != first.str("access_token") || again.str("refresh_token") != first.str("refresh_token") {
		t.Errorf("a seeded server after a reset issued other tokens than at its start")
	}
}

// TestAdminConcurrent exercises the admin API while clients call the API,
// for the race detector.
func TestAdminConcurrent(t *testing.T) {
	t.Parallel()
	srv := newServer(t, jaccounttest.WithAdmin(), jaccounttest.WithSeed(1))
	tok := issue(t, srv, jaccounttest.StudentUsername, "essential")
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for range 10 {
				switch i % 4 {
				case 0:
					admin(t, srv, http.MethodPost, "/faults", `{"kind":"status","status":503,"probability":0.5,"times":2}`)
				case 1:
					admin(t, srv, http.MethodGet, "/requests", "")
				case 2:
					admin(t, srv, http.MethodPost, "/tokens", `{"username":"lilaoshi"}`)
				default:
					apiGet(t, srv, "/v1/me/profile", tok.AccessToken)
				}
			}
		})
	}
	wg.Wait()
}

// TestAdminSettings: the admin API switches the answer to a refused token
// to the 200 style the live API has used (WithTokenRejectionStatus) and
// back, while the server runs.
func TestAdminSettings(t *testing.T) {
	t.Parallel()
	srv := newServer(t, jaccounttest.WithAdmin())
	if r := admin(t, srv, http.MethodGet, "/settings", ""); r.status != 200 || r.json["token_rejection_status"] != float64(403) {
		t.Fatalf("GET /settings: %d %s", r.status, r.body)
	}
	if r := admin(t, srv, http.MethodPatch, "/settings", `{"token_rejection_status":200}`); r.status != 200 || r.json["token_rejection_status"] != float64(200) {
		t.Fatalf("PATCH /settings: %d %s", r.status, r.body)
	}
	if r := apiGet(t, srv, "/v1/me/profile", "no-such-token"); r.status != 200 || errno(r) != 10002 || r.str("error") != "Authentication Failed" {
		t.Errorf("a refused token in the 200 style: %d %s", r.status, r.body)
	}
	if r := apiGet(t, srv, "/v1/me/profile", ""); r.status != 403 {
		t.Errorf("no token at all: %d, want 403 whatever the setting", r.status)
	}
	if r := admin(t, srv, http.MethodPatch, "/settings", `{"token_rejection_status":700}`); r.status != 400 || !strings.Contains(r.str("message"), "from 200 to 599") {
		t.Errorf("PATCH 700: %d %s", r.status, r.body)
	}
	if r := admin(t, srv, http.MethodPatch, "/settings", `{"token_rejection_status":0}`); r.status != 200 || r.json["token_rejection_status"] != float64(403) {
		t.Errorf("PATCH 0: %d %s", r.status, r.body)
	}
	if r := apiGet(t, srv, "/v1/me/profile", "no-such-token"); r.status != 403 || errno(r) != 10002 {
		t.Errorf("after the default is back: %d %s", r.status, r.body)
	}
	if r := admin(t, srv, http.MethodPatch, "/settings", `{"colour":1}`); r.status != 400 {
		t.Errorf("PATCH an unknown setting: %d %s", r.status, r.body)
	}
}
