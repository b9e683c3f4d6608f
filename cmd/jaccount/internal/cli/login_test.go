package cli

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oauth-jaccount/jaccount-go/auth"
	"github.com/oauth-jaccount/jaccount-go/jaccounttest"
)

// TestLoginEndToEnd logs in interactively against the fake: the test plays
// the browser, which jaccount opens on the authorize URL and which the fake
// redirects to jaccount's loopback callback. Then whoami, token and logout
// use the saved login.
func TestLoginEndToEnd(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	var opened []string
	h.browser = func(u string) error {
		opened = append(opened, u)
		return h.student(u)
	}
	r := h.mustRun("login")
	if len(opened) != 1 {
		t.Fatalf("browser opened %d URLs, want 1", len(opened))
	}
	q := mustQuery(t, opened[0])
	for _, k := range []string{"state", "nonce", "code_challenge"} {
		if q.Get(k) == "" {
			t.Errorf("authorize URL lacks %s: %s", k, opened[0])
		}
	}
	if q.Get("code_challenge_method") != "S256" {
		t.Errorf("code_challenge_method = %q, want S256", q.Get("code_challenge_method"))
	}
	redirect, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || redirect.Scheme != "http" || redirect.Hostname() != "127.0.0.1" || redirect.Port() == "" || redirect.Path != "/callback" {
		t.Errorf("redirect_uri = %q, want http://127.0.0.1:<port>/callback", q.Get("redirect_uri"))
	}
	if r.stdout != "" {
		t.Errorf("login wrote to stdout: %q", r.stdout)
	}
	if !strings.Contains(r.stderr, "Logged in as zhangsan (张三) (profile default)") {
		t.Errorf("stderr = %q", r.stderr)
	}

	// The token file is private, in a private directory.
	tokenFile := filepath.Join(h.dir, "profiles", "default", "token.json")
	if runtime.GOOS != "windows" {
		for path, want := range map[string]fs.FileMode{tokenFile: 0o600, filepath.Dir(tokenFile): 0o700} {
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != want {
				t.Errorf("%s has mode %v, want %v", path, fi.Mode().Perm(), want)
			}
		}
	}
	stored, err := auth.NewFileStore(tokenFile).Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if stored.Claims == nil || stored.Claims.Subject != jaccounttest.StudentUsername {
		t.Fatalf("stored claims = %+v", stored.Claims)
	}

	// whoami: verified claims and the API profile.
	r = h.mustRun("whoami", "--format", "json")
	var w whoami
	if err := json.Unmarshal([]byte(r.stdout), &w); err != nil {
		t.Fatalf("whoami output: %v\n%s", err, r.stdout)
	}
	if w.Claims == nil || w.Claims.Subject != "zhangsan" || w.Claims.Name != "张三" || w.User == nil || w.User.Account != "zhangsan" {
		t.Errorf("whoami = %+v", w)
	}

	// token: the access token alone.
	r = h.mustRun("token")
	if r.stdout != stored.AccessToken+"\n" || r.stderr != "" {
		t.Errorf("token printed stdout %q, stderr %q; want the stored access token only", r.stdout, r.stderr)
	}

	// An expired access token is renewed: token prints the new one and
	// saves it.
	expireStored(t, tokenFile)
	r = h.mustRun("token")
	renewed, err := auth.NewFileStore(tokenFile).Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if renewed.AccessToken == stored.AccessToken || r.stdout != renewed.AccessToken+"\n" {
		t.Errorf("after expiry, token printed %q; stored %q (old %q)", r.stdout, renewed.AccessToken, stored.AccessToken)
	}

	// logout: the token is gone and the logout URL is opened.
	opened = nil
	h.browser = func(u string) error { opened = append(opened, u); return nil }
	h.mustRun("logout")
	if _, err := os.Stat(tokenFile); !os.IsNotExist(err) {
		t.Errorf("token file still there after logout: %v", err)
	}
	if len(opened) != 1 || !strings.HasPrefix(opened[0], h.fake.LogoutURL()) || mustQuery(t, opened[0]).Get("client_id") != h.fake.ClientID() {
		t.Errorf("logout opened %q, want the fake's logout URL with client_id", opened)
	}
	r = h.run("whoami")
	if r.code != ExitLogin || r.stderr != "jaccount: not logged in (profile default): run `jaccount login`\n" {
		t.Errorf("whoami after logout: %s", r)
	}
}

func mustQuery(t *testing.T, u string) url.Values {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	return p.Query()
}

// TestLoginNoBrowser prints the URL instead of opening a browser; the test
// reads it from stderr and plays the browser, first sending a forged
// callback (another state), which is refused without ending the login.
func TestLoginNoBrowser(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.browser = func(string) error { t.Error("--no-browser opened a browser"); return nil }
	var stdout, stderr syncBuffer
	var once sync.Once
	errs := make(chan error, 1)
	stderr.watch = func(s string) {
		u, ok := authorizeURL(s)
		if !ok {
			return
		}
		once.Do(func() {
			go func() {
				redirect := mustQuery(t, u).Get("redirect_uri")
				if status, _ := get(t, redirect+"?code=forged&state=forged"); status != http.StatusBadRequest {
					errs <- fmt.Errorf("forged callback answered %d, want 400", status)
					return
				}
				errs <- h.student(u)
			}()
		})
	}
	r := h.runEnv(h.env(&stdout, &stderr, "login", "--no-browser", "--profile", "work"), &stdout, &stderr)
	if r.code != 0 {
		t.Fatalf("login: %s", r)
	}
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.stderr, "Open this URL in your browser to log in:\n"+h.fake.AuthURL()) {
		t.Errorf("stderr = %q", r.stderr)
	}
	// The login is the profile's: the default profile is still logged out.
	if r := h.run("token"); r.code != ExitLogin {
		t.Errorf("token without --profile: %s", r)
	}
	h.mustRun("token", "--profile", "work")
}

// TestLoginRefused: the user declines on jAccount; login fails with the
// authorization error and saves nothing.
func TestLoginRefused(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.browser = func(u string) error {
		q := mustQuery(t, u)
		get(t, q.Get("redirect_uri")+"?error=access_denied&error_description=user+declined&state="+url.QueryEscape(q.Get("state")))
		return nil
	}
	r := h.run("login")
	if r.code != ExitError || !strings.Contains(r.stderr, "access_denied") || strings.Count(r.stderr, "\n") != 3 {
		t.Errorf("login declined: %s", r)
	}
	if r := h.run("token"); r.code != ExitLogin {
		t.Errorf("token after a declined login: %s", r)
	}
}

// TestLoginClientCredentials logs in as the application.
func TestLoginClientCredentials(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.browser = func(string) error { t.Error("client mode opened a browser"); return nil }
	r := h.mustRun("login", "--client-credentials", "--scopes", "basic")
	if !strings.Contains(r.stderr, "Logged in as application jaccounttest (client credentials; profile default)") {
		t.Errorf("stderr = %q", r.stderr)
	}
	tok := strings.TrimSpace(h.mustRun("token").stdout)
	if tok == "" {
		t.Fatal("no token")
	}
	r = h.mustRun("whoami", "--format", "json")
	var w whoami
	if err := json.Unmarshal([]byte(r.stdout), &w); err != nil {
		t.Fatal(err)
	}
	if w.Grant != grantClientCredentials || w.Claims != nil || w.User != nil || w.ClientID != "jaccounttest" {
		t.Errorf("whoami = %+v", w)
	}
	// A revoked client token is simply replaced: client mode needs no user.
	h.fake.RevokeToken(tok)
	expireStored(t, filepath.Join(h.dir, "profiles", "default", "token.json"))
	if again := strings.TrimSpace(h.mustRun("token").stdout); again == tok {
		t.Error("token did not renew the expired client token")
	}
	h.mustRun("logout")
}

// TestInvalidGrant: a revoked refresh token means one line telling the user
// to log in again, exit code 3.
func TestInvalidGrant(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.mustRun("login", "--profile", "lab")
	stored, err := auth.NewFileStore(filepath.Join(h.dir, "profiles", "lab", "token.json")).Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	h.fake.RevokeToken(stored.RefreshToken)
	expireStored(t, filepath.Join(h.dir, "profiles", "lab", "token.json"))
	for _, args := range [][]string{{"token"}, {"whoami"}} {
		r := h.run(append(args, "--profile", "lab")...)
		want := "jaccount: the saved login has expired or was revoked (invalid_grant): run `jaccount login --profile lab`\n"
		if r.code != ExitLogin || r.stderr != want || r.stdout != "" {
			t.Errorf("%v: %s", args, r)
		}
	}
}

// expireStored makes the saved token look expired, as it is after a while.
func expireStored(t *testing.T, path string) {
	t.Helper()
	s := auth.NewFileStore(path)
	tok, err := s.Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	tok.Expiry = time.Now().Add(-time.Minute)
	if err := s.Save(t.Context(), tok); err != nil {
		t.Fatal(err)
	}
}
