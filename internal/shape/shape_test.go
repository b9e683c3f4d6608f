package shape

import (
	"encoding/json"
	"os"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/oauth-jaccount/jaccount-go/internal/shape/shapetest"
)

var (
	specOnce sync.Once
	theSpec  *Spec
	specErr  error
)

// realSpec is openapi/jaccount.yaml, read once.
func realSpec(t testing.TB) *Spec {
	t.Helper()
	specOnce.Do(func() {
		var b []byte
		if b, specErr = os.ReadFile("../../openapi/jaccount.yaml"); specErr == nil {
			theSpec, specErr = ParseSpec(b)
		}
	})
	if specErr != nil {
		t.Fatal(specErr)
	}
	return theSpec
}

func TestStringFormat(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"2024-09-01", "date"},
		{"2024-02-30", "text"}, // not a day
		{"20240901", "compact-date"},
		{"20241301", "digits"}, // no thirteenth month
		{"12345678", "digits"},
		{"2024-09-01 08:00:05", "date-time"},
		{"2024-09-01T08:00:05+08:00", "date-time"},
		{"08:30", "time"},
		{"A0000000-1111-2222-3333-012345678901", "uuid"},
		{"https://api.sjtu.edu.cn/v1/file/x", "url"},
		{"http://x", "url"},
		{"ftp://x", "text"},
		{"someone@sjtu.edu.cn", "email"},
		{"522031910000", "digits"},
		{"-3.5", "decimal"},
		{"86.50", "decimal"},
		{"0a1b2c3d4e5f", "hex"},
		{"deadbeef", "hex"},
		{"电院21D099", "text"},
		{"zhangsan", "text"},
	} {
		if got := names(stringFormat(tc.in), FormatNames); !slices.Equal(got, []string{tc.want}) {
			t.Errorf("stringFormat(%q) = %v, want %s", tc.in, got, tc.want)
		}
	}
	for _, tc := range []struct {
		in, typ, format string
	}{
		{"0", "integer", ""},
		{"-0", "integer", ""},
		{"17", "integer", "other"},
		{"-17", "integer", "other"},
		{"1659492695", "integer", "epoch-seconds"},
		{"1725120000000", "integer", "epoch-millis"},
		{"16470000000", "integer", "other"}, // eleven digits: neither
		{"86.5", "number", ""},
		{"1e3", "number", ""},
	} {
		typ, f := numberFormat(json.Number(tc.in))
		if got := names(typ, TypeNames); got[0] != tc.typ || strings.Join(names(f, FormatNames), "") != tc.format {
			t.Errorf("numberFormat(%s) = %v %v, want %s %s", tc.in, got, names(f, FormatNames), tc.typ, tc.format)
		}
	}
}

// TestObserve: entities merge into one shape, arrays into one element,
// data keys into the placeholder, and formats come from non-empty,
// non-zero values only.
func TestObserve(t *testing.T) {
	t.Parallel()
	sp := realSpec(t)
	op := Operation{ID: "getMyProfile", Method: "GET", Path: "/v1/me/profile"}
	body := `{"errno":0,"error":"success","total":0,"future":1,"entities":[
		{"id":"A0000000-1111-2222-3333-012345678901","code":"","balance":0,"scores":{"2024-2025-1":{"score":3.5},"20240901":{"score":4}},
		 "identities":[{"createDate":1659492695},{"createDate":null,"photoUrl":"https://x.example/p.png"}]},
		{"id":"B0000000-1111-2222-3333-012345678901","code":"522031910000","tags":[]}]}`
	sp.Observe(&op, 200, "application/json;charset=UTF-8", []byte(body))
	want := []Member{
		{Path: "balance", Types: []string{"integer"}},
		{Path: "code", Types: []string{"string"}, Formats: []string{"digits"}},
		{Path: "id", Types: []string{"string"}, Formats: []string{"uuid"}},
		{Path: "identities", Types: []string{"array"}},
		{Path: "identities[]", Types: []string{"object"}},
		{Path: "identities[].createDate", Types: []string{"integer", "null"}, Formats: []string{"epoch-seconds"}},
		{Path: "identities[].photoUrl", Types: []string{"string"}, Formats: []string{"url"}},
		{Path: "scores", Types: []string{"object"}, Keys: []string{"compact-date", "text"}},
		{Path: "scores.*", Types: []string{"object"}},
		{Path: "scores.*.score", Types: []string{"integer", "number"}, Formats: []string{"other"}},
		{Path: "tags", Types: []string{"array"}},
	}
	if !reflect.DeepEqual(op.Members, want) {
		got, _ := json.MarshalIndent(op.Members, "", " ")
		t.Errorf("members:\n%s", got)
	}
	if op.Status != 200 || op.ContentType != "application/json" || *op.Errno != 0 || op.Message != "success" ||
		!slices.Equal(op.Envelope["*"], []string{"integer"}) || !slices.Equal(op.Entity, []string{"object"}) {
		t.Errorf("reply: %+v", op.Reply)
	}
	r := &Report{Format: FormatVersion, Tool: "test", Date: "2026-12-07", Spec: "3.0.0", Operations: []Operation{op}}
	if err := sp.Check(r); err != nil {
		t.Fatal(err)
	}
}

// TestObserveFailures: a refusal keeps the errno and the known message,
// never the detail; an HTML page is not JSON; a message the spec does not
// know is "other".
func TestObserveFailures(t *testing.T) {
	t.Parallel()
	sp := realSpec(t)
	for _, tc := range []struct {
		body, ctype string
		check       func(*Reply) bool
	}{
		{`{"errno":10001,"error":"BAD_PARAMETERS\n\nMORE_INFORMATION:account zhangsan is required","total":0}`, "application/json",
			func(r *Reply) bool { return *r.Errno == 10001 && r.Message == "BAD_PARAMETERS" && r.Detail }},
		{`{"errno":10002,"error":"Authentication Failed","total":0}`, "application/json",
			func(r *Reply) bool { return *r.Errno == 10002 && r.Message == "Authentication Failed" && !r.Detail }},
		{`{"errno":99,"error":"zhangsan is not allowed"}`, "application/json",
			func(r *Reply) bool { return *r.Errno == 99 && r.Message == "other" }},
		{`<html>502 Bad Gateway</html>`, "text/html; charset=utf-8",
			func(r *Reply) bool { return r.NotJSON && r.ContentType == "text/html" && r.Errno == nil }},
		{`["a"]`, "application/json; x=\"zhangsan\"",
			func(r *Reply) bool {
				return slices.Equal(r.Top, []string{"array"}) && r.ContentType == "application/json"
			}},
		{`{"errno":"0"}`, "zhangsan/\u4e00",
			func(r *Reply) bool { return r.Errno == nil && r.ContentType == "other" }},
	} {
		op := Operation{ID: "getMyProfile", Method: "GET", Path: "/v1/me/profile"}
		sp.Observe(&op, 403, tc.ctype, []byte(tc.body))
		out, _ := json.Marshal(op)
		if !tc.check(op.Reply) || strings.Contains(string(out), "zhangsan") {
			t.Errorf("%s: %s", tc.body, out)
		}
	}
}

// TestMarkersNeverReported plants a marker in every value of every
// example of the spec and finds none in the reports or the differences.
func TestMarkersNeverReported(t *testing.T) {
	t.Parallel()
	sp := realSpec(t)
	var m shapetest.Marker
	r := &Report{Format: FormatVersion, Tool: "test", Date: "2026-12-07", Spec: sp.Version}
	for _, id := range sp.IDs {
		so := sp.Ops[id]
		if so.Example == nil {
			continue
		}
		body, ok := m.Plant(so.Example)
		if !ok {
			t.Fatalf("%s: the example is not JSON", id)
		}
		op := Operation{ID: id, Method: so.Method, Path: so.Path}
		sp.Observe(&op, 200, "application/json", body)
		r.Operations = append(r.Operations, op)
	}
	out := reportText(t, sp, r)
	if found := m.Found(out); len(found) > 0 || len(m.Planted()) < 100 {
		t.Fatalf("%d markers planted, %d found: %v", len(m.Planted()), len(found), found)
	}
	t.Logf("%d markers planted in %d operations' examples, 0 found", len(m.Planted()), len(r.Operations))
}

// reportText is the report as the survey writes it, and the differences
// it prints; the report must check.
func reportText(t testing.TB, sp *Spec, r *Report) []byte {
	t.Helper()
	if err := sp.Check(r); err != nil {
		t.Fatal(err)
	}
	out, err := r.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range Lines(sp.Diff(r)) {
		out = append(out, l+"\n"...)
	}
	return out
}
