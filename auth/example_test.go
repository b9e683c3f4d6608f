package auth_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/oauth2"

	"github.com/oauth-jaccount/jaccount-go/auth"
)

const (
	clientID     = "japortal000000"
	clientSecret = "example-secret-example-secret-example-secret-xxx"
)

// fakeJAccount stands in for jaccount.sjtu.edu.cn (and api.sjtu.edu.cn) so
// that the examples run offline.
func fakeJAccount(tokenRequests *atomic.Int64) *httptest.Server {
	mux := http.NewServeMux()
	var nonce string
	mux.HandleFunc("/oauth2/authorize", func(w http.ResponseWriter, r *http.Request) {
		// The user logs in; jAccount redirects back with a code.
		q := r.URL.Query()
		nonce = q.Get("nonce")
		back := q.Get("redirect_uri") + "?" + url.Values{"code": {"code-1"}, "state": {q.Get("state")}}.Encode()
		http.Redirect(w, r, back, http.StatusFound)
	})
	mux.HandleFunc("/oauth2/token", func(w http.ResponseWriter, r *http.Request) {
		tokenRequests.Add(1)
		resp := fmt.Sprintf(`{"access_token":"at-%d","token_type":"bearer","expires_in":3600`, tokenRequests.Load())
		if r.PostFormValue("grant_type") == "authorization_code" {
			idt, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
				"iss": "https://jaccount.sjtu.edu.cn/oauth2/", "aud": clientID, "sub": "alice", "nonce": nonce,
				"iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix(),
				"name": "Alice", "code": "519000000001", "type": "student",
			}).SignedString([]byte(clientSecret))
			resp += fmt.Sprintf(`,"refresh_token":"rt-1","id_token":%q`, idt)
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, resp+"}")
	})
	mux.HandleFunc("/v1/me/profile", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"errno":0,"error":"success","auth":%q}`, r.Header.Get("Authorization")[:7])
	})
	return httptest.NewServer(mux)
}

// The web-login flow: authorize URL with state, nonce and PKCE; the
// callback checks the state, exchanges the code, and keeps the token in a
// refreshing, persisting TokenSource.
func Example_webLogin() {
	var tokenRequests atomic.Int64
	srv := fakeJAccount(&tokenRequests)
	defer srv.Close()

	cfg := &auth.Config{
		ClientID:     clientID,
		ClientSecret: clientSecret,
		RedirectURL:  "https://app.example/callback",
		Scopes:       []string{"openid", "essential"},
		// Only the tests point elsewhere; production uses auth.DefaultEndpoint.
		Endpoint: auth.Endpoint{AuthURL: srv.URL + "/oauth2/authorize", TokenURL: srv.URL + "/oauth2/token"},
	}

	// 1. /login: remember req.State, req.Nonce and req.CodeVerifier in the
	// session and redirect the browser to req.URL.
	req := cfg.AuthCodeURL(auth.WithNonce(), auth.WithPKCE())

	// (The browser logs in at jAccount and comes back to the callback.)
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Get(req.URL)
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	callback, _ := url.Parse(resp.Header.Get("Location"))

	// 2. /callback: check the state, then exchange the code.
	if err := auth.CheckState(req.State, callback.Query().Get("state")); err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	tok, err := cfg.Exchange(ctx, callback.Query().Get("code"), req.ExchangeOptions()...)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("user:", tok.Claims.Subject, tok.Claims.Name, tok.Claims.Type, tok.Claims.Type.Known())

	// 3. Keep the token: persist it and let a TokenSource renew it.
	dir, _ := os.MkdirTemp("", "jaccount")
	defer os.RemoveAll(dir)
	store := auth.NewFileStore(filepath.Join(dir, "alice.json"))
	if err := store.Save(ctx, tok); err != nil {
		log.Fatal(err)
	}
	ts := cfg.TokenSource(tok, auth.WithStore(store))
	api := &http.Client{Transport: &oauth2.Transport{Source: ts}}
	r, err := api.Get(srv.URL + "/v1/me/profile")
	if err != nil {
		log.Fatal(err)
	}
	body, _ := io.ReadAll(r.Body)
	r.Body.Close()
	fmt.Println("api:", string(body))

	// 4. /logout: end the jAccount session too.
	fmt.Println("logout:", (&auth.Config{}).LogoutURL("https://app.example/"))
	// Output:
	// user: alice Alice student true
	// api: {"errno":0,"error":"success","auth":"Bearer "}
	// logout: https://jaccount.sjtu.edu.cn/oauth2/logout?post_logout_redirect_uri=https%3A%2F%2Fapp.example%2F
}

// A batch job in jAccount's client mode: one shared TokenSource, its token
// kept in a file that concurrent runs of the job share.
func Example_batchJob() {
	var tokenRequests atomic.Int64
	srv := fakeJAccount(&tokenRequests)
	defer srv.Close()

	cfg := &auth.Config{
		ClientID:     clientID,
		ClientSecret: clientSecret,
		Endpoint:     auth.Endpoint{TokenURL: srv.URL + "/oauth2/token"},
	}
	dir, _ := os.MkdirTemp("", "jaccount")
	defer os.RemoveAll(dir)
	ts := cfg.ClientCredentialsSource([]string{"exchange_data"},
		auth.WithStore(auth.NewFileStore(filepath.Join(dir, "batch-token.json"))),
		auth.WithExpiryWindow(5*time.Minute))
	api := &http.Client{Transport: &oauth2.Transport{Source: ts}}

	for range 3 {
		r, err := api.Get(srv.URL + "/v1/me/profile")
		if err != nil {
			var te *auth.TokenError
			if errors.As(err, &te) {
				log.Fatalf("token endpoint refused: %s", te.Code)
			}
			log.Fatal(err)
		}
		r.Body.Close()
		fmt.Println(r.Status)
	}
	fmt.Println("token requests:", tokenRequests.Load())
	// Output:
	// 200 OK
	// 200 OK
	// 200 OK
	// token requests: 1
}
