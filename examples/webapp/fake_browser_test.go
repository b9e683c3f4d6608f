package main

import (
	"bufio"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/oauth-jaccount/jaccount-go/examples/internal/setup"
	"github.com/oauth-jaccount/jaccount-go/jaccounttest"
)

// standaloneFake runs `jaccount fake` (built from ../../cmd/jaccount) with
// args until the test ends and returns the api_url of its JSON line.
func standaloneFake(t *testing.T, args ...string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "jaccount")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = filepath.Join("..", "..", "cmd", "jaccount")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build jaccount: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, append([]string{"fake", "--addr", "127.0.0.1:0"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	found, drained := make(chan string, 1), make(chan struct{})
	t.Cleanup(func() {
		if runtime.GOOS == "windows" || cmd.Process.Signal(os.Interrupt) != nil {
			_ = cmd.Process.Kill()
		}
		select {
		case <-drained:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-drained
		}
		_ = cmd.Wait()
	})
	go func() {
		defer close(drained)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var info struct {
				APIURL string `json:"api_url"`
			}
			if strings.HasPrefix(sc.Text(), "{") && json.Unmarshal(sc.Bytes(), &info) == nil {
				found <- info.APIURL
			}
		}
		close(found)
	}()
	select {
	case u, ok := <-found:
		if !ok {
			t.Fatal("jaccount fake ended without its JSON line")
		}
		return u
	case <-time.After(time.Minute):
		t.Fatal("no JSON line from jaccount fake within a minute")
		return ""
	}
}

// TestBrowserStandaloneFake is a developer clicking through `jaccount fake`
// from their own app on localhost, in headless chromium: the login page
// lists the test accounts of the users file, the button of one signs in as
// her, the consent asks for the scopes she has not approved before, the
// app shows her profile, and logout goes through the fake and back. A
// redirect URI the fake does not know gets a page that says which ones it
// does.
func TestBrowserStandaloneFake(t *testing.T) {
	t.Parallel()
	ctx := newChromium(t)
	dir := artifactDir(t)
	fake := standaloneFake(t, "--users", filepath.Join("..", "..", "cmd", "jaccount", "testdata", "fake-users.yaml"),
		"--client-id", jaccounttest.DefaultClientID, "--client-secret", jaccounttest.DefaultClientSecret,
		"--redirect-uri", "http://127.0.0.1/jaccount/auth")

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	h, err := newApp(setup.WithFakeAt(fake), base, settings{key: []byte(strings.Repeat("k", 32))}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })

	// The app sends the browser to the fake's login page, which lists the
	// file's accounts beside the fake's own.
	err = chromedp.Do(ctx, chromedp.Navigate(base+"/profile"), chromedp.WaitVisible(chromedp.ID("accounts")))
	if err != nil {
		t.Fatalf("open /profile: %v", err)
	}
	screenshot(ctx, t, dir, "standalone-1-login.png")
	for _, user := range []string{"alice", "bob-staff", "lab-account", jaccounttest.StudentUsername} {
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('button[data-user="`+user+`"]').length`))
		if err != nil || n != 1 {
			t.Errorf("the login page has %d buttons for %s (%v)", n, user, err)
		}
	}

	// Alice's button: the consent asks for profile (she approved openid,
	// basic and essential before); allowing brings her profile.
	err = chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`button[data-user="alice"]`)), chromedp.WaitVisible(chromedp.ID("approve")))
	if err != nil {
		t.Fatalf("sign in as alice: %v", err)
	}
	if who, scopes := text(ctx, t, "who"), text(ctx, t, "scopes"); who != "爱丽丝" || !strings.Contains(scopes, "profile") {
		t.Errorf("the consent page greets %q and asks for %q", who, scopes)
	}
	screenshot(ctx, t, dir, "standalone-2-consent.png")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("approve")), chromedp.WaitVisible(chromedp.ID("email"))); err != nil {
		t.Fatalf("allow: %v", err)
	}
	if name, account := text(ctx, t, "name"), text(ctx, t, "account"); name != "爱丽丝" || account != "alice" {
		t.Errorf("the app's profile page shows %q (%q), want 爱丽丝 (alice)", name, account)
	}
	screenshot(ctx, t, dir, "standalone-3-profile.png")

	// Logout: through the fake's logout and back to the app; the fake asks
	// for a password again.
	err = chromedp.Do(ctx, chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.ID("logout")),
		chromedp.Click(chromedp.ID("logout")), chromedp.WaitVisible(chromedp.ID("login")))
	if err != nil {
		t.Fatalf("logout: %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/profile"), chromedp.WaitVisible(chromedp.ID("accounts"))); err != nil {
		t.Fatalf("after logout the fake did not ask to sign in again: %v", err)
	}

	// A redirect URI the fake does not know: a page that names it and the
	// registered ones.
	q := url.Values{"response_type": {"code"}, "client_id": {jaccounttest.DefaultClientID},
		"redirect_uri": {"http://localhost:3000/auth/callback"}, "scope": {"basic"}}
	if err := chromedp.Do(ctx, chromedp.Navigate(fake+"/oauth2/authorize?"+q.Encode()), chromedp.WaitVisible(chromedp.ID("details"))); err != nil {
		t.Fatalf("unregistered redirect URI: %v", err)
	}
	if details := text(ctx, t, "details"); !strings.Contains(details, "http://localhost:3000/auth/callback") ||
		!strings.Contains(details, "http://127.0.0.1/jaccount/auth") {
		t.Errorf("the error page says %q", details)
	}
	screenshot(ctx, t, dir, "standalone-4-unknown-redirect.png")
}
