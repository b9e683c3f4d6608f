package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oauth-jaccount/jaccount-go/api"
	"github.com/oauth-jaccount/jaccount-go/auth"
	"github.com/oauth-jaccount/jaccount-go/jaccounttest"
)

// TestSecureCookies: cookies are HttpOnly and SameSite=Lax always, and
// Secure with the __Host- prefix (and so Path=/) when the request came
// over TLS or the app says it is behind TLS; over plain HTTP the pending
// login's cookie is scoped to the login and callback directory.
func TestSecureCookies(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		opts   []Option
		target string
		secure bool
	}{
		{"plain HTTP", nil, "http://app.test/jaccount/login", false},
		{"TLS", nil, "https://app.test/jaccount/login", true},
		{"behind TLS", []Option{WithSecureCookies()}, "http://app.test/jaccount/login", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := newApp(t, tt.opts...)
			login := serve(a.h, request(t, tt.target, nil))
			if len(login.cookies) != 1 {
				t.Fatalf("login set %d cookies", len(login.cookies))
			}
			pending := login.cookies[0]
			loginPath := "/jaccount/"
			if tt.secure {
				loginPath = "/"
			}
			checkCookie(t, pending, tt.secure, "__Host-jaccount_login_", "jaccount_login_", loginPath)
			// Complete the login to see the session cookie.
			cb, err := a.fake.Login(t.Context(), nil, login.location, jaccounttest.StudentUsername, jaccounttest.StudentPassword)
			if err != nil {
				t.Fatal(err)
			}
			cbURL := strings.Replace(cb.String(), a.url, strings.TrimSuffix(tt.target, "/jaccount/login"), 1)
			done := serve(a.h, request(t, cbURL, []*http.Cookie{{Name: pending.Name, Value: pending.Value}}))
			var session *http.Cookie
			for _, c := range done.cookies {
				if strings.HasSuffix(c.Name, "jaccount_session") {
					session = c
				}
			}
			if done.status != http.StatusSeeOther || session == nil {
				t.Fatalf("callback: %d %v %s", done.status, done.cookies, done.body)
			}
			checkCookie(t, session, tt.secure, "__Host-jaccount_session", "jaccount_session", "/")
		})
	}
	// An https RedirectURL makes cookies Secure on its own.
	a := newApp(t)
	cfg := *a.cfg
	cfg.RedirectURL = "https://app.example.edu/jaccount/auth"
	h, err := New(&cfg, WithSessionKeys(testKey))
	if err != nil {
		t.Fatal(err)
	}
	if c := serve(h, request(t, "http://app.test/jaccount/login", nil)).cookies; len(c) != 1 || !c[0].Secure {
		t.Errorf("https RedirectURL: %v", c)
	}
}

func checkCookie(t *testing.T, c *http.Cookie, secure bool, securePrefix, plainPrefix, path string) {
	t.Helper()
	prefix := plainPrefix
	if secure {
		prefix = securePrefix
	}
	if !strings.HasPrefix(c.Name, prefix) || c.Secure != secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != path {
		t.Errorf("cookie %s: Secure=%t HttpOnly=%t SameSite=%v Path=%q; want %s…, Secure=%t, HttpOnly, Lax, %s",
			c.Name, c.Secure, c.HttpOnly, c.SameSite, c.Path, prefix, secure, path)
	}
}

// TestProfileAndKeptTokens: WithProfile puts the profile in the session;
// WithTokenStore lets a handler call the API as the user, through expired
// access tokens (refreshed and saved), and logout deletes the kept token.
func TestProfileAndKeptTokens(t *testing.T) {
	t.Parallel()
	// The API rejects the expired token with HTTP 403, or 200 as the live
	// API answered an invalid token once (evidence E11), errno 10007 both.
	for _, status := range []int{http.StatusForbidden, http.StatusOK} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			t.Parallel()
			testProfileAndKeptTokens(t, jaccounttest.WithTokenRejectionStatus(status))
		})
	}
}

func testProfileAndKeptTokens(t *testing.T, style jaccounttest.Option) {
	store := NewMemoryStore()
	var profileName string
	a := newAppFake(t, []jaccounttest.Option{style}, WithProfile(), WithTokenStore(store.TokenStore))
	var mu sync.Mutex
	probe := a.h.RequireUser(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if p := UserFrom(r.Context()).Profile; p != nil {
			profileName = p.Name + " " + p.Organize.Name
		}
	}))
	b := newBrowser()
	a.login(t, b, a.url+"/private")
	r := request(t, a.url+"/probe", a.sessionCookies(b))
	serve(probe, r)
	mu.Lock()
	if profileName != "张三 电子信息与电气工程学院" {
		t.Errorf("User.Profile: %q", profileName)
	}
	mu.Unlock()
	kept, err := store.TokenStore(jaccounttest.StudentUsername).Load(t.Context())
	if err != nil || kept.RefreshToken == "" {
		t.Fatalf("no token kept: %v", err)
	}
	if p := b.get(t, a.url+"/api"); p.status != 200 || p.body != "api zhangsan 张三" {
		t.Fatalf("API as the user: %d %s", p.status, p.body)
	}
	a.fake.ExpireAccessTokens()
	if p := b.get(t, a.url+"/api"); p.status != 200 || p.body != "api zhangsan 张三" {
		t.Fatalf("API as the user after expiry: %d %s", p.status, p.body)
	}
	if now, err := store.TokenStore(jaccounttest.StudentUsername).Load(t.Context()); err != nil || now.RefreshToken == kept.RefreshToken {
		t.Errorf("the refreshed token was not saved: %v", err)
	}
	for _, c := range b.c.Jar.Cookies(mustURL(t, a.url+"/")) {
		if strings.Contains(c.Value, kept.AccessToken) || strings.Contains(c.Value, kept.RefreshToken) {
			t.Errorf("cookie %s holds a token", c.Name)
		}
	}
	b.do(t, http.MethodPost, a.url+"/jaccount/logout", url.Values{CSRFField: {a.csrf(t, b)}})
	if _, err := store.TokenStore(jaccounttest.StudentUsername).Load(t.Context()); !errors.Is(err, auth.ErrNoToken) {
		t.Errorf("the kept token survived the logout: %v", err)
	}

	// Without a token store, User.API says so.
	plain := newApp(t)
	pb := newBrowser()
	plain.login(t, pb, plain.url+"/private")
	if p := pb.get(t, plain.url+"/api"); p.status != 500 || !strings.Contains(p.body, ErrNoTokenStore.Error()) {
		t.Errorf("User.API without a token store: %d %s", p.status, p.body)
	}
}

// TestNewValidation: New refuses a missing or invalid configuration with
// ErrInvalidOption.
func TestNewValidation(t *testing.T) {
	t.Parallel()
	good := &auth.Config{ClientID: "c", ClientSecret: "s", RedirectURL: "http://127.0.0.1:8080/jaccount/auth"}
	with := func(u string) *auth.Config { c := *good; c.RedirectURL = u; return &c }
	withScopes := func(cfg *auth.Config, scopes ...string) *auth.Config { c := *cfg; c.Scopes = scopes; return &c }
	tests := []struct {
		name string
		cfg  *auth.Config
		opts []Option
	}{
		{"nil config", nil, []Option{WithSessionKeys(testKey)}},
		{"no redirect URL", with(""), []Option{WithSessionKeys(testKey)}},
		{"relative redirect URL", with("/jaccount/auth"), []Option{WithSessionKeys(testKey)}},
		{"redirect URL without path", with("http://127.0.0.1:8080"), []Option{WithSessionKeys(testKey)}},
		{"no key", good, nil},
		{"empty key list", good, []Option{WithSessionKeys()}},
		{"short key", good, []Option{WithSessionKeys([]byte("short"))}},
		{"negative max age", good, []Option{WithSessionKeys(testKey), WithMaxAge(-time.Second)}},
		{"negative login timeout", good, []Option{WithSessionKeys(testKey), WithLoginTimeout(-1)}},
		{"negative pending logins", good, []Option{WithSessionKeys(testKey), WithMaxPendingLogins(-1)}},
		{"relative path", good, []Option{WithSessionKeys(testKey), WithPaths(Paths{Login: "login"})}},
		{"scheme-relative path", good, []Option{WithSessionKeys(testKey), WithPaths(Paths{Landing: "//evil.com"})}},
		{"login at the callback", good, []Option{WithSessionKeys(testKey), WithPaths(Paths{Login: "/jaccount/auth"})}},
		{"same login and logout", good, []Option{WithSessionKeys(testKey), WithPaths(Paths{Login: "/x", Logout: "/x"})}},
		{"bad cookie name", good, []Option{WithSessionKeys(testKey), WithCookieName("a b")}},
		{"relative post-logout redirect", good, []Option{WithSessionKeys(testKey), WithPostLogoutRedirect("/bye")}},
		{"post-logout redirect of another scheme", good, []Option{WithSessionKeys(testKey), WithPostLogoutRedirect("javascript:alert(1)")}},
		{"empty scope", withScopes(good, "basic", ""), []Option{WithSessionKeys(testKey)}},
		{"the first invalid option", good, []Option{WithSessionKeys(testKey), nil, WithMaxAge(-time.Second), WithCookieName("a b")}},
		{"invalid API option", good, []Option{WithSessionKeys(testKey), WithAPIOptions(api.WithMaxPages(-1))}},
	}
	// The error names the option (the one first invalid).
	says := map[string]string{"negative max age": "WithMaxAge(-1s): negative", "negative login timeout": "WithLoginTimeout(-1ns)",
		"negative pending logins": "WithMaxPendingLogins(-1)", "relative post-logout redirect": `WithPostLogoutRedirect("/bye")`,
		"empty scope": "WithScopes", "the first invalid option": "WithMaxAge", "bad cookie name": "WithCookieName",
		"invalid API option": "WithMaxPages(-1)"}
	for _, tt := range tests {
		_, err := New(tt.cfg, tt.opts...)
		if !errors.Is(err, ErrInvalidOption) || !strings.Contains(fmt.Sprint(err), says[tt.name]) {
			t.Errorf("%s: %v, want ErrInvalidOption saying %q", tt.name, err, says[tt.name])
		}
	}
	// Zero values are the defaults.
	h, err := New(good, WithSessionKeys(testKey), WithMaxAge(0), WithLoginTimeout(0), WithMaxPendingLogins(0),
		WithPaths(Paths{}), WithCookieName(""), WithPostLogoutRedirect(""), WithErrorHandler(nil), WithLogger(nil),
		WithRevocationStore(nil), WithSessionStore(nil), WithTokenStore(nil), WithAPIOptions(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if h.maxAge != DefaultMaxAge || h.loginTTL != DefaultLoginTimeout || h.maxPending != DefaultMaxPendingLogins ||
		h.loginPath != DefaultLoginPath || h.logoutPath != DefaultLogoutPath || h.landing != "/" || h.cookieName != DefaultCookieName ||
		h.postLogout != "http://127.0.0.1:8080/" || h.errorPage == nil || h.revoke == nil || h.store != nil || h.tokens != nil || len(h.apiOpts) != 0 {
		t.Errorf("zero options are not the defaults: %+v", h)
	}
	if h.scopes[0] != "openid" {
		t.Errorf("scopes %v lack openid", h.scopes)
	}
	// Custom paths are served; the post-logout URL follows the landing page.
	h, err = New(good, WithSessionKeys(testKey), WithPaths(Paths{Login: "/in", Logout: "/out", Landing: "/home"}))
	if err != nil {
		t.Fatal(err)
	}
	if p := serve(h, request(t, "http://127.0.0.1:8080/in", nil)); p.status != http.StatusFound {
		t.Errorf("custom login path: %d", p.status)
	}
	if h.postLogout != "http://127.0.0.1:8080/home" || h.LoginURL("/x") != "/in?next=%2Fx" || h.LoginURL("/home") != "/in" {
		t.Errorf("custom paths: %q %q", h.postLogout, h.LoginURL("/x"))
	}
}

// TestSecretsNeverPrinted prints every exported type that holds a key, a
// token or a CSRF token with every fmt verb and through slog, and finds
// none of them.
func TestSecretsNeverPrinted(t *testing.T) {
	t.Parallel()
	const secret, csrf = "client-secret-value-0123456789", "CSRFTOKENVALUE234567ABCDEF"
	key := []byte("key-material-that-must-not-leak!")
	h, err := New(&auth.Config{ClientID: "c", ClientSecret: secret, RedirectURL: "http://127.0.0.1/jaccount/auth"},
		WithSessionKeys(key))
	if err != nil {
		t.Fatal(err)
	}
	s := Session{ID: "sid", Claims: auth.IDTokenClaims{Subject: "zhangsan"}, CSRFToken: csrf, ExpiresAt: time.Now()}
	u := User{Claims: s.Claims, csrf: csrf, h: h}
	store := NewMemoryStore()
	_ = store.Save(t.Context(), &s)
	_ = store.TokenStore("zhangsan").Save(t.Context(), &auth.Token{AccessToken: "access-token-value", RefreshToken: "refresh-token-value"})
	values := map[string]any{"Handler": *h, "*Handler": h, "Session": s, "*Session": &s, "User": u, "*User": &u, "*MemoryStore": store}
	forbidden := []string{secret, csrf, string(key), "access-token-value", "refresh-token-value",
		fmt.Sprintf("%x", key), fmt.Sprintf("%X", key), fmt.Sprintf("%x", csrf), fmt.Sprintf("%x", secret)}
	verbs := []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T", "%10.3v", "%-v", "%#q"}
	for name, v := range values {
		var out strings.Builder
		for _, verb := range verbs {
			fmt.Fprintf(&out, verb+"\n", v)
		}
		for _, f := range []func(*bytes.Buffer) slog.Handler{
			func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
			func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
		} {
			var b bytes.Buffer
			slog.New(f(&b)).Info("x", slog.Any("v", v))
			out.WriteString(b.String())
		}
		for _, bad := range forbidden {
			if strings.Contains(out.String(), bad) {
				t.Errorf("%s printed %q:\n%s", name, bad, out.String())
			}
		}
	}
}

// TestLogsCarryNoSecrets runs logins, API calls, failures and a logout
// with debug logging and finds no token, code, verifier, nonce, CSRF token
// or cookie value in the logs.
func TestLogsCarryNoSecrets(t *testing.T) {
	t.Parallel()
	store := NewMemoryStore()
	a := newApp(t, WithTokenStore(store.TokenStore), WithProfile())
	b := newBrowser()
	authorize := a.toJAccount(t, b, a.url+"/private")
	var secrets []string
	for _, c := range a.pendingCookies(b) {
		p, err := a.h.openLogin(c.Name, c.Value)
		if err != nil {
			t.Fatal(err)
		}
		secrets = append(secrets, c.Value, p.Request.CodeVerifier, p.Request.Nonce, p.Request.State)
	}
	cb := a.atJAccount(t, b, authorize)
	secrets = append(secrets, mustURL(t, cb).Query().Get("code"))
	b.get(t, cb)
	b.get(t, cb) // replayed: refused and logged
	b.get(t, a.url+"/api")
	tok, err := store.TokenStore(jaccounttest.StudentUsername).Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	secrets = append(secrets, tok.AccessToken, tok.RefreshToken, tok.IDToken, a.csrf(t, b))
	for _, c := range a.sessionCookies(b) {
		secrets = append(secrets, c.Value)
	}
	b.do(t, http.MethodPost, a.url+"/jaccount/logout", url.Values{CSRFField: {"wrong"}})
	b.do(t, http.MethodPost, a.url+"/jaccount/logout", url.Values{CSRFField: {a.csrf(t, b)}})
	logs := a.logs.String()
	for _, want := range []string{"web: login", "web: logout", "state mismatch", "web: refused"} {
		if !strings.Contains(logs, want) {
			t.Errorf("the logs lack %q:\n%s", want, logs)
		}
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(logs, s) {
			t.Errorf("the logs hold the secret %.8q…:\n%s", s, logs)
		}
	}
}

// TestMemoryStore: sessions expire, revocation is atomic, and a full
// revocation list drops the soonest-expiring entries first.
func TestMemoryStore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := time.Unix(1_800_000_000, 0)
	m := NewMemoryStore()
	m.now = func() time.Time { return now }
	if err := m.Save(ctx, &Session{ID: "a", ExpiresAt: now.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if s, err := m.Load(ctx, "a"); err != nil || s.ID != "a" {
		t.Fatalf("Load: %v %v", s, err)
	}
	if _, err := m.Load(ctx, "b"); !errors.Is(err, ErrNoSession) {
		t.Errorf("Load of an unknown ID: %v", err)
	}
	m.now = func() time.Time { return now.Add(time.Minute) }
	if _, err := m.Load(ctx, "a"); !errors.Is(err, ErrNoSession) {
		t.Errorf("Load of an expired session: %v", err)
	}
	m.now = func() time.Time { return now }

	var wg sync.WaitGroup
	var mu sync.Mutex
	first := 0
	for range 32 {
		wg.Go(func() {
			already, _ := m.Revoke(ctx, "x", now.Add(time.Hour))
			if !already {
				mu.Lock()
				first++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if first != 1 {
		t.Errorf("%d of 32 concurrent Revoke calls were first, want 1", first)
	}

	m.maxRev = 10
	_, _ = m.Revoke(ctx, "session", now.Add(8*time.Hour))
	for i := range 30 {
		_, _ = m.Revoke(ctx, fmt.Sprint("state", i), now.Add(time.Duration(10+i)*time.Minute))
	}
	if len(m.revoked) > 10 {
		t.Errorf("%d revocations kept, bound 10", len(m.revoked))
	}
	for _, id := range []string{"session", "x", "state29"} {
		if ok, _ := m.Revoked(ctx, id); !ok {
			t.Errorf("%s was dropped before sooner-expiring entries", id)
		}
	}
	if ok, _ := m.Revoked(ctx, "state0"); ok {
		t.Error("the soonest-expiring entry was kept")
	}
	if got := fmt.Sprint(m); !strings.HasPrefix(got, "web.MemoryStore{sessions: ") {
		t.Errorf("MemoryStore prints as %q", got)
	}
}
