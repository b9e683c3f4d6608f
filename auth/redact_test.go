package auth

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/oauth-jaccount/jaccount-go/internal/redact"
)

// leakProbes lists the secret values a rendering must not contain,
// including the Basic credentials of the test client.
var leakProbes = []string{testSecret, "AT-secret-access", "RT-secret-refresh", "IDT-secret-idtoken", "the-one-time-code",
	"verifier-secret-0123456789", "device-secret-value", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ6aGFuZ3NhbiJ9.c2lnbmF0dXJl",
	base64.StdEncoding.EncodeToString([]byte(testClientID + ":" + testSecret))[20:]}

func assertNoLeak(t *testing.T, what, s string) {
	t.Helper()
	for _, p := range leakProbes {
		if strings.Contains(s, p) {
			t.Errorf("%s leaks %q: %s", what, p, s)
		}
	}
}

// renderings prints v every way fmt and slog can.
// JSON-encoding a value that merely contains a Token is not covered: the
// JSON form is the storage format and must be complete.
func renderings(v any) map[string]string {
	out := map[string]string{}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
		out[verb] = fmt.Sprintf(verb, v)
	}
	for name, h := range map[string]func(io.Writer) slog.Handler{
		"slog-json": func(w io.Writer) slog.Handler { return slog.NewJSONHandler(w, nil) },
		"slog-text": func(w io.Writer) slog.Handler { return slog.NewTextHandler(w, nil) },
	} {
		var b bytes.Buffer
		slog.New(h(&b)).Info("msg", "value", v)
		out[name] = b.String()
	}
	if s, ok := v.(fmt.Stringer); ok {
		out["String"] = s.String()
	}
	if s, ok := v.(fmt.GoStringer); ok {
		out["GoString"] = s.GoString()
	}
	if e, ok := v.(error); ok {
		out["Error"] = e.Error()
	}
	return out
}

func TestNoSecretsInTokenAndConfig(t *testing.T) {
	t.Parallel()
	tok := Token{AccessToken: "AT-secret-access", RefreshToken: "RT-secret-refresh", IDToken: "IDT-secret-idtoken",
		TokenType: "bearer", Expiry: testNow, Claims: &IDTokenClaims{Subject: testUser, Type: UserTypeStudent}}
	cfg := Config{ClientID: testClientID, ClientSecret: testSecret, RedirectURL: testRedirect}
	ar := authURL(t, &cfg, WithPKCE())
	for how, s := range renderings(ar) {
		if strings.Contains(s, ar.CodeVerifier) || !strings.Contains(s, ar.State) && !strings.HasPrefix(how, "slog") {
			t.Errorf("AuthRequest %s: %s", how, s)
		}
	}
	values := map[string]any{"Token": tok, "*Token": &tok, "Config": cfg, "*Config": &cfg, "[]*Token": []*Token{&tok}, "struct": struct{ T *Token }{&tok},
		"*TokenSource": source(t, &cfg, &tok), "client-credentials *TokenSource": ccSource(t, &cfg, nil)}
	for name, v := range values {
		for how, s := range renderings(v) {
			if how == "slog-json" && (strings.HasPrefix(name, "[") || strings.HasPrefix(name, "struct")) {
				continue
			}
			assertNoLeak(t, name+" "+how, s)
		}
	}
	// The redacted renderings still say what is set.
	if s := tok.String(); !strings.Contains(s, redact.Redacted) || !strings.Contains(s, testUser) {
		t.Errorf("unhelpful: %s", s)
	}
	if s := (Token{}).String(); strings.Contains(s, redact.Redacted) {
		t.Errorf("empty fields shown as set: %s", s)
	}
	if s := cfg.String(); !strings.Contains(s, testClientID) || !strings.Contains(s, redact.Redacted) {
		t.Errorf("unhelpful: %s", s)
	}
	if s := fmt.Sprint(source(t, &cfg, &tok)); !strings.Contains(s, testClientID) || !strings.Contains(s, testUser) {
		t.Errorf("unhelpful: %s", s)
	}
}

func TestNoSecretsInErrors(t *testing.T) {
	t.Parallel()
	echo := func(status int, ctype string) func(w http.ResponseWriter, r *http.Request) bool {
		return func(w http.ResponseWriter, r *http.Request) bool {
			_ = r.ParseForm()
			// A hostile or buggy server echoes every credential it got.
			all := r.PostForm.Encode() + " " + r.Header.Get("Authorization") + " " + strings.Join(r.PostForm["refresh_token"], "")
			w.Header().Set("Content-Type", ctype)
			w.WriteHeader(status)
			if ctype == "application/json" {
				fmt.Fprintf(w, `{"error":"invalid_grant %s","error_description":%q,"error_uri":%q}`, r.PostForm.Get("code"), all, all)
				return true
			}
			fmt.Fprintf(w, "<html>%s</html>", all)
			return true
		}
	}
	var errs []error
	for _, basic := range []bool{false, true} {
		for _, o := range []func(w http.ResponseWriter, r *http.Request) bool{echo(400, "application/json"), echo(502, "text/html")} {
			f := newFakeServer(t)
			f.basic, f.override = basic, o
			cfg := f.config()
			_, err := cfg.Refresh(context.Background(), &Token{RefreshToken: "RT-secret-refresh", AccessToken: "AT-secret-access"})
			errs = append(errs, err)
			_, err = cfg.Exchange(context.Background(), "the-one-time-code")
			errs = append(errs, err)
		}
	}
	// A network failure and a cancelled request.
	dead := newFakeServer(t)
	cfg := dead.config()
	dead.Close()
	_, err := cfg.Refresh(context.Background(), &Token{RefreshToken: "RT-secret-refresh"})
	errs = append(errs, err)
	// An invalid ID token.
	_, err = cfg.VerifyIDToken("IDT-secret-idtoken", "")
	errs = append(errs, err)
	// Through the TokenSource.
	f := newFakeServer(t)
	ts := source(t, f.config(), &Token{RefreshToken: "RT-secret-refresh", AccessToken: "AT-secret-access", Expiry: time.Now().Add(-time.Hour)})
	_, err = ts.Token()
	errs = append(errs, err)

	for i, err := range errs {
		if err == nil {
			t.Fatalf("case %d: no error", i)
		}
		for how, s := range renderings(err) {
			assertNoLeak(t, fmt.Sprintf("error %d %s", i, how), s)
		}
		for e := err; e != nil; e = errors.Unwrap(e) {
			if _, ok := e.(interface{ Response() *http.Response }); ok {
				t.Errorf("error %d keeps an HTTP response", i)
			}
		}
	}
}

// TestNoTokensInMalformedResponse (finding 7): a token response that is
// not valid JSON (or not JSON at all) but carries fresh tokens must not
// put them into the TokenError, whatever the status.
func TestNoTokensInMalformedResponse(t *testing.T) {
	t.Parallel()
	const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ6aGFuZ3NhbiJ9.c2lnbmF0dXJl"
	bodies := map[string]string{
		"trailing comma":  `{"access_token":"AT-secret-access","refresh_token":"RT-secret-refresh","expires_in":3600,}`,
		"truncated":       `{"access_token": "AT-secret-access", "refresh_token": "RT-secret-refresh", "id_token": "` + jwt,
		"form encoded":    `access_token=AT-secret-access&refresh_token=RT-secret-refresh&id_token=IDT-secret-idtoken&token_type=bearer`,
		"html":            `<html><pre>access_token: AT-secret-access refresh_token = RT-secret-refresh</pre></html>`,
		"bare JWT":        `<p>` + jwt + `</p>`,
		"wrong types":     `{"access_token":"AT-secret-access","refresh_token":"RT-secret-refresh","expires_in":[1]}`,
		"error and token": `{"error":"server_error","error_description":"issued access_token=AT-secret-access","refresh_token":"RT-secret-refresh"`,
	}
	cfg := fuzzConfig()
	for name, body := range bodies {
		for _, status := range []int{200, 502} {
			resp := &http.Response{StatusCode: status, Body: io.NopCloser(strings.NewReader(body))}
			_, err := cfg.ParseTokenResponse(resp, RefreshGrant(&Token{RefreshToken: "the-old-refresh-token"}))
			var te *TokenError
			if !errors.As(err, &te) {
				t.Fatalf("%s (%d): err = %v, want a *TokenError", name, status, err)
			}
			for how, s := range renderings(err) {
				assertNoLeak(t, fmt.Sprintf("%s (HTTP %d) %s", name, status, how), s)
			}
			if te.Snippet == "" && te.Description == "" {
				t.Errorf("%s: the error says nothing about the body: %v", name, err)
			}
		}
	}
}

// TestNoSecretsInGrant (finding 7): fmt and slog of a Grant show its type
// but not the code, the PKCE verifier or the refresh token.
func TestNoSecretsInGrant(t *testing.T) {
	t.Parallel()
	grants := map[string]Grant{
		"code": codeGrant(t, "the-one-time-code", WithCodeVerifier(validVerifier), WithExpectedNonce("n-1"),
			WithTokenParam("device_secret", "device-secret-value")),
		"refresh":            RefreshGrant(&Token{RefreshToken: "RT-secret-refresh", AccessToken: "AT-secret-access", IDToken: "IDT-secret-idtoken"}),
		"client credentials": ClientCredentialsGrant([]string{"lessons"}),
	}
	for name, g := range grants {
		for _, v := range []any{g, &g, []Grant{g}} {
			for how, s := range renderings(v) {
				assertNoLeak(t, name+" "+how, s)
			}
		}
		if s := fmt.Sprint(g); !strings.Contains(s, g.grantType()) {
			t.Errorf("%s: %s does not say the grant type", name, s)
		}
	}
	if s := fmt.Sprint(grants["client credentials"]); !strings.Contains(s, "lessons") {
		t.Errorf("the scope, not a secret, is hidden: %s", s)
	}
}
