package api_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/oauth-jaccount/jaccount-go/api"
	"github.com/oauth-jaccount/jaccount-go/gen"
)

// exampleServer stands in for https://api.sjtu.edu.cn.
func exampleServer() *httptest.Server {
	return httptest.NewServer(gen.HandlerFromMux(gen.NewStrictHandler(fakeAPI{}, nil), http.NewServeMux()))
}

func Example() {
	srv := exampleServer()
	defer srv.Close()

	// In production: api.NewClient(tokenSource) with the auth package's
	// TokenSource, and no WithBaseURL.
	c, err := api.NewClient(api.StaticToken("access-token"), api.WithBaseURL(srv.URL))
	if err != nil {
		panic(err)
	}
	ctx := context.Background()

	p, err := c.Profile.Get(ctx)
	if err != nil {
		panic(err)
	}
	fmt.Println(p.Account, p.Name, p.UserType)

	lessons, err := c.Lessons.ListBySemester(ctx, "2024-2025-1")
	if err != nil {
		panic(err)
	}
	fmt.Println(lessons.Total, lessons.Items[0].Code)
	// Output:
	// alice Alice student
	// 1 CS101-1
}

func ExampleCardService_AllTransactions() {
	srv := exampleServer()
	defer srv.Close()
	c, _ := api.NewClient(api.StaticToken("access-token"), api.WithBaseURL(srv.URL))

	var sum float64
	n := 0
	params := api.TransactionsParams{Begin: time.UnixMilli(0)}
	for tx, err := range c.Card.AllTransactions(context.Background(), params) {
		if err != nil {
			fmt.Println("error:", err)
			return
		}
		sum += tx.Amount
		n++
	}
	fmt.Printf("%d transactions, %.2f yuan\n", n, sum)
	// Output: 7 transactions, -21.00 yuan
}

func ExampleError() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"errno":10003,"error":"scope lessons not granted","entities":[]}`))
	}))
	defer srv.Close()
	c, _ := api.NewClient(api.StaticToken("access-token"), api.WithBaseURL(srv.URL))

	_, err := c.Lessons.List(context.Background())
	var e *api.Error
	if errors.As(err, &e) {
		fmt.Println(e.StatusCode, e.Errno, e.Message)
	}
	fmt.Println(errors.Is(err, api.ErrAPI), errors.Is(err, api.ErrUnauthorized))
	fmt.Println(err)
	// Output:
	// 200 10003 scope lessons not granted
	// true false
	// jaccount api: GET /v1/me/lessons: HTTP 200: errno 10003: scope lessons not granted
}

func ExampleWithQueryAuth() {
	c, _ := api.NewClient(api.StaticToken("access-token"), api.WithQueryAuth("japortal000000"))

	// Build the request for an operation without sending it.
	req, err := c.NewRequest(context.Background(), "/v1/me/profile", nil)
	if err != nil {
		panic(err)
	}
	fmt.Println(req.Method, req.URL)
	// Output: GET https://api.sjtu.edu.cn/v1/me/profile?access_token=access-token&client_id=japortal000000
}

func ExampleClient_Raw() {
	srv := exampleServer()
	defer srv.Close()
	c, _ := api.NewClient(api.StaticToken("access-token"), api.WithBaseURL(srv.URL))

	// The generated client, sharing the retrying, authenticating stack.
	resp, err := c.Raw().GetMyCardWithResponse(context.Background())
	if err != nil {
		panic(err)
	}
	fmt.Println(resp.StatusCode(), resp.JSON200.Entities[0].CardNo)

	// Or an operation's request from the generated builder, authorised.
	req, _ := gen.NewGetLessonRequest(c.BaseURL(), "CS101-1")
	req, _ = c.Authorize(req)
	fmt.Println(req.URL.Path, req.Header.Get("Authorization"))
	// Output:
	// 200 12345
	// /v1/lesson/CS101-1 Bearer access-token
}
