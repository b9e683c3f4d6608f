package shape

import (
	"bytes"
	"testing"

	"github.com/oauth-jaccount/jaccount-go/internal/shape/shapetest"
)

// FuzzObserve: whatever a reply holds, a report of it checks (it holds
// nothing outside a report's vocabulary: Check), reads back as it was
// written, and neither it nor the differences printed hold any marker
// planted in the reply's values and data keys.
func FuzzObserve(f *testing.F) {
	sp := realSpec(f)
	for _, id := range sp.IDs {
		if ex := sp.Ops[id].Example; ex != nil {
			f.Add(ex)
		}
	}
	f.Add([]byte(`{"errno":0,"entities":[{"a":{"20240901":[1,[2,{"x@y.z":null}]]},"b.c":"d","[]":"*"}]}`))
	f.Add([]byte(`{"errno":0,"entities":[[["x"]],"y",3.5,true,null]}`))
	f.Add([]byte(`{"errno":1e400,"error":"\u0000\n\nMORE_INFORMATION:x","entities":{}}`))
	f.Add([]byte(`<html></html>`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var m shapetest.Marker
		planted, isJSON := m.Plant(body)
		for _, id := range []string{"getMyProfile", "listEnterpriseDepartments", "getUserRights"} {
			so := sp.Ops[id]
			for _, b := range [][]byte{body, planted} {
				op := Operation{ID: id, Method: so.Method, Path: so.Path}
				sp.Observe(&op, 200, "application/json", b)
				r := &Report{Format: FormatVersion, Tool: "fuzz", Date: "2026-12-07", Spec: sp.Version, Operations: []Operation{op}}
				out := reportText(t, sp, r)
				back, err := sp.Parse(out[:bytes.Index(out, []byte("\n}\n"))+3])
				if err != nil {
					t.Fatalf("the report does not read back: %v\n%s", err, out)
				}
				again, _ := back.Marshal()
				if first, _ := r.Marshal(); !bytes.Equal(first, again) {
					t.Fatalf("the report reads back differently:\n%s\n%s", first, again)
				}
				if found := m.Found(out); isJSON && len(found) > 0 {
					t.Fatalf("markers %v reached the output:\n%s", found, out)
				}
			}
		}
	})
}
