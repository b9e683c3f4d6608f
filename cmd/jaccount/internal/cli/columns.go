package cli

import (
	"encoding"
	"encoding/json"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// A column is one flattened field of an entity: a scalar at some depth of
// nested objects, named by its JSON path ("course.code"). Arrays, maps and
// values with their own JSON form are one column, written as compact JSON.
type column struct {
	name  string
	index []int  // struct field path, for struct entities
	key   string // map key, for free-form (map) entities
	// nested marks arrays and objects (cells of JSON), which tables leave
	// out.
	nested bool
	// unit is the column's time unit (the spec's x-jaccount-time, or a
	// time.Time), 0 for a column that holds no date or instant.
	unit timeUnit
}

var (
	marshalerType     = reflect.TypeFor[json.Marshaler]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
	timeType          = reflect.TypeFor[time.Time]()
)

// maxDepth bounds how deep nested objects are flattened into columns.
const maxDepth = 3

var columnCache sync.Map // reflect.Type -> []column

// structColumns returns the columns of a struct type (after pointers), or
// nil for any other type.
func structColumns(t reflect.Type) []column {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || isLeaf(t) {
		return nil
	}
	if c, ok := columnCache.Load(t); ok {
		return c.([]column)
	}
	var cols []column
	addColumns(t, "", nil, 0, &cols)
	columnCache.Store(t, cols)
	return cols
}

// isLeafMarshaler reports whether t has its own JSON or text form.
func isLeafMarshaler(t reflect.Type) bool {
	return t.Implements(marshalerType) || reflect.PointerTo(t).Implements(marshalerType) ||
		t.Implements(textMarshalerType) || reflect.PointerTo(t).Implements(textMarshalerType)
}

// isModel reports whether t is one of gen's object models: a struct whose
// own JSON methods only keep the members it does not know (in its
// AdditionalProperties), so that it is flattened like any struct.
func isModel(t reflect.Type) bool {
	if t.Kind() != reflect.Struct {
		return false
	}
	f, ok := t.FieldByName("AdditionalProperties")
	return ok && f.Type.Kind() == reflect.Map && f.Tag.Get("json") == "-"
}

// isLeaf reports whether values of t are one column.
func isLeaf(t reflect.Type) bool {
	if isModel(t) {
		return false
	}
	if t == timeType || isLeafMarshaler(t) {
		return true
	}
	return t.Kind() != reflect.Struct
}

// addColumns appends the columns of struct type t, named under prefix.
func addColumns(t reflect.Type, prefix string, index []int, depth int, cols *[]column) {
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		idx := append(slices.Clip(index), i)
		if f.Anonymous && name == "" && ft.Kind() == reflect.Struct && !isLeaf(ft) {
			addColumns(ft, prefix, idx, depth, cols)
			continue
		}
		if name == "" {
			name = f.Name
		}
		if !isLeaf(ft) && depth < maxDepth {
			addColumns(ft, prefix+name+".", idx, depth+1, cols)
			continue
		}
		k := ft.Kind()
		nested := (k == reflect.Slice || k == reflect.Map || k == reflect.Interface || k == reflect.Array) && !isLeafMarshaler(ft)
		*cols = append(*cols, column{name: prefix + name, index: idx, nested: nested, unit: fieldUnit(t, name, ft)})
	}
}

// mapColumns returns columns for a free-form entity (a JSON object decoded
// into a map): its keys, sorted.
func mapColumns(v reflect.Value) []column {
	v = indirect(v)
	if v.Kind() != reflect.Map || v.Type().Key().Kind() != reflect.String {
		return []column{{name: "value"}}
	}
	keys := make([]string, 0, v.Len())
	for _, k := range v.MapKeys() {
		keys = append(keys, k.String())
	}
	slices.Sort(keys)
	cols := make([]column, len(keys))
	for i, k := range keys {
		cols[i] = column{name: k, key: k}
	}
	return cols
}

// columnsFor returns the columns of entities like v: those of its type
// (structColumns), or, for a free-form entity, its keys.
func columnsFor(v any) []column {
	rv := reflect.ValueOf(v)
	if !rv.IsValid() {
		return []column{{name: "value"}}
	}
	if cols := structColumns(rv.Type()); cols != nil {
		return cols
	}
	return mapColumns(rv)
}

func indirect(v reflect.Value) reflect.Value {
	for v.IsValid() && (v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface) {
		if v.IsNil() {
			return reflect.Value{}
		}
		v = v.Elem()
	}
	return v
}

// field returns the value of column c in entity v (invalid when a pointer
// on the way is nil or the map lacks the key).
func (c *column) field(v reflect.Value) reflect.Value {
	v = indirect(v)
	if c.index == nil {
		if c.key == "" {
			return v
		}
		if !v.IsValid() || v.Kind() != reflect.Map {
			return reflect.Value{}
		}
		return v.MapIndex(reflect.ValueOf(c.key).Convert(v.Type().Key()))
	}
	for _, i := range c.index {
		v = indirect(v)
		if !v.IsValid() {
			return v
		}
		v = v.Field(i)
	}
	return v
}

// text is the cell of column c in entity v as o writes it: a date or an
// instant in o's style (empty when absent; as the API sent it when it is
// not of its unit), anything else as cell writes it.
func (c *column) text(v reflect.Value, o *output) string {
	fv := c.field(v)
	if c.unit != 0 && o.times != timesWire {
		if t, ok := readTime(fv, c.unit); ok {
			return formatTime(t, c.unit, o.times)
		}
		if fv = indirect(fv); !fv.IsValid() || fv.IsZero() {
			return ""
		}
	}
	return cell(fv, o.isoJSON)
}

// cell formats one value: strings as they are, numbers in full, and
// anything else as compact JSON ("" for null), its times ISO 8601 with
// isoJSON.
func cell(v reflect.Value, isoTimes bool) string {
	v = indirect(v)
	if !v.IsValid() {
		return ""
	}
	t := v.Type()
	if t != timeType && !t.Implements(marshalerType) && !t.Implements(textMarshalerType) {
		switch v.Kind() {
		case reflect.String:
			return v.String()
		case reflect.Bool:
			return strconv.FormatBool(v.Bool())
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			return strconv.FormatInt(v.Int(), 10)
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			return strconv.FormatUint(v.Uint(), 10)
		case reflect.Float32, reflect.Float64:
			return strconv.FormatFloat(v.Float(), 'f', -1, 64)
		}
	}
	b, err := marshalCompact(v.Interface())
	if err == nil && isoTimes {
		b, err = isoJSON(b, t)
	}
	if err != nil {
		return ""
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if json.Unmarshal(b, &s) == nil {
			return s
		}
	}
	if string(b) == "null" {
		return ""
	}
	return string(b)
}

// row returns the cells of entity v as o writes them.
func row(cols []column, v any, o *output, dst []string) []string {
	rv := reflect.ValueOf(v)
	dst = dst[:0]
	for i := range cols {
		dst = append(dst, cols[i].text(rv, o))
	}
	return dst
}
