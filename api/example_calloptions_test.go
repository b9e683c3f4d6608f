package api_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"sync/atomic"
	"time"

	"github.com/oauth-jaccount/jaccount-go/api"
)

// A handler that wants a quick answer gives one call a timeout of its own
// and no retries; the client's defaults stay as they are for every other
// call.
func ExampleCallOption() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Println("X-Request-Source:", r.Header.Get("X-Request-Source"))
		http.Error(w, "maintenance", http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	c, _ := api.NewClient(api.StaticToken("access-token"), api.WithBaseURL(srv.URL))

	_, err := c.Profile.Get(context.Background(),
		api.WithTimeout(time.Second),                         // the whole call, retries included
		api.WithRetryPolicy(api.RetryPolicy{MaxAttempts: 1}), // one attempt, even on a 503
		api.WithHeader("X-Request-Source", "checkout"))
	var e *api.Error
	if errors.As(err, &e) {
		fmt.Println(e.StatusCode, e.Attempts, errors.Is(err, api.ErrServerError))
	}
	// Output:
	// X-Request-Source: checkout
	// 503 1 true
}

// WithResponseInto hands over what the reply said besides its entities, on
// success and on failure: here a page of card transactions.
func ExampleWithResponseInto() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Request-Id", "req-1")
		w.Header().Set("Set-Cookie", "JSESSIONID=0123456789") // never handed over
		_, _ = w.Write([]byte(`{"errno":0,"error":"success","total":120,"entities":[{"merchant":"canteen","amount":-12.5}]}`))
	}))
	defer srv.Close()
	c, _ := api.NewClient(api.StaticToken("access-token"), api.WithBaseURL(srv.URL))

	var r api.Response
	page, err := c.Card.ListTransactions(context.Background(), api.CardListTransactionsParams{Limit: 1},
		api.WithResponseInto(&r))
	if err != nil {
		panic(err)
	}
	fmt.Println(len(page.Items), "of", r.Total)
	fmt.Println(r.StatusCode, r.Attempts, r.Header.Get("X-Request-Id"), r.Header.Get("Set-Cookie") == "")
	// Output:
	// 1 of 120
	// 200 1 req-1 true
}

// The debug log is WithLogger's logger at slog.LevelDebug: a record of
// every exchange and of every retry, naming the path by its template, never
// the account in it, a query value, a header, a body or a token. (The
// handler here leaves out the time and the duration, so that the output is
// the same on every run.)
func ExampleWithLogger() {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"errno":0,"error":"success","total":1,"entities":[{"account":"alice"}]}`))
	}))
	defer srv.Close()
	debug := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		Level: slog.LevelDebug,
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey || a.Key == "duration" {
				return slog.Attr{}
			}
			return a
		},
	}))
	c, _ := api.NewClient(api.StaticToken("access-token"), api.WithBaseURL(srv.URL), api.WithLogger(debug),
		api.WithRetryPolicy(api.RetryPolicy{MinWait: time.Millisecond}))

	p, err := c.Profile.GetUser(context.Background(), "alice")
	fmt.Println(p.Account, err)
	// Output:
	// level=DEBUG msg="jaccount api: attempt" method=GET path=/v1/profile/{id} query="" attempt=1 status=503 bytes=5
	// level=DEBUG msg="jaccount api: retrying request" method=GET path=/v1/profile/{id} attempt=1 status=503
	// level=DEBUG msg="jaccount api: attempt" method=GET path=/v1/profile/{id} query="" attempt=2 status=200 errno=0 bytes=72
	// alice <nil>
}
