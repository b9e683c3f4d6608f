package apigen

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// A Decoded is a type of package gen that gets a generated decoder
// (gen/decode.gen.go): a model that keeps its JSON (a struct with
// AdditionalProperties, whose MarshalJSON comes from
// openapi/templates/additional-properties.tmpl) gets UnmarshalJSON and the
// unexported decodeJSON under it, which read each member straight into its
// field and keep the others in one pass over package wire's Decoder. Every
// Decoded type, map types included, is in the function gen registers with
// wire.RegisterModels, so that package api decodes its replies in one pass
// too.
type Decoded struct {
	Name string
	// Map is set for a map type; Plain for a struct that does not keep
	// its JSON (a reply's envelope), decoded as encoding/json decodes it:
	// unknown members are dropped, names match fields whatever their case.
	Map, Plain bool
	Fields     []*DecodedField
}

// DecodedField is one field of a Decoded struct.
type DecodedField struct {
	GoName, JSON string
	Kind         fieldKind
	// Target is the type a kindModelPtr field points to.
	Target string
	// Elem is the element's kind of a slice (kindSlice).
	Elem fieldKind
}

// fieldKind is how a field is decoded.
type fieldKind uint8

const (
	kindFallback fieldKind = iota // encoding/json, for a type without a decoder here
	kindString                    // any type whose underlying type is string
	kindInt
	kindInt64
	kindFloat64
	kindBool
	kindAny      // interface{}
	kindMap      // map[string]interface{} or a type defined as one
	kindModel    // a Decoded struct
	kindBirthday // wire.Birthday
	kindSlice    // a slice of any kind but kindSlice and kindFallback
	kindModelPtr // a pointer to a struct of gen's (a model that contains itself)
)

// AddDecoders finds the types of package gen in genDir (the oapi-codegen
// output; apigen's own files are not read) that get a generated decoder. A
// field it cannot classify is decoded by encoding/json (wire.Fallback),
// so that a model the spec adds tomorrow still decodes as before.
func AddDecoders(a *API, genDir string) error {
	own := map[string]bool{}
	for file := range Outputs {
		if dir, name := filepath.Split(file); dir == "gen/" {
			own[name] = true
		}
	}
	specs := map[string]*ast.TypeSpec{}
	selfDecoding := map[string]bool{}
	entries, err := os.ReadDir(genDir)
	if err != nil {
		return fmt.Errorf("apigen: %w", err)
	}
	fset := token.NewFileSet()
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".gen.go") || own[e.Name()] {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(genDir, e.Name()), nil, parser.SkipObjectResolution)
		if err != nil {
			return fmt.Errorf("apigen: %w", err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.TypeSpec:
				specs[n.Name.Name] = n
			case *ast.FuncDecl:
				// A type that decodes itself is left to encoding/json.
				if n.Recv != nil && (n.Name.Name == "UnmarshalJSON" || n.Name.Name == "UnmarshalText") {
					if id := recvName(n.Recv.List[0].Type); id != "" {
						selfDecoding[id] = true
					}
				}
			}
			return true
		})
	}
	r := &kindResolver{specs: specs, open: map[string]bool{}, self: selfDecoding}
	for _, s := range a.OpenSets {
		r.open[s.Name] = true
	}
	a.Decoders = nil
	for _, name := range slices.Sorted(mapKeys(specs)) {
		ts := specs[name]
		st, isStruct := ts.Type.(*ast.StructType)
		switch {
		case isStruct && ts.Assign == 0:
			d := &Decoded{Name: name, Plain: !r.isModel(name)}
			for _, f := range st.Fields.List {
				if len(f.Names) != 1 || f.Names[0].Name == "AdditionalProperties" {
					continue
				}
				jsonName, ok := jsonTag(f)
				if !ok {
					return fmt.Errorf("apigen: gen.%s.%s has no json tag", name, f.Names[0].Name)
				}
				fd := &DecodedField{GoName: f.Names[0].Name, JSON: jsonName, Kind: r.kind(f.Type)}
				switch fd.Kind {
				case kindSlice:
					fd.Elem = r.kind(r.sliceElem(f.Type))
				case kindModelPtr:
					fd.Target = f.Type.(*ast.StarExpr).X.(*ast.Ident).Name
				}
				d.Fields = append(d.Fields, fd)
			}
			a.Decoders = append(a.Decoders, d)
		case ts.Assign == 0 && isAnyMap(ts.Type):
			a.Decoders = append(a.Decoders, &Decoded{Name: name, Map: true})
		}
	}
	return nil
}

// jsonTag returns the member name of a field's json tag.
func jsonTag(f *ast.Field) (string, bool) {
	if f.Tag == nil {
		return "", false
	}
	tag, err := strconv.Unquote(f.Tag.Value)
	if err != nil {
		return "", false
	}
	v, ok := reflect.StructTag(tag).Lookup("json")
	name, _, _ := strings.Cut(v, ",")
	return name, ok && name != "" && name != "-"
}

// isAnyMap reports whether e is map[string]interface{} (or any).
func isAnyMap(e ast.Expr) bool {
	m, ok := e.(*ast.MapType)
	if !ok {
		return false
	}
	k, ok := m.Key.(*ast.Ident)
	return ok && k.Name == "string" && isEmptyInterface(m.Value)
}

func isEmptyInterface(e ast.Expr) bool {
	switch t := e.(type) {
	case *ast.InterfaceType:
		return len(t.Methods.List) == 0
	case *ast.Ident:
		return t.Name == "any"
	}
	return false
}

// recvName returns the type name of a method's receiver.
func recvName(e ast.Expr) string {
	if s, ok := e.(*ast.StarExpr); ok {
		e = s.X
	}
	if id, ok := e.(*ast.Ident); ok {
		return id.Name
	}
	return ""
}

// kindResolver classifies field types by gen's declarations.
type kindResolver struct {
	specs map[string]*ast.TypeSpec
	open  map[string]bool // the open sets, which apigen declares as strings
	self  map[string]bool // the types with an UnmarshalJSON or UnmarshalText of oapi-codegen's
}

// sliceElem returns the element type of a slice type, through aliases.
func (r *kindResolver) sliceElem(e ast.Expr) ast.Expr {
	for {
		switch t := e.(type) {
		case *ast.ArrayType:
			return t.Elt
		case *ast.Ident:
			ts := r.specs[t.Name]
			if ts == nil {
				return nil
			}
			e = ts.Type
		default:
			return nil
		}
	}
}

// isModel reports whether gen's type name is a struct that keeps its JSON.
func (r *kindResolver) isModel(name string) bool {
	ts := r.specs[name]
	if ts == nil || ts.Assign != 0 {
		return false
	}
	st, ok := ts.Type.(*ast.StructType)
	if !ok {
		return false
	}
	for _, f := range st.Fields.List {
		if len(f.Names) == 1 && f.Names[0].Name == "AdditionalProperties" && isAnyMap(f.Type) {
			return true
		}
	}
	return false
}

func (r *kindResolver) kind(e ast.Expr) fieldKind {
	switch t := e.(type) {
	case nil:
		return kindFallback
	case *ast.Ident:
		switch t.Name {
		case "string":
			return kindString
		case "int":
			return kindInt
		case "int64":
			return kindInt64
		case "float64":
			return kindFloat64
		case "bool":
			return kindBool
		case "any":
			return kindAny
		}
		if r.open[t.Name] {
			return kindString
		}
		if r.self[t.Name] {
			return kindFallback
		}
		if r.isModel(t.Name) {
			return kindModel
		}
		ts := r.specs[t.Name]
		if ts == nil {
			return kindFallback
		}
		if _, ok := ts.Type.(*ast.StructType); ok {
			return kindFallback // a struct that does not keep its JSON
		}
		if ts.Assign == 0 && isAnyMap(ts.Type) {
			return kindMap
		}
		if ts.Assign != 0 || isBasic(ts.Type) {
			return r.kind(ts.Type) // an alias, or a defined basic type without methods of its own
		}
	case *ast.InterfaceType:
		if len(t.Methods.List) == 0 {
			return kindAny
		}
	case *ast.MapType:
		if isAnyMap(t) {
			return kindMap
		}
	case *ast.StarExpr:
		if x, ok := t.X.(*ast.Ident); ok && r.specs[x.Name] != nil && r.specs[x.Name].Assign == 0 && !r.self[x.Name] {
			if _, ok := r.specs[x.Name].Type.(*ast.StructType); ok {
				return kindModelPtr // every struct of gen's has a decodeJSON
			}
		}
	case *ast.SelectorExpr:
		if x, ok := t.X.(*ast.Ident); ok && x.Name == "wire" && t.Sel.Name == "Birthday" {
			return kindBirthday
		}
	case *ast.ArrayType:
		if t.Len == nil {
			if k := r.kind(t.Elt); k != kindSlice && k != kindFallback && k != kindModelPtr {
				return kindSlice
			}
		}
	}
	return kindFallback
}

// isBasic reports whether e is one of the basic types the decoders read.
func isBasic(e ast.Expr) bool {
	id, ok := e.(*ast.Ident)
	return ok && slices.Contains([]string{"string", "int", "int64", "float64", "bool"}, id.Name)
}

// decoderSrc writes the decoder of one type.
func decoderSrc(d *Decoded) string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	if d.Map {
		return "" // wire.Map decodes it (see registerSrc)
	}
	if d.Plain {
		p("// UnmarshalJSON decodes the object as encoding/json decodes it into a")
		p("// struct of these fields, in one pass.")
	} else {
		p("// UnmarshalJSON decodes the object's members into the fields and keeps the")
		p("// rest in AdditionalProperties (numbers as json.Number): members the spec")
		p("// does not know, and those whose value is the field's zero value, so that")
		p("// the model encodes the same members back.")
	}
	p("func (a *%s) UnmarshalJSON(b []byte) error {", d.Name)
	p("var d wire.Decoder")
	p("d.Reset(b)")
	p("a.decodeJSON(&d)")
	p("if err := d.Finish(); err != nil {")
	p("return fmt.Errorf(%q, err)", d.Name+": %w")
	p("}")
	p("return nil")
	p("}")
	p("")
	p("// decodeJSON decodes the object at d's position as UnmarshalJSON does, in")
	p("// one pass; errors are d's.")
	p("func (a *%s) decodeJSON(d *wire.Decoder) {", d.Name)
	p("if !wire.BeginObject(d, a) {")
	p("return")
	p("}")
	p("for {")
	p("name, ok := d.Next()")
	p("if !ok {")
	p("return")
	p("}")
	if d.Plain {
		var names []string
		for _, f := range d.Fields {
			names = append(names, strconv.Quote(f.JSON))
		}
		p("switch wire.Member(name, %s) {", strings.Join(names, ", "))
		for i, f := range d.Fields {
			p("case %d:", i)
			b.WriteString(decodeStmt("a."+f.GoName, f.Kind, f.Elem, f.Target))
		}
		p("default:")
		p("d.Skip()")
		p("}")
		p("}")
		p("}")
		return b.String()
	}
	if len(d.Fields) > 0 {
		p("start := d.Pos()")
		p("switch string(name) {")
		for _, f := range d.Fields {
			field := "a." + f.GoName
			p("case %q:", f.JSON)
			b.WriteString(decodeStmt(field, f.Kind, f.Elem, f.Target))
			p("if %s {", omitted(field, f.Kind))
			p("d.KeepFrom(&a.AdditionalProperties, name, start)")
			p("continue")
			p("}")
		}
		p("default:")
		p("d.Unknown(&a.AdditionalProperties, name, %q)", d.Name)
		p("continue")
		p("}")
		p("if a.AdditionalProperties != nil {")
		p("delete(a.AdditionalProperties, string(name)) // a member of this name kept before")
		p("}")
	} else {
		p("d.Keep(&a.AdditionalProperties, name)")
	}
	p("}")
	p("}")
	p("")
	p("// isZero reports whether a is %s{}, as reflect.Value.IsZero does.", d.Name)
	p("func (a *%s) isZero() bool {", d.Name)
	var conds []string
	for _, f := range d.Fields {
		conds = append(conds, zero("a."+f.GoName, f.Kind))
	}
	conds = append(conds, "a.AdditionalProperties == nil")
	p("return %s", strings.Join(conds, " &&\n"))
	p("}")
	return b.String()
}

// decodeStmt reads the value at the decoder's position into field.
func decodeStmt(field string, k, elem fieldKind, target string) string {
	switch k {
	case kindSlice:
		return fmt.Sprintf(`if wire.BeginArray(d, &%[1]s) {
	s, n := %[1]s, 0
	for ; d.More(); n++ {
		s = wire.Grow(s, n)
		%[2]s}
	%[1]s = wire.Trunc(s, n)
}
`, field, decodeStmt("s[n]", elem, 0, ""))
	case kindModel:
		return field + ".decodeJSON(d)\n"
	case kindBirthday:
		return "wire.DecodeBirthday(d, &" + field + ")\n"
	case kindModelPtr:
		// As encoding/json: null sets nil; a value decodes into the
		// struct there is, or a new one.
		return fmt.Sprintf(`if d.Null() {
	%[1]s = nil
} else {
	if %[1]s == nil {
		%[1]s = new(%[2]s)
	}
	%[1]s.decodeJSON(d)
}
`, field, target)
	case kindAny:
		return "wire.Any(d, &" + field + ")\n"
	}
	return fmt.Sprintf("wire.%s(d, &%s)\n", map[fieldKind]string{
		kindFallback: "Fallback", kindString: "String", kindInt: "Int", kindInt64: "Int64",
		kindFloat64: "Float64", kindBool: "Bool", kindMap: "Map",
	}[k], field)
}

// omitted is the condition under which the field's omitempty,omitzero tag
// leaves it out (wire.Omitted).
func omitted(field string, k fieldKind) string {
	switch k {
	case kindSlice, kindMap:
		return "len(" + field + ") == 0"
	case kindFallback:
		return "wire.Omitted(" + field + ")"
	}
	return zero(field, k)
}

// zero is the condition under which the field is its type's zero value.
func zero(field string, k fieldKind) string {
	switch k {
	case kindString:
		return field + ` == ""`
	case kindInt, kindInt64:
		return field + " == 0"
	case kindFloat64:
		return "wire.IsZeroFloat(float64(" + field + "))"
	case kindBool:
		return "!" + field
	case kindAny, kindMap, kindSlice, kindModelPtr:
		return field + " == nil"
	case kindModel:
		return field + ".isZero()"
	case kindBirthday:
		return field + ".IsZero()"
	}
	return "wire.IsZero(" + field + ")"
}

// registerSrc writes gen's init, which registers with package wire the
// function that tells and decodes gen's types, for package api's replies.
func registerSrc(ds []*Decoded) string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	var names []string
	for _, d := range ds {
		names = append(names, "*"+d.Name)
	}
	p("func init() { wire.RegisterModels(isModel, decodeModel) }")
	p("")
	p("// isModel reports whether v points to one of the types decodeModel decodes.")
	p("func isModel(v any) bool {")
	if len(names) > 0 {
		p("switch v.(type) {")
		p("case %s:", strings.Join(names, ",\n"))
		p("return true")
		p("}")
	}
	p("return false")
	p("}")
	p("")
	p("// decodeModel decodes the value at d's position into v, for which isModel")
	p("// holds, as its UnmarshalJSON does, leaving any error in d.")
	p("func decodeModel(d *wire.Decoder, v any) {")
	if len(ds) == 0 {
		p("}")
		return b.String()
	}
	p("switch v := v.(type) {")
	for _, d := range ds {
		p("case *%s:", d.Name)
		if d.Map {
			p("wire.Map(d, v)")
		} else {
			p("v.decodeJSON(d)")
		}
	}
	p("}")
	p("}")
	return b.String()
}
