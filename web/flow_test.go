package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/oauth-jaccount/jaccount-go/auth"
	"github.com/oauth-jaccount/jaccount-go/jaccounttest"
)

// TestLoginReturnsToOriginalPage: an anonymous GET of a protected page goes
// to the login, to jAccount, back to the callback, and back to the page
// with its query; the login carried state, nonce and PKCE.
func TestLoginReturnsToOriginalPage(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	b := newBrowser()
	first := b.get(t, a.url+"/private?tab=1&x=%2F")
	if first.status != http.StatusSeeOther || first.location != "/jaccount/login?next=%2Fprivate%3Ftab%3D1%26x%3D%252F" {
		t.Fatalf("anonymous /private: %d to %q", first.status, first.location)
	}
	authorize := a.toJAccount(t, b, a.url+"/private?tab=1&x=%2F")
	q := mustURL(t, authorize).Query()
	for _, k := range []string{"state", "nonce", "code_challenge"} {
		if q.Get(k) == "" {
			t.Errorf("authorize URL lacks %s: %s", k, authorize)
		}
	}
	if q.Get("code_challenge_method") != "S256" || !strings.Contains(q.Get("scope"), "openid") {
		t.Errorf("authorize URL: %s", authorize)
	}
	back := b.get(t, a.atJAccount(t, b, authorize))
	if back.status != http.StatusSeeOther || back.location != "/private?tab=1&x=%2F" {
		t.Fatalf("callback: %d to %q: %s", back.status, back.location, back.body)
	}
	if p := b.get(t, a.abs(back.location)); p.status != 200 || !strings.HasPrefix(p.body, "private zhangsan /private?tab=1&x=%2F") {
		t.Fatalf("the original page after login: %d %s", p.status, p.body)
	}
	if p := b.get(t, a.url+"/"); p.body != "hello zhangsan" {
		t.Errorf("OptionalUser after login: %q", p.body)
	}
	// Signed in, the login path goes straight to next.
	if p := b.get(t, a.url+"/jaccount/login?next=%2Fprivate"); p.status != http.StatusSeeOther || p.location != "/private" {
		t.Errorf("login while signed in: %d to %q", p.status, p.location)
	}
}

// TestOptionalUserAnonymous: OptionalUser lets anonymous requests through
// without a user, and RequireUser refuses a POST with 401.
func TestOptionalUserAnonymous(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	b := newBrowser()
	if p := b.get(t, a.url+"/"); p.status != 200 || p.body != "anonymous" {
		t.Errorf("anonymous /: %d %q", p.status, p.body)
	}
	if p := b.do(t, http.MethodPost, a.url+"/private", url.Values{}); p.status != http.StatusUnauthorized || !strings.Contains(p.body, `data-kind="signin"`) {
		t.Errorf("anonymous POST /private: %d %s", p.status, p.body)
	}
	if p := b.get(t, a.url+"/jaccount/nothing"); p.status != http.StatusNotFound {
		t.Errorf("unknown route: %d", p.status)
	}
}

// TestLogoutRequiresPOSTAndCSRF: GET does not log out, a POST without or
// with a wrong CSRF token is refused (403) and leaves the session, and the
// right token ends it and goes to jAccount's logout with client_id and
// post_logout_redirect_uri.
func TestLogoutRequiresPOSTAndCSRF(t *testing.T) {
	t.Parallel()
	a, b := signedIn(t)
	token := a.csrf(t, b)
	if p := b.get(t, a.url+"/jaccount/logout"); p.status != http.StatusMethodNotAllowed || p.header.Get("Allow") != "POST" {
		t.Errorf("GET logout: %d", p.status)
	}
	for _, form := range []url.Values{{}, {CSRFField: {"wrong"}}, {CSRFField: {token + "x"}}} {
		if p := b.do(t, http.MethodPost, a.url+"/jaccount/logout", form); p.status != http.StatusForbidden || !strings.Contains(p.body, `data-kind="csrf"`) {
			t.Errorf("logout with %v: %d %s", form, p.status, p.body)
		}
	}
	if p := b.get(t, a.url+"/"); p.body != "hello zhangsan" {
		t.Fatalf("refused logouts ended the session: %q", p.body)
	}
	out := b.do(t, http.MethodPost, a.url+"/jaccount/logout", url.Values{CSRFField: {token}})
	want := a.fake.LogoutURL() + "?" + url.Values{"client_id": {a.fake.ClientID()}, "post_logout_redirect_uri": {a.url + "/"}}.Encode()
	if out.status != http.StatusSeeOther || out.location != want {
		t.Fatalf("logout: %d to %q, want %q", out.status, out.location, want)
	}
	if p := b.get(t, a.url+"/"); p.body != "anonymous" {
		t.Errorf("after logout: %q", p.body)
	}
	// The header works as well as the form field.
	a.login(t, b, a.url+"/private")
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, a.url+"/jaccount/logout", nil)
	req.Header.Set("X-CSRF-Token", a.csrf(t, b))
	resp, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("logout with X-CSRF-Token: %d", resp.StatusCode)
	}
}

// TestReplayAfterLogoutRefused: a copy of the session cookie taken before
// the logout is refused afterwards, with cookie sessions (revocation list)
// and with a SessionStore (deleted), while a session of another browser
// stays valid.
func TestReplayAfterLogoutRefused(t *testing.T) {
	t.Parallel()
	for name, opts := range map[string][]Option{
		"cookie": nil,
		"store":  {WithSessionStore(NewMemoryStore())},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			a := newApp(t, opts...)
			b, other := newBrowser(), newBrowser()
			a.login(t, b, a.url+"/private")
			a.login(t, other, a.url+"/private")
			stolen := a.sessionCookies(b)
			if p := a.withCookies(stolen).get(t, a.url+"/"); p.body != "hello zhangsan" {
				t.Fatalf("the copied cookie does not work before logout: %q", p.body)
			}
			b.do(t, http.MethodPost, a.url+"/jaccount/logout", url.Values{CSRFField: {a.csrf(t, b)}})
			if p := a.withCookies(stolen).get(t, a.url+"/private"); p.status != http.StatusSeeOther {
				t.Fatalf("replayed cookie after logout: %d %s", p.status, p.body)
			}
			if p := other.get(t, a.url+"/"); p.body != "hello zhangsan" {
				t.Errorf("the other browser's session ended too: %q", p.body)
			}
		})
	}
}

// TestTamperedCookieRefused: any change to the session cookie, a cookie
// sealed for another name or with another key, is anonymous.
func TestTamperedCookieRefused(t *testing.T) {
	t.Parallel()
	a, b := signedIn(t)
	var v string
	for _, c := range a.sessionCookies(b) {
		if c.Name == "jaccount_session" {
			v = c.Value
		}
	}
	if v == "" {
		t.Fatal("no session cookie")
	}
	other, err := newCodec([][]byte{[]byte("another key, 32 bytes or longer!")})
	if err != nil {
		t.Fatal(err)
	}
	plain, _, err := a.h.codec.open("jaccount_session", v)
	if err != nil {
		t.Fatal(err)
	}
	flip := func(i int) string {
		raw := []byte(v)
		raw[i] ^= 0x01
		return string(raw)
	}
	for name, value := range map[string]string{
		"flipped first":  flip(0),
		"flipped middle": flip(len(v) / 2),
		"flipped last":   flip(len(v) - 1),
		"truncated":      v[:len(v)-4],
		"other key":      other.seal("jaccount_session", plain),
		"other name":     a.h.codec.seal("jaccount_login_X", plain),
		"empty":          "",
	} {
		c := &http.Cookie{Name: "jaccount_session", Value: value}
		if p := a.withCookies([]*http.Cookie{c}).get(t, a.url+"/"); p.body != "anonymous" {
			t.Errorf("%s cookie: %q", name, p.body)
		}
	}
}

// TestExpiredSessionRefused: a session ends at the ID token's expiry or
// the maximum age, whichever is first.
func TestExpiredSessionRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		maxAge time.Duration
		ends   time.Duration // after the login
	}{
		{"max age", time.Hour, time.Hour},                  // the fake's ID tokens live 2 h
		{"ID token expiry", 24 * time.Hour, 2 * time.Hour}, // before the max age
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, b := signedIn(t, WithMaxAge(tt.maxAge))
			a.advance(tt.ends - time.Minute)
			if p := b.get(t, a.url+"/"); p.body != "hello zhangsan" {
				t.Fatalf("a minute before the end: %q", p.body)
			}
			a.advance(2 * time.Minute)
			if p := b.get(t, a.url+"/"); p.body != "anonymous" {
				t.Errorf("a minute after the end: %q", p.body)
			}
		})
	}
}

// TestStateReuseRefused: a callback replayed, with or without the pending
// login's cookie, is refused as a state mismatch, and so are a forged and a
// missing state.
func TestStateReuseRefused(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	b := newBrowser()
	authorize := a.toJAccount(t, b, a.url+"/private")
	pending := a.pendingCookies(b)
	cb := a.atJAccount(t, b, authorize)
	if p := b.get(t, cb); p.status != http.StatusSeeOther {
		t.Fatalf("first callback: %d %s", p.status, p.body)
	}
	if len(a.pendingCookies(b)) != 0 {
		t.Error("the pending login's cookie survived its callback")
	}
	replays := map[string]*browser{
		"same browser":               b,
		"with the old pending login": a.withPending(pending),
	}
	for name, rb := range replays {
		p := rb.get(t, cb)
		if p.status != http.StatusBadRequest || !strings.Contains(p.body, `data-kind="state"`) {
			t.Errorf("replayed callback (%s): %d %s", name, p.status, p.body)
		}
	}
	u := mustURL(t, cb)
	for name, mangle := range map[string]func(url.Values){
		"forged state":  func(q url.Values) { q.Set("state", "AAAAAAAAAAAAAAAAAAAAAAAAAA") },
		"missing state": func(q url.Values) { q.Del("state") },
		"two states":    func(q url.Values) { q.Add("state", q.Get("state")) },
	} {
		q := u.Query()
		mangle(q)
		v := *u
		v.RawQuery = q.Encode()
		if p := a.withPending(pending).get(t, v.String()); p.status != http.StatusBadRequest || !strings.Contains(p.body, `data-kind="state"`) {
			t.Errorf("%s: %d %s", name, p.status, p.body)
		}
	}
	if !strings.Contains(a.logs.String(), "already used") {
		t.Errorf("the replay was not logged as such: %s", a.logs.String())
	}
}

// pendingCookies returns the browser's pending-login cookies.
func (a *app) pendingCookies(b *browser) []*http.Cookie {
	u, _ := url.Parse(a.url + "/jaccount/auth")
	var out []*http.Cookie
	for _, c := range b.c.Jar.Cookies(u) {
		if strings.HasPrefix(c.Name, "jaccount_login_") {
			out = append(out, c)
		}
	}
	return out
}

// withPending is a fresh browser holding pending-login cookies.
func (a *app) withPending(cookies []*http.Cookie) *browser {
	b := newBrowser()
	u, _ := url.Parse(a.url + "/jaccount/")
	b.c.Jar.SetCookies(u, cookies)
	return b
}

// TestTwoTabs: logins started in two tabs of one browser both complete,
// in either order, each back to its own page; beyond the bound the oldest
// attempt is dropped.
func TestTwoTabs(t *testing.T) {
	t.Parallel()
	a := newApp(t, WithMaxPendingLogins(3))
	b := newBrowser()
	tab1 := a.toJAccount(t, b, a.url+"/private?tab=1")
	tab2 := a.toJAccount(t, b, a.url+"/private?tab=2")
	if n := len(a.pendingCookies(b)); n != 2 {
		t.Fatalf("%d pending logins, want 2", n)
	}
	cb2 := a.atJAccount(t, b, tab2)
	cb1 := a.atJAccount(t, b, tab1)
	if p := b.get(t, cb2); p.location != "/private?tab=2" {
		t.Fatalf("tab 2: %d to %q %s", p.status, p.location, p.body)
	}
	token := a.csrf(t, b) // the logout form tab 2 shows
	if p := b.get(t, cb1); p.location != "/private?tab=1" {
		t.Fatalf("tab 1: %d to %q %s", p.status, p.location, p.body)
	}
	if p := b.get(t, a.url+"/private"); p.status != 200 {
		t.Errorf("after both tabs: %d", p.status)
	}
	// The second login of the same user kept the session: tab 2's form
	// still logs out.
	if got := a.csrf(t, b); got != token {
		t.Error("the second tab's login replaced the session and its CSRF token")
	}
	if p := b.do(t, http.MethodPost, a.url+"/jaccount/logout", url.Values{CSRFField: {token}}); p.status != http.StatusSeeOther {
		t.Errorf("logout with tab 2's form: %d", p.status)
	}

	// Four attempts with a bound of three: the first is dropped.
	c := newBrowser()
	var urls []string
	for i := range 4 {
		urls = append(urls, a.toJAccount(t, c, a.url+"/private?n="+string(rune('a'+i))))
	}
	if n := len(a.pendingCookies(c)); n != 3 {
		t.Errorf("%d pending logins, want the bound, 3", n)
	}
	if p := c.get(t, a.atJAccount(t, c, urls[0])); p.status != http.StatusBadRequest {
		t.Errorf("the dropped attempt: %d %s", p.status, p.body)
	}
	if p := c.get(t, a.atJAccount(t, c, urls[3])); p.location != "/private?n=d" {
		t.Errorf("the newest attempt: %d to %q", p.status, p.location)
	}
}

// TestAccessDenied: a declined consent shows the access_denied page (403,
// Chinese and English) and the error handler sees auth.ErrAccessDenied.
func TestAccessDenied(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	b := newBrowser()
	authorize := a.toJAccount(t, b, a.url+"/private")
	cb, err := a.fake.Decline(t.Context(), nil, authorize, jaccounttest.StudentUsername, jaccounttest.StudentPassword)
	if err != nil {
		t.Fatal(err)
	}
	p := b.get(t, cb.String())
	zh, en := DefaultErrorText(auth.ErrAccessDenied)
	if p.status != http.StatusForbidden || !strings.Contains(p.body, `data-kind="access_denied"`) ||
		!strings.Contains(p.body, zh) || !strings.Contains(p.body, en) {
		t.Fatalf("declined: %d %s", p.status, p.body)
	}
	if p := b.get(t, a.url+"/"); p.body != "anonymous" {
		t.Errorf("signed in after declining: %q", p.body)
	}
	if p.header.Get("Referrer-Policy") != "no-referrer" || p.header.Get("Cache-Control") != "no-store" {
		t.Errorf("callback page headers: %v", p.header)
	}
}

// TestErrorHandler: a custom error handler receives each failure, matching
// its sentinel, with the suggested status.
func TestErrorHandler(t *testing.T) {
	t.Parallel()
	type call struct {
		status int
		err    error
	}
	calls := make(chan call, 10)
	a := newApp(t, WithErrorHandler(func(w http.ResponseWriter, r *http.Request, status int, err error) {
		calls <- call{status, err}
		http.Error(w, "custom", status)
	}))
	b := newBrowser()
	// Declined.
	cb, err := a.fake.Decline(t.Context(), nil, a.toJAccount(t, b, a.url+"/private"), jaccounttest.StudentUsername, jaccounttest.StudentPassword)
	if err != nil {
		t.Fatal(err)
	}
	b.get(t, cb.String())
	// A code jAccount never issued: the exchange fails.
	u := mustURL(t, a.atJAccount(t, b, a.toJAccount(t, b, a.url+"/private")))
	q := u.Query()
	q.Set("code", "forged")
	u.RawQuery = q.Encode()
	b.get(t, u.String())
	// Expired attempt.
	cb3 := a.atJAccount(t, b, a.toJAccount(t, b, a.url+"/private"))
	a.advance(DefaultLoginTimeout + time.Second)
	b.get(t, cb3)
	a.advance(-DefaultLoginTimeout - time.Second)
	// State mismatch.
	b.get(t, a.url+"/jaccount/auth?state=AAAAAAAAAAAAAAAAAAAAAAAAAA&code=x")
	// CSRF.
	a.login(t, b, a.url+"/private")
	b.do(t, http.MethodPost, a.url+"/jaccount/logout", url.Values{})

	want := []struct {
		status int
		err    error
	}{
		{http.StatusForbidden, auth.ErrAccessDenied},
		{http.StatusBadGateway, ErrLoginFailed},
		{http.StatusBadRequest, ErrLoginExpired},
		{http.StatusBadRequest, auth.ErrStateMismatch},
		{http.StatusForbidden, ErrCSRF},
	}
	for i, w := range want {
		select {
		case c := <-calls:
			if c.status != w.status || !errors.Is(c.err, w.err) {
				t.Errorf("failure %d: %d %v, want %d %v", i, c.status, c.err, w.status, w.err)
			}
			if i == 1 && !errors.Is(c.err, auth.ErrInvalidGrant) {
				t.Errorf("failed exchange %v does not wrap auth.ErrInvalidGrant", c.err)
			}
		default:
			t.Fatalf("failure %d (%v) did not reach the error handler", i, w.err)
		}
	}
}

// TestLoginExpired: a callback after the login timeout is refused with the
// expired page.
func TestLoginExpired(t *testing.T) {
	t.Parallel()
	a := newApp(t, WithLoginTimeout(time.Minute))
	b := newBrowser()
	cb := a.atJAccount(t, b, a.toJAccount(t, b, a.url+"/private"))
	a.advance(61 * time.Second)
	p := b.get(t, cb)
	if p.status != http.StatusBadRequest || !strings.Contains(p.body, `data-kind="expired"`) || !strings.Contains(p.body, "已经失效") {
		t.Fatalf("expired attempt: %d %s", p.status, p.body)
	}
}

// TestExchangeFailedPageShowsNoSecret: a failed exchange shows the generic
// page: not the code, not the error's text.
func TestExchangeFailedPageShowsNoSecret(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	b := newBrowser()
	a.fake.Inject(jaccounttest.ErrorStatus(http.StatusInternalServerError).OnPath("/oauth2/token").Times(1))
	cb := a.atJAccount(t, b, a.toJAccount(t, b, a.url+"/private"))
	p := b.get(t, cb)
	code := mustURL(t, cb).Query().Get("code")
	if p.status != http.StatusBadGateway || !strings.Contains(p.body, `data-kind="failed"`) || strings.Contains(p.body, code) ||
		strings.Contains(p.body, "500") || strings.Contains(p.body, "token") {
		t.Fatalf("failed exchange: %d %s", p.status, p.body)
	}
	if !strings.Contains(a.logs.String(), "web: failed") {
		t.Errorf("the failure was not logged: %s", a.logs.String())
	}
}

// TestKeyRotation: with the new key first and the old one kept, an old
// session still works and is sealed again with the new key; with the old
// key dropped, old cookies are refused.
func TestKeyRotation(t *testing.T) {
	t.Parallel()
	a, b := signedIn(t)
	oldCookies := a.sessionCookies(b)
	newKey := []byte("the next key, also 32 bytes long")

	rotated, err := New(a.cfg, WithSessionKeys(newKey, testKey))
	if err != nil {
		t.Fatal(err)
	}
	req := request(t, a.url+"/", oldCookies)
	rec := serve(rotated.OptionalUser(whoami()), req)
	if rec.body != "hello zhangsan" {
		t.Fatalf("rotated handler with the old cookie: %q", rec.body)
	}
	var resealed string
	for _, c := range rec.cookies {
		if c.Name == "jaccount_session" {
			resealed = c.Value
		}
	}
	if resealed == "" {
		t.Fatal("the old cookie was not sealed again with the new key")
	}
	onlyNew, err := New(a.cfg, WithSessionKeys(newKey))
	if err != nil {
		t.Fatal(err)
	}
	if rec := serve(onlyNew.OptionalUser(whoami()), request(t, a.url+"/", []*http.Cookie{{Name: "jaccount_session", Value: resealed}})); rec.body != "hello zhangsan" {
		t.Errorf("new key alone with the re-sealed cookie: %q", rec.body)
	}
	if rec := serve(onlyNew.OptionalUser(whoami()), request(t, a.url+"/", oldCookies)); rec.body != "anonymous" {
		t.Errorf("new key alone with the old cookie: %q", rec.body)
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestOtherUserReplacesSession: when two pending logins of one browser
// complete as different users, the second session replaces the first,
// which is ended (a copy of its cookie is refused).
func TestOtherUserReplacesSession(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	b := newBrowser()
	tab1 := a.toJAccount(t, b, a.url+"/private?tab=1")
	tab2 := a.toJAccount(t, b, a.url+"/private?tab=2")
	b.get(t, a.atJAccount(t, b, tab1))
	first := a.sessionCookies(b)
	cb, err := a.fake.Login(t.Context(), nil, tab2, jaccounttest.FacultyUsername, jaccounttest.FacultyPassword)
	if err != nil {
		t.Fatal(err)
	}
	b.get(t, cb.String())
	if p := b.get(t, a.url+"/"); p.body != "hello lilaoshi" {
		t.Fatalf("after the second user's login: %q", p.body)
	}
	if p := a.withCookies(first).get(t, a.url+"/"); p.body != "anonymous" {
		t.Errorf("the first user's session survived: %q", p.body)
	}
}
