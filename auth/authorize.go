package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"unicode"

	"github.com/oauth-jaccount/jaccount-go/internal/optcheck"
	"github.com/oauth-jaccount/jaccount-go/internal/redact"
	"golang.org/x/oauth2"
)

// AuthRequest is one login attempt: the URL to redirect the browser to and
// the values the application must keep server-side (in its session store)
// until the callback, where HandleCallback checks them.
//
// Its JSON form, for that storage, holds State, Nonce, CodeVerifier and
// RedirectURL but not URL. It contains the PKCE verifier: store it where
// the browser cannot read it (server-side, or in an encrypted cookie).
// Printing an AuthRequest with fmt (any verb) or slog hides the verifier.
type AuthRequest struct {
	// URL is the authorize URL to redirect the user's browser to.
	URL string `json:"-"`
	// State is a fresh 130-bit random value bound to this attempt.
	State string `json:"state"`
	// Nonce is the OIDC nonce sent, or "" when WithNonce was not used.
	Nonce string `json:"nonce,omitempty"`
	// CodeVerifier is the PKCE verifier, or "" when WithPKCE was not used.
	// Keep it server-side; it must not reach the browser.
	CodeVerifier string `json:"code_verifier,omitempty"`
	// RedirectURL is the redirect_uri the authorize request carried
	// (Config.RedirectURL or WithRedirectURL); the exchange sends it again,
	// as RFC 6749 §4.1.3 requires. Empty means Config.RedirectURL.
	RedirectURL string `json:"redirect_uri,omitempty"`
}

// String describes the request without its PKCE verifier.
func (r AuthRequest) String() string {
	return fmt.Sprintf("auth.AuthRequest{URL: %q, State: %q, Nonce: %q, CodeVerifier: %s, RedirectURL: %q}",
		r.URL, r.State, r.Nonce, redact.Secret(r.CodeVerifier), r.RedirectURL)
}

// GoString is String; it keeps %#v from printing the verifier.
func (r AuthRequest) GoString() string { return r.String() }

// Format makes every fmt verb print String.
func (r AuthRequest) Format(f fmt.State, _ rune) { redact.Write(f, r.String()) }

// LogValue implements slog.LogValuer without the verifier.
func (r AuthRequest) LogValue() slog.Value {
	return slog.GroupValue(slog.String("url", r.URL), slog.String("state", r.State),
		slog.String("nonce", r.Nonce), slog.String("code_verifier", redact.Secret(r.CodeVerifier)),
		slog.String("redirect_uri", r.RedirectURL))
}

// ExchangeOptions returns the options that make Exchange check this attempt's
// nonce, send its PKCE verifier and repeat its redirect URL.
func (r *AuthRequest) ExchangeOptions() []ExchangeOption {
	var opts []ExchangeOption
	if r.Nonce != "" {
		opts = append(opts, WithExpectedNonce(r.Nonce))
	}
	if r.CodeVerifier != "" {
		opts = append(opts, WithCodeVerifier(r.CodeVerifier))
	}
	if r.RedirectURL != "" {
		opts = append(opts, WithExchangeRedirectURL(r.RedirectURL))
	}
	return opts
}

// An AuthCodeOption customises one login in Config.AuthCodeURL: WithScopes,
// WithNonce, WithPKCE, WithRedirectURL, WithAuthParam. An option given its
// zero value keeps the default; an invalid one (an empty or reserved
// parameter name, a redirect URL that is not absolute) makes AuthCodeURL
// fail with an error matching ErrInvalidOption. Nil options are skipped.
type AuthCodeOption interface {
	apply(*authCodeParams) error
}

type authCodeFunc func(*authCodeParams) error

func (f authCodeFunc) apply(p *authCodeParams) error { return f(p) }

type authCodeParams struct {
	scopes   []string
	nonce    bool
	pkce     bool
	redirect string
	extra    url.Values
}

// WithScopes replaces Config.Scopes for this login; none means
// Config.Scopes. Scopes are joined with spaces, the standard form jAccount
// accepts, so a scope that is empty or holds white space is invalid.
func WithScopes(scopes ...string) AuthCodeOption {
	return authCodeFunc(func(p *authCodeParams) error {
		if err := checkScopes("WithScopes", scopes); err != nil {
			return err
		}
		if len(scopes) > 0 {
			p.scopes = scopes
		}
		return nil
	})
}

// checkScopes refuses a scope that is empty or holds white space: joined
// with spaces, it would become no scope or several.
func checkScopes(option string, scopes []string) error {
	for _, s := range scopes {
		if s == "" || strings.ContainsFunc(s, unicode.IsSpace) {
			return fmt.Errorf("%w: %s(%q): a scope is a non-empty word", ErrInvalidOption, option, s)
		}
	}
	return nil
}

// WithNonce adds a fresh random OIDC nonce; it is returned in
// AuthRequest.Nonce and must be checked on exchange. The exchange then needs
// an ID token to check it against: jAccount returns one for scopes such as
// basic or openid, but none for an empty scope (which it accepts, granting
// the application's registered scopes), so ask for a scope with a nonce.
func WithNonce() AuthCodeOption {
	return authCodeFunc(func(p *authCodeParams) error { p.nonce = true; return nil })
}

// WithPKCE adds an S256 PKCE challenge; the verifier is returned in
// AuthRequest.CodeVerifier.
func WithPKCE() AuthCodeOption {
	return authCodeFunc(func(p *authCodeParams) error { p.pkce = true; return nil })
}

// WithRedirectURL replaces Config.RedirectURL for this login, as the
// Python client's per-call redirect URL does (one application serving
// several registered callbacks, say); "" means Config.RedirectURL. It must
// be an absolute URL. The AuthRequest remembers it, and HandleCallback and
// ExchangeOptions send it again on exchange.
func WithRedirectURL(u string) AuthCodeOption {
	return authCodeFunc(func(p *authCodeParams) error {
		if u == "" {
			return nil
		}
		if !optcheck.AbsoluteURL(u) {
			return fmt.Errorf("%w: WithRedirectURL(%q): not an absolute URL", ErrInvalidOption, u)
		}
		p.redirect = u
		return nil
	})
}

// authParams are the authorize parameters this package sets, which
// WithAuthParam refuses.
var authParams = []string{"response_type", "client_id", "redirect_uri", "scope", "state", "nonce", "code_challenge", "code_challenge_method"}

// WithAuthParam sets an extra query parameter of the authorize URL, such
// as prompt. The parameters this package sets (response_type, client_id,
// redirect_uri, scope, state, nonce, code_challenge, code_challenge_method)
// and an empty name are invalid: use the options that set them.
func WithAuthParam(key, value string) AuthCodeOption {
	return authCodeFunc(func(p *authCodeParams) error {
		if err := checkParam("WithAuthParam", key, authParams); err != nil {
			return err
		}
		if p.extra == nil {
			p.extra = url.Values{}
		}
		p.extra.Set(key, value)
		return nil
	})
}

// checkParam refuses an empty parameter name and a reserved one. The value
// is not named: it may be a secret.
func checkParam(option, key string, reserved []string) error {
	switch {
	case key == "":
		return fmt.Errorf("%w: %s: empty parameter name", ErrInvalidOption, option)
	case slices.Contains(reserved, key):
		return fmt.Errorf("%w: %s(%q, …): the parameter is this package's (one of %s)", ErrInvalidOption, option, key, strings.Join(reserved, ", "))
	}
	return nil
}

// randomString returns 26 base32 characters from crypto/rand (130 bits).
func randomString() string { return rand.Text() }

// AuthCodeURL starts a login: it returns the authorize URL together with a
// fresh state (and nonce and PKCE verifier when asked for). It fails only
// for an invalid option (ErrInvalidOption).
func (c *Config) AuthCodeURL(opts ...AuthCodeOption) (*AuthRequest, error) {
	p := authCodeParams{scopes: c.Scopes, redirect: c.RedirectURL}
	if err := optcheck.Apply(opts, func(o AuthCodeOption) error { return o.apply(&p) }); err != nil {
		return nil, err
	}
	r := &AuthRequest{State: randomString(), RedirectURL: p.redirect}
	v := url.Values{}
	for k, vs := range p.extra {
		v[k] = vs
	}
	v.Set("response_type", "code")
	v.Set("client_id", c.ClientID)
	if p.redirect != "" {
		v.Set("redirect_uri", p.redirect)
	}
	if len(p.scopes) > 0 {
		v.Set("scope", strings.Join(p.scopes, " "))
	}
	v.Set("state", r.State)
	if p.nonce {
		r.Nonce = randomString()
		v.Set("nonce", r.Nonce)
	}
	if p.pkce {
		r.CodeVerifier = oauth2.GenerateVerifier()
		v.Set("code_challenge_method", "S256")
		v.Set("code_challenge", oauth2.S256ChallengeFromVerifier(r.CodeVerifier))
	}
	r.URL = joinQuery(c.endpoint().AuthURL, v)
	return r, nil
}

// joinQuery appends v to base, which may already carry a query.
func joinQuery(base string, v url.Values) string {
	if len(v) == 0 {
		return base
	}
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + v.Encode()
}

// ErrStateMismatch is returned by CheckState when the callback's state is
// missing or differs from the one issued.
var ErrStateMismatch = errors.New("auth: state mismatch")

// ErrNonceMismatch reports an ID token whose nonce differs from the one sent.
var ErrNonceMismatch = errors.New("auth: nonce mismatch")

// CheckState compares the state issued by AuthCodeURL with the one the
// callback received, in constant time. An empty want never matches, so a
// lost session cannot be mistaken for a valid one.
func CheckState(want, got string) error { return checkEqual(want, got, ErrStateMismatch) }

// CheckNonce compares an expected nonce with an ID token's nonce claim in
// constant time. Exchange does this itself when given WithExpectedNonce.
func CheckNonce(want, got string) error { return checkEqual(want, got, ErrNonceMismatch) }

func checkEqual(want, got string, mismatch error) error {
	if want == "" || subtle.ConstantTimeCompare([]byte(want), []byte(got)) != 1 {
		return mismatch
	}
	return nil
}

// HandleCallback completes a login at the redirect URL. saved is the
// AuthRequest that AuthCodeURL returned for this browser (nil when the
// session holds none) and query the callback's query parameters. In this
// order, it
//  1. compares the state with saved.State in constant time, failing with
//     ErrStateMismatch when saved is nil, or the state is missing,
//     repeated or different — before looking at anything else, so a forged
//     callback learns nothing;
//  2. turns an error parameter into an *AuthorizeError (errors.Is matches
//     ErrAccessDenied when the user declined);
//  3. exchanges the code (ErrMissingCode when there is none), sending the
//     PKCE verifier and redirect URL of saved and requiring the ID token to
//     carry saved's nonce.
//
// Delete saved from the session whatever the outcome: a login attempt is
// single use.
func (c *Config) HandleCallback(ctx context.Context, saved *AuthRequest, query url.Values) (*Token, error) {
	want := ""
	if saved != nil {
		want = saved.State
	}
	got := ""
	if states := query["state"]; len(states) == 1 {
		got = states[0]
	}
	if err := CheckState(want, got); err != nil {
		return nil, err
	}
	if query.Has("error") {
		return nil, &AuthorizeError{
			Code:        redact.Text(query.Get("error"), maxSnippet),
			Description: redact.Text(query.Get("error_description"), maxSnippet),
			URI:         redact.Text(query.Get("error_uri"), maxSnippet),
		}
	}
	codes := query["code"]
	if len(codes) != 1 || codes[0] == "" {
		return nil, ErrMissingCode
	}
	return c.Exchange(ctx, codes[0], saved.ExchangeOptions()...)
}

// A LogoutOption customises Config.LogoutURL: WithLogoutParam. An invalid
// one makes LogoutURL fail with an error matching ErrInvalidOption; nil
// options are skipped.
type LogoutOption interface {
	apply(url.Values) error
}

type logoutFunc func(url.Values) error

func (f logoutFunc) apply(v url.Values) error { return f(v) }

// logoutParams are the logout parameters this package sets, which
// WithLogoutParam refuses.
var logoutParams = []string{"client_id", "post_logout_redirect_uri"}

// WithLogoutParam adds a query parameter to the logout URL, such as the
// legacy retUrl some old jAccount applications send. client_id,
// post_logout_redirect_uri (LogoutURL's argument) and an empty name are
// invalid. Avoid "state": jAccount is known to append it to the redirect
// URI wrongly (with a stray "?" and "&"), so keep what the application
// needs after logout in its own storage.
func WithLogoutParam(key, value string) LogoutOption {
	return logoutFunc(func(v url.Values) error {
		if err := checkParam("WithLogoutParam", key, logoutParams); err != nil {
			return err
		}
		v.Set(key, value)
		return nil
	})
}

// LogoutURL returns the jAccount logout URL, which the application must
// redirect the browser to when its user logs out. Ending only the
// application's own session is not enough: the jAccount session survives,
// and the next "login" on that browser silently signs in the previous user
// again, without asking for a password, which on a shared computer hands one
// person's account to the next.
//
// The URL carries client_id (when set), as SJTU's own applications send
// it, and post_logout_redirect_uri when postLogoutRedirectURI is non-empty:
// where jAccount sends the browser afterwards. It fails only for an invalid
// option (ErrInvalidOption).
func (c *Config) LogoutURL(postLogoutRedirectURI string, opts ...LogoutOption) (string, error) {
	v := url.Values{}
	if err := optcheck.Apply(opts, func(o LogoutOption) error { return o.apply(v) }); err != nil {
		return "", err
	}
	if c.ClientID != "" {
		v.Set("client_id", c.ClientID)
	}
	if postLogoutRedirectURI != "" {
		v.Set("post_logout_redirect_uri", postLogoutRedirectURI)
	}
	return joinQuery(c.endpoint().LogoutURL, v), nil
}
