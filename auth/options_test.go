package auth

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"
)

// authURL is Config.AuthCodeURL for options that must be valid.
func authURL(t testing.TB, c *Config, opts ...AuthCodeOption) *AuthRequest {
	t.Helper()
	r, err := c.AuthCodeURL(opts...)
	if err != nil {
		t.Fatalf("AuthCodeURL: %v", err)
	}
	return r
}

// logoutURL is Config.LogoutURL for options that must be valid.
func logoutURL(t testing.TB, c *Config, redirect string, opts ...LogoutOption) string {
	t.Helper()
	u, err := c.LogoutURL(redirect, opts...)
	if err != nil {
		t.Fatalf("LogoutURL: %v", err)
	}
	return u
}

// codeGrant is AuthCodeGrant for options that must be valid.
func codeGrant(t testing.TB, code string, opts ...ExchangeOption) Grant {
	t.Helper()
	g, err := AuthCodeGrant(code, opts...)
	if err != nil {
		t.Fatalf("AuthCodeGrant: %v", err)
	}
	return g
}

// validVerifier is an RFC 7636 code verifier (43 characters).
const validVerifier = "verifier-secret-0123456789-abcdefghijklmnop"

// TestOptions checks every option of the package: its zero value keeps
// the default, an invalid value is refused by the call that takes it with
// an error matching ErrInvalidOption that names the option (and never a
// secret value), and nil options are skipped.
func TestOptions(t *testing.T) {
	t.Parallel()
	cfg := &Config{ClientID: "cid", RedirectURL: "https://app.example/cb", Scopes: []string{"openid", "basic"}}
	// AuthCodeURL: the query the options produce, or the error.
	authCode := func(opts ...AuthCodeOption) (url.Values, error) {
		r, err := cfg.AuthCodeURL(opts...)
		if err != nil {
			return nil, err
		}
		u, _ := url.Parse(r.URL)
		return u.Query(), nil
	}
	defaults, err := authCode()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		opt  AuthCodeOption
		bad  string // the text the error names; "" when valid
	}{
		{"WithScopes() keeps Config.Scopes", WithScopes(), ""},
		{"WithScopes(nil...) keeps Config.Scopes", WithScopes(nil...), ""},
		{"WithScopes empty scope", WithScopes("basic", ""), `WithScopes("")`},
		{"WithScopes scope with a space", WithScopes("basic lessons"), `WithScopes("basic lessons")`},
		{"WithRedirectURL zero keeps Config.RedirectURL", WithRedirectURL(""), ""},
		{"WithRedirectURL relative", WithRedirectURL("/cb"), `WithRedirectURL("/cb")`},
		{"WithRedirectURL without a host", WithRedirectURL("https:///cb"), `WithRedirectURL("https:///cb")`},
		{"WithAuthParam empty name", WithAuthParam("", "x"), "WithAuthParam: empty parameter name"},
		{"nil option", nil, ""},
	} {
		q, err := authCode(tt.opt)
		checkOptionError(t, tt.name, err, tt.bad, "")
		if tt.bad == "" && err == nil && (q.Get("scope") != defaults.Get("scope") || q.Get("redirect_uri") != defaults.Get("redirect_uri")) {
			t.Errorf("%s: scope %q redirect_uri %q, want the defaults %q %q", tt.name, q.Get("scope"), q.Get("redirect_uri"), defaults.Get("scope"), defaults.Get("redirect_uri"))
		}
	}
	for _, key := range authParams {
		_, err := authCode(WithAuthParam(key, "secret-value"))
		checkOptionError(t, "WithAuthParam "+key, err, `WithAuthParam("`+key+`"`, "secret-value")
	}
	// The first invalid option is reported, also after valid ones.
	if _, err := authCode(WithNonce(), nil, WithScopes(""), WithRedirectURL("x")); err == nil || !strings.Contains(err.Error(), "WithScopes") {
		t.Errorf("not the first invalid option: %v", err)
	}

	// LogoutURL.
	for _, key := range logoutParams {
		_, err := cfg.LogoutURL("https://app.example/", WithLogoutParam(key, "https://evil.example/"))
		checkOptionError(t, "WithLogoutParam "+key, err, `WithLogoutParam("`+key+`"`, "evil")
	}
	_, err = cfg.LogoutURL("", WithLogoutParam("", "x"))
	checkOptionError(t, "WithLogoutParam empty name", err, "WithLogoutParam: empty parameter name", "")
	if u, err := cfg.LogoutURL("", nil, WithLogoutParam("retUrl", "https://app.example/")); err != nil || !strings.Contains(u, "retUrl=") {
		t.Errorf("LogoutURL with a nil option: %q, %v", u, err)
	}

	// AuthCodeGrant and Exchange.
	zero, err := AuthCodeGrant("c", WithCodeVerifier(""), WithExpectedNonce(""), WithExchangeRedirectURL(""), nil)
	if err != nil || len(zero.form) != 2 || zero.nonce != "" || zero.redirect != "" {
		t.Errorf("the zero exchange options changed the grant: %v, %v", zero, err)
	}
	for _, tt := range []struct {
		name     string
		opt      ExchangeOption
		bad, not string
	}{
		{"WithCodeVerifier too short", WithCodeVerifier("short-verifier-secret"), "WithCodeVerifier: not an RFC 7636", "short-verifier-secret"},
		{"WithCodeVerifier bad character", WithCodeVerifier(strings.Repeat("v", 42) + "+"), "WithCodeVerifier: not an RFC 7636", strings.Repeat("v", 42)},
		{"WithCodeVerifier too long", WithCodeVerifier(strings.Repeat("v", 129)), "WithCodeVerifier: not an RFC 7636", strings.Repeat("v", 129)},
		{"WithCodeVerifier valid", WithCodeVerifier(validVerifier), "", ""},
		{"WithTokenParam empty name", WithTokenParam("", "x"), "WithTokenParam: empty parameter name", ""},
		{"WithTokenParam other name", WithTokenParam("device_id", "d-1"), "", ""},
	} {
		_, err := AuthCodeGrant("c", tt.opt)
		checkOptionError(t, tt.name, err, tt.bad, tt.not)
	}
	for _, key := range tokenParams {
		_, err := AuthCodeGrant("c", WithTokenParam(key, "secret-value"))
		checkOptionError(t, "WithTokenParam "+key, err, `WithTokenParam("`+key+`"`, "secret-value")
		if _, err := cfg.Exchange(t.Context(), "c", WithTokenParam(key, "secret-value")); !errors.Is(err, ErrInvalidOption) {
			t.Errorf("Exchange with WithTokenParam(%q): %v", key, err)
		}
	}

	// TokenSource and ClientCredentialsSource.
	for _, tt := range []struct {
		name string
		opt  SourceOption
		bad  string
	}{
		{"WithExpiryWindow zero", WithExpiryWindow(0), ""},
		{"WithExpiryWindow negative", WithExpiryWindow(-time.Second), "WithExpiryWindow(-1s): negative"},
		{"WithFailureTTL zero", WithFailureTTL(0), ""},
		{"WithFailureTTL negative", WithFailureTTL(-time.Second), "WithFailureTTL(-1s): negative"},
		{"WithRefreshTimeout zero", WithRefreshTimeout(0), ""},
		{"WithRefreshTimeout negative", WithRefreshTimeout(-time.Minute), "WithRefreshTimeout(-1m0s): negative"},
		{"WithStore nil", WithStore(nil), ""},
		{"WithLogger nil", WithLogger(nil), ""},
		//lint:ignore SA1012 nil is the documented default
		{"WithContext nil", WithContext(nil), ""},
		{"nil option", nil, ""},
	} {
		ts, err := cfg.TokenSource(nil, tt.opt)
		checkOptionError(t, "TokenSource "+tt.name, err, tt.bad, "")
		if err == nil && (ts.window != DefaultExpiryWindow || ts.failTTL != DefaultFailureTTL || ts.timeout != DefaultRefreshTimeout || ts.store != nil || ts.log != nil || ts.base == nil) {
			t.Errorf("%s: not the defaults: %v %v %v", tt.name, ts.window, ts.failTTL, ts.timeout)
		}
		_, err = cfg.ClientCredentialsSource(nil, tt.opt)
		checkOptionError(t, "ClientCredentialsSource "+tt.name, err, tt.bad, "")
	}
}

// checkOptionError checks that err is nil when bad is "", and otherwise
// matches ErrInvalidOption, holds bad and does not hold not.
func checkOptionError(t *testing.T, name string, err error, bad, not string) {
	t.Helper()
	switch {
	case bad == "" && err != nil:
		t.Errorf("%s: %v", name, err)
	case bad != "" && (!errors.Is(err, ErrInvalidOption) || !strings.Contains(err.Error(), bad)):
		t.Errorf("%s: error %v, want one matching ErrInvalidOption that says %q", name, err, bad)
	case not != "" && err != nil && strings.Contains(err.Error(), not):
		t.Errorf("%s: the error shows the value: %v", name, err)
	}
}
