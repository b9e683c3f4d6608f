// Command quickstart walks the whole jAccount flow a new user of this SDK
// wants to see: the authorize URL, the login, the code, the tokens and the
// ID-token claims, the profile and each legacy API (positions, rights,
// lessons, examinations), a forced refresh and the logout URL.
//
//	go run ./examples/quickstart
//
// With no configuration it starts the embedded fake jAccount and logs in
// programmatically as its fixture student. With JACCOUNT_CLIENT_ID,
// JACCOUNT_CLIENT_SECRET and JACCOUNT_REDIRECT_URL set, it runs against the
// real jAccount: it prints the authorize URL for you to open and receives the
// callback on the redirect URL's loopback port (register e.g.
// http://127.0.0.1:8080/callback with your application).
//
// Secrets are never printed whole: tokens and codes show their first four
// characters.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/oauth-jaccount/jaccount-go/api"
	"github.com/oauth-jaccount/jaccount-go/auth"
	"github.com/oauth-jaccount/jaccount-go/examples/internal/setup"
	"github.com/oauth-jaccount/jaccount-go/jaccounttest"
)

// scopes are what the quickstart asks for: the ID token, the profile and
// the legacy APIs.
var scopes = []string{"openid", "basic", "essential", "profile", "lessons", "exams"}

// loginTimeout bounds the wait for the browser against the real jAccount.
const loginTimeout = 5 * time.Minute

func main() {
	setup.Main("quickstart", func(ctx context.Context, env *setup.Env) error { return run(ctx, env, os.Stdout) })
}

// printer numbers the steps it prints.
type printer struct {
	w    io.Writer
	step int
}

func (p *printer) title(format string, args ...any) {
	p.step++
	fmt.Fprintf(p.w, "\n%d. %s\n", p.step, fmt.Sprintf(format, args...))
}

func (p *printer) line(format string, args ...any) {
	fmt.Fprintf(p.w, "   %s\n", fmt.Sprintf(format, args...))
}

// run performs the whole flow against env and prints it to out.
func run(ctx context.Context, env *setup.Env, out io.Writer) error {
	p := &printer{w: out}
	fmt.Fprintf(out, "jAccount quickstart against %s\n", env.Where())
	if env.Fake != nil {
		fmt.Fprintf(out, "(set %s, %s and %s to use the real jAccount)\n", setup.EnvClientID, setup.EnvClientSecret, setup.EnvRedirectURL)
	}

	cb, err := listenCallback(env)
	if err != nil {
		return err
	}
	defer cb.close()
	cfg := *env.Config
	cfg.RedirectURL = cb.redirectURL
	cfg.Scopes = scopes

	p.title("Authorize URL (open it in a browser; state, nonce and PKCE are fresh)")
	req, err := cfg.AuthCodeURL(auth.WithNonce(), auth.WithPKCE())
	if err != nil {
		return err
	}
	p.line("%s", req.URL)

	p.title("Log in")
	if env.Fake != nil {
		p.line("signing in as %s on the fake's login page (programmatically) and approving the consent", jaccounttest.StudentUsername)
		if err := fakeBrowser(ctx, env.Fake, req.URL); err != nil {
			return err
		}
	} else {
		p.line("open the URL above; waiting up to %v for the callback on %s", loginTimeout, cb.redirectURL)
	}
	callback, err := cb.wait(ctx, loginTimeout)
	if err != nil {
		return err
	}
	q := callback.Query()
	p.line("jAccount redirected to %s?code=%s&state=%s", cb.redirectURL, setup.Redact(q.Get("code")), q.Get("state"))

	p.title("Authorization code")
	// One call checks the state first (constant time), then jAccount's
	// error parameter, then exchanges the code with the PKCE verifier and
	// checks the ID token's nonce.
	p.line("checking the state, then exchanging code %s (single use, short-lived)", setup.Redact(q.Get("code")))
	tok, err := cfg.HandleCallback(ctx, req, q)
	if err != nil {
		return fmt.Errorf("complete the login: %w", err)
	}

	p.title("Tokens and ID-token claims")
	printToken(p, tok)
	if c := tok.Claims; c != nil {
		p.line("ID token (HS256 with the client secret, verified):")
		p.line("  iss %s  aud %s  nonce checked", c.Issuer, strings.Join(c.Audience, ","))
		p.line("  sub %s  name %s  code %s  type %s", c.Subject, c.Name, c.Code, c.Type)
		p.line("  issued %s, expires %s", c.IssuedAt.UTC().Format(time.RFC3339), c.ExpiresAt.UTC().Format(time.RFC3339))
	}

	ts, err := cfg.TokenSource(tok)
	if err != nil {
		return err
	}
	client, err := env.NewAPI(ts)
	if err != nil {
		return err
	}
	if err := printAPIs(ctx, p, client); err != nil {
		return err
	}

	p.title("Forced refresh (what to do when the API rejects a token that looked valid)")
	if _, err := ts.ForceRefresh(ctx, nil); err != nil {
		return fmt.Errorf("refresh: %w", err)
	}
	fresh, err := ts.AuthToken(ctx)
	if err != nil {
		return fmt.Errorf("refresh: %w", err)
	}
	printToken(p, fresh)
	if fresh.RefreshToken != tok.RefreshToken {
		p.line("the refresh token rotated: the old one is spent, keep the new one")
	}

	p.title("Logout URL (ends the jAccount session too; without it the next login is silent)")
	logout, err := cfg.LogoutURL(cb.baseURL)
	if err != nil {
		return err
	}
	p.line("%s", logout)
	fmt.Fprintln(out, "\nDone.")
	return nil
}

func printToken(p *printer, t *auth.Token) {
	p.line("access token  %s (%s, expires %s)", setup.Redact(t.AccessToken), t.TokenType, t.Expiry.UTC().Format(time.RFC3339))
	p.line("refresh token %s", setup.Redact(t.RefreshToken))
	if t.Scope != "" {
		p.line("scope         %s", t.Scope)
	}
}

// sortedKeys returns m's keys in order, for stable output of free-form
// entities.
func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// cst is China Standard Time, in which jAccount's epoch-millisecond times
// are meant.
var cst = time.FixedZone("CST", 8*3600)

// describe prints a free-form entity (a right, an examination): its name,
// then its other fields, with epoch-millisecond "...Time" fields as times.
func describe(m map[string]any) string {
	var rest []string
	for _, k := range sortedKeys(m) {
		if k == "name" {
			continue
		}
		v := m[k]
		if ms, ok := v.(float64); ok && strings.HasSuffix(k, "Time") {
			v = time.UnixMilli(int64(ms)).In(cst).Format("2006-01-02 15:04")
		}
		rest = append(rest, fmt.Sprintf("%s=%v", k, v))
	}
	if name, ok := m["name"]; ok {
		return fmt.Sprintf("%v (%s)", name, strings.Join(rest, ", "))
	}
	return strings.Join(rest, ", ")
}

// rightPath names a right under the rights it belongs to, top first:
// "图书馆 > 图书借阅 [library.borrow]".
func rightPath(r api.UserRight) string {
	var names []string
	for p := r.Parent; p != nil && len(names) < 10; p = p.Parent {
		names = append([]string{p.Name}, names...)
	}
	return strings.Join(append(names, r.Name), " > ") + " [" + r.Code + "]"
}

// printAPIs calls the profile and each legacy API and prints the results.
func printAPIs(ctx context.Context, p *printer, c *api.Client) error {
	p.title("Profile (GET /v1/me/profile)")
	prof, err := c.Profile.Get(ctx)
	if err != nil {
		return fmt.Errorf("profile: %w", err)
	}
	p.line("%s (%s), %s %s, %s", prof.Name, prof.Account, prof.UserType, prof.Code, prof.Organize.Name)
	for _, id := range prof.Identities {
		p.line("identity: %s %s at %s, default %v", id.UserTypeName, id.Code, id.Organize.Name, id.IsDefault)
	}

	p.title("Positions (GET /v1/enterprise/user/positions)")
	pos, err := c.Enterprise.GetUserPositions(ctx)
	if err != nil {
		return fmt.Errorf("positions: %w", err)
	}
	for _, x := range pos.Positions {
		p.line("%s [%s] at %s", x.Post.PostName, x.Post.PostCode, x.Dept.OrganizeName)
	}

	p.title("Rights (GET /v1/enterprise/user/rights)")
	// Without account: the signed-in user's own rights.
	rights, err := c.Enterprise.GetUserRights(ctx, api.EnterpriseGetUserRightsParams{})
	if err != nil {
		return fmt.Errorf("rights: %w", err)
	}
	for _, r := range rights.Items {
		p.line("%s", rightPath(r))
	}

	p.title("Lessons of the current semester (GET /v1/me/lessons)")
	lessons, err := c.Lessons.List(ctx)
	if err != nil {
		return fmt.Errorf("lessons: %w", err)
	}
	for _, l := range lessons.Items {
		var teachers []string
		for _, t := range l.Teachers {
			teachers = append(teachers, t.Name)
		}
		p.line("%s %s, %g credits, %s", l.Course.Code, l.Name, l.Credits, strings.Join(teachers, ", "))
	}

	p.title("Examinations (GET /v1/me/examinations)")
	exams, err := c.Examinations.List(ctx)
	if err != nil {
		return fmt.Errorf("examinations: %w", err)
	}
	for _, e := range exams.Items {
		p.line("%s", describe(e))
	}
	if len(exams.Items) == 0 {
		p.line("(none)")
	}
	return nil
}

// callbackServer receives the redirect from jAccount on a loopback port.
type callbackServer struct {
	redirectURL string // where jAccount sends the browser
	baseURL     string // the server's root, for the logout redirect
	srv         *http.Server
	got         chan *url.URL
}

// listenCallback listens on the redirect URL's port: the configured one
// against the real jAccount (it must be a loopback http URL), any free port
// against the fake.
func listenCallback(env *setup.Env) (*callbackServer, error) {
	u := &url.URL{Scheme: "http", Host: "127.0.0.1:0", Path: "/callback"}
	if env.Fake == nil {
		var err error
		if u, err = url.Parse(env.Config.RedirectURL); err != nil {
			return nil, fmt.Errorf("%s: %w", setup.EnvRedirectURL, err)
		}
		if ip := net.ParseIP(u.Hostname()); u.Scheme != "http" || (u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback())) {
			return nil, fmt.Errorf("%s must be a loopback http URL such as http://127.0.0.1:8080/callback", setup.EnvRedirectURL)
		}
	}
	ln, err := net.Listen("tcp", u.Host)
	if err != nil {
		return nil, fmt.Errorf("listen for the callback: %w", err)
	}
	if env.Fake != nil {
		u.Host = ln.Addr().String()
	}
	cb := &callbackServer{redirectURL: u.String(), baseURL: u.Scheme + "://" + u.Host + "/", got: make(chan *url.URL, 1)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+u.Path, func(w http.ResponseWriter, r *http.Request) {
		select {
		case cb.got <- r.URL:
			fmt.Fprintln(w, "jAccount login complete; return to the terminal.")
		default:
			http.Error(w, "login already completed", http.StatusConflict)
		}
	})
	cb.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = cb.srv.Serve(ln) }()
	return cb, nil
}

func (cb *callbackServer) wait(ctx context.Context, timeout time.Duration) (*url.URL, error) {
	select {
	case u := <-cb.got:
		return u, nil
	case <-time.After(timeout):
		return nil, errors.New("no callback from jAccount in time")
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (cb *callbackServer) close() { _ = cb.srv.Close() }

// fakeBrowser plays the user's browser against the fake: it logs in as the
// fixture student and follows the redirect to the callback.
func fakeBrowser(ctx context.Context, fake *jaccounttest.Server, authURL string) error {
	loc, err := fake.Login(ctx, nil, authURL, jaccounttest.StudentUsername, jaccounttest.StudentPassword)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, loc.String(), nil)
	if err != nil {
		return fmt.Errorf("follow the redirect: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("follow the redirect: %w", err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.Body.Close()
}
