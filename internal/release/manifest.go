package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// A manifestEntry is one line of the release manifest: a release tag, the
// commit it names and the module zip's hash at that commit (the h1: that
// go.sum files and the checksum database hold for it).
type manifestEntry struct {
	Tag, Commit, Hash string
}

var (
	commitRE = regexp.MustCompile(`^[0-9a-f]{40}([0-9a-f]{24})?$`) // SHA-1 or SHA-256
	hashRE   = regexp.MustCompile(`^h1:[A-Za-z0-9+/]{43}=$`)
)

// manifestHeader starts a new manifest.
const manifestHeader = `# The releases of jaccount-go's modules: tag, commit, module zip hash (h1:).
# Written by "go run ./internal/release record" in the commit after each release
# (a commit cannot name its own hash). Where a clone lacks the tags (CI's may),
# the release tool serves the released modules from these commits, and checks
# each zip against its hash. See CONTRIBUTING.md ("Releasing").
`

// readManifest reads the manifest of the work tree; a missing file is an
// empty manifest.
func (r *repo) readManifest() ([]manifestEntry, error) {
	data, err := os.ReadFile(r.path(manifestPath))
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return parseManifest(data)
}

// parseManifest parses a manifest: "TAG COMMIT HASH" lines, blank lines
// and "#" comments. Each tag appears at most once.
func parseManifest(data []byte) ([]manifestEntry, error) {
	var entries []manifestEntry
	seen := map[string]bool{}
	n := 0
	for line := range strings.Lines(string(data)) {
		n++
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 3 || !commitRE.MatchString(f[1]) || !hashRE.MatchString(f[2]) {
			return nil, fmt.Errorf("%s:%d: want \"TAG COMMIT h1:HASH\", have %q", manifestPath, n, line)
		}
		if seen[f[0]] {
			return nil, fmt.Errorf("%s:%d: %s is listed twice", manifestPath, n, f[0])
		}
		seen[f[0]] = true
		entries = append(entries, manifestEntry{Tag: f[0], Commit: f[1], Hash: f[2]})
	}
	return entries, nil
}

// appendManifest adds entries at the end of the work tree's manifest,
// creating it with its header if needed.
func (r *repo) appendManifest(entries []manifestEntry) error {
	data, err := os.ReadFile(r.path(manifestPath))
	if os.IsNotExist(err) {
		data, err = []byte(manifestHeader), nil
	}
	if err != nil {
		return err
	}
	var b bytes.Buffer
	b.Write(data)
	if len(data) > 0 && !bytes.HasSuffix(data, []byte("\n")) {
		b.WriteByte('\n')
	}
	for _, e := range entries {
		fmt.Fprintf(&b, "%s %s %s\n", e.Tag, e.Commit, e.Hash)
	}
	if _, err := parseManifest(b.Bytes()); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(r.path(manifestPath)), 0o755); err != nil {
		return err
	}
	return os.WriteFile(r.path(manifestPath), b.Bytes(), 0o644)
}
