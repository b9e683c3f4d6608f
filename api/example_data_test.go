package api_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/oauth-jaccount/jaccount-go/api"
	"github.com/oauth-jaccount/jaccount-go/jaccounttest"
)

// The data resources, incrementally: every student updated since the last
// run, a page of 100 at a time.
func ExampleStudentsService_ListIter() {
	fake, err := jaccounttest.Start() // stands in for https://graphql.sjtu.edu.cn
	if err != nil {
		log.Fatal(err)
	}
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

// The school calendar needs no token, so a program without a login reads it
// with a client built on NoToken; any other call of that client is refused
// as a missing token is.
func ExampleNoToken() {
	fake, err := jaccounttest.Start() // stands in for https://api.sjtu.edu.cn
	if err != nil {
		log.Fatal(err)
	}
	defer fake.Close()

	c, err := api.NewClient(api.NoToken(), api.WithBaseURL(fake.APIURL()))
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	from := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	days, err := c.Enterprise.GetCalendar(ctx, api.EnterpriseGetCalendarParams{From: from, To: from.AddDate(0, 1, 0)})
	if err != nil {
		panic(err)
	}
	for _, d := range days.Items {
		fmt.Println(d.Day, d.Type)
	}
	_, err = c.Profile.Get(ctx)
	fmt.Println(errors.Is(err, api.ErrUnauthorized))
	// Output:
	// 2000-01-01 0
	// true
}
