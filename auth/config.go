package auth

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/oauth-jaccount/jaccount-go/internal/redact"
)

// Endpoint holds jAccount's OAuth 2.0 / OpenID Connect addresses. A zero field
// takes its value from DefaultEndpoint, so tests can override just the URLs
// they serve.
type Endpoint struct {
	// AuthURL is the authorization endpoint the browser is sent to.
	AuthURL string
	// TokenURL is the token endpoint (code exchange, refresh, client credentials).
	TokenURL string
	// LogoutURL ends the user's jAccount browser session.
	LogoutURL string
	// Issuer is the exact "iss" value ID tokens must carry.
	Issuer string
}

// DefaultEndpoint is the production jAccount endpoint. Note the trailing
// slash of Issuer: jAccount's ID tokens carry it and the check is exact.
var DefaultEndpoint = Endpoint{
	AuthURL:   "https://jaccount.sjtu.edu.cn/oauth2/authorize",
	TokenURL:  "https://jaccount.sjtu.edu.cn/oauth2/token",
	LogoutURL: "https://jaccount.sjtu.edu.cn/oauth2/logout",
	Issuer:    "https://jaccount.sjtu.edu.cn/oauth2/",
}

// withDefaults fills every empty field from DefaultEndpoint.
func (e Endpoint) withDefaults() Endpoint {
	pick := func(v, def string) string {
		if v == "" {
			return def
		}
		return v
	}
	return Endpoint{
		AuthURL:   pick(e.AuthURL, DefaultEndpoint.AuthURL),
		TokenURL:  pick(e.TokenURL, DefaultEndpoint.TokenURL),
		LogoutURL: pick(e.LogoutURL, DefaultEndpoint.LogoutURL),
		Issuer:    pick(e.Issuer, DefaultEndpoint.Issuer),
	}
}

// AuthStyle selects how the client authenticates to the token endpoint.
// There is deliberately no auto-detection: probing sends a one-time code or
// refresh token twice.
type AuthStyle int

const (
	// AuthStyleInParams sends client_id and client_secret in the form body
	// (client_secret_post). It is the zero value and what jAccount documents.
	AuthStyleInParams AuthStyle = iota
	// AuthStyleInHeader sends the credentials as HTTP Basic authentication
	// (client_secret_basic). jAccount support for it is unconfirmed.
	AuthStyleInHeader
)

// String returns the OpenID Connect name of the client authentication method.
func (s AuthStyle) String() string {
	switch s {
	case AuthStyleInParams:
		return "client_secret_post"
	case AuthStyleInHeader:
		return "client_secret_basic"
	}
	return fmt.Sprintf("AuthStyle(%d)", int(s))
}

// check rejects values other than the two styles.
func (s AuthStyle) check() error {
	if s != AuthStyleInParams && s != AuthStyleInHeader {
		return fmt.Errorf("%w: Config.AuthStyle %s", ErrInvalidOption, s)
	}
	return nil
}

// IDTokenOptions controls ID-token validation. The zero value is the secure
// default, what jAccount documents: HS256 only, signature checked with the
// client secret, one minute of clock-skew leeway.
type IDTokenOptions struct {
	// Algorithms lists the accepted JWS "alg" values. Empty means HS256,
	// which jAccount documents. Only HMAC algorithms (HS256, HS384, HS512)
	// can succeed, because the key is the client secret; "none" never is.
	Algorithms []string
	// Leeway is the clock-skew allowance for exp, iat and nbf. Zero means
	// DefaultLeeway; a negative value means no leeway at all.
	Leeway time.Duration
	// Verifier, when set, checks the signature instead of the HMAC with the
	// client secret, for providers that sign RS256 (go-oidc's verifier plugs
	// in, see IDTokenVerifier); Algorithms is then not used. Every claim is
	// still checked here.
	Verifier IDTokenVerifier
	// InsecureSkipSignatureCheck disables the signature and algorithm check.
	// The claims are still validated. FOR TESTS ONLY: with it set, anyone
	// who can reach the redirect URL can log in as any user.
	InsecureSkipSignatureCheck bool
}

// DefaultLeeway is the clock-skew allowance used when IDTokenOptions.Leeway
// is zero.
const DefaultLeeway = time.Minute

// Config is a jAccount OAuth 2.0 client. It is safe for concurrent use once
// built; do not change its fields afterwards. Printing a Config (fmt, slog)
// never reveals ClientSecret.
type Config struct {
	// ClientID is the application id, e.g. "japortal000000".
	ClientID string
	// ClientSecret is the application secret. It also keys the ID-token HMAC.
	ClientSecret string
	// RedirectURL is the callback registered with jAccount. It is sent to
	// the authorize endpoint and, as required, again on code exchange.
	RedirectURL string
	// Scopes are the default scopes, sent space-separated.
	Scopes []string
	// Endpoint overrides the jAccount addresses; zero fields use DefaultEndpoint.
	Endpoint Endpoint
	// AuthStyle selects client authentication; the zero value is client_secret_post.
	AuthStyle AuthStyle
	// HTTPClient performs token-endpoint calls. Nil means a client with a
	// 30-second timeout that refuses redirects (so credentials in the
	// request body are never re-sent to another host).
	HTTPClient *http.Client
	// IDToken tunes ID-token validation.
	IDToken IDTokenOptions
	// Now returns the current time; nil means time.Now. Tests set it.
	Now func() time.Time
}

var defaultHTTPClient = &http.Client{
	Timeout: 30 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	},
}

func (c *Config) httpClient() *http.Client {
	if c.HTTPClient != nil {
		return c.HTTPClient
	}
	return defaultHTTPClient
}

func (c *Config) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Config) endpoint() Endpoint { return c.Endpoint.withDefaults() }

// String describes the Config without its secret.
func (c Config) String() string {
	e := c.endpoint()
	return fmt.Sprintf("auth.Config{ClientID: %q, ClientSecret: %s, RedirectURL: %q, Scopes: %q, TokenURL: %q, AuthStyle: %s}",
		c.ClientID, redact.Secret(c.ClientSecret), c.RedirectURL, c.Scopes, e.TokenURL, c.AuthStyle)
}

// GoString is String; it keeps %#v from printing the secret.
func (c Config) GoString() string { return c.String() }

// Format makes every fmt verb print String, so no verb reveals the secret.
func (c Config) Format(f fmt.State, _ rune) { redact.Write(f, c.String()) }

// LogValue implements slog.LogValuer without the secret.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("client_id", c.ClientID),
		slog.String("client_secret", redact.Secret(c.ClientSecret)),
		slog.String("redirect_url", c.RedirectURL),
		slog.String("scopes", strings.Join(c.Scopes, " ")),
		slog.String("token_url", c.endpoint().TokenURL),
	)
}
