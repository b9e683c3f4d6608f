package api_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/oauth-jaccount/jaccount-go/api"
)

// A batch job's budget: every goroutine, and every WithTokenSource copy,
// shares the client's budget, here bursts of 10 and then one request a
// second; a 429 with
// Retry-After to any call pauses them all. A call that cannot have its
// turn before its deadline fails at once, unsent.
func ExampleWithRateLimit() {
	srv := exampleServer()
	defer srv.Close()
	c, err := api.NewClient(api.StaticToken("access-token"), api.WithBaseURL(srv.URL),
		api.WithRateLimit(1, 10))
	if err != nil {
		panic(err)
	}

	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			if _, err := c.Profile.Get(context.Background()); err != nil {
				fmt.Println("error:", err)
			}
		})
	}
	wg.Wait()

	// The burst is spent and the next turn is a second away: a call that
	// must end sooner is refused.
	ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	_, err = c.Profile.Get(ctx)
	fmt.Println(errors.Is(err, api.ErrThrottled))
	// Output:
	// true
}
