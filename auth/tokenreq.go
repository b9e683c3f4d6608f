package auth

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/oauth-jaccount/jaccount-go/internal/optcheck"
	"github.com/oauth-jaccount/jaccount-go/internal/redact"
)

// Grant is one token-endpoint request body, built by AuthCodeGrant,
// RefreshGrant or ClientCredentialsGrant. The zero Grant is invalid.
type Grant struct {
	form     url.Values
	nonce    string // expected ID-token nonce
	redirect string // redirect_uri of the authorize request, if not Config.RedirectURL
	prev     *Token // token being refreshed
	secrets  []string
}

func (g Grant) grantType() string { return g.form.Get("grant_type") }

// shownParams are the token-request parameters whose values are not
// secrets; every other value (code, code_verifier, refresh_token, anything
// set with WithTokenParam) is redacted when a Grant is printed.
var shownParams = []string{"grant_type", "scope", "redirect_uri"}

// String describes the grant by its type and parameter names; the values of
// the code, PKCE verifier, refresh token and any extra parameter are
// redacted.
func (g Grant) String() string {
	var b strings.Builder
	b.WriteString("auth.Grant{")
	for i, k := range slices.Sorted(maps.Keys(g.form)) {
		if i > 0 {
			b.WriteString(", ")
		}
		v := g.form.Get(k)
		if slices.Contains(shownParams, k) {
			fmt.Fprintf(&b, "%s: %q", k, v)
		} else {
			fmt.Fprintf(&b, "%s: %s", k, redact.Secret(v))
		}
	}
	return b.String() + "}"
}

// GoString is String; it keeps %#v from printing the secrets.
func (g Grant) GoString() string { return g.String() }

// Format makes every fmt verb print String.
func (g Grant) Format(f fmt.State, _ rune) { redact.Write(f, g.String()) }

// LogValue implements slog.LogValuer without the secrets.
func (g Grant) LogValue() slog.Value {
	attrs := make([]slog.Attr, 0, len(g.form))
	for _, k := range slices.Sorted(maps.Keys(g.form)) {
		v := g.form.Get(k)
		if !slices.Contains(shownParams, k) {
			v = redact.Secret(v)
		}
		attrs = append(attrs, slog.String(k, v))
	}
	return slog.GroupValue(attrs...)
}

// An ExchangeOption customises an authorization-code exchange (Exchange,
// AuthCodeGrant): WithCodeVerifier, WithExpectedNonce,
// WithExchangeRedirectURL, WithTokenParam; AuthRequest.ExchangeOptions
// returns the ones a login needs. An option given its zero value keeps the
// default; an invalid one makes the call fail with an error matching
// ErrInvalidOption. Nil options are skipped.
type ExchangeOption interface {
	apply(*Grant) error
}

type exchangeFunc func(*Grant) error

func (f exchangeFunc) apply(g *Grant) error { return f(g) }

// WithCodeVerifier sends the PKCE verifier returned in
// AuthRequest.CodeVerifier; "" sends none. A verifier that is not 43 to 128
// characters of A–Z, a–z, 0–9, "-", ".", "_" and "~" (RFC 7636 §4.1) is
// invalid, and the error does not show it.
func WithCodeVerifier(verifier string) ExchangeOption {
	return exchangeFunc(func(g *Grant) error {
		if verifier == "" {
			return nil
		}
		if !pkceVerifier(verifier) {
			return fmt.Errorf("%w: WithCodeVerifier: not an RFC 7636 code verifier (43 to 128 characters of A-Z a-z 0-9 - . _ ~)", ErrInvalidOption)
		}
		g.form.Set("code_verifier", verifier)
		g.secrets = append(g.secrets, verifier)
		return nil
	})
}

// pkceVerifier reports whether v is spelled as RFC 7636 §4.1 says.
func pkceVerifier(v string) bool {
	if len(v) < 43 || len(v) > 128 {
		return false
	}
	for _, c := range []byte(v) {
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~') {
			return false
		}
	}
	return true
}

// WithExpectedNonce makes the exchange fail unless the response carries an
// ID token whose nonce equals nonce; "" expects none.
func WithExpectedNonce(nonce string) ExchangeOption {
	return exchangeFunc(func(g *Grant) error { g.nonce = nonce; return nil })
}

// WithExchangeRedirectURL sends u as the redirect_uri instead of
// Config.RedirectURL ("" means Config.RedirectURL): it must be the one the
// authorize request carried (see WithRedirectURL; AuthRequest.ExchangeOptions
// adds it).
func WithExchangeRedirectURL(u string) ExchangeOption {
	return exchangeFunc(func(g *Grant) error { g.redirect = u; return nil })
}

// tokenParams are the token-request parameters this package sets, which
// WithTokenParam refuses: the grant's own, the client's credentials, and
// those of other grants.
var tokenParams = []string{"grant_type", "code", "redirect_uri", "client_id", "client_secret", "code_verifier", "refresh_token", "scope"}

// WithTokenParam sets an extra form parameter of the token request. The
// parameters this package sets (grant_type, code, redirect_uri, client_id,
// client_secret, code_verifier, refresh_token, scope) and an empty name are
// invalid: use the options and Config fields that set them. The value is
// treated as a secret: printing the Grant hides it.
func WithTokenParam(key, value string) ExchangeOption {
	return exchangeFunc(func(g *Grant) error {
		if err := checkParam("WithTokenParam", key, tokenParams); err != nil {
			return err
		}
		g.form.Set(key, value)
		g.secrets = append(g.secrets, value)
		return nil
	})
}

// AuthCodeGrant is the authorization_code grant for code. The redirect URL
// (WithExchangeRedirectURL, else Config.RedirectURL) is added when the
// request is built. It fails only for an invalid option
// (ErrInvalidOption).
func AuthCodeGrant(code string, opts ...ExchangeOption) (Grant, error) {
	g := Grant{form: url.Values{"grant_type": {"authorization_code"}, "code": {code}}, secrets: []string{code}}
	if err := optcheck.Apply(opts, func(o ExchangeOption) error { return o.apply(&g) }); err != nil {
		return Grant{}, err
	}
	return g, nil
}

// RefreshGrant is the refresh_token grant for t's refresh token. Parsing its
// response keeps t's refresh token and ID token when the server sends no
// new ones, and requires a new ID token to name the same subject.
func RefreshGrant(t *Token) Grant {
	rt := ""
	if t != nil {
		rt = t.RefreshToken
	}
	return Grant{form: url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}, prev: t, secrets: []string{rt}}
}

// ClientCredentialsGrant is the client_credentials grant (jAccount's client
// mode) for scopes; nil (or empty) means Config.Scopes.
func ClientCredentialsGrant(scopes []string) Grant {
	g := Grant{form: url.Values{"grant_type": {"client_credentials"}}}
	if len(scopes) > 0 {
		g.form.Set("scope", strings.Join(scopes, " "))
	}
	return g
}

// NewTokenRequest builds, but does not send, the token request for g, with
// client authentication per AuthStyle. It is for callers with their own HTTP
// stack: send it however you like, then hand the response to
// ParseTokenResponse with the same Grant. The request carries the client
// secret and the code or refresh token: do not log or dump it.
func (c *Config) NewTokenRequest(ctx context.Context, g Grant) (*http.Request, error) {
	if g.grantType() == "" {
		return nil, errors.New("auth: empty Grant")
	}
	if err := c.AuthStyle.check(); err != nil {
		return nil, err
	}
	form := url.Values{}
	for k, v := range g.form {
		form[k] = v
	}
	switch g.grantType() {
	case "authorization_code":
		if redirect := cmp.Or(g.redirect, c.RedirectURL); redirect != "" {
			form.Set("redirect_uri", redirect)
		}
	case "refresh_token":
		if form.Get("refresh_token") == "" {
			return nil, fmt.Errorf("%w: no refresh token", ErrNoToken)
		}
	case "client_credentials":
		if !form.Has("scope") && len(c.Scopes) > 0 {
			form.Set("scope", strings.Join(c.Scopes, " "))
		}
	}
	if c.AuthStyle == AuthStyleInParams {
		form.Set("client_id", c.ClientID)
		if c.ClientSecret != "" {
			form.Set("client_secret", c.ClientSecret)
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint().TokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("auth: token request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if c.AuthStyle == AuthStyleInHeader {
		// RFC 6749 §2.3.1: form-encode both before Basic encoding.
		req.SetBasicAuth(url.QueryEscape(c.ClientID), url.QueryEscape(c.ClientSecret))
	}
	return req, nil
}

// maxTokenBody bounds how much of a token response is read.
const maxTokenBody = 1 << 20

// ParseTokenResponse reads and closes resp.Body and turns the response to a
// request built by NewTokenRequest(ctx, g) into a Token, validating any ID
// token (see VerifyIDTokenContext, which gets resp.Request's context). Failures are *TokenError (endpoint errors and
// unreadable bodies) or wrap ErrInvalidIDToken.
func (c *Config) ParseTokenResponse(resp *http.Response, g Grant) (*Token, error) {
	var body []byte
	if resp.Body != nil {
		defer resp.Body.Close()
		var err error
		if body, err = io.ReadAll(io.LimitReader(resp.Body, maxTokenBody)); err != nil {
			if resp.Request != nil && resp.Request.Context().Err() != nil {
				return nil, fmt.Errorf("auth: reading token response: %w", err)
			}
			return nil, &transientError{op: "reading token response", err: err}
		}
	}
	t, err := parseTokenBody(resp.StatusCode, body, c.now(), c.scrubList(g))
	if err != nil {
		return nil, err
	}
	ctx := context.Background()
	if resp.Request != nil {
		ctx = resp.Request.Context()
	}
	if err := c.completeToken(ctx, t, g); err != nil {
		return nil, err
	}
	return t, nil
}

// scrubList is every credential the request for g carried, in each
// encoding a server might echo back.
func (c *Config) scrubList(g Grant) []string {
	var out []string
	for _, s := range append(slices.Clip(g.secrets), c.ClientSecret) {
		out = append(out, s, url.QueryEscape(s))
	}
	basic := url.QueryEscape(c.ClientID) + ":" + url.QueryEscape(c.ClientSecret)
	return append(out, base64.StdEncoding.EncodeToString([]byte(basic)))
}

// completeToken validates the ID token and carries over what a refresh
// response may omit.
func (c *Config) completeToken(ctx context.Context, t *Token, g Grant) error {
	prev := g.prev
	if prev != nil && t.RefreshToken == "" {
		t.RefreshToken = prev.RefreshToken
	}
	if t.IDToken == "" {
		if g.nonce != "" {
			return fmt.Errorf("%w: nonce expected but the response has no id_token", ErrInvalidIDToken)
		}
		if prev != nil {
			t.IDToken, t.Claims = prev.IDToken, prev.Claims
		}
		return nil
	}
	claims, err := c.VerifyIDTokenContext(ctx, t.IDToken, g.nonce)
	if err != nil {
		return err
	}
	if prev != nil && prev.Claims != nil && prev.Claims.Subject != claims.Subject {
		return fmt.Errorf("%w: subject changed on refresh", ErrInvalidIDToken)
	}
	t.Claims = claims
	return nil
}

// tokenJSON is the wire form of RFC 6749 §5.1 and §5.2 responses.
type tokenJSON struct {
	AccessToken      string      `json:"access_token"`
	TokenType        string      `json:"token_type"`
	RefreshToken     string      `json:"refresh_token"`
	ExpiresIn        json.Number `json:"expires_in"` // number or numeric string (one client declares it a string)
	Scope            string      `json:"scope"`
	IDToken          string      `json:"id_token"`
	Error            string      `json:"error"`
	ErrorDescription string      `json:"error_description"`
	ErrorURI         string      `json:"error_uri"`
}

// maxLifetime caps expires_in so that absurd values cannot overflow.
const maxLifetime = 10 * 365 * 24 * time.Hour

// parseTokenBody interprets a token-endpoint answer. secrets are scrubbed
// from any text copied into an error.
func parseTokenBody(status int, body []byte, now time.Time, secrets []string) (*Token, error) {
	var tj tokenJSON
	if err := json.Unmarshal(body, &tj); err != nil {
		return nil, &TokenError{StatusCode: status, Snippet: redact.Text(string(body), maxSnippet, secrets...)}
	}
	ok := status >= 200 && status < 300
	if tj.Error != "" || !ok {
		e := &TokenError{
			Code:        redact.Text(tj.Error, maxSnippet, secrets...),
			Description: redact.Text(tj.ErrorDescription, maxSnippet, secrets...),
			URI:         redact.Text(tj.ErrorURI, maxSnippet, secrets...),
			StatusCode:  status,
		}
		if e.Code == "" {
			e.Snippet = redact.Text(string(body), maxSnippet, secrets...)
		}
		return nil, e
	}
	if tj.AccessToken == "" {
		return nil, &TokenError{StatusCode: status, Description: "response has no access_token"}
	}
	t := &Token{
		AccessToken:  tj.AccessToken,
		TokenType:    tj.TokenType,
		RefreshToken: tj.RefreshToken,
		Scope:        tj.Scope,
		IDToken:      tj.IDToken,
		Expiry:       now.Add(lifetime(tj.ExpiresIn)),
	}
	if t.TokenType == "" {
		t.TokenType = "Bearer"
	}
	return t, nil
}

// lifetime turns expires_in (seconds) into a duration; missing,
// unparsable or negative values, and values under one second (which would
// give a token that is expired when it arrives), mean DefaultTokenLifetime.
func lifetime(n json.Number) time.Duration {
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || f < 1 || math.IsNaN(f) {
		return DefaultTokenLifetime
	}
	if f >= maxLifetime.Seconds() {
		return maxLifetime
	}
	return time.Duration(f * float64(time.Second))
}

// retrieve sends g and parses the answer.
func (c *Config) retrieve(ctx context.Context, g Grant) (*Token, error) {
	req, err := c.NewTokenRequest(ctx, g)
	if err != nil {
		return nil, err
	}
	resp, err := c.httpClient().Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("auth: token request: %w", err)
		}
		return nil, &transientError{op: "token request", err: err}
	}
	return c.ParseTokenResponse(resp, g)
}

// Exchange trades an authorization code for a token, validating the ID token
// (see VerifyIDToken). Check the callback's state with CheckState first;
// pass AuthRequest.ExchangeOptions() to check the nonce and send the PKCE
// verifier.
func (c *Config) Exchange(ctx context.Context, code string, opts ...ExchangeOption) (*Token, error) {
	g, err := AuthCodeGrant(code, opts...)
	if err != nil {
		return nil, err
	}
	return c.retrieve(ctx, g)
}

// Refresh spends t's refresh token once and returns the new token. jAccount
// rotates refresh tokens, so t's refresh token is dead afterwards: persist
// the result (TokenSource does this for you). A rejected refresh token gives
// an error matching ErrInvalidGrant. A new ID token in the answer is
// verified like one from Exchange (without a nonce) and must name the same
// subject as t's; if it does not, the error wraps ErrInvalidIDToken and the
// answer, rotated refresh token included, is discarded (fail closed).
func (c *Config) Refresh(ctx context.Context, t *Token) (*Token, error) {
	return c.retrieve(ctx, RefreshGrant(t))
}

// ClientCredentials fetches a token for the application itself (jAccount's
// client mode) for scopes; nil (or empty) means Config.Scopes, as for
// ClientCredentialsSource, which keeps such tokens fresh.
func (c *Config) ClientCredentials(ctx context.Context, scopes []string) (*Token, error) {
	return c.retrieve(ctx, ClientCredentialsGrant(scopes))
}
