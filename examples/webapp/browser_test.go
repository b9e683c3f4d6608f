package main

import (
	"context"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/oauth-jaccount/jaccount-go/jaccounttest"
)

// browserTimeout bounds the whole browser test, on a loaded machine too.
const browserTimeout = 3 * time.Minute

// newChromium starts headless Debian chromium for the test. It skips only
// when chromium is absent and CI is unset; in CI a missing chromium fails.
func newChromium(t *testing.T) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set but chromium is not installed: %v", err)
		}
		t.Skipf("SKIPPING the browser test: chromium is not installed (%v); install Debian's chromium to run it", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), browserTimeout)
	t.Cleanup(cancel)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(900, 700),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	bctx, cancelBrowser := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	t.Cleanup(cancelBrowser)
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return bctx
}

// artifactDir is where the test keeps its screenshots: JACCOUNT_ARTIFACTS
// when set (to keep them after the test), else the test's temp dir.
func artifactDir(t *testing.T) string {
	if d := os.Getenv("JACCOUNT_ARTIFACTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

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

// text reads the text of the element with the id.
func text(ctx context.Context, t *testing.T, id string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID(id)))
	if err != nil {
		t.Fatalf("read #%s: %v", id, err)
	}
	return s
}

// errorKind reads the kind of the error page package web shows.
func errorKind(ctx context.Context, t *testing.T) string {
	t.Helper()
	kind, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("error").dataset.kind`))
	if err != nil {
		t.Fatalf("read the error page's kind: %v", err)
	}
	return kind
}

// screenshot saves a PNG of the whole page and logs its path.
func screenshot(ctx context.Context, t *testing.T, dir, name string) {
	t.Helper()
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}

// location returns the browser's current URL.
func location(ctx context.Context, t *testing.T) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatalf("read the location: %v", err)
	}
	return s
}

// cookies returns the browser's cookies for the URL u.
func cookies(ctx context.Context, t *testing.T, u string) []*network.Cookie {
	t.Helper()
	res, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{u}})
	if err != nil {
		t.Fatalf("read the cookies: %v", err)
	}
	return res.Cookies
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
	ctx := newChromium(t)
	a := startApp(t, nil)
	dir := artifactDir(t)
	callbackPrefix := a.url + "/jaccount/auth?"

	// 1. An anonymous visit to /profile goes to jAccount's login page.
	requests := chromedp.Events(ctx, network.RequestWillBeSent)
	if err := chromedp.Do(ctx, chromedp.Navigate(a.url+"/profile"), chromedp.WaitVisible(chromedp.ID("username"))); err != nil {
		t.Fatalf("open /profile: %v", err)
	}
	screenshot(ctx, t, dir, "1-jaccount-login.png")
	var pending int
	for _, c := range cookies(ctx, t, a.url+"/jaccount/auth") {
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
	if err := chromedp.Do(ctx, fakeLogin(), chromedp.WaitVisible(chromedp.ID("email"))); err != nil {
		t.Fatalf("login in the browser: %v", err)
	}
	if loc := location(ctx, t); loc != a.url+"/profile" {
		t.Errorf("after login the browser is at %s, want %s/profile", loc, a.url)
	}
	if name, account := text(ctx, t, "name"), text(ctx, t, "account"); name != "张三" || account != jaccounttest.StudentUsername {
		t.Fatalf("profile page shows %q (%q), want 张三 (%s)", name, account, jaccounttest.StudentUsername)
	}
	screenshot(ctx, t, dir, "2-profile-after-login.png")
	if js, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.cookie`)); err != nil || js != "" {
		t.Errorf("scripts can read cookies: %q %v", js, err)
	}
	var callback string
	for ev, err := range requests {
		if err != nil {
			t.Fatalf("no request to the callback seen: %v", err)
		}
		if strings.HasPrefix(ev.Request.URL, callbackPrefix) {
			callback = ev.Request.URL
			break
		}
	}
	var session []*network.Cookie
	for _, c := range cookies(ctx, t, a.url+"/") {
		if c.Name == "jaccount_session" {
			session = append(session, c)
		}
	}
	if len(session) != 1 || !session[0].HTTPOnly {
		t.Fatalf("session cookies: %v", session)
	}

	// 3. The same callback again (the state reused) is refused.
	if err := chromedp.Do(ctx, chromedp.Navigate(callback), chromedp.WaitVisible(chromedp.ID("error"))); err != nil {
		t.Fatalf("replay the callback: %v", err)
	}
	if kind := errorKind(ctx, t); kind != "state" {
		t.Errorf("replayed callback: error page %q, want state", kind)
	}
	screenshot(ctx, t, dir, "3-state-reuse-refused.png")

	// 4. Log out with the page's form (POST + CSRF token): back home,
	// signed out of the app and of jAccount.
	err := chromedp.Do(ctx,
		chromedp.Navigate(a.url+"/"),
		chromedp.WaitVisible(chromedp.ID("logout")),
		chromedp.Click(chromedp.ID("logout")),
		chromedp.WaitVisible(chromedp.ID("login")),
	)
	if err != nil {
		t.Fatalf("logout: %v", err)
	}
	if loc := location(ctx, t); loc != a.url+"/" {
		t.Errorf("after logout the browser is at %s, want the app's home", loc)
	}
	screenshot(ctx, t, dir, "4-logged-out.png")

	// 5. Two tabs start a login each (jAccount asks each for the
	// password, its session having ended) and both complete, in the
	// other order, each back on its own page.
	tabs := make([]context.Context, 2)
	for i, name := range []string{"a", "b"} {
		tab, cancel := chromedp.NewContext(ctx)
		t.Cleanup(cancel)
		tabs[i] = tab
		if err := chromedp.Do(tab, chromedp.Navigate(a.url+"/profile?tab="+name), chromedp.WaitVisible(chromedp.ID("username"))); err != nil {
			t.Fatalf("tab %s: %v", name, err)
		}
	}
	for _, i := range []int{1, 0} {
		name := string(rune('a' + i))
		if err := chromedp.Do(tabs[i], fakeLogin(), chromedp.WaitVisible(chromedp.ID("email"))); err != nil {
			t.Fatalf("tab %s: %v", name, err)
		}
		if loc := location(tabs[i], t); loc != a.url+"/profile?tab="+name {
			t.Errorf("tab %s ended at %s", name, loc)
		}
		if got := text(tabs[i], t, "name"); got != "张三" {
			t.Errorf("tab %s shows %q", name, got)
		}
	}
	screenshot(tabs[1], t, dir, "5-tab-b-after-two-tab-login.png")
	// One session for both: tab b's form, rendered before tab a's login
	// completed, logs out.
	if err := chromedp.Do(tabs[1], chromedp.Click(chromedp.ID("logout")), chromedp.WaitVisible(chromedp.ID("login"))); err != nil {
		t.Fatalf("logout from tab b: %v", err)
	}

	// 6. The session cookie taken in step 2, put back: refused, and
	// jAccount asks for the password again (its session ended too).
	for _, c := range session {
		httpOnly := true
		if _, err := chromedp.Call(ctx, network.SetCookie, network.SetCookieParams{Name: c.Name, Value: c.Value,
			URL: a.url + "/", Path: "/", HTTPOnly: &httpOnly, SameSite: network.CookieSameSiteLax}); err != nil {
			t.Fatalf("put the old session cookie back: %v", err)
		}
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(a.url+"/profile"), chromedp.WaitVisible(chromedp.ID("username"))); err != nil {
		t.Fatalf("the replayed session cookie did not lead to jAccount's login: %v", err)
	}
	if loc := location(ctx, t); !strings.HasPrefix(loc, a.fake.AuthURL()) {
		t.Errorf("with the replayed cookie the browser is at %s", loc)
	}
	screenshot(ctx, t, dir, "6-replayed-cookie-sent-to-login.png")

	// 7. Decline the consent: the access_denied page.
	if err := chromedp.Do(ctx, fillLogin(), chromedp.Click(chromedp.ID("deny")), chromedp.WaitVisible(chromedp.ID("error"))); err != nil {
		t.Fatalf("decline: %v", err)
	}
	if kind := errorKind(ctx, t); kind != "access_denied" {
		t.Errorf("declined consent: error page %q, want access_denied", kind)
	}
	if msg := text(ctx, t, "error"); !strings.Contains(msg, "你没有同意授权") || !strings.Contains(msg, "You did not allow the sign-in") {
		t.Errorf("declined consent page says %q", msg)
	}
	screenshot(ctx, t, dir, "7-access-denied.png")

	// 8. Tamper with the state on its way through jAccount: refused.
	if err := chromedp.Do(ctx, chromedp.Navigate(a.url+"/jaccount/login"), chromedp.WaitVisible(chromedp.ID("approve"))); err != nil {
		t.Fatalf("login again: %v", err)
	}
	u, err := url.Parse(location(ctx, t))
	if err != nil || u.Query().Get("state") == "" {
		t.Fatalf("the consent page's URL %v carries no state", u)
	}
	q := u.Query()
	q.Set("state", q.Get("state")[:25]+"A")
	u.RawQuery = q.Encode()
	err = chromedp.Do(ctx,
		chromedp.Navigate(u.String()),
		chromedp.WaitVisible(chromedp.ID("approve")),
		chromedp.Click(chromedp.ID("approve")),
		chromedp.WaitVisible(chromedp.ID("error")),
	)
	if err != nil {
		t.Fatalf("tampered state: %v", err)
	}
	if kind, loc := errorKind(ctx, t), location(ctx, t); kind != "state" || !strings.HasPrefix(loc, callbackPrefix) {
		t.Fatalf("tampered state: at %s the error page is %q, want the app's state refusal", loc, kind)
	}
	screenshot(ctx, t, dir, "8-tampered-state-refused.png")
}
