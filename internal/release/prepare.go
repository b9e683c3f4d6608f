package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"golang.org/x/mod/semver"
)

// show returns a path of the work tree relative to its root, and any other
// string unchanged, for command lines in the report.
func (r *repo) show(s string) string {
	if rel, err := filepath.Rel(r.top, s); err == nil && filepath.IsAbs(s) && !strings.HasPrefix(rel, "..") {
		return filepath.ToSlash(rel)
	}
	return s
}

// clean fails unless the work tree has no changes and no untracked files,
// so that what the tool writes is all a commit would hold.
func (r *repo) clean() error {
	st, err := r.git.output("git", "status", "--porcelain")
	if err != nil {
		return err
	}
	if st != "" {
		return fmt.Errorf("the work tree has changes; commit or stash them first:\n%s", st)
	}
	return nil
}

// prepare makes the release commit's changes for version v in the work
// tree: CHANGELOG.md's [Unreleased] becomes "## [v] - day" under a new
// empty [Unreleased], and every nested published module requires the
// published modules at v, with no replace, and has the go.sum lines of
// those versions (built from the work tree as `git commit -a` would commit
// it).
func (r *repo) prepare(v, day string) error {
	if err := r.clean(); err != nil {
		return err
	}
	rels, err := r.releases()
	if err != nil {
		return err
	}
	if err := checkNewVersion(v, rels); err != nil {
		return err
	}
	fmt.Fprintf(r.out, "==> preparing %s in %s\n", v, r.top)
	log := r.path("CHANGELOG.md")
	data, err := os.ReadFile(log)
	if err != nil {
		return err
	}
	cut, empty, err := cutChangelog(data, v, day)
	if err != nil {
		return err
	}
	if err := os.WriteFile(log, cut, 0o644); err != nil {
		return err
	}
	if _, err := r.git.output("git", "add", "--", "CHANGELOG.md"); err != nil {
		return err
	}
	fmt.Fprintf(r.out, "CHANGELOG.md: [Unreleased] is now ## [%s] - %s, under a new empty [Unreleased]\n", v, day)
	if empty {
		fmt.Fprintln(r.out, "note: [Unreleased] was empty; the release section says nothing")
	}
	head, err := r.head()
	if err != nil {
		return err
	}
	err = r.requireVersion(v, func(repoModule) bool { return true }, func(a *archiver) (string, error) {
		return a.snapshot(r.top, head)
	})
	if err != nil {
		return err
	}
	st, err := r.git.output("git", "status", "--short")
	if err != nil {
		return err
	}
	fmt.Fprintf(r.out, "\nchanged (staged):\n%s\n", st)
	r.nextSteps(v, false)
	return nil
}

// nextSteps prints the commands of the release of v that follow prepare
// (tagged false) or tag (tagged true).
func (r *repo) nextSteps(v string, tagged bool) {
	var tags []string
	for _, m := range r.published {
		tags = append(tags, m.tag(v))
	}
	fmt.Fprintln(r.out, "\nnext:")
	if !tagged {
		fmt.Fprintf(r.out, "  git diff --cached\n  git commit -a -m \"Release %s\"\n  go run ./internal/release tag %s\n", v, v)
	}
	fmt.Fprintf(r.out, "  git push origin HEAD %s\n", strings.Join(tags, " "))
	fmt.Fprintf(r.out, "  go run ./internal/release record %s && git commit -m \"release manifest: %s\" %s\n", v, v, manifestPath)
	fmt.Fprintf(r.out, "  go run ./internal/release dist %s dist/\n", v)
}

// unreleasedRE matches the [Unreleased] heading of CHANGELOG.md.
var unreleasedRE = regexp.MustCompile(`(?m)^## \[Unreleased\][ \t]*\n`)

// cutChangelog turns the [Unreleased] section of a changelog into the
// release "## [v] - day", under a new empty [Unreleased]; the text before
// it (the preamble) and the older releases stay as they are. empty reports
// an [Unreleased] section without text.
func cutChangelog(data []byte, v, day string) (out []byte, empty bool, err error) {
	loc := unreleasedRE.FindIndex(data)
	if loc == nil {
		return nil, false, errors.New("CHANGELOG.md has no \"## [Unreleased]\" heading")
	}
	if changelogReleaseRE.Match(data[:loc[0]]) {
		return nil, false, errors.New("CHANGELOG.md has a release heading above \"## [Unreleased]\"")
	}
	rest := data[loc[1]:]
	if regexp.MustCompile(`(?m)^## \[` + regexp.QuoteMeta(v) + `\]`).Match(rest) {
		return nil, false, fmt.Errorf("CHANGELOG.md has a %s section already", v)
	}
	section := rest
	if next := regexp.MustCompile(`(?m)^## `).FindIndex(rest); next != nil {
		section = rest[:next[0]]
	}
	var b bytes.Buffer
	b.Write(data[:loc[1]])
	fmt.Fprintf(&b, "\n## [%s] - %s\n", v, day)
	if !bytes.HasPrefix(rest, []byte("\n")) {
		b.WriteByte('\n')
	}
	b.Write(rest)
	return b.Bytes(), len(bytes.TrimSpace(section)) == 0, nil
}

// requireVersion makes every nested published module that requires one of
// the published modules selected by dep require it at version, with no
// replace, and runs `go mod tidy` in it against a module proxy serving the
// selected modules at version from the commit that commit returns (called
// again before each module, so that one module's new go.sum is in the zip
// of the next that depends on it). The modules are tidied dependencies
// first.
func (r *repo) requireVersion(version string, dep func(repoModule) bool, commit func(*archiver) (string, error)) error {
	a, err := newArchiver(r.top)
	if err != nil {
		return err
	}
	defer a.close()
	order, err := r.dependencyOrder()
	if err != nil {
		return err
	}
	for i, m := range order {
		f, err := r.readModFile(m.goMod())
		if err != nil {
			return err
		}
		changed := false
		for _, req := range slices.Clone(f.Require) {
			d, ok := r.publishedByPath(req.Mod.Path)
			if !ok || !dep(d) {
				continue
			}
			for _, rep := range slices.Clone(f.Replace) {
				if rep.Old.Path == d.Path {
					if err := f.DropReplace(rep.Old.Path, rep.Old.Version); err != nil {
						return err
					}
				}
			}
			if err := f.AddRequire(d.Path, version); err != nil {
				return err
			}
			changed = true
		}
		if !changed {
			continue
		}
		f.Cleanup()
		out, err := f.Format()
		if err != nil {
			return err
		}
		if err := os.WriteFile(r.path(m.goMod()), out, 0o644); err != nil {
			return err
		}
		fmt.Fprintf(r.out, "%s: requires the SDK's modules at %s, no replace\n", m.goMod(), version)
		c, err := commit(a)
		if err != nil {
			return err
		}
		needed, err := r.publishedDeps(m)
		if err != nil {
			return err
		}
		rels := map[string]*release{}
		for _, d := range r.published {
			if dep(d) && needed[d] {
				rels[d.tag(version)] = &release{Module: d, Version: version, Commit: c, Source: "work tree"}
			}
		}
		fmt.Fprintf(r.out, "module proxy for %s:\n", m.Dir)
		p, err := r.writeProxy(a, filepath.Join(a.tmp, fmt.Sprintf("proxy-%d", i)), rels)
		if err != nil {
			return err
		}
		// goindex=0: the go command indexes a module cache directory once,
		// by its path, in the build cache; a version that was extracted
		// there before with other content (a release check's, or one
		// prepared and reset) keeps its old index after the directory is
		// removed, and tidy then finds packages of the new version missing.
		tidy := command{dir: r.path(m.Dir), env: slices.Concat(p.env(), []string{"GOWORK=off", "GODEBUG=goindex=0"}, r.goEnv)}
		if err := tidy.run(r.out, r.show, "go", "mod", "tidy"); err != nil {
			return err
		}
		// Staged, so that a go.sum the module did not have is committed
		// too, and is in the next module's snapshot.
		files := []string{m.goMod()}
		if _, err := os.Stat(r.path(path.Join(m.Dir, "go.sum"))); err == nil {
			files = append(files, path.Join(m.Dir, "go.sum"))
		}
		if _, err := r.git.output("git", append([]string{"add", "--"}, files...)...); err != nil {
			return err
		}
	}
	return nil
}

// publishedDeps returns the published modules that m requires, directly or
// through others, by the go.mod files of the work tree.
func (r *repo) publishedDeps(m repoModule) (map[repoModule]bool, error) {
	deps := map[repoModule]bool{}
	for todo := []repoModule{m}; len(todo) > 0; {
		cur := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		f, err := r.readModFile(cur.goMod())
		if err != nil {
			return nil, err
		}
		for _, req := range f.Require {
			if d, ok := r.publishedByPath(req.Mod.Path); ok && !deps[d] {
				deps[d] = true
				todo = append(todo, d)
			}
		}
	}
	return deps, nil
}

// dependencyOrder returns the nested published modules, each after the
// nested published modules it requires.
func (r *repo) dependencyOrder() ([]repoModule, error) {
	deps := map[string][]string{}
	for _, m := range r.published[1:] {
		f, err := r.readModFile(m.goMod())
		if err != nil {
			return nil, err
		}
		for _, req := range f.Require {
			if d, ok := r.publishedByPath(req.Mod.Path); ok && d.Dir != "" {
				deps[m.Path] = append(deps[m.Path], d.Path)
			}
		}
	}
	var order []repoModule
	done := map[string]bool{}
	for len(order) < len(r.published)-1 {
		progress := false
		for _, m := range r.published[1:] {
			if done[m.Path] || slices.ContainsFunc(deps[m.Path], func(d string) bool { return !done[d] }) {
				continue
			}
			order, done[m.Path], progress = append(order, m), true, true
		}
		if !progress {
			return nil, errors.New("the nested modules require each other in a cycle")
		}
	}
	return order, nil
}

// tag checks that HEAD is the release commit of v, as prepare left it, and
// tags every published module at HEAD.
func (r *repo) tag(v string) error {
	if err := r.clean(); err != nil {
		return err
	}
	head, err := r.head()
	if err != nil {
		return err
	}
	rels, err := r.releases()
	if err != nil {
		return err
	}
	pending := slices.Clone(r.published)
	for tag, rel := range rels {
		if rel.Version != v {
			continue
		}
		if rel.Commit != head {
			return fmt.Errorf("%s exists already, at %s", tag, rel.Commit)
		}
		pending = slices.DeleteFunc(pending, func(m repoModule) bool { return m == rel.Module })
	}
	if len(pending) == len(r.published) {
		if err := checkNewVersion(v, rels); err != nil {
			return err
		}
	}
	if newest, err := r.newestChangelogRelease(); err != nil {
		return err
	} else if newest != v {
		return fmt.Errorf("HEAD is not prepared for %s: the newest release in CHANGELOG.md is %q (run `go run ./internal/release prepare %s` and commit)", v, newest, v)
	}
	for _, m := range r.published[1:] {
		f, err := r.readModFile(m.goMod())
		if err != nil {
			return err
		}
		for _, req := range f.Require {
			if _, ok := r.publishedByPath(req.Mod.Path); ok && (req.Mod.Version != v || replaced(f, req.Mod.Path, req.Mod.Version)) {
				return fmt.Errorf("HEAD is not prepared for %s: %s requires %s %s (replaced: %v)", v, m.goMod(), req.Mod.Path, req.Mod.Version, replaced(f, req.Mod.Path, req.Mod.Version))
			}
		}
	}
	a, err := newArchiver(r.top)
	if err != nil {
		return err
	}
	defer a.close()
	fmt.Fprintf(r.out, "==> %s at HEAD (%s): the modules' zips against the hashes the go.sum files pin\n", v, head)
	now := map[string]*release{}
	for _, m := range r.published {
		now[m.tag(v)] = &release{Module: m, Version: v, Commit: head, Source: "HEAD"}
	}
	if _, err := r.writeProxy(a, filepath.Join(a.tmp, "proxy"), now); err != nil {
		return err
	}
	for _, m := range pending {
		if err := (command{dir: r.top, env: r.ident}).run(r.out, r.show, "git", "tag", "-a", "-m", m.Path+" "+v, m.tag(v), head); err != nil {
			return err
		}
	}
	r.nextSteps(v, true)
	return nil
}

// record adds the releases that tags name and the manifest does not (those
// of version args[0], if given) to the manifest, for the commit after the
// release.
func (r *repo) record(args []string) error {
	rels, err := r.releases()
	if err != nil {
		return err
	}
	head, err := r.head()
	if err != nil {
		return err
	}
	todo := map[string]*release{}
	for tag, rel := range rels {
		if rel.Source != fromTag || (len(args) == 1 && rel.Version != args[0]) {
			continue
		}
		if !r.isAncestor(rel.Commit, head) {
			return fmt.Errorf("%s (%s) is not HEAD or one of its ancestors", tag, rel.Commit)
		}
		todo[tag] = rel
	}
	if len(todo) == 0 {
		fmt.Fprintf(r.out, "%s lists every release tag already\n", manifestPath)
		return nil
	}
	a, err := newArchiver(r.top)
	if err != nil {
		return err
	}
	defer a.close()
	fmt.Fprintf(r.out, "==> recording in %s:\n", manifestPath)
	p, err := r.writeProxy(a, filepath.Join(a.tmp, "proxy"), todo)
	if err != nil {
		return err
	}
	// Oldest first, the root before the nested modules.
	slices.SortFunc(p.releases, func(x, y *release) int {
		if c := semver.Compare(x.Version, y.Version); c != 0 {
			return c
		}
		return strings.Compare(x.Module.Dir, y.Module.Dir)
	})
	var entries []manifestEntry
	for _, rel := range p.releases {
		entries = append(entries, manifestEntry{Tag: rel.tag(), Commit: rel.Commit, Hash: rel.Hash})
	}
	return r.appendManifest(entries)
}

// require makes the nested published modules require the root module at
// rev's version (a pseudo-version unless rev is a release), for a change to
// a nested module that needs root API not released yet.
func (r *repo) require(rev string) error {
	commit, err := r.git.output("git", "rev-parse", "--verify", "--end-of-options", rev+"^{commit}")
	if err != nil {
		return err
	}
	head, err := r.head()
	if err != nil {
		return err
	}
	if !r.isAncestor(commit, head) {
		return fmt.Errorf("%s (%s) is not HEAD or one of its ancestors: commit the SDK's change first", rev, commit)
	}
	rels, err := r.releases()
	if err != nil {
		return err
	}
	v, err := r.pseudoVersion(commit, rels)
	if err != nil {
		return err
	}
	fmt.Fprintf(r.out, "==> the nested modules require %s at %s (%s)\n", r.root.Path, v, commit)
	isRoot := func(m repoModule) bool { return m.Dir == "" }
	return r.requireVersion(v, isRoot, func(*archiver) (string, error) { return commit, nil })
}
