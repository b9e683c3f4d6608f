package auth

import (
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func fuzzConfig() *Config {
	return &Config{ClientID: testClientID, ClientSecret: testSecret, Now: func() time.Time { return testNow }}
}

// FuzzTokenResponse feeds arbitrary token-endpoint answers to the parser:
// it must never panic, and must either return a usable token or a typed
// error that does not echo the client secret.
func FuzzTokenResponse(f *testing.F) {
	idt := signIDToken(f, baseClaims(), testSecret, jwt.SigningMethodHS256)
	seeds := []struct {
		status int
		body   string
	}{
		{200, `{"access_token":"a","token_type":"bearer","refresh_token":"r","expires_in":3600,"scope":"openid"}`},
		{200, `{"access_token":"a","expires_in":"3600","id_token":"` + idt + `"}`},
		{200, `{"access_token":"a","id_token":"x.y.z"}`},
		{200, `{"access_token":"a","expires_in":1e999}`},
		{200, `{"error":"invalid_grant"}`},
		{400, `{"error":"invalid_grant","error_description":"` + testSecret + `"}`},
		{401, `{"error":"invalid_client"}`},
		{502, "<html><body>Bad Gateway " + testSecret + "</body></html>"},
		{200, `{"access_token":`},
		{200, `null`},
		{200, `[]`},
		{204, ``},
		{200, "\xff\xfe\x00"},
	}
	for _, s := range seeds {
		f.Add(s.status, []byte(s.body))
	}
	cfg := fuzzConfig()
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		resp := &http.Response{StatusCode: status, Body: io.NopCloser(strings.NewReader(string(body)))}
		tok, err := cfg.ParseTokenResponse(resp, codeGrant(t, "code-1234"))
		if err == nil {
			if tok.AccessToken == "" || !tok.Expiry.After(testNow) || tok.IDToken != "" && tok.Claims == nil {
				t.Fatalf("accepted an unusable token: %v", tok)
			}
			return
		}
		var te *TokenError
		if !errors.As(err, &te) && !errors.Is(err, ErrInvalidIDToken) {
			t.Fatalf("untyped error %T: %v", err, err)
		}
		if strings.Contains(err.Error(), testSecret) {
			t.Fatalf("error echoes the secret: %v", err)
		}
		if te != nil && len(te.Snippet) > maxSnippet+len("…") {
			t.Fatalf("snippet too long: %d", len(te.Snippet))
		}
	})
}

// FuzzIDToken feeds arbitrary strings to the ID-token verifier: it must
// never panic, and anything it accepts must satisfy every documented check.
func FuzzIDToken(f *testing.F) {
	f.Add(signIDToken(f, baseClaims(), testSecret, jwt.SigningMethodHS256))
	f.Add(signIDToken(f, with(baseClaims(), "aud", []string{"x", testClientID}), testSecret, jwt.SigningMethodHS256))
	f.Add(signIDToken(f, with(with(baseClaims(), "aud", []string{"x", testClientID}), "azp", testClientID), testSecret, jwt.SigningMethodHS256))
	f.Add(signIDToken(f, baseClaims(), "wrong", jwt.SigningMethodHS256))
	f.Add(signIDToken(f, baseClaims(), testSecret, jwt.SigningMethodHS512))
	none, _ := jwt.NewWithClaims(jwt.SigningMethodNone, baseClaims()).SignedString(jwt.UnsafeAllowNoneSignatureType)
	f.Add(none)
	f.Add("eyJhbGciOiJIUzI1NiJ9.e30.")
	f.Add("a.b.c")
	f.Add("")
	cfg := fuzzConfig()
	f.Fuzz(func(t *testing.T, raw string) {
		c, err := cfg.VerifyIDToken(raw, "")
		if err != nil {
			if !errors.Is(err, ErrInvalidIDToken) || c != nil {
				t.Fatalf("bad failure: %v %v", c, err)
			}
			return
		}
		if (len(c.Audience) > 1 || c.AuthorizedParty != "") && c.AuthorizedParty != testClientID {
			t.Fatalf("accepted azp %q for audiences %q", c.AuthorizedParty, c.Audience)
		}
		if c.Issuer != DefaultEndpoint.Issuer || !slices.Contains(c.Audience, testClientID) || c.Subject == "" ||
			!c.ExpiresAt.After(testNow.Add(-DefaultLeeway)) || c.IssuedAt.IsZero() || c.IssuedAt.After(testNow.Add(DefaultLeeway)) {
			t.Fatalf("accepted invalid claims: %+v", c)
		}
		if p, _, err := jwt.NewParser().ParseUnverified(raw, jwt.MapClaims{}); err != nil || p.Method.Alg() != "HS256" {
			t.Fatalf("accepted a token not signed HS256: %v", err)
		}
		// Only the canonical spelling: each segment is what its bytes
		// encode to, with nothing added (such as a line break).
		for _, seg := range strings.Split(raw, ".") {
			b, err := base64.RawURLEncoding.DecodeString(seg)
			if err != nil || base64.RawURLEncoding.EncodeToString(b) != seg {
				t.Fatalf("accepted %q, whose segment %q is not canonical base64url", raw, seg)
			}
		}
	})
}
