package apigen_test

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// moduleRoot is the root of this module, two levels up.
func moduleRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// copyModule copies what the SDK's packages need to build and generate —
// go.mod, go.sum, the root package and the directories listed — into dst,
// leaving out tests and test data.
func copyModule(t *testing.T, root, dst string) {
	t.Helper()
	for _, f := range []string{"go.mod", "go.sum", "generate.go"} {
		copyFile(t, filepath.Join(root, f), filepath.Join(dst, f))
	}
	for _, dir := range []string{"api", "auth", "gen", "internal", "jaccounttest", "openapi"} {
		err := filepath.WalkDir(filepath.Join(root, dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && d.Name() == "testdata" {
				return filepath.SkipDir
			}
			if d.IsDir() || strings.HasSuffix(path, "_test.go") {
				return nil
			}
			rel, _ := filepath.Rel(root, path)
			copyFile(t, path, filepath.Join(dst, rel))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// insertAfter inserts text after the first line equal to line.
func insertAfter(t *testing.T, s, line, text string) string {
	t.Helper()
	i := strings.Index(s, "\n"+line+"\n")
	if i < 0 {
		t.Fatalf("the spec has no line %q", line)
	}
	i += len(line) + 2
	return s[:i] + text + s[i:]
}

// run runs a go command in dir, offline, and returns its combined output.
func run(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOPROXY=off", "GOFLAGS=-mod=readonly", "GOWORK=off")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out.String())
	}
	return out.String()
}

// TestNewOperationEndToEnd is the promise of the generator: adding an
// endpoint is a YAML edit and go generate. It copies the module, adds to the
// spec an operation it has never seen (GET /v1/test/notes, with its
// example) and test-only operations for the generator's other features,
// runs go generate, and runs a test that calls the new typed methods against
// the fake — which serves the examples — with no hand-written line of SDK
// code.
func TestNewOperationEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a copy of the module; skipped in -short mode")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	root, tmp := moduleRoot(t), t.TempDir()
	copyModule(t, root, tmp)

	specPath := filepath.Join(tmp, "openapi", "jaccount.yaml")
	spec, err := os.ReadFile(specPath)
	if err != nil {
		t.Fatal(err)
	}
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join("testdata", "e2e", name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	s := insertAfter(t, string(spec), "tags:", read("tags.yaml"))
	s = strings.Replace(s, "\ncomponents:\n", "\n"+read("paths.yaml")+"components:\n", 1)
	s = insertAfter(t, s, "  schemas:", read("schemas.yaml"))
	if err := os.WriteFile(specPath, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(spec), "/v1/test/notes") {
		t.Fatal("the spec already has /v1/test/notes: pick an operation it has never seen")
	}

	run(t, tmp, "generate", "./...")
	gen, _ := filepath.Glob(filepath.Join(tmp, "api", "*.gen.go"))
	t.Logf("go generate ./... wrote %d files in api/", len(gen))
	ops, err := os.ReadFile(filepath.Join(tmp, "api", "operations.gen.go"))
	for _, sig := range []string{
		"func (s *NotesService) List(ctx context.Context, p NotesListParams, opts ...CallOption) (*List[Note], error)",
		"func (s *NotesService) ListIter(ctx context.Context, p NotesListParams, opts ...CallOption) iter.Seq2[Note, error]",
	} {
		if err != nil || !bytes.Contains(ops, []byte(sig)) {
			t.Fatalf("api/operations.gen.go lacks %s (%v)", sig, err)
		}
		t.Logf("generated: %s", sig)
	}

	if dir := os.Getenv("APIGEN_E2E_KEEP"); dir != "" { // to read what was generated
		copyFile(t, filepath.Join(tmp, "api", "operations.gen.go"), filepath.Join(dir, "operations.gen.go"))
	}
	copyFile(t, filepath.Join("testdata", "e2e", "newop_test.go"), filepath.Join(tmp, "newop", "newop_test.go"))
	out := run(t, tmp, "test", "-count=1", "-v", "./newop/")
	t.Logf("go test -v ./newop/ in the copy:\n%s", out)
}
