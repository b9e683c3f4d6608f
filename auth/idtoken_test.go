package auth

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

var hs256 = jwt.SigningMethodHS256

var testNow = time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)

func baseClaims() jwt.MapClaims {
	return jwt.MapClaims{
		"iss": "https://jaccount.sjtu.edu.cn/oauth2/", "sub": testUser, "aud": testClientID,
		"nonce": "n-123", "exp": testNow.Add(time.Hour).Unix(), "iat": testNow.Unix(),
		"name": "Alice", "code": "519000000001", "type": "student",
	}
}

func with(c jwt.MapClaims, k string, v any) jwt.MapClaims {
	c = maps.Clone(c)
	if v == nil {
		delete(c, k)
	} else {
		c[k] = v
	}
	return c
}

// jwtErrors are golang-jwt's sentinels, none of which may leak into this
// package's errors.
var jwtErrors = []error{jwt.ErrTokenMalformed, jwt.ErrTokenUnverifiable, jwt.ErrTokenSignatureInvalid,
	jwt.ErrTokenRequiredClaimMissing, jwt.ErrTokenInvalidAudience, jwt.ErrTokenExpired, jwt.ErrTokenUsedBeforeIssued,
	jwt.ErrTokenInvalidIssuer, jwt.ErrTokenInvalidSubject, jwt.ErrTokenNotValidYet, jwt.ErrTokenInvalidId,
	jwt.ErrTokenInvalidClaims, jwt.ErrInvalidType}

func TestVerifyIDToken(t *testing.T) {
	t.Parallel()
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	rs256, err := jwt.NewWithClaims(jwt.SigningMethodRS256, baseClaims()).SignedString(rsaKey)
	if err != nil {
		t.Fatal(err)
	}
	none, err := jwt.NewWithClaims(jwt.SigningMethodNone, baseClaims()).SignedString(jwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		t.Fatal(err)
	}
	hs := func(c jwt.MapClaims) string { return signIDToken(t, c, testSecret, jwt.SigningMethodHS256) }
	tests := []struct {
		name    string
		raw     string
		nonce   string
		opts    IDTokenOptions
		secret  string
		wantErr error  // nil means success
		text    string // the error's text contains it
	}{
		{name: "valid", raw: hs(baseClaims()), nonce: "n-123"},
		{name: "valid without nonce check", raw: hs(baseClaims())},
		{name: "aud array with azp", raw: hs(with(with(baseClaims(), "aud", []string{"other", testClientID}), "azp", testClientID))},
		{name: "aud array without azp", raw: hs(with(baseClaims(), "aud", []string{"other", testClientID})), wantErr: ErrInvalidIDToken, text: "azp"},
		{name: "aud array, azp another client", raw: hs(with(with(baseClaims(), "aud", []string{"other", testClientID}), "azp", "other")), wantErr: ErrInvalidIDToken, text: "azp"},
		{name: "one aud, azp another client", raw: hs(with(baseClaims(), "azp", "other")), wantErr: ErrInvalidIDToken, text: "azp"},
		{name: "one aud, azp the client", raw: hs(with(baseClaims(), "azp", testClientID))},
		{name: "numeric code", raw: hs(with(baseClaims(), "code", 12345))},
		{name: "wrong secret", raw: signIDToken(t, baseClaims(), "another-secret", jwt.SigningMethodHS256), wantErr: ErrInvalidIDToken, text: "signature is invalid"},
		{name: "HS384 not allowed by default", raw: signIDToken(t, baseClaims(), testSecret, jwt.SigningMethodHS384), wantErr: ErrInvalidIDToken, text: "signature is invalid"},
		{name: "HS384 allowed explicitly", raw: signIDToken(t, baseClaims(), testSecret, jwt.SigningMethodHS384), opts: IDTokenOptions{Algorithms: []string{"HS256", "HS384"}}},
		{name: "alg none", raw: none, wantErr: ErrInvalidIDToken, text: "signature is invalid"},
		{name: "RS256 rejected", raw: rs256, wantErr: ErrInvalidIDToken, text: "signature is invalid"},
		{name: "RS256 cannot be configured", raw: rs256, opts: IDTokenOptions{Algorithms: []string{"RS256"}}, wantErr: ErrInvalidIDToken},
		{name: "no client secret", raw: hs(baseClaims()), secret: "-", wantErr: ErrInvalidIDToken},
		{name: "wrong issuer", raw: hs(with(baseClaims(), "iss", "https://evil/")), wantErr: ErrInvalidIDToken, text: "invalid issuer"},
		{name: "issuer without trailing slash", raw: hs(with(baseClaims(), "iss", "https://jaccount.sjtu.edu.cn/oauth2")), wantErr: ErrInvalidIDToken, text: "invalid issuer"},
		{name: "missing issuer", raw: hs(with(baseClaims(), "iss", nil)), wantErr: ErrInvalidIDToken, text: "missing required claim"},
		{name: "wrong audience", raw: hs(with(baseClaims(), "aud", "someone-else")), wantErr: ErrInvalidIDToken, text: "invalid audience"},
		{name: "missing audience", raw: hs(with(baseClaims(), "aud", nil)), wantErr: ErrInvalidIDToken, text: "missing required claim"},
		{name: "expired", raw: hs(with(baseClaims(), "exp", testNow.Add(-2*time.Minute).Unix())), wantErr: ErrIDTokenExpired},
		{name: "expired within leeway", raw: hs(with(baseClaims(), "exp", testNow.Add(-30*time.Second).Unix()))},
		{name: "expired, no leeway", raw: hs(with(baseClaims(), "exp", testNow.Add(-1*time.Second).Unix())), opts: IDTokenOptions{Leeway: -1}, wantErr: ErrIDTokenExpired},
		{name: "custom leeway", raw: hs(with(baseClaims(), "exp", testNow.Add(-5*time.Minute).Unix())), opts: IDTokenOptions{Leeway: 10 * time.Minute}},
		{name: "missing exp", raw: hs(with(baseClaims(), "exp", nil)), wantErr: ErrInvalidIDToken, text: "missing required claim"},
		{name: "iat in the future", raw: hs(with(baseClaims(), "iat", testNow.Add(5*time.Minute).Unix())), wantErr: ErrInvalidIDToken, text: "used before issued"},
		{name: "iat slightly ahead", raw: hs(with(baseClaims(), "iat", testNow.Add(20*time.Second).Unix()))},
		{name: "missing iat", raw: hs(with(baseClaims(), "iat", nil)), wantErr: ErrInvalidIDToken, text: "missing required claim"},
		{name: "nbf in the future", raw: hs(with(baseClaims(), "nbf", testNow.Add(5*time.Minute).Unix())), wantErr: ErrInvalidIDToken, text: "not valid yet"},
		{name: "missing sub", raw: hs(with(baseClaims(), "sub", nil)), wantErr: ErrInvalidIDToken, text: "missing required claim"},
		{name: "nonce mismatch", raw: hs(baseClaims()), nonce: "other", wantErr: ErrNonceMismatch},
		{name: "nonce missing", raw: hs(with(baseClaims(), "nonce", nil)), nonce: "n-123", wantErr: ErrNonceMismatch},
		{name: "exp wrong type", raw: hs(with(baseClaims(), "exp", "tomorrow")), wantErr: ErrInvalidIDToken, text: "malformed"},
		{name: "garbage", raw: "not.a.jwt", wantErr: ErrInvalidIDToken, text: "malformed"},
		{name: "empty", raw: "", wantErr: ErrInvalidIDToken, text: "malformed"},
		{name: "insecure skip accepts bad signature", raw: signIDToken(t, baseClaims(), "another-secret", jwt.SigningMethodHS256), opts: IDTokenOptions{InsecureSkipSignatureCheck: true}},
		{name: "insecure skip accepts none", raw: none, opts: IDTokenOptions{InsecureSkipSignatureCheck: true}},
		{name: "insecure skip still checks claims", raw: hs(with(baseClaims(), "aud", "x")), opts: IDTokenOptions{InsecureSkipSignatureCheck: true}, wantErr: ErrInvalidIDToken, text: "invalid audience"},
		{name: "insecure skip still checks nonce", raw: none, nonce: "zzz", opts: IDTokenOptions{InsecureSkipSignatureCheck: true}, wantErr: ErrNonceMismatch},
		{name: "insecure skip still parses", raw: "x.y", opts: IDTokenOptions{InsecureSkipSignatureCheck: true}, wantErr: ErrInvalidIDToken, text: "malformed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := &Config{ClientID: testClientID, ClientSecret: testSecret, IDToken: tt.opts, Now: func() time.Time { return testNow }}
			if tt.secret == "-" {
				cfg.ClientSecret = ""
			}
			claims, err := cfg.VerifyIDToken(tt.raw, tt.nonce)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if claims.Subject != testUser || claims.Type != UserTypeStudent || claims.Name != "Alice" || claims.Issuer != DefaultEndpoint.Issuer {
					t.Errorf("claims = %+v", claims)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) || !errors.Is(err, ErrInvalidIDToken) || claims != nil || !strings.Contains(err.Error(), tt.text) {
				t.Fatalf("err = %v, want %v (%q) matching ErrInvalidIDToken", err, tt.wantErr, tt.text)
			}
			// The JWT library's errors are not part of the API.
			for _, jwtErr := range jwtErrors {
				if errors.Is(err, jwtErr) {
					t.Errorf("err = %v matches golang-jwt's %v", err, jwtErr)
				}
			}
			if (tt.wantErr == ErrIDTokenExpired) != errors.Is(err, ErrIDTokenExpired) {
				t.Errorf("errors.Is(%v, ErrIDTokenExpired) = %v", err, !(tt.wantErr == ErrIDTokenExpired))
			}
			var expired *IDTokenExpiredError
			if (tt.wantErr == ErrIDTokenExpired) != errors.As(err, &expired) {
				t.Errorf("errors.As(%v, *IDTokenExpiredError) = %v", err, !(tt.wantErr == ErrIDTokenExpired))
			}
		})
	}
}

// TestIDTokenExpiredError: an expired ID token's error carries its exp
// claim (go-oidc's TokenExpiredError{Expiry}), matches ErrIDTokenExpired
// and ErrInvalidIDToken, and says when; from Exchange and from a refresh
// as from VerifyIDToken.
func TestIDTokenExpiredError(t *testing.T) {
	t.Parallel()
	exp := testNow.Add(-2 * time.Minute).Truncate(time.Second)
	raw := signIDToken(t, with(baseClaims(), "exp", exp.Unix()), testSecret, jwt.SigningMethodHS256)
	cfg := &Config{ClientID: testClientID, ClientSecret: testSecret, Now: func() time.Time { return testNow }}
	_, err := cfg.VerifyIDToken(raw, "")
	var expired *IDTokenExpiredError
	if !errors.As(err, &expired) || !expired.Expiry.Equal(exp) {
		t.Fatalf("err = %#v, want an *IDTokenExpiredError with Expiry %v", err, exp)
	}
	if !errors.Is(err, ErrIDTokenExpired) || !errors.Is(err, ErrInvalidIDToken) || errors.Is(err, ErrNonceMismatch) {
		t.Errorf("%v does not match ErrIDTokenExpired and ErrInvalidIDToken alone", err)
	}
	if want := "auth: invalid ID token: ID token expired at " + exp.UTC().Format(time.RFC3339); err.Error() != want {
		t.Errorf("Error() = %q, want %q", err.Error(), want)
	}
	// Through a token response, wrapped or not, errors.As still finds it.
	body := `{"access_token":"AT-1","token_type":"bearer","expires_in":3600,"id_token":"` + raw + `"}`
	_, err = cfg.ParseTokenResponse(&http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader(body))}, codeGrant(t, "c"))
	if !errors.As(fmt.Errorf("login: %w", err), &expired) || !expired.Expiry.Equal(exp) {
		t.Errorf("ParseTokenResponse: %v, want an *IDTokenExpiredError", err)
	}
}

func TestIDTokenClaimsJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		want     IDTokenClaims
		known    bool
	}{
		{"aud string", `{"iss":"i","sub":"s","aud":"a","exp":1800000000,"iat":1700000000,"type":"faculty","code":"42","name":"N","nonce":"x"}`,
			IDTokenClaims{Issuer: "i", Subject: "s", Audience: []string{"a"}, ExpiresAt: time.Unix(1800000000, 0), IssuedAt: time.Unix(1700000000, 0), Type: UserTypeFaculty, Code: "42", Name: "N", Nonce: "x"}, true},
		{"aud array, unknown type", `{"aud":["a","b"],"type":"martian","code":7}`,
			IDTokenClaims{Audience: []string{"a", "b"}, Type: "martian", Code: "7"}, false},
	}
	for _, tt := range tests {
		var c IDTokenClaims
		if err := json.Unmarshal([]byte(tt.in), &c); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if !c.ExpiresAt.Equal(tt.want.ExpiresAt) || !c.IssuedAt.Equal(tt.want.IssuedAt) {
			t.Errorf("%s: times %v %v", tt.name, c.ExpiresAt, c.IssuedAt)
		}
		c.ExpiresAt, c.IssuedAt, tt.want.ExpiresAt, tt.want.IssuedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
		if got, _ := json.Marshal(c); string(got) != string(must(json.Marshal(tt.want))) {
			t.Errorf("%s: %s", tt.name, got)
		}
		if c.Type.Known() != tt.known {
			t.Errorf("%s: Known() = %v", tt.name, c.Type.Known())
		}
		// Round trip through the wire form.
		var back IDTokenClaims
		if err := json.Unmarshal(must(json.Marshal(c)), &back); err != nil || back.Subject != c.Subject || back.Code != c.Code {
			t.Errorf("%s: round trip %+v, %v", tt.name, back, err)
		}
	}
	var c IDTokenClaims
	for _, bad := range []string{`{"code":{}}`, `{"code":1e}`, `{"code":"x`, `[]`} {
		if err := json.Unmarshal([]byte(bad), &c); err == nil {
			t.Errorf("%s decoded", bad)
		}
	}
	for _, u := range knownUserTypes {
		if !u.Known() {
			t.Errorf("%s not known", u)
		}
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

// TestIDTokenExtraClaims (finding 12): the verified payload is kept, so
// claims IDTokenClaims does not name can be read with Claims, also after
// the token went through a FileStore.
func TestIDTokenExtraClaims(t *testing.T) {
	t.Parallel()
	cfg := fuzzConfig()
	raw := signIDToken(t, with(with(baseClaims(), "unionId", "u-42"), "org", map[string]any{"id": 7, "name": "SEIEE"}), testSecret, hs256)
	claims, err := cfg.VerifyIDToken(raw, "")
	if err != nil {
		t.Fatal(err)
	}
	type extra struct {
		UnionID string `json:"unionId"`
		Org     struct {
			ID   int    `json:"id"`
			Name string `json:"name"`
		} `json:"org"`
		Subject string `json:"sub"`
	}
	check := func(what string, c *IDTokenClaims) {
		t.Helper()
		var e extra
		if err := c.Claims(&e); err != nil || e.UnionID != "u-42" || e.Org.ID != 7 || e.Org.Name != "SEIEE" || e.Subject != testUser {
			t.Errorf("%s: Claims = %+v, %v", what, e, err)
		}
	}
	check("verified", claims)
	st := NewFileStore(filepath.Join(t.TempDir(), "token.json"))
	if err := st.Save(context.Background(), &Token{AccessToken: "a", IDToken: raw, Claims: claims}); err != nil {
		t.Fatal(err)
	}
	back, err := st.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	check("stored and loaded", back.Claims)
	// Claims built in code still answer from their fields.
	var e extra
	if err := (&IDTokenClaims{Subject: "bob"}).Claims(&e); err != nil || e.Subject != "bob" {
		t.Errorf("claims without a payload: %+v, %v", e, err)
	}
	if err := (&IDTokenClaims{}).Claims(nil); err == nil {
		t.Error("Claims(nil) succeeded")
	}
}

// rsVerifier is what go-oidc's IDTokenVerifier does for an RS256 provider,
// written with golang-jwt: it checks the signature with the provider's
// public key and hands back the payload.
func rsVerifier(key *rsa.PublicKey, seen *context.Context) IDTokenVerifier {
	return IDTokenVerifierFunc(func(ctx context.Context, raw string) ([]byte, error) {
		*seen = ctx
		_, err := jwt.NewParser(jwt.WithValidMethods([]string{"RS256"}), jwt.WithoutClaimsValidation()).
			Parse(raw, func(*jwt.Token) (any, error) { return key, nil })
		if err != nil {
			return nil, err
		}
		parts := strings.Split(raw, ".")
		return base64.RawURLEncoding.DecodeString(parts[1])
	})
}

type ctxKey struct{}

// TestIDTokenVerifierHook (finding 12): a provider that signs RS256 plugs
// its verifier in; this package still checks every claim.
func TestIDTokenVerifierHook(t *testing.T) {
	t.Parallel()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	rs := func(c jwt.MapClaims) string {
		s, err := jwt.NewWithClaims(jwt.SigningMethodRS256, c).SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	var seen context.Context
	cfg := fuzzConfig()
	cfg.IDToken.Verifier = rsVerifier(&key.PublicKey, &seen)
	ctx := context.WithValue(context.Background(), ctxKey{}, "request")

	claims, err := cfg.VerifyIDTokenContext(ctx, rs(baseClaims()), "n-123")
	if err != nil || claims.Subject != testUser || seen.Value(ctxKey{}) != "request" {
		t.Fatalf("RS256 through the hook: %+v, %v (context passed: %v)", claims, err, seen != nil && seen.Value(ctxKey{}) != nil)
	}
	var all map[string]any
	if err := claims.Claims(&all); err != nil || all["name"] != "Alice" {
		t.Errorf("payload: %v, %v", all, err)
	}
	for name, tc := range map[string]struct {
		raw, nonce string
		is         error
	}{
		"wrong audience":     {rs(with(baseClaims(), "aud", "someone-else")), "", ErrInvalidIDToken},
		"expired":            {rs(with(baseClaims(), "exp", testNow.Add(-time.Hour).Unix())), "", ErrIDTokenExpired},
		"nonce":              {rs(baseClaims()), "other", ErrNonceMismatch},
		"HS256 not RS256":    {signIDToken(t, baseClaims(), testSecret, hs256), "", errHookRefused},
		"several aud no azp": {rs(with(baseClaims(), "aud", []string{"x", testClientID})), "", ErrInvalidIDToken},
	} {
		_, err := cfg.VerifyIDTokenContext(ctx, tc.raw, tc.nonce)
		if !errors.Is(err, ErrInvalidIDToken) || (tc.is != errHookRefused && !errors.Is(err, tc.is)) {
			t.Errorf("%s: err = %v, want %v", name, err, tc.is)
		}
	}
	// The token endpoint's answer is verified with the hook, with the
	// request's context.
	body := `{"access_token":"a","expires_in":60,"id_token":"` + rs(baseClaims()) + `"}`
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://127.0.0.1/token", nil)
	seen = nil
	tok, err := cfg.ParseTokenResponse(&http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader(body)), Request: req}, codeGrant(t, "c"))
	if err != nil || tok.Claims.Subject != testUser || seen == nil || seen.Value(ctxKey{}) != "request" {
		t.Fatalf("token response with an RS256 ID token: %v", err)
	}
}

// errHookRefused marks cases the hook itself refuses (any error will do).
var errHookRefused = errors.New("refused by the hook")

// TestIDTokenCanonicalSpelling: a token is accepted in its one spelling
// only, whatever checks the signature. Go's base64 decoders skip line
// breaks, so a line break in the signature used to verify, and one in the
// payload passed with InsecureSkipSignatureCheck; padding and non-zero
// trailing bits are other spellings of the same bytes.
func TestIDTokenCanonicalSpelling(t *testing.T) {
	t.Parallel()
	raw := signIDToken(t, baseClaims(), testSecret, hs256)
	parts := strings.Split(raw, ".")
	insert := func(seg int, s string) string {
		p := slices.Clone(parts)
		p[seg] = p[seg][:8] + s + p[seg][8:]
		return strings.Join(p, ".")
	}
	last := parts[2][len(parts[2])-1] // a signature of 32 bytes ends in 4 bits of data and 2 unused
	variants := map[string]string{
		"LF in the signature":   insert(2, "\n"),
		"CRLF in the signature": insert(2, "\r\n"),
		"CR in the payload":     insert(1, "\r"),
		"LF in the header":      insert(0, "\n"),
		"LF at the end":         raw + "\n",
		"padded signature":      raw + "=",
		"non-zero unused bits":  raw[:len(raw)-1] + string(last+1),
	}
	insecure := fuzzConfig()
	insecure.IDToken.InsecureSkipSignatureCheck = true
	lenient := fuzzConfig()
	lenient.IDToken.Verifier = IDTokenVerifierFunc(func(_ context.Context, raw string) ([]byte, error) {
		return base64.RawURLEncoding.DecodeString(strings.Split(raw, ".")[1])
	})
	for cname, cfg := range map[string]*Config{"HMAC": fuzzConfig(), "insecure": insecure, "verifier": lenient} {
		if _, err := cfg.VerifyIDToken(raw, ""); err != nil {
			t.Fatalf("%s: the token itself: %v", cname, err)
		}
		for name, v := range variants {
			if c, err := cfg.VerifyIDToken(v, ""); !errors.Is(err, ErrInvalidIDToken) {
				t.Errorf("%s, %s: accepted (%v, %v)", cname, name, c, err)
			}
		}
	}
}
