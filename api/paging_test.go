package api

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"testing"
)

// pageParams stands in for a generated params struct.
type pageParams struct {
	Token         string
	Start, Limit  int
	First, Offset int
}

// pager serves items in pages, recording the params of each call.
type pager struct {
	items []int
	total bool // send the total
	// pageTotal sends the page's length as the total, as a server might
	// whose total counts the reply's entities only.
	pageTotal bool
	calls     []pageParams
	fail      int // fail the call with this index (1-based), 0 never
}

func (pg *pager) byIndex(base int, pos, size func(pageParams) int) func(context.Context, pageParams) (*List[int], error) {
	return func(_ context.Context, p pageParams) (*List[int], error) {
		pg.calls = append(pg.calls, p)
		if len(pg.calls) == pg.fail {
			return nil, errors.New("page failed")
		}
		from := min(pos(p)-base, len(pg.items))
		n := size(p)
		if n == 0 {
			n = 2
		}
		l := &List[int]{Items: pg.items[from:min(from+n, len(pg.items))]}
		switch {
		case pg.total:
			l.Total = int64(len(pg.items))
		case pg.pageTotal:
			l.Total = int64(len(l.Items))
		}
		return l, nil
	}
}

func collect(t *testing.T, seq func(func(int, error) bool)) ([]int, error) {
	t.Helper()
	var got []int
	for v, err := range seq {
		if err != nil {
			return got, err
		}
		got = append(got, v)
	}
	return got, nil
}

func TestStartLimitPages(t *testing.T) {
	t.Parallel()
	items := []int{1, 2, 3, 4, 5, 6, 7}
	fields := func(p *pageParams) (*int, *int) { return &p.Start, &p.Limit }
	start := func(p pageParams) int { return p.Start }
	limit := func(p pageParams) int { return p.Limit }
	for _, tt := range []struct {
		name  string
		total bool
		p     pageParams
		want  []int
		calls int
	}{
		{"with total", true, pageParams{Limit: 3}, items, 3},
		{"from the middle", true, pageParams{Start: 4, Limit: 3}, items[4:], 1},
		{"without total, short last page", false, pageParams{Limit: 3}, items, 3},
		{"without total or limit, empty last page", false, pageParams{}, items, 5},
	} {
		pg := &pager{items: items, total: tt.total}
		p := tt.p
		got, err := collect(t, startLimitPages(t.Context(), testWalk, p, pg.byIndex(0, start, limit), fields))
		if err != nil || !slices.Equal(got, tt.want) || len(pg.calls) != tt.calls || p != tt.p {
			t.Errorf("%s: %v %v after %d calls (%+v), want %v after %d", tt.name, got, err, len(pg.calls), pg.calls, tt.want, tt.calls)
		}
	}
}

func TestFirstOffsetPages(t *testing.T) {
	t.Parallel()
	items := []int{1, 2, 3, 4, 5}
	fields := func(p *pageParams) (*int, *int) { return &p.First, &p.Offset }
	first := func(p pageParams) int { return p.First }
	offset := func(p pageParams) int { return p.Offset }
	pg := &pager{items: items, total: true}
	got, err := collect(t, firstOffsetPages(t.Context(), testWalk, pageParams{}, pg.byIndex(1, first, offset), fields, 200))
	if err != nil || !slices.Equal(got, items) || len(pg.calls) != 1 || pg.calls[0].First != 1 || pg.calls[0].Offset != 200 {
		t.Errorf("default page: %v %v, calls %+v; want one call for first=1 offset=200", got, err, pg.calls)
	}
	pg = &pager{items: items}
	got, err = collect(t, firstOffsetPages(t.Context(), testWalk, pageParams{Offset: 2}, pg.byIndex(1, first, offset), fields, 200))
	if err != nil || !slices.Equal(got, items) || len(pg.calls) != 3 || pg.calls[2].First != 5 {
		t.Errorf("pages of 2: %v %v, calls %+v", got, err, pg.calls)
	}
	// The data resources do not document total: the walk ends at a short or
	// empty page, whatever total says (here the page's own length, which
	// would end a walk that trusted it after the first page).
	pg = &pager{items: items, pageTotal: true}
	got, err = collect(t, firstOffsetPages(t.Context(), testWalk, pageParams{Offset: 2}, pg.byIndex(1, first, offset), fields, 200))
	if err != nil || !slices.Equal(got, items) || len(pg.calls) != 3 {
		t.Errorf("total = page length: %v %v, calls %+v; want every item in 3 calls", got, err, pg.calls)
	}
	pg = &pager{items: items[:4], total: true}
	got, err = collect(t, firstOffsetPages(t.Context(), testWalk, pageParams{Offset: 2}, pg.byIndex(1, first, offset), fields, 200))
	if err != nil || !slices.Equal(got, items[:4]) || len(pg.calls) != 3 || pg.calls[2].First != 5 {
		t.Errorf("full last page: %v %v, calls %+v; want a third call (first=5) that comes back empty", got, err, pg.calls)
	}
	// An error is yielded once, after the items before it; stopping early
	// makes no further call; a cancelled context stops at once.
	pg = &pager{items: items, total: true, fail: 2}
	got, err = collect(t, firstOffsetPages(t.Context(), testWalk, pageParams{Offset: 2}, pg.byIndex(1, first, offset), fields, 0))
	if err == nil || !slices.Equal(got, []int{1, 2}) {
		t.Errorf("failing second page: %v %v", got, err)
	}
	pg = &pager{items: items, total: true}
	for range firstOffsetPages(t.Context(), testWalk, pageParams{Offset: 2}, pg.byIndex(1, first, offset), fields, 0) {
		break
	}
	if len(pg.calls) != 1 {
		t.Errorf("break after the first item: %d calls", len(pg.calls))
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	pg = &pager{items: items}
	if _, err := collect(t, firstOffsetPages(ctx, testWalk, pageParams{}, pg.byIndex(1, first, offset), fields, 0)); !errors.Is(err, context.Canceled) || len(pg.calls) != 0 {
		t.Errorf("cancelled: %v after %d calls", err, len(pg.calls))
	}
}

// testWalk is the pageWalk of these tests: the default page cap.
var testWalk = pageWalk{op: "Test.ListIter"}

// TestWalkEnds: a walk whose server pages on forever (fresh tokens, fresh
// items) stops at DefaultMaxPages, or at the cap it is given; a page that
// repeats the previous one (by its raw entities, which call notes) stops
// it at once, and one that differs, even by a byte, does not; a sequence
// can be ranged again, from the caller's params.
func TestWalkEnds(t *testing.T) {
	t.Parallel()
	endless := func(ctx context.Context, p pageParams) (*List[int], error) {
		n, _ := strconv.Atoi(p.Token)
		notePage(ctx, []byte(`{"errno":0,"entities":[`+strconv.Itoa(n)+`]}`))
		return &List[int]{Items: []int{n}, NextToken: strconv.Itoa(n + 1)}, nil
	}
	token := func(p *pageParams) *string { return &p.Token }
	for _, tc := range []struct {
		max, want int
	}{{0, DefaultMaxPages}, {3, 3}, {1, 1}} {
		seq := tokenPages(t.Context(), pageWalk{op: "Test.ListIter", maxPages: tc.max}, pageParams{}, endless, token)
		for range 2 { // a second range starts over
			got, err := collect(t, seq)
			var pe *PagingError
			if !errors.Is(err, ErrTooManyPages) || !errors.As(err, &pe) || len(got) != tc.want || pe.Page != tc.want+1 || got[0] != 0 {
				t.Errorf("cap %d: %d items, %v; want %d, then ErrTooManyPages", tc.max, len(got), err, tc.want)
			}
		}
	}
	// The same items, byte for byte, on consecutive pages: a loop; one
	// byte apart: not.
	for _, tc := range []struct {
		second string
		items  int
		loop   bool
	}{{`[1,2]`, 2, true}, {`[1,3]`, 4, false}, {`[1, 2]`, 4, false}} {
		calls := 0
		pages := func(ctx context.Context, p pageParams) (*List[int], error) {
			calls++
			body := `[1,2]`
			if calls == 2 {
				body = tc.second
			}
			notePage(ctx, []byte(`{"errno":0,"total":0,"entities":`+body+`}`))
			l := &List[int]{Items: []int{1, 2}}
			if calls < 2 {
				l.NextToken = "t" + strconv.Itoa(calls)
			}
			return l, nil
		}
		got, err := collect(t, tokenPages(t.Context(), testWalk, pageParams{}, pages, token))
		if errors.Is(err, ErrPagingLoop) != tc.loop || len(got) != tc.items {
			t.Errorf("second page %s: %d items, %v; want %d, loop %v", tc.second, len(got), err, tc.items, tc.loop)
		}
	}
}
