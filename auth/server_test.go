package auth

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const (
	testClientID = "japortal000000"
	testSecret   = "s3cr3t-48-characters-long-client-secret-xxxxxxxx"
	testRedirect = "https://app.example/callback"
	testCode     = "good-code"
	testUser     = "alice"
)

// fakeServer is a loopback jAccount token endpoint that rotates refresh
// tokens and rejects a reused one, counting what it sees.
type fakeServer struct {
	*httptest.Server
	t testing.TB

	basic    bool          // expect client_secret_basic instead of post
	lifetime int           // expires_in of issued tokens
	nonce    string        // nonce to put into ID tokens
	verifier string        // PKCE verifier the code exchange must carry
	gate     chan struct{} // when set, refresh requests wait for it to close
	arrived  chan struct{} // when set, receives one value per refresh request
	now      func() time.Time
	// override, when set, answers instead of the normal logic.
	override func(w http.ResponseWriter, r *http.Request) bool

	refreshes, exchanges, clientCreds, invalidGrants atomic.Int64

	mu    sync.Mutex
	seq   int
	live  map[string]bool // refresh tokens not yet spent
	spent map[string]bool
}

func newFakeServer(t testing.TB) *fakeServer {
	f := &fakeServer{t: t, lifetime: 3600, live: map[string]bool{}, spent: map[string]bool{}, now: time.Now}
	f.Server = httptest.NewServer(http.HandlerFunc(f.token))
	t.Cleanup(f.Close)
	return f
}

// config returns a Config pointing at f.
func (f *fakeServer) config() *Config {
	c := &Config{
		ClientID:     testClientID,
		ClientSecret: testSecret,
		RedirectURL:  testRedirect,
		Scopes:       []string{"openid", "essential"},
		Endpoint:     Endpoint{TokenURL: f.URL + "/oauth2/token"},
		HTTPClient:   f.Client(),
	}
	if f.basic {
		c.AuthStyle = AuthStyleInHeader
	}
	return c
}

// issueRefresh registers and returns a new live refresh token.
func (f *fakeServer) issueRefresh() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seq++
	rt := fmt.Sprintf("refresh-%d", f.seq)
	f.live[rt] = true
	return rt
}

func (f *fakeServer) writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (f *fakeServer) oauthError(w http.ResponseWriter, status int, code string) {
	f.writeJSON(w, status, map[string]string{"error": code, "error_description": code + " from fake"})
}

func (f *fakeServer) token(w http.ResponseWriter, r *http.Request) {
	if f.override != nil && f.override(w, r) {
		return
	}
	if err := r.ParseForm(); err != nil || r.Method != http.MethodPost {
		f.oauthError(w, 400, "invalid_request")
		return
	}
	id, secret, basic := r.BasicAuth()
	if !basic {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	} else if r.PostForm.Has("client_secret") {
		f.oauthError(w, 400, "invalid_request") // credentials twice
		return
	}
	if basic != f.basic || id != testClientID || secret != testSecret {
		f.oauthError(w, 401, "invalid_client")
		return
	}
	resp := map[string]any{"token_type": "bearer", "expires_in": f.lifetime}
	switch r.PostForm.Get("grant_type") {
	case "authorization_code":
		f.exchanges.Add(1)
		if r.PostForm.Get("code") != testCode || r.PostForm.Get("redirect_uri") != testRedirect ||
			r.PostForm.Get("code_verifier") != f.verifier {
			f.invalidGrants.Add(1)
			f.oauthError(w, 400, "invalid_grant")
			return
		}
		resp["id_token"] = signIDToken(f.t, f.claims(), testSecret, jwt.SigningMethodHS256)
	case "refresh_token":
		if f.arrived != nil {
			f.arrived <- struct{}{}
		}
		if f.gate != nil {
			<-f.gate
		}
		f.refreshes.Add(1)
		rt := r.PostForm.Get("refresh_token")
		f.mu.Lock()
		ok := f.live[rt]
		delete(f.live, rt)
		f.spent[rt] = true
		f.mu.Unlock()
		if !ok {
			f.invalidGrants.Add(1)
			f.oauthError(w, 400, "invalid_grant")
			return
		}
		resp["id_token"] = signIDToken(f.t, f.claims(), testSecret, jwt.SigningMethodHS256)
	case "client_credentials":
		f.clientCreds.Add(1)
		resp["scope"] = r.PostForm.Get("scope")
		resp["access_token"] = fmt.Sprintf("cc-access-%d", f.clientCreds.Load())
		f.writeJSON(w, 200, resp)
		return
	default:
		f.oauthError(w, 400, "unsupported_grant_type")
		return
	}
	rt := f.issueRefresh()
	resp["refresh_token"] = rt
	resp["access_token"] = "access-for-" + rt
	f.writeJSON(w, 200, resp)
}

func (f *fakeServer) claims() jwt.MapClaims {
	now := f.now()
	c := jwt.MapClaims{
		"iss": DefaultEndpoint.Issuer, "sub": testUser, "aud": testClientID,
		"exp": now.Add(time.Hour).Unix(), "iat": now.Unix(),
		"name": "Alice", "code": "519000000001", "type": "student",
	}
	if f.nonce != "" {
		c["nonce"] = f.nonce
	}
	return c
}

func signIDToken(t testing.TB, claims jwt.MapClaims, secret string, m jwt.SigningMethod) string {
	t.Helper()
	s, err := jwt.NewWithClaims(m, claims).SignedString([]byte(secret))
	if err != nil {
		t.Fatalf("signing: %v", err)
	}
	return s
}

// fakeClock is a settable clock shared by a Config and a fakeServer.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock { return &fakeClock{t: time.Now()} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// login performs a code exchange against f with clk as the clock of both.
func login(t testing.TB, f *fakeServer, clk *fakeClock) (*Config, *Token) {
	t.Helper()
	f.now = clk.Now
	cfg := f.config()
	cfg.Now = clk.Now
	tok, err := cfg.Exchange(context.Background(), testCode)
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	return cfg, tok
}

// loggedIn is a fake server, its clock and a fresh login against it.
func loggedIn(t testing.TB) (*fakeServer, *fakeClock, *Config, *Token) {
	f := newFakeServer(t)
	clk := newClock()
	cfg, tok := login(t, f, clk)
	return f, clk, cfg, tok
}
