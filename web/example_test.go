package web_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/cookiejar"

	"github.com/oauth-jaccount/jaccount-go/auth"
	"github.com/oauth-jaccount/jaccount-go/jaccounttest"
	"github.com/oauth-jaccount/jaccount-go/web"
)

// Example protects an existing net/http application with jAccount sign-in.
// The lines between the two markers are all an application writes; the
// rest stands in for jAccount (jaccounttest) and for a user's browser.
func Example() {
	fake, err := jaccounttest.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer fake.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	mux := http.NewServeMux()
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "你好，%s (%s)", web.UserFrom(r.Context()).Claims.Name, web.UserFrom(r.Context()).Claims.Subject)
	})
	sessionKey := []byte("32+ random bytes from a secret store, e.g. openssl rand -base64 32")

	// --- what the application writes ---
	cfg := &auth.Config{ClientID: fake.ClientID(), ClientSecret: fake.ClientSecret(), RedirectURL: base + "/jaccount/auth",
		Scopes: []string{"openid", "basic"}, Endpoint: auth.Endpoint{AuthURL: fake.AuthURL(), TokenURL: fake.TokenURL(), LogoutURL: fake.LogoutURL(), Issuer: fake.Issuer()}}
	login, err := web.New(cfg, web.WithSessionKeys(sessionKey))
	if err != nil {
		log.Fatal(err)
	}
	mux.Handle("/jaccount/", login)
	mux.Handle("/", login.RequireUser(app))
	// --- end ---

	srv := &http.Server{Handler: mux}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()

	// A browser opens a page, is sent to jAccount, logs in, and is back.
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(u string) (status int, location, body string) {
		resp, err := browser.Get(u)
		if err != nil {
			log.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Location"), string(b)
	}
	status, loc, _ := get(base + "/courses")
	fmt.Println("anonymous /courses:", status, loc)
	_, authorize, _ := get(base + loc)
	callback, err := fake.Login(context.Background(), browser, authorize, jaccounttest.StudentUsername, jaccounttest.StudentPassword)
	if err != nil {
		log.Fatal(err)
	}
	status, loc, _ = get(callback.String())
	fmt.Println("callback:", status, loc)
	_, _, page := get(base + loc)
	fmt.Println(page)
	// Output:
	// anonymous /courses: 303 /jaccount/login?next=%2Fcourses
	// callback: 303 /courses
	// 你好，张三 (zhangsan)
}
