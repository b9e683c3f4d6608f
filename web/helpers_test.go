package web

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oauth-jaccount/jaccount-go/api"
	"github.com/oauth-jaccount/jaccount-go/auth"
	"github.com/oauth-jaccount/jaccount-go/jaccounttest"
)

// testKey is a session key for tests (32 bytes).
var testKey = []byte("0123456789abcdef0123456789abcdef")

// app is a Handler in front of a small application, served on loopback
// against a fresh fake jAccount. Its pages:
//   - /private (RequireUser) prints "private <sub> <RequestURI>" and the
//     logout form;
//   - / (OptionalUser) prints "anonymous" or "hello <sub>";
//   - /api (RequireUser) calls Profile.Get as the user.
type app struct {
	fake   *jaccounttest.Server
	h      *Handler
	cfg    *auth.Config
	url    string
	offset atomic.Int64 // added to the Handler's clock
	logs   *syncBuffer
}

func newApp(t *testing.T, opts ...Option) *app {
	t.Helper()
	return newAppFake(t, nil, opts...)
}

// newAppFake is newApp over a fake with fakeOpts.
func newAppFake(t *testing.T, fakeOpts []jaccounttest.Option, opts ...Option) *app {
	t.Helper()
	a := &app{fake: jaccounttest.New(t, append([]jaccounttest.Option{jaccounttest.WithPKCE()}, fakeOpts...)...), logs: &syncBuffer{}}
	var mux http.ServeMux
	srv := httptest.NewServer(&mux)
	t.Cleanup(srv.Close)
	a.url = srv.URL
	a.cfg = &auth.Config{
		ClientID: a.fake.ClientID(), ClientSecret: a.fake.ClientSecret(), RedirectURL: srv.URL + "/jaccount/auth",
		Scopes: []string{"basic", "essential"},
		Endpoint: auth.Endpoint{AuthURL: a.fake.AuthURL(), TokenURL: a.fake.TokenURL(),
			LogoutURL: a.fake.LogoutURL(), Issuer: a.fake.Issuer()},
		Now: func() time.Time { return time.Now().Add(time.Duration(a.offset.Load())) },
	}
	log := slog.New(slog.NewTextHandler(a.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	base := []Option{WithSessionKeys(testKey), WithLogger(log), WithAPIOptions(api.WithBaseURL(a.fake.APIURL()))}
	h, err := New(a.cfg, append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	a.h = h
	mux.Handle("/jaccount/", h)
	mux.Handle("/private", h.RequireUser(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u := UserFrom(r.Context())
		fmt.Fprintf(w, "private %s %s\n%s", u.Claims.Subject, r.URL.RequestURI(), u.LogoutForm(""))
	})))
	mux.Handle("/api", h.RequireUser(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := UserFrom(r.Context()).API()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		p, err := c.Profile.Get(r.Context())
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		fmt.Fprintf(w, "api %s %s", p.Account, p.Name)
	})))
	mux.Handle("/", h.OptionalUser(whoami()))
	return a
}

// whoami answers "hello <sub>" or "anonymous".
func whoami() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u := UserFrom(r.Context()); u != nil {
			fmt.Fprintf(w, "hello %s", u.Claims.Subject)
			return
		}
		fmt.Fprint(w, "anonymous")
	})
}

// request is a GET of u carrying cookies, for serve.
func request(t *testing.T, u string, cookies []*http.Cookie) *http.Request {
	t.Helper()
	r := httptest.NewRequestWithContext(t.Context(), http.MethodGet, u, nil)
	for _, c := range cookies {
		r.AddCookie(c)
	}
	return r
}

// serve runs h on r in memory.
func serve(h http.Handler, r *http.Request) page {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	res := rec.Result()
	return page{res.StatusCode, res.Header.Get("Location"), rec.Body.String(), res.Cookies(), res.Header}
}

// advance moves the Handler's clock forward.
func (a *app) advance(d time.Duration) { a.offset.Add(int64(d)) }

// browser is a cookie-keeping client that does not follow redirects.
type browser struct {
	c *http.Client
}

func newBrowser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{&http.Client{Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// page is one response.
type page struct {
	status   int
	location string
	body     string
	cookies  []*http.Cookie
	header   http.Header
}

func (b *browser) do(t *testing.T, method, u string, form url.Values) page {
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
	resp, err := b.c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return page{resp.StatusCode, resp.Header.Get("Location"), string(raw), resp.Cookies(), resp.Header}
}

func (b *browser) get(t *testing.T, u string) page {
	t.Helper()
	return b.do(t, http.MethodGet, u, nil)
}

// abs makes a Location relative to the app absolute.
func (a *app) abs(loc string) string {
	if strings.HasPrefix(loc, "/") {
		return a.url + loc
	}
	return loc
}

// toJAccount follows the app's redirects from u until one leaves for the
// fake and returns that authorize URL.
func (a *app) toJAccount(t *testing.T, b *browser, u string) string {
	t.Helper()
	for range 3 {
		p := b.get(t, u)
		if p.status != http.StatusFound && p.status != http.StatusSeeOther {
			t.Fatalf("GET %s: %d, want a redirect towards jAccount: %s", u, p.status, p.body)
		}
		if strings.HasPrefix(p.location, a.fake.AuthURL()) {
			return p.location
		}
		u = a.abs(p.location)
	}
	t.Fatalf("%s never led to jAccount", u)
	return ""
}

// atJAccount logs in at the fake as the student and returns the callback
// URL it redirects to.
func (a *app) atJAccount(t *testing.T, b *browser, authorize string) string {
	t.Helper()
	cb, err := a.fake.Login(t.Context(), b.c, authorize, jaccounttest.StudentUsername, jaccounttest.StudentPassword)
	if err != nil {
		t.Fatal(err)
	}
	return cb.String()
}

// login opens u anonymously, logs in and returns the callback's answer
// (a redirect back to the page asked for).
func (a *app) login(t *testing.T, b *browser, u string) page {
	t.Helper()
	return b.get(t, a.atJAccount(t, b, a.toJAccount(t, b, u)))
}

// signedIn is an app with a browser signed in as the student.
func signedIn(t *testing.T, opts ...Option) (*app, *browser) {
	t.Helper()
	a, b := newApp(t, opts...), newBrowser()
	a.login(t, b, a.url+"/private")
	return a, b
}

var csrfRE = regexp.MustCompile(`name="` + CSRFField + `" value="([^"]+)"`)

// csrf reads the CSRF token from the logout form of /private.
func (a *app) csrf(t *testing.T, b *browser) string {
	t.Helper()
	p := b.get(t, a.url+"/private")
	m := csrfRE.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("/private has no logout form: %d %s", p.status, p.body)
	}
	return m[1]
}

// sessionCookies returns the browser's cookies for the app's root.
func (a *app) sessionCookies(b *browser) []*http.Cookie {
	u, _ := url.Parse(a.url + "/")
	return b.c.Jar.Cookies(u)
}

// withCookies is a fresh browser holding cookies for the app.
func (a *app) withCookies(cookies []*http.Cookie) *browser {
	b := newBrowser()
	u, _ := url.Parse(a.url + "/")
	b.c.Jar.SetCookies(u, cookies)
	return b
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
