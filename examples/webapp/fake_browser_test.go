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
	c := newChromium(t)
	tb := c.tab()
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
	tb.do("open /profile anonymously", chromedp.Navigate(base+"/profile"), chromedp.WaitVisible(chromedp.ID("accounts")))
	tb.screenshot("standalone-login")
	for _, user := range []string{"alice", "bob-staff", "lab-account", jaccounttest.StudentUsername} {
		n := get(tb, "count the buttons of "+user,
			chromedp.Evaluate[int](`document.querySelectorAll('button[data-user="`+user+`"]').length`))
		if n != 1 {
			t.Errorf("the login page has %d buttons for %s", n, user)
		}
	}

	// Alice's button: the consent asks for profile (she approved openid,
	// basic and essential before); allowing brings her profile.
	tb.do("sign in as alice with her button", chromedp.Click(chromedp.CSS(`button[data-user="alice"]`)),
		chromedp.WaitVisible(chromedp.ID("approve")))
	if who, scopes := tb.text("who"), tb.text("scopes"); who != "爱丽丝" || !strings.Contains(scopes, "profile") {
		t.Errorf("the consent page greets %q and asks for %q", who, scopes)
	}
	tb.screenshot("standalone-consent")
	tb.do("allow", chromedp.Click(chromedp.ID("approve")), chromedp.WaitVisible(chromedp.ID("email")))
	if name, account := tb.text("name"), tb.text("account"); name != "爱丽丝" || account != "alice" {
		t.Errorf("the app's profile page shows %q (%q), want 爱丽丝 (alice)", name, account)
	}
	tb.screenshot("standalone-profile")

	// Logout: through the fake's logout and back to the app; the fake asks
	// to sign in again.
	tb.do("open the home page", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.ID("logout")))
	tb.do("log out", chromedp.Click(chromedp.ID("logout")), chromedp.WaitVisible(chromedp.ID("login")))
	tb.do("open /profile after logout", chromedp.Navigate(base+"/profile"), chromedp.WaitVisible(chromedp.ID("accounts")))

	// A redirect URI the fake does not know: a page that names it and the
	// registered ones.
	q := url.Values{"response_type": {"code"}, "client_id": {jaccounttest.DefaultClientID},
		"redirect_uri": {"http://localhost:3000/auth/callback"}, "scope": {"basic"}}
	tb.do("authorize with an unregistered redirect URI", chromedp.Navigate(fake+"/oauth2/authorize?"+q.Encode()),
		chromedp.WaitVisible(chromedp.ID("details")))
	if details := tb.text("details"); !strings.Contains(details, "http://localhost:3000/auth/callback") ||
		!strings.Contains(details, "http://127.0.0.1/jaccount/auth") {
		t.Errorf("the error page says %q", details)
	}
	tb.screenshot("standalone-unknown-redirect")
}
