package apigen

import (
	"os"
	"path"
	"strings"
	"testing"
)

// TestIdempotent: x-jaccount-idempotent overrides the method's default
// (GET, HEAD and DELETE idempotent, PUT, POST and PATCH not), and the
// generated call and doc comment carry it.
func TestIdempotent(t *testing.T) {
	t.Parallel()
	base, err := os.ReadFile("testdata/minimal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, method, mark string
		want, marked       bool
	}{
		{"GET", "get", "", true, false},
		{"GET marked false", "get", "false", false, true},
		{"DELETE", "delete", "", true, false},
		{"PUT", "put", "", false, false},
		{"POST", "post", "", false, false},
		{"PATCH", "patch", "", false, false},
		{"PUT marked true", "put", "true", true, true},
		{"POST marked false", "post", "false", false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			spec := strings.Replace(string(base), "    get:\n", "    "+tc.method+":\n", 1)
			if tc.mark != "" {
				spec = strings.Replace(spec, "      x-jaccount-entities: single\n", "      x-jaccount-entities: single\n      x-jaccount-idempotent: "+tc.mark+"\n", 1)
			}
			a, err := Load([]byte(spec))
			if err != nil {
				t.Fatal(err)
			}
			op := a.Ops[0]
			if op.Idempotent != tc.want || op.IdempotentMarked != tc.marked {
				t.Fatalf("Idempotent %v, marked %v; want %v, %v", op.Idempotent, op.IdempotentMarked, tc.want, tc.marked)
			}
			files, err := Render(a)
			if err != nil {
				t.Fatal(err)
			}
			ops, table := string(files["api/operations.gen.go"]), string(files["api/retry.gen.go"])
			want, doc := "idempotent, ", false
			if !tc.want {
				want, doc = "notIdempotent, ", true
			}
			if !strings.Contains(ops, ", "+want+`"/v1/things/"`) || !strings.Contains(table, `"/v1/things/{id}", `+strings.TrimSuffix(want, ", ")+"}") {
				t.Errorf("the call or the table lacks %q:\n%s\n%s", want, ops, table)
			}
			if strings.Contains(ops, "ErrOutcomeUnknown") != doc {
				t.Errorf("the doc comment names ErrOutcomeUnknown: %v, want %v", !doc, doc)
			}
		})
	}
}

// TestRealSpecMarksWrites: every write of the open API states its
// idempotency, with a paragraph that says why and cites its documentation
// page.
func TestRealSpecMarksWrites(t *testing.T) {
	t.Parallel()
	a := loadFile(t, "../../openapi/jaccount.yaml")
	writes := 0
	for _, op := range a.Ops {
		if op.Method == "GET" || op.Method == "DELETE" {
			continue
		}
		writes++
		_, para, _ := strings.Cut(op.Description, "(x-jaccount-idempotent)")
		page := path.Base(op.DocURL)
		if !op.IdempotentMarked || para == "" || !strings.Contains(para, page) {
			t.Errorf("%s %s (%s): marked %v, paragraph %q does not cite %s", op.Method, op.Path, op.ID, op.IdempotentMarked, para, page)
		}
		if op.Idempotent {
			t.Logf("%s %s (%s) is idempotent", op.Method, op.Path, op.ID)
		}
	}
	if writes < 21 {
		t.Errorf("%d writes, want the 21 PUTs and POSTs the spec has", writes)
	}
}
