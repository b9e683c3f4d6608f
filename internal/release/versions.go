package main

import (
	"fmt"
	"maps"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
)

// A release is one version of a published module and the commit holding it.
type release struct {
	Module  repoModule
	Version string
	Commit  string
	Hash    string // the manifest's h1: hash, if it lists the release
	Source  string // where the commit comes from (tag, manifest, pseudo-version, HEAD)
	// Missing is a manifest entry whose commit this clone lacks (a shallow
	// clone): a release, but one that cannot be served.
	Missing bool
}

func (rel *release) tag() string { return rel.Module.tag(rel.Version) }

// Sources of a release's commit.
const (
	fromTag         = "tag"
	fromManifest    = "manifest"
	fromBoth        = "tag+manifest"
	fromPseudo      = "pseudo-version"
	fromReleaseHEAD = "HEAD" // the release commit itself, before its manifest entry
)

// releases returns the releases that the tags and the manifest name, by tag.
// A tag and a manifest entry that disagree are an error.
func (r *repo) releases() (map[string]*release, error) {
	out, err := r.git.output("git", "for-each-ref", "--format=%(refname:strip=2) %(objectname) %(*objectname)", "refs/tags")
	if err != nil {
		return nil, err
	}
	rels := map[string]*release{}
	for line := range strings.Lines(out) {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		m, v, ok := r.parseTag(f[0])
		if !ok {
			continue
		}
		commit := f[len(f)-1] // an annotated tag's target, else the tag's own object
		rels[f[0]] = &release{Module: m, Version: v, Commit: commit, Source: fromTag}
	}
	entries, err := r.readManifest()
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		m, v, ok := r.parseTag(e.Tag)
		if !ok {
			fmt.Fprintf(r.out, "note: %s lists %s, not a tag of a module published today; skipped\n", manifestPath, e.Tag)
			continue
		}
		if rel, ok := rels[e.Tag]; ok {
			if rel.Commit != e.Commit {
				return nil, fmt.Errorf("tag %s is at %s, but %s says %s", e.Tag, rel.Commit, manifestPath, e.Commit)
			}
			rel.Hash, rel.Source = e.Hash, fromBoth
			continue
		}
		rel := &release{Module: m, Version: v, Commit: e.Commit, Hash: e.Hash, Source: fromManifest}
		if _, err := r.git.output("git", "cat-file", "-e", e.Commit+"^{commit}"); err != nil {
			rel.Missing = true
		}
		rels[e.Tag] = rel
	}
	return rels, nil
}

// head returns the commit of HEAD.
func (r *repo) head() (string, error) { return r.git.output("git", "rev-parse", "HEAD^{commit}") }

// isAncestor reports whether commit a is b or one of its ancestors.
func (r *repo) isAncestor(a, b string) bool {
	_, err := r.git.output("git", "merge-base", "--is-ancestor", a, b)
	return err == nil
}

// latest returns the newest release of the root module whose commit is HEAD
// or one of its ancestors, or nil.
func (r *repo) latest() (*release, error) {
	rels, err := r.releases()
	if err != nil {
		return nil, err
	}
	head, err := r.head()
	if err != nil {
		return nil, err
	}
	return newestRoot(rels, func(rel *release) bool { return !rel.Missing && r.isAncestor(rel.Commit, head) }), nil
}

// newestRoot returns the release of the root module with the highest
// version among those that keep says to, or nil.
func newestRoot(rels map[string]*release, keep func(*release) bool) *release {
	var best *release
	for _, tag := range slices.Sorted(maps.Keys(rels)) {
		rel := rels[tag]
		if rel.Module.Dir != "" || (keep != nil && !keep(rel)) {
			continue
		}
		if best == nil || semver.Compare(rel.Version, best.Version) > 0 {
			best = rel
		}
	}
	return best
}

// nextMinor returns the version after v that a release check takes: the
// next minor version (v0.1.0 before the first release).
func nextMinor(v string) string {
	if v == "" {
		return "v0.1.0"
	}
	mm := strings.SplitN(strings.TrimPrefix(semver.MajorMinor(v), "v"), ".", 2)
	minor, _ := strconv.Atoi(mm[1])
	return fmt.Sprintf("v%s.%d.0", mm[0], minor+1)
}

// checkNewVersion refuses a version that cannot be released next: not a
// canonical semantic version, a major version the module paths do not
// carry, or one not above every release so far.
func checkNewVersion(v string, rels map[string]*release) error {
	if !semver.IsValid(v) || semver.Canonical(v) != v || semver.Build(v) != "" {
		return fmt.Errorf("%q is not a release version: want vMAJOR.MINOR.PATCH, e.g. v0.1.0", v)
	}
	if major := semver.Major(v); major != "v0" && major != "v1" {
		return fmt.Errorf("%s: a major version above v1 needs the module paths to end in /%s first", v, major)
	}
	for _, rel := range rels {
		if rel.Version == v {
			return fmt.Errorf("%s is released already (%s, %s)", rel.tag(), rel.Commit, rel.Source)
		}
	}
	if newest := newestRoot(rels, nil); newest != nil && semver.Compare(v, newest.Version) <= 0 {
		return fmt.Errorf("%s is not above the newest release, %s", v, newest.Version)
	}
	return nil
}

// changelogReleaseRE matches a release's heading in CHANGELOG.md.
var changelogReleaseRE = regexp.MustCompile(`(?m)^## \[(v[^\]]+)\]`)

// newestChangelogRelease returns the version of the first release heading of
// the work tree's CHANGELOG.md, or "".
func (r *repo) newestChangelogRelease() (string, error) {
	data, err := os.ReadFile(r.path("CHANGELOG.md"))
	if err != nil {
		return "", err
	}
	if m := changelogReleaseRE.FindSubmatch(data); m != nil {
		return string(m[1]), nil
	}
	return "", nil
}

// required adds to rels the versions of published modules that go.mod files
// require and no tag or manifest entry locates: a pseudo-version, at its
// commit; a release version at HEAD when HEAD is that release's commit (its
// CHANGELOG's newest release, tagged elsewhere, before the next commit adds
// it to the manifest). Any other is an error.
func (r *repo) required(rels map[string]*release) error {
	reqs, err := r.requirements()
	if err != nil {
		return err
	}
	head, err := r.head()
	if err != nil {
		return err
	}
	newest, err := r.newestChangelogRelease()
	if err != nil {
		return err
	}
	for _, req := range reqs {
		tag := req.Module.tag(req.Version)
		if rel, ok := rels[tag]; ok {
			if rel.Missing {
				return fmt.Errorf("%s requires %s %s, whose commit %s (%s) is not in this clone (a shallow clone? fetch the history)",
					req.From, req.Module.Path, req.Version, rel.Commit, manifestPath)
			}
			continue
		}
		rel := &release{Module: req.Module, Version: req.Version}
		switch {
		case module.IsPseudoVersion(req.Version):
			rev, err := module.PseudoVersionRev(req.Version)
			if err != nil {
				return fmt.Errorf("%s: %s %s: %w", req.From, req.Module.Path, req.Version, err)
			}
			if rel.Commit, err = r.git.output("git", "rev-parse", "--verify", "--end-of-options", rev+"^{commit}"); err != nil {
				return fmt.Errorf("%s requires %s %s, whose commit %s is not in this clone (a rebased or squashed branch? a shallow clone?): %w",
					req.From, req.Module.Path, req.Version, rev, err)
			}
			rel.Source = fromPseudo
		case req.Version == newest:
			rel.Commit, rel.Source = head, fromReleaseHEAD
		default:
			return fmt.Errorf("%s requires %s %s, but no tag %s is here (git fetch --tags) and %s does not list it",
				req.From, req.Module.Path, req.Version, tag, manifestPath)
		}
		rels[tag] = rel
	}
	return nil
}

// pseudoVersion returns the version the go command gives commit: its tag's
// version when it is a release of the root module, else a pseudo-version
// after the newest release of the root module among its ancestors.
func (r *repo) pseudoVersion(commit string, rels map[string]*release) (string, error) {
	base := newestRoot(rels, func(rel *release) bool { return r.isAncestor(rel.Commit, commit) })
	if base != nil && base.Commit == commit {
		return base.Version, nil
	}
	ct, err := r.git.output("git", "show", "--no-patch", "--format=%ct", commit)
	if err != nil {
		return "", err
	}
	secs, err := strconv.ParseInt(ct, 10, 64)
	if err != nil {
		return "", fmt.Errorf("commit time of %s: %w", commit, err)
	}
	older := ""
	if base != nil {
		older = base.Version
	}
	return module.PseudoVersion(semver.Major(older), older, time.Unix(secs, 0), commit[:12]), nil
}
