package jaccount_test

import (
	"encoding/json"
	"flag"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// consumerDir is the scratch user of the SDK (see testdata/consumer/go.mod).
// It is outside the workspace on purpose: its go.mod and go.sum must show
// what a user's module pulls in, not what the workspace does.
const consumerDir = "testdata/consumer"

// workspaceModules returns the directories that go.work uses, slash-separated
// and relative to the repository root, without the root module itself.
func workspaceModules(t *testing.T) []string {
	t.Helper()
	out, err := exec.Command("go", "work", "edit", "-json").Output()
	if err != nil {
		t.Fatalf("go work edit -json: %v", err)
	}
	var work struct{ Use []struct{ DiskPath string } }
	if err := json.Unmarshal(out, &work); err != nil {
		t.Fatalf("go work edit -json: %v", err)
	}
	var dirs []string
	for _, u := range work.Use {
		if d := filepath.ToSlash(filepath.Clean(u.DiskPath)); d != "." {
			dirs = append(dirs, d)
		}
	}
	slices.Sort(dirs)
	return dirs
}

// nestedModules returns the directories below the root, slash-separated and
// sorted, that hold a go.mod, except inside testdata, vendor and hidden
// directories. Walking the tree also opens every file in it, so that the go
// command's test cache, which tracks the files a test opens, reruns this
// package's tests when anything the nested modules build from changes.
func nestedModules(t *testing.T) []string {
	t.Helper()
	var dirs []string
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != "." && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") ||
				name == "testdata" || name == "vendor") {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		f, err := os.Open(path) // recorded by the test cache; see above
		if err != nil {
			return err
		}
		_ = f.Close()
		if name == "go.mod" && filepath.Dir(path) != "." {
			dirs = append(dirs, filepath.ToSlash(filepath.Dir(path)))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(dirs)
	return dirs
}

// TestWorkspaceUsesEveryModule keeps go.work and the tree in step: a nested
// module missing from go.work would not build against this repository's SDK
// and its tests would not run below.
func TestWorkspaceUsesEveryModule(t *testing.T) {
	t.Parallel()
	if got, want := workspaceModules(t), nestedModules(t); !slices.Equal(got, want) {
		t.Errorf("go.work uses %q, but the nested modules are %q: run `go work use -r .`", got, want)
	}
}

// TestNestedModules runs the tests of every nested module (in go.work) and of
// the consumer module, since `go test ./...` at the root stops at a nested
// go.mod. It passes on -race (when this test binary has the race detector),
// -count, -short and -v, and what is left of -timeout.
func TestNestedModules(t *testing.T) {
	dirs := nestedModules(t)
	if len(dirs) == 0 {
		t.Fatal("found no nested module; the walk is broken")
	}
	for _, dir := range append(dirs, consumerDir) {
		t.Run(dir, func(t *testing.T) {
			args := append([]string{"test"}, childTestFlags(t)...)
			args = append(args, "./...")
			cmd := exec.Command("go", args...)
			cmd.Dir = filepath.FromSlash(dir)
			cmd.Env = os.Environ()
			if dir == consumerDir {
				// As a user would: their own module, no workspace.
				cmd.Env = append(cmd.Env, "GOWORK=off")
			}
			start := time.Now()
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("(cd %s && go %s): %v\n%s", dir, strings.Join(args, " "), err, out)
			}
			t.Logf("(cd %s && go %s) in %v:\n%s", dir, strings.Join(args, " "), time.Since(start).Round(time.Millisecond), out)
		})
	}
}

// childTestFlags returns the go test flags that carry this run's settings
// over to a nested module's run.
func childTestFlags(t *testing.T) []string {
	var flags []string
	if raceEnabled {
		flags = append(flags, "-race")
	}
	if f := flag.Lookup("test.count"); f != nil {
		flags = append(flags, "-count="+f.Value.String())
	}
	if testing.Short() {
		flags = append(flags, "-short")
	}
	if testing.Verbose() {
		flags = append(flags, "-v")
	}
	if deadline, ok := t.Deadline(); ok {
		// Leave this process time to report the child's failure.
		flags = append(flags, "-timeout="+max(time.Until(deadline)-30*time.Second, time.Second).Round(time.Second).String())
	}
	return flags
}

// keptOut are modules that must never enter a user's module graph again,
// with the reason each left.
var keptOut = map[string]string{
	"github.com/chromedp/chromedp": "the examples' browser test only (examples/ is its own module)",
	"github.com/chromedp/cdproto":  "the examples' browser test only (examples/ is its own module)",
}

// TestConsumerModuleGraph checks the consumer module's graph, as `go list -m
// all` shows it to a user, for the modules in keptOut.
func TestConsumerModuleGraph(t *testing.T) {
	t.Parallel()
	cmd := exec.Command("go", "list", "-m", "all")
	cmd.Dir = filepath.FromSlash(consumerDir)
	cmd.Env = append(os.Environ(), "GOWORK=off")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go list -m all: %v\n%s", err, out)
	}
	for line := range strings.Lines(string(out)) {
		if why, ok := keptOut[strings.Fields(line)[0]]; ok {
			t.Errorf("a user's module graph has %s, which the SDK must not pull in: %s", strings.TrimSpace(line), why)
		}
	}
}
