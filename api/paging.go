package api

import (
	"context"
	"errors"
	"iter"
)

// The paging iterators of the generated XxxIter methods, one per paging
// style the spec declares (x-jaccount-paging). Each walks pages from the
// caller's params on, yields every item, stops at the first error (which it
// yields) and when ctx is done, and never changes the caller's params (it
// works on a copy).

// errRepeatedToken stops a walk whose server repeats the page token.
var errRepeatedToken = errors.New("jaccount api: server repeated nextToken; stopping")

// tokenPages pages by token: each reply's nextToken is sent back in the
// token field; a reply without one is the last.
func tokenPages[P, T any](ctx context.Context, p P, page func(context.Context, P) (*List[T], error), token func(*P) *string) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		for {
			if err := ctx.Err(); err != nil {
				yield(zero, err)
				return
			}
			l, err := page(ctx, p)
			if err != nil {
				yield(zero, err)
				return
			}
			for _, t := range l.Items {
				if !yield(t, nil) {
					return
				}
			}
			tok := token(&p)
			switch l.NextToken {
			case "":
				return
			case *tok:
				yield(zero, errRepeatedToken)
				return
			}
			*tok = l.NextToken
		}
	}
}

// startLimitPages pages by a 0-based start index and an optional page size
// (limit may be nil): the next start is this one plus the items received.
// It stops at an empty page, when the reply's total is reached, or, when
// the reply has no total, at a page shorter than the limit asked for.
func startLimitPages[P, T any](ctx context.Context, p P, page func(context.Context, P) (*List[T], error), fields func(*P) (start, limit *int)) iter.Seq2[T, error] {
	return offsetPages(ctx, p, page, fields, 0, 0)
}

// firstOffsetPages pages by a 1-based first index and a page size offset;
// a zero offset asks for maxPage items (when the spec gives a bound), a
// zero first starts at 1. It stops like startLimitPages.
func firstOffsetPages[P, T any](ctx context.Context, p P, page func(context.Context, P) (*List[T], error), fields func(*P) (first, offset *int), maxPage int) iter.Seq2[T, error] {
	return offsetPages(ctx, p, page, fields, 1, maxPage)
}

// offsetPages is the walk of both index styles; base is the index of the
// first item (0 or 1), defSize the page size to ask for when none is set.
func offsetPages[P, T any](ctx context.Context, p P, page func(context.Context, P) (*List[T], error), fields func(*P) (pos, size *int), base, defSize int) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		pos, size := fields(&p)
		if *pos < base {
			*pos = base
		}
		if size != nil && *size == 0 && defSize > 0 {
			*size = defSize
		}
		for {
			if err := ctx.Err(); err != nil {
				yield(zero, err)
				return
			}
			l, err := page(ctx, p)
			if err != nil {
				yield(zero, err)
				return
			}
			for _, t := range l.Items {
				if !yield(t, nil) {
					return
				}
			}
			n := len(l.Items)
			next := *pos + n
			switch {
			case n == 0:
				return
			case l.Total > 0 && int64(next-base) >= l.Total:
				return
			case l.Total <= 0 && size != nil && *size > 0 && n < *size:
				return
			}
			*pos = next
		}
	}
}
