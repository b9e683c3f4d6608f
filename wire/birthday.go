package wire

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"
)

// BirthdayParts is a birthday as separate strings, the form some replies
// carry: {"birthYear":"2002","birthMonth":"01","birthDay":"02"}.
type BirthdayParts struct {
	BirthYear  string `json:"birthYear"`
	BirthMonth string `json:"birthMonth"`
	BirthDay   string `json:"birthDay"`
}

type birthdayForm uint8

const (
	formAbsent birthdayForm = iota
	formMillis
	formParts
	formOther // valid JSON of an unknown shape, kept as it came
)

// Birthday is a birthday (生日) in whichever form jAccount sent it: epoch
// milliseconds, as the documentation says, or an object of string parts, as
// some replies carry. Any other JSON value decodes too and is kept as it
// came. A decoded Birthday encodes back in the form it arrived in. The zero
// value is an absent birthday.
type Birthday struct {
	form   birthdayForm
	millis int64
	parts  BirthdayParts
	other  json.RawMessage
}

// BirthdayFromMillis returns the birthday given as epoch milliseconds.
func BirthdayFromMillis(ms int64) Birthday { return Birthday{form: formMillis, millis: ms} }

// BirthdayFromParts returns the birthday given as string parts.
func BirthdayFromParts(p BirthdayParts) Birthday { return Birthday{form: formParts, parts: p} }

// IsZero reports whether the birthday is absent; omitzero omits it then.
func (b Birthday) IsZero() bool { return b.form == formAbsent }

// Millis returns the epoch-millisecond form, if that is the form sent.
func (b Birthday) Millis() (int64, bool) { return b.millis, b.form == formMillis }

// Parts returns the string-parts form, if that is the form sent.
func (b Birthday) Parts() (BirthdayParts, bool) { return b.parts, b.form == formParts }

// cst is the time zone of jAccount's dates (China Standard Time, UTC+8). A
// birthday at midnight UTC or at midnight CST falls on the same CST date.
var cst = time.FixedZone("CST", 8*3600)

// Date returns the calendar date of either form; ok is false when the
// birthday is absent or its parts are not numbers.
func (b Birthday) Date() (year int, month time.Month, day int, ok bool) {
	switch b.form {
	case formMillis:
		y, m, d := time.UnixMilli(b.millis).In(cst).Date()
		return y, m, d, true
	case formParts:
		y, err1 := strconv.Atoi(b.parts.BirthYear)
		m, err2 := strconv.Atoi(b.parts.BirthMonth)
		d, err3 := strconv.Atoi(b.parts.BirthDay)
		if err1 != nil || err2 != nil || err3 != nil || m < 1 || m > 12 || d < 1 || d > 31 {
			return 0, 0, 0, false
		}
		return y, time.Month(m), d, true
	}
	return 0, 0, 0, false
}

// String returns the date as 2006-01-02, or "" when unknown.
func (b Birthday) String() string {
	y, m, d, ok := b.Date()
	if !ok {
		return ""
	}
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
}

// MarshalJSON encodes the birthday in its form: a number, an object, the
// unknown value it was decoded from, or null when absent.
func (b Birthday) MarshalJSON() ([]byte, error) {
	switch b.form {
	case formMillis:
		return strconv.AppendInt(nil, b.millis, 10), nil
	case formParts:
		return json.Marshal(b.parts)
	case formOther:
		return bytes.Clone(b.other), nil
	}
	return []byte("null"), nil
}

// UnmarshalJSON accepts an integer number (epoch milliseconds), an object
// of string parts, null (absent), or any other valid JSON value, which is
// kept as it came.
func (b *Birthday) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if !json.Valid(data) {
		var v any
		return json.Unmarshal(data, &v) // the decoder's own syntax error
	}
	*b = Birthday{}
	switch {
	case string(data) == "null":
		return nil
	case data[0] == '{':
		if p, ok := partsObject(data); ok {
			*b = BirthdayFromParts(p)
			return nil
		}
	case data[0] == '-' || (data[0] >= '0' && data[0] <= '9'):
		// Only a canonical integer (not -0, 1e3 or 007) takes the number form,
		// so that re-encoding gives the same bytes.
		if ms, err := strconv.ParseInt(string(data), 10, 64); err == nil && strconv.FormatInt(ms, 10) == string(data) {
			*b = BirthdayFromMillis(ms)
			return nil
		}
	}
	*b = Birthday{form: formOther, other: bytes.Clone(data)}
	return nil
}

// partsObject decodes an object of exactly the three part members, each a
// string, so that re-encoding it as BirthdayParts loses nothing.
func partsObject(data []byte) (BirthdayParts, bool) {
	var m map[string]string
	if json.Unmarshal(data, &m) != nil || len(m) != 3 {
		return BirthdayParts{}, false
	}
	y, ok1 := m["birthYear"]
	mo, ok2 := m["birthMonth"]
	d, ok3 := m["birthDay"]
	return BirthdayParts{BirthYear: y, BirthMonth: mo, BirthDay: d}, ok1 && ok2 && ok3
}
