package web

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/oauth-jaccount/jaccount-go/api"
	"github.com/oauth-jaccount/jaccount-go/auth"
	"github.com/oauth-jaccount/jaccount-go/internal/optcheck"
)

// ErrInvalidOption matches the error of New given an invalid option or
// Config: no session key, a key shorter than MinKeyLength, a negative
// duration, a path that is not absolute.
var ErrInvalidOption = errors.New("web: invalid option")

// An Option configures a Handler in New. The zero value of every option's
// argument means its default; an invalid value (a short session key, a
// negative duration, a path that is not absolute) makes New fail with an
// error matching ErrInvalidOption that names the option. Nil options are
// skipped.
type Option interface {
	apply(*Handler) error
}

type optionFunc func(*Handler) error

func (f optionFunc) apply(h *Handler) error { return f(h) }

// Defaults of the options.
const (
	// DefaultLoginPath starts a login.
	DefaultLoginPath = "/jaccount/login"
	// DefaultLogoutPath ends a session (POST only).
	DefaultLogoutPath = "/jaccount/logout"
	// DefaultMaxAge bounds a session even when the ID token lives longer.
	DefaultMaxAge = 8 * time.Hour
	// DefaultLoginTimeout is how long a login attempt may take, from the
	// redirect to jAccount to the callback.
	DefaultLoginTimeout = 10 * time.Minute
	// DefaultMaxPendingLogins is how many login attempts (tabs) one
	// browser may have open at once; starting one more drops the oldest.
	DefaultMaxPendingLogins = 5
	// DefaultCookieName is the prefix of the cookies: <name>_session and
	// <name>_login_<state>.
	DefaultCookieName = "jaccount"
)

// WithSessionKeys sets the keys that encrypt the cookies; at least one is
// required. The first key encrypts; every key decrypts, so to rotate, put
// the new key first and keep the old one until the sessions it sealed have
// expired (WithMaxAge). Each key must be at least MinKeyLength bytes of
// randomness (it is stretched with HKDF-SHA256 into an AES-256-GCM key);
// all instances of the application must share them.
func WithSessionKeys(keys ...[]byte) Option {
	return optionFunc(func(h *Handler) error {
		c, err := newCodec(keys)
		if err != nil {
			return err
		}
		h.codec = c
		return nil
	})
}

// Paths are the routes the Handler serves besides the callback, whose
// path is that of Config.RedirectURL. An empty field keeps its default.
type Paths struct {
	// Login starts a login; its "next" parameter is where to go after it.
	// Default DefaultLoginPath.
	Login string
	// Logout ends the session; it accepts only a POST with the CSRF token.
	// Default DefaultLogoutPath.
	Logout string
	// Landing is where a login without a (valid) "next" ends, and what
	// jAccount's logout returns to. Default "/".
	Landing string
}

// WithPaths overrides the login, logout and landing paths.
func WithPaths(p Paths) Option {
	return optionFunc(func(h *Handler) error {
		for _, s := range []string{p.Login, p.Logout, p.Landing} {
			if s != "" && (!strings.HasPrefix(s, "/") || strings.HasPrefix(s, "//") || strings.ContainsAny(s, "?#\\")) {
				return fmt.Errorf("%w: WithPaths: %q is not an absolute path", ErrInvalidOption, s)
			}
		}
		h.loginPath = cmp.Or(p.Login, h.loginPath)
		h.logoutPath = cmp.Or(p.Logout, h.logoutPath)
		h.landing = cmp.Or(p.Landing, h.landing)
		return nil
	})
}

// WithPostLogoutRedirect sets the absolute URL jAccount's logout sends the
// browser back to (post_logout_redirect_uri). Empty means the origin of
// Config.RedirectURL followed by the landing path; anything but an absolute
// http(s) URL is invalid.
func WithPostLogoutRedirect(u string) Option {
	return optionFunc(func(h *Handler) error {
		if u == "" {
			return nil
		}
		if !optcheck.AbsoluteURL(u, "http", "https") {
			return fmt.Errorf("%w: WithPostLogoutRedirect(%q): not an absolute http(s) URL", ErrInvalidOption, u)
		}
		h.postLogout = u
		return nil
	})
}

// WithMaxAge bounds sessions: a session ends at the ID token's expiry or
// this long after the login, whichever comes first. Zero means
// DefaultMaxAge and a negative d is invalid.
func WithMaxAge(d time.Duration) Option {
	return optionFunc(func(h *Handler) error { return optcheck.Set(ErrInvalidOption, "WithMaxAge", d, &h.maxAge) })
}

// WithLoginTimeout sets how long a login attempt stays valid. Zero means
// DefaultLoginTimeout and a negative d is invalid.
func WithLoginTimeout(d time.Duration) Option {
	return optionFunc(func(h *Handler) error { return optcheck.Set(ErrInvalidOption, "WithLoginTimeout", d, &h.loginTTL) })
}

// WithMaxPendingLogins sets how many login attempts one browser may have
// in progress at once (one per tab). Zero means DefaultMaxPendingLogins and
// a negative n is invalid.
func WithMaxPendingLogins(n int) Option {
	return optionFunc(func(h *Handler) error {
		return optcheck.Set(ErrInvalidOption, "WithMaxPendingLogins", n, &h.maxPending)
	})
}

// WithSecureCookies marks every cookie Secure (and names the session cookie
// with the __Host- prefix) even on plain-HTTP requests: use it behind a
// proxy that terminates TLS. Without it cookies are Secure when the request
// came over TLS or Config.RedirectURL is https.
func WithSecureCookies() Option {
	return optionFunc(func(h *Handler) error { h.forceSecure = true; return nil })
}

// WithCookieName sets the prefix of the cookies' names, for two
// applications on one host. Empty means DefaultCookieName.
func WithCookieName(name string) Option {
	return optionFunc(func(h *Handler) error {
		if strings.ContainsFunc(name, func(r rune) bool {
			return !(r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
		}) {
			return fmt.Errorf("%w: WithCookieName(%q): use letters, digits, - and _", ErrInvalidOption, name)
		}
		h.cookieName = cmp.Or(name, h.cookieName)
		return nil
	})
}

// WithSessionStore keeps sessions server-side in s; the cookie then
// carries only the session ID, encrypted. Logout deletes the session from
// s, so a replayed cookie is refused by every instance sharing s. Nil (the
// default) keeps sessions in the cookie.
func WithSessionStore(s SessionStore) Option {
	return optionFunc(func(h *Handler) error { h.store = s; return nil })
}

// WithRevocationStore sets where logged-out sessions and used login
// attempts are remembered. Nil (the default) is a private in-memory store,
// which protects one process; share one store between instances to
// extend the guarantees to all of them.
func WithRevocationStore(r RevocationStore) Option {
	return optionFunc(func(h *Handler) error {
		if r != nil {
			h.revoke = r
		}
		return nil
	})
}

// WithProfile fetches the user's profile (api Profile.Get) at login, with
// the login's access token, and keeps it in the session: User.Profile.
// Config.Scopes must then include a scope that grants it ("basic" or
// "essential"/"profile" for more fields).
func WithProfile() Option {
	return optionFunc(func(h *Handler) error { h.profile = true; return nil })
}

// WithAPIOptions sets the options of the API clients the Handler builds:
// for the profile and for User.API (e.g. api.WithBaseURL for a test
// server, api.WithLogger).
func WithAPIOptions(opts ...api.Option) Option {
	return optionFunc(func(h *Handler) error { h.apiOpts = opts; return nil })
}

// WithTokenStore keeps each user's tokens server-side, in store(subject),
// so that handlers can call the API as the signed-in user (User.API)
// without the browser ever holding a token. The login saves the token,
// and the one TokenSource per user that the Handler keeps refreshes it and
// saves every rotated refresh token there. Logout deletes it when the
// store implements TokenDeleter, which ends API access for the user's
// other sessions too until they log in again. MemoryStore.TokenStore is
// one such function; auth.NewFileStore under a per-user path is another.
// Nil (the default) keeps no token.
func WithTokenStore(store func(subject string) auth.TokenStore) Option {
	return optionFunc(func(h *Handler) error { h.tokens = store; return nil })
}

// ErrorHandler writes the page for a failed login or logout. status is
// the HTTP status the Handler suggests; err matches (errors.Is) one of
// auth.ErrAccessDenied (the user declined; also an *auth.AuthorizeError),
// another *auth.AuthorizeError, auth.ErrStateMismatch, ErrLoginExpired,
// ErrLoginFailed, ErrCSRF, ErrNotSignedIn, ErrCookieConflict or
// ErrStoreUnavailable (with status 503 and a Retry-After header already
// set). err is for logs and decisions, not for the page: DefaultErrorText
// gives the text to show.
type ErrorHandler func(w http.ResponseWriter, r *http.Request, status int, err error)

// WithErrorHandler replaces the default error pages (HTML, in Chinese and
// English, with a link to log in again). Nil keeps the default. Whatever
// headers f sets, the page is sent with X-Frame-Options: DENY and
// Content-Security-Policy: frame-ancestors 'none', as a policy of its own
// next to any f sets.
func WithErrorHandler(f ErrorHandler) Option {
	return optionFunc(func(h *Handler) error {
		if f != nil {
			h.errorPage = f
		}
		return nil
	})
}

// WithLogger logs logins, logouts and refusals (at info and warn) and
// failures (at error), never a token, code, key, cookie or CSRF token.
// Nil (the default) logs nothing.
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(h *Handler) error {
		if l != nil {
			h.log = l
		}
		return nil
	})
}
