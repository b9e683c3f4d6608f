package api_test

import (
	"context"
	"fmt"
	"time"

	"github.com/oauth-jaccount/jaccount-go/api"
	"github.com/oauth-jaccount/jaccount-go/jaccounttest"
)

// The data resources, incrementally: every student updated since the last
// run, a page of 100 at a time.
func ExampleStudentsService_ListIter() {
	fake := jaccounttest.New() // stands in for https://graphql.sjtu.edu.cn
	defer fake.Close()
	tok, _ := fake.IssueClientToken("exchange_data")

	// In production: api.NewDataClient(cfg.ClientCredentialsSource(
	// api.ScopeStrings(api.ScopeExchangeData))), and no WithDataBaseURL.
	dc, err := api.NewDataClient(api.StaticToken(tok.AccessToken), api.WithDataBaseURL(fake.DataURL()))
	if err != nil {
		panic(err)
	}
	lastRun := jaccounttest.DataFixtureTime.Add(40 * time.Hour) // a high-water mark kept by the job
	n := 0
	for s, err := range dc.Students.ListIter(context.Background(), api.StudentsListParams{UpdatedSince: lastRun, Offset: 100}) {
		if err != nil {
			fmt.Println("error:", err)
			return
		}
		if n == 0 {
			fmt.Println("first:", s.AccountNo, s.Xh)
		}
		n++
	}
	fmt.Println(n, "students updated since", api.FormatDataTime(lastRun))
	// Output:
	// first: stu0240 523030900340
	// 10 students updated since 2026-09-03 00:00:00
}
