// Command apigen generates the typed surface of the SDK from the OpenAPI
// spec; generate.go runs it after oapi-codegen:
//
//	go run ./internal/apigen/cmd/apigen [-spec openapi/jaccount.yaml] [-root .] [-out dir]
//
// It reads the spec and the models oapi-codegen wrote into gen/, and writes
// the files apigen.Outputs lists (api/*.gen.go, gen/decode.gen.go,
// gen/enums.gen.go, gen/times.gen.go, jaccounttest/routes.gen.go and the
// jaccount command's cmd/jaccount/internal/cli/commands.gen.go) under -out
// (by default the module root). Writing elsewhere lets a test compare a
// fresh generation with the committed files.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/oauth-jaccount/jaccount-go/internal/apigen"
)

func main() {
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
