package main

// The one way the browser tests drive headless chromium: every browser
// action runs as a named step with its own timeout, and a step that fails
// or times out says which step it was and where the page was, and keeps a
// screenshot and the DOM of the page as test artifacts.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

const (
	// browserTimeout bounds a whole browser test, on a loaded machine too.
	browserTimeout = 4 * time.Minute
	// stepTimeout bounds one step: a navigation or a click and the page it
	// leads to. Steps take well under a second on an idle machine; the bound
	// is for a busy 2-core one.
	stepTimeout = 45 * time.Second
	// startTimeout bounds the start of chromium and of a tab.
	startTimeout = time.Minute
	// diagnoseTimeout bounds each look at a page after a failed step.
	diagnoseTimeout = 15 * time.Second
)

// chromium is a headless Debian chromium owned by one test.
type chromium struct {
	t   *testing.T
	dir string      // where screenshots and failure artifacts go
	out *syncBuffer // what chromium printed
	// onFailure are called after a failed step, before the test stops:
	// e.g. to log the servers' logs.
	onFailure []func()
	main      *tab
	shots     int
}

// tab is one tab of the browser.
type tab struct {
	c    *chromium
	name string
	ctx  context.Context
}

// newChromium starts headless Debian chromium for the test, with one tab.
// It skips only when chromium is absent and CI is unset; in CI a missing
// chromium fails.
func newChromium(t *testing.T) *chromium {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set but chromium is not installed: %v", err)
		}
		t.Skipf("SKIPPING the browser test: chromium is not installed (%v); install Debian's chromium to run it", err)
	}
	c := &chromium{t: t, dir: artifactDir(t), out: &syncBuffer{}}
	ctx, cancel := context.WithTimeout(t.Context(), browserTimeout)
	t.Cleanup(cancel)
	// chromedp's defaults first (as Puppeteer's): among them, no throttling
	// or backgrounding of tabs that are not in front (the two-tab step
	// drives one while the other waits), no hang monitor, no keyring
	// lookups for the login form's password (password-store=basic).
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.NoSandbox, // the tests may run as root, where the sandbox refuses to start
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.WindowSize(900, 700),
		chromedp.CombinedOutput(c.out),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	bctx, cancelBrowser := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	t.Cleanup(cancelBrowser)
	c.main = &tab{c: c, name: "tab", ctx: bctx}
	c.main.start("start chromium", cancelAlloc)
	return c
}

// tab returns the browser's first tab.
func (c *chromium) tab() *tab { return c.main }

// newTab opens another tab, closed when the test ends.
func (c *chromium) newTab(name string) *tab {
	c.t.Helper()
	ctx, cancel := chromedp.NewContext(c.main.ctx)
	c.t.Cleanup(cancel)
	tb := &tab{c: c, name: name, ctx: ctx}
	tb.start("open "+name, cancel)
	return tb
}

// start runs the first action of the tab's context, which starts the
// browser or opens the tab and binds it to that context: so it runs in
// the long-lived context, and the wait for it is bounded here instead.
func (tb *tab) start(step string, abort context.CancelFunc) {
	tb.c.t.Helper()
	done := make(chan error, 1)
	began := time.Now()
	go func() { done <- chromedp.Do(tb.ctx) }()
	select {
	case err := <-done:
		if err != nil {
			tb.c.t.Fatalf("browser step %q: %v\nchromium's output:\n%s", step, err, tail(tb.c.out.String(), 4000))
		}
	case <-time.After(startTimeout):
		abort()
		<-done
		tb.c.t.Fatalf("browser step %q did not finish within %v\nchromium's output:\n%s", step, startTimeout, tail(tb.c.out.String(), 4000))
	}
	tb.c.t.Logf("browser step %q: %v", step, time.Since(began).Round(time.Millisecond))
}

// do runs the actions as one step bounded by stepTimeout, and stops the
// test, with the diagnosis, if they fail.
func (tb *tab) do(step string, actions ...chromedp.Action[chromedp.Void]) {
	tb.c.t.Helper()
	get(tb, step, chromedp.Steps(actions...))
}

// get runs the action as one step bounded by stepTimeout and returns its
// result; it stops the test, with the diagnosis, if the action fails.
func get[T any](tb *tab, step string, action chromedp.Action[T]) T {
	tb.c.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	began := time.Now()
	v, err := chromedp.Run(ctx, action)
	took := time.Since(began).Round(time.Millisecond)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("did not finish within %v: %w", stepTimeout, err)
		}
		tb.fail(step, took, err)
	}
	tb.c.t.Logf("browser step %q (%s): %v", step, tb.name, took)
	return v
}

// fail reports a failed step: which, after how long, the page's URL (as
// the browser sees the tab, which works even when the page's scripts do
// not), a screenshot and the DOM saved as artifacts, and the tail of
// chromium's output; then it stops the test.
func (tb *tab) fail(step string, took time.Duration, err error) {
	t := tb.c.t
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "browser step %q (%s) failed after %v: %v\n", step, tb.name, took, err)
	fmt.Fprintf(&b, "  page: %s\n", tb.url())
	base := filepath.Join(tb.c.failureDir(), "FAILED-"+fileName(step))
	if shot, err := look(tb, chromedp.CaptureScreenshot()); err != nil {
		fmt.Fprintf(&b, "  screenshot: none (%v)\n", err)
	} else if err := os.WriteFile(base+".png", shot, 0o644); err != nil {
		fmt.Fprintf(&b, "  screenshot: %v\n", err)
	} else {
		fmt.Fprintf(&b, "  screenshot: %s\n", base+".png")
	}
	if dom, err := look(tb, chromedp.Evaluate[string](`document.documentElement.outerHTML`)); err != nil {
		fmt.Fprintf(&b, "  DOM: none (%v)\n", err)
	} else if err := os.WriteFile(base+".html", []byte(dom), 0o644); err != nil {
		fmt.Fprintf(&b, "  DOM: %v\n", err)
	} else {
		fmt.Fprintf(&b, "  DOM: %s\n", base+".html")
	}
	fmt.Fprintf(&b, "chromium's output (tail):\n%s", tail(tb.c.out.String(), 4000))
	t.Log(b.String())
	for _, f := range tb.c.onFailure {
		f()
	}
	t.FailNow()
}

// failureDir is where a failed step's screenshot and DOM go: the
// artifact directory when JACCOUNT_ARTIFACTS is set, else a temporary
// directory that outlives the test (t.TempDir is removed when it ends, and
// with it what a flake left behind).
func (c *chromium) failureDir() string {
	if os.Getenv("JACCOUNT_ARTIFACTS") != "" {
		return c.dir
	}
	d, err := os.MkdirTemp("", "jaccount-browser-failure-")
	if err != nil {
		return c.dir
	}
	return d
}

// look runs a diagnostic action on the tab, bounded by diagnoseTimeout.
func look[T any](tb *tab, a chromedp.Action[T]) (T, error) {
	ctx, cancel := context.WithTimeout(tb.ctx, diagnoseTimeout)
	defer cancel()
	return chromedp.Run(ctx, a)
}

// url returns the tab's URL as the browser process knows it.
func (tb *tab) url() string {
	ctx, cancel := context.WithTimeout(tb.ctx, diagnoseTimeout)
	defer cancel()
	c := chromedp.FromContext(tb.ctx)
	if c == nil || c.Target == nil {
		return "(no tab)"
	}
	targets, err := chromedp.Targets(ctx)
	if err != nil {
		return fmt.Sprintf("(unknown: %v)", err)
	}
	for _, info := range targets {
		if info.TargetID == c.Target.TargetID {
			return info.URL
		}
	}
	return "(the tab is gone)"
}

// text reads the text of the element with the id.
func (tb *tab) text(id string) string {
	tb.c.t.Helper()
	return get(tb, "read #"+id, chromedp.Text(chromedp.ID(id)))
}

// errorKind reads the kind of the error page package web shows.
func (tb *tab) errorKind() string {
	tb.c.t.Helper()
	return get(tb, "read the error page's kind", chromedp.Evaluate[string](`document.getElementById("error").dataset.kind`))
}

// location returns the page's URL.
func (tb *tab) location() string {
	tb.c.t.Helper()
	return get(tb, "read the location", chromedp.Location())
}

// screenshot saves a PNG of the whole page as an artifact, numbered in the
// order taken, and logs its path.
func (tb *tab) screenshot(name string) {
	tb.c.t.Helper()
	shot := get(tb, "screenshot "+name, chromedp.FullScreenshot(100))
	tb.c.shots++
	path := filepath.Join(tb.c.dir, fmt.Sprintf("%02d-%s.png", tb.c.shots, name))
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		tb.c.t.Fatal(err)
	}
	tb.c.t.Logf("screenshot: %s", path)
}

// cookies returns the browser's cookies for the URL u.
func (tb *tab) cookies(u string) []*network.Cookie {
	tb.c.t.Helper()
	return get(tb, "read the cookies of "+u, chromedp.Action[[]*network.Cookie](
		func(ctx context.Context, t *chromedp.Target) ([]*network.Cookie, error) {
			res, err := cdp.Call(ctx, t, network.GetCookies, network.GetCookiesParams{URLs: []string{u}})
			return res.Cookies, err
		}))
}

// setCookies puts the cookies back into the browser for the URL u, as
// HttpOnly SameSite=Lax cookies of their path.
func (tb *tab) setCookies(u string, cookies []*network.Cookie) {
	tb.c.t.Helper()
	tb.do("put cookies back for "+u, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		for _, c := range cookies {
			httpOnly := true
			if _, err := cdp.Call(ctx, t, network.SetCookie, network.SetCookieParams{Name: c.Name, Value: c.Value,
				URL: u, Path: c.Path, HTTPOnly: &httpOnly, SameSite: network.CookieSameSiteLax}); err != nil {
				return err
			}
		}
		return nil
	}))
}

// artifactDir is where a test keeps its screenshots and failure artifacts:
// a directory named after the test under JACCOUNT_ARTIFACTS when set (to
// keep them after the test), else the test's temp dir.
func artifactDir(t *testing.T) string {
	t.Helper()
	d := os.Getenv("JACCOUNT_ARTIFACTS")
	if d == "" {
		return t.TempDir()
	}
	d = filepath.Join(d, fileName(t.Name()))
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
	return d
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// fileName turns a step or test name into a file name.
func fileName(s string) string { return strings.Trim(unsafeName.ReplaceAllString(s, "-"), "-") }

// tail returns the last n bytes of s.
func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}
