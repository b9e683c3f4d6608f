package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// TestTwoInstancesBrowser (issue 20): two webapp processes with the same
// keys and the Redis stores, behind a round-robin reverse proxy, against a
// real redis-server, in real chromium. The proxy is pinned to one instance
// for each step, so that "through A" and "through B" are exact; its banner
// on each page names the instance that served it.
func TestTwoInstancesBrowser(t *testing.T) {
	t.Parallel()
	c := newChromium(t)
	f := newFleet(t, 2, true)
	c.onFailure = append(c.onFailure, func() { t.Logf("the instances' logs:\n%s", f.logs()) })
	tb := c.tab()
	callbacks := recordRequests(t, tb, f.url+"/jaccount/auth?")
	servedBy := func(want string) {
		t.Helper()
		if got := tb.text("served-by"); !strings.Contains(got, "instance "+want) {
			t.Errorf("the page was served by %q, want instance %s", got, want)
		}
	}
	open := func(step, path string, wantStatus int, wantID string) {
		t.Helper()
		resp := get(tb, step, chromedp.NavigateResponse(f.url+path))
		tb.do(step+": wait for #"+wantID, chromedp.WaitVisible(chromedp.ID(wantID)))
		if resp == nil || int(resp.Status) != wantStatus {
			t.Errorf("%s: response %v, want status %d", step, resp, wantStatus)
		}
	}

	// 1. Log in through A (the login and the callback at A).
	f.proxy.pin(0)
	tb.do("open /profile through A", chromedp.Navigate(f.url+"/profile"), chromedp.WaitVisible(chromedp.ID("username")))
	var pending []*network.Cookie
	for _, ck := range tb.cookies(f.url + "/jaccount/auth") {
		if strings.HasPrefix(ck.Name, "jaccount_login_") {
			pending = append(pending, ck)
		}
	}
	tb.do("log in at jAccount, back through A", fakeLogin(), chromedp.WaitVisible(chromedp.ID("email")))
	servedBy("A")
	if name := tb.text("name"); name != "张三" {
		t.Fatalf("after the login through A the page shows %q", name)
	}
	tb.screenshot("logged-in-through-A")
	seen := callbacks()
	if len(seen) != 1 || len(pending) != 1 {
		t.Fatalf("%d callbacks, %d pending-login cookies; want 1 and 1", len(seen), len(pending))
	}
	var session []*network.Cookie
	for _, ck := range tb.cookies(f.url + "/") {
		if ck.Name == "jaccount_session" {
			session = append(session, ck)
		}
	}
	if len(session) != 1 {
		t.Fatalf("session cookies: %v", session)
	}

	// 2. Read a page through B: signed in there too, and B reads the
	// profile with the token A kept (in Redis).
	f.proxy.pin(1)
	open("read /profile through B", "/profile", http.StatusOK, "email")
	servedBy("B")
	if email := tb.text("email"); email != "zhangsan@sjtu.edu.cn" {
		t.Errorf("B shows the email %q", email)
	}
	tb.screenshot("profile-read-through-B")

	// 3. Log out through B.
	open("open the home page through B", "/", http.StatusOK, "logout")
	tb.do("log out through B", chromedp.Click(chromedp.ID("logout")), chromedp.WaitVisible(chromedp.ID("login")))
	servedBy("B")
	tb.screenshot("logged-out-through-B")

	// 4. The session cookie from before the logout, replayed at A: refused.
	f.proxy.pin(0)
	tb.setCookies(f.url+"/", session)
	open("open the home page at A with the pre-logout cookie", "/", http.StatusOK, "login")
	servedBy("A")
	tb.screenshot("pre-logout-cookie-refused-at-A")
	tb.do("open /profile at A with the pre-logout cookie", chromedp.Navigate(f.url+"/profile"), chromedp.WaitVisible(chromedp.ID("username")))
	if loc := tb.location(); !strings.HasPrefix(loc, f.fake.AuthURL()) {
		t.Errorf("with the pre-logout cookie /profile at A went to %s, want jAccount's login", loc)
	}

	// 5. The login attempt used at A (its callback, with its cookie put
	// back) replayed at B: refused.
	f.proxy.pin(1)
	tb.setCookies(f.url+"/jaccount/auth", pending)
	resp := get(tb, "replay the used callback at B", chromedp.NavigateResponse(seen[0]))
	tb.do("replay the used callback at B: wait for the error", chromedp.WaitVisible(chromedp.ID("error")))
	if kind := tb.errorKind(); kind != "state" || resp == nil || resp.Status != http.StatusBadRequest {
		t.Errorf("the used login attempt replayed at B: %v, error page %q; want 400 and state", resp, kind)
	}
	servedBy("B")
	tb.screenshot("used-login-state-refused-at-B")

	// 6. Log in again through A, restart B: still signed in at B.
	f.proxy.pin(0)
	tb.do("log in again through A", chromedp.Navigate(f.url+"/profile"), fakeLogin(), chromedp.WaitVisible(chromedp.ID("email")))
	f.restart(f.insts[1])
	f.proxy.pin(1)
	open("read /profile through the restarted B", "/profile", http.StatusOK, "email")
	servedBy("B")
	if f.insts[1].starts != 2 {
		t.Errorf("B started %d times, want 2", f.insts[1].starts)
	}
	tb.screenshot("still-signed-in-at-restarted-B")

	// 7. Stop Redis: the clear error page at both instances, then, with
	// Redis back (with its data), signed in again at both.
	f.redis.Stop()
	for i, name := range []string{"A", "B"} {
		f.proxy.pin(i)
		open("open /profile through "+name+" while Redis is down", "/profile", http.StatusServiceUnavailable, "error")
		if kind := tb.errorKind(); kind != "unavailable" {
			t.Errorf("with Redis down %s shows the error page %q", name, kind)
		}
		servedBy(name)
	}
	if msg := tb.text("error"); !strings.Contains(msg, "暂时不可用") || !strings.Contains(msg, "temporarily unavailable") {
		t.Errorf("the error page says %q", msg)
	}
	tb.screenshot("redis-down-503")
	f.redis.StartAgain()
	tb.do("click Try again on B's error page once Redis is back", chromedp.Click(chromedp.ID("retry")), chromedp.WaitVisible(chromedp.ID("email")))
	servedBy("B")
	tb.screenshot("redis-back-still-signed-in")
	f.proxy.pin(0)
	open("reload /profile through A once Redis is back", "/profile", http.StatusOK, "email")
	servedBy("A")

	// 8. Redis restarted empty (no persistence): the session is gone, the
	// home page is anonymous; logging in again goes through jAccount,
	// which (still signed in there) sends the browser straight back.
	before := len(callbacks())
	f.redis.RestartEmpty()
	f.proxy.pin(0)
	open("open the home page through A after Redis restarted empty", "/", http.StatusOK, "login")
	servedBy("A")
	tb.screenshot("redis-restarted-empty-signed-out")
	tb.do("log in again after Redis restarted empty", chromedp.Click(chromedp.ID("login")), chromedp.WaitVisible(chromedp.ID("logout")))
	if n := len(callbacks()); n != before+1 {
		t.Errorf("%d callbacks after the new login, want %d", n, before+1)
	}
	tb.screenshot("signed-in-anew-after-redis-restarted-empty")

	// 9. Round robin: both instances serve the signed-in user in turn.
	f.proxy.pin(-1)
	names := map[string]bool{}
	for i := range 4 {
		open("round robin "+string(rune('1'+i)), "/account", http.StatusOK, "logout")
		names[tb.text("served-by")] = true
	}
	if len(names) != 2 {
		t.Errorf("round robin served by %v, want both instances", names)
	}
	t.Logf("requests per instance: %v", f.proxy.counts())
}
