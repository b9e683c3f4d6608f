package jaccounttest_test

import (
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/oauth-jaccount/jaccount-go/jaccounttest"
)

var ticketRE = regexp.MustCompile(`name="ticket" value="([^"]+)"`)

// submit posts one of the fake's forms.
func submit(t *testing.T, c *http.Client, srv *jaccounttest.Server, page reply, vals url.Values) reply {
	t.Helper()
	m := ticketRE.FindStringSubmatch(page.body)
	if m == nil {
		t.Fatalf("page has no form ticket: %s", page.body)
	}
	vals.Set("ticket", m[1])
	req, _ := http.NewRequestWithContext(testContext(t), http.MethodPost, srv.AuthURL(), strings.NewReader(vals.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return do(t, c, req)
}

func location(t *testing.T, r reply) *url.URL {
	t.Helper()
	if r.status != http.StatusFound {
		t.Fatalf("status %d, want a redirect; body %s", r.status, r.body)
	}
	u, err := url.Parse(r.header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// browser is a client with its own cookie jar that does not follow redirects.
func browser(srv *jaccounttest.Server) *http.Client {
	jar, _ := cookiejar.New(nil)
	return noRedirect(srv, jar)
}

func isLoginForm(r reply) bool { return r.status == 200 && strings.Contains(r.body, `id="password"`) }

// TestBrowserFlow walks authorize (login form, consent) -> token -> refresh
// -> reuse rejected -> silent re-authorize -> logout -> login form again,
// with a cookie jar like a browser.
func TestBrowserFlow(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	c := browser(srv)

	page := get(t, c, authorizeURL(srv, "openid basic lessons", "s1"))
	if !isLoginForm(page) {
		t.Fatalf("first authorize did not show the login form: %d %s", page.status, page.body)
	}
	bad := submit(t, c, srv, page, url.Values{"action": {"login"}, "username": {jaccounttest.StudentUsername}, "password": {"wrong"}})
	if !isLoginForm(bad) || !strings.Contains(bad.body, `id="error"`) {
		t.Fatalf("a wrong password did not show the form with an error: %s", bad.body)
	}
	consent := submit(t, c, srv, bad, url.Values{"action": {"login"}, "username": {jaccounttest.StudentUsername}, "password": {jaccounttest.StudentPassword}})
	if consent.status != 200 || !strings.Contains(consent.body, `id="approve"`) || !strings.Contains(consent.body, "张三") {
		t.Fatalf("login did not lead to the consent page: %d %s", consent.status, consent.body)
	}
	code := codeFrom(t, location(t, submit(t, c, srv, consent, url.Values{"action": {"approve"}})), "s1")

	tok := postToken(t, srv, creds(srv, "grant_type", "authorization_code", "code", code, "redirect_uri", redirectURI), false)
	if tok.status != 200 || tok.str("token_type") != "bearer" || tok.json["expires_in"] != float64(7200) ||
		tok.str("scope") != "basic lessons openid" || tok.str("refresh_token") == "" {
		t.Fatalf("code exchange: %d %s", tok.status, tok.body)
	}
	if tok.header.Get("Cache-Control") != "no-store" {
		t.Error("token response lacks Cache-Control: no-store")
	}
	checkIDToken(t, srv, tok.str("id_token"), "n-s1")

	refreshed := postToken(t, srv, creds(srv, "grant_type", "refresh_token", "refresh_token", tok.str("refresh_token")), false)
	if refreshed.status != 200 || refreshed.str("refresh_token") == "" || refreshed.str("refresh_token") == tok.str("refresh_token") ||
		refreshed.str("access_token") == tok.str("access_token") {
		t.Fatalf("refresh did not rotate: %d %s", refreshed.status, refreshed.body)
	}
	reuse := postToken(t, srv, creds(srv, "grant_type", "refresh_token", "refresh_token", tok.str("refresh_token")), false)
	if reuse.status != 400 || reuse.str("error") != "invalid_grant" {
		t.Fatalf("reused refresh token: %d %s, want 400 invalid_grant", reuse.status, reuse.body)
	}
	if r := apiGet(t, srv, "/v1/me/lessons", refreshed.str("access_token")); r.status != 200 {
		t.Fatalf("refreshed access token: %d %s", r.status, r.body)
	}

	// Logged in and consented: the next authorize redirects at once, unless
	// it asks for more scopes, which takes a new consent.
	codeFrom(t, location(t, get(t, c, authorizeURL(srv, "basic", "s2"))), "s2")
	if more := get(t, c, authorizeURL(srv, "basic privacy", "s2b")); more.status != 200 || !strings.Contains(more.body, `id="approve"`) {
		t.Fatalf("authorize with a new scope: %d, want the consent page", more.status)
	}

	out := get(t, c, srv.LogoutURL()+"?"+url.Values{"post_logout_redirect_uri": {"http://127.0.0.1:9999/bye"}}.Encode())
	if loc := location(t, out); loc.String() != "http://127.0.0.1:9999/bye" {
		t.Fatalf("logout redirected to %s", loc)
	}
	if again := get(t, c, authorizeURL(srv, "basic", "s3")); !isLoginForm(again) {
		t.Fatalf("after logout, authorize did not show the login form: %d %s", again.status, again.body)
	}
	var sawSession bool
	for _, l := range srv.Requests() {
		sawSession = sawSession || (l.Endpoint == jaccounttest.EndpointAuthorize && l.Credential == jaccounttest.CredentialSession)
	}
	if !sawSession {
		t.Error("request log never shows the session credential")
	}
}

func checkIDToken(t *testing.T, srv *jaccounttest.Server, raw, nonce string) {
	t.Helper()
	claims := verifyIDToken(t, srv, raw)
	want := map[string]any{"sub": jaccounttest.StudentUsername, "name": "张三", "code": "523030910001", "type": "student", "nonce": nonce}
	for k, v := range want {
		if claims[k] != v {
			t.Errorf("ID token claim %s = %v, want %v", k, claims[k], v)
		}
	}
	if !strings.HasSuffix(srv.Issuer(), "/oauth2/") {
		t.Errorf("issuer %s lacks the trailing /oauth2/", srv.Issuer())
	}
}

func TestCodeRules(t *testing.T) {
	t.Parallel()
	var now atomic.Int64
	now.Store(time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC).UnixNano())
	clock := func() time.Time { return time.Unix(0, now.Load()) }
	srv := newServer(t, jaccounttest.WithAutoApprove(jaccounttest.StudentUsername), jaccounttest.WithClock(clock),
		jaccounttest.WithCodeTTL(30*time.Second))
	newCode := func(state string) string {
		return codeFrom(t, location(t, get(t, noRedirect(srv, nil), authorizeURL(srv, "basic", state))), state)
	}
	exchange := func(code, redirect string) reply {
		return postToken(t, srv, creds(srv, "grant_type", "authorization_code", "code", code, "redirect_uri", redirect), false)
	}

	code := newCode("a")
	if r := exchange(code, "http://127.0.0.1:9998/callback"); r.status != 400 || r.str("error") != "invalid_grant" {
		t.Errorf("redirect mismatch: %d %s", r.status, r.body)
	}
	first := exchange(code, redirectURI)
	if first.status != 200 {
		t.Fatalf("exchange: %d %s", first.status, first.body)
	}
	refreshed := postToken(t, srv, creds(srv, "grant_type", "refresh_token", "refresh_token", first.str("refresh_token")), false)
	if refreshed.status != 200 {
		t.Fatalf("refresh: %d %s", refreshed.status, refreshed.body)
	}
	if r := exchange(code, redirectURI); r.status != 400 || r.str("error") != "invalid_grant" {
		t.Errorf("code reuse: %d %s", r.status, r.body)
	}
	// Replaying the code revokes everything it led to, refreshed tokens included.
	for _, tok := range []string{first.str("access_token"), refreshed.str("access_token")} {
		if r := apiGet(t, srv, "/v1/me/profile", tok); r.status != 403 || errno(r) != 10002 {
			t.Errorf("a token descending from a replayed code still works: %d %s", r.status, r.body)
		}
	}
	if r := postToken(t, srv, creds(srv, "grant_type", "refresh_token", "refresh_token", refreshed.str("refresh_token")), false); r.str("error") != "invalid_grant" {
		t.Errorf("the refreshed refresh token of a replayed code still works: %d %s", r.status, r.body)
	}
	late := newCode("b")
	now.Add(int64(31 * time.Second))
	if r := exchange(late, redirectURI); r.status != 400 || r.str("error") != "invalid_grant" {
		t.Errorf("expired code: %d %s", r.status, r.body)
	}
	other := newCode("c")
	r := postToken(t, srv, url.Values{"grant_type": {"authorization_code"}, "code": {other}, "redirect_uri": {redirectURI},
		"client_id": {"nobody"}, "client_secret": {"x"}}, false)
	if r.status != 401 || r.str("error") != "invalid_client" {
		t.Errorf("unknown client: %d %s", r.status, r.body)
	}
}

func TestPKCE(t *testing.T) {
	t.Parallel()
	const verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk" // RFC 7636 appendix B
	const challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
	tests := []struct {
		name             string
		opts             []jaccounttest.Option
		method, verifier string
		want             int
	}{
		{"S256 match", []jaccounttest.Option{jaccounttest.WithPKCE()}, "S256", verifier, 200},
		{"S256 wrong verifier", []jaccounttest.Option{jaccounttest.WithPKCE()}, "S256", verifier[1:] + "x", 400},
		{"S256 no verifier", []jaccounttest.Option{jaccounttest.WithPKCE()}, "S256", "", 400},
		{"ignored by default", nil, "S256", "", 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, append(tt.opts, jaccounttest.WithAutoApprove(jaccounttest.StudentUsername))...)
			u := authorizeURL(srv, "basic", "p") + "&" + url.Values{"code_challenge": {challenge}, "code_challenge_method": {tt.method}}.Encode()
			code := codeFrom(t, location(t, get(t, noRedirect(srv, nil), u)), "p")
			vals := creds(srv, "grant_type", "authorization_code", "code", code, "redirect_uri", redirectURI)
			if tt.verifier != "" {
				vals.Set("code_verifier", tt.verifier)
			}
			if r := postToken(t, srv, vals, false); r.status != tt.want {
				t.Fatalf("exchange: %d %s, want %d", r.status, r.body, tt.want)
			}
		})
	}
	srv := newServer(t, jaccounttest.WithPKCE())
	bad := authorizeURL(srv, "basic", "q") + "&code_challenge=short&code_challenge_method=S256"
	if loc := location(t, get(t, noRedirect(srv, nil), bad)); loc.Query().Get("error") != "invalid_request" {
		t.Errorf("a malformed challenge redirected to %s", loc)
	}
}

func TestAuthorizeErrors(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	base := url.Values{"response_type": {"code"}, "client_id": {srv.ClientID()}, "redirect_uri": {redirectURI}, "scope": {"basic"}, "state": {"st"}}
	tests := []struct {
		name      string
		set       map[string]string
		wantPage  bool   // an error page instead of a redirect
		wantError string // the redirect's error
	}{
		{"unknown client", map[string]string{"client_id": "nobody"}, true, ""},
		{"unregistered redirect", map[string]string{"redirect_uri": "http://evil.example/callback"}, true, ""},
		{"other path", map[string]string{"redirect_uri": "http://127.0.0.1:9999/other"}, true, ""},
		{"fragment", map[string]string{"redirect_uri": redirectURI + "#x"}, true, ""},
		{"token response type", map[string]string{"response_type": "token"}, false, "unsupported_response_type"},
		{"unknown scope", map[string]string{"scope": "basic telepathy"}, false, "invalid_scope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			q := url.Values{}
			for k, v := range base {
				q[k] = v
			}
			for k, v := range tt.set {
				q.Set(k, v)
			}
			r := get(t, noRedirect(srv, nil), srv.AuthURL()+"?"+q.Encode())
			if tt.wantPage {
				if r.status != 400 || !strings.Contains(r.body, `id="error"`) {
					t.Fatalf("status %d, want a 400 error page: %s", r.status, r.body)
				}
				return
			}
			loc := location(t, r)
			if loc.Query().Get("error") != tt.wantError || loc.Query().Get("state") != "st" {
				t.Fatalf("redirect %s, want error %s", loc, tt.wantError)
			}
		})
	}
}

func TestDenyConsent(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	c := browser(srv)
	page := get(t, c, authorizeURL(srv, "basic", "d"))
	consent := submit(t, c, srv, page, url.Values{"action": {"login"}, "username": {jaccounttest.FacultyUsername}, "password": {jaccounttest.FacultyPassword}})
	loc := location(t, submit(t, c, srv, consent, url.Values{"action": {"deny"}}))
	if loc.Query().Get("error") != "access_denied" || loc.Query().Get("code") != "" {
		t.Fatalf("deny redirected to %s", loc)
	}
	// The ticket is spent: replaying the form fails.
	if r := submit(t, c, srv, consent, url.Values{"action": {"approve"}}); r.status != 400 {
		t.Fatalf("replayed consent: %d", r.status)
	}
}

func TestClientAuthentication(t *testing.T) {
	t.Parallel()
	strict := newServer(t, jaccounttest.WithoutBasicAuth())
	lax := newServer(t)
	tests := []struct {
		name     string
		srv      *jaccounttest.Server
		vals     url.Values
		basic    bool
		want     int
		wantErr  string
		wantCred jaccounttest.Credential
	}{
		{"post", lax, creds(lax), false, 200, "", jaccounttest.CredentialClientSecretPost},
		{"basic", lax, creds(lax), true, 200, "", jaccounttest.CredentialClientSecretBasic},
		{"basic refused", strict, creds(strict), true, 401, "invalid_client", jaccounttest.CredentialClientSecretBasic},
		{"post when basic refused", strict, creds(strict), false, 200, "", jaccounttest.CredentialClientSecretPost},
		{"wrong secret", lax, creds(lax, "client_secret", "wrong"), false, 401, "invalid_client", jaccounttest.CredentialClientSecretPost},
		{"wrong secret basic", lax, creds(lax, "client_secret", "wrong"), true, 401, "invalid_client", jaccounttest.CredentialClientSecretBasic},
		{"no secret", lax, url.Values{"client_id": {jaccounttest.DefaultClientID}}, false, 401, "invalid_client", jaccounttest.CredentialClientSecretPost},
		{"no credentials", lax, url.Values{}, false, 401, "invalid_client", jaccounttest.CredentialNone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			vals := url.Values{}
			for k, v := range tt.vals {
				vals[k] = v
			}
			vals.Set("grant_type", "client_credentials")
			vals.Set("scope", "basic")
			r := postToken(t, tt.srv, vals, tt.basic)
			if r.status != tt.want || r.str("error") != tt.wantErr {
				t.Fatalf("status %d body %s, want %d %q", r.status, r.body, tt.want, tt.wantErr)
			}
			if strings.Contains(r.body, jaccounttest.DefaultClientSecret) {
				t.Error("the response echoes the secret")
			}
			if tt.want == 401 && r.header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
			for _, l := range tt.srv.Requests() {
				if l.Endpoint == jaccounttest.EndpointToken && l.Credential == tt.wantCred && l.Status == tt.want {
					return
				}
			}
			t.Errorf("request log lacks credential %s with status %d", tt.wantCred, tt.want)
		})
	}
}

func TestTokenRequestErrors(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	rt := issue(t, srv, jaccounttest.StudentUsername, "basic").RefreshToken
	revoked := issue(t, srv, jaccounttest.StudentUsername, "basic").RefreshToken
	srv.RevokeToken(revoked)
	tests := []struct {
		name    string
		vals    url.Values
		wantErr string
	}{
		{"no grant type", creds(srv), "invalid_request"},
		{"password grant", creds(srv, "grant_type", "password", "username", "u", "password", "p"), "unsupported_grant_type"},
		{"unknown code", creds(srv, "grant_type", "authorization_code", "code", "x", "redirect_uri", redirectURI), "invalid_grant"},
		{"unknown refresh", creds(srv, "grant_type", "refresh_token", "refresh_token", "x"), "invalid_grant"},
		{"revoked refresh", creds(srv, "grant_type", "refresh_token", "refresh_token", revoked), "invalid_grant"},
		{"widened scope", creds(srv, "grant_type", "refresh_token", "refresh_token", rt, "scope", "basic privacy"), "invalid_scope"},
		{"bad client scope", creds(srv, "grant_type", "client_credentials", "scope", "nonsense"), "invalid_scope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := postToken(t, srv, tt.vals, false)
			if r.status != 400 || r.str("error") != tt.wantErr || r.header.Get("Content-Type") == "" {
				t.Fatalf("status %d body %s, want 400 %s", r.status, r.body, tt.wantErr)
			}
		})
	}
	// A narrower scope on refresh is allowed.
	if r := postToken(t, srv, creds(srv, "grant_type", "refresh_token", "refresh_token", rt, "scope", "basic"), false); r.status != 200 {
		t.Errorf("narrowing refresh: %d %s", r.status, r.body)
	}
}

func TestLoginHelper(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Transport: srv.HTTPClient().Transport}
	ctx := testContext(t)
	if _, err := srv.Login(ctx, nil, authorizeURL(srv, "basic", "x"), jaccounttest.StudentUsername, "wrong"); err == nil {
		t.Error("Login with a wrong password succeeded")
	}
	loc, err := srv.Login(ctx, c, authorizeURL(srv, "basic", "y"), jaccounttest.StudentUsername, jaccounttest.StudentPassword)
	if err != nil {
		t.Fatal(err)
	}
	codeFrom(t, loc, "y")
	srv.ResetRequests()
	// The session skips the forms: one request.
	loc, err = srv.Login(ctx, c, authorizeURL(srv, "basic", "z"), "", "")
	if err != nil {
		t.Fatal(err)
	}
	codeFrom(t, loc, "z")
	if n := len(srv.Requests()); n != 1 {
		t.Errorf("second Login made %d requests, want 1", n)
	}
}

func TestLogoutWithoutRedirect(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	for _, q := range []string{"", "?post_logout_redirect_uri=javascript:alert(1)", "?post_logout_redirect_uri=/relative"} {
		if r := get(t, noRedirect(srv, nil), srv.LogoutURL()+q); r.status != 200 || !strings.Contains(r.body, `id="signed-out"`) {
			t.Errorf("logout%s: %d %s", q, r.status, r.body)
		}
	}
}

// TestRefreshOptions: by default a refresh reply carries a new refresh
// token (the spent one is refused) and no ID token, the strict reading of
// what jAccount does not document; the options turn each off or on.
func TestRefreshOptions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		opts        []jaccounttest.Option
		wantIDToken bool
		wantRotate  bool
	}{
		{"defaults", nil, false, true},
		{"WithRefreshIDToken", []jaccounttest.Option{jaccounttest.WithRefreshIDToken()}, true, true},
		{"WithoutRefreshRotation", []jaccounttest.Option{jaccounttest.WithoutRefreshRotation()}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, tt.opts...)
			tok := issue(t, srv, jaccounttest.StudentUsername, "openid", "basic")
			refresh := func(rt string) reply {
				return postToken(t, srv, creds(srv, "grant_type", "refresh_token", "refresh_token", rt), false)
			}
			r := refresh(tok.RefreshToken)
			if r.status != 200 || r.str("access_token") == "" {
				t.Fatalf("refresh: %d %s", r.status, r.body)
			}
			if got := r.str("id_token") != ""; got != tt.wantIDToken {
				t.Errorf("refresh reply carries an ID token: %v, want %v", got, tt.wantIDToken)
			}
			if tt.wantIDToken {
				if c := verifyIDToken(t, srv, r.str("id_token")); c["sub"] != jaccounttest.StudentUsername {
					t.Errorf("refreshed ID token claims %v", c)
				}
			}
			rotated := r.str("refresh_token") != tok.RefreshToken
			if rotated != tt.wantRotate || r.str("refresh_token") == "" {
				t.Errorf("refresh_token %q rotated %v, want rotation %v", r.str("refresh_token"), rotated, tt.wantRotate)
			}
			again := refresh(tok.RefreshToken)
			if tt.wantRotate && (again.status != 400 || again.str("error") != "invalid_grant") {
				t.Errorf("the spent refresh token: %d %s, want invalid_grant", again.status, again.body)
			}
			if !tt.wantRotate && again.status != 200 {
				t.Errorf("a reusable refresh token: %d %s", again.status, again.body)
			}
		})
	}
}

// TestWithIssuer: the ID tokens carry the issuer set, e.g. jAccount's own.
func TestWithIssuer(t *testing.T) {
	t.Parallel()
	const live = "https://jaccount.sjtu.edu.cn/oauth2/"
	srv := newServer(t, jaccounttest.WithIssuer(live))
	if srv.Issuer() != live {
		t.Fatalf("Issuer() = %q", srv.Issuer())
	}
	tok := issue(t, srv, jaccounttest.StudentUsername, "openid")
	if c := verifyIDToken(t, srv, tok.IDToken); c["iss"] != live {
		t.Errorf("iss = %v, want %s", c["iss"], live)
	}
}

// verifyIDToken verifies an ID token as a client does (HS256 with the
// client secret, the server's issuer, the client as audience) and returns
// its claims.
func verifyIDToken(t *testing.T, srv *jaccounttest.Server, raw string) jwt.MapClaims {
	t.Helper()
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(raw, claims, func(*jwt.Token) (any, error) { return []byte(srv.ClientSecret()), nil },
		jwt.WithValidMethods([]string{"HS256"}), jwt.WithIssuer(srv.Issuer()), jwt.WithAudience(srv.ClientID()),
		jwt.WithIssuedAt(), jwt.WithExpirationRequired())
	if err != nil {
		t.Fatalf("ID token does not verify: %v", err)
	}
	return claims
}
