package apigen

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// AddModels checks every model of a against the Go package in genDir (the
// oapi-codegen output) and records the constants of each model's type, the
// enum values that package api re-exports. A schema without a type in gen
// is an error: the spec and gen are out of step. The open sets are types
// apigen itself writes into gen (oapi-codegen.yaml excludes them), so their
// constants come from the spec; apigen's own files in genDir are not read.
func AddModels(a *API, genDir string) error {
	own := map[string]bool{}
	for file := range Outputs {
		if dir, name := path.Split(file); dir == "gen/" {
			own[name] = true
		}
	}
	decl, err := declarations(genDir, func(name string) bool { return strings.HasSuffix(name, ".gen.go") && !own[name] })
	if err != nil {
		return err
	}
	sets := map[string]*OpenSet{}
	for _, s := range a.OpenSets {
		sets[s.Name] = s
	}
	var missing, clash []string
	for _, m := range a.Models {
		if set := sets[m.Name]; set != nil {
			if decl.types[m.Name] {
				clash = append(clash, m.Name)
			}
			for _, v := range set.Values {
				m.Consts = append(m.Consts, v.GoName)
			}
			slices.Sort(m.Consts)
			continue
		}
		if !decl.types[m.Name] {
			missing = append(missing, m.Name)
			continue
		}
		m.Consts = decl.consts[m.Name]
		slices.Sort(m.Consts)
	}
	if len(missing) > 0 {
		return fmt.Errorf("apigen: %s has no type for schema(s) %s; run oapi-codegen first", genDir, strings.Join(missing, ", "))
	}
	if len(clash) > 0 {
		return fmt.Errorf("apigen: oapi-codegen declared the open set(s) %s, which apigen writes; list them under exclude-schemas in openapi/oapi-codegen.yaml", strings.Join(clash, ", "))
	}
	var badFields []string
	for _, f := range a.TimeFields {
		if !decl.fields[f.Model][f.Field] {
			badFields = append(badFields, f.Model+"."+f.Field)
		}
	}
	if len(badFields) > 0 {
		return fmt.Errorf("apigen: x-jaccount-time names field(s) %s, which gen does not declare", strings.Join(badFields, ", "))
	}
	return nil
}

// CheckNames reports the names the generated api files would declare that
// the package's hand-written files in apiDir already declare.
func CheckNames(a *API, apiDir string) error {
	decl, err := declarations(apiDir, func(name string) bool {
		return !strings.HasSuffix(name, ".gen.go") && !strings.HasSuffix(name, "_test.go")
	})
	if err != nil {
		return err
	}
	taken := map[string]bool{}
	for t := range decl.types {
		taken[t] = true
	}
	for _, cs := range decl.consts {
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

// decls are the package-level declarations of some Go files.
type decls struct {
	// types are the type names; consts the constants of each type
	// (untyped constants, variables and functions under ""); fields the
	// field names of each struct type.
	types  map[string]bool
	consts map[string][]string
	fields map[string]map[string]bool
}

// declarations parses the Go files of dir that keep selects.
func declarations(dir string, keep func(string) bool) (*decls, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("apigen: %w", err)
	}
	d := &decls{types: map[string]bool{}, consts: map[string][]string{}, fields: map[string]map[string]bool{}}
	fset := token.NewFileSet()
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".go") || !keep(e.Name()) {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, e.Name()), nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, fmt.Errorf("apigen: %w", err)
		}
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok {
				if fd, ok := decl.(*ast.FuncDecl); ok && fd.Recv == nil {
					d.consts[""] = append(d.consts[""], fd.Name.Name) // functions share the name space
				}
				continue
			}
			for _, spec := range gd.Specs {
				switch s := spec.(type) {
				case *ast.TypeSpec:
					d.types[s.Name.Name] = true
					if st, ok := s.Type.(*ast.StructType); ok {
						fs := map[string]bool{}
						for _, fld := range st.Fields.List {
							for _, n := range fld.Names {
								fs[n.Name] = true
							}
						}
						d.fields[s.Name.Name] = fs
					}
				case *ast.ValueSpec:
					typ := ""
					if id, ok := s.Type.(*ast.Ident); ok {
						typ = id.Name
					}
					for _, n := range s.Names {
						if gd.Tok == token.CONST && n.IsExported() {
							d.consts[typ] = append(d.consts[typ], n.Name)
						} else {
							d.consts[""] = append(d.consts[""], n.Name)
						}
					}
				}
			}
		}
	}
	return d, nil
}
