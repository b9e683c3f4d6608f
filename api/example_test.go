package api_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"time"

	"github.com/oauth-jaccount/jaccount-go/api"
)

// exampleServer stands in for https://api.sjtu.edu.cn.
func exampleServer() *httptest.Server {
	return httptest.NewServer(fakeAPI())
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

	lessons, err := c.Lessons.ListBySemester(ctx, "2024-2025-1", api.LessonsListBySemesterParams{Classes: api.Ptr(false)})
	if err != nil {
		panic(err)
	}
	fmt.Println(lessons.Total, lessons.Items[0].Code)
	// Output:
	// alice Alice student
	// 1 CS101-1
}

func ExampleCardService_ListTransactionsIter() {
	srv := exampleServer()
	defer srv.Close()
	c, _ := api.NewClient(api.StaticToken("access-token"), api.WithBaseURL(srv.URL))

	var sum float64
	n := 0
	params := api.CardListTransactionsParams{Begin: time.UnixMilli(0)}
	for tx, err := range c.Card.ListTransactionsIter(context.Background(), params) {
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
		// A failure may come with HTTP 200, its detail after a blank line.
		_, _ = w.Write([]byte(`{"errno":10001,"error":"BAD_PARAMETERS\n\nMORE_INFORMATION:semester is required","total":0}`))
	}))
	defer srv.Close()
	c, _ := api.NewClient(api.StaticToken("access-token"), api.WithBaseURL(srv.URL))

	_, err := c.Lessons.List(context.Background())
	var e *api.Error
	if errors.As(err, &e) {
		fmt.Println(e.StatusCode, int(e.Errno), e.Message)
	}
	fmt.Println(errors.Is(err, api.ErrAPI), errors.Is(err, api.ErrnoBadParameters), errors.Is(err, api.ErrUnauthorized))
	fmt.Println(err)
	// Output:
	// 200 10001 BAD_PARAMETERS: MORE_INFORMATION:semester is required
	// true true false
	// jaccount api: GET /v1/me/lessons: HTTP 200: errno 10001: BAD_PARAMETERS: MORE_INFORMATION:semester is required
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

// The generic calls reach what the spec does not model, through the same
// retries, authentication and errors as the typed methods: the Go form of
// the Python client's call_rest_api(token, path).
func ExampleGet() {
	srv := exampleServer()
	defer srv.Close()
	c, _ := api.NewClient(api.StaticToken("access-token"), api.WithBaseURL(srv.URL))
	ctx := context.Background()

	p, err := api.Get[api.Profile](ctx, c, api.PathProfileGet, nil)
	if err != nil {
		panic(err)
	}
	fmt.Println(p.Account)

	rights, err := api.GetList[map[string]any](ctx, c, api.PathEnterpriseGetUserRights, url.Values{"account": {"bob"}})
	if err != nil {
		panic(err)
	}
	fmt.Println(rights.Items[0]["name"])
	// Output:
	// alice
	// bob
}

func ExampleClient_Do() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		fmt.Println(r.Method, r.URL.Path, r.Header.Get("Content-Type"), r.PostForm.Encode())
		_, _ = w.Write([]byte(`{"errno":0,"error":"success","total":0,"entities":[{"id":7}]}`))
	}))
	defer srv.Close()
	c, _ := api.NewClient(api.StaticToken("access-token"), api.WithBaseURL(srv.URL))

	var charge struct {
		ID int `json:"id"`
	}
	err := c.Do(context.Background(), http.MethodPost, "/v1/me/card/recharge", nil,
		url.Values{"cardNo": {"12345"}, "amount": {"50"}}, &charge)
	fmt.Println(charge.ID, err)
	// Output:
	// POST /v1/me/card/recharge application/x-www-form-urlencoded amount=50&cardNo=12345
	// 7 <nil>
}

// The URL builders need no client: the Python client's get_rest_api_url.
func ExampleAuthorizedURL() {
	u, _ := api.URL("", api.PathLessonsList, nil)
	fmt.Println(u)
	u, _ = api.AuthorizedURL(api.DefaultBaseURL, "/v1/me/lessons/2024-2025-1", url.Values{"classes": {"false"}}, "access-token", "japortal000000")
	fmt.Println(u)
	// Output:
	// https://api.sjtu.edu.cn/v1/me/lessons
	// https://api.sjtu.edu.cn/v1/me/lessons/2024-2025-1?access_token=access-token&classes=false&client_id=japortal000000
}

// A web app keeps one Client and derives a per-user copy on each request;
// the copies share the connection pool.
func ExampleClient_WithTokenSource() {
	srv := exampleServer()
	defer srv.Close()
	shared, _ := api.NewClient(api.StaticToken("app-token"), api.WithBaseURL(srv.URL))

	handler := func(userToken string) {
		c := shared.WithTokenSource(api.StaticToken(userToken))
		p, err := c.Profile.Get(context.Background())
		fmt.Println(p.Account, err)
	}
	handler("access-token")
	// Output: alice <nil>
}

// Scopes carry the registry's bits and grants.
func ExampleScope() {
	fmt.Println(api.ScopeEssential, api.ScopeEssential.Bit(), api.ScopeEssential.Grants())
	mask, _ := api.ScopeMask(api.ScopeBasic, api.ScopeEssential)
	fmt.Println(mask, api.ScopeStrings(api.ScopeOpenID, api.ScopeLessons))
	// Output:
	// essential 1 [authorization_code client_credentials]
	// 3 [openid lessons]
}
