package main

import (
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/oauth-jaccount/jaccount-go/jaccounttest"
)

// fillLogin fills in and submits the fake's login form; the consent
// follows.
func fillLogin() chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), jaccounttest.StudentUsername),
		chromedp.SendKeys(chromedp.ID("password"), jaccounttest.StudentPassword),
		chromedp.Click(chromedp.ID("login")),
		chromedp.WaitVisible(chromedp.ID("approve")),
	)
}

// fakeLogin logs in at the fake and approves the consent.
func fakeLogin() chromedp.Action[chromedp.Void] {
	return chromedp.Steps(fillLogin(), chromedp.Click(chromedp.ID("approve")))
}

// TestBrowser drives the app and the fake's pages in headless chromium,
// covering through a real browser what package web's tests cover: the
// login returns to the page asked for; the cookies are HttpOnly and
// unreadable by scripts; a replayed callback (state reuse) is refused;
// logout is the page's POST form with its CSRF token and ends the jAccount
// session too; two tabs log in at once; the session cookie replayed after
// logout is refused; a declined consent and a tampered state get their
// error pages.
func TestBrowser(t *testing.T) {
	t.Parallel()
	c := newChromium(t)
	a := startApp(t, nil)
	c.onFailure = append(c.onFailure, func() { t.Logf("the app's log:\n%s", a.logs.String()) })
	tb := c.tab()
	callbackPrefix := a.url + "/jaccount/auth?"
	callbacks := recordRequests(t, tb, callbackPrefix)

	// 1. An anonymous visit to /profile goes to jAccount's login page.
	tb.do("open /profile anonymously", chromedp.Navigate(a.url+"/profile"), chromedp.WaitVisible(chromedp.ID("username")))
	tb.screenshot("jaccount-login")
	var pending int
	for _, c := range tb.cookies(a.url + "/jaccount/auth") {
		if strings.HasPrefix(c.Name, "jaccount_login_") {
			pending++
			if !c.HTTPOnly || c.SameSite != network.CookieSameSiteLax || c.Path != "/jaccount/" {
				t.Errorf("pending-login cookie %s: HttpOnly=%t SameSite=%s Path=%s", c.Name, c.HTTPOnly, c.SameSite, c.Path)
			}
		}
	}
	if pending != 1 {
		t.Errorf("%d pending-login cookies, want 1", pending)
	}

	// 2. Log in: back on /profile, the page first asked for.
	tb.do("log in at jAccount", fakeLogin(), chromedp.WaitVisible(chromedp.ID("email")))
	if loc := tb.location(); loc != a.url+"/profile" {
		t.Errorf("after login the browser is at %s, want %s/profile", loc, a.url)
	}
	if name, account := tb.text("name"), tb.text("account"); name != "张三" || account != jaccounttest.StudentUsername {
		t.Fatalf("profile page shows %q (%q), want 张三 (%s)", name, account, jaccounttest.StudentUsername)
	}
	tb.screenshot("profile-after-login")
	if js := get(tb, "read document.cookie", chromedp.Evaluate[string](`document.cookie`)); js != "" {
		t.Errorf("scripts can read cookies: %q", js)
	}
	seen := callbacks()
	if len(seen) != 1 {
		t.Fatalf("%d requests to the callback, want 1: %q", len(seen), seen)
	}
	callback := seen[0]
	var session []*network.Cookie
	for _, c := range tb.cookies(a.url + "/") {
		if c.Name == "jaccount_session" {
			session = append(session, c)
		}
	}
	if len(session) != 1 || !session[0].HTTPOnly {
		t.Fatalf("session cookies: %v", session)
	}

	// 3. The same callback again (the state reused) is refused.
	tb.do("replay the callback", chromedp.Navigate(callback), chromedp.WaitVisible(chromedp.ID("error")))
	if kind := tb.errorKind(); kind != "state" {
		t.Errorf("replayed callback: error page %q, want state", kind)
	}
	tb.screenshot("state-reuse-refused")

	// 4. Log out with the page's form (POST + CSRF token): back home,
	// signed out of the app and of jAccount.
	tb.do("open the home page", chromedp.Navigate(a.url+"/"), chromedp.WaitVisible(chromedp.ID("logout")))
	tb.do("log out", chromedp.Click(chromedp.ID("logout")), chromedp.WaitVisible(chromedp.ID("login")))
	if loc := tb.location(); loc != a.url+"/" {
		t.Errorf("after logout the browser is at %s, want the app's home", loc)
	}
	tb.screenshot("logged-out")

	// 5. Two tabs start a login each (jAccount asks each for the
	// password, its session having ended) and both complete, in the
	// other order, each back on its own page.
	tabs := make([]*tab, 2)
	for i, name := range []string{"a", "b"} {
		tabs[i] = c.newTab("tab " + name)
		tabs[i].do("open /profile in tab "+name, chromedp.Navigate(a.url+"/profile?tab="+name), chromedp.WaitVisible(chromedp.ID("username")))
	}
	for _, i := range []int{1, 0} {
		name := string(rune('a' + i))
		tabs[i].do("log in from tab "+name, fakeLogin(), chromedp.WaitVisible(chromedp.ID("email")))
		if loc := tabs[i].location(); loc != a.url+"/profile?tab="+name {
			t.Errorf("tab %s ended at %s", name, loc)
		}
		if got := tabs[i].text("name"); got != "张三" {
			t.Errorf("tab %s shows %q", name, got)
		}
	}
	tabs[1].screenshot("tab-b-after-two-tab-login")
	// One session for both: tab b's form, rendered before tab a's login
	// completed, logs out.
	tabs[1].do("log out from tab b", chromedp.Click(chromedp.ID("logout")), chromedp.WaitVisible(chromedp.ID("login")))

	// 6. The session cookie taken in step 2, put back: refused, and
	// jAccount asks for the password again (its session ended too).
	tb.setCookies(a.url+"/", session)
	tb.do("open /profile with the replayed session cookie", chromedp.Navigate(a.url+"/profile"), chromedp.WaitVisible(chromedp.ID("username")))
	if loc := tb.location(); !strings.HasPrefix(loc, a.fake.AuthURL()) {
		t.Errorf("with the replayed cookie the browser is at %s", loc)
	}
	tb.screenshot("replayed-cookie-sent-to-login")

	// 7. Decline the consent: the access_denied page.
	tb.do("decline the consent", fillLogin(), chromedp.Click(chromedp.ID("deny")), chromedp.WaitVisible(chromedp.ID("error")))
	if kind := tb.errorKind(); kind != "access_denied" {
		t.Errorf("declined consent: error page %q, want access_denied", kind)
	}
	if msg := tb.text("error"); !strings.Contains(msg, "你没有同意授权") || !strings.Contains(msg, "You did not allow the sign-in") {
		t.Errorf("declined consent page says %q", msg)
	}
	tb.screenshot("access-denied")

	// 8. Tamper with the state on its way through jAccount: refused.
	tb.do("log in again", chromedp.Navigate(a.url+"/jaccount/login"), chromedp.WaitVisible(chromedp.ID("approve")))
	u, err := url.Parse(tb.location())
	if err != nil || u.Query().Get("state") == "" {
		t.Fatalf("the consent page's URL %v carries no state", u)
	}
	// Change the state's last character to another one: setting it to a
	// fixed letter left the state unchanged whenever it already ended with
	// that letter (1 run in 32), and the login then succeeded and the wait
	// for the error page hung until the test's timeout.
	q := u.Query()
	state := q.Get("state")
	last := "A"
	if strings.HasSuffix(state, last) {
		last = "B"
	}
	q.Set("state", state[:len(state)-1]+last)
	u.RawQuery = q.Encode()
	tb.do("open the consent with a tampered state", chromedp.Navigate(u.String()), chromedp.WaitVisible(chromedp.ID("approve")))
	if at, err := url.Parse(tb.location()); err != nil || at.Query().Get("state") != q.Get("state") {
		t.Fatalf("the consent page is at %v, want the tampered state's", at)
	}
	tb.do("approve the tampered login", chromedp.Click(chromedp.ID("approve")), chromedp.WaitVisible(chromedp.ID("error")))
	if kind, loc := tb.errorKind(), tb.location(); kind != "state" || !strings.HasPrefix(loc, callbackPrefix) {
		t.Fatalf("tampered state: at %s the error page is %q, want the app's state refusal", loc, kind)
	}
	tb.screenshot("tampered-state-refused")
}

// recordRequests records the URLs of the tab's requests that start with
// prefix, from now on; the function returned lists them.
func recordRequests(t *testing.T, tb *tab, prefix string) func() []string {
	t.Helper()
	var mu sync.Mutex
	var seen []string
	err := chromedp.Listen(tb.ctx, func(ev any) {
		if ev, ok := ev.(*network.EventRequestWillBeSent); ok && strings.HasPrefix(ev.Request.URL, prefix) {
			mu.Lock()
			seen = append(seen, ev.Request.URL)
			mu.Unlock()
		}
	})
	if err != nil {
		t.Fatalf("listen to the tab's requests: %v", err)
	}
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(seen)
	}
}
