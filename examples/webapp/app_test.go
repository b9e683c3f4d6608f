package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oauth-jaccount/jaccount-go/examples/internal/setup"
	"github.com/oauth-jaccount/jaccount-go/jaccounttest"
)

// These tests drive the command's run function, as `go run
// ./examples/webapp` does, on a free loopback port against a fresh fake.

// testApp is a running webapp.
type testApp struct {
	fake *jaccounttest.Server
	url  string
	logs *syncBuffer
}

// startApp runs the app with the environment variables env (WEBAPP_ADDR
// defaults to a free port) until the test ends.
func startApp(t *testing.T, env map[string]string) *testApp {
	t.Helper()
	fake := jaccounttest.New(t, jaccounttest.WithPKCE())
	getenv := func(k string) string {
		if v, ok := env[k]; ok {
			return v
		}
		if k == "WEBAPP_ADDR" {
			return "127.0.0.1:0"
		}
		return ""
	}
	ctx, cancel := context.WithCancel(context.Background())
	logs := &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, setup.WithFake(fake), getenv, slog.New(slog.NewTextHandler(logs, nil))) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run after cancel: %v", err)
		}
	})
	addr := regexp.MustCompile(`open (http://127\.0\.0\.1:\d+)/`)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if m := addr.FindStringSubmatch(logs.String()); m != nil {
			return &testApp{fake: fake, url: m[1], logs: logs}
		}
	}
	t.Fatalf("the app announced no address: %s", logs.String())
	return nil
}

// browser is a cookie-keeping client that does not follow redirects.
func browser() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

type result struct {
	status   int
	location string
	body     string
	cookies  []*http.Cookie
	header   http.Header
}

func send(t *testing.T, c *http.Client, method, u string, form url.Values) result {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(t.Context(), method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return result{resp.StatusCode, resp.Header.Get("Location"), string(b), resp.Cookies(), resp.Header}
}

func fetch(t *testing.T, c *http.Client, u string) result {
	t.Helper()
	return send(t, c, http.MethodGet, u, nil)
}

// startLogin opens the login path and returns the redirect to the fake,
// with the cookies the app set.
func (a *testApp) startLogin(t *testing.T, c *http.Client) result {
	t.Helper()
	r := fetch(t, c, a.url+"/jaccount/login")
	if r.status != http.StatusFound || !strings.HasPrefix(r.location, a.fake.AuthURL()) {
		t.Fatalf("login: %d to %q, want a redirect to the fake", r.status, r.location)
	}
	return r
}

// callbackURL logs in at the fake and returns the callback URL it sends
// the browser to.
func (a *testApp) callbackURL(t *testing.T, c *http.Client, authorize string) *url.URL {
	t.Helper()
	cb, err := a.fake.Login(t.Context(), c, authorize, jaccounttest.StudentUsername, jaccounttest.StudentPassword)
	if err != nil {
		t.Fatal(err)
	}
	return cb
}

// login signs the browser in as the fixture student.
func (a *testApp) login(t *testing.T, c *http.Client) {
	t.Helper()
	cb := a.callbackURL(t, c, a.startLogin(t, c).location)
	if r := fetch(t, c, cb.String()); r.status != http.StatusFound && r.status != http.StatusSeeOther {
		t.Fatalf("callback: %d %s", r.status, r.body)
	}
	if home := fetch(t, c, a.url+"/"); !strings.Contains(home.body, `<span id="name">张三</span>`) {
		t.Fatalf("not signed in after the callback: %s", home.body)
	}
}

var logoutFormRE = regexp.MustCompile(`(?s)<form method="post" action="/jaccount/logout"[^>]*>.*?name="([^"]+)" value="([^"]+)"`)

// logoutForm returns the CSRF field of the home page's logout form.
func (a *testApp) logoutForm(t *testing.T, c *http.Client) (url.Values, bool) {
	t.Helper()
	m := logoutFormRE.FindStringSubmatch(fetch(t, c, a.url+"/").body)
	if m == nil {
		return nil, false
	}
	return url.Values{m[1]: {m[2]}}, true
}

func TestLoginProfileLogout(t *testing.T) {
	t.Parallel()
	a := startApp(t, nil)
	c := browser()
	if r := fetch(t, c, a.url+"/"); !strings.Contains(r.body, `id="login"`) {
		t.Fatalf("home without a session: %s", r.body)
	}
	// The profile page needs a login and comes back to itself.
	r := fetch(t, c, a.url+"/profile")
	if r.status != http.StatusSeeOther || r.location != "/jaccount/login?next=%2Fprofile" {
		t.Fatalf("anonymous /profile: %d to %q", r.status, r.location)
	}
	r = fetch(t, c, a.url+r.location)
	if r.status != http.StatusFound || !strings.HasPrefix(r.location, a.fake.AuthURL()) {
		t.Fatalf("login: %d to %q", r.status, r.location)
	}
	if r := fetch(t, c, a.callbackURL(t, c, r.location).String()); r.status != http.StatusSeeOther || r.location != "/profile" {
		t.Fatalf("callback: %d to %q: %s", r.status, r.location, r.body)
	}
	profile := fetch(t, c, a.url+"/profile")
	for _, want := range []string{`<span id="name">张三</span>`, jaccounttest.StudentUsername, "523030910001", "电子信息与电气工程学院", "zhangsan@sjtu.edu.cn", `id="logout"`} {
		if !strings.Contains(profile.body, want) {
			t.Errorf("profile page lacks %q", want)
		}
	}
	form, ok := a.logoutForm(t, c)
	if !ok {
		t.Fatal("no logout form")
	}
	out := send(t, c, http.MethodPost, a.url+"/jaccount/logout", form)
	want := a.fake.LogoutURL() + "?" + url.Values{"client_id": {a.fake.ClientID()}, "post_logout_redirect_uri": {a.url + "/"}}.Encode()
	if out.status != http.StatusSeeOther || out.location != want {
		t.Fatalf("logout: %d to %q, want %q", out.status, out.location, want)
	}
	if r := fetch(t, c, a.url+"/"); strings.Contains(r.body, "张三") {
		t.Error("still logged in after logout")
	}
}

func TestCallbackRefusals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		mangle func(q url.Values)
		want   int
		kind   string
	}{
		{"tampered state", func(q url.Values) { q.Set("state", q.Get("state")+"x") }, http.StatusBadRequest, "state"},
		{"missing state", func(q url.Values) { q.Del("state") }, http.StatusBadRequest, "state"},
		{"jAccount error", func(q url.Values) { q.Del("code"); q.Set("error", "access_denied") }, http.StatusForbidden, "access_denied"},
		{"bad code", func(q url.Values) { q.Set("code", "forged") }, http.StatusBadGateway, "failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := startApp(t, nil)
			c := browser()
			cb := a.callbackURL(t, c, a.startLogin(t, c).location)
			q := cb.Query()
			tt.mangle(q)
			cb.RawQuery = q.Encode()
			r := fetch(t, c, cb.String())
			if r.status != tt.want || !strings.Contains(r.body, `data-kind="`+tt.kind+`"`) {
				t.Fatalf("status %d, want %d with the %s error page: %s", r.status, tt.want, tt.kind, r.body)
			}
			if home := fetch(t, c, a.url+"/"); strings.Contains(home.body, "张三") {
				t.Error("logged in despite the refusal")
			}
		})
	}
}

// Issue 10, finding 14: the tests below failed on the webapp that kept
// its own signed (not encrypted) cookie.

// TestFinding14VerifierAndNonceNotReadable: no cookie the login sets
// reveals the PKCE verifier or the nonce to the browser, whatever way it
// is decoded.
func TestFinding14VerifierAndNonceNotReadable(t *testing.T) {
	t.Parallel()
	a := startApp(t, nil)
	r := a.startLogin(t, browser())
	q, err := url.Parse(r.location)
	if err != nil {
		t.Fatal(err)
	}
	challenge, nonce := q.Query().Get("code_challenge"), q.Query().Get("nonce")
	if challenge == "" || nonce == "" {
		t.Fatalf("the login sends no PKCE challenge or nonce: %s", r.location)
	}
	verifierRE := regexp.MustCompile(`[A-Za-z0-9_~.-]{43,128}`)
	for _, c := range r.cookies {
		for _, text := range decodings(c.Value) {
			if strings.Contains(text, nonce) {
				t.Errorf("cookie %s reveals the nonce: %q", c.Name, text)
			}
			for _, cand := range verifierRE.FindAllString(text, -1) {
				sum := sha256.Sum256([]byte(cand))
				if base64.RawURLEncoding.EncodeToString(sum[:]) == challenge {
					t.Errorf("cookie %s reveals the PKCE verifier: %q", c.Name, text)
				}
			}
		}
	}
}

// decodings returns v and what its parts decode to in every base64
// alphabet, each once.
func decodings(v string) []string {
	out := []string{v}
	for _, part := range append(strings.FieldsFunc(v, func(r rune) bool { return r == '.' || r == '|' || r == ':' }), v) {
		for _, enc := range []*base64.Encoding{base64.RawURLEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.StdEncoding} {
			if b, err := enc.DecodeString(part); err == nil && !slices.Contains(out, string(b)) {
				out = append(out, string(b))
			}
		}
	}
	return out
}

// TestFinding14SecureCookiesBehindTLS: configured as behind a TLS proxy,
// the app marks every cookie Secure.
func TestFinding14SecureCookiesBehindTLS(t *testing.T) {
	t.Parallel()
	a := startApp(t, map[string]string{"WEBAPP_BEHIND_TLS": "1"})
	r := fetch(t, browser(), a.url+"/jaccount/login")
	if len(r.cookies) == 0 {
		t.Fatalf("the login set no cookie: %d", r.status)
	}
	for _, c := range r.cookies {
		if !c.Secure || !c.HttpOnly {
			t.Errorf("cookie %s: Secure=%t HttpOnly=%t behind TLS", c.Name, c.Secure, c.HttpOnly)
		}
	}
}

// TestFinding14LogoutIsPOSTWithCSRF: a GET does not log out (so a link or
// an image on another site cannot), a POST without the CSRF token is
// refused, and the form on the page logs out.
func TestFinding14LogoutIsPOSTWithCSRF(t *testing.T) {
	t.Parallel()
	a := startApp(t, nil)
	c := browser()
	a.login(t, c)
	fetch(t, c, a.url+"/jaccount/logout")
	if home := fetch(t, c, a.url+"/"); !strings.Contains(home.body, "张三") {
		t.Error("a GET of the logout path logged the user out")
		a.login(t, c)
	}
	form, ok := a.logoutForm(t, c)
	if !ok {
		t.Fatal("the page has no POST logout form carrying a token")
	}
	if r := send(t, c, http.MethodPost, a.url+"/jaccount/logout", url.Values{}); r.status != http.StatusForbidden {
		t.Errorf("logout without the CSRF token: %d", r.status)
	}
	if home := fetch(t, c, a.url+"/"); !strings.Contains(home.body, "张三") {
		t.Error("a logout without the CSRF token logged the user out")
	}
	if r := send(t, c, http.MethodPost, a.url+"/jaccount/logout", form); r.status != http.StatusSeeOther || !strings.HasPrefix(r.location, a.fake.LogoutURL()+"?") {
		t.Errorf("logout with the form: %d to %q", r.status, r.location)
	}
	if home := fetch(t, c, a.url+"/"); strings.Contains(home.body, "张三") {
		t.Error("still logged in after the logout")
	}
}

// TestFinding14ReplayAfterLogoutRefused: the session cookie copied before
// the logout does not sign anyone in afterwards.
func TestFinding14ReplayAfterLogoutRefused(t *testing.T) {
	t.Parallel()
	a := startApp(t, nil)
	c := browser()
	a.login(t, c)
	u, _ := url.Parse(a.url + "/")
	stolen := c.Jar.Cookies(u)
	if form, ok := a.logoutForm(t, c); ok {
		send(t, c, http.MethodPost, a.url+"/jaccount/logout", form)
	} else {
		t.Error("no logout form; logging out with GET")
		fetch(t, c, a.url+"/jaccount/logout")
	}
	replay := browser()
	replay.Jar.SetCookies(u, stolen)
	if home := fetch(t, replay, a.url+"/"); strings.Contains(home.body, "张三") {
		t.Error("the session cookie copied before the logout still signs in")
	}
}

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string { b.mu.Lock(); defer b.mu.Unlock(); return b.b.String() }

// TestPagesForbidFraming: the app's pages, which hold the logout button,
// and package web's pages all forbid being framed (clickjacking).
func TestPagesForbidFraming(t *testing.T) {
	t.Parallel()
	a := startApp(t, nil)
	c := browser()
	pages := map[string]result{"home, anonymous": fetch(t, c, a.url+"/"), "login": fetch(t, c, a.url+"/jaccount/login")}
	a.login(t, c)
	pages["home"] = fetch(t, c, a.url+"/")
	pages["profile"] = fetch(t, c, a.url+"/profile")
	pages["logout, GET"] = fetch(t, c, a.url+"/jaccount/logout")
	for name, r := range pages {
		if r.header.Get("X-Frame-Options") != "DENY" || !slices.Contains(r.header.Values("Content-Security-Policy"), "frame-ancestors 'none'") {
			t.Errorf("%s (%d): X-Frame-Options %q, Content-Security-Policy %q", name, r.status,
				r.header.Get("X-Frame-Options"), r.header.Values("Content-Security-Policy"))
		}
	}
}
