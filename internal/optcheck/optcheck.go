// Package optcheck holds what the options of every package of the SDK
// share (CONTRIBUTING.md, "Options"): applying a call's options in order,
// and the rule that a zero count or duration means the default and a
// negative one is invalid.
package optcheck

import (
	"fmt"
	"net/url"
	"slices"
)

// Apply calls apply for each option in order, skipping nil ones, and
// returns the first error: the call that takes the options refuses the
// first invalid one.
func Apply[O any](opts []O, apply func(O) error) error {
	for _, o := range opts {
		if any(o) == nil {
			continue
		}
		if err := apply(o); err != nil {
			return err
		}
	}
	return nil
}

// Number is what an option counts or measures: a count, a size in bytes,
// a time.Duration.
type Number interface{ ~int | ~int64 }

// Set stores v in *dst unless v is zero, which keeps the default *dst
// holds; a negative v is refused with an error that wraps invalid (the
// package's ErrInvalidOption) and names the option and the value, e.g.
// "web: invalid option: WithMaxAge(-1s): negative".
func Set[T Number](invalid error, name string, v T, dst *T) error {
	switch {
	case v < 0:
		return fmt.Errorf("%w: %s(%v): negative", invalid, name, v)
	case v > 0:
		*dst = v
	}
	return nil
}

// AbsoluteURL reports whether s is an absolute URL with a host (and, when
// schemes are given, one of those schemes): what an option that names a
// place to send a browser or a client requires.
func AbsoluteURL(s string, schemes ...string) bool {
	u, err := url.Parse(s)
	return err == nil && u.IsAbs() && u.Host != "" && (len(schemes) == 0 || slices.Contains(schemes, u.Scheme))
}
