package apigen_test

import (
	"bytes"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/oauth-jaccount/jaccount-go/internal/apigen"
	"github.com/oauth-jaccount/jaccount-go/jaccounttest"
)

// TestMergeEndToEnd is the loop a user and a maintainer close together:
// the fake serves listEnterpriseDepartments a shape the spec does not model
// (it keeps Department as raw JSON); the jaccount command, logged in as the
// application, surveys it and writes a report; apigen merge writes the
// report into the spec of a copy of the module; go generate gives
// Department its fields; and a test in the copy reads them through the
// typed method and encodes each entity back to the JSON it came from.
func TestMergeEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the jaccount command and a copy of the module; skipped in -short mode")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	reply, err := os.ReadFile(filepath.Join("testdata", "merge", "departments.json"))
	if err != nil {
		t.Fatal(err)
	}
	fake := jaccounttest.New(t, jaccounttest.WithReplyFilter(func(op string, status int, body []byte) []byte {
		if op == "listEnterpriseDepartments" && status == http.StatusOK {
			return reply
		}
		return body
	}))

	root, tmp := moduleRoot(t), t.TempDir()
	bin := filepath.Join(tmp, "jaccount")
	run(t, filepath.Join(root, "cmd", "jaccount"), "build", "-o", bin, ".")
	jaccount := func(args ...string) string {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "JACCOUNT_CLIENT_ID="+fake.ClientID(), "JACCOUNT_CLIENT_SECRET="+fake.ClientSecret(),
			"JACCOUNT_URL="+fake.URL, "JACCOUNT_API_URL="+fake.APIURL(), "JACCOUNT_DATA_URL="+fake.DataURL(),
			"JACCOUNT_CONFIG_DIR="+filepath.Join(tmp, "config"))
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			t.Fatalf("jaccount %s: %v\n%s", strings.Join(args, " "), err, out.String())
		}
		return out.String()
	}
	jaccount("login", "--client-credentials")
	report := filepath.Join(tmp, "report.json")
	out := jaccount("survey", "--output", report)
	t.Logf("jaccount survey --output report.json:\n%s", out)

	mod := filepath.Join(tmp, "module")
	copyModule(t, root, mod)
	out = run(t, mod, "run", "./internal/apigen/cmd/apigen", "merge", report)
	t.Logf("apigen merge report.json:\n%s", out)
	spec, _ := os.ReadFile(filepath.Join(mod, "openapi", "jaccount.yaml"))
	orig, _ := os.ReadFile(filepath.Join(root, "openapi", "jaccount.yaml"))
	if removed := apigen.RemovedLines(string(orig), string(spec)); removed > 3 {
		t.Errorf("the merge changed or removed %d lines of the spec, more than Department's description and the example", removed)
	}
	t.Logf("the lines the merge wrote (%d lines changed or removed):\n%s", apigen.RemovedLines(string(orig), string(spec)),
		strings.Join(apigen.AddedLines(string(orig), string(spec)), "\n"))

	run(t, mod, "generate", "./...")
	models, err := os.ReadFile(filepath.Join(mod, "gen", "models.gen.go"))
	if err != nil {
		t.Fatal(err)
	}
	for _, typ := range []string{"Department", "DepartmentManager"} {
		m := regexp.MustCompile(`(?s)\ntype ` + typ + ` struct \{.*?\n\}\n`).Find(models)
		if m == nil {
			t.Fatalf("gen/models.gen.go has no struct %s", typ)
		}
		t.Logf("the new typed fields:%s", m)
	}
	dir := filepath.Join(mod, "mergetest")
	copyFile(t, filepath.Join("testdata", "merge", "departments_test.go"), filepath.Join(dir, "departments_test.go"))
	copyFile(t, filepath.Join("testdata", "merge", "departments.json"), filepath.Join(dir, "departments.json"))
	out = run(t, mod, "test", "-count=1", "-v", "./mergetest/")
	t.Logf("go test -v ./mergetest/ in the copy:\n%s", out)
}
