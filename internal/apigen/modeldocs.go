package apigen

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"slices"
	"strings"
)

// ModelsFile is the file oapi-codegen writes the models into
// (openapi/oapi-codegen.yaml), relative to the module root; apigen's
// command passes it through DocumentModels after oapi-codegen has run.
const ModelsFile = "gen/models.gen.go"

// DocumentModels gives a doc comment to the two kinds of field that
// oapi-codegen writes without one in src, its models file: every model's
// AdditionalProperties (oapi-codegen adds it for additionalProperties: true,
// not from a property, so no description of the spec reaches it) and every
// reply envelope's Entities (its items are a $ref, whose model has its own
// description). Every other field's comment is its property's description,
// which Load requires. A field that has a comment keeps it, so documenting
// twice changes nothing.
func DocumentModels(src []byte) ([]byte, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, ModelsFile, src, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		return nil, fmt.Errorf("apigen: %w", err)
	}
	type insertion struct {
		at   int // the offset of the start of the field's line
		text string
	}
	var ins []insertion
	ast.Inspect(f, func(n ast.Node) bool {
		ts, ok := n.(*ast.TypeSpec)
		if !ok {
			return true
		}
		st, ok := ts.Type.(*ast.StructType)
		if !ok {
			return false
		}
		for i, fl := range st.Fields.List {
			if len(fl.Names) != 1 || fl.Doc != nil || fl.Comment != nil {
				continue
			}
			var doc string
			switch name := fl.Names[0].Name; {
			case name == "AdditionalProperties" && isAnyMap(fl.Type):
				doc = additionalDoc
			case name == "Entities":
				at, ok := fl.Type.(*ast.ArrayType)
				if !ok {
					continue // not an envelope's: left undocumented, which TestPublicSurface reports
				}
				elem, ok := at.Elt.(*ast.Ident)
				if !ok {
					continue
				}
				doc = fmt.Sprintf(entitiesDoc, elem.Name)
			default:
				continue
			}
			off := fset.Position(fl.Pos()).Offset
			start := bytes.LastIndexByte(src[:off], '\n') + 1
			text := fieldComment(doc, string(src[start:off]))
			if i > 0 {
				text = "\n" + text // apart from the field before, as oapi-codegen sets a described field
			}
			ins = append(ins, insertion{start, text})
		}
		return false
	})
	if len(ins) == 0 {
		return src, nil
	}
	slices.SortFunc(ins, func(a, b insertion) int { return a.at - b.at })
	var out bytes.Buffer
	last := 0
	for _, in := range ins {
		out.Write(src[last:in.at])
		out.WriteString(in.text)
		last = in.at
	}
	out.Write(src[last:])
	formatted, err := format.Source(out.Bytes())
	if err != nil {
		return nil, fmt.Errorf("apigen: %s: gofmt: %w", ModelsFile, err)
	}
	return formatted, nil
}

// additionalDoc is the comment of AdditionalProperties; it says what
// gen/decode.gen.go (decoderSrc) and openapi/templates/additional-properties.tmpl
// (MarshalJSON over wire.MarshalObject) do with it.
const additionalDoc = `AdditionalProperties keeps, by name, the members of the decoded JSON that no
field carries (numbers as json.Number): members the spec does not model, and
modelled ones whose value is the field's zero value, so that encoding the
model gives back the members that came; a field set to a non-zero value wins
over a kept member of its name.`

// entitiesDoc is the comment of a reply envelope's Entities; %s is the
// model of its items.
const entitiesDoc = `Entities holds the reply's %s values:
one for an operation that answers with a single entity, any number (maybe
none) for a list. A failed reply (errno not 0) usually has no entities
member, and then Entities is nil.`

// fieldComment renders doc as a // comment at the indentation indent.
func fieldComment(doc, indent string) string {
	var b strings.Builder
	for _, line := range strings.Split(doc, "\n") {
		b.WriteString(indent + "// " + line + "\n")
	}
	return b.String()
}
