package apigen

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// AddModels checks every model of a against the Go package in genDir (the
// oapi-codegen output) and records the constants of each model's type, the
// enum values that package api re-exports. A schema without a type in gen
// is an error: the spec and gen are out of step.
func AddModels(a *API, genDir string) error {
	types, consts, err := declarations(genDir, func(name string) bool { return strings.HasSuffix(name, ".gen.go") })
	if err != nil {
		return err
	}
	var missing []string
	for _, m := range a.Models {
		if !types[m.Name] {
			missing = append(missing, m.Name)
			continue
		}
		m.Consts = consts[m.Name]
		slices.Sort(m.Consts)
	}
	if len(missing) > 0 {
		return fmt.Errorf("apigen: %s has no type for schema(s) %s; run oapi-codegen first", genDir, strings.Join(missing, ", "))
	}
	return nil
}

// CheckNames reports the names the generated api files would declare that
// the package's hand-written files in apiDir already declare.
func CheckNames(a *API, apiDir string) error {
	types, consts, err := declarations(apiDir, func(name string) bool {
		return !strings.HasSuffix(name, ".gen.go") && !strings.HasSuffix(name, "_test.go")
	})
	if err != nil {
		return err
	}
	taken := map[string]bool{}
	for t := range types {
		taken[t] = true
	}
	for _, cs := range consts {
		for _, c := range cs {
			taken[c] = true
		}
	}
	var clashes []string
	for _, n := range GeneratedNames(a) {
		if taken[n] {
			clashes = append(clashes, n)
		}
	}
	if len(clashes) > 0 {
		return fmt.Errorf("apigen: generated name(s) %s clash with hand-written declarations in %s", strings.Join(clashes, ", "), apiDir)
	}
	return nil
}

// GeneratedNames lists the package-level names the api templates declare.
func GeneratedNames(a *API) []string {
	var out []string
	for _, srv := range a.Servers {
		if !srv.Default {
			out = append(out, srv.Client, srv.ServiceType(), srv.Constructor(), srv.Option(), srv.DefaultConst())
		}
	}
	for _, s := range a.Services {
		out = append(out, s.Name+"Service")
	}
	for _, op := range a.Ops {
		out = append(out, op.PathConst())
		if op.HasParamsStruct() {
			out = append(out, op.ParamsType())
		}
		if op.Aliases.Params != "" {
			out = append(out, op.Aliases.Params)
		}
	}
	for _, sc := range a.Scopes {
		out = append(out, sc.GoName)
	}
	for _, e := range a.Errnos {
		out = append(out, e.GoName)
	}
	for _, m := range a.Models {
		out = append(out, m.Name)
		out = append(out, m.Consts...)
	}
	slices.Sort(out)
	return out
}

// declarations parses the Go files of dir that keep selects and returns the
// package-level type names, and the constants of each type (untyped
// constants under "").
func declarations(dir string, keep func(string) bool) (types map[string]bool, consts map[string][]string, err error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("apigen: %w", err)
	}
	types, consts = map[string]bool{}, map[string][]string{}
	fset := token.NewFileSet()
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".go") || !keep(e.Name()) {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, e.Name()), nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, nil, fmt.Errorf("apigen: %w", err)
		}
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok {
				if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil {
					consts[""] = append(consts[""], fd.Name.Name) // functions share the name space
				}
				continue
			}
			for _, spec := range gd.Specs {
				switch s := spec.(type) {
				case *ast.TypeSpec:
					types[s.Name.Name] = true
				case *ast.ValueSpec:
					typ := ""
					if id, ok := s.Type.(*ast.Ident); ok {
						typ = id.Name
					}
					for _, n := range s.Names {
						if gd.Tok == token.CONST && n.IsExported() {
							consts[typ] = append(consts[typ], n.Name)
						} else {
							consts[""] = append(consts[""], n.Name)
						}
					}
				}
			}
		}
	}
	return types, consts, nil
}
