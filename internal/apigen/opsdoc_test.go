package apigen

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

var update = flag.Bool("update", false, "rewrite the tables of operations in docs/operations.md")

// The tables are the region of opsDoc between these markers.
const (
	opsDoc        = "../../docs/operations.md"
	familiesStart = "<!-- operations:start (go test ./internal/apigen -run TestOperationsDoc -update) -->"
	familiesEnd   = "<!-- operations:end -->"
)

// shape says what the tables tell of an operation's reply: a modelled
// entity (documented or shown by real clients), a free-form one kept as raw
// JSON, nothing of use, or a file.
func shape(doc *openapi3.T, op *Op) string {
	switch op.Entities {
	case EntityNone:
		return "— (envelope only)"
	case EntityRaw:
		return "file/image (`api.Blob`)"
	}
	s := doc.Components.Schemas[op.Entity]
	if s != nil && s.Value != nil && len(s.Value.Properties) > 0 {
		return "yes: `" + op.Entity + "`"
	}
	return "no: `" + op.Entity + "` (raw JSON)"
}

// access is what the tables say of who may call an operation, when it is
// not any application with a token: no token needed (the empty security
// requirement), or one application only (x-jaccount-only-app).
func access(op *Op) string {
	switch {
	case op.Anonymous:
		return " (no token needed)"
	case op.OnlyApp != "":
		return " (" + op.OnlyApp + " only)"
	}
	return ""
}

// operationsTable renders the tables of the open API at
// api.sjtu.edu.cn: one per family (tag), each operation with its Go method
// and whether its shape is documented.
func operationsTable(doc *openapi3.T, a *API) string {
	var b strings.Builder
	var shaped, total, families int
	for _, s := range a.Services {
		if s.Server != nil && !s.Server.Default {
			continue // the data resources have their own tables
		}
		families++
		fmt.Fprintf(&b, "\n**%s** — %s\n\n| operation | method | documented shape |\n|---|---|---|\n", s.Tag, s.Doc)
		for _, op := range s.Ops {
			sh := shape(doc, op)
			if strings.HasPrefix(sh, "yes") {
				shaped++
			}
			total++
			fmt.Fprintf(&b, "| `%s %s`%s | `%s.%s` | %s |\n", op.Method, op.Path, access(op), s.Name, op.Name, sh)
		}
	}
	return fmt.Sprintf("%d operations in %d families on `https://api.sjtu.edu.cn`; %d with a documented (modelled) shape.\n",
		total, families, shaped) + b.String()
}

// TestOperationsDoc checks the tables of operations in docs/operations.md
// against the spec; -update rewrites them.
func TestOperationsDoc(t *testing.T) {
	spec, err := os.ReadFile("../../openapi/jaccount.yaml")
	if err != nil {
		t.Fatal(err)
	}
	a, err := Load(spec)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := openapi3.NewLoader().LoadFromData(spec)
	if err != nil {
		t.Fatal(err)
	}
	table := operationsTable(doc, a)
	file, err := os.ReadFile(opsDoc)
	if err != nil {
		t.Fatal(err)
	}
	before, rest, ok1 := strings.Cut(string(file), familiesStart)
	_, after, ok2 := strings.Cut(rest, familiesEnd)
	if !ok1 || !ok2 {
		t.Fatalf("%s lacks the markers %q and %q", opsDoc, familiesStart, familiesEnd)
	}
	want := before + familiesStart + "\n" + table + "\n" + familiesEnd + after
	if want == string(file) {
		t.Log(strings.SplitN(table, "\n", 2)[0])
		return
	}
	if !*update {
		t.Fatalf("the tables of operations in %s are not current; run go test ./internal/apigen -run TestOperationsDoc -update", opsDoc)
	}
	if err := os.WriteFile(opsDoc, []byte(want), 0o644); err != nil {
		t.Fatal(err)
	}
}
