package web

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/oauth-jaccount/jaccount-go/api"
	"github.com/oauth-jaccount/jaccount-go/auth"
	"github.com/oauth-jaccount/jaccount-go/internal/redact"
)

// User is the signed-in user of a request, from UserFrom. Printing a User
// (fmt, any verb, or slog) hides its CSRF token.
type User struct {
	// Claims are the ID token's claims, verified at login: Subject is the
	// jAccount username, Name, Code and Type the default identity.
	Claims auth.IDTokenClaims
	// Profile is the profile fetched at login with WithProfile, else nil.
	Profile *api.Profile
	// ExpiresAt is when the session ends.
	ExpiresAt time.Time

	csrf string
	h    *Handler
}

// CSRFToken returns the token a logout must carry, in the CSRFField form
// field or the X-CSRF-Token header.
func (u *User) CSRFToken() string { return u.csrf }

// logoutForm is the HTML of LogoutForm.
var logoutForm = template.Must(template.New("logout").Parse(
	`<form method="post" action="{{.Action}}" class="jaccount-logout"><input type="hidden" name="{{.Field}}" value="{{.Token}}">` +
		`<button type="submit" id="logout">{{.Label}}</button></form>`))

// LogoutForm returns a form that logs the user out: a POST to the logout
// path carrying the CSRF token, with a button labelled label ("退出 / Log
// out" when empty) whose element id is "logout". Put it in a page with
// html/template, which keeps it unescaped. Send that page with
// X-Frame-Options: DENY and Content-Security-Policy: frame-ancestors
// 'none', as the Handler's own pages are, so that another site cannot
// frame it and trick the user into clicking the button.
func (u *User) LogoutForm(label string) template.HTML {
	if label == "" {
		label = "退出 / Log out"
	}
	var b strings.Builder
	_ = logoutForm.Execute(&b, struct{ Action, Field, Token, Label string }{u.h.logoutPath, CSRFField, u.csrf, label})
	return template.HTML(b.String()) // every value in it was escaped by the template
}

// ErrNoTokenStore is returned by User.API and User.TokenSource when the
// Handler keeps no tokens (WithTokenStore).
var ErrNoTokenStore = errors.New("web: the Handler keeps no tokens (WithTokenStore)")

// TokenSource returns the refreshing token source of the user's kept
// token: one per user, shared by all requests, so refreshes happen once.
func (u *User) TokenSource() (*auth.TokenSource, error) {
	if u.h.tokens == nil {
		return nil, ErrNoTokenStore
	}
	return u.h.sources.get(u.Claims.Subject, func() (*auth.TokenSource, error) {
		return u.h.cfg.TokenSource(nil, auth.WithStore(u.h.tokens(u.Claims.Subject)), auth.WithLogger(u.h.log))
	})
}

// API returns an API client that calls as the user, with the user's kept
// token (WithTokenStore). When the token can no longer be refreshed, calls
// fail with an error matching auth.ErrInvalidGrant or auth.ErrNoToken:
// send the user to log in again.
func (u *User) API() (*api.Client, error) {
	ts, err := u.TokenSource()
	if err != nil {
		return nil, err
	}
	return u.h.apiClient(ts)
}

// apiClient returns an API client that authenticates with ts: a copy of
// the Handler's client sharing its transport, not a new stack.
func (h *Handler) apiClient(ts oauth2.TokenSource) (*api.Client, error) {
	return h.apiBase.WithTokenSource(ts), nil
}

// String describes the user without the CSRF token.
func (u User) String() string {
	return fmt.Sprintf("web.User{Subject: %q, Name: %q, Type: %q, ExpiresAt: %s, Profile: %t, CSRFToken: %s}",
		u.Claims.Subject, u.Claims.Name, u.Claims.Type, u.ExpiresAt.Format(time.RFC3339), u.Profile != nil, redact.Secret(u.csrf))
}

// GoString is String, so %#v hides the CSRF token too.
func (u User) GoString() string { return u.String() }

// Format makes every fmt verb print String.
func (u User) Format(f fmt.State, _ rune) { redact.Write(f, u.String()) }

// LogValue implements slog.LogValuer: the subject and name only.
func (u User) LogValue() slog.Value {
	return slog.GroupValue(slog.String("sub", u.Claims.Subject), slog.String("name", u.Claims.Name))
}

type userKey struct{}

// UserFrom returns the signed-in user that RequireUser or OptionalUser put
// in ctx, or nil.
func UserFrom(ctx context.Context) *User {
	u, _ := ctx.Value(userKey{}).(*User)
	return u
}

// user returns the request's user, or nil. A session sealed with an old
// key is sealed again with the current one. The error (ErrStoreUnavailable)
// says the session could not be checked; a session cookie sent twice
// (ErrCookieConflict) is an anonymous request, not an error.
func (h *Handler) user(w http.ResponseWriter, r *http.Request) (*User, error) {
	s, oldKey, err := h.loadSession(r)
	if s == nil {
		if errors.Is(err, ErrCookieConflict) {
			err = nil
		}
		return nil, err
	}
	if oldKey {
		if err := h.writeSession(w, r, s); err != nil {
			h.log.ErrorContext(r.Context(), "web: re-sealing the session with the current key", slog.Any("err", err))
		}
	}
	return &User{Claims: s.Claims, Profile: s.Profile, ExpiresAt: s.ExpiresAt, csrf: s.CSRFToken, h: h}, nil
}

// RequireUser lets only signed-in users through to next, with the user in
// the request's context (UserFrom). An anonymous GET or HEAD is sent to
// the login, which comes back to the same page (a path on this site, never
// elsewhere); other methods get the 401 error page, since their body
// cannot survive the detour. When a store cannot tell whether the session
// is valid, the request gets the 503 error page (ErrStoreUnavailable).
func (h *Handler) RequireUser(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, err := h.user(w, r)
		if err != nil {
			h.unavailable(w, r, err)
			return
		}
		if u == nil {
			forbidFraming(w.Header()) // the answer is the Handler's, not the application's page
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				noStore(w)
				http.Redirect(w, r, h.LoginURL(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			h.refuse(w, r, http.StatusUnauthorized, ErrNotSignedIn)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), userKey{}, u)))
	})
}

// OptionalUser passes every request to next, with the user in the
// request's context (UserFrom) when signed in. When a store cannot tell
// whether the session is valid, the request gets the 503 error page
// (ErrStoreUnavailable) instead: showing a signed-in user the anonymous
// page would be as wrong as the reverse.
func (h *Handler) OptionalUser(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, err := h.user(w, r)
		if err != nil {
			h.unavailable(w, r, err)
			return
		}
		if u != nil {
			r = r.WithContext(context.WithValue(r.Context(), userKey{}, u))
		}
		next.ServeHTTP(w, r)
	})
}

// maxSources bounds the per-user token sources kept in memory.
const maxSources = 10_000

// sourceCache keeps one auth.TokenSource per user.
type sourceCache struct {
	mu sync.Mutex
	m  map[string]*auth.TokenSource
}

func newSourceCache() *sourceCache { return &sourceCache{m: map[string]*auth.TokenSource{}} }

// get returns subject's source, building it with build the first time.
func (c *sourceCache) get(subject string, build func() (*auth.TokenSource, error)) (*auth.TokenSource, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ts, ok := c.m[subject]; ok {
		return ts, nil
	}
	ts, err := build()
	if err != nil {
		return nil, err
	}
	if len(c.m) >= maxSources {
		for k := range c.m { // drop any one: it is rebuilt from its store when needed
			delete(c.m, k)
			break
		}
	}
	c.m[subject] = ts
	return ts, nil
}

// drop forgets subject's source, so the next get reads the store again.
func (c *sourceCache) drop(subject string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, subject)
}
