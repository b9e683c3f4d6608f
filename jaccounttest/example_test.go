package jaccounttest_test

import (
	"context"
	"fmt"
	"net/http"

	"github.com/oauth-jaccount/jaccount-go/gen"
	"github.com/oauth-jaccount/jaccount-go/jaccounttest"
)

// A test starts the fake, gets a token for a fixture user without the
// browser flow, and calls the API with it.
func Example() {
	srv := jaccounttest.New()
	defer srv.Close()

	tok, err := srv.IssueToken(jaccounttest.StudentUsername, "basic", "lessons")
	if err != nil {
		panic(err)
	}
	c, err := gen.NewClientWithResponses(srv.APIURL(), gen.WithRequestEditorFn(
		func(_ context.Context, req *http.Request) error {
			req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
			return nil
		}))
	if err != nil {
		panic(err)
	}
	resp, err := c.GetMyProfileWithResponse(context.Background())
	if err != nil {
		panic(err)
	}
	p := resp.JSON200.Entities[0]
	fmt.Println(resp.StatusCode(), p.Account, p.Name, p.UserType)

	for _, r := range srv.Requests() {
		fmt.Println(r.Method, r.Path, r.Credential, r.Status)
	}
	// Output:
	// 200 zhangsan 张三 student
	// GET /v1/me/profile bearer 200
}
