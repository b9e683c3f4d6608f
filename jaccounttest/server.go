package jaccounttest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// Server is a fake jAccount: the OAuth 2.0 / OIDC endpoints under /oauth2/
// and the open REST API under /v1/, on one loopback listener, and the data
// resources (graphql.sjtu.edu.cn) on a second one (DataURL), as the real
// ones live on another host. Its methods are safe for concurrent use.
type Server struct {
	// URL is the base URL of the server, http://127.0.0.1:<port>, with no
	// trailing slash.
	URL string

	ts  *httptest.Server
	cfg config
	// others are the listeners of the spec's other servers, by key
	// ("data"): each serves the operations of its server only.
	others map[string]*httptest.Server
	data   map[string]*dataTable // the data resources' records, by operationId

	mu       sync.Mutex
	clients  map[string]Client
	users    map[string]*User
	codes    map[string]*authCode
	access   map[string]*accessToken
	refresh  map[string]*refreshToken
	sessions map[string]*session
	tickets  map[string]*ticket
	faults   []*Fault
	log      []Request
	rand     *entropy // every random draw (WithSeed)

	// tb is the test of a server made by New, to which Inject also
	// reports an invalid fault; nil for Start's.
	tb        testing.TB
	closeOnce sync.Once
}

// grant is what a code or token was issued for.
type grant struct {
	clientID string
	username string // empty for client credentials
	// grantType is how the tokens were obtained: authorization_code (also
	// through refreshes) or client_credentials; the API checks it against
	// each operation's security schemes.
	grantType string
	scopes    []string
	family    string // the authorization code the tokens descend from, if any
}

// The grant types the fake issues tokens by.
const (
	grantAuthCode          = "authorization_code"
	grantClientCredentials = "client_credentials"
)

type authCode struct {
	grant
	redirectURI string
	nonce       string
	expiry      time.Time
	challenge   string // PKCE, when the authorize request had one (WithPKCE)
	method      string
	used        bool
}

type accessToken struct {
	grant
	expiry  time.Time
	revoked bool
}

type refreshToken struct {
	grant
	used    bool
	revoked bool
}

type session struct {
	username  string
	consented map[string][]string // client id -> the scopes the user approved
}

// New starts a fake jAccount for the test tb on a loopback port and closes
// it when the test ends (tb.Cleanup). An invalid option fails the test at
// once (tb.Fatal, with the error Start would return), and so does a fault
// Inject refuses, even when the test ignores Inject's error. Call it from
// the test's goroutine.
func New(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	s, err := Start(opts...)
	if err != nil {
		tb.Fatal(err)
	}
	s.tb = tb
	tb.Cleanup(s.Close)
	return s
}

// Start starts a fake jAccount on a loopback port (or the listeners of
// WithListener and WithDataListener), for a program rather than a test:
// the fake other processes log in to (`jaccount fake`), an example. Close
// it (Close or Shutdown) when done. It fails only for an invalid option,
// with an error matching ErrInvalidOption that names it; nothing is
// started then, though a listener passed in is not closed.
func Start(opts ...Option) (*Server, error) {
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:     cfg,
		clients: map[string]Client{}, users: map[string]*User{},
		codes: map[string]*authCode{}, access: map[string]*accessToken{}, refresh: map[string]*refreshToken{},
		sessions: map[string]*session{}, tickets: map[string]*ticket{},
		rand: newEntropy(cfg.seed),
	}
	for _, c := range cfg.clients {
		s.clients[c.ID] = c
	}
	users := cfg.users
	if !cfg.replaceUsers {
		users = append(DefaultUsers(), users...)
	}
	for _, u := range users {
		s.users[u.Username] = u.clone()
	}
	s.data = newDataTables(&cfg)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /oauth2/authorize", s.handleAuthorize)
	mux.HandleFunc("POST /oauth2/authorize", s.handleAuthorizeForm)
	mux.HandleFunc("POST /oauth2/token", s.handleToken)
	mux.HandleFunc("GET /oauth2/logout", s.handleLogout)
	mux.HandleFunc("GET "+discoveryPath, s.handleDiscovery)
	api := s.filterReplies("", s.apiHandler(""))
	mux.Handle("/v1/", api)
	mux.Handle("/v2/", api) // the task centre's message API is /v2/task/message
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "404 page not found", http.StatusNotFound)
	})
	s.ts = startListener(s.withAdmin(s.record(s.injectFaults(mux))), cfg.listener)
	s.URL = s.ts.URL
	s.others = map[string]*httptest.Server{}
	for key := range routes {
		if key == "" {
			continue
		}
		other := http.NewServeMux()
		other.Handle("/v1/", s.filterReplies(key, s.apiHandler(key)))
		other.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "404 page not found", http.StatusNotFound)
		})
		var ln net.Listener
		if key == dataServer {
			ln = cfg.dataListener
		}
		s.others[key] = startListener(s.record(s.injectFaults(other)), ln)
	}
	return s, nil
}

// Close shuts the server down, blocking until all requests have finished.
// Closing it again does nothing.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		s.ts.Close()
		for _, o := range s.others {
			o.Close()
		}
	})
}

// AuthURL returns the authorize endpoint, URL + "/oauth2/authorize".
func (s *Server) AuthURL() string { return s.URL + "/oauth2/authorize" }

// TokenURL returns the token endpoint, URL + "/oauth2/token".
func (s *Server) TokenURL() string { return s.URL + "/oauth2/token" }

// LogoutURL returns the logout endpoint, URL + "/oauth2/logout".
func (s *Server) LogoutURL() string { return s.URL + "/oauth2/logout" }

// Issuer returns the iss of the ID tokens: URL + "/oauth2/" (with the
// trailing slash, as jAccount's), or what WithIssuer set.
func (s *Server) Issuer() string {
	if s.cfg.issuer != "" {
		return s.cfg.issuer
	}
	return s.URL + "/oauth2/"
}

// APIURL returns the base URL of the open API (the paths start /v1/); it is
// URL itself.
func (s *Server) APIURL() string { return s.URL }

// DataURL returns the base URL of the data resources (the paths start
// /v1/, like https://graphql.sjtu.edu.cn/v1/stu/profile), for
// api.WithDataBaseURL. It is a listener of its own: the open API's paths
// are not found there, nor the data resources' at APIURL, as on the real
// hosts. Tokens, fault injection and the request log are shared.
func (s *Server) DataURL() string { return s.others[dataServer].URL }

// ClientID returns DefaultClientID, the client IssueToken issues to.
func (s *Server) ClientID() string { return DefaultClientID }

// ClientSecret returns the secret of the client DefaultClientID.
func (s *Server) ClientSecret() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.clients[DefaultClientID].Secret
}

// HTTPClient returns an *http.Client for the server's listener, like
// httptest.Server.Client.
func (s *Server) HTTPClient() *http.Client { return s.ts.Client() }

func (s *Server) now() time.Time { return s.cfg.now() }

// parseScopes splits a scope parameter. Spaces are the standard separator;
// commas, which some old applications send, are accepted too.
func parseScopes(v string) []string {
	out := strings.FieldsFunc(v, func(r rune) bool { return r == ' ' || r == ',' })
	slices.Sort(out)
	return slices.Compact(out)
}

// checkScopes returns an error naming the first scope that is not declared
// by the spec or not allowed for the client.
func (s *Server) checkScopes(c Client, scopes []string) error {
	for _, sc := range scopes {
		if !knownScope(sc) {
			return fmt.Errorf("unknown scope %q", sc)
		}
		if len(c.Scopes) > 0 && !slices.Contains(c.Scopes, sc) {
			return fmt.Errorf("scope %q is not granted to this client", sc)
		}
	}
	return nil
}

// IssueToken issues an access token and a refresh token for username to the
// client DefaultClientID directly, without the authorize flow, as if the
// user had granted scopes. With "openid" among the scopes an ID token is
// issued too.
func (s *Server) IssueToken(username string, scopes ...string) (*Token, error) {
	if username == "" {
		return nil, errors.New(`jaccounttest: no user ""`)
	}
	return s.issueDirect(DefaultClientID, username, scopes)
}

// issueDirect issues tokens to the client clientID without the authorize
// flow: for username as if the user had granted scopes (with an ID token
// when "openid" is among them), or, for username "", of the
// client-credentials grant (no refresh token).
func (s *Server) issueDirect(clientID, username string, scopes []string) (*Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.clients[clientID]
	if !ok {
		return nil, fmt.Errorf("jaccounttest: no client %q", clientID)
	}
	if _, ok := s.users[username]; !ok && username != "" {
		return nil, fmt.Errorf("jaccounttest: no user %q", username)
	}
	scopes = parseScopes(strings.Join(scopes, " "))
	if err := s.checkScopes(c, scopes); err != nil {
		return nil, fmt.Errorf("jaccounttest: %w", err)
	}
	if username == "" {
		return s.issueLocked(grant{clientID: c.ID, grantType: grantClientCredentials, scopes: scopes}, false, "", false)
	}
	g := grant{clientID: c.ID, username: username, grantType: grantAuthCode, scopes: scopes}
	return s.issueLocked(g, slices.Contains(scopes, "openid"), "", true)
}

// ExpireAccessTokens makes every access token issued so far expired; the
// API then answers 403 (see WithTokenRejectionStatus) with errno 10007 until
// the client refreshes.
func (s *Server) ExpireAccessTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expireAllLocked()
}

// expireAllLocked expires every access token and returns how many there
// are; s.mu must be held.
func (s *Server) expireAllLocked() int {
	for _, t := range s.access {
		t.expiry = s.now().Add(-time.Second)
	}
	return len(s.access)
}

// ExpireAccessToken makes one access token expired and reports whether it
// was known.
func (s *Server) ExpireAccessToken(token string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.access[token]
	if ok {
		t.expiry = s.now().Add(-time.Second)
	}
	return ok
}

// RevokeToken revokes an access token or a refresh token and reports
// whether it was known. A revoked access token gets 403 (see
// WithTokenRejectionStatus) with errno 10002 from the API, as the live API
// answers a bad token; a revoked refresh
// token gets invalid_grant from the token endpoint.
func (s *Server) RevokeToken(token string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.access[token]; ok {
		t.revoked = true
		return true
	}
	if t, ok := s.refresh[token]; ok {
		t.revoked = true
		return true
	}
	return false
}

type ctxKey int

const (
	recordKey ctxKey = iota
	principalKey
)

// note fills in the credential and client of the request being recorded.
func note(r *http.Request, cred Credential, clientID string) {
	if rec, ok := r.Context().Value(recordKey).(*Request); ok {
		rec.Credential, rec.ClientID = cred, clientID
	}
}

func withValue(r *http.Request, key ctxKey, v any) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), key, v))
}

// logRejected logs a refused request without any credential.
func (s *Server) logRejected(r *http.Request, status int, reason string) {
	s.cfg.logger.Info("jaccounttest: request refused", slog.String("method", r.Method),
		slog.String("path", r.URL.Path), slog.Int("status", status), slog.String("reason", reason))
}
