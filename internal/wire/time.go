package wire

import "time"

// The conversions of the dates and instants in gen's models (the methods
// gen generates for each field the spec marks with x-jaccount-time, e.g.
// Identity.CreateDateAt). Each reports ok false for an absent value (0 or
// "") and for one it cannot read. Dates are in China Standard Time, the
// zone jAccount writes them in.

// EpochSeconds converts UNIX seconds.
func EpochSeconds(s int64) (time.Time, bool) {
	if s == 0 {
		return time.Time{}, false
	}
	return time.Unix(s, 0), true
}

// EpochMillis converts milliseconds since the epoch.
func EpochMillis(ms int64) (time.Time, bool) {
	if ms == 0 {
		return time.Time{}, false
	}
	return time.UnixMilli(ms), true
}

// Date reads a yyyy-MM-dd date (2006-01-02), midnight China Standard Time.
func Date(s string) (time.Time, bool) { return parseIn(time.DateOnly, s) }

// CompactDate reads a yyyyMMdd date (20060102), midnight China Standard
// Time.
func CompactDate(s string) (time.Time, bool) { return parseIn("20060102", s) }

// DateTime reads a yyyy-MM-dd HH:mm:ss time (2006-01-02 15:04:05) in China
// Standard Time.
func DateTime(s string) (time.Time, bool) { return parseIn(time.DateTime, s) }

func parseIn(layout, s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	t, err := time.ParseInLocation(layout, s, cst)
	return t, err == nil
}
