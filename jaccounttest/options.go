package jaccounttest

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"regexp"
	"slices"
	"time"

	"github.com/oauth-jaccount/jaccount-go/internal/optcheck"
)

// An Option configures a Server in New or Start. The zero value of an
// option's argument means its default; an invalid value (a negative
// duration, a status that is not one, a user or client without a name)
// makes Start fail, and New fail the test, with an error matching
// ErrInvalidOption that names the option. Nil options are skipped.
type Option interface {
	apply(*config) error
}

type optionFunc func(*config) error

func (f optionFunc) apply(cfg *config) error { return f(cfg) }

// ErrInvalidOption matches the error of Start (and the failure of New)
// given an invalid option.
var ErrInvalidOption = errors.New("jaccounttest: invalid option")

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
// the same ID (including DefaultClientID). A client without an ID is
// invalid.
func WithClient(c Client) Option {
	return optionFunc(func(cfg *config) error {
		if c.ID == "" {
			return fmt.Errorf("%w: WithClient: the Client has no ID", ErrInvalidOption)
		}
		cfg.clients = append(cfg.clients, c)
		return nil
	})
}

// WithUsers replaces the fixture accounts (DefaultUsers) with users; none
// keeps them. A user without a Username is invalid.
func WithUsers(users ...User) Option {
	return optionFunc(func(cfg *config) error {
		if err := checkUsers("WithUsers", users); err != nil || len(users) == 0 {
			return err
		}
		cfg.users, cfg.replaceUsers = users, true
		return nil
	})
}

// WithUser adds an account to the fixtures, replacing one with the same
// Username. A user without a Username is invalid.
func WithUser(u User) Option {
	return optionFunc(func(cfg *config) error {
		if err := checkUsers("WithUser", []User{u}); err != nil {
			return err
		}
		cfg.users = append(cfg.users, u)
		return nil
	})
}

func checkUsers(option string, users []User) error {
	for i, u := range users {
		if u.Username == "" {
			return fmt.Errorf("%w: %s: user %d has no Username", ErrInvalidOption, option, i+1)
		}
	}
	return nil
}

// WithAutoApprove makes the authorize endpoint skip the login page and the
// consent: it redirects at once with a code for username, which must be one
// of the server's users. It is meant for tests that have no browser. ""
// (the default) shows the login page.
func WithAutoApprove(username string) Option {
	return optionFunc(func(cfg *config) error { cfg.autoApprove = username; return nil })
}

// WithAccessTokenTTL sets the lifetime of access tokens, the expires_in of
// token responses; zero means two hours and a negative d is invalid.
func WithAccessTokenTTL(d time.Duration) Option {
	return optionFunc(func(cfg *config) error {
		return optcheck.Set(ErrInvalidOption, "WithAccessTokenTTL", d, &cfg.accessTTL)
	})
}

// WithCodeTTL sets how long an authorization code may be exchanged; zero
// means one minute and a negative d is invalid.
func WithCodeTTL(d time.Duration) Option {
	return optionFunc(func(cfg *config) error {
		return optcheck.Set(ErrInvalidOption, "WithCodeTTL", d, &cfg.codeTTL)
	})
}

// WithClock makes the server read the time from now instead of time.Now,
// for codes, tokens and ID-token claims; nil means time.Now.
func WithClock(now func() time.Time) Option {
	return optionFunc(func(cfg *config) error {
		if now != nil {
			cfg.now = now
		}
		return nil
	})
}

// WithPageSize sets how many items one page of a paged operation holds when
// the request names no page size: card and 思源码 transactions (by start and
// limit, with total), circles (by nextToken, sent back as pageToken) and the
// spec examples of any other paged operation. Zero means 20 and a negative
// n is invalid.
func WithPageSize(n int) Option {
	return optionFunc(func(cfg *config) error {
		return optcheck.Set(ErrInvalidOption, "WithPageSize", n, &cfg.pageSize)
	})
}

// WithCurrentSemester sets the semester GET /v1/me/lessons serves; ""
// means CurrentSemester. A semester is written like CurrentSemester,
// "2026-2027-1": anything else is invalid.
func WithCurrentSemester(semester string) Option {
	return optionFunc(func(cfg *config) error {
		if semester == "" {
			return nil
		}
		if !semesterRe.MatchString(semester) {
			return fmt.Errorf("%w: WithCurrentSemester(%q): not a semester such as %q", ErrInvalidOption, semester, CurrentSemester)
		}
		cfg.semester = semester
		return nil
	})
}

// semesterRe is the form of a semester: the academic year and the term.
var semesterRe = regexp.MustCompile(`^[0-9]{4}-[0-9]{4}-[1-3]$`)

// WithoutBasicAuth makes the token endpoint reject HTTP Basic client
// authentication, accepting client_id and client_secret in the form body
// only (client_secret_post, which is what jAccount is known to accept).
// By default both are accepted; Requests tells which one a client used.
func WithoutBasicAuth() Option {
	return optionFunc(func(cfg *config) error { cfg.basicAuth = false; return nil })
}

// WithPKCE makes the fake check PKCE (RFC 7636): when an authorize request
// carries a code_challenge (S256 or plain), its code is exchanged only with
// the matching code_verifier. jAccount's documentation does not mention
// PKCE, so by default the fake ignores these parameters, as a server without
// PKCE support does.
func WithPKCE() Option {
	return optionFunc(func(cfg *config) error { cfg.pkce = true; return nil })
}

// WithLogger makes the server log each request at debug level, and
// rejected ones at info level, to logger. Tokens and secrets are never
// logged. Nil, the default, discards everything.
func WithLogger(logger *slog.Logger) Option {
	return optionFunc(func(cfg *config) error {
		if logger != nil {
			cfg.logger = logger
		}
		return nil
	})
}

// WithSpecExamples makes every API operation answer with the example of
// openapi/jaccount.yaml instead of the fixtures, as an operation without a
// stateful handler always does: the profile of the documentation's
// "testprofile", its lessons, its card. Scopes are still enforced, and an
// operation that pages serves the example's entities in pages.
func WithSpecExamples() Option {
	return optionFunc(func(cfg *config) error { cfg.examples = true; return nil })
}

// WithIssuer sets the iss of the ID tokens (and what Issuer returns), e.g.
// jAccount's own "https://jaccount.sjtu.edu.cn/oauth2/", so that code
// configured for the real issuer verifies the fake's ID tokens. "" (the
// default) means URL + "/oauth2/"; anything but an absolute URL is
// invalid.
func WithIssuer(issuer string) Option {
	return optionFunc(func(cfg *config) error {
		if issuer == "" {
			return nil
		}
		if !optcheck.AbsoluteURL(issuer) {
			return fmt.Errorf("%w: WithIssuer(%q): not an absolute URL", ErrInvalidOption, issuer)
		}
		cfg.issuer = issuer
		return nil
	})
}

// WithRefreshIDToken makes refresh replies carry a new ID token. Whether
// jAccount's do is not documented (a public client reads one, none shows
// it), so by default they carry none, and code that needs the claims after a
// refresh must keep the first ID token's.
func WithRefreshIDToken() Option {
	return optionFunc(func(cfg *config) error { cfg.refreshIDToken = true; return nil })
}

// WithoutRefreshRotation makes refresh tokens reusable: a refresh reply
// carries the same refresh token, which stays valid. Whether jAccount
// rotates them is not documented, so by default the fake does, the stricter
// case: each refresh reply carries a new refresh token and the one spent is
// refused from then on (invalid_grant).
func WithoutRefreshRotation() Option {
	return optionFunc(func(cfg *config) error { cfg.keepRefresh = true; return nil })
}

// WithTokenRejectionStatus sets the HTTP status with which the API answers
// an access token it refuses (unknown, revoked or expired): the body stays
// the envelope with errno 10002 (10007 when expired). The live API has
// answered both ways: 403 to a request without a token (the default here,
// and what a request without a token always gets), and 200 with
// {"errno":10002,"error":"Authentication Failed","total":0} to an invalid
// one (evidence E11), which http.StatusOK reproduces; a client must treat the
// errno as the rejection whatever the status. Zero means the default, 403;
// a status outside 200–599 is invalid.
func WithTokenRejectionStatus(status int) Option {
	return optionFunc(func(cfg *config) error {
		if status != 0 && (status < 200 || status > 599) {
			return fmt.Errorf("%w: WithTokenRejectionStatus(%d): not a status of an answer (200–599)", ErrInvalidOption, status)
		}
		cfg.rejectStatus = status
		return nil
	})
}

// newConfig applies opts to the defaults and checks what no single option
// can: that WithAutoApprove names a user the server has.
func newConfig(opts []Option) (config, error) {
	cfg := defaultConfig()
	if err := optcheck.Apply(opts, func(o Option) error { return o.apply(&cfg) }); err != nil {
		return cfg, err
	}
	if name := cfg.autoApprove; name != "" {
		users := cfg.users
		if !cfg.replaceUsers {
			users = append(DefaultUsers(), users...)
		}
		if !slices.ContainsFunc(users, func(u User) bool { return u.Username == name }) {
			return cfg, fmt.Errorf("%w: WithAutoApprove(%q): no such user", ErrInvalidOption, name)
		}
	}
	return cfg, nil
}
