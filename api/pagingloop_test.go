package api_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oauth-jaccount/jaccount-go/api"
)

// walkResult is what one walk of an iterator gave.
type walkResult struct {
	items   int
	err     error
	elapsed time.Duration
}

func walkAll[T any](seq func(func(T, error) bool)) walkResult {
	start := time.Now()
	var r walkResult
	for _, err := range seq {
		if err != nil {
			r.err = err
			break
		}
		r.items++
	}
	r.elapsed = time.Since(start)
	return r
}

// loopDeadline bounds the walks of the loop tests: before issue 17 a
// looping server made them run until it.
const loopDeadline = 5 * time.Second

// TestPagingLoops (issue 17 item 3): a walk always ends. A server that
// cycles page tokens A→B→A, or ignores start (start/limit) or first
// (first/offset) and sends the same page again, ends the walk with a
// *PagingError matching ErrPagingLoop, well under a second, having yielded
// each page's items once. Before the fix the token cycle fetched pages
// until the caller's deadline (about 80,000 in 5 s), and so did a server
// ignoring start.
func TestPagingLoops(t *testing.T) {
	t.Parallel()
	page := func(w http.ResponseWriter, from, n int, extra string) {
		var es []string
		for i := from; i < from+n; i++ {
			es = append(es, fmt.Sprintf(`{"id":"%d","dateTime":%d,"amount":-1.5}`, i, 1700000000000+i))
		}
		reply(200, "application/json", `{"errno":0,"error":"success"`+extra+`,"entities":[`+strings.Join(es, ",")+`]}`).ServeHTTP(w, nil)
	}
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
		walk    func(ctx context.Context, c *api.Client, dc *api.DataClient) walkResult
		items   int
		page    int
	}{
		{"token cycle A→B→A", func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Query().Get("pageToken") {
			case "":
				page(w, 0, 2, `,"total":6,"nextToken":"A"`)
			case "A":
				page(w, 2, 2, `,"total":6,"nextToken":"B"`)
			default: // B, and back to A
				page(w, 4, 2, `,"total":6,"nextToken":"A"`)
			}
		}, func(ctx context.Context, c *api.Client, _ *api.DataClient) walkResult {
			return walkAll(c.Circles.ListIter(ctx, api.CirclesListParams{}))
		}, 6, 3},
		{"start/limit, start ignored", func(w http.ResponseWriter, r *http.Request) {
			page(w, 0, 20, `,"total":100000`)
		}, func(ctx context.Context, c *api.Client, _ *api.DataClient) walkResult {
			return walkAll(c.Card.ListTransactionsIter(ctx, api.CardListTransactionsParams{Limit: 20}))
		}, 20, 2},
		{"start/limit, start ignored, no total", func(w http.ResponseWriter, r *http.Request) {
			page(w, 0, 20, ``)
		}, func(ctx context.Context, c *api.Client, _ *api.DataClient) walkResult {
			return walkAll(c.Card.ListTransactionsIter(ctx, api.CardListTransactionsParams{Limit: 20}))
		}, 20, 2},
		{"first/offset, first ignored", func(w http.ResponseWriter, r *http.Request) {
			page(w, 0, 200, `,"total":0`)
		}, func(ctx context.Context, _ *api.Client, dc *api.DataClient) walkResult {
			return walkAll(dc.Students.ListIter(ctx, api.StudentsListParams{}))
		}, 200, 2},
		{"fresh tokens, the same page", func(w http.ResponseWriter, r *http.Request) {
			n, _ := strconv.Atoi(r.URL.Query().Get("pageToken"))
			page(w, 0, 2, `,"nextToken":"`+strconv.Itoa(n+1)+`"`)
		}, func(ctx context.Context, c *api.Client, _ *api.DataClient) walkResult {
			return walkAll(c.Circles.ListIter(ctx, api.CirclesListParams{}))
		}, 2, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newServer(t, tc.handler)
			c := newClient(t, s)
			dc, err := api.NewDataClient(api.StaticToken(testToken), api.WithDataBaseURL(s.URL), api.WithRetryPolicy(fastRetries))
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(t.Context(), loopDeadline)
			defer cancel()
			r := tc.walk(ctx, c, dc)
			t.Logf("%s: %d pages, %d items in %v: %v", tc.name, s.requests.Load(), r.items, r.elapsed.Round(time.Microsecond), r.err)
			var pe *api.PagingError
			if !errors.Is(r.err, errPagingLoop) || !errors.As(r.err, &pe) || pe.Page != tc.page || !strings.HasSuffix(pe.Operation, "Iter") || !strings.Contains(pe.Error(), pe.Operation) {
				t.Fatalf("err = %v, want a *PagingError at page %d matching ErrPagingLoop", r.err, tc.page)
			}
			if r.items != tc.items || s.requests.Load() != int64(tc.page) {
				t.Errorf("%d items from %d pages, want %d from %d", r.items, s.requests.Load(), tc.items, tc.page)
			}
			if r.elapsed > time.Second {
				t.Errorf("the walk took %v, want well under a second", r.elapsed)
			}
		})
	}
}

// TestMaxPages: WithMaxPages caps a walk whose server pages on and on with
// fresh tokens and items: the items of the first n pages, then a
// *PagingError matching ErrTooManyPages; a negative cap is refused.
func TestMaxPages(t *testing.T) {
	t.Parallel()
	var n atomic.Int64
	s := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := n.Add(1)
		reply(200, "application/json", fmt.Sprintf(`{"errno":0,"nextToken":"t%d","entities":[{"id":"%d"}]}`, i, i)).ServeHTTP(w, r)
	}))
	c := newClient(t, s, api.WithMaxPages(5))
	r := walkAll(c.Circles.ListIter(t.Context(), api.CirclesListParams{}))
	var pe *api.PagingError
	if !errors.Is(r.err, api.ErrTooManyPages) || errors.Is(r.err, api.ErrPagingLoop) || !errors.As(r.err, &pe) || pe.Page != 6 ||
		r.items != 5 || s.requests.Load() != 5 || pe.Operation != "Circles.ListIter" {
		t.Errorf("%d items from %d pages, err %v; want 5 from 5, then ErrTooManyPages at page 6", r.items, s.requests.Load(), r.err)
	}
	t.Logf("%v", r.err)
	if _, err := api.NewClient(api.StaticToken("t"), api.WithMaxPages(-1)); !errors.Is(err, api.ErrInvalidOption) {
		t.Errorf("WithMaxPages(-1): %v, want ErrInvalidOption", err)
	}
}
