// Command apigen generates the typed surface of the SDK from the OpenAPI
// spec; generate.go runs it after oapi-codegen:
//
//	go run ./internal/apigen/cmd/apigen [-spec openapi/jaccount.yaml] [-root .] [-out dir]
//
// It reads the spec and the models oapi-codegen wrote into gen/, and writes
// the files apigen.Outputs lists (api/*.gen.go, gen/decode.gen.go,
// gen/enums.gen.go, gen/times.gen.go, jaccounttest/routes.gen.go and the
// jaccount command's cmd/jaccount/internal/cli/commands.gen.go), and the
// models again with a doc comment on the fields oapi-codegen leaves bare
// (gen/models.gen.go, apigen.DocumentModels), under -out (by default the
// module root). Writing elsewhere lets a test compare a fresh generation
// with the committed files.
//
// With the word merge, it merges shape reports (`jaccount survey`) into the
// spec, in place (see apigen.Merge), and prints what it added, what it did
// not apply and why, and what to check:
//
//	go run ./internal/apigen/cmd/apigen merge [-spec openapi/jaccount.yaml] [-fake] report.json...
//
// Then run go generate ./... and the tests.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/oauth-jaccount/jaccount-go/internal/apigen"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "merge" {
		if err := merge(os.Stdout, os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	spec := flag.String("spec", "openapi/jaccount.yaml", "the OpenAPI spec")
	root := flag.String("root", ".", "the module root, whose gen/ and api/ are read")
	out := flag.String("out", "", "where to write the generated files (default: -root)")
	flag.Parse()
	if *out == "" {
		*out = *root
	}
	if err := run(*spec, *root, *out); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(specPath, root, out string) error {
	files, err := apigen.Generate(specPath, root)
	if err != nil {
		return err
	}
	// The models oapi-codegen wrote, with a doc comment on the fields it
	// leaves bare (apigen.DocumentModels).
	models, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(apigen.ModelsFile)))
	if err != nil {
		return err
	}
	if files[apigen.ModelsFile], err = apigen.DocumentModels(models); err != nil {
		return err
	}
	for name, src := range files {
		dst := filepath.Join(out, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(dst, src, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// merge is `apigen merge`.
func merge(w io.Writer, args []string) error {
	fs := flag.NewFlagSet("apigen merge", flag.ContinueOnError)
	specPath := fs.String("spec", "openapi/jaccount.yaml", "the OpenAPI spec, rewritten in place")
	fake := fs.Bool("fake", false, "merge a report of the built-in fake (jaccount --fake survey): for tests only")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return errors.New("usage: apigen merge [-spec openapi/jaccount.yaml] [-fake] REPORT [REPORT]")
	}
	spec, err := os.ReadFile(*specPath)
	if err != nil {
		return err
	}
	for _, path := range fs.Args() {
		report, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		m, err := apigen.Merge(spec, report, *fake)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		fmt.Fprintf(w, "%s:\n", path)
		for _, part := range []struct {
			title string
			lines []string
		}{{"added", m.Added}, {"not applied", m.NotApplied}, {"check", m.Notes}} {
			if len(part.lines) == 0 {
				continue
			}
			fmt.Fprintf(w, "  %s:\n", part.title)
			for _, l := range part.lines {
				fmt.Fprintf(w, "    %s\n", l)
			}
		}
		if len(m.Added) == 0 {
			fmt.Fprintln(w, "  nothing to add")
		}
		spec = m.Spec
	}
	if err := os.WriteFile(*specPath, spec, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(w, "%s rewritten; now run go generate ./... and the tests, and read the diff.\n", *specPath)
	return nil
}
