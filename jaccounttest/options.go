package jaccounttest

import (
	"log/slog"
	"net"
	"time"
)

// Option configures a Server created by New.
type Option func(*config)

type config struct {
	clients      []Client
	users        []User
	replaceUsers bool
	autoApprove  string
	accessTTL    time.Duration
	codeTTL      time.Duration
	now          func() time.Time
	pageSize     int
	semester     string
	basicAuth    bool
	pkce         bool
	examples     bool
	logger       *slog.Logger
	issuer       string
	// refreshIDToken makes refresh replies carry an ID token; keepRefresh
	// makes refresh tokens not rotate.
	refreshIDToken bool
	keepRefresh    bool
	data           dataConfig // the data resources' records (data.go)
	// seed seeds every random draw (WithSeed); nil: crypto/rand.
	seed *uint64
	// listener and dataListener are where the server and the data
	// resources listen (WithListener, WithDataListener); nil: a loopback
	// port of httptest's choosing.
	listener, dataListener net.Listener
	admin                  bool // serve the admin API (WithAdmin)

	// rejectStatus is the status of the answer to a refused access token;
	// 0 means 403 (WithTokenRejectionStatus).
	rejectStatus int
	// replyFilter rewrites the API's answers (WithReplyFilter); nil: none.
	replyFilter func(operationID string, status int, body []byte) []byte
}

func defaultConfig() config {
	return config{
		clients:   []Client{DefaultClient()},
		accessTTL: 2 * time.Hour,
		codeTTL:   time.Minute,
		now:       time.Now,
		pageSize:  20,
		semester:  CurrentSemester,
		basicAuth: true,
		logger:    slog.New(slog.DiscardHandler),
	}
}

// WithClient registers an application, replacing any registered client with
// the same ID (including DefaultClientID).
func WithClient(c Client) Option {
	return func(cfg *config) { cfg.clients = append(cfg.clients, c) }
}

// WithUsers replaces the fixture accounts (DefaultUsers) with users.
func WithUsers(users ...User) Option {
	return func(cfg *config) { cfg.users, cfg.replaceUsers = users, true }
}

// WithUser adds an account to the fixtures, replacing one with the same
// Username.
func WithUser(u User) Option {
	return func(cfg *config) { cfg.users = append(cfg.users, u) }
}

// WithAutoApprove makes the authorize endpoint skip the login page and the
// consent: it redirects at once with a code for username. It is meant for
// tests that have no browser.
func WithAutoApprove(username string) Option {
	return func(cfg *config) { cfg.autoApprove = username }
}

// WithAccessTokenTTL sets the lifetime of access tokens (default two hours);
// it is the expires_in of token responses.
func WithAccessTokenTTL(d time.Duration) Option {
	return func(cfg *config) { cfg.accessTTL = d }
}

// WithCodeTTL sets how long an authorization code may be exchanged (default
// one minute).
func WithCodeTTL(d time.Duration) Option {
	return func(cfg *config) { cfg.codeTTL = d }
}

// WithClock makes the server read the time from now instead of time.Now,
// for codes, tokens and ID-token claims.
func WithClock(now func() time.Time) Option {
	return func(cfg *config) { cfg.now = now }
}

// WithPageSize sets how many items one page of a paged operation holds when
// the request names no page size (default 20): card and 思源码 transactions
// (by start and limit, with total), circles (by nextToken, sent back as
// pageToken) and the spec examples of any other paged operation.
func WithPageSize(n int) Option {
	return func(cfg *config) { cfg.pageSize = max(n, 1) }
}

// WithCurrentSemester sets the semester GET /v1/me/lessons serves (default
// CurrentSemester).
func WithCurrentSemester(semester string) Option {
	return func(cfg *config) { cfg.semester = semester }
}

// WithoutBasicAuth makes the token endpoint reject HTTP Basic client
// authentication, accepting client_id and client_secret in the form body
// only (client_secret_post, which is what jAccount is known to accept).
// By default both are accepted; Requests tells which one a client used.
func WithoutBasicAuth() Option {
	return func(cfg *config) { cfg.basicAuth = false }
}

// WithPKCE makes the fake check PKCE (RFC 7636): when an authorize request
// carries a code_challenge (S256 or plain), its code is exchanged only with
// the matching code_verifier. jAccount's documentation does not mention
// PKCE, so by default the fake ignores these parameters, as a server without
// PKCE support does.
func WithPKCE() Option {
	return func(cfg *config) { cfg.pkce = true }
}

// WithLogger makes the server log each request at debug level, and
// rejected ones at info level, to logger. Tokens and secrets are never
// logged. The default discards everything.
func WithLogger(logger *slog.Logger) Option {
	return func(cfg *config) { cfg.logger = logger }
}

// WithSpecExamples makes every API operation answer with the example of
// openapi/jaccount.yaml instead of the fixtures, as an operation without a
// stateful handler always does: the profile of the documentation's
// "testprofile", its lessons, its card. Scopes are still enforced, and an
// operation that pages serves the example's entities in pages.
func WithSpecExamples() Option {
	return func(cfg *config) { cfg.examples = true }
}

// WithIssuer sets the iss of the ID tokens (and what Issuer returns), e.g.
// jAccount's own "https://jaccount.sjtu.edu.cn/oauth2/", so that code
// configured for the real issuer verifies the fake's ID tokens. The default
// is URL + "/oauth2/".
func WithIssuer(issuer string) Option {
	return func(cfg *config) { cfg.issuer = issuer }
}

// WithRefreshIDToken makes refresh replies carry a new ID token. Whether
// jAccount's do is not documented (a public client reads one, none shows
// it), so by default they carry none, and code that needs the claims after a
// refresh must keep the first ID token's.
func WithRefreshIDToken() Option {
	return func(cfg *config) { cfg.refreshIDToken = true }
}

// WithoutRefreshRotation makes refresh tokens reusable: a refresh reply
// carries the same refresh token, which stays valid. Whether jAccount
// rotates them is not documented, so by default the fake does, the stricter
// case: each refresh reply carries a new refresh token and the one spent is
// refused from then on (invalid_grant).
func WithoutRefreshRotation() Option {
	return func(cfg *config) { cfg.keepRefresh = true }
}

// WithTokenRejectionStatus sets the HTTP status with which the API answers
// an access token it refuses (unknown, revoked or expired): the body stays
// the envelope with errno 10002 (10007 when expired). The live API has
// answered both ways: 403 to a request without a token (the default here,
// and what a request without a token always gets), and 200 with
// {"errno":10002,"error":"Authentication Failed","total":0} to an invalid
// one (evidence E11), which http.StatusOK reproduces; a client must treat the
// errno as the rejection whatever the status. Zero means the default, 403;
// a status outside 200–599 is taken as zero.
func WithTokenRejectionStatus(status int) Option {
	return func(cfg *config) {
		if status < 200 || status > 599 {
			status = 0
		}
		cfg.rejectStatus = status
	}
}
