package auth_test

import (
	"errors"
	"net/http"
	"net/http/cookiejar"
	"path/filepath"
	"testing"

	"github.com/oauth-jaccount/jaccount-go/api"
	"github.com/oauth-jaccount/jaccount-go/auth"
	"github.com/oauth-jaccount/jaccount-go/jaccounttest"
)

// These tests run the package against jaccounttest, the project's fake
// jAccount: its login page, token endpoint (single-use codes, rotating
// refresh tokens, HS256 ID tokens) and logout.

// fakeConfig is exampleConfig with the client authentication style chosen.
func fakeConfig(fake *jaccounttest.Server, style auth.AuthStyle) *auth.Config {
	cfg := exampleConfig(fake)
	cfg.AuthStyle = style
	return cfg
}

// tokenCredentials lists how each token-endpoint request authenticated.
func tokenCredentials(fake *jaccounttest.Server) (creds []jaccounttest.Credential) {
	for _, r := range fake.Requests() {
		if r.Endpoint == jaccounttest.EndpointToken {
			creds = append(creds, r.Credential)
		}
	}
	return creds
}

func TestWebLoginAgainstFake(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		style auth.AuthStyle
		cred  jaccounttest.Credential
	}{
		{auth.AuthStyleInParams, jaccounttest.CredentialClientSecretPost},
		{auth.AuthStyleInHeader, jaccounttest.CredentialClientSecretBasic},
	} {
		t.Run(tc.style.String(), func(t *testing.T) {
			t.Parallel()
			fake := jaccounttest.New(t, jaccounttest.WithPKCE())
			cfg := fakeConfig(fake, tc.style)
			ctx := t.Context()
			jar, _ := cookiejar.New(nil)
			browser := &http.Client{Jar: jar}

			req := startLogin(t, cfg, auth.WithNonce(), auth.WithPKCE())
			back, err := fake.Login(ctx, browser, req.URL, jaccounttest.StudentUsername, jaccounttest.StudentPassword)
			if err != nil {
				t.Fatal(err)
			}
			if err := auth.CheckState(req.State, back.Query().Get("state")); err != nil {
				t.Fatal(err)
			}
			code := back.Query().Get("code")
			tok, err := cfg.Exchange(ctx, code, req.ExchangeOptions()...)
			if err != nil {
				t.Fatal(err)
			}
			c := tok.Claims
			if c == nil || c.Subject != jaccounttest.StudentUsername || c.Issuer != fake.Issuer() || c.Nonce != req.Nonce ||
				c.Type != auth.UserTypeStudent || c.Name == "" || tok.RefreshToken == "" || tok.Expiry.IsZero() {
				t.Fatalf("token %v, claims %+v", tok, c)
			}

			// Refresh tokens rotate, and a spent one is refused.
			next, err := cfg.Refresh(ctx, tok)
			if err != nil || next.RefreshToken == tok.RefreshToken || next.AccessToken == tok.AccessToken {
				t.Fatalf("refresh: %v, %v", next, err)
			}
			_, err = cfg.Refresh(ctx, tok)
			var te *auth.TokenError
			if !errors.Is(err, auth.ErrInvalidGrant) || !errors.As(err, &te) || te.StatusCode != http.StatusBadRequest {
				t.Errorf("reused refresh token: %v, want invalid_grant (400)", err)
			}
			// Codes are single use (replaying one also revokes what it issued).
			if _, err := cfg.Exchange(ctx, code, req.ExchangeOptions()...); !errors.Is(err, auth.ErrInvalidGrant) {
				t.Errorf("second exchange of the code: %v, want ErrInvalidGrant", err)
			}
			for i, cred := range tokenCredentials(fake) {
				if cred != tc.cred {
					t.Errorf("token request %d authenticated with %s, want %s", i, cred, tc.cred)
				}
			}

			// While the jAccount session lives, a second login is silent;
			// after the logout URL it asks for the password again.
			silent, err := fake.Login(ctx, browser, startLogin(t, cfg).URL, jaccounttest.FacultyUsername, "wrong password")
			if err != nil || silent.Query().Get("code") == "" {
				t.Fatalf("second login in the same session: %v, %v", silent, err)
			}
			logout, err := cfg.LogoutURL("http://127.0.0.1/")
			if err != nil {
				t.Fatal(err)
			}
			resp, err := browser.Get(logout)
			if err == nil {
				resp.Body.Close()
			}
			// The redirect to the app's page itself fails (nothing listens there);
			// what matters is that the fake ended its session first.
			again, err := fake.Login(ctx, browser, startLogin(t, cfg).URL, jaccounttest.FacultyUsername, "wrong password")
			if err == nil && again.Query().Get("code") != "" {
				t.Errorf("login after logout was silent: %v", again)
			}
		})
	}
}

func TestClientErrorsAgainstFake(t *testing.T) {
	t.Parallel()
	fake := jaccounttest.New(t)
	ctx := t.Context()

	bad := fakeConfig(fake, auth.AuthStyleInParams)
	bad.ClientSecret = "not-the-secret"
	_, err := bad.ClientCredentials(ctx, nil)
	var te *auth.TokenError
	if !errors.As(err, &te) || te.Code != "invalid_client" || te.StatusCode != http.StatusUnauthorized ||
		!errors.Is(err, auth.ErrInvalidClient) || errors.Is(err, auth.ErrInvalidGrant) {
		t.Errorf("wrong secret: %v, want invalid_client (401) matching ErrInvalidClient only", err)
	}
	// What Example_batchJob checks: the error of an API call through a
	// client-credentials source with the wrong secret.
	badSrc, err := bad.ClientCredentialsSource([]string{"lessons"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := api.NewClient(badSrc, api.WithBaseURL(fake.APIURL()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Lessons.List(ctx); !errors.Is(err, auth.ErrInvalidClient) {
		t.Errorf("API call with the wrong secret: %v, want auth.ErrInvalidClient", err)
	}
	if _, err := bad.ClientCredentials(ctx, []string{"no-such-scope"}); !errors.Is(err, auth.ErrInvalidClient) {
		t.Errorf("wrong secret and scope: %v", err)
	}
	if _, err := fakeConfig(fake, auth.AuthStyleInParams).ClientCredentials(ctx, []string{"no-such-scope"}); !errors.Is(err, auth.ErrInvalidScope) {
		t.Errorf("unknown scope: %v, want auth.ErrInvalidScope", err)
	}

	cfg := fakeConfig(fake, auth.AuthStyleInParams)
	if _, err := cfg.Exchange(ctx, "no-such-code"); !errors.Is(err, auth.ErrInvalidGrant) {
		t.Errorf("unknown code: %v, want ErrInvalidGrant", err)
	}

	fake.Inject(jaccounttest.HTMLPage(502).On(jaccounttest.EndpointToken).Times(1))
	if _, err := cfg.ClientCredentials(ctx, nil); !errors.Is(err, auth.ErrMalformedResponse) {
		t.Errorf("HTML page from the token endpoint: %v, want ErrMalformedResponse", err)
	}
}

// TestBatchSourcesAgainstFake: a stored token renews itself through a file
// store, and client credentials give a token the fake's API accepts.
func TestBatchSourcesAgainstFake(t *testing.T) {
	t.Parallel()
	fake := jaccounttest.New(t)
	cfg := fakeConfig(fake, auth.AuthStyleInParams)
	ctx := t.Context()

	issued, err := fake.IssueToken(jaccounttest.StudentUsername, "basic")
	if err != nil {
		t.Fatal(err)
	}
	store := auth.NewFileStore(filepath.Join(t.TempDir(), "token.json"))
	if err := store.Save(ctx, &auth.Token{AccessToken: issued.AccessToken, RefreshToken: issued.RefreshToken,
		TokenType: issued.TokenType, Expiry: issued.Expiry}); err != nil {
		t.Fatal(err)
	}
	ts, err := cfg.TokenSource(nil, auth.WithStore(store))
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := ts.ForceRefresh(ctx, nil)
	if err != nil || fresh.AccessToken == issued.AccessToken {
		t.Fatalf("refresh through the store: %v", err)
	}
	saved, err := store.Load(ctx)
	if err != nil || saved.RefreshToken == issued.RefreshToken || saved.AccessToken != fresh.AccessToken {
		t.Errorf("the rotated token was not saved: %v", err)
	}

	cc, err := cfg.ClientCredentialsSource([]string{"basic"})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := cc.Token()
	if err != nil || tok.AccessToken == "" {
		t.Fatalf("client credentials: %v", err)
	}
	// A user's profile by account takes client credentials (a teaching
	// class, for one, takes the authorization code only).
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, fake.APIURL()+"/v1/profile/no-such-user", nil)
	tok.SetAuthHeader(req)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
		t.Errorf("the fake's API refused the client-credentials token: %s", resp.Status)
	}
}

// startLogin is Config.AuthCodeURL for options that must be valid.
func startLogin(t *testing.T, cfg *auth.Config, opts ...auth.AuthCodeOption) *auth.AuthRequest {
	t.Helper()
	req, err := cfg.AuthCodeURL(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// webLogin logs username in through the fake's login page and the
// callback, as a browser and the application would.
func webLogin(t *testing.T, fake *jaccounttest.Server, cfg *auth.Config, username, password string) *auth.Token {
	t.Helper()
	req := startLogin(t, cfg, auth.WithNonce(), auth.WithPKCE())
	back, err := fake.Login(t.Context(), nil, req.URL, username, password)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := cfg.HandleCallback(t.Context(), req, back.Query())
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestSourceNeverSwitchesUser (finding 2): a source built from zhangsan's
// token over a file holding lilaoshi's used to answer Profile.Get as
// lilaoshi once the API rejected zhangsan's token. It must refuse with
// ErrSubjectMismatch instead, whether the API rejects the token with HTTP
// 403 or, as it did once, 200 (both with errno 10002).
func TestSourceNeverSwitchesUser(t *testing.T) {
	t.Parallel()
	for _, status := range []int{http.StatusForbidden, http.StatusOK} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			t.Parallel()
			testSourceNeverSwitchesUser(t, jaccounttest.WithTokenRejectionStatus(status))
		})
	}
}

func testSourceNeverSwitchesUser(t *testing.T, style jaccounttest.Option) {
	fake := jaccounttest.New(t, style)
	cfg := fakeConfig(fake, auth.AuthStyleInParams)
	zhangsan := webLogin(t, fake, cfg, jaccounttest.StudentUsername, jaccounttest.StudentPassword)
	lilaoshi := webLogin(t, fake, cfg, jaccounttest.FacultyUsername, jaccounttest.FacultyPassword)
	store := auth.NewFileStore(filepath.Join(t.TempDir(), "token.json"))
	if err := store.Save(t.Context(), lilaoshi); err != nil {
		t.Fatal(err)
	}
	ts, err := cfg.TokenSource(zhangsan, auth.WithStore(store))
	if err != nil {
		t.Fatal(err)
	}
	c, err := api.NewClient(ts, api.WithBaseURL(fake.APIURL()))
	if err != nil {
		t.Fatal(err)
	}
	fake.RevokeToken(zhangsan.AccessToken) // the API rejects zhangsan's token: a forced refresh follows
	p, err := c.Profile.Get(t.Context())
	if p != nil {
		t.Fatalf("Profile.Get answered as %s for zhangsan's source", p.Account)
	}
	var sm *auth.SubjectMismatchError
	if !errors.Is(err, auth.ErrSubjectMismatch) || !errors.As(err, &sm) ||
		sm.Stored != jaccounttest.FacultyUsername || sm.Source != jaccounttest.StudentUsername {
		t.Fatalf("err = %v, want auth.ErrSubjectMismatch naming both users", err)
	}
}
