package auth

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"
)

func TestEndpointDefaults(t *testing.T) {
	t.Parallel()
	got := Endpoint{TokenURL: "http://127.0.0.1/token"}.withDefaults()
	want := DefaultEndpoint
	want.TokenURL = "http://127.0.0.1/token"
	if got != want {
		t.Fatalf("withDefaults = %+v, want %+v", got, want)
	}
	if !strings.HasSuffix(DefaultEndpoint.Issuer, "/oauth2/") {
		t.Fatalf("issuer must keep its trailing slash: %q", DefaultEndpoint.Issuer)
	}
}

func TestAuthCodeURL(t *testing.T) {
	t.Parallel()
	cfg := &Config{ClientID: "cid", RedirectURL: "https://app/cb", Scopes: []string{"openid", "basic"}}
	tests := []struct {
		name  string
		cfg   *Config
		opts  []AuthCodeOption
		check func(t *testing.T, q url.Values, r *AuthRequest)
	}{
		{"defaults", cfg, nil, func(t *testing.T, q url.Values, r *AuthRequest) {
			want := map[string]string{"response_type": "code", "client_id": "cid", "redirect_uri": "https://app/cb", "scope": "openid basic", "state": r.State}
			for k, v := range want {
				if q.Get(k) != v {
					t.Errorf("%s = %q, want %q", k, q.Get(k), v)
				}
			}
			for _, k := range []string{"nonce", "code_challenge", "code_challenge_method"} {
				if q.Has(k) {
					t.Errorf("unexpected %s", k)
				}
			}
			if r.Nonce != "" || r.CodeVerifier != "" || len(r.ExchangeOptions()) != 0 {
				t.Errorf("nonce/verifier set without being asked for")
			}
		}},
		{"scopes override", cfg, []AuthCodeOption{WithScopes("openid", "lessons")}, func(t *testing.T, q url.Values, _ *AuthRequest) {
			if q.Get("scope") != "openid lessons" {
				t.Errorf("scope = %q", q.Get("scope"))
			}
		}},
		{"no scope no redirect", &Config{ClientID: "cid"}, nil, func(t *testing.T, q url.Values, _ *AuthRequest) {
			if q.Has("scope") || q.Has("redirect_uri") {
				t.Errorf("empty values sent: %v", q)
			}
		}},
		{"nonce", cfg, []AuthCodeOption{WithNonce()}, func(t *testing.T, q url.Values, r *AuthRequest) {
			if len(r.Nonce) < 26 || q.Get("nonce") != r.Nonce {
				t.Errorf("nonce %q vs query %q", r.Nonce, q.Get("nonce"))
			}
			if len(r.ExchangeOptions()) != 1 {
				t.Errorf("ExchangeOptions should carry the nonce")
			}
		}},
		{"pkce", cfg, []AuthCodeOption{WithPKCE()}, func(t *testing.T, q url.Values, r *AuthRequest) {
			if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") != oauth2.S256ChallengeFromVerifier(r.CodeVerifier) {
				t.Errorf("bad challenge: %v", q)
			}
			if len(r.CodeVerifier) != 43 || len(r.ExchangeOptions()) != 1 {
				t.Errorf("verifier %d chars", len(r.CodeVerifier))
			}
		}},
		{"extra params cannot override", cfg, []AuthCodeOption{WithAuthParam("prompt", "login"), WithAuthParam("state", "evil"), WithAuthParam("client_id", "evil")}, func(t *testing.T, q url.Values, r *AuthRequest) {
			if q.Get("prompt") != "login" || q.Get("state") != r.State || q.Get("client_id") != "cid" {
				t.Errorf("query = %v", q)
			}
		}},
		{"auth url with query", &Config{ClientID: "cid", Endpoint: Endpoint{AuthURL: "http://127.0.0.1/authorize?tenant=x"}}, nil, func(t *testing.T, q url.Values, _ *AuthRequest) {
			if q.Get("tenant") != "x" || q.Get("client_id") != "cid" {
				t.Errorf("query = %v", q)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := tt.cfg.AuthCodeURL(tt.opts...)
			u, err := url.Parse(r.URL)
			if err != nil {
				t.Fatal(err)
			}
			wantBase := tt.cfg.endpoint().AuthURL
			if base, _, _ := strings.Cut(wantBase, "?"); u.Scheme+"://"+u.Host+u.Path != base {
				t.Errorf("base = %s, want %s", u.Host+u.Path, base)
			}
			if len(r.State) < 26 {
				t.Errorf("state %q has fewer than 128 bits", r.State)
			}
			tt.check(t, u.Query(), r)
		})
	}
}

func TestAuthCodeURLFreshState(t *testing.T) {
	t.Parallel()
	cfg := &Config{ClientID: "cid"}
	seen := map[string]bool{}
	for range 1000 {
		r := cfg.AuthCodeURL(WithNonce(), WithPKCE())
		for _, v := range []string{r.State, r.Nonce, r.CodeVerifier} {
			if seen[v] {
				t.Fatalf("value repeated: %q", v)
			}
			seen[v] = true
		}
	}
}

func TestCheckStateAndNonce(t *testing.T) {
	t.Parallel()
	tests := []struct {
		want, got string
		ok        bool
	}{
		{"abc", "abc", true},
		{"abc", "abd", false},
		{"abc", "ab", false},
		{"abc", "", false},
		{"", "", false}, // a lost session must not validate
		{"", "abc", false},
	}
	for _, tt := range tests {
		if err := CheckState(tt.want, tt.got); (err == nil) != tt.ok || err != nil && !errors.Is(err, ErrStateMismatch) {
			t.Errorf("CheckState(%q, %q) = %v", tt.want, tt.got, err)
		}
		if err := CheckNonce(tt.want, tt.got); (err == nil) != tt.ok || err != nil && !errors.Is(err, ErrNonceMismatch) {
			t.Errorf("CheckNonce(%q, %q) = %v", tt.want, tt.got, err)
		}
	}
}

func TestLogoutURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		endpoint Endpoint
		redirect string
		want     string
	}{
		{"default with redirect", Endpoint{}, "https://app/bye?x=1", "https://jaccount.sjtu.edu.cn/oauth2/logout?post_logout_redirect_uri=https%3A%2F%2Fapp%2Fbye%3Fx%3D1"},
		{"default without redirect", Endpoint{}, "", "https://jaccount.sjtu.edu.cn/oauth2/logout"},
		{"overridden", Endpoint{LogoutURL: "http://127.0.0.1:1/logout"}, "https://app/", "http://127.0.0.1:1/logout?post_logout_redirect_uri=https%3A%2F%2Fapp%2F"},
	}
	for _, tt := range tests {
		if got := (&Config{Endpoint: tt.endpoint}).LogoutURL(tt.redirect); got != tt.want {
			t.Errorf("%s: LogoutURL = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestAuthStyleString(t *testing.T) {
	t.Parallel()
	for s, want := range map[AuthStyle]string{AuthStyleInParams: "client_secret_post", AuthStyleInHeader: "client_secret_basic", 7: "AuthStyle(7)"} {
		if s.String() != want {
			t.Errorf("%d: %q", int(s), s.String())
		}
	}
}
