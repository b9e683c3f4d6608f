package auth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/golang-jwt/jwt/v5"
)

// ErrInvalidIDToken is matched (errors.Is) by every ID-token validation
// failure. An expired ID token also matches ErrIDTokenExpired and a wrong
// nonce ErrNonceMismatch; the text says what else failed. The JWT library's
// own errors are not part of this package's API and are not wrapped.
var ErrInvalidIDToken = errors.New("auth: invalid ID token")

// hmacAlgorithms are the only algorithms that can verify with the client
// secret as key.
var hmacAlgorithms = []string{"HS256", "HS384", "HS512"}

// IDTokenVerifier checks an ID token's signature for a provider that does
// not sign with the client secret (RS256 and other asymmetric algorithms)
// and returns the token's payload, the JSON claims set. Set it in
// IDTokenOptions.Verifier; the claims are then checked by this package as
// always (see Config.VerifyIDToken). go-oidc's verifier plugs in like this:
//
//	v := provider.Verifier(&oidc.Config{ClientID: cfg.ClientID})
//	cfg.IDToken.Verifier = auth.IDTokenVerifierFunc(func(ctx context.Context, raw string) ([]byte, error) {
//		t, err := v.Verify(ctx, raw)
//		if err != nil {
//			return nil, err
//		}
//		var payload json.RawMessage
//		return payload, t.Claims(&payload)
//	})
type IDTokenVerifier interface {
	// VerifySignature checks raw's signature (and whatever else it likes)
	// and returns its decoded payload. Its error is wrapped, matching
	// ErrInvalidIDToken.
	VerifySignature(ctx context.Context, raw string) (payload []byte, err error)
}

// IDTokenVerifierFunc is a function that is an IDTokenVerifier.
type IDTokenVerifierFunc func(ctx context.Context, raw string) (payload []byte, err error)

// VerifySignature calls f.
func (f IDTokenVerifierFunc) VerifySignature(ctx context.Context, raw string) ([]byte, error) {
	return f(ctx, raw)
}

// VerifyIDToken is VerifyIDTokenContext with context.Background().
func (c *Config) VerifyIDToken(raw, nonce string) (*IDTokenClaims, error) {
	return c.VerifyIDTokenContext(context.Background(), raw, nonce)
}

// VerifyIDTokenContext parses and validates a raw ID token and returns its
// claims, keeping the verified payload for IDTokenClaims.Claims. nonce is
// the nonce sent with the authorize request, or "" if none was sent; ctx is
// handed to IDTokenOptions.Verifier.
//
// Checked, all of them, with the Config's IDToken options:
//   - the form, before anything else (also with a Verifier): a compact JWS,
//     three segments of unpadded base64url, each in its one canonical
//     spelling (no padding, no other character, not even a line break,
//     which Go's base64 decoders would skip);
//   - the signature: by IDToken.Verifier when set; otherwise the segments
//     hold JSON, the "alg" is one of IDToken.Algorithms (default HS256;
//     HMAC only; never "none") and the HMAC verifies with ClientSecret;
//   - iss equals Endpoint.Issuer exactly (trailing slash included);
//   - aud contains ClientID (a string or an array);
//   - azp, when present, equals ClientID, and it must be present when aud
//     has several values (OpenID Connect Core 3.1.3.7);
//   - exp is present and after now − leeway (else an *IDTokenExpiredError,
//     matching ErrIDTokenExpired);
//   - iat is present and not after now + leeway;
//   - nbf, if present, is not after now + leeway;
//   - sub is present (it is the jAccount username);
//   - nonce, when nonce is non-empty, equals it (constant-time; else
//     ErrNonceMismatch).
//
// Not checked: at_hash, auth_time, acr, any maximum age of iat, and the
// token's "typ" and "kid" headers. With IDToken.InsecureSkipSignatureCheck
// the signature is not checked either; every claim check above still
// applies.
func (c *Config) VerifyIDTokenContext(ctx context.Context, raw, nonce string) (*IDTokenClaims, error) {
	claims, err := c.verifyIDToken(ctx, raw, nonce)
	if err != nil {
		return nil, idTokenError(err)
	}
	return claims, nil
}

// hookError is a failure of IDTokenOptions.Verifier; it stays matchable.
type hookError struct{ err error }

func (e hookError) Error() string { return "verifier: " + e.err.Error() }

// idTokenError turns a verification failure into this package's errors:
// ErrInvalidIDToken always, plus an *IDTokenExpiredError (ErrIDTokenExpired)
// or ErrNonceMismatch when that is the cause. A golang-jwt error contributes
// its text only; the error of IDTokenOptions.Verifier is wrapped.
func idTokenError(err error) error {
	var he hookError
	var expired *IDTokenExpiredError
	switch {
	case errors.As(err, &he):
		return fmt.Errorf("%w: verifier: %w", ErrInvalidIDToken, he.err)
	case errors.As(err, &expired):
		return expired
	case errors.Is(err, ErrNonceMismatch):
		return fmt.Errorf("%w: %w", ErrInvalidIDToken, ErrNonceMismatch)
	}
	return fmt.Errorf("%w: %s", ErrInvalidIDToken, err.Error())
}

func (c *Config) verifyIDToken(ctx context.Context, raw, nonce string) (*IDTokenClaims, error) {
	if !compactJWS(raw) {
		return nil, fmt.Errorf("%w: not a compact JWS of three canonical base64url segments", jwt.ErrTokenMalformed)
	}
	payload, err := c.verifySignature(ctx, raw)
	if err != nil {
		return nil, err
	}
	var w wireClaims
	if err := json.Unmarshal(payload, &w); err != nil {
		return nil, fmt.Errorf("%w: payload: %w", jwt.ErrTokenMalformed, err)
	}
	leeway := c.IDToken.Leeway
	switch {
	case leeway == 0:
		leeway = DefaultLeeway
	case leeway < 0:
		leeway = 0
	}
	err = jwt.NewValidator(
		jwt.WithIssuer(c.endpoint().Issuer),
		jwt.WithAudience(c.ClientID),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(leeway),
		jwt.WithTimeFunc(c.now),
	).Validate(&w)
	if errors.Is(err, jwt.ErrTokenExpired) && w.ExpiresAt != nil {
		return nil, &IDTokenExpiredError{Expiry: w.ExpiresAt.Time}
	}
	if err != nil {
		return nil, err
	}
	if len(w.Audience) > 1 && w.AuthorizedParty == "" {
		return nil, fmt.Errorf("aud has %d values and there is no azp", len(w.Audience))
	}
	if w.AuthorizedParty != "" && w.AuthorizedParty != c.ClientID {
		return nil, fmt.Errorf("azp %q is not the client id", w.AuthorizedParty)
	}
	if nonce != "" {
		if err := CheckNonce(nonce, w.Nonce); err != nil {
			return nil, err
		}
	}
	claims := w.claims()
	claims.raw = payload
	return claims, nil
}

// verifySignature checks raw's signature (IDToken.Verifier, else HMAC with
// the client secret) and returns its payload.
func (c *Config) verifySignature(ctx context.Context, raw string) ([]byte, error) {
	if v := c.IDToken.Verifier; v != nil {
		payload, err := v.VerifySignature(ctx, raw)
		if err != nil {
			return nil, hookError{err}
		}
		return payload, nil
	}
	if c.IDToken.InsecureSkipSignatureCheck {
		if _, _, err := jwt.NewParser().ParseUnverified(raw, jwt.MapClaims{}); err != nil {
			return nil, err
		}
		return payloadOf(raw)
	}
	algs := c.IDToken.Algorithms
	if len(algs) == 0 {
		algs = []string{"HS256"}
	}
	for _, a := range algs {
		if !slices.Contains(hmacAlgorithms, a) {
			return nil, fmt.Errorf("algorithm %q cannot be verified with the client secret; set IDTokenOptions.Verifier", a)
		}
	}
	if c.ClientSecret == "" {
		return nil, errors.New("no client secret to verify the signature with")
	}
	p := jwt.NewParser(jwt.WithValidMethods(algs), jwt.WithStrictDecoding(), jwt.WithoutClaimsValidation())
	key := func(*jwt.Token) (any, error) { return []byte(c.ClientSecret), nil }
	if _, err := p.Parse(raw, key); err != nil {
		return nil, err
	}
	return payloadOf(raw)
}

// jwsEncoding is a JWS segment's: unpadded base64url (RFC 7515 §2),
// strict, so that the unused bits of the last character are zero.
var jwsEncoding = base64.RawURLEncoding.Strict()

// compactJWS reports whether raw is spelled as a compact JWS: three
// segments separated by dots, each unpadded base64url in its one canonical
// spelling. Go's base64 decoders (golang-jwt's among them) skip \r and \n
// even in strict mode, so those are refused first; without that a token
// with a line break in its signature verified as the token itself.
func compactJWS(raw string) bool {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 || strings.ContainsAny(raw, "\r\n") {
		return false
	}
	for _, p := range parts {
		if _, err := jwsEncoding.DecodeString(p); err != nil {
			return false
		}
	}
	return true
}

// payloadOf decodes the middle segment of a JWS that was parsed already.
func payloadOf(raw string) ([]byte, error) {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return nil, jwt.ErrTokenMalformed
	}
	b, err := jwsEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, fmt.Errorf("%w: %w", jwt.ErrTokenMalformed, err)
	}
	return b, nil
}
