// Command release releases jaccount-go's modules and proves a release
// installable. CONTRIBUTING.md ("Releasing") describes the process; in short:
//
//	go run ./internal/release prepare vX.Y.Z   # the release commit's changes, in the working tree
//	git commit -a -m "Release vX.Y.Z"
//	go run ./internal/release tag vX.Y.Z       # checks HEAD, then tags every published module
//	go run ./internal/release record vX.Y.Z    # the manifest entries, for the next commit
//	go run ./internal/release dist vX.Y.Z DIR  # the jaccount command's release binaries
//
// The published modules are the SDK at the repository's root (tag vX.Y.Z)
// and every nested module that go.work uses except the examples (tag
// <dir>/vX.Y.Z, e.g. auth/redisstore/vX.Y.Z); all are released together,
// at one commit and with one version, and the nested ones require the
// SDK (and each other) at that version, with no replace.
//
// The other commands:
//
//	go run ./internal/release check [-version vX.Y.Z] [-keep]
//
// is CI's release check: in a scratch clone of HEAD it prepares, commits and
// tags the next release, serves the tags from a file-system module proxy,
// and in an empty module cache installs the jaccount command with `go
// install ...@vX.Y.Z`, runs `jaccount version`, builds a consumer module
// that `go get`s the SDK and auth/redisstore, and cross-builds the command
// for linux, darwin and windows on amd64 and arm64 as a release ships it.
//
//	go run ./internal/release proxy [-env] DIR
//
// writes a file-system module proxy (GOPROXY=file://DIR) holding every
// released version (the git tags, and the release manifest's entries for a
// clone without them) and every version of the SDK's modules that a
// nested go.mod requires; with -env it prints the GOPROXY and GONOSUMDB
// settings that put it in front of the configured proxy, for a shell to
// eval. CI runs the modules' GOWORK=off checks behind it.
//
//	go run ./internal/release latest
//
// prints the newest release of the SDK reachable from HEAD ("VERSION
// COMMIT SOURCE"), or nothing before the first release (.ci/compat's base).
//
//	go run ./internal/release require [REV]
//
// makes the nested modules require the SDK at REV's pseudo-version (REV
// must be committed; default HEAD), for a change to a nested module that
// needs SDK API not yet released.
//
// The tool runs git and the go command, and never pushes.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"
)

// manifestPath is the release manifest, relative to the repository's root.
const manifestPath = "internal/release/manifest.txt"

const usage = `usage:
  go run ./internal/release prepare [-date YYYY-MM-DD] vX.Y.Z
  go run ./internal/release tag vX.Y.Z
  go run ./internal/release record [vX.Y.Z]
  go run ./internal/release dist vX.Y.Z DIR
  go run ./internal/release proxy [-env] DIR
  go run ./internal/release latest
  go run ./internal/release require [REV]
  go run ./internal/release check [-version vX.Y.Z] [-keep]
See CONTRIBUTING.md ("Releasing").
`

// errUsage is a command line the tool does not understand.
var errUsage = errors.New("usage")

func main() {
	err := run(os.Args[1:], os.Stdout, os.Stderr)
	if errors.Is(err, errUsage) {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "release:", err)
		os.Exit(1)
	}
}

// run runs one command line; stdout gets what a script reads (latest, proxy
// -env), stderr the report, except for prepare, tag, record, require and
// check, whose report is their output.
func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errUsage
	}
	cmd, args := args[0], args[1:]
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		date    = fs.String("date", "", "the release date in CHANGELOG.md (prepare; default today, UTC)")
		env     = fs.Bool("env", false, "print the go command's settings for the proxy (proxy)")
		version = fs.String("version", "", "the version to release (check; default the next minor version)")
		keep    = fs.Bool("keep", false, "keep the scratch directory (check)")
	)
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	allowed := map[string]string{"date": "prepare", "env": "proxy", "version": "check", "keep": "check"}
	misplaced := false
	fs.Visit(func(f *flag.Flag) { misplaced = misplaced || allowed[f.Name] != cmd })
	if misplaced {
		return errUsage
	}
	args = fs.Args()
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	switch {
	case cmd == "prepare" && len(args) == 1:
		day := time.Now().UTC().Format(time.DateOnly)
		if *date != "" {
			if _, err := time.Parse(time.DateOnly, *date); err != nil {
				return fmt.Errorf("-date %q: want YYYY-MM-DD", *date)
			}
			day = *date
		}
		r, err := openRepo(wd, stdout)
		if err != nil {
			return err
		}
		return r.prepare(args[0], day)
	case cmd == "tag" && len(args) == 1:
		r, err := openRepo(wd, stdout)
		if err != nil {
			return err
		}
		return r.tag(args[0])
	case cmd == "record" && len(args) <= 1:
		r, err := openRepo(wd, stdout)
		if err != nil {
			return err
		}
		return r.record(args)
	case cmd == "proxy" && len(args) == 1:
		r, err := openRepo(wd, stderr)
		if err != nil {
			return err
		}
		p, err := r.buildProxy(args[0])
		if err != nil {
			return err
		}
		if *env {
			for _, kv := range p.env() {
				fmt.Fprintf(stdout, "export %s\n", shellQuote(kv))
			}
		}
		return nil
	case cmd == "latest" && len(args) == 0:
		r, err := openRepo(wd, stderr)
		if err != nil {
			return err
		}
		rel, err := r.latest()
		if err != nil || rel == nil {
			return err
		}
		fmt.Fprintf(stdout, "%s %s %s\n", rel.Version, rel.Commit, rel.Source)
		return nil
	case cmd == "require" && len(args) <= 1:
		r, err := openRepo(wd, stdout)
		if err != nil {
			return err
		}
		rev := "HEAD"
		if len(args) == 1 {
			rev = args[0]
		}
		return r.require(rev)
	case cmd == "dist" && len(args) == 2:
		return dist(wd, args[0], args[1], stdout)
	case cmd == "check" && len(args) == 0:
		return check(wd, *version, *keep, stdout)
	}
	return errUsage
}
