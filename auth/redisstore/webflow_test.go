package redisstore

// Package web's flows on WebStores: two instances of an application (two
// web.Handlers, each with its own WebStore and Redis connection pool, as
// two processes would have) behind one address whose requests the test
// sends to either instance, and one real redis-server that can stop,
// restart with its data or restart empty.

import (
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/oauth-jaccount/jaccount-go/api"
	"github.com/oauth-jaccount/jaccount-go/auth"
	"github.com/oauth-jaccount/jaccount-go/auth/redisstore/redistest"
	"github.com/oauth-jaccount/jaccount-go/jaccounttest"
	"github.com/oauth-jaccount/jaccount-go/web"
)

// webFleet is two instances of an application behind one URL.
type webFleet struct {
	t     *testing.T
	fake  *jaccounttest.Server
	redis *redistest.Server
	url   string
	inst  [2]*web.Handler
	to    atomic.Int32 // the instance that serves the next requests
}

// The pages of the application: /private (RequireUser) prints "private
// <sub>" and the logout form, / (OptionalUser) "hello <sub>" or
// "anonymous", /api (RequireUser) the profile read with the kept token.
func webPages(h *web.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/jaccount/", h)
	mux.Handle("/private", h.RequireUser(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u := web.UserFrom(r.Context())
		fmt.Fprintf(w, "private %s\n%s", u.Claims.Subject, u.LogoutForm(""))
	})))
	mux.Handle("/api", h.RequireUser(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := web.UserFrom(r.Context()).API()
		if err != nil {
			http.Error(w, "no API client", http.StatusInternalServerError)
			return
		}
		prof, err := c.Profile.Get(r.Context())
		if err != nil {
			http.Error(w, "api failed", http.StatusBadGateway)
			return
		}
		fmt.Fprintf(w, "api %s", prof.Account)
	})))
	mux.Handle("/", h.OptionalUser(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u := web.UserFrom(r.Context()); u != nil {
			fmt.Fprintf(w, "hello %s", u.Claims.Subject)
			return
		}
		fmt.Fprint(w, "anonymous")
	})))
	return mux
}

// newWebFleet starts the fake, Redis and two instances. With sessions
// false the instances keep cookie sessions and share only revocations and
// tokens.
func newWebFleet(t *testing.T, sessions bool) *webFleet {
	t.Helper()
	f := &webFleet{t: t, fake: jaccounttest.New(t, jaccounttest.WithPKCE()), redis: redistest.Start(t)}
	var pages [2]http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pages[f.to.Load()].ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	f.url = srv.URL
	cfg := &auth.Config{
		ClientID: f.fake.ClientID(), ClientSecret: f.fake.ClientSecret(), RedirectURL: srv.URL + "/jaccount/auth",
		Scopes: []string{"basic"},
		Endpoint: auth.Endpoint{AuthURL: f.fake.AuthURL(), TokenURL: f.fake.TokenURL(),
			LogoutURL: f.fake.LogoutURL(), Issuer: f.fake.Issuer()},
	}
	for i := range f.inst {
		rdb := redis.NewClient(&redis.Options{Addr: f.redis.Addr})
		t.Cleanup(func() { _ = rdb.Close() })
		rs := newWebStore(t, rdb, WithKeyPrefix("app:"))
		opts := []web.Option{web.WithSessionKeys([]byte("the instances' shared cookie key, 32+ bytes")),
			web.WithRevocationStore(rs), web.WithTokenStore(rs.TokenStore), web.WithAPIOptions(api.WithBaseURL(f.fake.APIURL()))}
		if sessions {
			opts = append(opts, web.WithSessionStore(rs))
		}
		h, err := web.New(cfg, opts...)
		if err != nil {
			t.Fatal(err)
		}
		f.inst[i], pages[i] = h, webPages(h)
	}
	return f
}

// at sends the next requests to instance i (0 is A, 1 is B).
func (f *webFleet) at(i int) *webFleet { f.to.Store(int32(i)); return f }

// webBrowser is a cookie-keeping client that does not follow redirects.
type webBrowser struct{ c *http.Client }

func newWebBrowser() *webBrowser {
	jar, _ := cookiejar.New(nil)
	return &webBrowser{&http.Client{Jar: jar, Timeout: time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type webPage struct {
	status   int
	location string
	body     string
}

func (b *webBrowser) do(t *testing.T, method, u string, form url.Values) webPage {
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
	raw, _ := io.ReadAll(resp.Body)
	return webPage{resp.StatusCode, resp.Header.Get("Location"), string(raw)}
}

func (b *webBrowser) get(t *testing.T, u string) webPage {
	t.Helper()
	return b.do(t, http.MethodGet, u, nil)
}

// cookies returns the browser's cookies for u.
func (b *webBrowser) cookies(u string) []*http.Cookie {
	p, _ := url.Parse(u)
	return b.c.Jar.Cookies(p)
}

// withCookies is a new browser holding the cookies for u.
func withCookies(u string, cookies []*http.Cookie) *webBrowser {
	b := newWebBrowser()
	p, _ := url.Parse(u)
	b.c.Jar.SetCookies(p, cookies)
	return b
}

// startLogin opens the login and returns the authorize URL it sends the
// browser to.
func (f *webFleet) startLogin(b *webBrowser, next string) string {
	f.t.Helper()
	p := b.get(f.t, f.url+"/jaccount/login?next="+url.QueryEscape(next))
	if p.status != http.StatusFound || !strings.HasPrefix(p.location, f.fake.AuthURL()) {
		f.t.Fatalf("login: %d to %q", p.status, p.location)
	}
	return p.location
}

// atJAccount logs in at the fake and returns the callback URL.
func (f *webFleet) atJAccount(b *webBrowser, authorize string) string {
	f.t.Helper()
	cb, err := f.fake.Login(f.t.Context(), b.c, authorize, jaccounttest.StudentUsername, jaccounttest.StudentPassword)
	if err != nil {
		f.t.Fatal(err)
	}
	return cb.String()
}

// login logs the browser in completely at the current instance.
func (f *webFleet) login(b *webBrowser) {
	f.t.Helper()
	if p := b.get(f.t, f.atJAccount(b, f.startLogin(b, "/private"))); p.status != http.StatusSeeOther || p.location != "/private" {
		f.t.Fatalf("callback: %d to %q: %s", p.status, p.location, p.body)
	}
}

var csrfFieldRE = regexp.MustCompile(`name="` + web.CSRFField + `" value="([^"]+)"`)

// logout logs the browser out at the current instance with the form of
// /private.
func (f *webFleet) logout(b *webBrowser) {
	f.t.Helper()
	m := csrfFieldRE.FindStringSubmatch(b.get(f.t, f.url+"/private").body)
	if m == nil {
		f.t.Fatal("no logout form")
	}
	if p := b.do(f.t, http.MethodPost, f.url+"/jaccount/logout", url.Values{web.CSRFField: {m[1]}}); p.status != http.StatusSeeOther {
		f.t.Fatalf("logout: %d %s", p.status, p.body)
	}
}

// TestWebStoreTwoInstances: what one instance does, the other knows, for
// server-side and cookie sessions alike: a login at A is signed in at B,
// whose API calls use the token A kept; a logout at B refuses the cookie
// copied before it at A and deletes the kept token; a login attempt used
// at A is refused at B even with its cookie.
func TestWebStoreTwoInstances(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"store sessions", "cookie sessions"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			f := newWebFleet(t, mode == "store sessions")
			b := newWebBrowser()
			f.at(0).login(b)
			if p := f.at(1).get(t, b, "/private"); p.status != http.StatusOK || !strings.HasPrefix(p.body, "private zhangsan") {
				t.Fatalf("B after the login at A: %d %s", p.status, p.body)
			}
			if p := f.at(1).get(t, b, "/api"); p.body != "api zhangsan" {
				t.Fatalf("B's API call with the token kept at A: %d %s", p.status, p.body)
			}
			stolen := b.cookies(f.url + "/")
			f.at(1).logout(b)
			if p := f.at(0).get(t, withCookies(f.url+"/", stolen), "/"); p.body != "anonymous" {
				t.Errorf("A, with the cookie copied before the logout at B: %q", p.body)
			}
			rdb := f.redis.Client()
			if keys := rdb.Keys(t.Context(), "app:user:*").Val(); len(keys) != 0 {
				t.Errorf("the kept token outlived the logout: %v", keys)
			}
			if keys := rdb.Keys(t.Context(), "app:session:*").Val(); len(keys) != 0 {
				t.Errorf("the session outlived the logout: %v", keys)
			}

			// A login attempt, completed at A, replayed at B with its
			// cookie (copied before the callback).
			c := newWebBrowser()
			authorize := f.at(0).startLogin(c, "/private")
			pending := c.cookies(f.url + "/jaccount/auth")
			callback := f.atJAccount(c, authorize)
			if p := c.get(t, callback); p.status != http.StatusSeeOther {
				t.Fatalf("callback at A: %d %s", p.status, p.body)
			}
			replay := withCookies(f.url+"/jaccount/auth", pending)
			if p := f.at(1).get(t, replay, strings.TrimPrefix(callback, f.url)); p.status != http.StatusBadRequest || !strings.Contains(p.body, `data-kind="state"`) {
				t.Errorf("the used attempt replayed at B: %d %s", p.status, p.body)
			}
			for _, k := range rdb.Keys(t.Context(), "*").Val() {
				if !strings.HasPrefix(k, "app:") {
					t.Errorf("key %s outside the prefix", k)
				}
			}
		})
	}
}

// get fetches path at the fleet's URL with the browser.
func (f *webFleet) get(t *testing.T, b *webBrowser, path string) webPage {
	t.Helper()
	return b.get(t, f.url+path)
}

// TestWebStoreRedisRestart: Redis stopped: the 503 page, then the same
// browser signed in again as soon as Redis is back with its data. Redis
// restarted empty (no persistence): with server-side sessions every user
// is signed out; with cookie sessions, a cookie copied before its logout
// works again (the documented window, until the session expires).
func TestWebStoreRedisRestart(t *testing.T) {
	t.Parallel()
	f := newWebFleet(t, true)
	b := newWebBrowser()
	f.at(0).login(b)
	f.redis.Stop()
	for i := range f.inst {
		p := f.at(i).get(t, b, "/private")
		if p.status != http.StatusServiceUnavailable || !strings.Contains(p.body, `data-kind="unavailable"`) {
			t.Fatalf("instance %d while Redis is down: %d %s", i, p.status, p.body)
		}
	}
	f.redis.StartAgain()
	for i := range f.inst {
		if p := f.at(i).get(t, b, "/api"); p.body != "api zhangsan" {
			t.Fatalf("instance %d once Redis is back: %d %s", i, p.status, p.body)
		}
	}
	f.redis.RestartEmpty()
	if p := f.at(1).get(t, b, "/private"); p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, "/jaccount/login") {
		t.Errorf("after Redis restarted empty: %d to %q, want the login", p.status, p.location)
	}

	t.Run("cookie sessions", func(t *testing.T) {
		f := newWebFleet(t, false)
		b := newWebBrowser()
		f.at(0).login(b)
		stolen := b.cookies(f.url + "/")
		f.at(1).logout(b)
		if p := f.at(0).get(t, withCookies(f.url+"/", stolen), "/"); p.body != "anonymous" {
			t.Fatalf("the copied cookie after the logout: %q", p.body)
		}
		f.redis.RestartEmpty()
		p := f.at(0).get(t, withCookies(f.url+"/", stolen), "/")
		t.Logf("after Redis restarted empty, the cookie copied before the logout: %q", p.body)
		if p.body != "hello zhangsan" {
			t.Errorf("the documented window is gone (update the WebStore doc): %q", p.body)
		}
	})
}
