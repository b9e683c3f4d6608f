package wire

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
)

// The JSON of gen's object models. Every model keeps, in its
// AdditionalProperties, the members of the object it was decoded from that its
// fields do not carry, so that it encodes back to the same members:
//
//   - members the spec does not know (a field jAccount adds tomorrow);
//   - members whose value a field holds as its zero value, which the field's
//     omitempty,omitzero tag would leave out: "lost": false, "bankNo": "",
//     "organize": {}, "identities": [], "id": null.
//
// A field the caller sets to a non-zero value wins over a kept member of
// the same name. Numbers in AdditionalProperties are json.Number, so they
// encode back digit for digit.

// Field is one field of a model: its JSON name and a pointer to it.
type Field struct {
	Name string
	Ptr  any
}

// Omitted reports whether the field's value is Omitted.
func (f Field) Omitted() bool {
	v := reflect.ValueOf(f.Ptr)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return true
	}
	return omittedValue(v.Elem())
}

// Omitted reports whether encoding/json leaves v out of an object under the
// tag options omitempty,omitzero, which every field of gen's models carries:
// false, 0, "", a nil pointer or interface, an empty slice, map or array,
// and a value whose IsZero method says so or that equals its type's zero
// value.
func Omitted(v any) bool {
	if v == nil {
		return true
	}
	return omittedValue(reflect.ValueOf(v))
}

var zeroer = reflect.TypeFor[interface{ IsZero() bool }]()

func omittedValue(rv reflect.Value) bool {
	switch rv.Kind() {
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return true
		}
	case reflect.Slice, reflect.Map, reflect.Array, reflect.String:
		if rv.Len() == 0 {
			return true
		}
	}
	if rv.Type().Implements(zeroer) {
		return rv.Interface().(interface{ IsZero() bool }).IsZero()
	}
	return rv.IsZero()
}

// MarshalObject encodes a model: its fields that are not Omitted, in
// order, then the kept members of extras, sorted by name, whose name no
// field written before took.
func MarshalObject(fields []Field, extras map[string]any) ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	written := make(map[string]bool, len(fields))
	write := func(name string, v any) error {
		data, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("member %q: %w", name, err)
		}
		key, err := json.Marshal(name)
		if err != nil {
			return err
		}
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		b.Write(key)
		b.WriteByte(':')
		b.Write(data)
		written[name] = true
		return nil
	}
	for _, f := range fields {
		if f.Omitted() {
			continue
		}
		if err := write(f.Name, f.Ptr); err != nil {
			return nil, err
		}
	}
	names := make([]string, 0, len(extras))
	for name := range extras {
		if !written[name] {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	for _, name := range names {
		if err := write(name, extras[name]); err != nil {
			return nil, err
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}
