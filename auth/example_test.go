package auth_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/oauth-jaccount/jaccount-go/api"
	"github.com/oauth-jaccount/jaccount-go/auth"
	"github.com/oauth-jaccount/jaccount-go/jaccounttest"
)

// The examples run against jaccounttest, the SDK's fake jAccount, so that
// they run offline. In production leave Endpoint empty (auth.DefaultEndpoint)
// and drop api.WithBaseURL.
func exampleConfig(fake *jaccounttest.Server) *auth.Config {
	return &auth.Config{
		ClientID:     fake.ClientID(),
		ClientSecret: fake.ClientSecret(),
		RedirectURL:  "http://127.0.0.1/callback",
		Scopes:       []string{"openid", "essential"},
		Endpoint: auth.Endpoint{AuthURL: fake.AuthURL(), TokenURL: fake.TokenURL(),
			LogoutURL: fake.LogoutURL(), Issuer: fake.Issuer()},
	}
}

// The web-login flow: authorize URL with state, nonce and PKCE; the
// callback checks the state and exchanges the code in one call, and the
// token goes into a refreshing, persisting TokenSource; logout ends the
// jAccount session.
func Example_webLogin() {
	fake, err := jaccounttest.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer fake.Close()
	cfg := exampleConfig(fake)
	ctx := context.Background()

	// 1. /login: keep req server-side (its JSON form holds the state, nonce,
	// PKCE verifier and redirect URL) and redirect the browser to req.URL.
	req, err := cfg.AuthCodeURL(auth.WithNonce(), auth.WithPKCE())
	if err != nil {
		log.Fatal(err)
	}
	saved, _ := json.Marshal(req)

	// (The user logs in at jAccount, which redirects back to the callback.)
	callback, err := fake.Login(ctx, nil, req.URL, jaccounttest.StudentUsername, jaccounttest.StudentPassword)
	if err != nil {
		log.Fatal(err)
	}

	// 2. /callback: take the saved request out of the session, then check
	// the state, jAccount's error (if any) and exchange the code. The ID
	// token is verified (HS256 with the client secret, issuer, audience,
	// expiry, nonce).
	var pending auth.AuthRequest
	if err := json.Unmarshal(saved, &pending); err != nil {
		log.Fatal(err)
	}
	tok, err := cfg.HandleCallback(ctx, &pending, callback.Query())
	var refused *auth.AuthorizeError
	if errors.As(err, &refused) {
		log.Fatal("jAccount refused the login: ", refused.Code)
	} else if err != nil {
		log.Fatal(err)
	}
	fmt.Println("user:", tok.Claims.Subject, tok.Claims.Name, tok.Claims.Type)

	// 3. Keep the token: persist it and let a TokenSource renew it.
	dir, _ := os.MkdirTemp("", "jaccount")
	defer os.RemoveAll(dir)
	store := auth.NewFileStore(filepath.Join(dir, "zhangsan.json"))
	if err := store.Save(ctx, tok); err != nil {
		log.Fatal(err)
	}
	ts, err := cfg.TokenSource(tok, auth.WithStore(store))
	if err != nil {
		log.Fatal(err)
	}
	c, err := api.NewClient(ts, api.WithBaseURL(fake.APIURL()))
	if err != nil {
		log.Fatal(err)
	}
	p, err := c.Profile.Get(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("profile:", p.Account, p.Name, p.Organize.Name)

	// 4. /logout: end the jAccount session too, or the next login is silent.
	logout, err := (&auth.Config{ClientID: "japortal000000"}).LogoutURL("https://app.example/")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("logout:", logout)
	// Output:
	// user: zhangsan 张三 student
	// profile: zhangsan 张三 电子信息与电气工程学院
	// logout: https://jaccount.sjtu.edu.cn/oauth2/logout?client_id=japortal000000&post_logout_redirect_uri=https%3A%2F%2Fapp.example%2F
}

// A batch job in jAccount's client mode: one TokenSource shared by all
// workers (one token request for all of them), its token kept in a file that
// concurrent runs of the job share.
func Example_batchJob() {
	fake, err := jaccounttest.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer fake.Close()
	cfg := exampleConfig(fake)
	ctx := context.Background()

	dir, _ := os.MkdirTemp("", "jaccount")
	defer os.RemoveAll(dir)
	ts, err := cfg.ClientCredentialsSource([]string{"basic"},
		auth.WithStore(auth.NewFileStore(filepath.Join(dir, "batch-token.json"))),
		auth.WithExpiryWindow(5*time.Minute))
	if err != nil {
		log.Fatal(err)
	}
	c, err := api.NewClient(ts, api.WithBaseURL(fake.APIURL()))
	if err != nil {
		log.Fatal(err)
	}

	// Users' profiles by account: an API that takes client credentials.
	accounts := []string{jaccounttest.StudentUsername, jaccounttest.FacultyUsername, jaccounttest.FreshmanUsername}
	names := make([]string, len(accounts))
	var wg sync.WaitGroup
	for i, account := range accounts {
		wg.Go(func() {
			p, err := c.Profile.GetUser(ctx, account)
			if errors.Is(err, auth.ErrInvalidClient) {
				log.Fatal("the client was refused: check its id and secret")
			} else if err != nil {
				log.Fatal(err)
			}
			names[i] = p.Name
		})
	}
	wg.Wait()
	fmt.Println(names)

	tokenRequests := 0
	for _, r := range fake.Requests() {
		if r.Endpoint == jaccounttest.EndpointToken {
			tokenRequests++
		}
	}
	fmt.Println("token requests:", tokenRequests)
	// Output:
	// [张三 李老师 王小明]
	// token requests: 1
}
