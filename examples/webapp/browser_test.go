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

	"github.com/chromedp/chromedp"

	"github.com/oauth-jaccount/jaccount-go/jaccounttest"
)

// browserTimeout bounds the whole browser test.
const browserTimeout = 60 * time.Second

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

// artifactDir is where the test keeps its screenshot: JACCOUNT_ARTIFACTS
// when set (to keep it after the test), else the test's temp dir.
func artifactDir(t *testing.T) string {
	if d := os.Getenv("JACCOUNT_ARTIFACTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

// fakeLogin fills in and submits the fake's login form, then approves the
// consent.
func fakeLogin(username, password string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), username),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.ID("login")),
		chromedp.WaitVisible(chromedp.ID("approve")),
		chromedp.Click(chromedp.ID("approve")),
	)
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

// screenshot saves a PNG of the whole page to path and logs the path.
func screenshot(ctx context.Context, t *testing.T, path string) {
	t.Helper()
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
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

// TestBrowser drives the app and the fake's pages in headless chromium:
// log in, see the profile, log out, see the login form again (no silent
// re-login), and have a tampered state refused.
func TestBrowser(t *testing.T) {
	t.Parallel()
	ctx := newChromium(t)
	a := newTestApp(t)

	dir := artifactDir(t)
	// Open the app, click login, and land on the fake's login page.
	err := chromedp.Do(ctx,
		chromedp.Navigate(a.url+"/"),
		chromedp.WaitVisible(chromedp.ID("login")),
		chromedp.Click(chromedp.ID("login")),
		chromedp.WaitVisible(chromedp.ID("username")),
	)
	if err != nil {
		t.Fatalf("open the app and click login: %v", err)
	}
	screenshot(ctx, t, filepath.Join(dir, "fake-login.png"))

	// Log in through the fake's login page and land on the profile.
	err = chromedp.Do(ctx,
		fakeLogin(jaccounttest.StudentUsername, jaccounttest.StudentPassword),
		chromedp.WaitVisible(chromedp.ID("name")),
	)
	if err != nil {
		t.Fatalf("login in the browser: %v", err)
	}
	if name, account := text(ctx, t, "name"), text(ctx, t, "account"); name != "张三" || account != jaccounttest.StudentUsername {
		t.Fatalf("profile page shows %q (%q), want 张三 (%s)", name, account, jaccounttest.StudentUsername)
	}
	screenshot(ctx, t, filepath.Join(dir, "webapp-profile.png"))

	// Log out, then log in again: the fake must ask for the password again.
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.ID("logout")),
		chromedp.WaitVisible(chromedp.ID("login")),
	)
	if err != nil {
		t.Fatalf("logout: %v", err)
	}
	if loc := location(ctx, t); loc != a.url+"/" {
		t.Errorf("after logout the browser is at %s, want the app's home", loc)
	}
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.ID("login")),
		chromedp.WaitVisible(chromedp.ID("username")),
	)
	if err != nil {
		t.Fatalf("login after logout did not show the login form: %v", err)
	}

	// Tamper with the state on its way through jAccount: the app refuses.
	u, err := url.Parse(location(ctx, t))
	if err != nil || u.Query().Get("state") == "" {
		t.Fatalf("the login page's URL %v carries no state", u)
	}
	q := u.Query()
	q.Set("state", q.Get("state")+"-tampered")
	u.RawQuery = q.Encode()
	err = chromedp.Do(ctx,
		chromedp.Navigate(u.String()),
		fakeLogin(jaccounttest.StudentUsername, jaccounttest.StudentPassword),
		chromedp.WaitVisible(chromedp.ID("error")),
	)
	if err != nil {
		t.Fatalf("tampered state: %v", err)
	}
	if msg, loc := text(ctx, t, "error"), location(ctx, t); !strings.Contains(msg, "state") || !strings.HasPrefix(loc, a.url+callbackPath) {
		t.Fatalf("tampered state: at %s the page says %q, want the app's refusal", loc, msg)
	}
}
