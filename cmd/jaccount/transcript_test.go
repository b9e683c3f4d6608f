package main_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the curl walk-through in docs/fake.md")

// The walk-through is the region of docs/fake.md between these markers.
const (
	docFile         = "../../docs/fake.md"
	transcriptStart = "<!-- transcript:start (go test ./cmd/jaccount -run TestFakeTranscript -update) -->\n"
	transcriptEnd   = "<!-- transcript:end -->\n"
)

// The addresses the walk-through shows: those of `jaccount fake` with its
// defaults. The test runs the fake on free ports and writes these instead.
const (
	docBase = "http://127.0.0.1:8700"
	docData = "http://127.0.0.1:8701"
)

// curl is one curl command of the walk-through: the test renders it as the
// reader types it and performs the same request with net/http, so that the
// command and its output cannot drift apart.
type curl struct {
	path   string   // after $J
	form   []string // -d key=value, sent as curl sends them (not encoded)
	json   string   // -d '<json>' with Content-Type: application/json
	bearer string   // -H "Authorization: Bearer ..."
	jar    bool     // -c jar -b jar: the fake's login-session cookie
	write  string   // -w '...' with -o /dev/null unless body: %{redirect_url}, %{http_code}
	body   bool     // the body is shown too (with write)
	grep   string   // | grep -o '<grep>' | head -1
}

// shellWord quotes a word for the shell when it needs it.
func shellWord(s string) string {
	if regexp.MustCompile(`^[A-Za-z0-9_./:=@%+-]+$`).MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// command renders the curl command line.
func (c curl) command() string {
	args := []string{"curl", "-s"}
	if c.write != "" {
		if !c.body {
			args = append(args, "-o", "/dev/null")
		}
		args = append(args, "-w", shellWord(c.write+`\n`))
	}
	if c.jar {
		args = append(args, "-c", "jar", "-b", "jar")
	}
	if c.bearer != "" {
		args = append(args, "-H", `"Authorization: Bearer `+c.bearer+`"`)
	}
	if c.json != "" {
		args = append(args, "-H", shellWord("Content-Type: application/json"))
	}
	args = append(args, `"$J`+c.path+`"`)
	for _, d := range c.form {
		args = append(args, "-d", shellWord(d))
	}
	if c.json != "" {
		args = append(args, "-d", shellWord(c.json))
	}
	line := strings.Join(args, " ")
	if c.grep != "" {
		line += " | grep -o " + shellWord(c.grep) + " | head -1"
	}
	return line
}

// run performs the request against base and returns what curl would print.
func (c curl) run(t *testing.T, client *http.Client, base string) string {
	t.Helper()
	method, body, ctype := http.MethodGet, "", ""
	switch {
	case c.json != "":
		method, body, ctype = http.MethodPost, c.json, "application/json"
	case c.form != nil:
		method, body, ctype = http.MethodPost, strings.Join(c.form, "&"), "application/x-www-form-urlencoded"
	}
	req, err := http.NewRequestWithContext(t.Context(), method, base+c.path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if c.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.bearer)
	}
	cl := *client
	if !c.jar {
		cl.Jar = nil
	}
	resp, err := cl.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", c.command(), err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var out string
	if c.write == "" || c.body {
		out = string(b)
	}
	if c.write != "" {
		loc := ""
		if l, err := resp.Location(); err == nil {
			loc = l.String()
		}
		out += strings.NewReplacer("%{redirect_url}", loc, "%{http_code}", fmt.Sprint(resp.StatusCode)).Replace(c.write) + "\n"
	}
	if c.grep != "" {
		m := regexp.MustCompile(c.grep).FindString(out)
		if m == "" {
			t.Fatalf("%s: no match in %s", c.command(), out)
		}
		out = m + "\n"
	}
	return out
}

// transcript collects the walk-through.
type transcript struct {
	t      *testing.T
	b      strings.Builder
	client *http.Client
	base   string
}

func (tr *transcript) comment(lines ...string) {
	for _, l := range lines {
		tr.b.WriteString("# " + l + "\n")
	}
}

func (tr *transcript) curl(c curl) string {
	out := c.run(tr.t, tr.client, tr.base)
	tr.b.WriteString("$ " + c.command() + "\n" + out)
	return out
}

// TestFakeTranscript runs the curl walk-through of docs/fake.md against
// `jaccount fake --seed 1 --admin`, and compares it with the file (-update
// rewrites it). The seed makes every code and token the same on each run;
// the ports are shown as the defaults', and the ID token and its times,
// which depend on the clock, as placeholders.
func TestFakeTranscript(t *testing.T) {
	p := startFake(t, "--seed", "1", "--admin")
	in := p.info
	var doc strings.Builder
	ports := strings.NewReplacer(in.APIURL, docBase, in.DataURL, docData)
	doc.WriteString("```console\n$ jaccount fake --seed 1 --admin\n" + ports.Replace(p.text) + "```\n\n")
	doc.WriteString("In another terminal: `J` is the fake's address, `jar` keeps its login-session cookie as a browser\nwould.\n\n")

	jar, _ := cookiejar.New(nil)
	tr := &transcript{t: t, base: in.APIURL, client: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	tr.b.WriteString("$ J=" + docBase + "\n")
	const (
		redirectURI = "http://127.0.0.1:3000/callback"
		verifier    = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk" // RFC 7636's example
		challenge   = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
		state       = "af0ifjsldkj"
		nonce       = "n-0S6_WzA2Mj"
	)
	creds := []string{"client_id=" + in.ClientID, "client_secret=" + in.ClientSecret}
	q := url.Values{"response_type": {"code"}, "client_id": {in.ClientID}, "redirect_uri": {redirectURI},
		"scope": {"openid essential"}, "state": {state}, "nonce": {nonce},
		"code_challenge": {challenge}, "code_challenge_method": {"S256"}}

	tr.comment("0. An OIDC client library reads the discovery document (the members of jAccount's own).")
	tr.curl(curl{path: "/oauth2/.well-known/openid-configuration"})

	tr.comment("1. The app sends the browser to the authorize URL (state, nonce, PKCE S256); the login page has a form ticket.")
	out := tr.curl(curl{path: "/oauth2/authorize?" + q.Encode(), jar: true, grep: `name="ticket" value="[^"]*"`})
	ticket := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(out), `name="ticket" value="`), `"`)

	tr.comment("2. The user signs in; the consent page lists the scopes asked for.")
	out = tr.curl(curl{path: "/oauth2/authorize", jar: true,
		form: []string{"ticket=" + ticket, "action=login", "username=zhangsan", "password=zhangsan-password"},
		grep: `<ul id="scopes">.*</ul>`})
	if !strings.Contains(out, "essential") {
		t.Fatalf("no consent page: %s", out)
	}

	tr.comment("3. The user allows: the fake redirects to the app with a code and the state.")
	out = tr.curl(curl{path: "/oauth2/authorize", jar: true, write: "%{redirect_url}",
		form: []string{"ticket=" + ticket, "action=approve"}})
	loc, err := url.Parse(strings.TrimSpace(out))
	if err != nil || loc.Query().Get("state") != state {
		t.Fatalf("approve: %s", out)
	}
	code := loc.Query().Get("code")

	tr.comment("4. The app exchanges the code, with its secret and the PKCE verifier.")
	out = tr.curl(curl{path: "/oauth2/token", form: append([]string{"grant_type=authorization_code", "code=" + code,
		"redirect_uri=" + redirectURI}, append(creds, "code_verifier="+verifier)...)})
	var tok struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
		IDToken      string `json:"id_token"`
	}
	if err := json.Unmarshal([]byte(out), &tok); err != nil || tok.IDToken == "" {
		t.Fatalf("exchange: %s", out)
	}
	claims := verifyIDToken(t, tok.IDToken, in.ClientSecret, in.Issuer, in.ClientID, nonce)
	header, _, _ := strings.Cut(tok.IDToken, ".")
	shown := tr.b.String()
	tr.b.Reset()
	tr.b.WriteString(strings.Replace(shown, tok.IDToken, header+".<claims>.<signature>", 1))
	claims["iat"], claims["exp"] = "<iat>", "<exp>"
	var cb bytes.Buffer
	enc := json.NewEncoder(&cb)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(claims); err != nil {
		t.Fatal(err)
	}
	tr.comment("The ID token is signed with HS256, keyed by the client secret; its claims (iat and exp vary):",
		ports.Replace(strings.TrimSpace(cb.String())))

	tr.comment("5. The app calls the API with the access token.")
	tr.curl(curl{path: "/v1/me/profile", bearer: tok.AccessToken})

	tr.comment("6. It refreshes the token: a new access token and a new refresh token (the old one is spent).")
	out = tr.curl(curl{path: "/oauth2/token", form: append([]string{"grant_type=refresh_token", "refresh_token=" + tok.RefreshToken}, creds...)})
	var refreshed struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal([]byte(out), &refreshed); err != nil || refreshed.AccessToken == "" {
		t.Fatalf("refresh: %s", out)
	}

	tr.comment("7. A test makes the next API call fail with 503 through the admin API; the app sees it.")
	tr.curl(curl{path: "/__admin/faults", json: `{"kind":"status","status":503,"endpoint":"api","times":1}`})
	out = tr.curl(curl{path: "/v1/me/profile", bearer: refreshed.AccessToken, write: "%{http_code}", body: true})
	if !strings.HasSuffix(out, "503\n") {
		t.Fatalf("the fault was not seen: %s", out)
	}

	tr.comment("8. The app logs the user out: the fake ends its session and redirects back.")
	tr.curl(curl{path: "/oauth2/logout?" + url.Values{"post_logout_redirect_uri": {"http://127.0.0.1:3000/"}}.Encode(),
		jar: true, write: "%{http_code} %{redirect_url}"})

	doc.WriteString("```console\n" + ports.Replace(tr.b.String()) + "```\n")
	got := doc.String()

	file, err := os.ReadFile(filepath.FromSlash(docFile))
	if err != nil {
		t.Fatal(err)
	}
	before, rest, ok1 := strings.Cut(string(file), transcriptStart)
	_, after, ok2 := strings.Cut(rest, transcriptEnd)
	if !ok1 || !ok2 {
		t.Fatalf("%s lacks the markers %q and %q", docFile, transcriptStart, transcriptEnd)
	}
	if *update {
		if err := os.WriteFile(filepath.FromSlash(docFile), []byte(before+transcriptStart+got+transcriptEnd+after), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if want, _, _ := strings.Cut(rest, transcriptEnd); want != got {
		t.Errorf("the walk-through in %s is out of date (go test ./cmd/jaccount -run TestFakeTranscript -update); it is now:\n%s", docFile, got)
	}
}
