package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"
)

// timeUnit is how the API writes a date or instant: the spec's
// x-jaccount-time of the field, which commands.gen.go's timeFields holds
// per model and member.
type timeUnit uint8

// The time units.
const (
	timeEpochMillis  timeUnit = iota + 1 // integer milliseconds since the epoch
	timeEpochSeconds                     // integer seconds since the epoch
	timeDate                             // "2006-01-02", in China Standard Time
	timeCompactDate                      // "20060102", in China Standard Time
	timeDateTime                         // "2006-01-02 15:04:05", in China Standard Time
	// timeGo is a time.Time of jaccount's own output (whoami's
	// token_expiry), RFC 3339 in JSON.
	timeGo
)

// isDate reports a unit that is a calendar day, not an instant.
func (u timeUnit) isDate() bool { return u == timeDate || u == timeCompactDate }

// cst is China Standard Time, in which jAccount's times are meant.
var cst = time.FixedZone("CST", 8*3600)

// The --time-format values.
const (
	timeFormatAuto = "auto"
	timeFormatISO  = "iso"
	timeFormatWire = "wire"
)

var timeFormats = []string{timeFormatAuto, timeFormatISO, timeFormatWire}

// timeFormatUsage is the help of --time-format.
const timeFormatUsage = `how to write dates and times: auto (tables 2026-09-16 14:10, CSV ISO 8601 ` +
	`2026-09-16T14:10:00+08:00, JSON as the API sends them), iso (ISO 8601 in China Standard Time in every format, ` +
	`dates 2026-09-16) or wire (as the API sends them, e.g. epoch milliseconds, in every format)`

// timeStyle is how a column of dates or instants is written.
type timeStyle uint8

// The time styles.
const (
	timesWire  timeStyle = iota // as the API sent them
	timesISO                    // 2026-09-16T14:10:00+08:00; dates 2026-09-16
	timesShort                  // 2026-09-16 14:10; dates 2026-09-16
)

// output is how a command writes its result.
type output struct {
	format string
	// times is the style of the columns of tables and CSV; isoJSON
	// rewrites the times in JSON (the JSON formats, and the JSON cells of
	// CSV for arrays and objects) as ISO 8601.
	times   timeStyle
	isoJSON bool
	// width is the terminal's width for tables, 0 when unknown.
	width int
}

// resolveOutput returns the output of the --format and --time-format
// flags: the format asked for, or table on a terminal and JSON otherwise;
// with --time-format auto, a table's times are short, CSV's ISO 8601 and
// JSON's the API's.
func resolveOutput(format, times string, tty bool, width int) (output, error) {
	f, err := resolveFormat(format, tty)
	if err != nil {
		return output{}, err
	}
	o := output{format: f, width: width}
	switch times {
	case timeFormatAuto, "":
		switch f {
		case formatTable:
			o.times = timesShort
		case formatCSV:
			o.times = timesISO
		}
	case timeFormatISO:
		o.times, o.isoJSON = timesISO, true
	case timeFormatWire:
	default:
		return output{}, usagef("--time-format %q: want one of %s", times, strings.Join(timeFormats, ", "))
	}
	return o, nil
}

// readTime reads v, a value of unit u as the API writes it. ok is false for
// an absent value (0, "", a zero time.Time) and for one that is not of its
// unit or out of the years 1 to 9999 (it is then written as it came).
func readTime(v reflect.Value, u timeUnit) (t time.Time, ok bool) {
	v = indirect(v)
	if !v.IsValid() {
		return time.Time{}, false
	}
	switch k := v.Kind(); {
	case u == timeEpochMillis && v.CanInt():
		t, ok = epochMillis(v.Int())
	case u == timeEpochSeconds && v.CanInt():
		t, ok = epochSeconds(v.Int())
	case u == timeDate && k == reflect.String:
		t, ok = parseDate(time.DateOnly, v.String())
	case u == timeCompactDate && k == reflect.String:
		t, ok = parseDate("20060102", v.String())
	case u == timeDateTime && k == reflect.String:
		t, ok = parseDate(time.DateTime, v.String())
	case u == timeGo && v.Type() == timeType:
		t = v.Interface().(time.Time)
		ok = !t.IsZero()
	}
	return t, ok && t.Year() >= 1 && t.Year() <= 9999
}

// The conversions of the API's units, as the models' XxxAt methods make
// them (the SDK's internal/wire, which this module, released on its own,
// must not import: it is not API the SDK keeps). An absent value (0, "")
// or one that cannot be read gives ok false.

func epochSeconds(s int64) (time.Time, bool) {
	if s == 0 {
		return time.Time{}, false
	}
	return time.Unix(s, 0), true
}

func epochMillis(ms int64) (time.Time, bool) {
	if ms == 0 {
		return time.Time{}, false
	}
	return time.UnixMilli(ms), true
}

// parseDate reads s, of layout, in China Standard Time.
func parseDate(layout, s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	t, err := time.ParseInLocation(layout, s, cst)
	return t, err == nil
}

// formatTime writes t, of unit u, in style s (not timesWire): a date as
// 2026-09-16, an instant in China Standard Time as 2026-09-16T14:10:00+08:00
// (with the milliseconds when there are any) or, short, 2026-09-16 14:10.
//
// It writes what t.In(cst).Format would with the layouts 2006-01-02,
// 2006-01-02 15:04 and 2006-01-02T15:04:05.999Z07:00 (TestFormatTimeIsFormat
// checks that they agree), by hand: a CSV export writes one a row, and with
// Format the CPU time of BenchmarkWriteCSV was about a quarter above that of
// the wire values, by hand a few percent.
func formatTime(t time.Time, u timeUnit, s timeStyle) string {
	t = t.In(cst)
	year, month, day := t.Date()
	var a [32]byte
	b := appendDigits(a[:0], year, 4)
	b = append(b, '-')
	b = appendDigits(b, int(month), 2)
	b = append(b, '-')
	b = appendDigits(b, day, 2)
	if u.isDate() {
		return string(b)
	}
	hour, minute, sec := t.Clock()
	if s == timesShort {
		b = append(b, ' ')
	} else {
		b = append(b, 'T')
	}
	b = appendDigits(b, hour, 2)
	b = append(b, ':')
	b = appendDigits(b, minute, 2)
	if s == timesShort {
		return string(b)
	}
	b = append(b, ':')
	b = appendDigits(b, sec, 2)
	if ms := t.Nanosecond() / 1e6; ms != 0 {
		b = append(b, '.')
		b = appendDigits(b, ms, 3)
		b = bytes.TrimRight(b, "0")
	}
	return string(append(b, "+08:00"...))
}

// appendDigits appends n (0 <= n < 10^width) in width digits, with leading
// zeros.
func appendDigits(b []byte, n, width int) []byte {
	b = append(b, make([]byte, width)...)
	for i := len(b) - 1; i >= len(b)-width; i-- {
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return b
}

// jsonField is a member of a struct's JSON: its Go type and, for a date or
// instant, its unit.
type jsonField struct {
	typ  reflect.Type
	unit timeUnit
}

var jsonFieldCache sync.Map // reflect.Type -> map[string]jsonField

// jsonFields are the JSON members of struct type t (embedded structs'
// included), with their units.
func jsonFields(t reflect.Type) map[string]jsonField {
	if m, ok := jsonFieldCache.Load(t); ok {
		return m.(map[string]jsonField)
	}
	m := map[string]jsonField{}
	var add func(t reflect.Type)
	add = func(t reflect.Type) {
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			switch {
			case !f.IsExported() || name == "-":
			case f.Anonymous && name == "" && ft.Kind() == reflect.Struct:
				add(ft)
			default:
				if name == "" {
					name = f.Name
				}
				if _, dup := m[name]; !dup {
					m[name] = jsonField{typ: ft, unit: fieldUnit(t, name, ft)}
				}
			}
		}
	}
	add(t)
	jsonFieldCache.Store(t, m)
	return m
}

// fieldUnit is the unit of member name (of Go type ft) of struct type t,
// 0 for none: the spec's, or timeGo for a time.Time.
func fieldUnit(t reflect.Type, name string, ft reflect.Type) timeUnit {
	if ft == timeType {
		return timeGo
	}
	return timeFields[t][name]
}

// isoJSON rewrites the dates and instants in b, the JSON of a value of
// type t, as ISO 8601 strings (formatTime's, timesISO); everything else is
// kept as it is, members in their order. A value it cannot read as a time
// is kept too.
func isoJSON(b []byte, t reflect.Type) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var out bytes.Buffer
	out.Grow(len(b) + len(b)/4)
	if err := rewriteTimes(dec, &out, t, 0); err != nil {
		return nil, fmt.Errorf("writing ISO times: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("writing ISO times: trailing data")
	}
	return out.Bytes(), nil
}

// rewriteTimes copies the next JSON value of dec to out, a value of Go type
// t (nil: unknown) and unit u.
func rewriteTimes(dec *json.Decoder, out *bytes.Buffer, t reflect.Type, u timeUnit) error {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('{'):
		out.WriteByte('{')
		for i := 0; dec.More(); i++ {
			k, err := dec.Token()
			if err != nil {
				return err
			}
			key, _ := k.(string)
			if i > 0 {
				out.WriteByte(',')
			}
			writeJSONToken(out, key)
			out.WriteByte(':')
			var ft reflect.Type
			var fu timeUnit
			switch {
			case t == nil:
			case t.Kind() == reflect.Struct:
				f := jsonFields(t)[key]
				ft, fu = f.typ, f.unit
			case t.Kind() == reflect.Map:
				ft = t.Elem()
			}
			if err := rewriteTimes(dec, out, ft, fu); err != nil {
				return err
			}
		}
		out.WriteByte('}')
		_, err = dec.Token()
		return err
	case json.Delim('['):
		out.WriteByte('[')
		var et reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			et = t.Elem()
		}
		for i := 0; dec.More(); i++ {
			if i > 0 {
				out.WriteByte(',')
			}
			if err := rewriteTimes(dec, out, et, 0); err != nil {
				return err
			}
		}
		out.WriteByte(']')
		_, err = dec.Token()
		return err
	}
	if u != 0 {
		if s, ok := isoToken(tok, u); ok {
			writeJSONToken(out, s)
			return nil
		}
	}
	writeJSONToken(out, tok)
	return nil
}

// isoToken is the ISO 8601 form of tok, a JSON number or string of unit u.
func isoToken(tok json.Token, u timeUnit) (string, bool) {
	var v reflect.Value
	switch x := tok.(type) {
	case json.Number:
		n, err := strconv.ParseInt(string(x), 10, 64)
		if err != nil {
			return "", false
		}
		v = reflect.ValueOf(n)
	case string:
		if u == timeGo {
			t, err := time.Parse(time.RFC3339Nano, x)
			if err != nil {
				return "", false
			}
			v = reflect.ValueOf(t)
		} else {
			v = reflect.ValueOf(x)
		}
	default:
		return "", false
	}
	t, ok := readTime(v, u)
	if !ok {
		return "", false
	}
	return formatTime(t, u, timesISO), true
}

// writeJSONToken writes a scalar token (or a key) as JSON, without HTML
// escaping; numbers as they came.
func writeJSONToken(out *bytes.Buffer, tok json.Token) {
	switch x := tok.(type) {
	case json.Number:
		out.WriteString(string(x))
	case nil:
		out.WriteString("null")
	default:
		b, _ := marshalCompact(x) // a string or a bool
		out.Write(b)
	}
}
