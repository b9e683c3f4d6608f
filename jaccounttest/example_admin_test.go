package jaccounttest_test

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/oauth-jaccount/jaccount-go/jaccounttest"
)

// The admin API steers the fake over HTTP, from a test in any language:
// here it makes the next API request fail with 503.
func ExampleWithAdmin() {
	fake, err := jaccounttest.Start(jaccounttest.WithAdmin())
	if err != nil {
		panic(err)
	}
	defer fake.Close()
	tok, _ := fake.IssueToken(jaccounttest.StudentUsername, "essential")

	resp, err := http.Post(fake.AdminURL()+"/faults", "application/json",
		strings.NewReader(`{"kind":"status","status":503,"endpoint":"api","times":1}`))
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	fmt.Println("inject:", resp.Status)

	for range 2 {
		req, _ := http.NewRequest(http.MethodGet, fake.APIURL()+"/v1/me/profile", nil)
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			panic(err)
		}
		resp.Body.Close()
		fmt.Println("profile:", resp.Status)
	}
	// Output:
	// inject: 201 Created
	// profile: 503 Service Unavailable
	// profile: 200 OK
}
