package jaccount_test

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestRootPackageImportsNothing keeps the root package free of imports under
// every build tag: `go get github.com/oauth-jaccount/jaccount-go`, the
// README's install line, loads it with all its files (go get ignores build
// constraints) and adds the module of everything it imports to the user's
// go.mod. The generator's pin lives in internal/tools for that reason.
func TestRootPackageImportsNothing(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			t.Errorf("%s imports %s: `go get` of the SDK would add its module to the user's go.mod", name, path)
		}
	}
}
