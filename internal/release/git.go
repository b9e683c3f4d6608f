package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// command runs a program in a directory with extra environment variables.
type command struct {
	dir string
	env []string // added to os.Environ(), later ones winning
}

// output runs name with args and returns its standard output, trimmed; its
// error holds the command line and what the program wrote to stderr.
func (c command) output(name string, args ...string) (string, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Dir = c.dir
	cmd.Env = append(os.Environ(), c.env...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(stdout.String()), nil
}

// run runs name with args, its output going to w after a line showing the
// command ("+ ..."), with dir shown relative to base when it is inside it.
func (c command) run(w io.Writer, show func(string) string, name string, args ...string) error {
	line := append([]string{name}, args...)
	for i, a := range line {
		line[i] = shellQuote(show(a))
	}
	where := ""
	if d := show(c.dir); d != "." && d != "" {
		where = "(cd " + shellQuote(d) + ") "
	}
	fmt.Fprintf(w, "+ %s%s\n", where, strings.Join(line, " "))
	cmd := exec.Command(name, args...)
	cmd.Dir = c.dir
	cmd.Env = append(os.Environ(), c.env...)
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w", strings.Join(line, " "), err)
	}
	return nil
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@,+%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// archiver builds commits and archives of a repository in a scratch
// repository of its own that borrows the objects of the real one (git's
// alternates), so that nothing is written into the real repository: not
// the snapshot commits of prepare, and not the attributes file below.
type archiver struct {
	tmp string // a scratch directory, removed by close, for the caller's use too
	dir string // the scratch repository (bare), in tmp
	git command
}

// identity is the author and committer of the commits and tags the tool
// makes where no identity is configured (the scratch clone of check).
var identity = []string{
	"GIT_AUTHOR_NAME=jaccount-go release", "GIT_AUTHOR_EMAIL=release@jaccount-go.invalid",
	"GIT_COMMITTER_NAME=jaccount-go release", "GIT_COMMITTER_EMAIL=release@jaccount-go.invalid",
}

// newArchiver makes a scratch directory and in it a scratch repository over
// the objects of the repository whose work tree is top. Close removes them.
func newArchiver(top string) (a *archiver, err error) {
	objects, err := command{dir: top}.output("git", "rev-parse", "--path-format=absolute", "--git-common-dir")
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "jaccount-release-")
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	dir := filepath.Join(tmp, "archive.git")
	a = &archiver{tmp: tmp, dir: dir, git: command{dir: tmp, env: append([]string{"GIT_DIR=" + dir}, identity...)}}
	if _, err := a.git.output("git", "init", "--quiet", "--bare", dir); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "objects", "info", "alternates"), []byte(filepath.Join(objects, "objects")+"\n"), 0o644); err != nil {
		return nil, err
	}
	// As the go command does before it archives (cmd/go's
	// codehost.ensureGitAttributes, golang.org/issue/27153): a module zip
	// must not depend on export-subst or export-ignore attributes in the tree.
	if err := os.WriteFile(filepath.Join(dir, "info", "attributes"), []byte("\n* -export-subst -export-ignore\n"), 0o644); err != nil {
		return nil, err
	}
	return a, nil
}

// close removes the scratch directory.
func (a *archiver) close() error { return os.RemoveAll(a.tmp) }

// snapshot returns a commit, child of parent, of what `git commit -a` would
// commit in the work tree top: its index, with the tracked files as they
// are now on disk. The real index stays as it is (a copy is used).
func (a *archiver) snapshot(top, parent string) (string, error) {
	index, err := command{dir: top}.output("git", "rev-parse", "--path-format=absolute", "--git-path", "index")
	if err != nil {
		return "", err
	}
	data, err := os.ReadFile(index)
	if err != nil {
		return "", err
	}
	copied := filepath.Join(a.dir, "snapshot-index")
	if err := os.WriteFile(copied, data, 0o644); err != nil {
		return "", err
	}
	g := a.git
	g.dir = top
	g.env = append(g.env, "GIT_WORK_TREE="+top, "GIT_INDEX_FILE="+copied)
	if _, err := g.output("git", "add", "--update", "--", "."); err != nil {
		return "", err
	}
	tree, err := g.output("git", "write-tree")
	if err != nil {
		return "", err
	}
	return g.output("git", "commit-tree", tree, "-p", parent, "-m", "release: snapshot of the work tree")
}

// archive returns the zip archive of subdir (the whole tree when "") at
// commit, as cmd/go's codehost.gitRepo.ReadZip makes it: every path
// prefixed with "prefix/", text as committed.
func (a *archiver) archive(commit, subdir string) ([]byte, error) {
	args := []string{"-c", "core.autocrlf=input", "-c", "core.eol=lf", "archive", "--format=zip", "--prefix=prefix/", "--end-of-options", commit}
	if subdir != "" {
		args = append(args, subdir)
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command("git", args...)
	cmd.Dir = a.dir
	cmd.Env = append(os.Environ(), a.git.env...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("git archive %s %s: %w: %s", commit, subdir, err, strings.TrimSpace(stderr.String()))
	}
	return stdout.Bytes(), nil
}

// file returns the contents of path at commit, and whether it exists.
func (a *archiver) file(commit, path string) ([]byte, bool, error) {
	cmd := exec.Command("git", "cat-file", "blob", commit+":"+path)
	cmd.Dir = a.dir
	cmd.Env = append(os.Environ(), a.git.env...)
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	if err := cmd.Run(); err != nil {
		// Tell a missing file from a missing commit.
		if _, cerr := a.git.output("git", "cat-file", "-e", commit+"^{commit}"); cerr != nil {
			return nil, false, fmt.Errorf("commit %s: %w", commit, cerr)
		}
		return nil, false, nil
	}
	return stdout.Bytes(), true, nil
}
