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
			if r.Nonce != "" || r.CodeVerifier != "" || len(r.ExchangeOptions()) != 1 || r.RedirectURL != "https://app/cb" {
				t.Errorf("nonce/verifier set without being asked for, or the redirect URL not remembered")
			}
		}},
		{"scopes override", cfg, []AuthCodeOption{WithScopes("openid", "lessons")}, func(t *testing.T, q url.Values, _ *AuthRequest) {
			if q.Get("scope") != "openid lessons" {
				t.Errorf("scope = %q", q.Get("scope"))
			}
		}},
		{"no scope no redirect", &Config{ClientID: "cid"}, nil, func(t *testing.T, q url.Values, r *AuthRequest) {
			if q.Has("scope") || q.Has("redirect_uri") || len(r.ExchangeOptions()) != 0 {
				t.Errorf("empty values sent: %v", q)
			}
		}},
		{"redirect override", cfg, []AuthCodeOption{WithRedirectURL("https://app/other")}, func(t *testing.T, q url.Values, r *AuthRequest) {
			if q.Get("redirect_uri") != "https://app/other" || r.RedirectURL != "https://app/other" {
				t.Errorf("redirect_uri %q, remembered %q", q.Get("redirect_uri"), r.RedirectURL)
			}
		}},
		{"nonce", cfg, []AuthCodeOption{WithNonce()}, func(t *testing.T, q url.Values, r *AuthRequest) {
			if len(r.Nonce) < 26 || q.Get("nonce") != r.Nonce {
				t.Errorf("nonce %q vs query %q", r.Nonce, q.Get("nonce"))
			}
			if len(r.ExchangeOptions()) != 2 {
				t.Errorf("ExchangeOptions should carry the nonce and the redirect URL")
			}
		}},
		{"pkce", cfg, []AuthCodeOption{WithPKCE()}, func(t *testing.T, q url.Values, r *AuthRequest) {
			if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") != oauth2.S256ChallengeFromVerifier(r.CodeVerifier) {
				t.Errorf("bad challenge: %v", q)
			}
			if len(r.CodeVerifier) != 43 || len(r.ExchangeOptions()) != 2 {
				t.Errorf("verifier %d chars", len(r.CodeVerifier))
			}
		}},
		// WithAuthParam of a parameter of the package's is refused
		// (TestOptions).
		{"extra params", cfg, []AuthCodeOption{WithAuthParam("prompt", "login")}, func(t *testing.T, q url.Values, r *AuthRequest) {
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
			r := authURL(t, tt.cfg, tt.opts...)
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
		r := authURL(t, cfg, WithNonce(), WithPKCE())
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
		cfg      Config
		redirect string
		opts     []LogoutOption
		want     string
	}{
		{"default with redirect", Config{ClientID: "japortal000000"}, "https://app/bye?x=1", nil,
			"https://jaccount.sjtu.edu.cn/oauth2/logout?client_id=japortal000000&post_logout_redirect_uri=https%3A%2F%2Fapp%2Fbye%3Fx%3D1"},
		{"default without redirect", Config{ClientID: "japortal000000"}, "", nil, "https://jaccount.sjtu.edu.cn/oauth2/logout?client_id=japortal000000"},
		{"no client id", Config{}, "", nil, "https://jaccount.sjtu.edu.cn/oauth2/logout"},
		{"overridden", Config{ClientID: "c", Endpoint: Endpoint{LogoutURL: "http://127.0.0.1:1/logout"}}, "https://app/", nil,
			"http://127.0.0.1:1/logout?client_id=c&post_logout_redirect_uri=https%3A%2F%2Fapp%2F"},
		// WithLogoutParam of client_id or post_logout_redirect_uri is
		// refused (TestOptions).
		{"extra parameters", Config{ClientID: "c"}, "https://app/",
			[]LogoutOption{WithLogoutParam("retUrl", "https://app/"), nil},
			"https://jaccount.sjtu.edu.cn/oauth2/logout?client_id=c&post_logout_redirect_uri=https%3A%2F%2Fapp%2F&retUrl=https%3A%2F%2Fapp%2F"},
	}
	for _, tt := range tests {
		got := logoutURL(t, &tt.cfg, tt.redirect, tt.opts...)
		if got != tt.want {
			t.Errorf("%s: LogoutURL = %q, want %q", tt.name, got, tt.want)
		}
		if u, _ := url.Parse(got); u.Query().Has("state") {
			t.Errorf("%s: the logout URL carries a state, which jAccount mangles", tt.name)
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
