package main

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
	"golang.org/x/mod/sumdb/dirhash"
	modzip "golang.org/x/mod/zip"
)

// moduleZip writes the zip of module m at version from commit, as the go
// command makes it from a git repository (cmd/go's modfetch.codeRepo.Zip):
// the files git archive gives for the module's directory, without those of
// nested modules and vendored packages, and, for a nested module without a
// LICENSE of its own, the repository's root LICENSE.
func (a *archiver) moduleZip(w io.Writer, m repoModule, version, commit string) error {
	data, err := a.archive(commit, m.Dir)
	if err != nil {
		return err
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return fmt.Errorf("git archive %s %s: %w", commit, m.Dir, err)
	}
	prefix := "prefix/" + m.tagPrefix()
	var files []modzip.File
	haveLicense := false
	for _, f := range zr.File {
		name, ok := strings.CutPrefix(f.Name, prefix)
		if !ok || name == "" || strings.HasSuffix(name, "/") {
			continue
		}
		files = append(files, zipFile{name: name, f: f})
		haveLicense = haveLicense || name == "LICENSE"
	}
	if !haveLicense && m.Dir != "" {
		license, ok, err := a.file(commit, "LICENSE")
		if err != nil {
			return err
		}
		if ok {
			files = append(files, dataFile{name: "LICENSE", data: license})
		}
	}
	return modzip.Create(w, module.Version{Path: m.Path, Version: version}, files)
}

// zipFile is a file of git's archive.
type zipFile struct {
	name string
	f    *zip.File
}

func (f zipFile) Path() string                 { return f.name }
func (f zipFile) Lstat() (os.FileInfo, error)  { return f.f.FileInfo(), nil }
func (f zipFile) Open() (io.ReadCloser, error) { return f.f.Open() }

// dataFile is a file from memory.
type dataFile struct {
	name string
	data []byte
}

func (f dataFile) Path() string                 { return f.name }
func (f dataFile) Lstat() (os.FileInfo, error)  { return dataFileInfo(f), nil }
func (f dataFile) Open() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(f.data)), nil }

type dataFileInfo dataFile

func (f dataFileInfo) Name() string       { return filepath.Base(f.name) }
func (f dataFileInfo) Size() int64        { return int64(len(f.data)) }
func (f dataFileInfo) Mode() os.FileMode  { return 0o644 }
func (f dataFileInfo) ModTime() time.Time { return time.Time{} }
func (f dataFileInfo) IsDir() bool        { return false }
func (f dataFileInfo) Sys() any           { return nil }

// goModHash is go.sum's hash of a go.mod file ("<version>/go.mod" lines).
func goModHash(data []byte) (string, error) {
	return dirhash.Hash1([]string{"go.mod"}, func(string) (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	})
}

// proxy is a file-system module proxy (the GOPROXY protocol as files:
// <escaped path>/@v/list, <version>.info, .mod and .zip).
type proxy struct {
	dir      string
	root     string     // the SDK's module path
	upstream string     // the proxies after it ("": the configured GOPROXY)
	releases []*release // what it serves, with Hash set to the zip's hash
}

// env returns the go command's settings that put the proxy in front of the
// configured one (or the repository's upstream) and keep the checksum
// database out of the SDK's modules, whose hashes go.sum files pin (the
// database cannot know a version that only this proxy serves).
func (p *proxy) env() []string {
	next := p.upstream
	if next == "" {
		next = goEnv("GOPROXY")
	}
	goproxy := fileURL(p.dir)
	if next != "" {
		goproxy += "," + next
	}
	nosumdb := p.root
	if prev := goEnv("GONOSUMDB"); prev != "" {
		nosumdb = prev + "," + p.root
	}
	return []string{"GOPROXY=" + goproxy, "GONOSUMDB=" + nosumdb}
}

// fileURL is the file:// URL of a directory, as GOPROXY takes it.
func fileURL(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		abs = dir
	}
	u := &url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}
	if !strings.HasPrefix(u.Path, "/") { // C:/... on Windows
		u.Path = "/" + u.Path
	}
	return u.String()
}

// goEnv returns `go env NAME`, or "" if the go command fails.
func goEnv(name string) string {
	out, err := command{}.output("go", "env", name)
	if err != nil {
		return ""
	}
	return out
}

// writeProxy writes every release of rels into a file-system module proxy in
// dir, checking each zip against the hash the manifest and the go.sum files
// of the work tree pin for it, and reports what it wrote.
func (r *repo) writeProxy(a *archiver, dir string, rels map[string]*release) (*proxy, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	p := &proxy{dir: dir, root: r.root.Path, upstream: r.upstream}
	lists := map[string][]string{}
	sums, err := r.pinnedHashes()
	if err != nil {
		return nil, err
	}
	for _, tag := range slices.Sorted(maps.Keys(rels)) {
		rel := rels[tag]
		hash, modHash, err := writeVersion(a, dir, rel)
		if err != nil {
			return nil, fmt.Errorf("%s@%s (%s, %s): %w", rel.Module.Path, rel.Version, rel.Commit, rel.Source, err)
		}
		for _, pin := range sums[rel.Module.Path+" "+rel.Version+"/go.mod"] {
			if pin.hash != modHash {
				return nil, fmt.Errorf("%s pins %s %s/go.mod %s, but its go.mod at %s (%s) is %s",
					pin.goSum, rel.Module.Path, rel.Version, pin.hash, rel.Commit, rel.Source, modHash)
			}
		}
		if rel.Hash != "" && rel.Hash != hash {
			return nil, fmt.Errorf("%s: %s lists %s, but the zip built from its commit %s is %s", tag, manifestPath, rel.Hash, rel.Commit, hash)
		}
		for _, pin := range sums[rel.Module.Path+" "+rel.Version] {
			if pin.hash != hash {
				msg := fmt.Sprintf("%s pins %s %s %s, but the zip built from %s (%s) is %s",
					pin.goSum, rel.Module.Path, rel.Version, pin.hash, rel.Commit, rel.Source, hash)
				if rel.Source == fromReleaseHEAD {
					msg += fmt.Sprintf(": HEAD is not the commit of %s; find that commit and record it in %s (go run ./internal/release record)", rel.Version, manifestPath)
				}
				return nil, errors.New(msg)
			}
		}
		rel.Hash = hash
		p.releases = append(p.releases, rel)
		if !module.IsPseudoVersion(rel.Version) {
			lists[rel.Module.Path] = append(lists[rel.Module.Path], rel.Version)
		}
		fmt.Fprintf(r.out, "  %-60s %-12.12s %-14s %s\n", rel.Module.Path+"@"+rel.Version, rel.Commit, rel.Source, hash)
	}
	for path, versions := range lists {
		semver.Sort(versions)
		esc, err := module.EscapePath(path)
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(dir, esc, "@v", "list"), []byte(strings.Join(versions, "\n")+"\n"), 0o644); err != nil {
			return nil, err
		}
	}
	if len(p.releases) == 0 {
		fmt.Fprintln(r.out, "  (nothing: no release and no required version of a published module)")
	}
	return p, nil
}

// writeVersion writes rel's .info, .mod and .zip into the proxy in dir and
// returns the hashes of the zip and of the go.mod.
func writeVersion(a *archiver, dir string, rel *release) (zipHash, modHash string, err error) {
	esc, err := module.EscapePath(rel.Module.Path)
	if err != nil {
		return "", "", err
	}
	vdir := filepath.Join(dir, esc, "@v")
	if err := os.MkdirAll(vdir, 0o755); err != nil {
		return "", "", err
	}
	ct, err := a.git.output("git", "show", "--no-patch", "--format=%ct", rel.Commit)
	if err != nil {
		return "", "", err
	}
	secs, err := strconv.ParseInt(ct, 10, 64)
	if err != nil {
		return "", "", err
	}
	info, err := json.Marshal(struct {
		Version string
		Time    time.Time
	}{rel.Version, time.Unix(secs, 0).UTC()})
	if err != nil {
		return "", "", err
	}
	goMod, ok, err := a.file(rel.Commit, rel.Module.goMod())
	if err != nil {
		return "", "", err
	}
	if !ok {
		return "", "", fmt.Errorf("no %s at %s", rel.Module.goMod(), rel.Commit)
	}
	base := filepath.Join(vdir, rel.Version)
	if err := os.WriteFile(base+".info", info, 0o644); err != nil {
		return "", "", err
	}
	if err := os.WriteFile(base+".mod", goMod, 0o644); err != nil {
		return "", "", err
	}
	var zipData bytes.Buffer
	if err := a.moduleZip(&zipData, rel.Module, rel.Version, rel.Commit); err != nil {
		return "", "", err
	}
	if err := os.WriteFile(base+".zip", zipData.Bytes(), 0o644); err != nil {
		return "", "", err
	}
	if zipHash, err = dirhash.HashZip(base+".zip", dirhash.Hash1); err != nil {
		return "", "", err
	}
	if modHash, err = goModHash(goMod); err != nil {
		return "", "", err
	}
	return zipHash, modHash, nil
}

// pin is a go.sum line's hash.
type pin struct{ goSum, hash string }

// pinnedHashes returns the hashes that the go.sum files of the go.work
// modules pin for versions of published modules, by "path version" (the
// zip's) and "path version/go.mod".
func (r *repo) pinnedHashes() (map[string][]pin, error) {
	pins := map[string][]pin{}
	for _, m := range slices.Concat(r.published, r.others) {
		goSum := strings.TrimSuffix(m.goMod(), ".mod") + ".sum"
		data, err := os.ReadFile(r.path(goSum))
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		for line := range strings.Lines(string(data)) {
			f := strings.Fields(line)
			if len(f) != 3 {
				continue
			}
			if _, ok := r.publishedByPath(f[0]); ok {
				pins[f[0]+" "+f[1]] = append(pins[f[0]+" "+f[1]], pin{goSum, f[2]})
			}
		}
	}
	return pins, nil
}

// buildProxy writes a file-system module proxy in dir holding every release
// the tags and the manifest name and every version of a published module
// that a go.mod requires. A tag released before HEAD must be in the
// manifest, so that a clone without tags finds it too.
func (r *repo) buildProxy(dir string) (*proxy, error) {
	rels, err := r.releases()
	if err != nil {
		return nil, err
	}
	head, err := r.head()
	if err != nil {
		return nil, err
	}
	var unrecorded []string
	for _, tag := range slices.Sorted(maps.Keys(rels)) {
		rel := rels[tag]
		if rel.Source == fromTag && rel.Commit != head && r.isAncestor(rel.Commit, head) {
			unrecorded = append(unrecorded, tag)
		}
	}
	if len(unrecorded) > 0 {
		return nil, fmt.Errorf("%s: %s not listed, so a clone without tags cannot build against them: run `go run ./internal/release record` and commit it",
			manifestPath, strings.Join(unrecorded, ", "))
	}
	if err := r.required(rels); err != nil {
		return nil, err
	}
	for tag, rel := range rels {
		if rel.Missing {
			fmt.Fprintf(r.out, "note: %s (%s) is not in this clone; nothing here requires it, so the proxy leaves it out\n", tag, rel.Commit)
			delete(rels, tag)
		}
	}
	a, err := newArchiver(r.top)
	if err != nil {
		return nil, err
	}
	defer a.close()
	fmt.Fprintf(r.out, "module proxy %s (GOPROXY=%s):\n", dir, fileURL(dir))
	return r.writeProxy(a, dir, rels)
}
