package jaccounttest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/oauth-jaccount/jaccount-go/api"
	"github.com/oauth-jaccount/jaccount-go/jaccounttest"
)

// The fake gets a token for a fixture user without the browser flow, and
// the API answers it. (A test function starts the fake with
// jaccounttest.New(t), which stops it when the test ends; an example has no
// test, so Start and Close.)
func Example() {
	srv, err := jaccounttest.Start()
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	tok, err := srv.IssueToken(jaccounttest.StudentUsername, "essential", "lessons")
	if err != nil {
		panic(err)
	}
	c, err := api.NewClient(api.StaticToken(tok.AccessToken), api.WithBaseURL(srv.APIURL()))
	if err != nil {
		panic(err)
	}
	p, err := c.Profile.Get(context.Background())
	if err != nil {
		panic(err)
	}
	fmt.Println(p.Account, p.Name, p.UserType)

	for _, r := range srv.Requests() {
		fmt.Println(r.Method, r.Path, r.Credential, r.Status)
	}
	// Output:
	// zhangsan 张三 student
	// GET /v1/me/profile bearer 200
}

// WithSpecExamples answers every operation with the example of the spec,
// here the documentation's sample profile.
func ExampleWithSpecExamples() {
	srv, err := jaccounttest.Start(jaccounttest.WithSpecExamples())
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	tok, _ := srv.IssueToken(jaccounttest.StudentUsername, "basic")
	c, _ := api.NewClient(api.StaticToken(tok.AccessToken), api.WithBaseURL(srv.APIURL()))
	p, err := c.Profile.Get(context.Background())
	fmt.Println(p.Account, p.Name, err)
	// Output: testprofile 张三 <nil>
}

// A test without a browser logs in through the fake's pages with Login and
// exchanges the code at the token endpoint.
func ExampleServer_Login() {
	srv, err := jaccounttest.Start()
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	authorize := srv.AuthURL() + "?" + url.Values{
		"response_type": {"code"}, "client_id": {srv.ClientID()}, "scope": {"openid basic"},
		"redirect_uri": {"http://127.0.0.1:8080/callback"}, "state": {"xyz"},
	}.Encode()
	callback, err := srv.Login(context.Background(), nil, authorize, jaccounttest.StudentUsername, jaccounttest.StudentPassword)
	if err != nil {
		panic(err)
	}
	fmt.Println(callback.Path, callback.Query().Get("state"))

	resp, err := http.PostForm(srv.TokenURL(), url.Values{
		"grant_type": {"authorization_code"}, "code": {callback.Query().Get("code")},
		"redirect_uri": {"http://127.0.0.1:8080/callback"},
		"client_id":    {srv.ClientID()}, "client_secret": {srv.ClientSecret()},
	})
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	var tok struct {
		TokenType string `json:"token_type"`
		Scope     string `json:"scope"`
		IDToken   string `json:"id_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil {
		panic(err)
	}
	fmt.Println(resp.StatusCode, tok.TokenType, tok.Scope, tok.IDToken != "")
	// Output:
	// /callback xyz
	// 200 bearer basic openid true
}

// Faults make the fake fail the way the real service sometimes does; the
// request log shows what happened.
func ExampleServer_Inject() {
	srv, err := jaccounttest.Start()
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	tok, err := srv.IssueToken(jaccounttest.FacultyUsername, "essential")
	if err != nil {
		panic(err)
	}
	if err := srv.Inject(jaccounttest.RateLimit(2 * time.Second).OnPath("/v1/me/profile").Times(1)); err != nil {
		panic(err)
	}

	for range 2 {
		req, _ := http.NewRequest(http.MethodGet, srv.APIURL()+"/v1/me/profile?access_token="+tok.AccessToken, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			panic(err)
		}
		resp.Body.Close()
		fmt.Printf("%d Retry-After=%q\n", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	for _, r := range srv.Requests() {
		fmt.Println(r.Path, r.Credential, r.Status, r.Fault)
	}
	// Output:
	// 429 Retry-After="2"
	// 200 Retry-After=""
	// /v1/me/profile none 429 true
	// /v1/me/profile query 200 false
}

// The 思源码 operations but validation are open to 交我办 only: a test acts
// as 交我办 by registering its application so.
func ExampleClient_jiaowoban() {
	app := jaccounttest.DefaultClient()
	app.Jiaowoban = true
	fake, err := jaccounttest.Start(jaccounttest.WithClient(app))
	if err != nil {
		panic(err)
	}
	defer fake.Close()
	tok, _ := fake.IssueToken(jaccounttest.StudentUsername, "unicode")

	c, _ := api.NewClient(api.StaticToken(tok.AccessToken), api.WithBaseURL(fake.APIURL()))
	pay, err := c.Unicode.GetPay(context.Background(), api.UnicodeGetPayParams{Supplier: string(api.UnicodePaySupplierWallet)})
	if err != nil {
		panic(err)
	}
	fmt.Println(pay.Status, len(pay.OfflineCodes))

	other, err := jaccounttest.Start() // its application is not 交我办
	if err != nil {
		panic(err)
	}
	defer other.Close()
	tok, _ = other.IssueToken(jaccounttest.StudentUsername, "unicode")
	c, _ = api.NewClient(api.StaticToken(tok.AccessToken), api.WithBaseURL(other.APIURL()))
	_, err = c.Unicode.GetPay(context.Background(), api.UnicodeGetPayParams{})
	fmt.Println(errors.Is(err, api.ErrnoEntitleFailure))
	// Output:
	// 0 2
	// true
}
