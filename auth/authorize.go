package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"

	"golang.org/x/oauth2"
)

// AuthRequest is one login attempt: the URL to redirect the browser to and
// the values the application must keep (e.g. in its session) until the
// callback, where State is compared with CheckState and Nonce and
// CodeVerifier are passed to Exchange (see ExchangeOptions).
type AuthRequest struct {
	// URL is the authorize URL to redirect the user's browser to.
	URL string
	// State is a fresh 130-bit random value bound to this attempt.
	State string
	// Nonce is the OIDC nonce sent, or "" when WithNonce was not used.
	Nonce string
	// CodeVerifier is the PKCE verifier, or "" when WithPKCE was not used.
	// Keep it server-side; it must not reach the browser. Printing an
	// AuthRequest with fmt hides it.
	CodeVerifier string
}

// String describes the request without its PKCE verifier.
func (r AuthRequest) String() string {
	return fmt.Sprintf("auth.AuthRequest{URL: %q, State: %q, Nonce: %q, CodeVerifier: %s}", r.URL, r.State, r.Nonce, redact(r.CodeVerifier))
}

// GoString is String; it keeps %#v from printing the verifier.
func (r AuthRequest) GoString() string { return r.String() }

// Format makes every fmt verb print String.
func (r AuthRequest) Format(f fmt.State, _ rune) { writeString(f, r.String()) }

// LogValue implements slog.LogValuer without the verifier.
func (r AuthRequest) LogValue() slog.Value {
	return slog.GroupValue(slog.String("url", r.URL), slog.String("state", r.State),
		slog.String("nonce", r.Nonce), slog.String("code_verifier", redact(r.CodeVerifier)))
}

// ExchangeOptions returns the options that make Exchange check this attempt's
// nonce and send its PKCE verifier.
func (r *AuthRequest) ExchangeOptions() []ExchangeOption {
	var opts []ExchangeOption
	if r.Nonce != "" {
		opts = append(opts, WithExpectedNonce(r.Nonce))
	}
	if r.CodeVerifier != "" {
		opts = append(opts, WithCodeVerifier(r.CodeVerifier))
	}
	return opts
}

// AuthCodeOption customises AuthCodeURL.
type AuthCodeOption func(*authCodeParams)

type authCodeParams struct {
	scopes []string
	nonce  bool
	pkce   bool
	extra  url.Values
}

// WithScopes replaces Config.Scopes for this request. Scopes are joined with
// spaces, the standard form jAccount accepts.
func WithScopes(scopes ...string) AuthCodeOption {
	return func(p *authCodeParams) { p.scopes = scopes }
}

// WithNonce adds a fresh random OIDC nonce; it is returned in
// AuthRequest.Nonce and must be checked on exchange.
func WithNonce() AuthCodeOption {
	return func(p *authCodeParams) { p.nonce = true }
}

// WithPKCE adds an S256 PKCE challenge; the verifier is returned in
// AuthRequest.CodeVerifier.
func WithPKCE() AuthCodeOption {
	return func(p *authCodeParams) { p.pkce = true }
}

// WithAuthParam sets an extra query parameter. It cannot override the
// parameters this package sets (response_type, client_id, redirect_uri,
// scope, state, nonce, code_challenge, code_challenge_method).
func WithAuthParam(key, value string) AuthCodeOption {
	return func(p *authCodeParams) {
		if p.extra == nil {
			p.extra = url.Values{}
		}
		p.extra.Set(key, value)
	}
}

// randomString returns 26 base32 characters from crypto/rand (130 bits).
func randomString() string { return rand.Text() }

// AuthCodeURL starts a login: it returns the authorize URL together with a
// fresh state (and nonce and PKCE verifier when asked for).
func (c *Config) AuthCodeURL(opts ...AuthCodeOption) *AuthRequest {
	p := authCodeParams{scopes: c.Scopes}
	for _, o := range opts {
		o(&p)
	}
	r := &AuthRequest{State: randomString()}
	v := url.Values{}
	for k, vs := range p.extra {
		v[k] = vs
	}
	v.Set("response_type", "code")
	v.Set("client_id", c.ClientID)
	if c.RedirectURL != "" {
		v.Set("redirect_uri", c.RedirectURL)
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
	return r
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

// LogoutURL returns the jAccount logout URL, which the application must
// redirect the browser to when its user logs out. Ending only the
// application's own session is not enough: the jAccount session survives,
// and the next "login" on that browser silently signs in the previous user
// again, without asking for a password, which on a shared computer hands one
// person's account to the next. postLogoutRedirectURI, when non-empty, is
// where jAccount sends the browser afterwards.
func (c *Config) LogoutURL(postLogoutRedirectURI string) string {
	v := url.Values{}
	if postLogoutRedirectURI != "" {
		v.Set("post_logout_redirect_uri", postLogoutRedirectURI)
	}
	return joinQuery(c.endpoint().LogoutURL, v)
}
