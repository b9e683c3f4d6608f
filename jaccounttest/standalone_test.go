package jaccounttest_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oauth-jaccount/jaccount-go/jaccounttest"
)

// codeFlow runs a login (form and consent), an exchange and a refresh
// against srv, and returns every value the fake drew, in order.
func codeFlow(t *testing.T, srv *jaccounttest.Server) []string {
	t.Helper()
	c := browser(srv)
	page := get(t, c, authorizeURL(srv, "essential", "st"))
	ticket := ticketRE.FindStringSubmatch(page.body)[1]
	consent := submit(t, c, srv, page, url.Values{"action": {"login"}, "username": {jaccounttest.StudentUsername}, "password": {jaccounttest.StudentPassword}})
	code := codeFrom(t, location(t, submit(t, c, srv, consent, url.Values{"action": {"approve"}})), "st")
	tok := postToken(t, srv, creds(srv, "grant_type", "authorization_code", "code", code, "redirect_uri", redirectURI), false)
	refreshed := postToken(t, srv, creds(srv, "grant_type", "refresh_token", "refresh_token", tok.str("refresh_token")), false)
	u, _ := url.Parse(srv.URL)
	var session string
	for _, ck := range c.Jar.Cookies(&url.URL{Scheme: "http", Host: u.Host, Path: "/oauth2/"}) {
		session = ck.Value
	}
	return []string{ticket, session, code, tok.str("access_token"), tok.str("refresh_token"),
		refreshed.str("access_token"), refreshed.str("refresh_token")}
}

func TestWithSeed(t *testing.T) {
	t.Parallel()
	a := codeFlow(t, newServer(t, jaccounttest.WithSeed(42)))
	b := codeFlow(t, newServer(t, jaccounttest.WithSeed(42)))
	other := codeFlow(t, newServer(t, jaccounttest.WithSeed(43)))
	random := codeFlow(t, newServer(t))
	seen := map[string]bool{}
	for i := range a {
		if a[i] == "" || a[i] != b[i] {
			t.Errorf("value %d: %q and %q from the same seed", i, a[i], b[i])
		}
		if a[i] == other[i] || a[i] == random[i] {
			t.Errorf("value %d is the same from another seed or none", i)
		}
		if seen[a[i]] {
			t.Errorf("value %d repeats an earlier one", i)
		}
		seen[a[i]] = true
	}
}

// TestWithSeedFaults: the draws of a fault's probability come from the
// seeded source too, so the requests a fault answers are the same on every
// run.
func TestWithSeedFaults(t *testing.T) {
	t.Parallel()
	pattern := func() string {
		srv := newServer(t, jaccounttest.WithSeed(9))
		tok := issue(t, srv, jaccounttest.StudentUsername, "essential")
		srv.Inject(jaccounttest.ErrorStatus(503).Probability(0.5))
		var b strings.Builder
		for range 40 {
			if apiGet(t, srv, "/v1/me/profile", tok.AccessToken).status == 503 {
				b.WriteByte('x')
			} else {
				b.WriteByte('.')
			}
		}
		return b.String()
	}
	first, second := pattern(), pattern()
	if first != second {
		t.Errorf("the same seed answered\n%s\n%s", first, second)
	}
	if !strings.Contains(first, "x") || !strings.Contains(first, ".") {
		t.Errorf("probability 0.5 over 40 requests gave %s", first)
	}
}

// TestWithSeedConcurrent draws from a seeded server from many goroutines,
// for the race detector: values stay distinct.
func TestWithSeedConcurrent(t *testing.T) {
	t.Parallel()
	srv := newServer(t, jaccounttest.WithSeed(5))
	var mu sync.Mutex
	seen := map[string]bool{}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 20 {
				tok, err := srv.IssueToken(jaccounttest.StudentUsername, "essential")
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				if seen[tok.AccessToken] || seen[tok.RefreshToken] {
					t.Error("a seeded server issued a token twice")
				}
				seen[tok.AccessToken], seen[tok.RefreshToken] = true, true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
}

func TestWithListener(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := newServer(t, jaccounttest.WithListener(ln), jaccounttest.WithDataListener(dln))
	if srv.URL != "http://"+ln.Addr().String() || srv.DataURL() != "http://"+dln.Addr().String() {
		t.Fatalf("URL %s and DataURL %s, want the listeners' %s and %s", srv.URL, srv.DataURL(), ln.Addr(), dln.Addr())
	}
	tok := issue(t, srv, jaccounttest.StudentUsername, "essential")
	if r := apiGet(t, srv, "/v1/me/profile", tok.AccessToken); r.status != 200 {
		t.Errorf("API on the given listener: %d", r.status)
	}
	app, err := srv.IssueClientToken("exchange_data")
	if err != nil {
		t.Fatal(err)
	}
	if r := apiGetAt(t, srv, srv.DataURL(), "/v1/stu/profile", app.AccessToken); r.status != 200 {
		t.Errorf("data resources on the given listener: %d", r.status)
	}
	srv.Close()
	if c, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
		_ = c.Close()
		t.Error("the listener still accepts after Close")
	}
}

// TestShutdown: Shutdown waits for a request under way, and when its
// context ends first, closes the connections (ending a request held by a
// Latency fault) and returns the context's error.
func TestShutdown(t *testing.T) {
	t.Parallel()
	for _, graceful := range []bool{true, false} {
		name := map[bool]string{true: "graceful", false: "forced"}[graceful]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := jaccounttest.New(t, jaccounttest.WithAdmin())
			tok := issue(t, srv, jaccounttest.StudentUsername, "essential")
			latency := time.Hour
			if graceful {
				latency = 300 * time.Millisecond
			}
			srv.Inject(jaccounttest.Latency(latency).Times(1))
			done := make(chan int)
			go func() {
				req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, srv.APIURL()+"/v1/me/profile", nil)
				req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
				resp, err := srv.HTTPClient().Do(req)
				if err != nil {
					done <- 0
					return
				}
				_ = resp.Body.Close()
				done <- resp.StatusCode
			}()
			// The request is under way once it has taken the fault.
			for admin(t, srv, http.MethodGet, "/faults", "").body != "{\"faults\":[]}\n" {
				time.Sleep(10 * time.Millisecond)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			start := time.Now()
			err := srv.Shutdown(ctx)
			status := <-done
			switch {
			case graceful && (err != nil || status != 200):
				t.Errorf("Shutdown = %v, request %d: want nil and the request answered", err, status)
			case !graceful && (!errors.Is(err, context.DeadlineExceeded) || status != 0):
				t.Errorf("Shutdown = %v, request %d: want the deadline and the request cut", err, status)
			case time.Since(start) > 10*time.Second:
				t.Errorf("Shutdown took %v", time.Since(start))
			}
		})
	}
}

// TestConsented: a user who has approved scopes before skips the consent
// page for them, after the login form and in a login session alike; a
// scope beyond them shows it.
func TestConsented(t *testing.T) {
	t.Parallel()
	u := jaccounttest.DefaultUsers()[0]
	u.Consented = []string{"openid", "essential"}
	srv := newServer(t, jaccounttest.WithUser(u))
	c := browser(srv)
	page := get(t, c, authorizeURL(srv, "openid essential", "s1"))
	after := submit(t, c, srv, page, url.Values{"action": {"login"}, "username": {u.Username}, "password": {u.Password}})
	codeFrom(t, location(t, after), "s1")
	codeFrom(t, location(t, get(t, c, authorizeURL(srv, "essential", "s2"))), "s2")
	if more := get(t, c, authorizeURL(srv, "essential lessons", "s3")); more.status != 200 || !strings.Contains(more.body, `id="approve"`) {
		t.Errorf("a scope beyond the consented ones: %d, want the consent page", more.status)
	}
}

// TestLoginPageAccounts: the login page lists the fixture accounts with
// their passwords, and each one's button signs in as it.
func TestLoginPageAccounts(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	c := browser(srv)
	page := get(t, c, authorizeURL(srv, "essential", "st"))
	for _, u := range jaccounttest.DefaultUsers() {
		if !strings.Contains(page.body, `data-user="`+u.Username+`"`) || !strings.Contains(page.body, u.Password) {
			t.Errorf("the login page does not offer %s", u.Username)
		}
	}
	// What the button of the faculty member posts.
	consent := submit(t, c, srv, page, url.Values{"action": {"login"}, "username": {jaccounttest.FacultyUsername}, "password": {jaccounttest.FacultyPassword}})
	if !strings.Contains(consent.body, jaccounttest.FacultyName) {
		t.Errorf("signing in as the faculty member: %d %s", consent.status, consent.body)
	}
}

// TestAuthorizeErrorDetails: a refused client or redirect URI shows the
// developer what was sent and what is registered.
func TestAuthorizeErrorDetails(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	q := url.Values{"response_type": {"code"}, "client_id": {srv.ClientID()}, "redirect_uri": {"http://localhost:3000/auth/jaccount"}}
	r := get(t, noRedirect(srv, nil), srv.AuthURL()+"?"+q.Encode())
	if r.status != 400 || !strings.Contains(r.body, "http://localhost:3000/auth/jaccount") ||
		!strings.Contains(r.body, "http://127.0.0.1/callback") {
		t.Errorf("redirect mismatch page: %d %s", r.status, r.body)
	}
	q.Set("client_id", "my-app")
	if r := get(t, noRedirect(srv, nil), srv.AuthURL()+"?"+q.Encode()); r.status != 400 || !strings.Contains(r.body, "my-app") {
		t.Errorf("unknown client page: %d %s", r.status, r.body)
	}
}

// TestDiscovery: the discovery document has the live one's members, with
// the fake's issuer and endpoints, where the live one is (under /oauth2/).
func TestDiscovery(t *testing.T) {
	t.Parallel()
	for _, opts := range [][]jaccounttest.Option{nil, {jaccounttest.WithIssuer("https://jaccount.sjtu.edu.cn/oauth2/")}} {
		srv := newServer(t, opts...)
		r := get(t, srv.HTTPClient(), srv.DiscoveryURL())
		if r.status != 200 || r.str("issuer") != srv.Issuer() || r.str("authorization_endpoint") != srv.AuthURL() ||
			r.str("token_endpoint") != srv.TokenURL() || len(r.json) != 7 {
			t.Errorf("discovery: %d %s", r.status, r.body)
		}
		if algs, _ := r.json["id_token_signing_alg_values_supported"].([]any); len(algs) != 1 || algs[0] != "HS256" {
			t.Errorf("id_token_signing_alg_values_supported = %v", r.json["id_token_signing_alg_values_supported"])
		}
		if _, ok := r.json["jwks_uri"]; ok {
			t.Error("the discovery document names a jwks_uri, which jAccount's does not")
		}
	}
	srv := newServer(t)
	if r := get(t, srv.HTTPClient(), srv.URL+"/.well-known/openid-configuration"); r.status != 404 {
		t.Errorf("discovery at the root: %d, want 404 as on jAccount", r.status)
	}
}

// TestWithSeedUploadIDs: the ids the fake gives uploaded files come from
// the seeded source too.
func TestWithSeedUploadIDs(t *testing.T) {
	t.Parallel()
	upload := func(srv *jaccounttest.Server) string {
		tok, err := srv.IssueClientToken("storage")
		if err != nil {
			t.Fatal(err)
		}
		ct, body := multipartBody(t, formPart{name: "file", filename: "a.txt", value: "x"})
		req, err := http.NewRequestWithContext(testContext(t), http.MethodPut, srv.APIURL()+"/v1/file", strings.NewReader(string(body)))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", ct)
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		r := do(t, srv.HTTPClient(), req)
		var env struct{ Entities []struct{ Id string } }
		if err := json.Unmarshal([]byte(r.body), &env); err != nil || len(env.Entities) != 1 || env.Entities[0].Id == "" {
			t.Fatalf("upload: %d %s", r.status, r.body)
		}
		return env.Entities[0].Id
	}
	a, b := upload(newServer(t, jaccounttest.WithSeed(3))), upload(newServer(t, jaccounttest.WithSeed(3)))
	if a != b || a == upload(newServer(t)) {
		t.Errorf("upload ids %s and %s from the same seed (want equal, and unlike an unseeded server's)", a, b)
	}
}
