package api

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ErrInvalidArgument matches the error a method returns, before sending
// anything, for an argument the spec rules out: an empty path segment, a
// required string shorter than its minimum, a value that does not match the
// parameter's pattern, a path that does not start with "/".
var ErrInvalidArgument = errors.New("jaccount api: invalid argument")

// Ptr returns a pointer to v, for optional parameters whose zero value must
// be sendable (an optional boolean is a *bool: nil is not sent, Ptr(false)
// sends false).
func Ptr[T any](v T) *T { return &v }

// checkString checks a string argument of method (e.g. "Lessons.Get")
// against its minimum length and pattern (nil for none).
func checkString(method, param, v string, minLen int, re *regexp.Regexp) error {
	switch {
	case len(v) < minLen && v == "":
		return fmt.Errorf("jaccount api: %s: empty %s: %w", method, param, ErrInvalidArgument)
	case len(v) < minLen:
		return fmt.Errorf("jaccount api: %s: %s %q is shorter than %d bytes: %w", method, param, v, minLen, ErrInvalidArgument)
	case re != nil && !re.MatchString(v):
		return fmt.Errorf("jaccount api: %s: %s %q does not match %s: %w", method, param, v, re, ErrInvalidArgument)
	}
	return nil
}

// checkPath checks a path given to a generic call.
func checkPath(fn, path string) error {
	if !strings.HasPrefix(path, "/") {
		return fmt.Errorf("jaccount api: %s: path %s does not start with /: %w", fn, redactPath(path), ErrInvalidArgument)
	}
	return nil
}

// pathString escapes a path parameter so that it stays one segment ("a/b"
// is sent as a%2Fb).
func pathString(v string) string { return url.PathEscape(v) }

// timeUnit is how a time.Time parameter is written on the wire, as the
// spec's x-jaccount-time says.
type timeUnit uint8

const (
	timeEpochMillis  timeUnit = iota + 1 // integer milliseconds since the epoch
	timeEpochSeconds                     // integer seconds since the epoch
	timeDate                             // 2006-01-02 in China Standard Time
	timeCompactDate                      // 20060102 in China Standard Time
	timeDateTime                         // 2006-01-02 15:04:05 in China Standard Time
)

// chinaTime is the zone of jAccount's dates: China Standard Time, UTC+8,
// without daylight saving.
var chinaTime = time.FixedZone("CST", 8*3600)

// formatTime writes t in unit u.
func formatTime(t time.Time, u timeUnit) string {
	switch u {
	case timeEpochMillis:
		return strconv.FormatInt(t.UnixMilli(), 10)
	case timeEpochSeconds:
		return strconv.FormatInt(t.Unix(), 10)
	case timeDate:
		return t.In(chinaTime).Format(time.DateOnly)
	case timeCompactDate:
		return t.In(chinaTime).Format("20060102")
	default:
		return t.In(chinaTime).Format(time.DateTime)
	}
}

// query builds a raw query string in parameter order. Optional parameters
// are left out when zero; the generated methods pass always for required
// ones. Its methods return the extended query, so that the generated code
// can build it in a buffer on the stack: only the final string is allocated.
type query []byte

func (q query) add(name, escaped string) query {
	if len(q) > 0 {
		q = append(q, '&')
	}
	q = append(q, name...)
	q = append(q, '=')
	return append(q, escaped...)
}

func (q query) str(name, v string, always bool) query {
	if always || v != "" {
		return q.add(name, url.QueryEscape(v))
	}
	return q
}

func (q query) int(name string, v int64, always bool) query {
	if always || v != 0 {
		return q.add(name, strconv.FormatInt(v, 10))
	}
	return q
}

func (q query) float(name string, v float64, always bool) query {
	if always || v != 0 {
		return q.add(name, strconv.FormatFloat(v, 'f', -1, 64))
	}
	return q
}

func (q query) bool(name string, v bool) query { return q.add(name, strconv.FormatBool(v)) }

func (q query) boolPtr(name string, v *bool) query {
	if v != nil {
		return q.bool(name, *v)
	}
	return q
}

func (q query) time(name string, t time.Time, u timeUnit, always bool) query {
	if always || !t.IsZero() {
		return q.add(name, url.QueryEscape(formatTime(t, u)))
	}
	return q
}

func (q query) strs(name string, vs []string) query {
	for _, v := range vs {
		q = q.add(name, url.QueryEscape(v))
	}
	return q
}

func (q query) ints(name string, vs []int) query {
	for _, v := range vs {
		q = q.add(name, strconv.Itoa(v))
	}
	return q
}

func (q query) encode() string { return string(q) }

// values appends v, by sorted name, each value in its order: the further
// parameters of an operation whose documentation does not list them. An
// empty v costs nothing, a small one no allocation.
func (q query) values(v url.Values) query {
	if len(v) == 0 {
		return q
	}
	var buf [8]string
	names := buf[:0]
	for name := range v {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		q = q.strs(name, v[name])
	}
	return q
}
