package apigen

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	shapes "github.com/oauth-jaccount/jaccount-go/internal/shape"
)

// report builds a report of one reply per operation, as a survey would.
func report(t *testing.T, spec []byte, fake bool, replies map[string]string) []byte {
	t.Helper()
	sp, err := shapes.ParseSpec(spec)
	if err != nil {
		t.Fatal(err)
	}
	r := &shapes.Report{Format: shapes.FormatVersion, Tool: "jaccount v9.9.9", Date: "2026-12-07", Spec: sp.Version, Fake: fake}
	for _, id := range sp.IDs {
		body, ok := replies[id]
		if !ok {
			continue
		}
		so := sp.Ops[id]
		op := shapes.Operation{ID: id, Method: so.Method, Path: so.Path}
		sp.Observe(&op, 200, "application/json", []byte(body))
		r.Operations = append(r.Operations, op)
	}
	b, err := r.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func realSpecText(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("../../openapi/jaccount.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestMergeMembers: members a model lacks are added (a nested object as a
// model of its own, a date with its unit), each with its evidence; what
// contradicts the spec is listed, not applied; every other line of the spec
// stays as it was, comments included.
func TestMergeMembers(t *testing.T) {
	t.Parallel()
	spec := realSpecText(t)
	rep := report(t, spec, false, map[string]string{
		"getMyProfile": `{"errno":0,"error":"success","total":0,"entities":[{"id":"A0000000-1111-2222-3333-012345678901",
			"nickName":"x","identities":[{"createDate":1725120000000,"graduationInfo":{"day":"2026-06-30","honours":true}}],
			"scores":{"20240901":1},"birthday":"1990-01-01"}]}`,
		"listMyCardTransactions": `{"errno":0,"error":"success","total":1,"entities":[{"dateTime":1725120000,"merchantNo":7,"channelCode":"0042"}]}`,
	})
	m, err := Merge(spec, rep, false)
	if err != nil {
		t.Fatal(err)
	}
	out := string(m.Spec)
	added := strings.Join(m.Added, "\n")
	for _, want := range []string{
		"Profile.nickName (string: text), seen in getMyProfile",
		"schema IdentityGraduationInfo",
		"Identity.graduationInfo (object), seen in getMyProfile",
		"Profile.scores (object), seen in getMyProfile", // keyed by data: a free-form object
		"CardTransaction.channelCode (string: digits), seen in listMyCardTransactions",
	} {
		if !strings.Contains(added, want) {
			t.Errorf("added lacks %q:\n%s", want, added)
		}
	}
	notApplied := strings.Join(m.NotApplied, "\n")
	for _, want := range []string{
		"Identity (identities[].createDate): the spec's unit is epoch-seconds, seen epoch-millis: not applied",
		"CardTransaction (dateTime): the spec's unit is epoch-millis, seen epoch-seconds: not applied",
		"CardTransaction (merchantNo): the spec says string, seen integer: not applied",
		"IdentityGraduationInfo: members keyed by data (text): not modelled; they stay in AdditionalProperties",
		"Birthday (birthday): the spec says integer or object, seen string: not applied",
	} {
		if !strings.Contains(notApplied, want) {
			t.Errorf("not applied lacks %q:\n%s", want, notApplied)
		}
	}
	for _, want := range []string{
		"        nickName:\n          type: string\n          description: \"Seen in a shape report of 2026-12-07 (string: text).\"\n" +
			"          x-jaccount-evidence: {report: \"2026-12-07\", tool: \"jaccount v9.9.9\", operations: [getMyProfile]}\n",
		"        day:\n          type: string\n          x-jaccount-time: date\n",
		"        graduationInfo:\n          $ref: \"#/components/schemas/IdentityGraduationInfo\"\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the spec lacks\n%s", want)
		}
	}
	if removed := removedLines(string(spec), out); removed != 0 {
		t.Errorf("%d lines of the spec changed or went", removed)
	}
	if strings.Count(out, "\n  #") != strings.Count(string(spec), "\n  #") {
		t.Error("comments were lost")
	}
	if _, err := Load(m.Spec); err != nil {
		t.Fatal(err)
	}
	// Merging the same report again adds nothing.
	again, err := Merge(m.Spec, rep, false)
	if err != nil || len(again.Added) != 0 || string(again.Spec) != out {
		t.Errorf("a second merge: %v, added %q", err, again.Added)
	}
}

// TestMergeRaw: a model kept as raw JSON gets the members seen, its
// description says so, and its operation's empty example gets an entity of
// placeholders (never a value of the reply), which validates.
func TestMergeRaw(t *testing.T) {
	t.Parallel()
	spec := realSpecText(t)
	rep := report(t, spec, false, map[string]string{
		"getMyGPA": `{"errno":0,"error":"success","total":0,"entities":[{"gpa":3.92,"rank":"12/300","updated":"2026-02-01 10:00:00","semesters":[{"name":"2025-2026-1","gpa":3.8}]}]}`,
	})
	m, err := Merge(spec, rep, false)
	if err != nil {
		t.Fatal(err)
	}
	out := string(m.Spec)
	if !strings.Contains(strings.Join(m.Added, "\n"), "GPA: 3 members (no longer raw JSON)") {
		t.Errorf("added: %q", m.Added)
	}
	for _, want := range []string{
		"the members a shape report\n        of 2026-12-07 showed are modelled (x-jaccount-evidence)",
		`example: {"errno":0,"error":"success","total":0,"entities":[{"rank":"TEXT","semesters":[{"name":"TEXT"}],"updated":"2000-01-01 00:00:00"}]}`,
		"x-jaccount-time: date-time",
		"schema GPASemester",
	} {
		if !strings.Contains(out+strings.Join(m.Added, "\n"), want) {
			t.Errorf("the spec lacks %q", want)
		}
	}
	for _, value := range []string{"3.92", "12/300", "2026-02-01", "2025-2026-1"} {
		if strings.Contains(out, value) {
			t.Errorf("a value of the reply, %q, is in the spec", value)
		}
	}
	if removed := removedLines(string(spec), out); removed != 3 {
		t.Errorf("%d lines changed, want the description's two and the example", removed)
	}
	if _, err := Load(m.Spec); err != nil {
		t.Fatal(err)
	}
}

// TestMergeEntities: an operation the spec says answers no entity, seen
// answering some, gets a model named after it, its envelope, and
// x-jaccount-entities: list.
func TestMergeEntities(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("testdata/minimal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	spec := strings.NewReplacer("operationId: getThing", "operationId: getGadget",
		"x-jaccount-entities: single", "x-jaccount-entities: none",
		`schema: {$ref: "#/components/schemas/ThingList"}`, `schema: {$ref: "#/components/schemas/Envelope"}`,
		`"entities": [{"name": "a"}]}`, `"entities": []}`).Replace(string(b))
	if _, err := Load([]byte(spec)); err != nil {
		t.Fatal(err)
	}
	rep := report(t, []byte(spec), false, map[string]string{"getGadget": `{"errno":0,"error":"success","entities":[{"size":3}]}`})
	m, err := Merge([]byte(spec), rep, false)
	if err != nil {
		t.Fatal(err)
	}
	a, err := Load(m.Spec)
	if err != nil {
		t.Fatal(err)
	}
	if op := a.Ops[0]; op.Entities != EntityList || op.Entity != "Gadget" {
		t.Errorf("getGadget: entities %s of %s:\n%s", op.Entities, op.Entity, m.Spec)
	}
}

// TestMergeRefuses: a report of the fake is not evidence unless allowed; a
// report that does not check is refused whole; the loader refuses
// evidence that does not say where it came from.
func TestMergeRefuses(t *testing.T) {
	t.Parallel()
	spec := realSpecText(t)
	fake := report(t, spec, true, map[string]string{"getMyGPA": `{"errno":0,"entities":[{"rank":"1"}]}`})
	if _, err := Merge(spec, fake, false); !errors.Is(err, ErrFakeReport) {
		t.Errorf("a fake report: %v", err)
	}
	m, err := Merge(spec, fake, true)
	if err != nil || !strings.Contains(string(m.Spec), "fake: true}") {
		t.Errorf("a fake report, allowed: %v", err)
	}
	bad := strings.Replace(string(report(t, spec, false, map[string]string{"getMyGPA": `{"errno":0,"entities":[{"rank":"1"}]}`})),
		`"path": "rank"`, `"path": "zhangsan"`, 1)
	if _, err := Merge(spec, []byte(bad), false); err == nil || !strings.Contains(err.Error(), "does not check") {
		t.Errorf("a report holding a value: %v", err)
	}
	for _, ev := range []string{`{report: "2026-12-07", tool: t}`, `{report: today, tool: t, operations: [getMyGPA]}`,
		`{report: "2026-12-07", tool: t, operations: [getNothing]}`, `{report: "2026-12-07", tool: t, operations: [getMyGPA], value: 1}`} {
		s := strings.Replace(string(spec), "    GPA:\n      type: object\n", "    GPA:\n      type: object\n      x-jaccount-evidence: "+ev+"\n", 1)
		if _, err := Load([]byte(s)); err == nil || !strings.Contains(err.Error(), "x-jaccount-evidence") {
			t.Errorf("evidence %s: %v", ev, err)
		}
	}
}

// TestRealSpecEvidence: no evidence in the spec comes from the fake.
func TestRealSpecEvidence(t *testing.T) {
	t.Parallel()
	if strings.Contains(string(realSpecText(t)), "fake: true") {
		t.Error("the spec holds evidence of a report of the fake (apigen merge -fake is for tests)")
	}
}

// RemovedLines is removedLines, for the external tests (merge_e2e_test.go).
var RemovedLines = removedLines

// AddedLines are the lines a line diff adds to old to make new, each after
// its line number in new, with "..." between runs.
func AddedLines(old, new string) []string {
	x, y := strings.Split(old, "\n"), strings.Split(new, "\n")
	var out []string
	last := -2
	for _, e := range diffLines(x, y) {
		if e.op != '+' {
			continue
		}
		if e.b != last+1 && last >= 0 {
			out = append(out, "...")
		}
		out = append(out, fmt.Sprintf("%5d %s", e.b+1, y[e.b]))
		last = e.b
	}
	return out
}

// removedLines counts the lines of old that new lacks (a line diff's
// deletions, by multiset).
func removedLines(old, new string) int {
	have := map[string]int{}
	for _, l := range strings.Split(new, "\n") {
		have[l]++
	}
	n := 0
	for _, l := range strings.Split(old, "\n") {
		if have[l] > 0 {
			have[l]--
		} else {
			n++
		}
	}
	return n
}

// TestDiffLines: the edit script turns x into y, keeping every line it can.
func TestDiffLines(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ x, y string }{
		{"", ""}, {"a", ""}, {"", "a"}, {"a b c", "a b c"}, {"a b c", "a x b c y"}, {"a b c d", "b d"},
		{"a a a", "a b a b a"}, {"x y z", "p q"},
	} {
		x, y := strings.Fields(tc.x), strings.Fields(tc.y)
		var got []string
		kept := 0
		for _, e := range diffLines(x, y) {
			switch e.op {
			case '=':
				if x[e.a] != y[e.b] {
					t.Fatalf("%q → %q: = pairs %q with %q", tc.x, tc.y, x[e.a], y[e.b])
				}
				got = append(got, x[e.a])
				kept++
			case '+':
				got = append(got, y[e.b])
			}
		}
		if strings.Join(got, " ") != strings.Join(y, " ") || kept != lcs(x, y) {
			t.Errorf("%q → %q: %q, kept %d of %d", tc.x, tc.y, got, kept, lcs(x, y))
		}
	}
}

func lcs(x, y []string) int {
	d := make([][]int, len(x)+1)
	for i := range d {
		d[i] = make([]int, len(y)+1)
	}
	for i := len(x) - 1; i >= 0; i-- {
		for j := len(y) - 1; j >= 0; j-- {
			if x[i] == y[j] {
				d[i][j] = d[i+1][j+1] + 1
			} else {
				d[i][j] = max(d[i+1][j], d[i][j+1])
			}
		}
	}
	return d[0][0]
}

// TestMergeVerifies: the check that nothing of the old spec went catches a
// lost member and a changed value, and lets the replaced scalars be.
func TestMergeVerifies(t *testing.T) {
	t.Parallel()
	m := &merger{replaced: map[string]bool{"a/desc": true}}
	old := map[string]any{"a": map[string]any{"desc": "x", "list": []any{1, 2}, "k": "v"}}
	for _, tc := range []struct {
		new  any
		want string
	}{
		{map[string]any{"a": map[string]any{"desc": "y", "list": []any{1, 2}, "k": "v", "more": 1}}, ""},
		{map[string]any{"a": map[string]any{"desc": "x", "list": []any{1}, "k": "v"}}, "/a/list"},
		{map[string]any{"a": map[string]any{"desc": "x", "list": []any{1, 2}}}, "/a/k"},
		{map[string]any{"a": map[string]any{"list": []any{1, 3}, "k": "v"}}, "/a/list/1"},
	} {
		if path, _ := m.contains(old, tc.new, ""); path != tc.want {
			t.Errorf("%v: %q, want %q", tc.new, path, tc.want)
		}
	}
}
