package wire

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// UnmarshalObject decodes the JSON object b into a model. fields are the
// model's fields; decode decodes b whole into them (encoding/json over the
// model's plain struct). It returns the members the fields do not carry,
// for the model's AdditionalProperties: unknown members, and members whose
// value is the field's zero value (numbers as json.Number); nil when there
// are none. null leaves the model as it is; anything else that is not an
// object fails as decode fails.
//
// When a member's name differs from a field's only in case (which
// encoding/json would take for the field), the fields are decoded member by
// member instead, by exact name, so that the model encodes back the names it
// received.
func UnmarshalObject(b []byte, fields []Field, decode func([]byte) error) (map[string]any, error) {
	exact := true
	isObject := scanObject(b, func(name, _ []byte) {
		if exact && !exactName(name, fields) {
			exact = false
		}
	})
	if !isObject {
		return nil, decode(b) // null, or the decoder's own error
	}
	if exact {
		if err := decode(b); err != nil {
			return nil, err
		}
	} else {
		var err error
		scanObject(b, func(name, value []byte) {
			if f := fieldNamed(name, fields); f != nil && err == nil {
				if e := json.Unmarshal(value, f.Ptr); e != nil {
					err = fmt.Errorf("member %q: %w", name, e)
				}
			}
		})
		if err != nil {
			return nil, err
		}
	}
	var extras map[string]any
	var err error
	scanObject(b, func(name, value []byte) {
		if f := fieldNamed(name, fields); (f != nil && !f.Omitted()) || err != nil {
			return
		}
		d := json.NewDecoder(bytes.NewReader(value))
		d.UseNumber()
		var v any
		if e := d.Decode(&v); e != nil {
			err = fmt.Errorf("member %q: %w", name, e)
			return
		}
		if extras == nil {
			extras = map[string]any{}
		}
		extras[string(name)] = v
	})
	return extras, err
}

// fieldNamed returns the field whose JSON name is name, or nil.
func fieldNamed(name []byte, fields []Field) *Field {
	for i := range fields {
		if string(name) == fields[i].Name {
			return &fields[i]
		}
	}
	return nil
}

// exactName reports whether name is no field's name with other case: it is
// one of theirs exactly, or none of theirs at all.
func exactName(name []byte, fields []Field) bool {
	folded := false
	for _, f := range fields {
		if string(name) == f.Name {
			return true
		}
		if !folded && bytes.EqualFold(name, []byte(f.Name)) {
			folded = true
		}
	}
	return !folded
}

// scanObject calls fn with each member of the JSON object b, its name
// unescaped and its raw value, in order, and reports whether b is an object
// it could read. It does not validate the values (the decoder does); it
// never reads past b. A name is what encoding/json makes of it, escapes
// resolved and each byte of invalid UTF-8 replaced by U+FFFD, so that a
// member is filed under the name the decoder and the encoder use.
func scanObject(b []byte, fn func(name, value []byte)) bool {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return false
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return skipSpace(b, i+1) == len(b)
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return false
		}
		end, escaped := stringEnd(b, i)
		if end < 0 {
			return false
		}
		name := b[i+1 : end-1]
		if escaped || !ascii(name) { // unquoted as encoding/json does: U+FFFD for invalid UTF-8
			var s string
			if json.Unmarshal(b[i:end], &s) != nil {
				return false
			}
			name = []byte(s)
		}
		i = skipSpace(b, end)
		if i >= len(b) || b[i] != ':' {
			return false
		}
		i = skipSpace(b, i+1)
		vend := valueEnd(b, i)
		if vend < 0 {
			return false
		}
		fn(name, b[i:vend])
		i = skipSpace(b, vend)
		switch {
		case i < len(b) && b[i] == ',':
			i = skipSpace(b, i+1)
		case i < len(b) && b[i] == '}':
			return skipSpace(b, i+1) == len(b)
		default:
			return false
		}
	}
}

// ascii reports whether b is all ASCII: the cheap test for a name that
// needs no unquoting. On a profile, scanObject took about 8% more CPU time
// with it and 25% more with utf8.Valid (paired runs, thread CPU time).
func ascii(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the index after the string starting at b[i] (a quote),
// or -1, and whether it holds an escape.
func stringEnd(b []byte, i int) (int, bool) {
	escaped := false
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			escaped = true
			j++
		case '"':
			return j + 1, escaped
		}
	}
	return -1, escaped
}

// valueEnd returns the index after the value starting at b[i], or -1.
func valueEnd(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		end, _ := stringEnd(b, i)
		return end
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				end, _ := stringEnd(b, j)
				if end < 0 {
					return -1
				}
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return -1
	}
	j := i
	for j < len(b) && b[j] != ',' && b[j] != '}' && b[j] != ']' && b[j] != ' ' && b[j] != '\t' && b[j] != '\n' && b[j] != '\r' {
		j++
	}
	if j == i {
		return -1
	}
	return j
}
