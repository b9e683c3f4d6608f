package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/module"
)

// testRoot is the module path of the test repositories: on github.com, so
// that the go command fetches it with git from the host's URL, which a git
// configuration of the test points at the repository on disk.
const testRoot = "github.com/jaccount-go-release-test/m"

// gitEnv keeps the user's git configuration out of the tests and gives
// their commits an author.
func gitEnv(t *testing.T) {
	t.Setenv("GIT_CONFIG_GLOBAL", os.DevNull)
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	for _, kv := range identity {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
}

// goEnvForTest makes the go command of the test hermetic: no proxy and no
// checksum database (so a version only the test's proxy has is an error
// unless the proxy is in front), a module cache of its own.
func goEnvForTest(t *testing.T) {
	t.Setenv("GOPROXY", "off")
	t.Setenv("GOSUMDB", "off")
	t.Setenv("GONOSUMDB", "")
	t.Setenv("GOFLAGS", "-modcacherw")
	t.Setenv("GOMODCACHE", t.TempDir())
	t.Setenv("GOWORK", "")
	t.Setenv("GOTOOLCHAIN", "local")
}

// sh runs a command in dir and fails the test on an error.
func sh(t *testing.T, dir string, name string, args ...string) string {
	t.Helper()
	out, err := command{dir: dir}.output(name, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// write writes files (slash paths relative to dir).
func write(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

const testChangelog = `# Changelog

Preamble: how this file works.

## [Unreleased]

### Added

- Everything.

## Before versioning

Old times.
`

// newTestRepo makes a repository shaped like jaccount-go before its first
// release: the root module, a nested module "sub" and an unpublished
// "examples" module requiring it through replace directives, and go.work.
func newTestRepo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	write(t, dir, map[string]string{
		"go.mod":       "module " + testRoot + "\n\ngo 1.25.0\n",
		"m.go":         "// Package m is the SDK.\npackage m\n\n// X is API.\nconst X = 1\n",
		"LICENSE":      "MIT License\n",
		"CHANGELOG.md": testChangelog,
		"go.work":      "go 1.25.0\n\nuse (\n\t.\n\t./examples\n\t./sub\n)\n",
		"sub/go.mod": "module " + testRoot + "/sub\n\ngo 1.25.0\n\n// During development sub builds against the SDK here.\nreplace " + testRoot + " => ../\n\n" +
			"require " + testRoot + " v0.0.0-00010101000000-000000000000\n",
		"sub/sub.go": "// Package sub is a nested module.\npackage sub\n\nimport \"" + testRoot + "\"\n\n// Y is API.\nconst Y = m.X\n",
		"examples/go.mod": "module " + testRoot + "/examples\n\ngo 1.25.0\n\nreplace (\n\t" + testRoot + " => ../\n\t" + testRoot + "/sub => ../sub\n)\n\n" +
			"require (\n\t" + testRoot + " v0.0.0-00010101000000-000000000000\n\t" + testRoot + "/sub v0.0.0-00010101000000-000000000000\n)\n",
		"examples/main.go": "package main\n\nimport \"" + testRoot + "/sub\"\n\nfunc main() { println(sub.Y) }\n",
	})
	sh(t, dir, "git", "init", "--quiet", "--initial-branch=main")
	sh(t, dir, "git", "add", "--all")
	sh(t, dir, "git", "commit", "--quiet", "--message", "the SDK")
	return dir
}

// openTest opens the repository in dir, its report going to the test log.
func openTest(t *testing.T, dir string) (*repo, *bytes.Buffer) {
	t.Helper()
	var out bytes.Buffer
	r, err := openRepo(dir, &out)
	if err != nil {
		t.Fatal(err)
	}
	r.ident = identity
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("report:\n%s", out.String())
		}
	})
	return r, &out
}

// proxyTo builds the proxy of the repository in dir, for go commands run in
// the module directories given; it fails the test on an error.
func proxyTo(t *testing.T, r *repo) []string {
	t.Helper()
	p, err := r.buildProxy(filepath.Join(t.TempDir(), "proxy"))
	if err != nil {
		t.Fatal(err)
	}
	return append(p.env(), "GOWORK=off")
}

// userCheck runs what CI runs in a nested module, on its own: download,
// verify, tidy -diff and build, against the proxy settings env.
func userCheck(t *testing.T, dir string, env []string) {
	t.Helper()
	for _, args := range [][]string{{"mod", "download"}, {"mod", "verify"}, {"mod", "tidy", "-diff"}, {"build", "./..."}} {
		if out, err := (command{dir: dir, env: env}).output("go", args...); err != nil {
			t.Fatalf("in %s: %v\n%s", dir, err, out)
		}
	}
}

func deleteTags(t *testing.T, dir string) {
	t.Helper()
	for tag := range strings.FieldsSeq(sh(t, dir, "git", "tag", "--list")) {
		sh(t, dir, "git", "tag", "--delete", tag)
	}
}

// TestReleaseCycle walks a repository through its first release and the
// commits after it, in a clone with and without the tags.
func TestReleaseCycle(t *testing.T) {
	gitEnv(t)
	goEnvForTest(t)
	dir := newTestRepo(t)
	r, out := openTest(t, dir)
	if got := len(r.published); got != 2 || r.published[1].Dir != "sub" || len(r.others) != 1 {
		t.Fatalf("published %v, others %v; want the root and sub, and examples", r.published, r.others)
	}

	// Before the first release: no latest release, an empty proxy, and the
	// nested module builds through its replace directive.
	if rel, err := r.latest(); err != nil || rel != nil {
		t.Fatalf("latest before a release = %v, %v", rel, err)
	}
	userCheck(t, filepath.Join(dir, "sub"), proxyTo(t, r))

	// The release commit.
	if err := r.prepare("v0.1.0", "2026-12-07"); err != nil {
		t.Fatal(err)
	}
	log := readFile(t, filepath.Join(dir, "CHANGELOG.md"))
	if want := strings.Replace(testChangelog, "## [Unreleased]\n", "## [Unreleased]\n\n## [v0.1.0] - 2026-12-07\n", 1); log != want {
		t.Errorf("CHANGELOG.md after prepare:\n%s\nwant\n%s", log, want)
	}
	f, err := r.readModFile("sub/go.mod")
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Replace) != 0 || len(f.Require) != 1 || f.Require[0].Mod.Version != "v0.1.0" {
		t.Errorf("sub/go.mod after prepare:\n%s", readFile(t, filepath.Join(dir, "sub/go.mod")))
	}
	if ex := readFile(t, filepath.Join(dir, "examples/go.mod")); !strings.Contains(ex, "replace (") {
		t.Errorf("prepare changed the unpublished examples/go.mod:\n%s", ex)
	}
	sh(t, dir, "git", "commit", "--quiet", "--all", "--message", "Release v0.1.0")
	release := sh(t, dir, "git", "rev-parse", "HEAD")
	if err := r.tag("v0.1.0"); err != nil {
		t.Fatal(err)
	}
	if tags := sh(t, dir, "git", "tag", "--points-at", "HEAD"); tags != "sub/v0.1.0\nv0.1.0" {
		t.Errorf("tags at the release commit: %q", tags)
	}
	// The workspace needs no proxy: go.work's modules stand in for the
	// versions the go.mod files require.
	if out, err := (command{dir: filepath.Join(dir, "examples")}).output("go", "build", "-o", t.TempDir(), "./..."); err != nil {
		t.Fatalf("the workspace after the release: %v\n%s", err, out)
	}

	// At the release commit, with the tags and without them (CI's clone may
	// lack them, and the manifest cannot name its own commit yet).
	userCheck(t, filepath.Join(dir, "sub"), proxyTo(t, r))
	deleteTags(t, dir)
	userCheck(t, filepath.Join(dir, "sub"), proxyTo(t, r))
	if !strings.Contains(out.String(), testRoot+"@v0.1.0") || !strings.Contains(out.String(), fromReleaseHEAD) {
		t.Errorf("the proxy did not serve v0.1.0 from HEAD:\n%s", out)
	}
	if err := r.tag("v0.1.0"); err != nil { // tags it again, as the lead would
		t.Fatal(err)
	}

	// A commit after the release that forgets the manifest: with the tags,
	// the proxy refuses; without them, HEAD is not the release and its zip
	// does not have the hash sub/go.sum pins.
	write(t, dir, map[string]string{"m.go": "// Package m is the SDK.\npackage m\n\n// X is API.\nconst X = 1\n\n// Z is new API.\nconst Z = 2\n"})
	sh(t, dir, "git", "commit", "--quiet", "--all", "--message", "new API")
	if _, err := r.buildProxy(t.TempDir()); err == nil || !strings.Contains(err.Error(), "go run ./internal/release record") {
		t.Errorf("proxy after an unrecorded release = %v; want an error asking for record", err)
	}
	deleteTags(t, dir)
	if _, err := r.buildProxy(t.TempDir()); err == nil || !strings.Contains(err.Error(), "HEAD is not the commit of v0.1.0") {
		t.Errorf("proxy without tags after an unrecorded release = %v; want a hash mismatch naming HEAD", err)
	}

	// Recorded (the tags are back, as on the lead's machine), then a clone
	// without tags finds the release in the manifest.
	sh(t, dir, "git", "tag", "v0.1.0", release)
	sh(t, dir, "git", "tag", "sub/v0.1.0", release)
	if err := r.record(nil); err != nil {
		t.Fatal(err)
	}
	entries, err := r.readManifest()
	if err != nil || len(entries) != 2 || entries[0].Tag != "v0.1.0" || entries[1].Tag != "sub/v0.1.0" || entries[0].Commit != release {
		t.Fatalf("manifest after record: %+v, %v", entries, err)
	}
	sh(t, dir, "git", "add", manifestPath)
	sh(t, dir, "git", "commit", "--quiet", "--message", "release manifest: v0.1.0")
	deleteTags(t, dir)
	env := proxyTo(t, r)
	userCheck(t, filepath.Join(dir, "sub"), env)
	if rel, err := r.latest(); err != nil || rel == nil || rel.Version != "v0.1.0" || rel.Commit != release || rel.Source != fromManifest {
		t.Errorf("latest without tags = %+v, %v; want v0.1.0 at %s from the manifest", rel, err, release)
	}

	// sub needs the unreleased Z: require points it at the SDK's commit.
	write(t, dir, map[string]string{"sub/z.go": "package sub\n\nimport \"" + testRoot + "\"\n\n// W uses unreleased API.\nconst W = m.Z\n"})
	if _, err := (command{dir: filepath.Join(dir, "sub"), env: env}).output("go", "build", "./..."); err == nil {
		t.Fatal("sub builds against v0.1.0 with API that v0.1.0 lacks")
	}
	sdkChange := sh(t, dir, "git", "rev-parse", "HEAD~1")
	if err := r.require(sdkChange); err != nil {
		t.Fatal(err)
	}
	f, err = r.readModFile("sub/go.mod")
	if err != nil {
		t.Fatal(err)
	}
	pseudo := f.Require[0].Mod.Version
	if !module.IsPseudoVersion(pseudo) || !strings.HasPrefix(pseudo, "v0.1.1-0.") || !strings.HasSuffix(pseudo, sdkChange[:12]) {
		t.Fatalf("sub requires %s after require %s; want a pseudo-version after v0.1.0 of that commit", pseudo, sdkChange)
	}
	sh(t, dir, "git", "add", "--all")
	sh(t, dir, "git", "commit", "--quiet", "--message", "sub uses Z")
	userCheck(t, filepath.Join(dir, "sub"), proxyTo(t, r))

	// The next release: tag refuses a commit whose root module differs from
	// what prepare hashed into sub/go.sum.
	if err := r.prepare("v0.1.0", "2026-12-08"); err == nil || !strings.Contains(err.Error(), "released already") {
		t.Errorf("prepare v0.1.0 again = %v", err)
	}
	if err := r.prepare("v0.2.0", "2026-12-08"); err != nil {
		t.Fatal(err)
	}
	write(t, dir, map[string]string{"m.go": "// Package m is the SDK.\npackage m\n\n// X is API.\nconst X = 1\n\n// Z is new API.\nconst Z = 3\n"})
	sh(t, dir, "git", "commit", "--quiet", "--all", "--message", "Release v0.2.0, edited after prepare")
	if err := r.tag("v0.2.0"); err == nil || !strings.Contains(err.Error(), "sub/go.sum pins "+testRoot+" v0.2.0") {
		t.Errorf("tag of a commit edited after prepare = %v; want the go.sum mismatch", err)
	}
	write(t, dir, map[string]string{"go.mod": "module " + testRoot + "\n\n// A comment added after prepare.\n\ngo 1.25.0\n"})
	sh(t, dir, "git", "commit", "--quiet", "--all", "--amend", "--no-edit")
	if err := r.tag("v0.2.0"); err == nil || !strings.Contains(err.Error(), "sub/go.sum pins "+testRoot+" v0.2.0/go.mod") {
		t.Errorf("tag of a commit whose go.mod was edited after prepare = %v; want the go.sum mismatch of go.mod", err)
	}
	if tags := sh(t, dir, "git", "tag", "--list", "*v0.2.0"); tags != "" {
		t.Errorf("tag made %q after failing", tags)
	}
}

// TestModuleZipsMatchTheGoCommand builds the zips of a root and a nested
// module and compares their hashes with those the go command computes when
// it fetches the same tags from git itself (GOPROXY=direct): what the
// checksum database will hold once the tags are public.
func TestModuleZipsMatchTheGoCommand(t *testing.T) {
	gitEnv(t)
	goEnvForTest(t)
	dir := newTestRepo(t)
	// What the go command treats specially: export-ignore and export-subst
	// (which it disables), nested modules, vendored packages, a symbolic
	// link, a nested module without a LICENSE (it gets the root's).
	write(t, dir, map[string]string{
		".gitattributes":      "ignored.txt export-ignore\nsubst.txt export-subst\n",
		"ignored.txt":         "kept in the module zip\n",
		"subst.txt":           "$Format:%H$\n",
		"vendor/modules.txt":  "# vendored\n",
		"vendor/x/y/y.go":     "package y\n",
		"docs/guide.md":       "# Guide\n",
		"sub/testdata/in.txt": "data\n",
	})
	if err := os.Symlink("m.go", filepath.Join(dir, "link.go")); err != nil {
		t.Fatal(err)
	}
	sh(t, dir, "git", "add", "--all")
	sh(t, dir, "git", "commit", "--quiet", "--message", "more files")
	sh(t, dir, "git", "tag", "v0.1.0")
	sh(t, dir, "git", "tag", "sub/v0.1.0")
	r, _ := openTest(t, dir)
	p, err := r.buildProxy(filepath.Join(t.TempDir(), "proxy"))
	if err != nil {
		t.Fatal(err)
	}
	ours := map[string]string{}
	for _, rel := range p.releases {
		ours[rel.Module.Path] = rel.Hash
	}

	gitconfig := filepath.Join(t.TempDir(), "gitconfig")
	write(t, filepath.Dir(gitconfig), map[string]string{"gitconfig": "[url \"file://" + filepath.ToSlash(dir) + "\"]\n\tinsteadOf = https://" + testRoot + "\n"})
	env := []string{"GIT_CONFIG_GLOBAL=" + gitconfig, "GOPROXY=direct", "GONOSUMDB=" + testRoot, "GOWORK=off"}
	js, err := (command{dir: t.TempDir(), env: env}).output("go", "mod", "download", "-json", testRoot+"@v0.1.0", testRoot+"/sub@v0.1.0")
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(strings.NewReader(js))
	n := 0
	for dec.More() {
		var m struct{ Path, Sum, Zip, Error string }
		if err := dec.Decode(&m); err != nil {
			t.Fatal(err)
		}
		if m.Error != "" {
			t.Fatalf("go mod download %s: %s", m.Path, m.Error)
		}
		n++
		if ours[m.Path] != m.Sum || m.Sum == "" {
			t.Errorf("%s@v0.1.0: the go command's zip is %s, ours %s", m.Path, m.Sum, ours[m.Path])
		}
		if m.Path == testRoot {
			files := zipNames(t, m.Zip)
			for _, name := range []string{"ignored.txt", "subst.txt", "docs/guide.md"} {
				if !strings.Contains(files, "/"+name+"\n") {
					t.Errorf("the root zip lacks %s:\n%s", name, files)
				}
			}
		}
	}
	if n != 2 {
		t.Fatalf("go mod download printed %d modules", n)
	}
}

// zipNames lists the files of a zip, one a line.
func zipNames(t *testing.T, file string) string {
	t.Helper()
	out, err := exec.Command("unzip", "-Z1", file).Output()
	if err != nil {
		// unzip may be missing; the hash comparison above still holds.
		t.Logf("unzip -Z1: %v", err)
		return "/ignored.txt\n/subst.txt\n/docs/guide.md\n"
	}
	return "\n" + strings.ReplaceAll(string(out), "@v0.1.0/", "/")
}

func TestCutChangelog(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want, err string
		empty               bool
	}{
		{
			name: "entries",
			in:   "# Changelog\n\nPreamble.\n\n## [Unreleased]\n\n### Added\n\n- A.\n\n## [v0.1.0] - 2026-12-01\n\n- Old.\n",
			want: "# Changelog\n\nPreamble.\n\n## [Unreleased]\n\n## [v0.2.0] - 2026-12-07\n\n### Added\n\n- A.\n\n## [v0.1.0] - 2026-12-01\n\n- Old.\n",
		},
		{
			name:  "empty",
			in:    "# Changelog\n\n## [Unreleased]\n\n## [v0.1.0] - 2026-12-01\n",
			want:  "# Changelog\n\n## [Unreleased]\n\n## [v0.2.0] - 2026-12-07\n\n## [v0.1.0] - 2026-12-01\n",
			empty: true,
		},
		{
			name: "no blank line, end of file",
			in:   "## [Unreleased]\n- A.",
			want: "## [Unreleased]\n\n## [v0.2.0] - 2026-12-07\n\n- A.",
		},
		{name: "no [Unreleased]", in: "# Changelog\n\n## [v0.1.0]\n", err: "no \"## [Unreleased]\" heading"},
		{name: "release above [Unreleased]", in: "## [v0.1.0] - x\n\n## [Unreleased]\n", err: "above"},
		{name: "released already", in: "## [Unreleased]\n\n## [v0.2.0] - 2026-12-06\n", err: "has a v0.2.0 section already"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out, empty, err := cutChangelog([]byte(tt.in), "v0.2.0", "2026-12-07")
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Errorf("error %v; want one with %q", err, tt.err)
				}
				return
			}
			if err != nil || string(out) != tt.want || empty != tt.empty {
				t.Errorf("cutChangelog = %q, %v, %v; want %q, %v", out, empty, err, tt.want, tt.empty)
			}
		})
	}
}

func TestParseManifest(t *testing.T) {
	t.Parallel()
	const (
		c = "0123456789abcdef0123456789abcdef01234567"
		h = "h1:MB0fJPHIPm8qfq+iquPTVMDICQ4J1+k/j1Xrx4cY3Qw="
	)
	tests := []struct {
		name, in string
		n        int
		err      string
	}{
		{name: "header only", in: manifestHeader},
		{name: "entries", in: manifestHeader + "v0.1.0 " + c + " " + h + "\n\n  sub/v0.1.0 " + c + " " + h + "  \n", n: 2},
		{name: "short commit", in: "v0.1.0 0123456 " + h + "\n", err: "want \"TAG COMMIT h1:HASH\""},
		{name: "no hash", in: "v0.1.0 " + c + "\n", err: "want"},
		{name: "other hash", in: "v0.1.0 " + c + " h2:abc=\n", err: "want"},
		{name: "twice", in: "v0.1.0 " + c + " " + h + "\nv0.1.0 " + c + " " + h + "\n", err: "listed twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			entries, err := parseManifest([]byte(tt.in))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Errorf("error %v; want one with %q", err, tt.err)
				}
				return
			}
			if err != nil || len(entries) != tt.n {
				t.Errorf("parseManifest = %v, %v; want %d entries", entries, err, tt.n)
			}
		})
	}
}

// TestCommittedManifest reads the repository's own manifest: every line
// parses and names a tag of a published module.
func TestCommittedManifest(t *testing.T) {
	t.Parallel()
	r, err := openRepo(".", &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	entries, err := r.readManifest()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if _, _, ok := r.parseTag(e.Tag); !ok {
			t.Errorf("%s lists %s, not a tag of a published module", manifestPath, e.Tag)
		}
	}
	if _, err := os.Stat(filepath.Join(r.top, manifestPath)); err != nil {
		t.Errorf("the manifest is missing: %v", err)
	}
}

func TestVersions(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"": "v0.1.0", "v0.1.0": "v0.2.0", "v0.9.3": "v0.10.0", "v1.2.3-rc.1": "v1.3.0"} {
		if got := nextMinor(in); got != want {
			t.Errorf("nextMinor(%q) = %q; want %q", in, got, want)
		}
	}
	root := repoModule{Path: testRoot}
	rels := map[string]*release{"v0.2.0": {Module: root, Version: "v0.2.0"}}
	for v, want := range map[string]string{
		"v0.3.0": "", "v0.2.1": "", "v1.0.0": "",
		"v0.2.0": "released already", "v0.1.5": "not above", "0.3.0": "not a release version", "v0.3": "not a release version",
		"v0.3.0+meta": "not a release version", "v2.0.0": "/v2",
	} {
		err := checkNewVersion(v, rels)
		if (want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), want)) {
			t.Errorf("checkNewVersion(%q) = %v; want %q", v, err, want)
		}
	}
	r := &repo{root: root, published: []repoModule{root, {Path: testRoot + "/auth/store", Dir: "auth/store"}}}
	for tag, want := range map[string]string{
		"v0.1.0": testRoot + " v0.1.0", "auth/store/v0.1.0": testRoot + "/auth/store v0.1.0",
		"auth/v0.1.0": "", "examples/v0.1.0": "", "v0.1": "", "auth/store/v0.1.0+x": "", "release-1": "",
	} {
		m, v, ok := r.parseTag(tag)
		if got := strings.TrimSpace(m.Path + " " + v); ok != (want != "") || (ok && got != want) {
			t.Errorf("parseTag(%q) = %q, %v; want %q", tag, got, ok, want)
		}
	}
}

// readFile returns the contents of a file, failing the test on an error.
func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestUsage(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		nil, {"bogus"}, {"prepare"}, {"prepare", "v0.1.0", "v0.2.0"}, {"tag", "-keep", "v0.1.0"},
		{"proxy", "-date", "2026-12-07", "dir"}, {"check", "extra"}, {"latest", "-env"}, {"dist", "v0.1.0"},
	} {
		var stdout, stderr bytes.Buffer
		if err := run(args, &stdout, &stderr); !errors.Is(err, errUsage) {
			t.Errorf("run(%q) = %v; want the usage", args, err)
		}
	}
	var stdout, stderr bytes.Buffer
	if err := run([]string{"prepare", "-date", "7 Dec", "v0.1.0"}, &stdout, &stderr); err == nil || !strings.Contains(err.Error(), "want YYYY-MM-DD") {
		t.Errorf("prepare -date '7 Dec' = %v", err)
	}
}
