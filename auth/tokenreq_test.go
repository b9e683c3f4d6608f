package auth

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestExchange(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		basic   bool
		nonce   string // server puts it into the ID token
		expect  string // nonce the client expects
		pkce    bool
		code    string
		wantErr error
	}{
		{name: "client_secret_post", code: testCode},
		{name: "client_secret_basic", basic: true, code: testCode},
		{name: "nonce checked", nonce: "n1", expect: "n1", code: testCode},
		{name: "nonce mismatch", nonce: "n1", expect: "n2", code: testCode, wantErr: ErrNonceMismatch},
		{name: "nonce missing", expect: "n2", code: testCode, wantErr: ErrInvalidIDToken},
		{name: "pkce", pkce: true, code: testCode},
		{name: "bad code", code: "used-code", wantErr: ErrInvalidGrant},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeServer(t)
			f.basic, f.nonce = tt.basic, tt.nonce
			cfg := f.config()
			var opts []ExchangeOption
			if tt.expect != "" {
				opts = append(opts, WithExpectedNonce(tt.expect))
			}
			if tt.pkce {
				r := authURL(t, cfg, WithPKCE())
				f.verifier = r.CodeVerifier
				opts = append(opts, r.ExchangeOptions()...)
			}
			tok, err := cfg.Exchange(context.Background(), tt.code, opts...)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tok.AccessToken == "" || tok.RefreshToken == "" || tok.IDToken == "" || tok.Claims == nil {
				t.Fatalf("incomplete token %v", tok)
			}
			if c := tok.Claims; c.Subject != testUser || c.Type != UserTypeStudent || c.Code != "519000000001" || c.Nonce != tt.nonce {
				t.Errorf("claims %+v", c)
			}
			if d := time.Until(tok.Expiry); d < 59*time.Minute || d > time.Hour {
				t.Errorf("expiry in %v", d)
			}
		})
	}
}

func TestTokenRequestShape(t *testing.T) {
	t.Parallel()
	cfg := &Config{ClientID: "id:x", ClientSecret: "se cret", RedirectURL: "https://app/cb", Scopes: []string{"a", "b"}}
	tests := []struct {
		name  string
		style AuthStyle
		grant Grant
		want  url.Values
	}{
		{"code post", AuthStyleInParams, codeGrant(t, "c", WithTokenParam("extra", "1")), url.Values{"grant_type": {"authorization_code"}, "code": {"c"}, "redirect_uri": {"https://app/cb"}, "client_id": {"id:x"}, "client_secret": {"se cret"}, "extra": {"1"}}},
		{"code basic", AuthStyleInHeader, codeGrant(t, "c"), url.Values{"grant_type": {"authorization_code"}, "code": {"c"}, "redirect_uri": {"https://app/cb"}}},
		{"refresh", AuthStyleInParams, RefreshGrant(&Token{RefreshToken: "r"}), url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"r"}, "client_id": {"id:x"}, "client_secret": {"se cret"}}},
		{"client credentials default scopes", AuthStyleInHeader, ClientCredentialsGrant(nil), url.Values{"grant_type": {"client_credentials"}, "scope": {"a b"}}},
		{"client credentials scopes", AuthStyleInHeader, ClientCredentialsGrant([]string{"x", "y"}), url.Values{"grant_type": {"client_credentials"}, "scope": {"x y"}}},
	}
	for _, tt := range tests {
		c := *cfg
		c.AuthStyle = tt.style
		req, err := c.NewTokenRequest(context.Background(), tt.grant)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if req.Method != http.MethodPost || req.URL.String() != DefaultEndpoint.TokenURL || req.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
			t.Errorf("%s: %s %s %v", tt.name, req.Method, req.URL, req.Header)
		}
		body, _ := io.ReadAll(req.Body)
		got, _ := url.ParseQuery(string(body))
		if got.Encode() != tt.want.Encode() {
			t.Errorf("%s: form %v, want %v", tt.name, got, tt.want)
		}
		user, pass, ok := req.BasicAuth()
		if ok != (tt.style == AuthStyleInHeader) || ok && (user != "id%3Ax" || pass != "se+cret") {
			t.Errorf("%s: basic auth %v %q %q", tt.name, ok, user, pass)
		}
	}
	for name, g := range map[string]Grant{"zero": {}, "no refresh token": RefreshGrant(&Token{}), "nil token": RefreshGrant(nil)} {
		if _, err := cfg.NewTokenRequest(context.Background(), g); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	bad := *cfg
	bad.Endpoint.TokenURL = "http://[::1"
	if _, err := bad.NewTokenRequest(context.Background(), codeGrant(t, "c")); err == nil {
		t.Error("bad URL accepted")
	}
}

// TestOwnHTTPStack shows NewTokenRequest + ParseTokenResponse with a caller's client.
func TestOwnHTTPStack(t *testing.T) {
	t.Parallel()
	f := newFakeServer(t)
	cfg := f.config()
	g := codeGrant(t, testCode)
	req, err := cfg.NewTokenRequest(context.Background(), g)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := f.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := cfg.ParseTokenResponse(resp, g)
	if err != nil || tok.Claims.Subject != testUser {
		t.Fatalf("%v %v", tok, err)
	}
}

func TestTokenEndpointErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		status      int
		ctype, body string
		code        string
		is          error
		snippet     string
	}{
		{"invalid_grant 400", 400, "application/json", `{"error":"invalid_grant","error_description":"refresh token expired"}`, "invalid_grant", ErrInvalidGrant, ""},
		{"invalid_grant 401", 401, "application/json", `{"error":"invalid_grant"}`, "invalid_grant", ErrInvalidGrant, ""},
		{"invalid_client", 401, "application/json", `{"error":"invalid_client","error_description":"bad secret"}`, "invalid_client", ErrInvalidClient, ""},
		{"error with 200", 200, "application/json", `{"error":"invalid_scope"}`, "invalid_scope", ErrInvalidScope, ""},
		{"other code", 400, "application/json", `{"error":"unsupported_grant_type"}`, "unsupported_grant_type", nil, ""},
		{"html page", 502, "text/html", "<html><body>\n<h1>502 Bad Gateway</h1>\n</body></html>", "", ErrMalformedResponse, "<html><body> <h1>502 Bad Gateway</h1> </body></html>"},
		{"malformed json 200", 200, "application/json", `{"access_token":`, "", ErrMalformedResponse, `{"access_token":`},
		{"json without error 503", 503, "application/json", `{"message":"busy"}`, "", ErrMalformedResponse, `{"message":"busy"}`},
		{"no access token", 200, "application/json", `{"token_type":"bearer"}`, "", ErrMalformedResponse, ""},
		{"wrong types", 200, "application/json", `{"access_token":1}`, "", ErrMalformedResponse, `{"access_token":[REDACTED]}`},
		{"empty body", 500, "", ``, "", ErrMalformedResponse, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeServer(t)
			f.override = func(w http.ResponseWriter, _ *http.Request) bool {
				w.Header().Set("Content-Type", tt.ctype)
				w.WriteHeader(tt.status)
				_, _ = io.WriteString(w, tt.body)
				return true
			}
			_, err := f.config().Refresh(context.Background(), &Token{RefreshToken: "rt-xyz"})
			var te *TokenError
			if !errors.As(err, &te) {
				t.Fatalf("err = %T %v, want *TokenError", err, err)
			}
			if te.Code != tt.code || te.StatusCode != tt.status || te.Snippet != tt.snippet {
				t.Errorf("got %+v", te)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.is)
			}
			for _, other := range []error{ErrInvalidGrant, ErrInvalidClient, ErrInvalidScope, ErrMalformedResponse, ErrAccessDenied} {
				if other != tt.is && errors.Is(err, other) {
					t.Errorf("%v must not match %v", err, other)
				}
			}
			if !strings.Contains(err.Error(), "HTTP ") {
				t.Errorf("Error() lacks the status: %s", err)
			}
		})
	}
}

func TestTokenResponseParsing(t *testing.T) {
	t.Parallel()
	now := testNow
	tests := []struct {
		name, body string
		want       time.Duration
		typ        string
	}{
		{"number", `{"access_token":"a","expires_in":3600}`, time.Hour, "Bearer"},
		{"string", `{"access_token":"a","expires_in":"120","token_type":"bearer"}`, 2 * time.Minute, "bearer"},
		{"missing", `{"access_token":"a"}`, DefaultTokenLifetime, "Bearer"},
		{"zero", `{"access_token":"a","expires_in":0}`, DefaultTokenLifetime, "Bearer"},
		{"negative", `{"access_token":"a","expires_in":-5}`, DefaultTokenLifetime, "Bearer"},
		{"huge", `{"access_token":"a","expires_in":1e300}`, maxLifetime, "Bearer"},
		{"fractional", `{"access_token":"a","expires_in":1.5}`, 1500 * time.Millisecond, "Bearer"},
		// Under a second the token would be expired on arrival (the fuzz
		// failure kept in testdata/fuzz/FuzzTokenResponse/ed892ebba890cd3c).
		{"tiny", `{"access_token":"a","expires_in":"0.0000000001"}`, DefaultTokenLifetime, "Bearer"},
		{"sub-second", `{"access_token":"a","expires_in":0.5}`, DefaultTokenLifetime, "Bearer"},
	}
	for _, tt := range tests {
		tok, err := parseTokenBody(200, []byte(tt.body), now, nil)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got := tok.Expiry.Sub(now); got != tt.want || tok.TokenType != tt.typ {
			t.Errorf("%s: lifetime %v type %q", tt.name, got, tok.TokenType)
		}
	}
}

// TestTokenReplyOfEmptyScope parses the token replies of evidence round 3's
// OAuth notes: the 交我办 client with an empty scope gets, on the code
// exchange and on refresh alike, exactly access_token, expires_in,
// refresh_token and token_type (N1) — no id_token, no scope — and
// expires_in may be a numeric string (N5: the documentation's sample is
// 1800; a client declares it a string). Both forms give 30 minutes; the
// reply is a token without claims, unless a nonce was sent, which needs an
// ID token to check.
func TestTokenReplyOfEmptyScope(t *testing.T) {
	t.Parallel()
	cfg := &Config{ClientID: testClientID, ClientSecret: testSecret, Now: func() time.Time { return testNow }}
	prev := &Token{AccessToken: "old", RefreshToken: "old-rt"}
	for _, body := range []string{
		`{"access_token":"a","expires_in":"1800","refresh_token":"r","token_type":"bearer"}`,
		`{"access_token":"a","expires_in":1800,"refresh_token":"r","token_type":"bearer"}`,
	} {
		for name, g := range map[string]Grant{"exchange": codeGrant(t, "c"), "refresh": RefreshGrant(prev)} {
			resp := &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader(body))}
			tok, err := cfg.ParseTokenResponse(resp, g)
			if err != nil {
				t.Fatalf("%s %s: %v", name, body, err)
			}
			if tok.Expiry.Sub(testNow) != 30*time.Minute || tok.RefreshToken != "r" || tok.IDToken != "" || tok.Claims != nil ||
				tok.Scope != "" || tok.TokenType != "bearer" {
				t.Errorf("%s %s: %v", name, body, tok)
			}
		}
		resp := &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader(body))}
		if _, err := cfg.ParseTokenResponse(resp, codeGrant(t, "c", WithExpectedNonce("n-1"))); !errors.Is(err, ErrInvalidIDToken) {
			t.Errorf("a nonce sent and no ID token back: %v, want ErrInvalidIDToken", err)
		}
	}
}

func TestRefreshCarriesOver(t *testing.T) {
	t.Parallel()
	prevClaims := &IDTokenClaims{Subject: testUser}
	prev := &Token{RefreshToken: "old-rt", IDToken: "old-id", Claims: prevClaims}
	tests := []struct {
		name    string
		body    func(t *testing.T) string
		check   func(t *testing.T, tok *Token)
		wantErr error
	}{
		{"nothing new", func(*testing.T) string { return `{"access_token":"a"}` }, func(t *testing.T, tok *Token) {
			if tok.RefreshToken != "old-rt" || tok.IDToken != "old-id" || tok.Claims != prevClaims {
				t.Errorf("not carried over: %v", tok)
			}
		}, nil},
		{"rotated", func(t *testing.T) string {
			return `{"access_token":"a","refresh_token":"new-rt","id_token":"` + signIDToken(t, baseClaims(), testSecret, hs256) + `"}`
		}, func(t *testing.T, tok *Token) {
			if tok.RefreshToken != "new-rt" || tok.IDToken == "old-id" || tok.Claims.Subject != testUser {
				t.Errorf("not replaced: %v", tok)
			}
		}, nil},
		{"subject changed", func(t *testing.T) string {
			return `{"access_token":"a","id_token":"` + signIDToken(t, with(baseClaims(), "sub", "mallory"), testSecret, hs256) + `"}`
		}, nil, ErrInvalidIDToken},
		{"bad id token", func(*testing.T) string { return `{"access_token":"a","id_token":"x.y.z"}` }, nil, ErrInvalidIDToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := &Config{ClientID: testClientID, ClientSecret: testSecret, Now: func() time.Time { return testNow }}
			resp := &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader(tt.body(t)))}
			tok, err := cfg.ParseTokenResponse(resp, RefreshGrant(prev))
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, tok)
		})
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

func TestNetworkErrors(t *testing.T) {
	t.Parallel()
	f := newFakeServer(t)
	cfg := f.config()
	f.Close() // nothing listens any more
	_, err := cfg.ClientCredentials(context.Background(), nil)
	var ue *url.Error
	if !errors.As(err, &ue) || !strings.HasPrefix(err.Error(), "auth: token request: ") {
		t.Fatalf("err = %v, want a wrapped *url.Error", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := newFakeServer(t).config().Exchange(ctx, testCode); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}

	if _, err := cfg.ParseTokenResponse(&http.Response{StatusCode: 200}, codeGrant(t, "c")); !errors.Is(err, ErrMalformedResponse) {
		t.Fatalf("nil body: %v", err)
	}
	resp := &http.Response{StatusCode: 200, Body: io.NopCloser(errReader{})}
	if _, err := cfg.ParseTokenResponse(resp, codeGrant(t, "c")); err == nil || !strings.Contains(err.Error(), "connection reset") {
		t.Fatalf("err = %v", err)
	}
}

func TestDefaultHTTPClientRefusesRedirects(t *testing.T) {
	t.Parallel()
	f := newFakeServer(t)
	f.override = func(w http.ResponseWriter, r *http.Request) bool {
		http.Redirect(w, r, "http://127.0.0.1:1/elsewhere", http.StatusTemporaryRedirect)
		return true
	}
	cfg := f.config()
	cfg.HTTPClient = nil
	_, err := cfg.ClientCredentials(context.Background(), nil)
	var te *TokenError
	if !errors.As(err, &te) || te.StatusCode != http.StatusTemporaryRedirect {
		t.Fatalf("err = %v, want a TokenError for the 307", err)
	}
}
