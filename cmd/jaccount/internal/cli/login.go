package cli

import (
	"context"
	"fmt"
	"html"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/oauth-jaccount/jaccount-go/auth"
)

// loginOptions are the login command's flags.
type loginOptions struct {
	noBrowser         bool
	clientCredentials bool
	timeout           time.Duration
}

// defaultLoginTimeout bounds the wait for the browser.
const defaultLoginTimeout = 5 * time.Minute

// login runs the authorization-code flow with PKCE and nonce through a
// loopback redirect, or client mode, and stores the token.
func (a *app) login(ctx context.Context, o loginOptions) error {
	s := a.settings
	if err := s.requireClient(); err != nil {
		return err
	}
	cfg := s.authConfig()
	if o.clientCredentials {
		// Client mode asks for no scope unless told to: the default list is
		// the user's (openid, lessons, ...), which client mode cannot have.
		if s.scopes.source == "default" {
			cfg.Scopes = nil
		}
		ts, err := cfg.ClientCredentialsSource(nil)
		if err != nil {
			return err
		}
		tok, err := ts.AuthToken(ctx)
		if err != nil {
			return fmt.Errorf("client-credentials login: %w", err)
		}
		// The new token replaces the previous login only once it is had.
		if _, err := s.removeLogin(); err != nil {
			return err
		}
		if err := s.saveLogin(ctx, tok, &loginInfo{Grant: grantClientCredentials, ClientID: cfg.ClientID,
			Scopes: cfg.Scopes, LoggedIn: time.Now().UTC()}); err != nil {
			return err
		}
		a.notef("Logged in as application %s (client credentials; profile %s)", cfg.ClientID, s.profile.v)
		return nil
	}

	tok, err := a.browserLogin(ctx, cfg, o)
	if err != nil {
		return err
	}
	if _, err := s.removeLogin(); err != nil {
		return err
	}
	info := &loginInfo{Grant: grantAuthCode, ClientID: cfg.ClientID, Scopes: cfg.Scopes, LoggedIn: time.Now().UTC()}
	if tok.Claims != nil {
		info.Subject = tok.Claims.Subject
	}
	if err := s.saveLogin(ctx, tok, info); err != nil {
		return err
	}
	who := "(no ID token: add the openid scope to see who)"
	if c := tok.Claims; c != nil {
		who = c.Subject
		if c.Name != "" {
			who += " (" + c.Name + ")"
		}
	}
	a.notef("Logged in as %s (profile %s)", who, s.profile.v)
	return nil
}

// browserLogin listens on the loopback redirect, sends the user's browser
// to the authorize URL and completes the login when jAccount redirects back.
func (a *app) browserLogin(ctx context.Context, cfg *auth.Config, o loginOptions) (*auth.Token, error) {
	addr, path, err := loopback(cfg.RedirectURL)
	if err != nil {
		return nil, err
	}
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listening for the login callback on %s: %w", addr, err)
	}
	redirect := (&url.URL{Scheme: "http", Host: ln.Addr().String(), Path: path}).String()
	req, err := cfg.AuthCodeURL(auth.WithNonce(), auth.WithPKCE(), auth.WithRedirectURL(redirect))
	if err != nil {
		_ = ln.Close()
		return nil, err
	}

	type result struct {
		tok *auth.Token
		err error
	}
	done := make(chan result, 1)
	mux := http.NewServeMux()
	fail := func(err error) {
		select {
		case done <- result{err: err}:
		default:
		}
	}
	mux.HandleFunc(path, recovering(fail, func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		// Anything but this login's own state is ignored: a stray or
		// forged request must not end the login.
		if auth.CheckState(req.State, q.Get("state")) != nil {
			http.Error(w, "This is not the callback of the jaccount login in progress.", http.StatusBadRequest)
			return
		}
		tok, err := cfg.HandleCallback(r.Context(), req, q)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, "<!doctype html><title>jaccount</title><p>Login failed: %s</p><p>Return to the terminal.</p>", html.EscapeString(err.Error()))
		} else {
			fmt.Fprint(w, "<!doctype html><title>jaccount</title><p>Logged in. You can close this tab and return to the terminal.</p>")
		}
		select {
		case done <- result{tok, err}:
		default:
		}
	}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer func() { _ = srv.Close() }()

	if o.noBrowser || a.env.OpenBrowser == nil {
		a.notef("Open this URL in your browser to log in:\n%s", req.URL)
	} else {
		a.notef("Opening %s in your browser to log in.", hostOf(req.URL))
		if err := a.env.OpenBrowser(req.URL); err != nil {
			a.notef("Could not open a browser (%v); open this URL to log in:\n%s", err, req.URL)
		}
	}
	a.notef("Waiting for jAccount to redirect to %s ...", redirect)

	timeout := o.timeout
	if timeout <= 0 {
		timeout = defaultLoginTimeout
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case r := <-done:
		if r.err != nil {
			return nil, fmt.Errorf("login: %w", r.err)
		}
		return r.tok, nil
	case <-timer.C:
		return nil, fmt.Errorf("login: no redirect from jAccount within %v", timeout)
	case <-ctx.Done():
		return nil, fmt.Errorf("login: %w", ctx.Err())
	}
}

// recovering is h, which hands a panic to fail as a *panicError (ending
// the login with it) instead of letting net/http log it with its stack.
func recovering(fail func(error), h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				fail(newPanicError(p))
				http.Error(w, "jaccount failed; return to the terminal.", http.StatusInternalServerError)
			}
		}()
		h(w, r)
	}
}

// hostOf returns the scheme and host of u, for messages.
func hostOf(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "the jAccount login page"
	}
	return p.Scheme + "://" + p.Host + p.Path
}

// logout removes the stored token and ends the jAccount browser session.
func (a *app) logout(noBrowser bool) error {
	s := a.settings
	info, _ := s.loadLogin()
	had, err := s.removeLogin()
	if err != nil {
		return err
	}
	if !had {
		a.notef("Profile %s was not logged in.", s.profile.v)
	} else {
		a.notef("Removed the saved login of profile %s.", s.profile.v)
	}
	if info != nil && info.Grant == grantClientCredentials {
		return nil // no browser session to end
	}
	cfg := s.authConfig()
	if info != nil {
		cfg.ClientID = info.ClientID
	}
	u, err := cfg.LogoutURL("")
	if err != nil {
		return err
	}
	if noBrowser || a.env.OpenBrowser == nil {
		a.notef("To end the jAccount session in your browser too, open:\n%s", u)
		return nil
	}
	if err := a.env.OpenBrowser(u); err != nil {
		a.notef("Could not open a browser (%v); to end the jAccount session too, open:\n%s", err, u)
	}
	return nil
}
