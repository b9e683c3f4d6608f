package main_test

// These tests treat `jaccount fake` as a client in another language would:
// they build the binary, run it, read its JSON line and speak plain HTTP to
// it. On purpose, this file imports no package of jaccount-go.

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// binDir holds the binary built for these tests; TestMain removes it.
var binDir string

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		_ = os.RemoveAll(binDir)
	}
	os.Exit(code)
}

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// jaccountBinary builds the jaccount command once (with the race detector
// when this test binary has it) and returns its path. It skips only where
// no go command is found, and never when CI is set.
func jaccountBinary(t *testing.T) string {
	t.Helper()
	goCmd, err := exec.LookPath("go")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set but the go command is not found: %v", err)
		}
		t.Skipf("SKIPPING: no go command to build jaccount with (%v)", err)
	}
	buildOnce.Do(func() {
		if binDir, buildErr = os.MkdirTemp("", "jaccount-fake-test-"); buildErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "jaccount")
		if runtime.GOOS == "windows" {
			binPath += ".exe"
		}
		args := []string{"build", "-o", binPath}
		if raceEnabled {
			args = append(args, "-race")
		}
		cmd := exec.Command(goCmd, append(args, ".")...)
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = errors.New("go build: " + err.Error() + "\n" + string(out))
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// fakeInfo is the JSON line of `jaccount fake`, as a client reads it.
type fakeInfo struct {
	Issuer       string   `json:"issuer"`
	DiscoveryURL string   `json:"discovery_url"`
	AuthorizeURL string   `json:"authorize_url"`
	TokenURL     string   `json:"token_url"`
	LogoutURL    string   `json:"logout_url"`
	APIURL       string   `json:"api_url"`
	DataURL      string   `json:"data_url"`
	AdminURL     string   `json:"admin_url"`
	ClientID     string   `json:"client_id"`
	ClientSecret string   `json:"client_secret"`
	RedirectURIs []string `json:"redirect_uris"`
	Users        []struct {
		Username, Password, Name, Type string
	} `json:"users"`
}

// fakeProcess is a running `jaccount fake`.
type fakeProcess struct {
	info   fakeInfo
	text   string // stdout up to and with the JSON line
	cmd    *exec.Cmd
	stderr *lockedBuffer
	// exited is closed once the process has exited and been waited for,
	// with waitErr set.
	exited  chan struct{}
	waitErr error
}

// lockedBuffer is a bytes.Buffer safe for the process's writes and the
// test's reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// startFake runs `jaccount fake --addr 127.0.0.1:0 args...` and returns once
// it has printed its JSON line. The process is stopped when the test ends.
func startFake(t *testing.T, args ...string) *fakeProcess {
	t.Helper()
	bin := jaccountBinary(t)
	cmd := exec.Command(bin, append([]string{"fake", "--addr", "127.0.0.1:0"}, args...)...)
	p := &fakeProcess{cmd: cmd, stderr: &lockedBuffer{}, exited: make(chan struct{})}
	cmd.Stderr = p.stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			_ = cmd.Process.Kill()
			<-p.exited
		}
	})
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		_, _ = io.Copy(io.Discard, stdout)
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()
	// However this returns (t.Fatalf included), the rest of stdout is
	// drained, so that the process never blocks on it and is waited for.
	defer func() {
		go func() {
			for range lines {
			}
		}()
	}()
	var text strings.Builder
	timeout := time.After(time.Minute)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("jaccount fake ended before its JSON line:\n%s\n%s", text.String(), p.stderr)
			}
			text.WriteString(l + "\n")
			if !strings.HasPrefix(l, "{") {
				continue
			}
			if err := json.Unmarshal([]byte(l), &p.info); err != nil {
				t.Fatalf("the JSON line %q: %v", l, err)
			}
			p.text = text.String()
			return p
		case <-timeout:
			t.Fatalf("no JSON line from jaccount fake within a minute:\n%s\n%s", text.String(), p.stderr)
		}
	}
}

// stop sends sig and returns the exit code.
func (p *fakeProcess) stop(t *testing.T, sig os.Signal) int {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("signal %v: %v", sig, err)
	}
	select {
	case <-p.exited:
		var ee *exec.ExitError
		if errors.As(p.waitErr, &ee) {
			return ee.ExitCode()
		}
		if p.waitErr != nil {
			t.Fatal(p.waitErr)
		}
		return 0
	case <-time.After(30 * time.Second):
		t.Fatalf("jaccount fake did not exit within 30 s of %v:\n%s", sig, p.stderr)
		return -1
	}
}

// browserClient is a client with a cookie jar that does not follow
// redirects, as the login flow is driven one step at a time.
func browserClient() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// response is a reply read whole.
type response struct {
	status int
	header http.Header
	body   string
}

// send makes a request: a form body when form is not nil, then the
// headers as pairs.
func send(t *testing.T, c *http.Client, method, u string, form url.Values, header ...string) response {
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
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	return response{resp.StatusCode, resp.Header, string(b)}
}

// decode decodes a JSON body, failing the test when it is not JSON.
func decode[T any](t *testing.T, r response) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(r.body), &v); err != nil {
		t.Fatalf("status %d, body %q is not the JSON expected: %v", r.status, r.body, err)
	}
	return v
}

// tokenReply is an RFC 6749 token response.
type tokenReply struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
	IDToken      string `json:"id_token"`
	Scope        string `json:"scope"`
	Error        string `json:"error"`
}

// envelope is the API's reply.
type envelope struct {
	Errno    int               `json:"errno"`
	Error    string            `json:"error"`
	Entities []json.RawMessage `json:"entities"`
}

var (
	ticketRE = regexp.MustCompile(`name="ticket" value="([^"]+)"`)
	b64      = base64.RawURLEncoding
	// terminationSignals stop the fake gracefully.
	terminationSignals = []os.Signal{os.Interrupt, syscall.SIGTERM}
)

// pkce returns a verifier and its S256 challenge (RFC 7636).
func pkce() (verifier, challenge string) {
	verifier = rand.Text() + rand.Text() // 52 characters of [A-Z2-7]
	sum := sha256.Sum256([]byte(verifier))
	return verifier, b64.EncodeToString(sum[:])
}

// authorizeQuery is the query of an authorize request.
func authorizeQuery(clientID, redirectURI, scope, state, nonce, challenge string) string {
	return url.Values{"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {redirectURI},
		"scope": {scope}, "state": {state}, "nonce": {nonce},
		"code_challenge": {challenge}, "code_challenge_method": {"S256"}}.Encode()
}

// signIn fills in the login form of page as username, and returns the next
// reply (the consent page, or the redirect when consent is not needed).
func signIn(t *testing.T, c *http.Client, in fakeInfo, page response, username, password string) response {
	t.Helper()
	m := ticketRE.FindStringSubmatch(page.body)
	if page.status != 200 || m == nil || !strings.Contains(page.body, `id="password"`) {
		t.Fatalf("no login form: %d %s", page.status, page.body)
	}
	return send(t, c, "POST", in.AuthorizeURL, url.Values{"ticket": {m[1]}, "action": {"login"},
		"username": {username}, "password": {password}})
}

// approve answers the consent page with "allow".
func approve(t *testing.T, c *http.Client, in fakeInfo, page response) response {
	t.Helper()
	m := ticketRE.FindStringSubmatch(page.body)
	if page.status != 200 || m == nil || !strings.Contains(page.body, `id="approve"`) {
		t.Fatalf("no consent page: %d %s", page.status, page.body)
	}
	return send(t, c, "POST", in.AuthorizeURL, url.Values{"ticket": {m[1]}, "action": {"approve"}})
}

// codeOf checks a redirect to redirectURI with state and returns its code.
func codeOf(t *testing.T, r response, redirectURI, state string) string {
	t.Helper()
	loc, err := url.Parse(r.header.Get("Location"))
	if r.status != http.StatusFound || err != nil {
		t.Fatalf("want a redirect, got %d %q: %s", r.status, r.header.Get("Location"), r.body)
	}
	if got := loc.Scheme + "://" + loc.Host + loc.Path; got != redirectURI || loc.Query().Get("state") != state ||
		loc.Query().Get("code") == "" {
		t.Fatalf("redirected to %s, want %s with state %s and a code", loc, redirectURI, state)
	}
	return loc.Query().Get("code")
}

// verifyIDToken checks the HS256 signature with secret and the claims iss,
// aud, nonce, exp and iat by hand, and returns the claims.
func verifyIDToken(t *testing.T, raw, secret, issuer, audience, nonce string) map[string]any {
	t.Helper()
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		t.Fatalf("the ID token has %d parts", len(parts))
	}
	var header struct{ Alg, Typ string }
	h, err := b64.DecodeString(parts[0])
	if err != nil || json.Unmarshal(h, &header) != nil || header.Alg != "HS256" {
		t.Fatalf("ID token header %s: want alg HS256", h)
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(parts[0] + "." + parts[1]))
	sig, err := b64.DecodeString(parts[2])
	if err != nil || !hmac.Equal(sig, mac.Sum(nil)) {
		t.Fatal("the ID token's HS256 signature does not verify with the printed client secret")
	}
	payload, err := b64.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	if err := dec.Decode(&claims); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	seconds := func(name string) time.Time {
		n, ok := claims[name].(json.Number)
		v, err := n.Int64()
		if !ok || err != nil {
			t.Fatalf("claim %s = %v, want seconds", name, claims[name])
		}
		return time.Unix(v, 0)
	}
	aud := claims["aud"]
	if list, ok := aud.([]any); ok && len(list) == 1 {
		aud = list[0]
	}
	switch {
	case claims["iss"] != issuer:
		t.Errorf("iss = %v, want the printed issuer %s", claims["iss"], issuer)
	case aud != audience:
		t.Errorf("aud = %v, want the client id %s", claims["aud"], audience)
	case claims["nonce"] != nonce:
		t.Errorf("nonce = %v, want %s", claims["nonce"], nonce)
	case !seconds("exp").After(now):
		t.Errorf("exp %v is not in the future", seconds("exp"))
	case seconds("iat").After(now.Add(time.Minute)):
		t.Errorf("iat %v is in the future", seconds("iat"))
	}
	return claims
}

// TestFakeOutsideCodeFlow drives the whole authorization-code flow with
// PKCE (S256) and a nonce against the binary, as an app in any language
// would, then the API, a refresh, the admin API's fault and the logout.
func TestFakeOutsideCodeFlow(t *testing.T) {
	t.Parallel()
	p := startFake(t, "--admin")
	in := p.info
	for _, u := range []string{in.Issuer, in.DiscoveryURL, in.AuthorizeURL, in.TokenURL, in.LogoutURL, in.APIURL, in.DataURL, in.AdminURL} {
		if !strings.HasPrefix(u, "http://127.0.0.1:") {
			t.Fatalf("the JSON line has %q, want loopback URLs: %+v", u, in)
		}
	}
	if len(in.Users) == 0 || in.Users[0].Username != "zhangsan" || in.ClientSecret == "" || len(in.RedirectURIs) == 0 {
		t.Fatalf("the JSON line lacks the client or the users: %+v", in)
	}
	for _, want := range []string{in.AuthorizeURL, in.ClientSecret, in.Users[0].Password} {
		if !strings.Contains(strings.TrimSuffix(p.text, "\n"), want) {
			t.Errorf("the text lacks %q", want)
		}
	}
	// An OIDC client library starts from the discovery document.
	disc := decode[struct {
		Issuer                string   `json:"issuer"`
		AuthorizationEndpoint string   `json:"authorization_endpoint"`
		TokenEndpoint         string   `json:"token_endpoint"`
		Algs                  []string `json:"id_token_signing_alg_values_supported"`
	}](t, send(t, http.DefaultClient, "GET", in.DiscoveryURL, nil))
	if disc.Issuer != in.Issuer || disc.AuthorizationEndpoint != in.AuthorizeURL || disc.TokenEndpoint != in.TokenURL ||
		len(disc.Algs) != 1 || disc.Algs[0] != "HS256" {
		t.Errorf("discovery document %+v, want the printed endpoints and HS256", disc)
	}
	const redirectURI = "http://127.0.0.1:3000/callback" // registered without a port: any port matches
	student := in.Users[0]
	c := browserClient()
	verifier, challenge := pkce()
	state, nonce := rand.Text(), rand.Text()

	page := send(t, c, "GET", in.AuthorizeURL+"?"+authorizeQuery(in.ClientID, redirectURI, "openid essential", state, nonce, challenge), nil)
	consent := signIn(t, c, in, page, student.Username, student.Password)
	if !strings.Contains(consent.body, student.Name) {
		t.Errorf("the consent page does not greet %s", student.Name)
	}
	code := codeOf(t, approve(t, c, in, consent), redirectURI, state)

	exchange := func(code, verifier string) response {
		return send(t, http.DefaultClient, "POST", in.TokenURL, url.Values{"grant_type": {"authorization_code"},
			"code": {code}, "redirect_uri": {redirectURI}, "client_id": {in.ClientID},
			"client_secret": {in.ClientSecret}, "code_verifier": {verifier}})
	}
	tok := decode[tokenReply](t, exchange(code, verifier))
	if tok.AccessToken == "" || tok.RefreshToken == "" || tok.TokenType != "bearer" || tok.ExpiresIn <= 0 {
		t.Fatalf("token reply %+v", tok)
	}
	claims := verifyIDToken(t, tok.IDToken, in.ClientSecret, in.Issuer, in.ClientID, nonce)
	if claims["sub"] != student.Username || claims["name"] != student.Name || claims["type"] != student.Type {
		t.Errorf("ID token claims %v, want %s", claims, student.Username)
	}
	// A second login in the same browser: the session skips the forms, and
	// PKCE refuses another verifier.
	_, challenge2 := pkce()
	again := send(t, c, "GET", in.AuthorizeURL+"?"+authorizeQuery(in.ClientID, redirectURI, "essential", "s2", "n2", challenge2), nil)
	if r := exchange(codeOf(t, again, redirectURI, "s2"), verifier); r.status != 400 || decode[tokenReply](t, r).Error != "invalid_grant" {
		t.Errorf("a wrong code_verifier: %d %s, want invalid_grant", r.status, r.body)
	}

	profile := func(token string) response {
		return send(t, http.DefaultClient, "GET", in.APIURL+"/v1/me/profile", nil, "Authorization", "Bearer "+token)
	}
	r := profile(tok.AccessToken)
	env := decode[envelope](t, r)
	var me struct{ Account, Name string }
	if r.status != 200 || env.Errno != 0 || len(env.Entities) != 1 || json.Unmarshal(env.Entities[0], &me) != nil ||
		me.Account != student.Username || me.Name != student.Name {
		t.Fatalf("profile: %d %s", r.status, r.body)
	}

	refresh := func(rt string) response {
		return send(t, http.DefaultClient, "POST", in.TokenURL, url.Values{"grant_type": {"refresh_token"},
			"refresh_token": {rt}, "client_id": {in.ClientID}, "client_secret": {in.ClientSecret}})
	}
	refreshed := decode[tokenReply](t, refresh(tok.RefreshToken))
	if refreshed.AccessToken == "" || refreshed.AccessToken == tok.AccessToken || refreshed.RefreshToken == tok.RefreshToken {
		t.Fatalf("refresh reply %+v", refreshed)
	}
	if r := refresh(tok.RefreshToken); decode[tokenReply](t, r).Error != "invalid_grant" {
		t.Errorf("a spent refresh token: %d %s, want invalid_grant", r.status, r.body)
	}
	if r := profile(refreshed.AccessToken); r.status != 200 {
		t.Errorf("profile with the refreshed token: %d %s", r.status, r.body)
	}

	// The admin API injects one 503 on the API: the client sees it, then
	// the service again.
	fault := send(t, http.DefaultClient, "POST", in.AdminURL+"/faults", nil)
	if fault.status != 400 {
		t.Errorf("POST /faults without a body: %d, want 400", fault.status)
	}
	req, _ := http.NewRequestWithContext(t.Context(), "POST", in.AdminURL+"/faults",
		strings.NewReader(`{"kind":"status","status":503,"endpoint":"api","times":1}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST /faults: %s", resp.Status)
	}
	if r := profile(refreshed.AccessToken); r.status != 503 || decode[envelope](t, r).Errno != 10004 {
		t.Errorf("after injecting a 503: %d %s, want 503 with errno 10004", r.status, r.body)
	}
	if r := profile(refreshed.AccessToken); r.status != 200 {
		t.Errorf("after the fault was spent: %d %s", r.status, r.body)
	}
	log := send(t, http.DefaultClient, "GET", in.AdminURL+"/requests", nil)
	if log.status != 200 || !strings.Contains(log.body, `"fault":true`) {
		t.Errorf("GET /requests: %d, want the faulted request logged: %s", log.status, log.body)
	}
	for name, secret := range map[string]string{"code": code, "access token": tok.AccessToken,
		"refresh token": tok.RefreshToken, "ID token": tok.IDToken, "refreshed access token": refreshed.AccessToken,
		"client secret": in.ClientSecret, "password": student.Password, "verifier": verifier} {
		if strings.Contains(log.body, secret) {
			t.Errorf("the admin request log shows the %s", name)
		}
	}

	// Logout ends the session: the next authorize shows the login form.
	out := send(t, c, "GET", in.LogoutURL+"?"+url.Values{"post_logout_redirect_uri": {"http://127.0.0.1:3000/"}}.Encode(), nil)
	if out.status != http.StatusFound || out.header.Get("Location") != "http://127.0.0.1:3000/" {
		t.Errorf("logout: %d %q", out.status, out.header.Get("Location"))
	}
	after := send(t, c, "GET", in.AuthorizeURL+"?"+authorizeQuery(in.ClientID, redirectURI, "essential", "s3", "n3", challenge), nil)
	if after.status != 200 || !strings.Contains(after.body, `id="password"`) {
		t.Errorf("authorize after logout: %d, want the login form", after.status)
	}

	// A code used twice is refused, and the tokens it gave are revoked
	// (RFC 6749 section 4.1.2), refreshed ones included.
	if r := exchange(code, verifier); r.status != 400 || decode[tokenReply](t, r).Error != "invalid_grant" {
		t.Errorf("a code used twice: %d %s, want invalid_grant", r.status, r.body)
	}
	if r := profile(refreshed.AccessToken); r.status != 403 || decode[envelope](t, r).Errno != 10002 {
		t.Errorf("a token of a replayed code: %d %s, want 403 with errno 10002", r.status, r.body)
	}
	if runtime.GOOS != "windows" {
		if code := p.stop(t, os.Interrupt); code != 0 {
			t.Errorf("exit code %d after SIGINT:\n%s", code, p.stderr)
		}
	}
}

// TestFakeOutsideUsersFile loads the documented users file and signs in
// as one of its users with the file's application; her consented scopes
// skip the consent page.
func TestFakeOutsideUsersFile(t *testing.T) {
	t.Parallel()
	p := startFake(t, "--users", filepath.Join("testdata", "fake-users.yaml"))
	in := p.info
	if in.ClientID != "my-app" {
		t.Fatalf("client %q, want the file's my-app", in.ClientID)
	}
	var alice struct{ Username, Password, Name, Type string }
	for _, u := range in.Users {
		if u.Username == "alice" {
			alice = u
		}
	}
	if alice.Password == "" || alice.Name != "爱丽丝" {
		t.Fatalf("the file's user alice is not among %+v", in.Users)
	}
	const redirectURI = "http://localhost:5000/auth/jaccount/callback"
	c := browserClient()
	verifier, challenge := pkce()
	page := send(t, c, "GET", in.AuthorizeURL+"?"+authorizeQuery(in.ClientID, redirectURI, "openid essential", "st", "nn", challenge), nil)
	code := codeOf(t, signIn(t, c, in, page, alice.Username, alice.Password), redirectURI, "st")
	tok := decode[tokenReply](t, send(t, http.DefaultClient, "POST", in.TokenURL, url.Values{
		"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirectURI},
		"client_id": {in.ClientID}, "client_secret": {in.ClientSecret}, "code_verifier": {verifier}}))
	claims := verifyIDToken(t, tok.IDToken, in.ClientSecret, in.Issuer, in.ClientID, "nn")
	if claims["sub"] != "alice" || claims["name"] != "爱丽丝" || claims["type"] != "student" || claims["code"] != "523031910042" {
		t.Errorf("alice's claims %v", claims)
	}
	r := send(t, http.DefaultClient, "GET", in.APIURL+"/v1/me/profile", nil, "Authorization", "Bearer "+tok.AccessToken)
	if r.status != 200 || !strings.Contains(r.body, `"account":"alice"`) || !strings.Contains(r.body, "计算机科学与技术") {
		t.Errorf("alice's profile: %d %s", r.status, r.body)
	}
}

// TestFakeOutsideSignals: SIGTERM and SIGINT stop the fake gracefully,
// with exit code 0. Windows cannot send either to a process.
func TestFakeOutsideSignals(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("SKIPPING: Windows cannot send SIGINT or SIGTERM to another process")
	}
	for _, sig := range terminationSignals {
		t.Run(sig.String(), func(t *testing.T) {
			t.Parallel()
			p := startFake(t)
			if code := p.stop(t, sig); code != 0 {
				t.Errorf("exit code %d after %v:\n%s", code, sig, p.stderr)
			}
			if !strings.Contains(p.stderr.String(), "shutting down") {
				t.Errorf("stderr %q", p.stderr)
			}
		})
	}
}

// TestFakeOutsideRemoteRefused: a non-loopback address needs
// --allow-remote; the fake exits 2 without serving.
func TestFakeOutsideRemoteRefused(t *testing.T) {
	t.Parallel()
	cmd := exec.Command(jaccountBinary(t), "fake", "--addr", "0.0.0.0:0")
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 || !strings.Contains(string(out), "--allow-remote") {
		t.Errorf("jaccount fake --addr 0.0.0.0:0: %v\n%s", err, out)
	}
}
