// Command minimal is a complete web app on jAccount: it signs SJTU users in
// and lists their lessons of this semester, read from the API as the user.
//
// Register http://127.0.0.1:8080/jaccount/auth as a redirect URL of your
// application, then run it with the application's id and secret and a key
// for its cookies, and open http://127.0.0.1:8080/:
//
//	export JACCOUNT_CLIENT_ID=... JACCOUNT_CLIENT_SECRET=... SESSION_KEY=$(openssl rand -base64 32)
//	go run .
//
// ADDR serves it elsewhere (default 127.0.0.1:8080, the redirect URL
// following it). JACCOUNT_URL points it at another jAccount, such as
// `jaccount fake` (JACCOUNT_URL=http://127.0.0.1:8700 with the id and
// secret it prints).
package main

import (
	"cmp"
	"fmt"
	"log"
	"net/http"
	"os"
	"time"

	"github.com/oauth-jaccount/jaccount-go/api"
	"github.com/oauth-jaccount/jaccount-go/auth"
	"github.com/oauth-jaccount/jaccount-go/web"
)

func main() {
	addr := cmp.Or(os.Getenv("ADDR"), "127.0.0.1:8080")
	cfg := &auth.Config{
		ClientID:     os.Getenv("JACCOUNT_CLIENT_ID"),
		ClientSecret: os.Getenv("JACCOUNT_CLIENT_SECRET"),
		RedirectURL:  "http://" + addr + "/jaccount/auth",
		Scopes:       []string{"openid", "basic", "lessons"},
	}
	var apiOpts []api.Option
	if u := os.Getenv("JACCOUNT_URL"); u != "" { // not the real jAccount: a fake one
		cfg.Endpoint = auth.Endpoint{AuthURL: u + "/oauth2/authorize", TokenURL: u + "/oauth2/token",
			LogoutURL: u + "/oauth2/logout", Issuer: u + "/oauth2/"}
		apiOpts = append(apiOpts, api.WithBaseURL(u))
	}
	login, err := web.New(cfg,
		web.WithSessionKeys([]byte(os.Getenv("SESSION_KEY"))), // encrypts the cookies: 32 or more random bytes
		web.WithTokenStore(web.NewMemoryStore().TokenStore),   // the users' tokens stay on the server
		web.WithAPIOptions(apiOpts...))
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/jaccount/", login) // /jaccount/login, /jaccount/auth (the callback), /jaccount/logout
	mux.Handle("GET /{$}", login.RequireUser(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user := web.UserFrom(r.Context()) // the ID token's verified claims
		c, err := user.API()              // an API client that calls as the user
		if err != nil {
			log.Print(err)
			http.Error(w, "no API client", http.StatusInternalServerError)
			return
		}
		lessons, err := c.Lessons.List(r.Context())
		if err != nil { // an *api.Error (status, errno, message), never holding a token
			log.Print(err)
			http.Error(w, "jAccount did not answer", http.StatusBadGateway)
			return
		}
		fmt.Fprintf(w, "Hello, %s (%s). Your lessons this semester:\n", user.Claims.Name, user.Claims.Subject)
		for _, l := range lessons.Items {
			fmt.Fprintf(w, "- %s %s, %g credits\n", l.Code, l.Name, l.Credits)
		}
	})))
	log.Printf("open http://%s/", addr)
	log.Fatal((&http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}).ListenAndServe())
}
