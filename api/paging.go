package api

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"iter"
	"strconv"
)

// The paging iterators of the generated XxxIter methods, one per paging
// style the spec declares (x-jaccount-paging). Each walks pages from the
// caller's params on, yields every item, stops at the first error (which it
// yields) and when ctx is done, and never changes the caller's params (it
// works on a copy).
//
// A walk always ends: a server that sends a page token it sent before, or a
// page that repeats the previous page's items (one that ignores start,
// offset or the token), ends it with a *PagingError matching ErrPagingLoop,
// and so does the page cap (WithMaxPages), with ErrTooManyPages.

// DefaultMaxPages is the most pages a walk fetches unless WithMaxPages says
// otherwise: two million card transactions at 200 a page (the data
// resources' largest), far beyond any jAccount list, and few enough that a
// server that pages forever is stopped.
const DefaultMaxPages = 10_000

var (
	// ErrPagingLoop matches the error that ends a walk (an XxxIter) whose
	// server does not page forward: it sends a page token it sent before
	// (A→B→A), or a page that repeats the previous page's items, as a
	// server that ignores start, offset or the token does.
	ErrPagingLoop = errors.New("jaccount api: paging loop")
	// ErrTooManyPages matches the error that ends a walk that fetched the
	// most pages allowed (WithMaxPages, DefaultMaxPages) and was not done.
	ErrTooManyPages = errors.New("jaccount api: too many pages")
)

// PagingError ends a walk that would not end by itself. It matches
// ErrPagingLoop or ErrTooManyPages (Err) with errors.Is. The items of every
// page before Page were yielded; those of the page at fault were not.
type PagingError struct {
	// Operation is the walk's method, e.g. "Circles.ListIter".
	Operation string
	// Page is the 1-based number of the page at which the walk stopped.
	Page int
	// Reason says what the server did.
	Reason string
	// Err is ErrPagingLoop or ErrTooManyPages.
	Err error
}

// Error implements error.
func (e *PagingError) Error() string {
	return "jaccount api: " + e.Operation + ": page " + strconv.Itoa(e.Page) + ": " + e.Reason + "; stopping"
}

// Unwrap returns Err.
func (e *PagingError) Unwrap() error { return e.Err }

// pageWalk is what a walk needs of its client: the iterator's name, for
// errors, and the page cap.
type pageWalk struct {
	op       string
	maxPages int
}

// walk returns the pageWalk of the iterator op ("Circles.ListIter") given
// opts, the walk's options, which its page calls get too (and which the
// first of them refuses, if invalid).
func (c *core) walk(op string, opts []CallOption) pageWalk {
	w := pageWalk{op: op, maxPages: c.settings.maxPages}
	if len(opts) > 0 {
		if set, err := ownSettings(&c.settings.callSettings, opts); err == nil && set != nil {
			w.maxPages = set.maxPages
		}
	}
	return w
}

// pageSum carries, from call to the walk, a hash of the raw entities
// array of the page just fetched, so that a page repeating the previous
// one is seen without comparing items (which need not be comparable) or
// encoding them: the walk puts a *pageSum in the context of its calls,
// and call fills it for a list reply. Calls outside a walk skip it.
type pageSum struct {
	sum uint64
	ok  bool
}

type pageSumKey struct{}

var pageSeed = maphash.MakeSeed()

// notePage records the hash of a list reply's entities (data is the whole
// body) in the walk whose context ctx is, if any.
func notePage(ctx context.Context, data []byte) {
	ps, _ := ctx.Value(pageSumKey{}).(*pageSum)
	if ps == nil {
		return
	}
	raw, ok := envelopeMember(data, "entities")
	ps.sum, ps.ok = maphash.Bytes(pageSeed, raw), ok
}

// walk fetches pages from p on and yields their items; after each page,
// next moves p to the following page, or reports that there is none, or
// fails (a *PagingError reason).
func walk[P, T any](ctx context.Context, w pageWalk, p P, page func(context.Context, P) (*List[T], error), next func(*P, *List[T], int) (bool, string)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		p := p // each range of the sequence walks from the caller's params
		var zero T
		maxPages := w.maxPages
		if maxPages == 0 {
			maxPages = DefaultMaxPages
		}
		cur := &pageSum{}
		ctx := context.WithValue(ctx, pageSumKey{}, cur)
		var prev pageSum
		prevLen := 0
		for n := 1; ; n++ {
			if err := ctx.Err(); err != nil {
				yield(zero, err)
				return
			}
			*cur = pageSum{}
			l, err := page(ctx, p)
			if err != nil {
				yield(zero, err)
				return
			}
			if len(l.Items) > 0 && len(l.Items) == prevLen && cur.ok && prev.ok && cur.sum == prev.sum {
				yield(zero, &PagingError{Operation: w.op, Page: n, Err: ErrPagingLoop,
					Reason: "the server sent the previous page's " + strconv.Itoa(prevLen) + " items again"})
				return
			}
			for _, t := range l.Items {
				if !yield(t, nil) {
					return
				}
			}
			more, loop := next(&p, l, n)
			switch {
			case loop != "":
				yield(zero, &PagingError{Operation: w.op, Page: n, Reason: loop, Err: ErrPagingLoop})
				return
			case !more:
				return
			case n >= maxPages:
				yield(zero, &PagingError{Operation: w.op, Page: n + 1, Err: ErrTooManyPages,
					Reason: fmt.Sprintf("the walk fetched %d pages, the most allowed (WithMaxPages)", maxPages)})
				return
			}
			prev, prevLen = *cur, len(l.Items)
		}
	}
}

// tokenPages pages by token: each reply's nextToken is sent back in the
// token field; a reply without one is the last. Every token sent is
// remembered: a nextToken sent before (A→B→A) is a loop.
func tokenPages[P, T any](ctx context.Context, w pageWalk, p P, page func(context.Context, P) (*List[T], error), token func(*P) *string) iter.Seq2[T, error] {
	first := *token(&p)
	sent := map[string]int{} // token → the page it was sent for
	return walk(ctx, w, p, page, func(p *P, l *List[T], n int) (bool, string) {
		if n == 1 { // a new range of the sequence
			clear(sent)
			if first != "" {
				sent[first] = 1
			}
		}
		if l.NextToken == "" {
			return false, ""
		}
		if m, ok := sent[l.NextToken]; ok {
			return false, "the server sent as the next page's token the one page " + strconv.Itoa(m) + " was asked with"
		}
		sent[l.NextToken] = n + 1
		*token(p) = l.NextToken
		return true, ""
	})
}

// startLimitPages pages by a 0-based start index and an optional page size
// (limit may be nil): the next start is this one plus the items received.
// It stops at an empty page, when the reply's total is reached, or, when
// the reply has no total, at a page shorter than the limit asked for.
func startLimitPages[P, T any](ctx context.Context, w pageWalk, p P, page func(context.Context, P) (*List[T], error), fields func(*P) (start, limit *int)) iter.Seq2[T, error] {
	return offsetPages(ctx, w, p, page, fields, 0, 0, true)
}

// firstOffsetPages pages by a 1-based first index and a page size offset,
// the data resources' style (first=1&offset=100, then first=101&offset=100);
// a zero offset asks for maxPage items (when the spec gives a bound), a
// zero first starts at 1. It stops at an empty page or one shorter than the
// offset asked for. It does not rely on the reply's total: the data
// resources' documentation does not say what total holds, and a total that
// counted only the page would end the walk after one page.
func firstOffsetPages[P, T any](ctx context.Context, w pageWalk, p P, page func(context.Context, P) (*List[T], error), fields func(*P) (first, offset *int), maxPage int) iter.Seq2[T, error] {
	return offsetPages(ctx, w, p, page, fields, 1, maxPage, false)
}

// offsetPages is the walk of both index styles; base is the index of the
// first item (0 or 1), defSize the page size to ask for when none is set,
// useTotal whether a positive total in the reply ends the walk. The index
// always moves forward, by the items received; a server that ignores it
// sends the same page again, which walk stops.
func offsetPages[P, T any](ctx context.Context, w pageWalk, p P, page func(context.Context, P) (*List[T], error), fields func(*P) (pos, size *int), base, defSize int, useTotal bool) iter.Seq2[T, error] {
	pos, size := fields(&p)
	if *pos < base {
		*pos = base
	}
	if size != nil && *size == 0 && defSize > 0 {
		*size = defSize
	}
	return walk(ctx, w, p, page, func(p *P, l *List[T], _ int) (bool, string) {
		pos, size := fields(p)
		n := len(l.Items)
		total := l.Total
		if !useTotal {
			total = 0
		}
		switch {
		case n == 0:
			return false, ""
		case total > 0 && int64(*pos+n-base) >= total:
			return false, ""
		case total <= 0 && size != nil && *size > 0 && n < *size:
			return false, ""
		}
		*pos += n
		return true, ""
	})
}
