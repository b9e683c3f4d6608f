package shape

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// MaxDepth bounds the member paths a shape follows: a value nested deeper
// (a right's parent's parent ...) is recorded at this depth with Deeper
// set. The api package refuses replies of models that contain themselves
// beyond 32 levels too.
const MaxDepth = 32

// MaxMembers bounds the member paths of one shape: a hostile reply with a
// million distinct names cannot make a report of a million lines. A shape
// that reached it says so (Truncated).
const MaxMembers = 2000

// A node is the merged shape of the values seen at one member path.
type node struct {
	types   typeSet
	formats formatSet
	keys    formatSet // the formats of keys collapsed to Placeholder
	deeper  bool      // values nested deeper than MaxDepth were cut here
	members map[string]*node
	items   *node // the merged shape of an array's elements
}

// A Shape is the merged shape of JSON values: what Add has seen.
type Shape struct {
	root      node
	known     map[string]bool
	count     int // member paths so far
	truncated bool
}

// NewShape returns an empty shape; known are the member names the spec
// uses (Spec.Names), which a report keeps even when they do not look like
// names.
func NewShape(known map[string]bool) *Shape { return &Shape{known: known} }

// ErrNotJSON matches the error of Add given bytes that are not one JSON
// value.
var ErrNotJSON = errors.New("shape: not JSON")

// Add merges the shape of the JSON value data.
func (s *Shape) Add(data []byte) error {
	v, err := decode(data)
	if err != nil {
		return err
	}
	s.add(&s.root, v, 0)
	return nil
}

// AddValue merges the shape of v, a value decoded with UseNumber.
func (s *Shape) AddValue(v any) { s.add(&s.root, v, 0) }

// decode reads one JSON value, numbers as json.Number.
func decode(data []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotJSON, typeOnly(err))
	}
	if _, err := d.Token(); err == nil {
		return nil, fmt.Errorf("%w: more than one value", ErrNotJSON)
	}
	return v, nil
}

// typeOnly keeps of a decoding error what says nothing of the input:
// encoding/json's syntax errors quote the offending byte, its type errors
// the value.
func typeOnly(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	}
	return "invalid"
}

func (s *Shape) add(n *node, v any, depth int) {
	switch v := v.(type) {
	case nil:
		n.types |= tNull
	case bool:
		n.types |= tBoolean
	case json.Number:
		t, f := numberFormat(v)
		n.types |= t
		n.formats |= f
	case string:
		n.types |= tString
		if v != "" {
			n.formats |= stringFormat(v)
		}
	case []any:
		n.types |= tArray
		if depth >= MaxDepth {
			n.deeper = n.deeper || len(v) > 0
			return
		}
		for _, e := range v {
			if n.items == nil {
				if !s.grow() {
					return
				}
				n.items = &node{}
			}
			s.add(n.items, e, depth+1)
		}
	case map[string]any:
		n.types |= tObject
		if depth >= MaxDepth {
			n.deeper = n.deeper || len(v) > 0
			return
		}
		for _, k := range slices.Sorted(maps.Keys(v)) {
			name := k
			if !nameKey(k, s.known) {
				name = Placeholder
				if k != "" {
					n.keys |= stringFormat(k)
				}
			}
			m := n.members[name]
			if m == nil {
				if !s.grow() {
					continue
				}
				if n.members == nil {
					n.members = map[string]*node{}
				}
				m = &node{}
				n.members[name] = m
			}
			s.add(m, v[k], depth+1)
		}
	}
}

// grow counts a new member path; false when MaxMembers is reached.
func (s *Shape) grow() bool {
	if s.count >= MaxMembers {
		s.truncated = true
		return false
	}
	s.count++
	return true
}

// Types are the JSON types of the values seen (the entities' own type).
func (s *Shape) Types() []string { return names(s.root.types, TypeNames) }

// Empty reports whether nothing was added.
func (s *Shape) Empty() bool { return s.root.types == 0 }

// Truncated reports that the shape stopped recording new member paths at
// MaxMembers.
func (s *Shape) Truncated() bool { return s.truncated }

// Members lists every member path below the values' top level, sorted.
// A path joins member names with "." and marks an array's elements with
// "[]": "identities[].organize.name".
func (s *Shape) Members() []Member {
	var out []Member
	walk(&s.root, "", func(path string, n *node) {
		if path != "" {
			out = append(out, n.member(path))
		}
	})
	slices.SortFunc(out, func(a, b Member) int { return strings.Compare(a.Path, b.Path) })
	return out
}

func (n *node) member(path string) Member {
	return Member{Path: path, Types: names(n.types, TypeNames), Formats: names(n.formats, FormatNames),
		Keys: names(n.keys, FormatNames), Deeper: n.deeper}
}

// walk calls f for n at path and for every node below it.
func walk(n *node, path string, f func(string, *node)) {
	f(path, n)
	for name, m := range n.members {
		walk(m, Join(path, name), f)
	}
	if n.items != nil {
		walk(n.items, path+"[]", f)
	}
}

// Join appends a member name to a path.
func Join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}
