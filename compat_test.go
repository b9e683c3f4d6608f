package jaccount_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The scratch repository that TestCompat runs .ci/compat in: a module with
// one exported struct, a spec with one operation, and a changelog with an
// [Unreleased] section above a released one.
var compatFiles = map[string]string{
	"go.mod": "module example.com/lib\n\ngo 1.25.0\n",
	"api/api.go": `// Package api is a stand-in for the SDK's.
package api

// Profile is a person.
type Profile struct {
	// Account is the username.
	Account string
}
`,
	"openapi/jaccount.yaml": `openapi: 3.0.3
info: {title: t, version: "1.0.0"}
paths:
  /v1/me/profile:
    get:
      operationId: getMyProfile
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema:
                type: object
                properties:
                  account: {type: string}
                  name: {type: string}
`,
	"CHANGELOG.md": "# Changelog\n\n## [Unreleased]\n\n### Added\n- Things.\n\n## [0.1.0] - 2026-01-01\n\n- First.\n",
}

// Edits that TestCompat's cases commit on top of the scratch repository.
var (
	renameSpecField = edit{"openapi/jaccount.yaml", "account: {type: string}", "accountName: {type: string}"}
	renameGoField   = edit{"api/api.go", "\tAccount string", "\tAccountName string"}
	specLine        = "- GET /v1/me/profile removed the optional property `account` from the response with the `200` status: it is `accountName` now.\n"
)

type edit struct{ path, old, new string }

// under returns the edit of CHANGELOG.md that adds line under heading.
func under(heading, line string) edit {
	return edit{"CHANGELOG.md", heading + "\n", heading + "\n" + line}
}

// TestCompat runs .ci/compat on scratch repositories: a renamed spec field
// or Go field fails it until CHANGELOG.md names the change under
// [Unreleased], and the base is found, or its absence reported, as the
// script's header says (a release tag, or the release manifest's entry in
// a clone without the tag).
func TestCompat(t *testing.T) {
	if testing.Short() {
		t.Skip("runs oasdiff and apidiff")
	}
	for _, tool := range []string{"bash", "git"} {
		if _, err := exec.LookPath(tool); err != nil && os.Getenv("CI") == "" {
			t.Skipf(".ci/compat needs %s: %v", tool, err)
		}
	}
	t.Parallel()
	script, err := filepath.Abs(".ci/compat")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		// setup prepares the repository after the base commit on main
		// and returns the directory to run the script in.
		setup    func(t *testing.T, repo string) string
		env      []string
		wantFail bool
		want     []string
	}{
		{"unrelated change", onBranch(edit{"README", "", "hello\n"}), nil, false,
			[]string{"merge base with main", "0 incompatible change(s)", "compat: ok"}},
		{"spec field renamed", onBranch(renameSpecField), nil, true,
			[]string{"spec: FAIL", "GET /v1/me/profile removed the optional property `account` from the response"}},
		{"spec field renamed, named in Unreleased", onBranch(renameSpecField, under("## [Unreleased]", specLine)), nil, false,
			[]string{"spec: every breaking change is named", "compat: ok"}},
		{"spec field renamed, named under a release", onBranch(renameSpecField, under("## [0.1.0] - 2026-01-01", specLine)), nil, true,
			[]string{"spec: FAIL"}},
		{"Go field renamed", onBranch(renameGoField), nil, true,
			[]string{"Go API: FAIL", "`api.Profile.Account`  (./api.Profile.Account: removed)"}},
		{"Go field renamed, named", onBranch(renameGoField, under("### Added", "- `api.Profile.Account` is `AccountName` now.\n")), nil, false,
			[]string{"1 incompatible change(s), 1 named", "compat: ok"}},
		{"Go field renamed, named by a prefix", onBranch(renameGoField, under("## [Unreleased]", "- `api.Profile.*`: renamed fields.\n")), nil, false,
			[]string{"compat: ok"}},
		{"Go field renamed, other names", onBranch(renameGoField, under("## [Unreleased]", "- `api.Profile.Name`, `api.Other.*`, api.Profile.Account.\n")), nil, true,
			[]string{"Go API: FAIL"}},
		{"on main: the first parent", onMain(renameSpecField), nil, true,
			[]string{"HEAD is on main: its first parent", "spec: FAIL"}},
		{"a release tag is the base", func(t *testing.T, repo string) string {
			git(t, repo, "tag", "v0.1.0")
			onMain(edit{"README", "", "a\n"})(t, repo)
			return onBranch(renameGoField)(t, repo)
		}, nil, true, []string{"with v0.1.0 (", "last release tag", "Go API: FAIL"}},
		{"a release in the manifest is the base, in a clone without its tag", func(t *testing.T, repo string) string {
			git(t, repo, "tag", "v0.1.0")
			record(t, repo)
			git(t, repo, "add", "-A")
			git(t, repo, "commit", "-q", "-m", "release manifest: v0.1.0")
			git(t, repo, "tag", "-d", "v0.1.0")
			return onBranch(renameGoField)(t, repo)
		}, nil, true, []string{"last release v0.1.0, from internal/release/manifest.txt: no tag in this clone", "Go API: FAIL"}},
		{"shallow clone: no base, skipped", shallowClone, nil, false,
			[]string{"no base to compare with", "skipping"}},
		{"shallow clone: no base, required", shallowClone, []string{"COMPAT_REQUIRE_BASE=1"}, true,
			[]string{"no base to compare with"}},
		{"base given", func(t *testing.T, repo string) string {
			onMain(renameGoField)(t, repo)
			return repo
		}, []string{"COMPAT_BASE=HEAD"}, false, []string{"with HEAD (", ", given)", "0 incompatible change(s)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			repo := newCompatRepo(t)
			dir := tt.setup(t, repo)
			cmd := exec.Command("bash", script)
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), tt.env...)
			out, err := cmd.CombinedOutput()
			var ee *exec.ExitError
			if err != nil && !errors.As(err, &ee) {
				t.Fatal(err)
			}
			if failed := err != nil; failed != tt.wantFail {
				t.Errorf("failed = %v (%v), want %v", failed, err, tt.wantFail)
			}
			for _, w := range tt.want {
				if !strings.Contains(string(out), w) {
					t.Errorf("output lacks %q", w)
				}
			}
			if t.Failed() {
				t.Logf("output:\n%s", out)
			}
		})
	}
}

// newCompatRepo returns a git repository holding compatFiles, committed on
// main.
func newCompatRepo(t *testing.T) string {
	t.Helper()
	repo := t.TempDir()
	for name, content := range compatFiles {
		writeFile(t, filepath.Join(repo, name), content)
	}
	git(t, repo, "init", "-q", "-b", "main")
	git(t, repo, "add", "-A")
	git(t, repo, "commit", "-q", "-m", "base")
	return repo
}

// onBranch commits edits on a new branch "feature".
func onBranch(edits ...edit) func(t *testing.T, repo string) string {
	return func(t *testing.T, repo string) string {
		git(t, repo, "checkout", "-q", "-b", "feature")
		return onMain(edits...)(t, repo)
	}
}

// onMain commits edits on the current branch.
func onMain(edits ...edit) func(t *testing.T, repo string) string {
	return func(t *testing.T, repo string) string {
		for _, e := range edits {
			p := filepath.Join(repo, e.path)
			b, err := os.ReadFile(p)
			if err != nil && !errors.Is(err, os.ErrNotExist) {
				t.Fatal(err)
			}
			s := string(b)
			if e.old != "" && !strings.Contains(s, e.old) {
				t.Fatalf("%s lacks %q", e.path, e.old)
			}
			if e.old == "" {
				s += e.new
			} else {
				s = strings.Replace(s, e.old, e.new, 1)
			}
			writeFile(t, p, s)
		}
		git(t, repo, "add", "-A")
		git(t, repo, "commit", "-q", "-m", "change")
		return repo
	}
}

// record runs the release tool's record in repo: the manifest's lines of
// its release tags.
func record(t *testing.T, repo string) {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "release")
	if out, err := exec.Command("go", "build", "-o", bin, "./internal/release").CombinedOutput(); err != nil {
		t.Fatalf("go build ./internal/release: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "record")
	cmd.Dir = repo
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("release record: %v\n%s", err, out)
	}
}

// shallowClone renames the spec field on a branch and returns a shallow,
// single-branch clone of it, as a CI system may check out.
func shallowClone(t *testing.T, repo string) string {
	onBranch(renameSpecField)(t, repo)
	clone := filepath.Join(t.TempDir(), "clone")
	git(t, repo, "clone", "-q", "--depth=1", "--single-branch", "--branch=feature", "file://"+repo, clone)
	return clone
}

func git(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@example.invalid",
		"-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false"}, args...)...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
