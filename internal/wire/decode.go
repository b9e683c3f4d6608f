package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"slices"
	"strconv"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// Decoder reads one JSON value in a single pass, for the decoders that
// internal/apigen generates for gen's models (under their UnmarshalJSON
// methods, and DecodeModel) and for package api's reply envelope. It decodes
// what encoding/json decodes, to the same values, and refuses what it
// refuses: syntax errors stop the decoding; a value of the wrong type (a
// number for a string field) is skipped and reported as encoding/json
// reports it, a *json.UnmarshalTypeError, after the rest is decoded.
//
// Strings are cut from copies of the input made a few kilobytes at a time,
// instead of one allocation each: a string kept from a decoded model keeps
// at most its copy (chunkSize bytes, or the string alone when longer) from
// being collected.
//
// The zero Decoder reads an empty input; Reset gives it one. A Decoder is
// not safe for concurrent use.
type Decoder struct {
	data []byte
	pos  int
	// err is the first error; after a syntax error (stop) nothing more
	// is read.
	err   error
	stop  bool
	depth int
	// first is set between BeginObject or BeginArray and the first
	// member or element.
	first bool
	// name is the name of the member being decoded, for errors.
	name []byte
	// chunk is a copy of data[chunkAt:], chunkSize bytes at most, that
	// strings are cut from.
	chunk   string
	chunkAt int
	// drift is told of members a model lacks and of values of the wrong
	// type (ReportDrift); nil: nobody is.
	drift DriftReporter
}

// The decoders of gen's models. Their methods are unexported, so that gen's
// documentation shows none of this package: gen registers, in its init,
// one function that knows all of them (RegisterModels), and package api
// reaches them through IsModel and DecodeModel.
var (
	isModel     func(v any) bool
	decodeModel func(d *Decoder, v any)
)

// RegisterModels installs gen's model decoders: is reports whether v is a
// pointer to one of gen's types that decode themselves (its models and
// map types), decode decodes the value at d's position into it, as its
// UnmarshalJSON does, leaving any error in d. gen's init calls it once;
// reading them needs no lock, as package initialization happens before.
func RegisterModels(is func(v any) bool, decode func(d *Decoder, v any)) {
	isModel, decodeModel = is, decode
}

// IsModel reports whether v (a pointer, possibly nil) points to a type of
// gen's that DecodeModel decodes.
func IsModel(v any) bool { return isModel != nil && isModel(v) }

// DecodeModel decodes the value at d's position into v, a non-nil pointer
// for which IsModel holds, as its UnmarshalJSON does, leaving any error in
// d.
func DecodeModel(d *Decoder, v any) { decodeModel(d, v) }

// chunkSize is the size of the copies strings are cut from.
const chunkSize = 4 << 10

// maxDepth is encoding/json's limit of nested objects and arrays.
const maxDepth = 10000

// Reset makes d read data from its start; its DriftReporter stays.
func (d *Decoder) Reset(data []byte) {
	*d = Decoder{data: data, drift: d.drift}
}

// ReportDrift makes d tell r of each member a model lacks (Unknown) and of
// each value that does not fit its field's type, as it decodes; nil tells
// nobody. It costs nothing while the input matches the models.
func (d *Decoder) ReportDrift(r DriftReporter) { d.drift = r }

// A DriftReporter is told of what a Decoder reads that the models do not
// expect.
type DriftReporter interface {
	Drift(*Drift)
}

// Drift is one thing a Decoder read that the models do not expect: a member
// a model lacks, or a value whose JSON type does not fit its field. It
// holds names and types, never a value.
type Drift struct {
	// Model is the Go type of the model that lacks Member; "" for a value
	// of the wrong type.
	Model string
	// Member is the member's name, valid only during the Drift call.
	Member []byte
	// Want is the Go type of the field the value does not fit; nil for a
	// member a model lacks.
	Want reflect.Type
	// Type is the value's JSON type: object, array, string, number,
	// boolean or null.
	Type string
	d    *Decoder
	pos  int
}

// Path returns the path of the value from the top of the input: the names
// of the members it is in, "[]" for an array's element
// (["entities", "[]", "identities", "[]", "photoUrl"]). It reads the input
// again up to the value, so it costs time in proportion to its offset:
// call it once per kind of drift, not for each.
func (x *Drift) Path() []string {
	type frame struct {
		array bool
		key   []byte
	}
	var stack []frame
	data := x.d.data[:x.pos]
	expectKey := false
	for i := 0; i < len(data); i++ {
		switch data[i] {
		case '{':
			stack = append(stack, frame{})
			expectKey = true
		case '[':
			stack = append(stack, frame{array: true})
		case '}', ']':
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		case ',':
			expectKey = len(stack) > 0 && !stack[len(stack)-1].array
		case '"':
			j := i + 1
			for j < len(data) && data[j] != '"' {
				if data[j] == '\\' {
					j++
				}
				j++
			}
			if expectKey && len(stack) > 0 {
				stack[len(stack)-1].key = data[i+1 : min(j, len(data))]
				expectKey = false
			}
			i = j
		}
	}
	path := make([]string, 0, len(stack))
	for _, f := range stack {
		if f.array {
			path = append(path, "[]")
		} else {
			path = append(path, string(unquote(f.key)))
		}
	}
	return path
}

// report tells d's DriftReporter of the value at offset pos.
func (d *Decoder) report(model string, member []byte, want reflect.Type, pos int) {
	x := &Drift{Model: model, Member: member, Want: want, d: d, pos: pos}
	switch c := d.data[pos]; {
	case c == '{':
		x.Type = "object"
	case c == '[':
		x.Type = "array"
	case c == '"':
		x.Type = "string"
	case c == 't' || c == 'f':
		x.Type = "boolean"
	case c == 'n':
		x.Type = "null"
	default:
		x.Type = "number"
	}
	d.drift.Drift(x)
}

// SkipUnknown skips the value of the member name, which the object of Go
// type model does not read, and tells d's DriftReporter of it.
func (d *Decoder) SkipUnknown(name []byte, model string) {
	if d.drift != nil && !d.stop {
		if d.skipSpace(); d.pos < len(d.data) {
			d.report(model, name, nil, d.pos)
		}
	}
	d.skip()
}

// Unknown keeps the member name, which the model of Go type model lacks,
// as Keep does, and tells d's DriftReporter of it: the generated decoders
// call it for each member their model does not know.
func (d *Decoder) Unknown(m *map[string]any, name []byte, model string) {
	if d.drift != nil && !d.stop {
		if d.skipSpace(); d.pos < len(d.data) {
			d.report(model, name, nil, d.pos)
		}
	}
	d.Keep(m, name)
}

// Err returns the first error.
func (d *Decoder) Err() error { return d.err }

// Finish returns the first error, or, if the value read was followed by
// anything but white space, a syntax error. A syntax error is
// encoding/json's own for the input, a *json.SyntaxError.
func (d *Decoder) Finish() error {
	if !d.stop {
		d.skipSpace()
		if d.pos < len(d.data) {
			d.syntaxError("after top-level value")
		}
	}
	if _, ok := d.err.(*syntaxError); ok {
		var v any
		if err := json.Unmarshal(d.data, &v); err != nil {
			return err
		}
	}
	return d.err
}

// Pos returns the offset of the next byte to read.
func (d *Decoder) Pos() int { return d.pos }

// syntaxError reports malformed JSON (Finish gives encoding/json's own
// error instead).
type syntaxError struct{ msg string }

func (e *syntaxError) Error() string { return "json: " + e.msg }

func (d *Decoder) syntaxError(context string) {
	if d.stop {
		return
	}
	msg := "unexpected end of JSON input"
	if d.pos < len(d.data) {
		msg = "invalid character " + quoteChar(d.data[d.pos]) + " " + context
	}
	d.fail(&syntaxError{msg: msg})
}

func (d *Decoder) fail(err error) {
	if !d.stop {
		d.err, d.stop = err, true
	}
}

// quoteChar formats c as encoding/json's errors do.
func quoteChar(c byte) string {
	if c == '\'' {
		return `'\''`
	}
	if c == '"' {
		return `'"'`
	}
	s := strconv.Quote(string(c))
	return "'" + s[1:len(s)-1] + "'"
}

// typeError records that the value at d's position, which it skips, does
// not fit a Go value of type t.
func (d *Decoder) typeError(t reflect.Type) {
	off := d.pos
	what := "number"
	switch d.peek() {
	case '"':
		what = "string"
	case '{':
		what = "object"
	case '[':
		what = "array"
	case 't', 'f':
		what = "bool"
	}
	start := d.pos
	if d.drift != nil && start < len(d.data) {
		d.report("", d.name, t, start)
	}
	d.Skip()
	if what == "number" && !d.stop {
		what = "number " + string(d.data[start:d.pos])
	}
	d.setTypeError(&json.UnmarshalTypeError{Value: what, Type: t, Offset: int64(off), Field: string(d.name)})
}

func (d *Decoder) setTypeError(err error) {
	if d.err == nil {
		d.err = err
	}
}

func typeOf[T any]() reflect.Type { return reflect.TypeFor[T]() }

func (d *Decoder) skipSpace() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

// peek skips white space and returns the next byte, 0 at the end.
func (d *Decoder) peek() byte {
	d.skipSpace()
	if d.pos < len(d.data) {
		return d.data[d.pos]
	}
	return 0
}

// literal reads the literal lit (true, false, null) at d's position.
func (d *Decoder) literal(lit string) bool {
	if len(d.data)-d.pos >= len(lit) && string(d.data[d.pos:d.pos+len(lit)]) == lit {
		d.pos += len(lit)
		return true
	}
	// Point at the first byte that differs, as encoding/json does.
	i := 0
	for ; i < len(lit) && d.pos < len(d.data) && d.data[d.pos] == lit[i]; i++ {
		d.pos++
	}
	d.syntaxError("in literal " + lit + " (expecting " + quoteChar(lit[min(i, len(lit)-1)]) + ")")
	return false
}

// Null reads null if it comes next, and reports whether it did.
func (d *Decoder) Null() bool {
	if d.stop || d.peek() != 'n' {
		return false
	}
	d.literal("null")
	return true
}

func (d *Decoder) enter() bool {
	d.depth++
	if d.depth > maxDepth {
		d.fail(&syntaxError{msg: "exceeded max depth"})
		return false
	}
	return true
}

// BeginObject starts reading the object at d's position into a value of
// type T: true for an object, whose members Next then reads; false for
// null (T is left as it is), after an error, and for a value of another
// type (a type error; the value is skipped).
func BeginObject[T any](d *Decoder, _ *T) bool {
	return d.beginObject(typeOf[T])
}

func (d *Decoder) beginObject(t func() reflect.Type) bool {
	if d.stop {
		return false
	}
	switch d.peek() {
	case '{':
		d.pos++
		d.first = true
		return d.enter()
	case 'n':
		d.literal("null")
	case '"', '[', 't', 'f', '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		d.typeError(t())
	default:
		d.syntaxError("looking for beginning of value")
	}
	return false
}

// Next reads the name of the next member of the object that BeginObject
// opened and leaves d at its value, which the caller must read; false at
// the end of the object or after a syntax error. The name is valid until
// the next call of d's methods.
func (d *Decoder) Next() ([]byte, bool) {
	if d.stop {
		return nil, false
	}
	c := d.peek()
	if d.first {
		d.first = false
		if c == '}' {
			d.pos++
			d.depth--
			return nil, false
		}
	} else {
		switch c {
		case '}':
			d.pos++
			d.depth--
			return nil, false
		case ',':
			d.pos++
			c = d.peek()
		default:
			d.syntaxError("after object key:value pair")
			return nil, false
		}
	}
	if c != '"' {
		d.syntaxError("looking for beginning of object key string")
		return nil, false
	}
	name, ok := d.rawString()
	if !ok {
		return nil, false
	}
	if d.peek() != ':' {
		d.syntaxError("after object key")
		return nil, false
	}
	d.pos++
	d.name = name
	d.skipSpace()
	return name, true
}

// Member returns the index of the field named name among names, the member
// names of a struct's fields in order, as encoding/json matches them: the
// field of that exact name, else the first whose name equals it ignoring
// case; -1 for none.
func Member(name []byte, names ...string) int {
	for i, n := range names {
		if string(name) == n {
			return i
		}
	}
	for i, n := range names {
		if bytes.EqualFold(name, []byte(n)) {
			return i
		}
	}
	return -1
}

// BeginArray starts reading the array at d's position into *p: true for
// an array, whose elements More then announces; false for null (*p is set
// to nil, as encoding/json does), after an error, and for a value of
// another type (a type error; the value is skipped).
func BeginArray[S ~[]E, E any](d *Decoder, p *S) bool {
	if d.stop {
		return false
	}
	switch d.peek() {
	case '[':
		d.pos++
		d.first = true
		return d.enter()
	case 'n':
		if d.literal("null") {
			*p = nil
		}
	case '"', '{', 't', 'f', '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		d.typeError(typeOf[S]())
	default:
		d.syntaxError("looking for beginning of value")
	}
	return false
}

// More reports whether another element of the array that BeginArray opened
// follows, and leaves d at it; false at the end of the array or after a
// syntax error.
func (d *Decoder) More() bool {
	if d.stop {
		return false
	}
	c := d.peek()
	if d.first {
		d.first = false
		if c == ']' {
			d.pos++
			d.depth--
			return false
		}
		return true
	}
	switch c {
	case ']':
		d.pos++
		d.depth--
		return false
	case ',':
		d.pos++
		d.skipSpace()
		return true
	}
	d.syntaxError("after array element")
	return false
}

// Grow returns s with room for its element i, growing it as encoding/json
// does: the elements of an array are decoded into those a slice already
// holds, and it grows by one element at a time.
func Grow[S ~[]E, E any](s S, i int) S {
	if i >= cap(s) {
		s = slices.Grow(s, i+1-len(s))
	}
	if i >= len(s) {
		s = s[:i+1]
	}
	return s
}

// Trunc returns s cut to its first n elements, decoded from an array; an
// empty array gives an empty slice, not nil, as with encoding/json.
func Trunc[S ~[]E, E any](s S, n int) S {
	if n == 0 {
		return S{}
	}
	return s[:n]
}

// rawString reads the string at d's position and returns its bytes
// unquoted: a slice of the input when it holds no escape and is valid
// UTF-8, else a new slice (invalid UTF-8 becomes U+FFFD, as encoding/json
// does). Neither is ever overwritten.
func (d *Decoder) rawString() ([]byte, bool) {
	start := d.pos + 1
	i := start
	for i < len(d.data) {
		c := d.data[i]
		if c == '"' {
			d.pos = i + 1
			return d.data[start:i], true
		}
		if c == '\\' || c < ' ' || c >= utf8.RuneSelf {
			break
		}
		i++
	}
	// The slow path: escapes, non-ASCII, or an error.
	j := i
	plain := true
	for j < len(d.data) {
		c := d.data[j]
		switch {
		case c == '"':
			s := d.data[start:j]
			if plain && utf8.Valid(s[i-start:]) {
				d.pos = j + 1
				return s, true
			}
			d.pos = j + 1
			return unquote(s), true
		case c < ' ':
			d.pos = j
			d.syntaxError("in string literal")
			return nil, false
		case c == '\\':
			plain = false
			if j+1 >= len(d.data) {
				d.pos = len(d.data)
				d.syntaxError("")
				return nil, false
			}
			switch d.data[j+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				j += 2
			case 'u':
				for k := j + 2; k < j+6; k++ {
					if k >= len(d.data) {
						d.pos = len(d.data)
						d.syntaxError("")
						return nil, false
					}
					if !isHex(d.data[k]) {
						d.pos = k
						d.syntaxError("in \\u hexadecimal character escape")
						return nil, false
					}
				}
				j += 6
			default:
				d.pos = j + 1
				d.syntaxError("in string escape code")
				return nil, false
			}
		default:
			j++
		}
	}
	d.pos = len(d.data)
	d.syntaxError("")
	return nil, false
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// unquote decodes the inside of a valid JSON string with escapes or
// invalid UTF-8, as encoding/json does.
func unquote(s []byte) []byte {
	b := make([]byte, 0, len(s)+utf8.UTFMax)
	for r := 0; r < len(s); {
		c := s[r]
		switch {
		case c == '\\':
			switch s[r+1] {
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case 'u':
				rr := hex4(s[r+2:])
				r += 6
				if utf16.IsSurrogate(rr) {
					if r+6 <= len(s) && s[r] == '\\' && s[r+1] == 'u' {
						if dec := utf16.DecodeRune(rr, hex4(s[r+2:])); dec != unicode.ReplacementChar {
							r += 6
							b = utf8.AppendRune(b, dec)
							continue
						}
					}
					rr = unicode.ReplacementChar
				}
				b = utf8.AppendRune(b, rr)
				continue
			default: // " \ /
				b = append(b, s[r+1])
			}
			r += 2
		case c < utf8.RuneSelf:
			b = append(b, c)
			r++
		default:
			rr, size := utf8.DecodeRune(s[r:])
			r += size
			b = utf8.AppendRune(b, rr)
		}
	}
	return b
}

func hex4(s []byte) rune {
	var r rune
	for _, c := range s[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		default:
			c = c - 'A' + 10
		}
		r = r*16 + rune(c)
	}
	return r
}

// str returns b, a slice of d's input or a fresh one, as a string,
// cutting it from d's chunk when it is a slice of the input.
func (d *Decoder) str(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	i := d.offsetOf(b)
	if i < 0 {
		return string(b)
	}
	j := i + len(b)
	if i >= d.chunkAt && j <= d.chunkAt+len(d.chunk) {
		return d.chunk[i-d.chunkAt : j-d.chunkAt]
	}
	if len(b) > chunkSize/2 {
		return string(b)
	}
	d.chunkAt = i
	d.chunk = string(d.data[i:min(len(d.data), i+chunkSize)])
	return d.chunk[:len(b)]
}

// offsetOf returns the offset in d's input of b, not empty, or -1 when b
// is not a slice of it (an unquoted string).
func (d *Decoder) offsetOf(b []byte) int {
	full := d.data[:cap(d.data)]
	off := len(full) - cap(b)
	if off < 0 || off >= len(d.data) || &full[off] != &b[0] {
		return -1
	}
	return off
}

// String decodes a JSON string into *p; null leaves it as it is.
func String[T ~string](d *Decoder, p *T) {
	if d.stop {
		return
	}
	switch d.peek() {
	case '"':
		if b, ok := d.rawString(); ok {
			*p = T(d.str(b))
		}
	case 'n':
		d.literal("null")
	default:
		d.mismatch(typeOf[T])
	}
}

// mismatch records a type error for the value at d's position, or a
// syntax error when there is no value.
func (d *Decoder) mismatch(t func() reflect.Type) {
	switch d.peek() {
	case '"', '{', '[', 't', 'f', 'n', '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		d.typeError(t())
	default:
		d.syntaxError("looking for beginning of value")
	}
}

// number reads a number at d's position and returns its text.
func (d *Decoder) number() ([]byte, bool) {
	start, i := d.pos, d.pos
	n := len(d.data)
	if i < n && d.data[i] == '-' {
		i++
	}
	switch {
	case i < n && d.data[i] == '0':
		i++
	case i < n && '1' <= d.data[i] && d.data[i] <= '9':
		for i++; i < n && '0' <= d.data[i] && d.data[i] <= '9'; i++ {
		}
	default:
		d.pos = i
		d.syntaxError("in numeric literal")
		return nil, false
	}
	if i < n && d.data[i] == '.' {
		i++
		if i >= n || d.data[i] < '0' || d.data[i] > '9' {
			d.pos = i
			d.syntaxError("after decimal point in numeric literal")
			return nil, false
		}
		for ; i < n && '0' <= d.data[i] && d.data[i] <= '9'; i++ {
		}
	}
	if i < n && (d.data[i] == 'e' || d.data[i] == 'E') {
		i++
		if i < n && (d.data[i] == '+' || d.data[i] == '-') {
			i++
		}
		if i >= n || d.data[i] < '0' || d.data[i] > '9' {
			d.pos = i
			d.syntaxError("in exponent of numeric literal")
			return nil, false
		}
		for ; i < n && '0' <= d.data[i] && d.data[i] <= '9'; i++ {
		}
	}
	d.pos = i
	return d.data[start:i], true
}

// parseInt parses a number's text as an integer of bits bits, as
// strconv.ParseInt does, without converting it to a string when it is
// short.
func parseInt(b []byte, bits int) (int64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	digits := b
	if neg {
		digits = b[1:]
	}
	if len(digits) == 0 || len(digits) > 18 {
		n, err := strconv.ParseInt(string(b), 10, bits)
		return n, err == nil
	}
	var n int64
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, false // a fraction or an exponent
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	if bits < 64 && (n < -1<<(bits-1) || n > 1<<(bits-1)-1) {
		return 0, false
	}
	return n, true
}

// Int decodes a JSON number that is an integer into *p; null leaves it as
// it is.
func Int[T ~int](d *Decoder, p *T) {
	if n, ok := d.integer(strconv.IntSize, typeOf[T]); ok {
		*p = T(n)
	}
}

// Int64 decodes a JSON number that is an integer into *p; null leaves it
// as it is.
func Int64[T ~int64](d *Decoder, p *T) {
	if n, ok := d.integer(64, typeOf[T]); ok {
		*p = T(n)
	}
}

func (d *Decoder) integer(bits int, t func() reflect.Type) (int64, bool) {
	if d.stop {
		return 0, false
	}
	switch c := d.peek(); {
	case c == '-' || '0' <= c && c <= '9':
		start := d.pos
		b, ok := d.number()
		if !ok {
			return 0, false
		}
		n, ok := parseInt(b, bits)
		if !ok {
			d.pos = start
			d.typeError(t())
		}
		return n, ok
	case c == 'n':
		d.literal("null")
	default:
		d.mismatch(t)
	}
	return 0, false
}

// Float64 decodes a JSON number into *p; null leaves it as it is.
func Float64[T ~float64](d *Decoder, p *T) {
	if d.stop {
		return
	}
	switch c := d.peek(); {
	case c == '-' || '0' <= c && c <= '9':
		start := d.pos
		if f, ok := d.float(); ok {
			*p = T(f)
		} else if !d.stop {
			d.pos = start
			d.typeError(typeOf[T]())
		}
	case c == 'n':
		d.literal("null")
	default:
		d.mismatch(typeOf[T])
	}
}

// float reads a number as a float64; false for a syntax error, or for a
// number out of range (d.stop is not set then).
func (d *Decoder) float() (float64, bool) {
	b, ok := d.number()
	if !ok {
		return 0, false
	}
	if n, ok := parseInt(b, 64); ok && n > -1<<53 && n < 1<<53 {
		return float64(n), true // exact
	}
	f, err := strconv.ParseFloat(string(b), 64)
	return f, err == nil
}

// Bool decodes true or false into *p; null leaves it as it is.
func Bool[T ~bool](d *Decoder, p *T) {
	if d.stop {
		return
	}
	switch d.peek() {
	case 't':
		if d.literal("true") {
			*p = true
		}
	case 'f':
		if d.literal("false") {
			*p = false
		}
	case 'n':
		d.literal("null")
	default:
		d.mismatch(typeOf[T])
	}
}

// Map decodes a JSON object into *p as encoding/json decodes into a
// map[string]any: into the map there is (a new one when nil), numbers as
// float64; null sets it to nil.
func Map[M ~map[string]any](d *Decoder, p *M) {
	if d.stop {
		return
	}
	if d.peek() == 'n' {
		if d.literal("null") {
			*p = nil
		}
		return
	}
	if !d.beginObject(typeOf[M]) {
		return
	}
	if *p == nil {
		*p = M{}
	}
	d.members(*p, false)
}

// members reads the members of an object that beginObject opened into m.
func (d *Decoder) members(m map[string]any, useNumber bool) {
	for {
		name, ok := d.Next()
		if !ok {
			return
		}
		key := d.str(name)
		v := d.value(useNumber)
		if d.stop {
			return
		}
		m[key] = v
	}
}

// Any decodes any JSON value into *p as encoding/json decodes into an
// interface{}: numbers as float64, objects as map[string]any, arrays as
// []any.
func Any(d *Decoder, p *any) {
	v := d.value(false)
	if !d.stop {
		*p = v
	}
}

// value reads any value, numbers as json.Number with useNumber, else as
// float64.
func (d *Decoder) value(useNumber bool) any {
	if d.stop {
		return nil
	}
	switch c := d.peek(); {
	case c == '{':
		d.pos++
		d.first = true
		if !d.enter() {
			return nil
		}
		m := map[string]any{}
		d.members(m, useNumber)
		return m
	case c == '[':
		d.pos++
		d.first = true
		if !d.enter() {
			return nil
		}
		s := make([]any, 0)
		for d.More() {
			v := d.value(useNumber)
			if d.stop {
				return nil
			}
			s = append(s, v)
		}
		return s
	case c == '"':
		if b, ok := d.rawString(); ok {
			return d.str(b)
		}
	case c == 't':
		d.literal("true")
		return true
	case c == 'f':
		d.literal("false")
		return false
	case c == 'n':
		d.literal("null")
	case c == '-' || '0' <= c && c <= '9':
		if useNumber {
			b, ok := d.number()
			if ok {
				return json.Number(d.str(b))
			}
			return nil
		}
		start := d.pos
		if f, ok := d.float(); ok {
			return f
		} else if !d.stop {
			d.pos = start
			d.typeError(reflect.TypeFor[float64]())
		}
	default:
		d.syntaxError("looking for beginning of value")
	}
	return nil
}

// Skip reads the value at d's position and returns its text.
func (d *Decoder) Skip() []byte {
	d.skipSpace()
	start := d.pos
	d.skip()
	return d.data[start:d.pos]
}

func (d *Decoder) skip() {
	if d.stop {
		return
	}
	switch c := d.peek(); {
	case c == '{':
		d.pos++
		d.first = true
		if !d.enter() {
			return
		}
		for {
			if _, ok := d.Next(); !ok {
				return
			}
			d.skip()
		}
	case c == '[':
		d.pos++
		d.first = true
		if !d.enter() {
			return
		}
		for d.More() {
			d.skip()
		}
	case c == '"':
		d.rawString()
	case c == 't':
		d.literal("true")
	case c == 'f':
		d.literal("false")
	case c == 'n':
		d.literal("null")
	case c == '-' || '0' <= c && c <= '9':
		d.number()
	default:
		d.syntaxError("looking for beginning of value")
	}
}

// Keep decodes the value at d's position into (*m)[name], numbers as
// json.Number, making the map when it is nil: a member a model keeps.
func (d *Decoder) Keep(m *map[string]any, name []byte) {
	key := d.str(name)
	v := d.value(true)
	if d.stop {
		return
	}
	if *m == nil {
		*m = map[string]any{}
	}
	(*m)[key] = v
}

// KeepFrom keeps, as Keep does, the value that d read from offset start on.
func (d *Decoder) KeepFrom(m *map[string]any, name []byte, start int) {
	if d.stop {
		return
	}
	end := d.pos
	d.pos = start
	d.Keep(m, name)
	d.pos = end
}

// Fallback decodes the value at d's position into *p with encoding/json,
// for a field of a type that has no decoder of its own here.
func Fallback[T any](d *Decoder, p *T) {
	d.skipSpace()
	start := d.pos
	raw := d.Skip()
	if d.stop {
		return
	}
	if err := json.Unmarshal(raw, p); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			if te.Field == "" {
				te.Field = string(d.name)
			}
			if d.drift != nil {
				d.report("", d.name, typeOf[T](), start)
			}
		}
		d.setTypeError(err)
	}
}

// IsZeroFloat reports whether f is the zero value (not -0), as
// reflect.Value.IsZero does.
func IsZeroFloat(f float64) bool { return math.Float64bits(f) == 0 }

// IsZero reports whether v is its type's zero value, as
// reflect.Value.IsZero does.
func IsZero(v any) bool { return v == nil || reflect.ValueOf(v).IsZero() }
