package main

import (
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/semver"
)

// unpublished are the go.work modules that are never released: they are not
// imported by anyone and may keep their replace directives.
var unpublished = []string{"examples"}

// module is one of the repository's modules.
type repoModule struct {
	Path string // module path
	Dir  string // directory relative to the repository's root, slash-separated; "" for the root
}

// tagPrefix is what the module's tags start with: "" for the root,
// "<dir>/" for a nested module (the go command's convention).
func (m repoModule) tagPrefix() string {
	if m.Dir == "" {
		return ""
	}
	return m.Dir + "/"
}

// tag is the module's tag of version v.
func (m repoModule) tag(v string) string { return m.tagPrefix() + v }

// goMod is the module's go.mod, relative to the repository's root.
func (m repoModule) goMod() string { return path.Join(m.Dir, "go.mod") }

// repo is the repository whose work tree contains the current directory.
type repo struct {
	top       string       // the work tree's root directory
	root      repoModule   // the SDK
	published []repoModule // the root first, then the nested published modules by directory
	others    []repoModule // the go.work modules that are not published (examples)
	git       command
	ident     []string  // environment of the commits and tags it makes (none: git's configuration)
	goEnv     []string  // environment of the go commands it runs (go mod tidy)
	upstream  string    // the proxies behind its local proxies ("": the configured GOPROXY)
	out       io.Writer // the report
}

// openRepo finds the repository of dir and its modules: the root module
// and the modules go.work uses.
func openRepo(dir string, out io.Writer) (*repo, error) {
	top, err := command{dir: dir}.output("git", "rev-parse", "--show-toplevel")
	if err != nil {
		return nil, err
	}
	r := &repo{top: top, git: command{dir: top}, out: out}
	rootPath, err := modulePath(filepath.Join(top, "go.mod"))
	if err != nil {
		return nil, err
	}
	r.root = repoModule{Path: rootPath}
	r.published = []repoModule{r.root}
	data, err := os.ReadFile(filepath.Join(top, "go.work"))
	if os.IsNotExist(err) {
		return r, nil // no workspace, no nested modules
	}
	if err != nil {
		return nil, err
	}
	work, err := modfile.ParseWork("go.work", data, nil)
	if err != nil {
		return nil, err
	}
	for _, u := range work.Use {
		dir := path.Clean(filepath.ToSlash(u.Path))
		if dir == "." {
			continue
		}
		if strings.HasPrefix(dir, "../") || path.IsAbs(dir) {
			return nil, fmt.Errorf("go.work uses %s, outside the repository", u.Path)
		}
		p, err := modulePath(filepath.Join(top, filepath.FromSlash(dir), "go.mod"))
		if err != nil {
			return nil, err
		}
		m := repoModule{Path: p, Dir: dir}
		if slices.ContainsFunc(unpublished, func(u string) bool { return dir == u || strings.HasPrefix(dir, u+"/") }) {
			r.others = append(r.others, m)
			continue
		}
		// The go command looks for version v of a nested module at the tag
		// <dir>/v only when the module's path is the root's path plus dir.
		if p != rootPath+"/"+dir {
			return nil, fmt.Errorf("%s: module %s in directory %s cannot be released with tags %sv*: its path must be %s/%s",
				m.goMod(), p, dir, m.tagPrefix(), rootPath, dir)
		}
		r.published = append(r.published, m)
	}
	slices.SortFunc(r.published[1:], func(a, b repoModule) int { return strings.Compare(a.Dir, b.Dir) })
	return r, nil
}

// modulePath reads the module path of a go.mod file.
func modulePath(file string) (string, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return "", err
	}
	p := modfile.ModulePath(data)
	if p == "" {
		return "", fmt.Errorf("%s: no module line", file)
	}
	return p, nil
}

// publishedByPath returns the published module with the given path.
func (r *repo) publishedByPath(p string) (repoModule, bool) {
	i := slices.IndexFunc(r.published, func(m repoModule) bool { return m.Path == p })
	if i < 0 {
		return repoModule{}, false
	}
	return r.published[i], true
}

// parseTag splits a tag of a published module into the module and the
// version; ok is false for any other tag.
func (r *repo) parseTag(tag string) (m repoModule, version string, ok bool) {
	i := strings.LastIndex(tag, "/")
	prefix, v := tag[:i+1], tag[i+1:]
	if !semver.IsValid(v) || semver.Canonical(v) != v || semver.Build(v) != "" {
		return repoModule{}, "", false
	}
	for _, m := range r.published {
		if m.tagPrefix() == prefix {
			return m, v, true
		}
	}
	return repoModule{}, "", false
}

// path returns a file of the work tree by its slash path relative to the root.
func (r *repo) path(rel string) string { return filepath.Join(r.top, filepath.FromSlash(rel)) }

// readModFile parses a go.mod of the work tree.
func (r *repo) readModFile(rel string) (*modfile.File, error) {
	data, err := os.ReadFile(r.path(rel))
	if err != nil {
		return nil, err
	}
	return modfile.Parse(rel, data, nil)
}

// requirement is a go.mod's requirement of a published module that no
// replace directive of that go.mod redirects.
type requirement struct {
	From    string // the go.mod requiring, relative to the root
	Module  repoModule
	Version string
}

// requirements lists the requirements of published modules in the go.mod
// files of the go.work modules, which a GOWORK=off build must download.
func (r *repo) requirements() ([]requirement, error) {
	var reqs []requirement
	for _, m := range slices.Concat(r.published, r.others) {
		f, err := r.readModFile(m.goMod())
		if err != nil {
			return nil, err
		}
		for _, req := range f.Require {
			dep, ok := r.publishedByPath(req.Mod.Path)
			if !ok || replaced(f, req.Mod.Path, req.Mod.Version) {
				continue
			}
			reqs = append(reqs, requirement{From: m.goMod(), Module: dep, Version: req.Mod.Version})
		}
	}
	return reqs, nil
}

// replaced reports whether f replaces path at version.
func replaced(f *modfile.File, path, version string) bool {
	return slices.ContainsFunc(f.Replace, func(rep *modfile.Replace) bool {
		return rep.Old.Path == path && (rep.Old.Version == "" || rep.Old.Version == version)
	})
}
