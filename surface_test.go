package jaccount_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// publicPackages are the packages users import (README, "which package for
// what"), gen, whose models api declares again, and openapi, the spec's
// own directory, whose one export is the spec's text (openapi.Spec).
// Everything else is internal/ or a command.
var publicPackages = []string{"auth", "api", "web", "jaccounttest", "gen", "openapi", "auth/redisstore", "auth/redisstore/redistest"}

// TestPublicSurface keeps the public surface a user's manual: every
// exported identifier of the public packages is documented (struct fields
// too: those of gen's models come from the spec's descriptions, which
// internal/apigen requires, and from apigen.DocumentModels), each
// package has a package comment of its own, gen's is not oapi-codegen's
// boilerplate, and every package outside them that is not a command or a
// test double is under internal/.
func TestPublicSurface(t *testing.T) {
	t.Parallel()
	for _, dir := range publicPackages {
		fset := token.NewFileSet()
		names, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		pkgs := map[string][]*ast.File{} // the package and its files; every file of a build, whatever its tags
		for _, name := range names {
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
			if err != nil {
				t.Fatal(err)
			}
			pkgs[f.Name.Name] = append(pkgs[f.Name.Name], f)
		}
		for name, files := range pkgs {
			docs := 0
			for _, f := range files {
				if f.Doc != nil {
					docs++
					if strings.Contains(f.Doc.Text(), "primitives to interact with the openapi HTTP API") {
						t.Errorf("%s: oapi-codegen's package comment", fset.Position(f.Package))
					}
				}
			}
			if docs != 1 {
				t.Errorf("package %s (%s) has %d package comments, want one", name, dir, docs)
			}
			for _, f := range files {
				for _, miss := range undocumented(f) {
					t.Errorf("%s: %s is not documented", fset.Position(miss.Pos()), miss.Name)
				}
			}
		}
	}
	// The packages of the module: public, internal, or a command.
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		if path != "." {
			if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil && path != "auth/redisstore" {
				return filepath.SkipDir // another module: cmd/jaccount, examples, testdata/consumer
			}
		}
		base := d.Name()
		if base == "testdata" || base == "internal" || strings.HasPrefix(base, ".") && path != "." {
			return filepath.SkipDir
		}
		goFiles, _ := filepath.Glob(filepath.Join(path, "*.go"))
		hasCode := false
		for _, f := range goFiles {
			hasCode = hasCode || !strings.HasSuffix(f, "_test.go")
		}
		slash := filepath.ToSlash(path)
		if hasCode && path != "." && !slices.Contains(publicPackages, slash) {
			t.Errorf("package %s is neither public (publicPackages) nor under internal/", slash)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// undocumented returns the exported identifiers of f without a doc
// comment: declarations, methods of exported types, and the fields of
// exported struct types (a trailing line comment counts).
func undocumented(f *ast.File) []*ast.Ident {
	var out []*ast.Ident
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if !d.Name.IsExported() || d.Doc != nil {
				continue
			}
			if d.Recv != nil && !exportedRecv(d.Recv.List[0].Type) {
				continue
			}
			out = append(out, d.Name)
		case *ast.GenDecl:
			for _, spec := range d.Specs {
				switch s := spec.(type) {
				case *ast.TypeSpec:
					if !s.Name.IsExported() {
						continue
					}
					if s.Doc == nil && d.Doc == nil {
						out = append(out, s.Name)
					}
					if st, ok := s.Type.(*ast.StructType); ok {
						for _, fl := range st.Fields.List {
							for _, n := range fl.Names {
								if n.IsExported() && fl.Doc == nil && fl.Comment == nil {
									out = append(out, n)
								}
							}
						}
					}
				case *ast.ValueSpec:
					for _, n := range s.Names {
						if n.IsExported() && s.Doc == nil && d.Doc == nil && s.Comment == nil {
							out = append(out, n)
						}
					}
				}
			}
		}
	}
	return out
}

// exportedRecv reports whether a method's receiver type is exported.
func exportedRecv(e ast.Expr) bool {
	for {
		switch t := e.(type) {
		case *ast.StarExpr:
			e = t.X
		case *ast.IndexExpr:
			e = t.X
		case *ast.IndexListExpr:
			e = t.X
		case *ast.Ident:
			return t.IsExported()
		default:
			return true
		}
	}
}
