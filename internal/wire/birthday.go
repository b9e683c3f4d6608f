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
	var d Decoder
	d.Reset(data)
	b.decode(&d)
	return d.Finish()
}

// DecodeBirthday decodes the value at d's position into b as
// UnmarshalJSON does, in one pass: the generated decoders of gen's models
// call it for a birthday member.
func DecodeBirthday(d *Decoder, b *Birthday) { b.decode(d) }

func (b *Birthday) decode(d *Decoder) {
	if d.stop {
		return
	}
	c := d.peek()
	start := d.pos
	*b = Birthday{form: formOther}
	switch {
	case c == 'n':
		if d.literal("null") {
			b.form = formAbsent
		}
		return
	case c == '{':
		if b.decodeParts(d) {
			b.form = formParts
		} else {
			b.parts = BirthdayParts{}
		}
	case c == '-' || '0' <= c && c <= '9':
		if num, ok := d.number(); ok {
			if ms, ok := parseInt(num, 64); ok {
				b.form, b.millis = formMillis, ms
			}
		}
	default:
		d.skip()
	}
	if raw := d.data[start:d.pos]; !d.stop && !b.canonical(raw) {
		b.raw = bytes.Clone(raw)
	}
}

// decodeParts reads the object at d's position into b.parts as
// encoding/json would: false when a part is not a string (the value is
// then of another shape). A name that matches a part only when case is
// ignored, which encoding/json takes for it, is left to encoding/json.
func (b *Birthday) decodeParts(d *Decoder) bool {
	start := d.pos
	if !d.beginObject(typeOf[BirthdayParts]) {
		return false
	}
	parts, folded := true, false
	for {
		name, ok := d.Next()
		if !ok {
			break
		}
		var p *string
		switch string(name) {
		case "birthYear":
			p = &b.parts.BirthYear
		case "birthMonth":
			p = &b.parts.BirthMonth
		case "birthDay":
			p = &b.parts.BirthDay
		default:
			folded = folded || bytes.EqualFold(name, []byte("birthYear")) ||
				bytes.EqualFold(name, []byte("birthMonth")) || bytes.EqualFold(name, []byte("birthDay"))
			d.skip()
			continue
		}
		switch d.peek() {
		case '"':
			if s, ok := d.rawString(); ok {
				*p = d.str(s)
			}
		case 'n':
			d.literal("null")
		default:
			parts = false
			d.skip()
		}
	}
	if folded && !d.stop {
		b.parts = BirthdayParts{}
		return json.Unmarshal(d.data[start:d.pos], &b.parts) == nil
	}
	return parts
}

// canonical reports whether b encodes back to raw without keeping it.
func (b *Birthday) canonical(raw []byte) bool {
	var buf [96]byte
	out := buf[:0]
	switch b.form {
	case formMillis:
		out = strconv.AppendInt(out, b.millis, 10)
	case formParts:
		for _, s := range []string{b.parts.BirthYear, b.parts.BirthMonth, b.parts.BirthDay} {
			for i := 0; i < len(s); i++ {
				if c := s[i]; c < ' ' || c > '~' || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
					return false // encoding/json would escape it
				}
			}
		}
		out = append(out, `{"birthYear":"`...)
		out = append(out, b.parts.BirthYear...)
		out = append(out, `","birthMonth":"`...)
		out = append(out, b.parts.BirthMonth...)
		out = append(out, `","birthDay":"`...)
		out = append(out, b.parts.BirthDay...)
		out = append(out, `"}`...)
	default:
		return false
	}
	return bytes.Equal(out, raw)
}
