package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oauth-jaccount/jaccount-go/examples/internal/setup"
	"github.com/oauth-jaccount/jaccount-go/jaccounttest"
)

// testApp is the app served on a loopback port against a fresh fake.
type testApp struct {
	fake *jaccounttest.Server
	url  string
}

func newTestApp(t *testing.T) *testApp {
	t.Helper()
	fake := jaccounttest.New(jaccounttest.WithPKCE())
	t.Cleanup(fake.Close)
	// The handler needs its own URL, known only once the server listens.
	var h http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	h = newApp(setup.WithFake(fake), srv.URL, "test-key", slog.New(slog.DiscardHandler))
	return &testApp{fake: fake, url: srv.URL}
}

// browser is a cookie-keeping client that does not follow redirects.
func browser() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

type result struct {
	status   int
	location string
	body     string
	cookies  []*http.Cookie
}

func fetch(t *testing.T, c *http.Client, u string) result {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return result{resp.StatusCode, resp.Header.Get("Location"), string(b), resp.Cookies()}
}

// startLogin opens /jaccount/login and logs in at the fake; it returns the
// callback URL the fake redirects the browser to.
func (a *testApp) startLogin(t *testing.T, c *http.Client) *url.URL {
	t.Helper()
	r := fetch(t, c, a.url+loginPath)
	if r.status != http.StatusFound || !strings.HasPrefix(r.location, a.fake.AuthURL()) {
		t.Fatalf("login: %d to %q, want a redirect to the fake", r.status, r.location)
	}
	if len(r.cookies) != 1 || !r.cookies[0].HttpOnly || r.cookies[0].Name != sessionCookie {
		t.Fatalf("login set cookies %v, want one HttpOnly session cookie", r.cookies)
	}
	cb, err := a.fake.Login(t.Context(), c, r.location, jaccounttest.StudentUsername, jaccounttest.StudentPassword)
	if err != nil {
		t.Fatal(err)
	}
	return cb
}

func TestLoginProfileLogout(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	c := browser()
	if r := fetch(t, c, a.url+"/"); !strings.Contains(r.body, `id="login"`) {
		t.Fatalf("home without a session: %s", r.body)
	}
	cb := a.startLogin(t, c)
	if r := fetch(t, c, cb.String()); r.status != http.StatusFound || r.location != "/" {
		t.Fatalf("callback: %d to %q: %s", r.status, r.location, r.body)
	}
	home := fetch(t, c, a.url+"/")
	for _, want := range []string{`<span id="name">张三</span>`, jaccounttest.StudentUsername, "523030910001", "电子信息与电气工程学院", `id="logout"`} {
		if !strings.Contains(home.body, want) {
			t.Errorf("profile page lacks %q", want)
		}
	}
	out := fetch(t, c, a.url+logoutPath)
	want := a.fake.LogoutURL() + "?" + url.Values{"client_id": {a.fake.ClientID()}, "post_logout_redirect_uri": {a.url + "/"}}.Encode()
	if out.status != http.StatusFound || out.location != want {
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
	}{
		{"tampered state", func(q url.Values) { q.Set("state", q.Get("state")+"x") }, http.StatusBadRequest},
		{"missing state", func(q url.Values) { q.Del("state") }, http.StatusBadRequest},
		{"jAccount error", func(q url.Values) { q.Del("code"); q.Set("error", "access_denied") }, http.StatusForbidden},
		{"bad code", func(q url.Values) { q.Set("code", "forged") }, http.StatusBadGateway},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := newTestApp(t)
			c := browser()
			cb := a.startLogin(t, c)
			q := cb.Query()
			tt.mangle(q)
			cb.RawQuery = q.Encode()
			r := fetch(t, c, cb.String())
			if r.status != tt.want || !strings.Contains(r.body, `id="error"`) {
				t.Fatalf("status %d, want %d with an error page: %s", r.status, tt.want, r.body)
			}
			if home := fetch(t, c, a.url+"/"); strings.Contains(home.body, "张三") {
				t.Error("logged in despite the refusal")
			}
		})
	}
}

func TestCallbackWithoutLogin(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	if r := fetch(t, browser(), a.url+callbackPath+"?code=x&state=y"); r.status != http.StatusBadRequest {
		t.Fatalf("callback without a session: %d", r.status)
	}
}

func TestSessionCookie(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_800_000_000, 0)
	s := &sessions{key: []byte("k1"), now: func() time.Time { return now }}
	v, err := s.encode(session{User: &user{Account: "zhangsan", Name: "张三"}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.decode(v)
	if err != nil || got.User == nil || got.User.Name != "张三" {
		t.Fatalf("round trip: %+v %v", got, err)
	}
	payload, sig, _ := strings.Cut(v, ".")
	forged, _ := (&sessions{key: []byte("k2"), now: s.now}).encode(session{User: &user{Account: "admin"}})
	late := &sessions{key: s.key, now: func() time.Time { return now.Add(sessionTTL) }}
	tests := []struct {
		name  string
		s     *sessions
		value string
	}{
		{"tampered payload", s, strings.ToUpper(payload[:4]) + payload[4:] + "." + sig},
		{"tampered signature", s, payload + "." + sig[:len(sig)-2] + "AA"},
		{"other key", s, forged},
		{"no signature", s, payload},
		{"expired", late, v},
		{"garbage", s, "%%%.%%%"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.s.decode(tt.value); err == nil {
				t.Fatal("accepted")
			}
		})
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

// TestRunServes starts the command's server on a free port, fetches the
// home page it announces, and stops it.
func TestRunServes(t *testing.T) {
	t.Parallel()
	fake := jaccounttest.New(jaccounttest.WithPKCE())
	t.Cleanup(fake.Close)
	ctx, cancel := context.WithCancel(t.Context())
	var logs syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, setup.WithFake(fake), func(k string) string { return map[string]string{"WEBAPP_ADDR": "127.0.0.1:0"}[k] },
			slog.New(slog.NewTextHandler(&logs, nil)))
	}()
	addr := regexp.MustCompile(`open (http://127\.0\.0\.1:\d+)/`)
	var base string
	for deadline := time.Now().Add(5 * time.Second); base == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if m := addr.FindStringSubmatch(logs.String()); m != nil {
			base = m[1]
		}
	}
	if base == "" {
		t.Fatalf("the server announced no address: %s", logs.String())
	}
	if r := fetch(t, browser(), base+"/"); r.status != 200 || !strings.Contains(r.body, `id="login"`) {
		t.Errorf("home page: %d %s", r.status, r.body)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run after cancel: %v", err)
	}
}
