package cli

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/oauth-jaccount/jaccount-go/jaccounttest"
)

// fakeJAccount is the embedded fake of --fake and the directory its login
// is kept in (never the user's configuration).
type fakeJAccount struct {
	srv *jaccounttest.Server
	dir string
}

func (f *fakeJAccount) close() {
	f.srv.Close()
	_ = os.RemoveAll(f.dir)
}

// startFake starts the fake jAccount (checking PKCE) and points the
// settings at it, with a temporary configuration directory.
func (a *app) startFake(context.Context) error {
	dir, err := os.MkdirTemp("", "jaccount-fake-")
	if err != nil {
		return fmt.Errorf("--fake: %w", err)
	}
	srv, err := jaccounttest.Start(append([]jaccounttest.Option{jaccounttest.WithPKCE()}, a.env.fakeOptions...)...)
	if err != nil {
		_ = os.RemoveAll(dir)
		return fmt.Errorf("--fake: %w", err)
	}
	a.fake = &fakeJAccount{srv: srv, dir: dir}
	a.env.OpenBrowser = a.fakeBrowser
	profile := a.flags.profile
	if profile == "" {
		profile = defaultProfile
	}
	if !profileRE.MatchString(profile) {
		return usagef("profile name %q: use letters, digits, '.', '_' and '-'", profile)
	}
	const src = "fake"
	scopes := strings.Join(defaultScopes, " ")
	if a.flags.scopes != "" {
		scopes = normScopes(a.flags.scopes)
	}
	a.settings = &settings{
		profile:      value{profile, src},
		clientID:     value{srv.ClientID(), src},
		clientSecret: value{srv.ClientSecret(), src},
		redirectURL:  value{defaultRedirectURL, src},
		scopes:       value{scopes, src},
		jaccountURL:  value{srv.URL, src},
		apiURL:       value{srv.APIURL(), src},
		dataURL:      value{srv.DataURL(), src},
		configFile:   "(none: --fake reads no configuration file)",
		configDir:    dir,
		fake:         true,
	}
	return nil
}

// fakeLogin logs in to the fake as op needs (nil: any operation), through
// the same code as `jaccount login`, with no messages: the fixture student
// through the loopback login and the fake browser, asking for the scopes of
// op beside the default ones, or, for an operation no user can call (the
// data resources), the application with client credentials and the scopes
// op asks for (exchange_data).
func (a *app) fakeLogin(ctx context.Context, op *operation) error {
	a.quiet = true
	defer func() { a.quiet = false }()
	s := a.settings
	if client := op.clientRequirement(); !op.userCallable() && client != nil {
		s.scopes = value{strings.Join(client.scopes, " "), s.scopes.source}
		return a.login(ctx, loginOptions{clientCredentials: true})
	}
	if r := op.userRequirement(); r != nil {
		scopes := strings.Fields(s.scopes.v)
		if !slices.ContainsFunc(r.scopes, func(sc string) bool { return slices.Contains(scopes, sc) }) {
			s.scopes = value{strings.Join(append(scopes, r.scopes...), " "), s.scopes.source}
		}
	}
	return a.login(ctx, loginOptions{timeout: time.Minute})
}

// fakeBrowser plays the user's browser against the fake: on the authorize
// page it logs in as the fixture student and approves, then follows the
// redirect to the loopback callback. Other URLs (logout) are just fetched.
func (a *app) fakeBrowser(u string) error {
	ctx := context.Background()
	if strings.HasPrefix(u, a.fake.srv.AuthURL()) {
		loc, err := a.fake.srv.Login(ctx, nil, u, jaccounttest.StudentUsername, jaccounttest.StudentPassword)
		if err != nil {
			return err
		}
		u = loc.String()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.Body.Close()
}
