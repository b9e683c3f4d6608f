package cli

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oauth-jaccount/jaccount-go/jaccounttest"
)

// runningFake is `jaccount fake` running in-process.
type runningFake struct {
	info           fakeInfo
	stdout, stderr *syncBuffer
	cancel         context.CancelFunc
	done           chan int
}

// startFakeCmd runs `jaccount fake args...` until the test ends (or stop)
// and returns once it has printed its JSON line.
func startFakeCmd(t *testing.T, args ...string) *runningFake {
	t.Helper()
	h := &harness{t: t, vars: map[string]string{}, dir: t.TempDir()}
	rf := &runningFake{stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan int, 1)}
	line := make(chan string, 1)
	rf.stdout.watch = func(s string) {
		for l := range strings.Lines(s) {
			if strings.HasPrefix(l, "{") && strings.HasSuffix(l, "\n") {
				select {
				case line <- l:
				default:
				}
			}
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	rf.cancel = cancel
	env := h.env(rf.stdout, rf.stderr, append([]string{"fake", "--addr", "127.0.0.1:0"}, args...)...)
	go func() { rf.done <- Run(ctx, env) }()
	t.Cleanup(func() { rf.stop(t) })
	select {
	case l := <-line:
		if err := json.Unmarshal([]byte(l), &rf.info); err != nil {
			t.Fatalf("the JSON line %q: %v", l, err)
		}
	case code := <-rf.done:
		rf.done <- code
		t.Fatalf("jaccount fake exited %d before serving:\n%s\n%s", code, rf.stdout, rf.stderr)
	case <-time.After(30 * time.Second):
		t.Fatalf("no JSON line after 30 s:\n%s\n%s", rf.stdout, rf.stderr)
	}
	return rf
}

// stop interrupts the fake and checks that it exits 0.
func (rf *runningFake) stop(t *testing.T) {
	t.Helper()
	rf.cancel()
	select {
	case code := <-rf.done:
		rf.done <- code
		if code != 0 {
			t.Errorf("jaccount fake exited %d on interrupt:\n%s", code, rf.stderr)
		}
	case <-time.After(30 * time.Second):
		t.Error("jaccount fake did not stop within 30 s of the interrupt")
	}
}

// call makes a request and returns the status and body.
func call(t *testing.T, c *http.Client, method, u string, form url.Values, header ...string) (int, http.Header, string) {
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
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// TestFakeCommand runs `jaccount fake` with its defaults (but any free
// port): the text and the JSON line say the same, the endpoints answer,
// and an interrupt stops it with exit code 0.
func TestFakeCommand(t *testing.T) {
	t.Parallel()
	rf := startFakeCmd(t)
	in := rf.info
	if !strings.HasPrefix(in.APIURL, "http://127.0.0.1:") || in.Issuer != in.APIURL+"/oauth2/" ||
		in.TokenURL != in.APIURL+"/oauth2/token" || in.DataURL == in.APIURL || in.AdminURL != "" ||
		in.ClientID != jaccounttest.DefaultClientID || in.ClientSecret != jaccounttest.DefaultClientSecret ||
		len(in.RedirectURIs) != len(jaccounttest.DefaultRedirectURIs) || len(in.Users) != 5 || in.Seed != nil {
		t.Errorf("JSON line %+v", in)
	}
	out := rf.stdout.String()
	for _, want := range []string{in.AuthorizeURL, in.DataURL, in.ClientSecret, "zhangsan-password", "张三 (student)"} {
		if !strings.Contains(out, want) {
			t.Errorf("the text lacks %q:\n%s", want, out)
		}
	}
	tok := call200(t, in, "client_credentials", url.Values{"scope": {"exchange_data"}})
	if code, _, body := call(t, http.DefaultClient, "GET", in.DataURL+"/v1/stu/profile?offset=1", nil, "Authorization", "Bearer "+tok); code != 200 {
		t.Errorf("data resources: %d %s", code, body)
	}
	if code, _, _ := call(t, http.DefaultClient, "GET", in.APIURL+"/__admin/faults", nil); code != 404 {
		t.Errorf("admin API without --admin: %d, want 404", code)
	}
	rf.stop(t)
	if !strings.Contains(rf.stderr.String(), "shutting down") {
		t.Errorf("stderr: %s", rf.stderr)
	}
}

// call200 gets a token from the token endpoint of in with the default
// client's credentials.
func call200(t *testing.T, in fakeInfo, grant string, form url.Values) string {
	t.Helper()
	form.Set("grant_type", grant)
	form.Set("client_id", in.ClientID)
	form.Set("client_secret", in.ClientSecret)
	code, _, body := call(t, http.DefaultClient, "POST", in.TokenURL, form)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if code != 200 || json.Unmarshal([]byte(body), &tok) != nil || tok.AccessToken == "" {
		t.Fatalf("token endpoint: %d %s", code, body)
	}
	return tok.AccessToken
}

// TestFakeCommandConfigured: the users file and the flags configure the
// client, the accounts and the seed; flags win over the file.
func TestFakeCommandConfigured(t *testing.T) {
	t.Parallel()
	rf := startFakeCmd(t, "--users", exampleUsersFile, "--client-secret", "flag-secret", "--admin",
		"--redirect-uri", "http://localhost:3000/cb", "--seed", "5", "--auto-approve", "alice", "-v",
		"--token-rejection-status", "200")
	in := rf.info
	if in.ClientID != "my-app" || in.ClientSecret != "flag-secret" || len(in.RedirectURIs) != 1 ||
		in.Seed == nil || *in.Seed != 5 || in.AdminURL != in.APIURL+"/__admin" || in.AutoApprove != "alice" {
		t.Errorf("JSON line %+v", in)
	}
	if len(in.Users) != 8 || in.Users[5].Username != "alice" || in.Users[5].Name != "爱丽丝" || len(in.Users[5].Consented) != 3 {
		t.Errorf("users %+v", in.Users)
	}
	// --auto-approve: the authorize redirects at once, with a code for alice.
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	q := url.Values{"response_type": {"code"}, "client_id": {"my-app"}, "redirect_uri": {"http://localhost:3000/cb"},
		"scope": {"essential"}, "state": {"s"}}
	code, h, body := call(t, noFollow, "GET", in.AuthorizeURL+"?"+q.Encode(), nil)
	loc, _ := url.Parse(h.Get("Location"))
	if code != 302 || loc == nil || loc.Query().Get("code") == "" {
		t.Fatalf("authorize: %d %s %s", code, h.Get("Location"), body)
	}
	tok := call200(t, in, "authorization_code", url.Values{"code": {loc.Query().Get("code")}, "redirect_uri": {"http://localhost:3000/cb"}})
	code, _, body = call(t, http.DefaultClient, "GET", in.APIURL+"/v1/me/profile", nil, "Authorization", "Bearer "+tok)
	if code != 200 || !strings.Contains(body, `"account":"alice"`) || !strings.Contains(body, "爱丽丝") {
		t.Errorf("alice's profile: %d %s", code, body)
	}
	// --token-rejection-status 200: a refused token gets the 200 style.
	code, _, body = call(t, http.DefaultClient, "GET", in.APIURL+"/v1/me/profile", nil, "Authorization", "Bearer nope")
	if code != 200 || !strings.Contains(body, `"errno":10002`) {
		t.Errorf("a refused token: %d %s, want 200 with errno 10002", code, body)
	}
	// The admin API issues to the configured client by default.
	code, _, body = call(t, http.DefaultClient, "POST", in.AdminURL+"/tokens", nil)
	if code != 200 {
		t.Errorf("POST /tokens: %d %s", code, body)
	}
	if !strings.Contains(rf.stderr.String(), "jaccounttest: request") {
		t.Errorf("-v logs no request:\n%s", rf.stderr)
	}
}

// TestFakeCommandSeeded: two runs with the same seed hand out the same
// tokens.
func TestFakeCommandSeeded(t *testing.T) {
	t.Parallel()
	var tokens [2]string
	for i := range tokens {
		rf := startFakeCmd(t, "--seed", "11")
		tokens[i] = call200(t, rf.info, "client_credentials", url.Values{})
		rf.stop(t)
	}
	if tokens[0] != tokens[1] {
		t.Errorf("the same seed gave %s and %s", tokens[0], tokens[1])
	}
}

// TestFakeCommandRefused: bad flags and files are usage errors (exit 2)
// that say what is wrong, and nothing is served.
func TestFakeCommandRefused(t *testing.T) {
	t.Parallel()
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("users:\n  - username: a\n    password: p\n    name: A\n    type: wizard\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	noUsers := filepath.Join(t.TempDir(), "none.yaml")
	if err := os.WriteFile(noUsers, []byte("default_users: false\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--addr", "0.0.0.0:0"}, 2, "--addr 0.0.0.0:0 is not a loopback address"},
		{[]string{"--data-addr", "0.0.0.0:0"}, 2, "--data-addr 0.0.0.0:0 is not a loopback address"},
		{[]string{"--addr", "nonsense"}, 2, `--addr "nonsense"`},
		{[]string{"--users", bad}, 2, "bad.yaml: line 5: user type \"wizard\""},
		{[]string{"--users", noUsers}, 2, "no test accounts"},
		{[]string{"--users", filepath.Join(t.TempDir(), "missing.yaml")}, 2, "users file"},
		{[]string{"--redirect-uri", "callback"}, 2, `--redirect-uri "callback"`},
		{[]string{"--auto-approve", "nobody"}, 2, "--auto-approve nobody: no such test account"},
		{[]string{"--access-token-ttl", "0s"}, 2, "--access-token-ttl must be above 0"},
		{[]string{"--token-rejection-status", "99"}, 2, "--token-rejection-status 99: a status from 200 to 599"},
		{[]string{"--seed", "-1"}, 2, "invalid argument"},
		{[]string{"extra"}, 2, "unknown command"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			h := &harness{t: t, vars: map[string]string{}, dir: t.TempDir()}
			r := h.run(append([]string{"fake", "--addr", "127.0.0.1:0"}, tt.args...)...) // a later --addr wins
			if r.code != tt.code || !strings.Contains(r.stderr, tt.want) || r.stdout != "" {
				t.Errorf("%s\nwant exit %d and %q", r, tt.code, tt.want)
			}
		})
	}
}

// TestFakeCommandAllowRemote: with --allow-remote a non-loopback address
// is served, with a warning.
func TestFakeCommandAllowRemote(t *testing.T) {
	t.Parallel()
	rf := startFakeCmd(t, "--addr", "0.0.0.0:0", "--data-addr", "127.0.0.1:0", "--allow-remote")
	if !strings.Contains(rf.stderr.String(), "WARNING: listening on 0.0.0.0:") {
		t.Errorf("no warning:\n%s", rf.stderr)
	}
	if !strings.HasPrefix(rf.info.APIURL, "http://0.0.0.0:") {
		t.Errorf("api_url %s", rf.info.APIURL)
	}
}
