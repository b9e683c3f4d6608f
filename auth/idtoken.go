package auth

import (
	"errors"
	"fmt"
	"slices"

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

// VerifyIDToken parses and validates a raw ID token and returns its claims.
// nonce is the nonce sent with the authorize request, or "" if none was sent.
//
// Checked, all of them, with the Config's IDToken options:
//   - the JWS is well formed (three strictly base64url-encoded segments
//     holding JSON);
//   - its "alg" is one of IDToken.Algorithms (default HS256; HMAC only;
//     never "none") and the HMAC signature verifies with ClientSecret;
//   - iss equals Endpoint.Issuer exactly (trailing slash included);
//   - aud contains ClientID (a string or an array);
//   - exp is present and after now − leeway;
//   - iat is present and not after now + leeway;
//   - nbf, if present, is not after now + leeway;
//   - sub is present (it is the jAccount username);
//   - nonce, when nonce is non-empty, equals it (constant-time).
//
// Not checked: azp (jAccount does not send it), at_hash, auth_time, acr, any
// maximum age of iat, and the token's "typ" and "kid" headers. With
// IDToken.InsecureSkipSignatureCheck the algorithm and signature are not
// checked either; every claim check above still applies.
func (c *Config) VerifyIDToken(raw, nonce string) (*IDTokenClaims, error) {
	claims, err := c.verifyIDToken(raw, nonce)
	if err != nil {
		return nil, idTokenError(err)
	}
	return claims, nil
}

// idTokenError turns a verification failure into this package's errors:
// ErrInvalidIDToken always, plus ErrIDTokenExpired or ErrNonceMismatch when
// that is the cause. A golang-jwt error contributes its text only.
func idTokenError(err error) error {
	switch {
	case errors.Is(err, ErrNonceMismatch):
		return fmt.Errorf("%w: %w", ErrInvalidIDToken, ErrNonceMismatch)
	case errors.Is(err, jwt.ErrTokenExpired):
		return fmt.Errorf("%w: %w (%s)", ErrInvalidIDToken, ErrIDTokenExpired, err.Error())
	}
	return fmt.Errorf("%w: %s", ErrInvalidIDToken, err.Error())
}

func (c *Config) verifyIDToken(raw, nonce string) (*IDTokenClaims, error) {
	leeway := c.IDToken.Leeway
	switch {
	case leeway == 0:
		leeway = DefaultLeeway
	case leeway < 0:
		leeway = 0
	}
	validation := []jwt.ParserOption{
		jwt.WithIssuer(c.endpoint().Issuer),
		jwt.WithAudience(c.ClientID),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(leeway),
		jwt.WithTimeFunc(c.now),
	}
	var w wireClaims
	if c.IDToken.InsecureSkipSignatureCheck {
		if _, _, err := jwt.NewParser().ParseUnverified(raw, &w); err != nil {
			return nil, err
		}
		if err := jwt.NewValidator(validation...).Validate(&w); err != nil {
			return nil, err
		}
	} else {
		algs := c.IDToken.Algorithms
		if len(algs) == 0 {
			algs = []string{"HS256"}
		}
		for _, a := range algs {
			if !slices.Contains(hmacAlgorithms, a) {
				return nil, fmt.Errorf("algorithm %q cannot be verified with the client secret", a)
			}
		}
		if c.ClientSecret == "" {
			return nil, errors.New("no client secret to verify the signature with")
		}
		p := jwt.NewParser(append(validation, jwt.WithValidMethods(algs), jwt.WithStrictDecoding())...)
		key := func(*jwt.Token) (any, error) { return []byte(c.ClientSecret), nil }
		if _, err := p.ParseWithClaims(raw, &w, key); err != nil {
			return nil, err
		}
	}
	if nonce != "" {
		if err := CheckNonce(nonce, w.Nonce); err != nil {
			return nil, err
		}
	}
	return w.claims(), nil
}
