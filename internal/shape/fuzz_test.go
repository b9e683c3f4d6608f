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

// FuzzParse: Parse never panics, and a report it accepts checks and reads
// back as it is written.
func FuzzParse(f *testing.F) {
	sp := realSpec(f)
	op := Operation{ID: "getMyProfile", Method: "GET", Path: "/v1/me/profile"}
	sp.Observe(&op, 200, "application/json", sp.Ops["getMyProfile"].Example)
	r := &Report{Format: FormatVersion, Tool: "jaccount (devel)", Date: "2026-12-07", Spec: sp.Version, Operations: []Operation{op}}
	b, err := r.Marshal()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(`{"format":1,"tool":"t","date":"2026-12-07","spec":"3.0.0","operations":[{"id":"getMyProfile","method":"GET","path":"/v1/me/profile","members":[{"path":"[].*","types":["null"]}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := sp.Parse(data)
		if err != nil {
			return
		}
		if err := sp.Check(r); err != nil {
			t.Fatalf("Parse accepted a report that does not check: %v", err)
		}
		out, err := r.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		back, err := sp.Parse(out)
		if err != nil {
			t.Fatalf("a parsed report does not read back: %v\n%s", err, out)
		}
		if again, _ := back.Marshal(); !bytes.Equal(out, again) {
			t.Fatalf("reads back differently:\n%s\n%s", out, again)
		}
		_ = Lines(sp.Diff(r))
	})
}
