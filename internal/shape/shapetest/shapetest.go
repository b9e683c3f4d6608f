// Package shapetest plants markers in JSON replies, for the tests that
// prove a shape report holds no value of them: in internal/shape over
// arbitrary JSON (a fuzz test), in the jaccount command over every reply
// of a whole survey of the fake.
package shapetest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Marker plants markers: every value it plants is unique, and none can
// occur in a report by chance (see Found).
type Marker struct {
	mu      sync.Mutex
	n       int
	planted []string
}

// Plant returns body with every value replaced by a marker: each string,
// each number (an integer by a ten-digit one, any other by a fraction) and,
// in every object, a member under each kind of key that is data (digits, a
// UUID, an e-mail address, an account), whose value is a marker too. The
// envelope's errno is kept: a report holds it by design, as it does the
// HTTP status. Booleans and nulls stay: they are types. A body that is not
// JSON comes back unchanged, with ok false.
func (m *Marker) Plant(body []byte) (marked []byte, ok bool) {
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	var v any
	if d.Decode(&v) != nil {
		return body, false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	out, err := json.Marshal(m.value(v, true))
	if err != nil {
		return body, false
	}
	return out, true
}

// Planted are the markers planted so far.
func (m *Marker) Planted() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.planted)
}

// Found returns the markers planted that occur in out.
func (m *Marker) Found(out []byte) []string {
	var found []string
	for _, p := range m.Planted() {
		if bytes.Contains(out, []byte(p)) {
			found = append(found, p)
		}
	}
	return found
}

func (m *Marker) next(format string) string {
	m.n++
	s := fmt.Sprintf(format, m.n)
	m.planted = append(m.planted, s)
	return s
}

func (m *Marker) value(v any, top bool) any {
	switch v := v.(type) {
	case string:
		return m.next("zqv%07dx")
	case json.Number:
		if strings.ContainsAny(string(v), ".eE") {
			return json.Number(m.next("73%06d.25"))
		}
		return json.Number(m.next("71%08d"))
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = m.value(e, false)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(v)+4)
		for k, e := range v {
			if top && k == "errno" {
				out[k] = e
				continue
			}
			out[k] = m.value(e, false)
		}
		if top {
			return out // the envelope's members are the spec's
		}
		for _, format := range []string{"58%08d", "5a5a5a5a-0000-4000-8000-%012d", "zqm%07dx@example.org", "zqacct%07dx"} {
			key := m.next(format)
			if strings.HasPrefix(key, "zqacct") {
				// an account: lower-case letters only
				key = strings.Map(func(r rune) rune {
					if r >= '0' && r <= '9' {
						return 'a' + (r - '0')
					}
					return r
				}, key)
				m.planted[len(m.planted)-1] = key
			}
			out[key] = m.next("zqk%07dx")
		}
		return out
	}
	return v
}
