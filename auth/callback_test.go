package auth

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"
)

// TestHandleCallback: the state is checked first, in every case; then the
// error parameter; then the code is exchanged with the saved nonce,
// verifier and redirect URL.
func TestHandleCallback(t *testing.T) {
	t.Parallel()
	type setup struct {
		f   *fakeServer
		cfg *Config
		req *AuthRequest
	}
	tests := []struct {
		name string
		// query builds the callback's query from the saved request.
		query func(r *AuthRequest) url.Values
		// edit changes the setup after the login started.
		edit      func(s *setup)
		wantErr   error
		exchanges int64
	}{
		{name: "success", query: func(r *AuthRequest) url.Values {
			return url.Values{"state": {r.State}, "code": {testCode}}
		}, exchanges: 1},
		{name: "forged state with an error", query: func(*AuthRequest) url.Values {
			return url.Values{"state": {"forged"}, "error": {"access_denied"}}
		}, wantErr: ErrStateMismatch},
		{name: "forged state with a code", query: func(*AuthRequest) url.Values {
			return url.Values{"state": {"forged"}, "code": {testCode}}
		}, wantErr: ErrStateMismatch},
		{name: "no state", query: func(*AuthRequest) url.Values {
			return url.Values{"code": {testCode}}
		}, wantErr: ErrStateMismatch},
		{name: "state twice", query: func(r *AuthRequest) url.Values {
			return url.Values{"state": {r.State, r.State}, "code": {testCode}}
		}, wantErr: ErrStateMismatch},
		{name: "nothing saved", query: func(r *AuthRequest) url.Values {
			return url.Values{"state": {r.State}, "code": {testCode}}
		}, edit: func(s *setup) { s.req = nil }, wantErr: ErrStateMismatch},
		{name: "saved without state", query: func(*AuthRequest) url.Values {
			return url.Values{"state": {""}, "code": {testCode}}
		}, edit: func(s *setup) { s.req.State = "" }, wantErr: ErrStateMismatch},
		{name: "access denied", query: func(r *AuthRequest) url.Values {
			return url.Values{"state": {r.State}, "error": {"access_denied"}, "error_description": {"the user\nsaid no"}}
		}, wantErr: ErrAccessDenied},
		{name: "invalid scope", query: func(r *AuthRequest) url.Values {
			return url.Values{"state": {r.State}, "error": {"invalid_scope"}}
		}, wantErr: ErrInvalidScope},
		{name: "error wins over a code", query: func(r *AuthRequest) url.Values {
			return url.Values{"state": {r.State}, "error": {"server_error"}, "code": {testCode}}
		}},
		{name: "no code", query: func(r *AuthRequest) url.Values {
			return url.Values{"state": {r.State}}
		}, wantErr: ErrMissingCode},
		{name: "wrong verifier", query: func(r *AuthRequest) url.Values {
			return url.Values{"state": {r.State}, "code": {testCode}}
		}, edit: func(s *setup) { s.req.CodeVerifier = otherFirst(s.req.CodeVerifier) }, wantErr: ErrInvalidGrant, exchanges: 1},
		{name: "nonce mismatch", query: func(r *AuthRequest) url.Values {
			return url.Values{"state": {r.State}, "code": {testCode}}
		}, edit: func(s *setup) { s.f.nonce = "another-nonce" }, wantErr: ErrNonceMismatch, exchanges: 1},
		{name: "redirect URL of the login, not the config", query: func(r *AuthRequest) url.Values {
			return url.Values{"state": {r.State}, "code": {testCode}}
		}, edit: func(s *setup) { s.cfg.RedirectURL = "https://app.example/elsewhere" }, exchanges: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeServer(t)
			cfg := f.config()
			req := authURL(t, cfg, WithNonce(), WithPKCE())
			f.nonce, f.verifier = req.Nonce, req.CodeVerifier
			s := &setup{f: f, cfg: cfg, req: req}
			if tt.edit != nil {
				tt.edit(s)
			}
			tok, err := s.cfg.HandleCallback(context.Background(), s.req, tt.query(req))
			if n := f.exchanges.Load(); n != tt.exchanges {
				t.Errorf("%d code exchanges, want %d", n, tt.exchanges)
			}
			if tt.name == "error wins over a code" {
				var ae *AuthorizeError
				if !errors.As(err, &ae) || ae.Code != "server_error" || errors.Is(err, ErrAccessDenied) {
					t.Fatalf("err = %v, want *AuthorizeError server_error", err)
				}
				return
			}
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || tok != nil {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				var ae *AuthorizeError
				if isAuthz := errors.As(err, &ae); isAuthz != (tt.wantErr == ErrAccessDenied || tt.wantErr == ErrInvalidScope) {
					t.Errorf("*AuthorizeError = %v for %v", isAuthz, err)
				} else if isAuthz && (strings.ContainsAny(ae.Error(), "\n") || ae.Code == "") {
					t.Errorf("unsanitised: %q", ae.Error())
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tok.Claims == nil || tok.Claims.Nonce != req.Nonce || tok.Claims.Subject != testUser {
				t.Fatalf("token %v, claims %+v", tok, tok.Claims)
			}
		})
	}
}

// TestAuthRequestStorage: an AuthRequest survives a JSON round trip (the
// form applications store), without its URL, and still completes the
// login; the override of the redirect URL is part of what it remembers.
func TestAuthRequestStorage(t *testing.T) {
	t.Parallel()
	f := newFakeServer(t)
	cfg := f.config()
	cfg.RedirectURL = "https://app.example/default-callback"
	req := authURL(t, cfg, WithNonce(), WithPKCE(), WithRedirectURL(testRedirect))
	f.nonce, f.verifier = req.Nonce, req.CodeVerifier
	if u, _ := url.Parse(req.URL); u.Query().Get("redirect_uri") != testRedirect || req.RedirectURL != testRedirect {
		t.Fatalf("the override is not in the URL or the request: %s, %q", req.URL, req.RedirectURL)
	}
	b, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"state": req.State, "nonce": req.Nonce, "code_verifier": req.CodeVerifier, "redirect_uri": testRedirect}
	if len(m) != len(want) {
		t.Errorf("JSON %s, want exactly the keys of %v", b, want)
	}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("JSON %s: %s = %q, want %q", b, k, m[k], v)
		}
	}
	var back AuthRequest
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.URL != "" {
		t.Errorf("URL came back: %q", back.URL)
	}
	for how, s := range renderings(&back) {
		if strings.Contains(s, req.CodeVerifier) {
			t.Errorf("stored AuthRequest %s shows the verifier: %s", how, s)
		}
	}
	tok, err := cfg.HandleCallback(context.Background(), &back, url.Values{"state": {req.State}, "code": {testCode}})
	if err != nil || tok.Claims.Nonce != req.Nonce {
		t.Fatalf("callback with the stored request: %v, %v", tok, err)
	}
	// Without an override the request remembers Config.RedirectURL.
	if r := authURL(t, cfg); r.RedirectURL != cfg.RedirectURL {
		t.Errorf("RedirectURL = %q, want %q", r.RedirectURL, cfg.RedirectURL)
	}
}

// otherFirst returns v with its first byte changed (a random verifier may
// already start with any given letter).
func otherFirst(v string) string {
	if v[0] == 'x' {
		return "y" + v[1:]
	}
	return "x" + v[1:]
}
