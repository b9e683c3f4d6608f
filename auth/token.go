package auth

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/oauth-jaccount/jaccount-go/internal/redact"
	"golang.org/x/oauth2"
)

// Token is what the jAccount token endpoint returns, plus the validated
// ID-token claims. Its JSON form (used by FileStore) keeps every field,
// including the ID token, unlike oauth2.Token. Printing a Token through fmt
// or slog never reveals AccessToken, RefreshToken or IDToken.
type Token struct {
	// AccessToken authorises API calls.
	AccessToken string `json:"access_token"`
	// TokenType is the scheme, normally "bearer".
	TokenType string `json:"token_type,omitempty"`
	// RefreshToken obtains the next token. jAccount rotates it on refresh.
	RefreshToken string `json:"refresh_token,omitempty"`
	// Expiry is when AccessToken expires. When the server gave no
	// expires_in, it is set DefaultTokenLifetime ahead, never left zero,
	// because a zero Expiry would mean "never refresh" to x/oauth2.
	Expiry time.Time `json:"expiry"`
	// Scope is the granted scope, when the server reports it.
	Scope string `json:"scope,omitempty"`
	// IDToken is the raw, signed ID token (OpenID Connect logins only).
	IDToken string `json:"id_token,omitempty"`
	// Claims are the validated claims of IDToken, or nil without one.
	Claims *IDTokenClaims `json:"id_token_claims,omitempty"`
}

// DefaultTokenLifetime is assumed when the token endpoint omits expires_in
// or sends one under a second.
const DefaultTokenLifetime = 10 * time.Minute

// expiresWithin reports whether t is unusable at now+window. A token without
// an access token or expiry counts as expired.
func (t *Token) expiresWithin(now time.Time, window time.Duration) bool {
	return t == nil || t.AccessToken == "" || t.Expiry.IsZero() || !now.Add(window).Before(t.Expiry)
}

// subject is the ID token's sub claim, or "" when unknown.
func (t *Token) subject() string {
	if t == nil || t.Claims == nil {
		return ""
	}
	return t.Claims.Subject
}

// OAuth2 converts t to an *oauth2.Token for use with x/oauth2 transports.
// The ID token and scope travel as the "id_token" and "scope" extras.
// Unlike Token, oauth2.Token prints its secrets with %v: do not log it.
func (t *Token) OAuth2() *oauth2.Token {
	if t == nil {
		return nil
	}
	o := &oauth2.Token{
		AccessToken:  t.AccessToken,
		TokenType:    t.TokenType,
		RefreshToken: t.RefreshToken,
		Expiry:       t.Expiry,
	}
	extra := map[string]any{}
	if t.IDToken != "" {
		extra["id_token"] = t.IDToken
	}
	if t.Scope != "" {
		extra["scope"] = t.Scope
	}
	if len(extra) > 0 {
		o = o.WithExtra(extra)
	}
	return o
}

// FromOAuth2 converts an *oauth2.Token, taking the ID token and scope from
// its extras. Claims stay nil: verify IDToken with Config.VerifyIDToken if
// they are needed.
func FromOAuth2(o *oauth2.Token) *Token {
	if o == nil {
		return nil
	}
	t := &Token{
		AccessToken:  o.AccessToken,
		TokenType:    o.TokenType,
		RefreshToken: o.RefreshToken,
		Expiry:       o.Expiry,
	}
	t.IDToken, _ = o.Extra("id_token").(string)
	t.Scope, _ = o.Extra("scope").(string)
	return t
}

// String describes the token without its secrets.
func (t Token) String() string {
	s := fmt.Sprintf("auth.Token{TokenType: %q, AccessToken: %s, RefreshToken: %s, IDToken: %s, Expiry: %s, Scope: %q",
		t.TokenType, redact.Secret(t.AccessToken), redact.Secret(t.RefreshToken), redact.Secret(t.IDToken),
		t.Expiry.Format(time.RFC3339), t.Scope)
	if t.Claims != nil {
		s += fmt.Sprintf(", Subject: %q, Type: %q", t.Claims.Subject, t.Claims.Type)
	}
	return s + "}"
}

// GoString is String; it keeps %#v from printing the secrets.
func (t Token) GoString() string { return t.String() }

// Format makes every fmt verb print String, so no verb reveals a secret.
func (t Token) Format(f fmt.State, _ rune) { redact.Write(f, t.String()) }

// LogValue implements slog.LogValuer without the secrets.
func (t Token) LogValue() slog.Value {
	attrs := []slog.Attr{
		slog.String("token_type", t.TokenType),
		slog.String("access_token", redact.Secret(t.AccessToken)),
		slog.String("refresh_token", redact.Secret(t.RefreshToken)),
		slog.String("id_token", redact.Secret(t.IDToken)),
		slog.Time("expiry", t.Expiry),
	}
	if t.Claims != nil {
		attrs = append(attrs, slog.String("sub", t.Claims.Subject))
	}
	return slog.GroupValue(attrs...)
}
