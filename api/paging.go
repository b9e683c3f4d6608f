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

// walk fetches pages from p on and yields their items; after each page,
// next moves p to the following page, or reports that there is none.
func walk[P, T any](ctx context.Context, p P, page func(context.Context, P) (*List[T], error), next func(*P, *List[T]) (bool, error)) iter.Seq2[T, error] {
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
			more, err := next(&p, l)
			if err != nil {
				yield(zero, err)
			}
			if !more {
				return
			}
		}
	}
}

// tokenPages pages by token: each reply's nextToken is sent back in the
// token field; a reply without one is the last.
func tokenPages[P, T any](ctx context.Context, p P, page func(context.Context, P) (*List[T], error), token func(*P) *string) iter.Seq2[T, error] {
	return walk(ctx, p, page, func(p *P, l *List[T]) (bool, error) {
		tok := token(p)
		switch l.NextToken {
		case "":
			return false, nil
		case *tok:
			return false, errRepeatedToken
		}
		*tok = l.NextToken
		return true, nil
	})
}

// startLimitPages pages by a 0-based start index and an optional page size
// (limit may be nil): the next start is this one plus the items received.
// It stops at an empty page, when the reply's total is reached, or, when
// the reply has no total, at a page shorter than the limit asked for.
func startLimitPages[P, T any](ctx context.Context, p P, page func(context.Context, P) (*List[T], error), fields func(*P) (start, limit *int)) iter.Seq2[T, error] {
	return offsetPages(ctx, p, page, fields, 0, 0, true)
}

// firstOffsetPages pages by a 1-based first index and a page size offset,
// the data resources' style (first=1&offset=100, then first=101&offset=100);
// a zero offset asks for maxPage items (when the spec gives a bound), a
// zero first starts at 1. It stops at an empty page or one shorter than the
// offset asked for. It does not rely on the reply's total: the data
// resources' documentation does not say what total holds, and a total that
// counted only the page would end the walk after one page.
func firstOffsetPages[P, T any](ctx context.Context, p P, page func(context.Context, P) (*List[T], error), fields func(*P) (first, offset *int), maxPage int) iter.Seq2[T, error] {
	return offsetPages(ctx, p, page, fields, 1, maxPage, false)
}

// offsetPages is the walk of both index styles; base is the index of the
// first item (0 or 1), defSize the page size to ask for when none is set,
// useTotal whether a positive total in the reply ends the walk.
func offsetPages[P, T any](ctx context.Context, p P, page func(context.Context, P) (*List[T], error), fields func(*P) (pos, size *int), base, defSize int, useTotal bool) iter.Seq2[T, error] {
	pos, size := fields(&p)
	if *pos < base {
		*pos = base
	}
	if size != nil && *size == 0 && defSize > 0 {
		*size = defSize
	}
	return walk(ctx, p, page, func(p *P, l *List[T]) (bool, error) {
		pos, size := fields(p)
		n := len(l.Items)
		total := l.Total
		if !useTotal {
			total = 0
		}
		switch {
		case n == 0:
			return false, nil
		case total > 0 && int64(*pos+n-base) >= total:
			return false, nil
		case total <= 0 && size != nil && *size > 0 && n < *size:
			return false, nil
		}
		*pos += n
		return true, nil
	})
}
