// Package setup is what the examples share: the choice between the embedded
// fake jAccount and the real one, and the redaction of secrets in output.
package setup

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"strings"

	"golang.org/x/oauth2"

	"github.com/oauth-jaccount/jaccount-go/api"
	"github.com/oauth-jaccount/jaccount-go/auth"
	"github.com/oauth-jaccount/jaccount-go/jaccounttest"
)

// The environment variables that point the examples at the real jAccount.
const (
	EnvClientID     = "JACCOUNT_CLIENT_ID"
	EnvClientSecret = "JACCOUNT_CLIENT_SECRET"
	EnvRedirectURL  = "JACCOUNT_REDIRECT_URL"
)

// Env is where an example runs: against the embedded fake (Fake != nil) or
// against the real jAccount.
type Env struct {
	// Config is the OAuth client. Its RedirectURL is set from the
	// environment against the real jAccount, and left to the example
	// against the fake (any loopback port of the fake's registered URIs
	// works).
	Config *auth.Config
	// Fake is the embedded fake jAccount, nil against the real one.
	Fake *jaccounttest.Server
	// apiOptions point the API client at the fake.
	apiOptions []api.Option
	// fakeURL is the fake running elsewhere (WithFakeAt), if any.
	fakeURL string
}

// FromEnv returns the real jAccount when all three of EnvClientID,
// EnvClientSecret and EnvRedirectURL are set, and a freshly started fake
// (checking PKCE, which the examples use) when none is. Setting only some of
// them is an error.
func FromEnv(getenv func(string) string) (*Env, error) {
	vars := []string{EnvClientID, EnvClientSecret, EnvRedirectURL}
	var missing []string
	for _, v := range vars {
		if getenv(v) == "" {
			missing = append(missing, v)
		}
	}
	switch len(missing) {
	case 0:
		return &Env{Config: &auth.Config{
			ClientID: getenv(EnvClientID), ClientSecret: getenv(EnvClientSecret), RedirectURL: getenv(EnvRedirectURL),
		}}, nil
	case len(vars):
		srv, err := jaccounttest.Start(jaccounttest.WithPKCE())
		if err != nil {
			return nil, err
		}
		return WithFake(srv), nil
	}
	return nil, fmt.Errorf("set all of %s, or none to use the embedded fake; missing %s",
		strings.Join(vars, ", "), strings.Join(missing, ", "))
}

// WithFake returns the Env of a running fake, whose default client it uses.
// Close closes srv.
func WithFake(srv *jaccounttest.Server) *Env {
	return &Env{
		Config: &auth.Config{
			ClientID: srv.ClientID(), ClientSecret: srv.ClientSecret(),
			Endpoint: auth.Endpoint{AuthURL: srv.AuthURL(), TokenURL: srv.TokenURL(), LogoutURL: srv.LogoutURL(), Issuer: srv.Issuer()},
		},
		Fake: srv,
		// One option list for both clients: each takes its own base URL.
		apiOptions: []api.Option{api.WithBaseURL(srv.APIURL()), api.WithDataBaseURL(srv.DataURL())},
	}
}

// WithFakeAt returns the Env of a fake jAccount running elsewhere, at base
// URL u (a jaccounttest.Server of another process, e.g. a test that runs
// several examples against one fake), with its default client. Fake is nil:
// the example treats it as an external jAccount and starts no fake of its
// own.
func WithFakeAt(u string) *Env {
	return &Env{
		Config: &auth.Config{
			ClientID: jaccounttest.DefaultClientID, ClientSecret: jaccounttest.DefaultClientSecret,
			Endpoint: auth.Endpoint{AuthURL: u + "/oauth2/authorize", TokenURL: u + "/oauth2/token",
				LogoutURL: u + "/oauth2/logout", Issuer: u + "/oauth2/"},
		},
		apiOptions: []api.Option{api.WithBaseURL(u)},
		fakeURL:    u,
	}
}

// Close stops the fake, if any.
func (e *Env) Close() {
	if e.Fake != nil {
		e.Fake.Close()
	}
}

// Where describes the jAccount the example talks to.
func (e *Env) Where() string {
	if e.Fake != nil {
		return "the embedded fake jAccount at " + e.Fake.URL
	}
	if e.fakeURL != "" {
		return "the fake jAccount at " + e.fakeURL
	}
	return "the real jAccount (" + auth.DefaultEndpoint.AuthURL + ")"
}

// NewAPI returns an API client that takes its tokens from ts, pointed at the
// fake when there is one.
func (e *Env) NewAPI(ts oauth2.TokenSource, opts ...api.Option) (*api.Client, error) {
	c, err := api.NewClient(ts, append(e.apiOptions[:len(e.apiOptions):len(e.apiOptions)], opts...)...)
	if err != nil {
		return nil, fmt.Errorf("api client: %w", err)
	}
	return c, nil
}

// NewDataAPI returns a client of the data resources (graphql.sjtu.edu.cn)
// that takes its tokens from ts (client credentials with exchange_data),
// pointed at the fake's data listener when there is a fake.
func (e *Env) NewDataAPI(ts oauth2.TokenSource, opts ...api.Option) (*api.DataClient, error) {
	c, err := api.NewDataClient(ts, append(e.apiOptions[:len(e.apiOptions):len(e.apiOptions)], opts...)...)
	if err != nil {
		return nil, fmt.Errorf("data client: %w", err)
	}
	return c, nil
}

// APIOptions returns the options that point an API client at the fake
// when there is one, for code that builds its clients itself.
func (e *Env) APIOptions() []api.Option { return slices.Clone(e.apiOptions) }

// Redact shows the first four characters of a secret and hides the rest.
func Redact(secret string) string {
	r := []rune(secret)
	if len(r) <= 4 {
		return strings.Repeat("*", len(r))
	}
	return string(r[:4]) + "…"
}

// Main is an example's main: it runs run against the environment's
// jAccount until it returns or the process is interrupted, and exits 1
// with the error, prefixed by name, if there is one.
func Main(name string, run func(ctx context.Context, env *Env) error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	env, err := FromEnv(os.Getenv)
	if err == nil {
		err = run(ctx, env)
		env.Close()
	}
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(1)
	}
}
