package shape

import (
	"slices"
	"strings"
	"testing"
)

// TestDiff: each kind of difference, from a report of two operations.
func TestDiff(t *testing.T) {
	t.Parallel()
	sp := realSpec(t)
	r := &Report{Format: FormatVersion, Tool: "test", Date: "2026-12-07", Spec: sp.Version}
	for _, c := range []struct{ id, body string }{
		{"listMyCardTransactions", `{"errno":0,"error":"success","total":1,"extra":true,"entities":[
			{"dateTime":1725120000,"amount":"12.5","merchant":null,"merchantNo":"0042","newField":{"a":"2024-09-01"},
			 "20240901":1}]}`},
		{"listEnterpriseDepartments", `{"errno":0,"error":"success","total":1,"entities":[{"organizeId":"03000","organizeName":"x","parentId":null}]}`},
		{"getMyGPA", `{"errno":0,"error":"success","total":0,"entities":[{}]}`},
		{"getMyCard", `{"errno":10010,"error":"AUTHENTICATION_SCOPE_FAILED","total":0,"junk":[1]}`},
		{"getFileMetaNope", ``},
	} {
		so := sp.Ops[c.id]
		if so == nil {
			continue
		}
		op := Operation{ID: c.id, Method: so.Method, Path: so.Path}
		sp.Observe(&op, 200, "application/json", []byte(c.body))
		r.Operations = append(r.Operations, op)
	}
	got := strings.Join(Lines(sp.Diff(r)), "\n")
	for _, want := range []string{
		"listMyCardTransactions: the envelope has member extra (boolean), which the spec lacks",
		"listMyCardTransactions: CardTransaction (amount): the spec says number, seen string",
		"listMyCardTransactions: CardTransaction (dateTime): the spec's unit is epoch-millis, seen epoch-seconds",
		"listMyCardTransactions: CardTransaction (merchant): the spec says string, seen null too",
		"listMyCardTransactions: CardTransaction (newField): the spec lacks member newField, seen as object",
		"listMyCardTransactions: CardTransaction (*): members keyed by data (compact-date), where the spec names its members",
		"listMyCardTransactions: CardTransaction: modelled members never seen: cardBalance, dateTimAccount, description, system",
		"listEnterpriseDepartments: Department: kept as raw JSON by the spec, and seen with 3 member paths: ready to model (apigen merge)",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the differences lack %q:\n%s", want, got)
		}
	}
	for _, not := range []string{"getMyGPA", "getMyCard", "merchantNo"} {
		if strings.Contains(got, not) {
			t.Errorf("the differences name %s:\n%s", not, got)
		}
	}
}

// TestCheckRejects: a report that holds anything but a report's
// vocabulary is refused, so that merge never copies a value into the spec.
func TestCheckRejects(t *testing.T) {
	t.Parallel()
	sp := realSpec(t)
	valid := func() *Report {
		errno := int64(0)
		return &Report{Format: FormatVersion, Tool: "jaccount v1.0.0", Date: "2026-12-07", Spec: "3.0.0",
			Login: &Login{Grant: "authorization_code", Scopes: []string{"basic"}},
			Operations: []Operation{{ID: "getMyProfile", Method: "GET", Path: "/v1/me/profile",
				Reply:  &Reply{Status: 200, Errno: &errno, Message: "success", Envelope: map[string][]string{"errno": {"integer"}}},
				Entity: []string{"object"}, Members: []Member{{Path: "identities[].photoUrl", Types: []string{"string"}, Formats: []string{"url"}}}}}}
	}
	if err := sp.Check(valid()); err != nil {
		t.Fatal(err)
	}
	for name, spoil := range map[string]func(*Report){
		"format":          func(r *Report) { r.Format = 2 },
		"date":            func(r *Report) { r.Date = "2026-13-01" },
		"tool":            func(r *Report) { r.Tool = "zhangsan\nlisi" },
		"grant":           func(r *Report) { r.Login.Grant = "password" },
		"scope":           func(r *Report) { r.Login.Scopes = []string{"zhangsan"} },
		"operation":       func(r *Report) { r.Operations[0].ID = "getSecret" },
		"path":            func(r *Report) { r.Operations[0].Path = "/v1/me/profile?account=zhangsan" },
		"twice":           func(r *Report) { r.Operations = append(r.Operations, r.Operations[0]) },
		"skipped":         func(r *Report) { r.Operations[0].Skipped = "zhangsan's card is 2023000001" },
		"failed":          func(r *Report) { r.Operations[0].Failed = "zhangsan" },
		"message":         func(r *Report) { r.Operations[0].Message = "hello zhangsan" },
		"content type":    func(r *Report) { r.Operations[0].ContentType = "text/zhang san" },
		"envelope member": func(r *Report) { r.Operations[0].Envelope["zhangsan"] = []string{"string"} },
		"member name":     func(r *Report) { r.Operations[0].Members[0].Path = "identities[].zhangsan" },
		"member digits":   func(r *Report) { r.Operations[0].Members[0].Path = "scores.20240901" },
		"member type":     func(r *Report) { r.Operations[0].Members[0].Types = []string{"张三"} },
		"no type":         func(r *Report) { r.Operations[0].Members[0].Types = nil },
		"member format":   func(r *Report) { r.Operations[0].Members[0].Formats = []string{"2023000001"} },
		"repeated path":   func(r *Report) { r.Operations[0].Members = append(r.Operations[0].Members, r.Operations[0].Members[0]) },
		"entity type":     func(r *Report) { r.Operations[0].Entity = []string{"zhangsan"} },
		"refresh member": func(r *Report) {
			r.Probes = &Probes{Refresh: &Refresh{Scope: "same", Members: map[string][]string{"zhangsan": {"string"}}}}
		},
		"refresh scope": func(r *Report) { r.Probes = &Probes{Refresh: &Refresh{Scope: "basic essential"}} },
		"refresh error": func(r *Report) { r.Probes = &Probes{Refresh: &Refresh{Scope: "same", Error: "token zhangsan revoked"}} },
		"status":        func(r *Report) { r.Operations[0].Status = 2023000001 },
		"sameAs itself": func(r *Report) { r.Operations[0].SameAs = "getMyProfile" },
		"sameAs and more": func(r *Report) {
			r.Operations = append(r.Operations, r.Operations[0])
			r.Operations[1].ID, r.Operations[1].SameAs = "getUserProfile", "getMyProfile"
		},
	} {
		r := valid()
		spoil(r)
		if err := sp.Check(r); err == nil {
			t.Errorf("%s: a spoilt report checks", name)
		}
	}
}

// TestReportRoundTrip: Marshal and Parse are inverse, and Parse refuses
// members a report does not have.
func TestReportRoundTrip(t *testing.T) {
	t.Parallel()
	sp := realSpec(t)
	op := Operation{ID: "getMyProfile", Method: "GET", Path: "/v1/me/profile"}
	sp.Observe(&op, 200, "application/json", sp.Ops["getMyProfile"].Example)
	yes := true
	r := &Report{Format: FormatVersion, Tool: "jaccount (devel)", Date: "2026-12-07", Spec: sp.Version, Fake: true,
		Login:  &Login{Grant: "authorization_code", Scopes: []string{"basic"}, ScopesAsked: true},
		Probes: &Probes{Refresh: &Refresh{Status: 200, RefreshTokenChanged: &yes, Scope: "same", Members: map[string][]string{"access_token": {"string"}}}},
		Operations: []Operation{op, {ID: "getUnicodePay", Method: "GET", Path: "/v1/unicode/pay",
			Skipped: SkipNotSurveyed + sp.Ops["getUnicodePay"].SurveyNever}}}
	b, err := r.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	back, err := sp.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if b2, _ := back.Marshal(); string(b2) != string(b) {
		t.Errorf("round trip:\n%s\n%s", b, b2)
	}
	if _, err := sp.Parse([]byte(strings.Replace(string(b), `"fake": true`, `"fake": true, "account": "zhangsan"`, 1))); err == nil {
		t.Error("Parse took an unknown member")
	}
}

// TestCompact: an operation whose entities have the shape of one before it
// says so (sameAs) instead of repeating it; the differences are the same.
func TestCompact(t *testing.T) {
	t.Parallel()
	sp := realSpec(t)
	r := &Report{Format: FormatVersion, Tool: "test", Date: "2026-12-07", Spec: sp.Version}
	for _, id := range []string{"listMyLessons", "getLesson", "listMyLessonsBySemester"} {
		so := sp.Ops[id]
		op := Operation{ID: id, Method: so.Method, Path: so.Path}
		body := `{"errno":0,"error":"success","total":1,"entities":[{"name":"x","extra2":1}]}`
		if id == "listMyLessonsBySemester" {
			body = `{"errno":0,"error":"success","total":1,"entities":[{"name":"x"}]}`
		}
		sp.Observe(&op, 200, "application/json", []byte(body))
		r.Operations = append(r.Operations, op)
	}
	before := Lines(sp.Diff(r))
	r.Compact()
	if r.Operations[1].SameAs != "listMyLessons" || r.Operations[1].Members != nil || r.Operations[2].SameAs != "" {
		t.Fatalf("compacted: %+v", r.Operations)
	}
	if err := sp.Check(r); err != nil {
		t.Fatal(err)
	}
	if after := Lines(sp.Diff(r)); !slices.Equal(before, after) {
		t.Errorf("differences before and after:\n%q\n%q", before, after)
	}
}
