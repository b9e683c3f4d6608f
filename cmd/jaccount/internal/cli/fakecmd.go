package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/oauth-jaccount/jaccount-go/jaccounttest"
)

// annStandalone marks a command that reads no settings and needs no login
// (`jaccount fake`): prepare leaves it alone.
const annStandalone = "jaccount/standalone"

// The default addresses of `jaccount fake`: loopback, on ports that the
// usual development servers (3000, 5000, 8000, 8080) leave free.
const (
	defaultFakeAddr = "127.0.0.1:8700"
	// fakeShutdownTimeout bounds the graceful shutdown: the requests under
	// way get this long to finish before their connections are closed.
	fakeShutdownTimeout = 3 * time.Second
)

// fakeOptions are the flags of `jaccount fake`.
type fakeOptions struct {
	addr, dataAddr   string
	allowRemote      bool
	usersFile        string
	seed             uint64
	clientSecret     string
	redirectURIs     []string
	admin            bool
	autoApprove      string
	issuer           string
	accessTTL        time.Duration
	codeTTL          time.Duration
	refreshIDToken   bool
	noRefreshRotate  bool
	specExamples     bool
	rejectStatus     int
	verbose          bool
	shutdownDeadline time.Duration // tests shorten it
	// seedSet and dataAddrSet tell whether --seed and --data-addr were
	// given.
	seedSet, dataAddrSet bool
}

func (a *app) fakeCommand() *cobra.Command {
	o := fakeOptions{shutdownDeadline: fakeShutdownTimeout}
	cmd := &cobra.Command{
		Use:   "fake",
		Short: "Run a fake jAccount that any app's tests can use",
		Long: `Run a fake jAccount on this machine until interrupted (Ctrl-C, SIGTERM; it
then finishes the requests under way and exits 0), for testing an application
written in any language without the real jAccount, a registered application
or a student account.

It is the fake of the Go package jaccounttest: the login and consent pages
(its test accounts listed, with their passwords, and a button to sign in as
each), the authorization-code flow with PKCE (S256 or plain, checked when the
authorize request carries a code_challenge) and the OpenID Connect nonce,
HS256 ID tokens keyed by the client secret, rotating refresh tokens, logout,
every operation of the open API at api_url (/v1/...) with jAccount's
envelope, errnos and scope checks, and the data resources at data_url for
client-credentials tokens with scope exchange_data.

On start it prints, as text and then as one JSON line on stdout, what a
client needs: the issuer, the OpenID Connect discovery document's URL (the
live service's members: authorize and token endpoints, HS256), the
authorize, token and logout URLs, api_url,
data_url, admin_url (with --admin), the client id and secret, the redirect
URIs it accepts and the test accounts with their passwords. A loopback
redirect URI registered without a port (the defaults) matches any port.

It listens on loopback only, unless --allow-remote: it hands out tokens to
anyone who asks. Port 0 means any free port; --data-addr defaults to the
port after --addr's (any free port when that is 0).

--users FILE reads accounts (username, password, name, type, code,
organisation, identities, the scopes each has consented to), and optionally
the application (client: id, secret, redirect_uris) and the seed, from a YAML
file; unknown keys and bad values are refused with their line. See
cmd/jaccount/testdata/fake-users.yaml for every key. Flags win over the file;
--client-id sets the application's id (the environment is not read).

--seed N makes the codes, tokens, sessions and form tickets the same on every
run (for a client that makes one request at a time), so that a test may
compare them with a golden file.

--admin serves an admin API under admin_url, JSON in and out (a refused
request gets a 4xx status and {"error": code, "message": text}):

  GET    /                the endpoints
  GET    /faults          the faults in force
  POST   /faults          inject a fault, e.g. {"kind":"status","status":503,
                          "endpoint":"api","times":1}; kinds: latency
                          (latency_ms), status (400-599), rate_limit
                          (retry_after_ms), html (status 200-599), drop, truncate,
                          errno (errno, message; HTTP 200); narrowed by
                          endpoint (authorize, token, logout, api, other),
                          path (a trailing / matches below it), times,
                          probability (0 never to 1 always), for_ms and
                          above_rate ({"n":50,"per_ms":1000}: only requests
                          beyond 50 a second)
  DELETE /faults          remove every fault
  POST   /tokens          issue tokens without the login: {"username":
                          "zhangsan","scopes":["essential"]}; without a
                          username, a client-credentials token
  POST   /tokens/expire   {"token":"..."} expires one access token, {} all
  POST   /tokens/revoke   {"token":"..."} revokes an access or refresh token
  GET    /requests        the requests seen, secrets redacted
  DELETE /requests        forget them
  POST   /reset           {"faults":true,"tokens":true,"requests":true};
                          {} resets all three
  GET    /settings        the settings below
  PATCH  /settings        {"token_rejection_status":200}: a refused token
                          gets HTTP 200 with errno 10002, as the live API
                          has answered (0: the default, 403)

docs/fake.md in the repository walks through the code flow with curl.`,
		Example: `  jaccount fake
  jaccount fake --addr 127.0.0.1:0 --admin --seed 1
  jaccount fake --users users.yaml --redirect-uri http://localhost:3000/auth/jaccount/callback
  jaccount fake --client-id my-app --client-secret my-test-secret --auto-approve zhangsan`,
		Args:        cobra.NoArgs,
		Annotations: map[string]string{annStandalone: "true"},
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.seedSet = cmd.Flags().Changed("seed")
			o.dataAddrSet = cmd.Flags().Changed("data-addr")
			return a.runFake(cmd.Context(), &o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.addr, "addr", defaultFakeAddr, "`host:port` of the OAuth endpoints and the open API (port 0: any free port)")
	f.StringVar(&o.dataAddr, "data-addr", "", "`host:port` of the data resources (default: --addr's host and the next port)")
	f.BoolVar(&o.allowRemote, "allow-remote", false, "allow a non-loopback address: anyone who reaches it gets tokens")
	f.StringVar(&o.usersFile, "users", "", "YAML `file` of test accounts, and optionally the client and the seed")
	f.Uint64Var(&o.seed, "seed", 0, "make codes and tokens reproducible from this `seed`")
	f.StringVar(&o.clientSecret, "client-secret", "", "the application's `secret`, a test value (default "+jaccounttest.DefaultClientSecret+")")
	f.StringArrayVar(&o.redirectURIs, "redirect-uri", nil, "a redirect `URI` the application may use, instead of the defaults (repeatable)")
	f.BoolVar(&o.admin, "admin", false, "serve the admin API (faults, tokens, request log, reset)")
	f.StringVar(&o.autoApprove, "auto-approve", "", "skip the login and consent pages: every authorize signs in as this `username`")
	f.StringVar(&o.issuer, "issuer", "", "the ID tokens' iss, a `URL` (default: api_url + /oauth2/)")
	f.DurationVar(&o.accessTTL, "access-token-ttl", 2*time.Hour, "lifetime of access tokens")
	f.DurationVar(&o.codeTTL, "code-ttl", time.Minute, "how long an authorization code may be exchanged")
	f.BoolVar(&o.refreshIDToken, "refresh-id-token", false, "refresh replies carry a new ID token")
	f.BoolVar(&o.noRefreshRotate, "no-refresh-rotation", false, "refresh tokens stay valid after use")
	f.BoolVar(&o.specExamples, "spec-examples", false, "serve the spec's examples instead of the fixtures")
	f.IntVar(&o.rejectStatus, "token-rejection-status", 403, "the HTTP `status` of the API's answer to a refused token (errno 10002 or 10007); the live API has also answered 200")
	f.BoolVarP(&o.verbose, "verbose", "v", false, "log every request on stderr (refused ones are always logged)")
	return cmd
}

// fakeInfo is what `jaccount fake` prints as its JSON line.
type fakeInfo struct {
	Issuer       string         `json:"issuer"`
	DiscoveryURL string         `json:"discovery_url"`
	AuthorizeURL string         `json:"authorize_url"`
	TokenURL     string         `json:"token_url"`
	LogoutURL    string         `json:"logout_url"`
	APIURL       string         `json:"api_url"`
	DataURL      string         `json:"data_url"`
	AdminURL     string         `json:"admin_url,omitempty"`
	ClientID     string         `json:"client_id"`
	ClientSecret string         `json:"client_secret"`
	RedirectURIs []string       `json:"redirect_uris"`
	IDTokenAlg   string         `json:"id_token_alg"`
	PKCEMethods  []string       `json:"pkce_methods"`
	Seed         *uint64        `json:"seed,omitempty"`
	AutoApprove  string         `json:"auto_approve,omitempty"`
	Users        []fakeUserInfo `json:"users"`
}

// fakeUserInfo is a test account in fakeInfo.
type fakeUserInfo struct {
	Username  string   `json:"username"`
	Password  string   `json:"password"`
	Name      string   `json:"name"`
	Type      string   `json:"type"`
	Consented []string `json:"consented,omitempty"`
}

// runFake runs the fake until ctx ends.
func (a *app) runFake(ctx context.Context, o *fakeOptions) error {
	if a.flags.fake {
		return usagef("--fake does not go with `jaccount fake`")
	}
	file := &fakeFile{}
	if o.usersFile != "" {
		data, err := os.ReadFile(o.usersFile)
		if err != nil {
			return usagef("users file: %w", err)
		}
		if file, err = parseFakeFile(o.usersFile, data); err != nil {
			return &usageError{err}
		}
	}
	client := jaccounttest.DefaultClient()
	if c := file.Client; c != nil {
		client.ID, client.Secret, client.Scopes = c.ID, c.Secret, c.Scopes
		if len(c.RedirectURIs) > 0 {
			client.RedirectURIs = c.RedirectURIs
		}
	}
	if a.flags.clientID != "" {
		client.ID = a.flags.clientID
	}
	if o.clientSecret != "" {
		client.Secret = o.clientSecret
	}
	if len(o.redirectURIs) > 0 {
		for _, u := range o.redirectURIs {
			if err := checkRedirectURI(u); err != nil {
				return usagef("--redirect-uri %q: %v", u, err)
			}
		}
		client.RedirectURIs = o.redirectURIs
	}
	var seed *uint64
	switch {
	case o.seedSet:
		seed = &o.seed
	case file.Seed != nil:
		seed = file.Seed
	}
	users := file.jaccountUsers()
	if file.DefaultUsers == nil || *file.DefaultUsers {
		users = mergeUsers(jaccounttest.DefaultUsers(), users)
	}
	if len(users) == 0 {
		return usagef("no test accounts: default_users is false and %s lists no user", o.usersFile)
	}
	if o.autoApprove != "" && !slices.ContainsFunc(users, func(u jaccounttest.User) bool { return u.Username == o.autoApprove }) {
		return usagef("--auto-approve %s: no such test account", o.autoApprove)
	}
	switch {
	case o.accessTTL <= 0:
		return usagef("--access-token-ttl must be above 0")
	case o.codeTTL <= 0:
		return usagef("--code-ttl must be above 0")
	case o.rejectStatus < 200 || o.rejectStatus > 599:
		return usagef("--token-rejection-status %d: a status from 200 to 599", o.rejectStatus)
	}

	ln, dln, err := a.fakeListeners(o)
	if err != nil {
		return err
	}
	level := slog.LevelInfo
	if o.verbose {
		level = slog.LevelDebug
	}
	opts := []jaccounttest.Option{
		jaccounttest.WithListener(ln), jaccounttest.WithDataListener(dln), jaccounttest.WithPKCE(),
		jaccounttest.WithClient(client), jaccounttest.WithUsers(users...),
		jaccounttest.WithAccessTokenTTL(o.accessTTL), jaccounttest.WithCodeTTL(o.codeTTL),
		jaccounttest.WithLogger(slog.New(slog.NewTextHandler(a.env.Stderr, &slog.HandlerOptions{Level: level}))),
	}
	add := func(cond bool, opt jaccounttest.Option) {
		if cond {
			opts = append(opts, opt)
		}
	}
	add(seed != nil, jaccounttest.WithSeed(derefSeed(seed)))
	add(o.admin, jaccounttest.WithAdmin())
	add(o.autoApprove != "", jaccounttest.WithAutoApprove(o.autoApprove))
	add(o.issuer != "", jaccounttest.WithIssuer(o.issuer))
	add(o.refreshIDToken, jaccounttest.WithRefreshIDToken())
	add(o.noRefreshRotate, jaccounttest.WithoutRefreshRotation())
	add(o.specExamples, jaccounttest.WithSpecExamples())
	add(o.rejectStatus != http.StatusForbidden, jaccounttest.WithTokenRejectionStatus(o.rejectStatus))
	srv, err := jaccounttest.Start(opts...)
	if err != nil { // the flags were checked: an option the fake refuses is a bug
		_ = ln.Close()
		_ = dln.Close()
		return fmt.Errorf("jaccount fake: %w", err)
	}

	info := fakeInfo{Issuer: srv.Issuer(), DiscoveryURL: srv.DiscoveryURL(), AuthorizeURL: srv.AuthURL(), TokenURL: srv.TokenURL(),
		LogoutURL: srv.LogoutURL(), APIURL: srv.APIURL(), DataURL: srv.DataURL(), AdminURL: srv.AdminURL(),
		ClientID: client.ID, ClientSecret: client.Secret, RedirectURIs: client.RedirectURIs,
		IDTokenAlg: "HS256", PKCEMethods: []string{"S256", "plain"}, Seed: seed, AutoApprove: o.autoApprove}
	for _, u := range users {
		info.Users = append(info.Users, fakeUserInfo{u.Username, u.Password, u.Profile.Name, string(u.Profile.UserType), u.Consented})
	}
	werr := a.printFake(&info)
	if werr == nil {
		<-ctx.Done()
		fmt.Fprintln(a.env.Stderr, "jaccount fake: shutting down")
	}
	sctx, cancel := context.WithTimeout(context.Background(), o.shutdownDeadline)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		fmt.Fprintf(a.env.Stderr, "jaccount fake: requests still under way after %v were cut off\n", o.shutdownDeadline)
	}
	return werr
}

func derefSeed(p *uint64) uint64 {
	if p == nil {
		return 0
	}
	return *p
}

// mergeUsers returns base with the accounts of over added, an account of
// over replacing the one of base with its username in place.
func mergeUsers(base, over []jaccounttest.User) []jaccounttest.User {
	for _, u := range over {
		if i := slices.IndexFunc(base, func(b jaccounttest.User) bool { return b.Username == u.Username }); i >= 0 {
			base[i] = u
		} else {
			base = append(base, u)
		}
	}
	return base
}

// fakeListeners opens the listeners of the fake and its data resources,
// on loopback unless --allow-remote.
func (a *app) fakeListeners(o *fakeOptions) (ln, dln net.Listener, err error) {
	dataAddr := o.dataAddr
	if !o.dataAddrSet {
		host, port, err := net.SplitHostPort(o.addr)
		if err != nil {
			return nil, nil, usagef("--addr %q: %v", o.addr, err)
		}
		p, err := strconv.Atoi(port)
		if err != nil || p < 0 || p > 65534 {
			return nil, nil, usagef("--addr %q: the port must be a number below 65535", o.addr)
		}
		if p != 0 {
			p++
		}
		dataAddr = net.JoinHostPort(host, strconv.Itoa(p))
	}
	ln, err = a.fakeListen("--addr", o.addr, o.allowRemote)
	if err != nil {
		return nil, nil, err
	}
	dln, err = a.fakeListen("--data-addr", dataAddr, o.allowRemote)
	if err != nil {
		_ = ln.Close()
		return nil, nil, err
	}
	return ln, dln, nil
}

// fakeListen listens on addr, refusing a non-loopback address unless
// allowed, and warning when it is.
func (a *app) fakeListen(flag, addr string, allowRemote bool) (net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, usagef("%s %q: %v", flag, addr, err)
	}
	// An IP literal keeps its family, so that 0.0.0.0 is not reported as
	// [::] (Go listens dual-stack on an unspecified "tcp" address).
	network := "tcp"
	if ip := net.ParseIP(host); ip != nil && ip.To4() != nil {
		network = "tcp4"
	} else if ip != nil {
		network = "tcp6"
	}
	ln, err := net.Listen(network, addr)
	if err != nil {
		return nil, fmt.Errorf("%s: %w (port 0 takes any free port)", flag, err)
	}
	tcp, isTCP := ln.Addr().(*net.TCPAddr)
	if isTCP && tcp.IP.IsLoopback() {
		return ln, nil
	}
	if !allowRemote {
		_ = ln.Close()
		return nil, usagef("%s %s is not a loopback address: the fake hands out tokens to anyone who reaches it; add --allow-remote if that is what you want", flag, addr)
	}
	fmt.Fprintf(a.env.Stderr, "jaccount fake: WARNING: listening on %s, beyond this machine: anyone who reaches it can sign in and get tokens"+
		" (clients elsewhere use this machine's name in the URLs; --issuer sets the ID tokens' iss to match)\n", ln.Addr())
	return ln, nil
}

// printFake writes what a client needs: text, then one JSON line.
func (a *app) printFake(info *fakeInfo) error {
	var b strings.Builder
	fmt.Fprintf(&b, "jaccount fake: a fake jAccount for tests, serving until interrupted (Ctrl-C).\n\n")
	row := func(k, v string) { fmt.Fprintf(&b, "  %-15s %s\n", k, v) }
	row("issuer", info.Issuer)
	row("discovery", info.DiscoveryURL)
	row("authorize", info.AuthorizeURL)
	row("token", info.TokenURL)
	row("logout", info.LogoutURL)
	row("api", info.APIURL+"  (e.g. GET /v1/me/profile)")
	row("data", info.DataURL+"  (client credentials, scope exchange_data)")
	if info.AdminURL != "" {
		row("admin", info.AdminURL+"  (GET "+info.AdminURL+"/ lists the endpoints)")
	}
	row("client id", info.ClientID)
	row("client secret", info.ClientSecret+"  (also the ID tokens' HS256 key)")
	for i, u := range info.RedirectURIs {
		k := ""
		if i == 0 {
			k = "redirect URIs"
		}
		if p, err := url.Parse(u); err == nil && p.Port() == "" && (p.Hostname() == "localhost" || net.ParseIP(p.Hostname()).IsLoopback()) {
			u += "  (any port)"
		}
		row(k, u)
	}
	row("PKCE", "S256 or plain, checked when the authorize request sends a code_challenge")
	if info.Seed != nil {
		row("seed", strconv.FormatUint(*info.Seed, 10)+"  (codes and tokens are predictable: keep this server private)")
	}
	if info.AutoApprove != "" {
		row("auto-approve", info.AutoApprove+"  (no login or consent page)")
	}
	fmt.Fprintf(&b, "\n  test accounts (username, password, name, type):\n")
	for _, u := range info.Users {
		fmt.Fprintf(&b, "    %-12s %-20s %s (%s)\n", u.Username, u.Password, u.Name, u.Type)
	}
	line, err := json.Marshal(info)
	if err != nil {
		return err
	}
	b.WriteString("\n")
	b.Write(line)
	b.WriteString("\n")
	_, err = fmt.Fprint(a.env.Stdout, b.String())
	return err
}
