package cli

import (
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/oauth-jaccount/jaccount-go/api"
	"github.com/oauth-jaccount/jaccount-go/auth"
)

func (a *app) loginCommand() *cobra.Command {
	var o loginOptions
	cmd := &cobra.Command{
		Use:   "login",
		Short: "Log in to jAccount and save the token",
		Long: `Log in to jAccount in your browser and save the token for the other commands.

The login is the authorization-code flow with PKCE and an OpenID Connect
nonce: jaccount listens on the loopback redirect URL (default
http://127.0.0.1/callback on a free port; register the one you use with your
jAccount application, e.g. http://127.0.0.1:8080/callback, and set it with
--redirect-url or $` + EnvRedirectURL + `), opens the authorize page in your
browser, checks the state, exchanges the code, and verifies the ID token. The
token is saved, readable only by you, under the configuration directory, one
per --profile, and renewed with its refresh token when it expires.

With --client-credentials, jaccount logs in as the application itself
(jAccount's client mode) for batch work; no browser is involved.`,
		Example: `  jaccount login
  jaccount login --no-browser
  jaccount login --profile work --scopes "openid essential lessons"
  jaccount login --client-credentials --profile batch`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.login(cmd.Context(), o) },
	}
	f := cmd.Flags()
	f.BoolVar(&o.noBrowser, "no-browser", false, "print the login URL instead of opening a browser")
	f.BoolVar(&o.clientCredentials, "client-credentials", false, "log in as the application (client mode) for batch work")
	f.DurationVar(&o.timeout, "timeout", defaultLoginTimeout, "how long to wait for the browser")
	f.StringVar(&a.flags.redirectURL, "redirect-url", "", "loopback redirect URL registered for the application (or $"+EnvRedirectURL+")")
	f.StringVar(&a.flags.scopes, "scopes", "", "scopes to ask for, separated by spaces or commas (or $"+EnvScopes+")")
	return cmd
}

func (a *app) logoutCommand() *cobra.Command {
	var noBrowser bool
	cmd := &cobra.Command{
		Use:   "logout",
		Short: "Remove the saved token and end the jAccount browser session",
		Long: `Remove the profile's saved token, then open the jAccount logout page, which
ends the jAccount session in your browser too (without it, the next login in
that browser would silently reuse the session).`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return a.logout(noBrowser) },
	}
	cmd.Flags().BoolVar(&noBrowser, "no-browser", false, "print the logout URL instead of opening a browser")
	return cmd
}

// whoami is what `jaccount whoami` prints: the verified ID-token claims
// kept from the login and the profile from the API.
type whoami struct {
	Profile  string              `json:"profile"`
	Grant    string              `json:"grant"`
	ClientID string              `json:"client_id"`
	Scopes   []string            `json:"scopes,omitempty"`
	Expiry   time.Time           `json:"token_expiry"`
	Claims   *auth.IDTokenClaims `json:"claims,omitempty"`
	User     *api.Profile        `json:"user,omitempty"`
}

func (a *app) whoamiCommand() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "whoami",
		Short: "Show the signed-in user",
		Long: `Show who the saved login belongs to: the claims of the ID token verified at
login (username, name, code, user type) and the profile the API returns.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o, err := a.output(format)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			c, err := a.apiClient(ctx, nil)
			if err != nil {
				return err
			}
			tok, err := a.ts.AuthToken(ctx)
			if err != nil {
				return err
			}
			w := whoami{Profile: a.settings.profile.v, Grant: a.info.Grant, ClientID: a.info.ClientID,
				Scopes: strings.Fields(tok.Scope), Expiry: tok.Expiry.UTC(), Claims: tok.Claims}
			if len(w.Scopes) == 0 {
				w.Scopes = a.info.Scopes
			}
			var apiErr error
			if w.Grant != grantClientCredentials {
				w.User, apiErr = c.Profile.Get(ctx)
				if a.loginNeeded(apiErr) != nil {
					return apiErr // nothing to show: the login is no good
				}
			}
			if o.format == formatTable {
				err = a.printWhoami(&w)
			} else {
				err = writeOne(o, a.env.Stdout, &w)
			}
			if apiErr != nil {
				return apiErr
			}
			return err
		},
	}
	a.formatFlag(cmd, &format)
	return cmd
}

// printWhoami writes the human form of whoami.
func (a *app) printWhoami(w *whoami) error {
	var lines [][2]string
	add := func(k, v string) {
		if v != "" {
			lines = append(lines, [2]string{k, oneLineCell(v)})
		}
	}
	add("profile", w.Profile)
	if c := w.Claims; c != nil {
		add("user", c.Subject)
		add("name", c.Name)
		add("type", string(c.Type))
		add("code", c.Code)
	} else if w.Grant == grantClientCredentials {
		add("application", w.ClientID+" (client credentials)")
	}
	if u := w.User; u != nil {
		add("organization", u.Organize.Name)
		add("email", u.Email)
	}
	add("scopes", strings.Join(w.Scopes, " "))
	add("token expires", w.Expiry.Local().Format("2006-01-02 15:04:05 MST"))
	var b strings.Builder
	for _, l := range lines {
		fmt.Fprintf(&b, "%-14s %s\n", l[0], l[1])
	}
	_, err := fmt.Fprint(a.env.Stdout, b.String())
	return err
}

func (a *app) tokenCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "token",
		Short: "Print a fresh access token",
		Long: `Print the saved login's access token, renewed first if it is about to expire,
and nothing else, for curl and other scripts. Treat it as a password.`,
		Example: `  curl -H "Authorization: Bearer $(jaccount token)" https://api.sjtu.edu.cn/v1/me/profile`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ts, err := a.tokenSource(cmd.Context(), nil)
			if err != nil {
				return err
			}
			tok, err := ts.TokenContext(cmd.Context())
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(a.env.Stdout, tok.AccessToken)
			return err
		},
	}
}

// configEntry is one line of `jaccount config`.
type configEntry struct {
	Key    string `json:"key"`
	Value  string `json:"value"`
	Source string `json:"source"`
}

func (a *app) configCommand() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Show the effective configuration",
		Long: `Show the configuration the other commands use, and where each value comes
from. Each setting is taken from the first of: a flag, the environment
($` + EnvClientID + `, $` + EnvClientSecret + `, $` + EnvRedirectURL + `, $` + EnvScopes + `,
$` + EnvProfile + `, $` + EnvURL + `, $` + EnvAPIURL + `, $` + EnvDataURL + `), the configuration file,
the default. The client secret is never shown.

The configuration file (YAML; default config.yaml in the configuration
directory, or --config, or $` + EnvConfig + `) holds the same keys, and per-profile
overrides:

  client_id: jaxxxxxxxx
  client_secret: ...        # keep the file private: chmod 600
  redirect_url: http://127.0.0.1:8080/callback
  scopes: [openid, essential, lessons]
  data_url: https://graphql.sjtu.edu.cn   # the data resources' server
  profiles:
    work:
      client_id: jayyyyyyyy

The configuration directory is $` + EnvConfigDir + `, or "jaccount" in the user's
configuration directory; saved logins are under its profiles/ directory.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			o, err := a.output(format)
			if err != nil {
				return err
			}
			s := a.settings
			secret := value{"", s.clientSecret.source}
			if s.clientSecret.v != "" {
				secret.v = "(set, hidden)"
			}
			entries := []configEntry{
				{"profile", s.profile.v, s.profile.source},
				{"client_id", s.clientID.v, s.clientID.source},
				{"client_secret", secret.v, secret.source},
				{"redirect_url", s.redirectURL.v, s.redirectURL.source},
				{"scopes", s.scopes.v, s.scopes.source},
				{"jaccount_url", s.jaccountURL.v, s.jaccountURL.source},
				{"api_url", s.apiURL.v, s.apiURL.source},
				{"data_url", s.dataURL.v, s.dataURL.source},
				{"config_file", s.configFile, ""},
				{"token_file", s.tokenStore().Path(), ""},
			}
			lw := newListWriter(o, a.env.Stdout, reflect.TypeFor[configEntry]())
			for i := range entries {
				if err := lw.Item(&entries[i]); err != nil {
					return err
				}
			}
			return lw.Close()
		},
	}
	a.formatFlag(cmd, &format)
	return cmd
}
