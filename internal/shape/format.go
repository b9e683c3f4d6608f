package shape

import (
	"encoding/json"
	"math/bits"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// A type set: the JSON types a member was seen with.
type typeSet uint8

// The JSON types, in the order a report lists them. "integer" is a number
// without a fraction or an exponent.
const (
	tObject typeSet = 1 << iota
	tArray
	tString
	tInteger
	tNumber
	tBoolean
	tNull
)

// TypeNames are the names of the JSON types a report may hold, in its
// order.
var TypeNames = []string{"object", "array", "string", "integer", "number", "boolean", "null"}

// A format set: the formats detected in a member's values.
type formatSet uint16

// The formats. Empty strings and the number 0 add none: they would tell a
// value (an empty bank number, a zero balance).
const (
	fDate         formatSet = 1 << iota // yyyy-MM-dd, a real date
	fCompactDate                        // yyyyMMdd, a real date
	fDateTime                           // yyyy-MM-dd HH:mm:ss or RFC 3339
	fTime                               // HH:mm or HH:mm:ss
	fUUID                               // 8-4-4-4-12 hex digits
	fURL                                // http(s)://host...
	fEmail                              // local@domain.tld
	fDigits                             // digits only (and not a compact date)
	fDecimal                            // a signed or fractional number written as a string
	fHex                                // hex digits, at least one a-f, 8 or more
	fText                               // any other string
	fEpochSeconds                       // an integer in [1e9, 1e10): UNIX seconds, 2001-2286
	fEpochMillis                        // an integer in [1e12, 1e13): UNIX milliseconds, 2001-2286
	fOther                              // any other integer but 0
)

// FormatNames are the names of the formats a report may hold, in its
// order. The units of x-jaccount-time share their names (date,
// compact-date, date-time, epoch-seconds, epoch-millis).
var FormatNames = []string{"date", "compact-date", "date-time", "time", "uuid", "url", "email", "digits",
	"decimal", "hex", "text", "epoch-seconds", "epoch-millis", "other"}

// names lists the names of the bits set in b, in the order of all.
func names[T typeSet | formatSet](b T, all []string) []string {
	if b == 0 {
		return nil
	}
	out := make([]string, 0, bits.OnesCount64(uint64(b)))
	for i, n := range all {
		if b&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	return out
}

// bitsOf is the inverse of names; ok is false for a name not in all.
func bitsOf[T typeSet | formatSet](list []string, all []string) (b T, ok bool) {
	for _, n := range list {
		i := indexOf(all, n)
		if i < 0 {
			return 0, false
		}
		b |= 1 << i
	}
	return b, true
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}

var (
	uuidRE     = regexp.MustCompile(`^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$`)
	emailRE    = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$`)
	digitsRE   = regexp.MustCompile(`^[0-9]+$`)
	decimalRE  = regexp.MustCompile(`^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)$`)
	hexRE      = regexp.MustCompile(`^[0-9A-Fa-f]{8,}$`)
	clockRE    = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$`)
	dateTimeRE = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?(Z|[+-][0-9]{2}:?[0-9]{2})?$`)
)

// stringFormat is the format of a non-empty string.
func stringFormat(s string) formatSet {
	switch {
	case len(s) == 10 && isDate("2006-01-02", s):
		return fDate
	case len(s) == 8 && digitsRE.MatchString(s) && isDate("20060102", s):
		return fCompactDate
	case dateTimeRE.MatchString(s) && isDate("2006-01-02", s[:10]):
		return fDateTime
	case clockRE.MatchString(s):
		return fTime
	case uuidRE.MatchString(s):
		return fUUID
	case isURL(s):
		return fURL
	case emailRE.MatchString(s):
		return fEmail
	case digitsRE.MatchString(s):
		return fDigits
	case decimalRE.MatchString(s):
		return fDecimal
	case hexRE.MatchString(s) && strings.ContainsAny(strings.ToLower(s), "abcdef"):
		return fHex
	}
	return fText
}

// isDate reports whether s is a real date in layout, between 1900 and
// 2100 (a compact date must not be any eight digits).
func isDate(layout, s string) bool {
	t, err := time.Parse(layout, s)
	return err == nil && t.Year() >= 1900 && t.Year() <= 2100
}

func isURL(s string) bool {
	if !strings.HasPrefix(s, "http://") && !strings.HasPrefix(s, "https://") {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && u.Host != "" && !strings.ContainsAny(s, " \t\r\n")
}

// numberFormat is the type and format of a JSON number: an integer (no
// fraction, no exponent) by magnitude, any other a number without format.
func numberFormat(n json.Number) (typeSet, formatSet) {
	s := string(n)
	if strings.ContainsAny(s, ".eE") {
		return tNumber, 0
	}
	digits := strings.TrimPrefix(s, "-")
	digits = strings.TrimLeft(digits, "0")
	switch {
	case digits == "":
		return tInteger, 0 // zero: no format, it would tell the value
	case strings.HasPrefix(s, "-"):
		return tInteger, fOther
	case len(digits) == 10:
		return tInteger, fEpochSeconds
	case len(digits) == 13:
		return tInteger, fEpochMillis
	}
	return tInteger, fOther
}
