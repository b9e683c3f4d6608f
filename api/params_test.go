package api

import (
	"errors"
	"net/url"
	"regexp"
	"testing"
	"time"
)

func TestQuery(t *testing.T) {
	t.Parallel()
	var q query
	q = q.str("a", "", false)
	q = q.str("b", "x y&z", false)
	q = q.str("c", "", true)
	q = q.int("d", 0, false)
	q = q.int("e", -3, false)
	q = q.float("f", 0, false)
	q = q.float("g", 2.5, true)
	q = q.bool("h", false)
	q = q.boolPtr("i", nil)
	q = q.boolPtr("j", Ptr(true))
	at := time.Date(2026, 3, 1, 20, 30, 0, 0, time.UTC) // 2026-03-02 04:30 in China
	q = q.time("k", time.Time{}, timeEpochMillis, false)
	q = q.time("l", at, timeEpochMillis, false)
	q = q.time("m", at, timeEpochSeconds, false)
	q = q.time("n", at, timeDate, false)
	q = q.time("o", at, timeCompactDate, false)
	q = q.time("p", at, timeDateTime, false)
	q = q.strs("r", []string{"1", "2 3"})
	q = q.ints("s", []int{4, 5})
	want := "b=x+y%26z&c=&e=-3&g=2.5&h=false&j=true&l=1772397000000&m=1772397000&n=2026-03-02&o=20260302" +
		"&p=2026-03-02+04%3A30%3A00&r=1&r=2+3&s=4&s=5"
	if got := q.encode(); got != want {
		t.Errorf("query\n%s\nwant\n%s", got, want)
	}
}

func TestCheckString(t *testing.T) {
	t.Parallel()
	re := regexp.MustCompile(`^[0-9]+$`)
	for _, tt := range []struct {
		v      string
		minLen int
		re     *regexp.Regexp
		ok     bool
	}{
		{"", 1, nil, false}, {"a", 1, nil, true}, {"ab", 3, nil, false}, {"12", 0, re, true}, {"1a", 0, re, false},
	} {
		err := checkString("S.M", "p", tt.v, tt.minLen, tt.re)
		if (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrInvalidArgument)) {
			t.Errorf("checkString(%q, %d, %v) = %v", tt.v, tt.minLen, tt.re, err)
		}
	}
	if pathString("a/b c") != "a%2Fb%20c" {
		t.Errorf("pathString = %q", pathString("a/b c"))
	}
}

func TestQueryValuesAllocations(t *testing.T) {
	var qb [256]byte
	for _, tc := range []struct {
		v    url.Values
		want float64
	}{{nil, 0}, {url.Values{}, 0}, {url.Values{"b": {"2"}, "a": {"1", "x"}}, 0}} {
		allocs := testing.AllocsPerRun(100, func() { _ = query(qb[:0]).values(tc.v) })
		if allocs > tc.want {
			t.Errorf("values(%v): %v allocations, want %v", tc.v, allocs, tc.want)
		}
		if got, want := query(qb[:0]).values(tc.v).encode(), tc.v.Encode(); got != want {
			t.Errorf("values(%v) = %q, want %q", tc.v, got, want)
		}
	}
}
