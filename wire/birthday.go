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
	formOther // valid JSON of another shape
)

// Birthday is a birthday (生日) in whichever form jAccount sent it: epoch
// milliseconds, as the documentation says, or an object of string parts, as
// some replies carry. Any other JSON value decodes too. A decoded Birthday
// encodes back to exactly the JSON it was decoded from, members the parts
// form does not know included. The zero value is an absent birthday.
type Birthday struct {
	form   birthdayForm
	millis int64
	parts  BirthdayParts
	raw    json.RawMessage // what was decoded, re-encoded as it came
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

// MarshalJSON encodes the birthday: the JSON it was decoded from, or, for
// a value built with BirthdayFromMillis or BirthdayFromParts, its form: a
// number or an object; null when absent.
func (b Birthday) MarshalJSON() ([]byte, error) {
	switch {
	case b.raw != nil:
		return bytes.Clone(b.raw), nil
	case b.form == formMillis:
		return strconv.AppendInt(nil, b.millis, 10), nil
	case b.form == formParts:
		return json.Marshal(b.parts)
	}
	return []byte("null"), nil
}

// UnmarshalJSON accepts an integer number (epoch milliseconds), an object
// (the string parts; other members are kept for re-encoding), null (absent),
// or any other valid JSON value, kept as it came.
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
		// A member that is not a string fails the decoding: the value is
		// then of another shape, kept as it came like any.
		if json.Unmarshal(data, &b.parts) == nil {
			b.form = formParts
		} else {
			b.parts = BirthdayParts{}
		}
	case data[0] == '-' || (data[0] >= '0' && data[0] <= '9'):
		if ms, err := strconv.ParseInt(string(data), 10, 64); err == nil {
			b.form, b.millis = formMillis, ms
		}
	}
	if b.form == formAbsent {
		b.form = formOther
	}
	b.raw = bytes.Clone(data)
	return nil
}
