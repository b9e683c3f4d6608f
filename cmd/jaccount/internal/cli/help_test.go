package cli

import (
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/help")

// commandPaths returns the path of every command, the root's ("") first.
func commandPaths() [][]string {
	var out [][]string
	var walk func(c *cobra.Command, path []string)
	walk = func(c *cobra.Command, path []string) {
		out = append(out, path)
		for _, sub := range c.Commands() {
			if sub.Hidden || sub.Name() == "help" {
				continue
			}
			walk(sub, append(slices.Clip(path), sub.Name()))
		}
	}
	root := (&app{env: &Env{}}).rootCommand()
	root.InitDefaultCompletionCmd()
	walk(root, nil)
	return out
}

// TestHelpGolden compares `jaccount ... --help` of every command with
// testdata/help/<command path>.golden; run with -update to rewrite them.
func TestHelpGolden(t *testing.T) {
	t.Parallel()
	paths := commandPaths()
	if len(paths) < 8 {
		t.Fatalf("only %d commands", len(paths))
	}
	want := map[string]bool{}
	for _, path := range paths {
		name := strings.Join(append([]string{"jaccount"}, path...), "_") + ".golden"
		want[name] = true
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := &harness{t: t, vars: map[string]string{}}
			r := h.run(append(slices.Clip(path), "--help")...)
			if r.code != 0 || r.stderr != "" {
				t.Fatalf("--help: %s", r)
			}
			file := filepath.Join("testdata", "help", name)
			if *update {
				if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(file, []byte(r.stdout), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			golden, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if r.stdout != string(golden) {
				t.Errorf("%s --help differs from %s (run go test -update):\n%s", strings.Join(path, " "), file, r.stdout)
			}
		})
	}
	// No golden file is left over from a removed command.
	entries, _ := os.ReadDir(filepath.Join("testdata", "help"))
	for _, e := range entries {
		if !want[e.Name()] && !*update {
			t.Errorf("testdata/help/%s belongs to no command", e.Name())
		} else if !want[e.Name()] {
			_ = os.Remove(filepath.Join("testdata", "help", e.Name()))
		}
	}
}
