package shape

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Spec is what a survey and a merge need of openapi/jaccount.yaml: the
// operations, the models, and the names and messages a report may hold.
// internal/apigen checks the spec in full; Spec reads only what it needs,
// with go.yaml.in/yaml/v3, so that the jaccount command can carry it.
type Spec struct {
	// Version is info.version.
	Version string
	// Ops are the operations by operationId; IDs lists them in the spec's
	// order (paths, then get, put, post, delete, patch).
	Ops map[string]*Op
	IDs []string
	// Schemas are the component schemas by name.
	Schemas map[string]*Schema
	// Names are every property and parameter name the spec uses: a report
	// keeps them as member names whatever they look like.
	Names map[string]bool
	// Errnos are the catalogue's symbols (AUTHENTICATION_FAILED ...).
	Errnos []string
	// Scopes are the registry's scope names.
	Scopes []string
}

// Op is one operation.
type Op struct {
	ID, Method, Path string
	// Client is the x-jaccount-client of the operation's server, "" for the
	// default one (api.Client).
	Client string
	// Entities is x-jaccount-entities; Entity the component schema of one
	// entity ("" for none and raw).
	Entities, Entity string
	// Params are the path and query parameters.
	Params []Param
	// Paging is x-jaccount-paging, nil for an operation that does not
	// page.
	Paging *Paging
	// Survey is x-jaccount-survey: true; SurveyNever its text when it says
	// why the operation is never surveyed.
	Survey      bool
	SurveyNever string
	// Example is the 200 reply's (successful) example, as JSON; nil for
	// none.
	Example []byte
}

// Param is one path or query parameter.
type Param struct {
	Name, In string
	Required bool
	Enum     []string
}

// Paging names an operation's paging parameters, as apigen defaults them.
type Paging struct {
	Style                      string
	Token, Start, First, Limit string
	// Size is the parameter of the page size: limit, or offset.
	Size string
	Max  int
}

// Schema is a schema, as far as a shape compares with it.
type Schema struct {
	// Name is the component name of a component schema; Ref the component a
	// $ref refers to (the rest is then empty).
	Name, Ref string
	// Type is the OpenAPI type ("" for any); Format and Time its format and
	// x-jaccount-time.
	Type, Format, Time string
	// Props are the properties; Open reports additionalProperties.
	Props map[string]*Schema
	Open  bool
	// Items is an array's item schema.
	Items *Schema
	// Alts are the alternatives of oneOf or anyOf.
	Alts []*Schema
	// Nullable mirrors the spec.
	Nullable bool
	allOf    []*Schema // an envelope's parts
}

// Resolve follows a $ref.
func (sp *Spec) Resolve(s *Schema) *Schema {
	for i := 0; s != nil && s.Ref != "" && i < 8; i++ {
		s = sp.Schemas[s.Ref]
	}
	return s
}

// Raw reports whether the component schema name is a free-form object
// whose members the spec does not model: its operations return raw JSON.
func (sp *Spec) Raw(name string) bool {
	s := sp.Schemas[name]
	return s != nil && len(s.Props) == 0 && len(s.Alts) == 0 && (s.Type == "object" || s.Type == "")
}

// ParseSpec reads the spec.
func ParseSpec(data []byte) (*Spec, error) {
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("shape: read the spec: %w", err)
	}
	sp := &Spec{Ops: map[string]*Op{}, Schemas: map[string]*Schema{}, Names: map[string]bool{}}
	info, _ := doc["info"].(map[string]any)
	sp.Version = str(info["version"])
	for name, v := range obj(obj(doc["components"])["schemas"]) {
		s := sp.schema(v)
		s.Name = name
		sp.Schemas[name] = s
	}
	for _, e := range list(doc["x-jaccount-errnos"]) {
		if n := str(obj(e)["name"]); n != "" {
			sp.Errnos = append(sp.Errnos, n)
		}
	}
	for _, e := range list(doc["x-jaccount-scopes"]) {
		sp.Scopes = append(sp.Scopes, str(obj(e)["name"]))
	}
	paths := obj(doc["paths"])
	for _, path := range slices.Sorted(maps.Keys(paths)) {
		item := obj(paths[path])
		for _, method := range []string{"get", "put", "post", "delete", "patch"} {
			o, ok := item[method].(map[string]any)
			if !ok {
				continue
			}
			op, err := sp.operation(path, strings.ToUpper(method), item, o)
			if err != nil {
				return nil, err
			}
			sp.Ops[op.ID] = op
			sp.IDs = append(sp.IDs, op.ID)
		}
	}
	return sp, nil
}

func (sp *Spec) operation(path, method string, item, o map[string]any) (*Op, error) {
	op := &Op{ID: str(o["operationId"]), Method: method, Path: path, Entities: str(o["x-jaccount-entities"])}
	if op.ID == "" || sp.Ops[op.ID] != nil {
		return nil, fmt.Errorf("shape: %s %s: no operationId, or one used twice", method, path)
	}
	servers := list(o["servers"])
	if servers == nil {
		servers = list(item["servers"])
	}
	if len(servers) > 0 {
		op.Client = str(obj(servers[0])["x-jaccount-client"])
	}
	switch v := o["x-jaccount-survey"].(type) {
	case bool:
		op.Survey = v
	case string:
		op.SurveyNever = v
	}
	byName := map[string]int{}
	for _, ps := range [][]any{list(item["parameters"]), list(o["parameters"])} {
		for _, p := range ps {
			pm := obj(p)
			prm := Param{Name: str(pm["name"]), In: str(pm["in"]), Required: pm["required"] == true}
			for _, e := range list(obj(pm["schema"])["enum"]) {
				prm.Enum = append(prm.Enum, fmt.Sprint(e))
			}
			sp.Names[prm.Name] = true
			if i, dup := byName[prm.In+":"+prm.Name]; dup {
				op.Params[i] = prm // the operation's own wins
				continue
			}
			byName[prm.In+":"+prm.Name] = len(op.Params)
			op.Params = append(op.Params, prm)
		}
	}
	if pg := obj(o["x-jaccount-paging"]); pg != nil {
		p := &Paging{Style: str(pg["style"]), Token: str(pg["token"]), Start: str(pg["start"]), First: str(pg["first"]),
			Limit: str(pg["limit"])}
		if m, ok := pg["maxPageSize"].(int); ok {
			p.Max = m
		}
		def := func(f *string, v string) {
			if *f == "" {
				*f = v
			}
		}
		switch p.Style {
		case "token":
			def(&p.Token, "pageToken")
			def(&p.Limit, "limit")
			p.Size = p.Limit
		case "start-limit":
			def(&p.Start, "start")
			def(&p.Limit, "limit")
			p.Size = p.Limit
		case "first-offset":
			def(&p.First, "first")
			p.Size = cmp.Or(str(pg["offset"]), "offset")
		}
		if !slices.ContainsFunc(op.Params, func(q Param) bool { return q.Name == p.Size }) {
			p.Size = ""
		}
		op.Paging = p
	}
	ok := obj(obj(obj(obj(o["responses"])["200"])["content"])["application/json"])
	if env := sp.Schemas[refName(obj(ok["schema"]))]; env != nil && op.Entities != "none" {
		op.Entity = sp.entityOf(env, 0)
	}
	ex := ok["example"]
	for _, name := range slices.Sorted(maps.Keys(obj(ok["examples"]))) {
		if v := obj(obj(ok["examples"])[name])["value"]; ex == nil && obj(v)["errno"] == 0 {
			ex = v
		}
	}
	if ex != nil {
		op.Example, _ = json.Marshal(ex)
	}
	return op, nil
}

// entityOf finds the entities array of an envelope schema (walking allOf)
// and returns the component its items refer to.
func (sp *Spec) entityOf(s *Schema, depth int) string {
	if s == nil || depth > 8 {
		return ""
	}
	if e := s.Props["entities"]; e != nil && e.Items != nil && e.Items.Ref != "" {
		return e.Items.Ref
	}
	for _, a := range s.allOf {
		if name := sp.entityOf(sp.Resolve(a), depth+1); name != "" {
			return name
		}
	}
	return ""
}

func (sp *Spec) schema(v any) *Schema {
	m := obj(v)
	s := &Schema{Ref: refName(m), Type: str(m["type"]), Format: str(m["format"]), Time: str(m["x-jaccount-time"]),
		Nullable: m["nullable"] == true}
	if s.Ref != "" {
		return s
	}
	switch a := m["additionalProperties"].(type) {
	case bool:
		s.Open = a
	case map[string]any:
		s.Open = true
	}
	if props := obj(m["properties"]); props != nil {
		s.Props = map[string]*Schema{}
		for name, p := range props {
			sp.Names[name] = true
			s.Props[name] = sp.schema(p)
		}
	}
	if it, ok := m["items"]; ok {
		s.Items = sp.schema(it)
	}
	for _, key := range []string{"oneOf", "anyOf"} {
		for _, a := range list(m[key]) {
			s.Alts = append(s.Alts, sp.schema(a))
		}
	}
	for _, a := range list(m["allOf"]) {
		s.allOf = append(s.allOf, sp.schema(a))
	}
	return s
}

func refName(m map[string]any) string {
	name, _ := strings.CutPrefix(str(m["$ref"]), "#/components/schemas/")
	return name
}

func obj(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func list(v any) []any {
	l, _ := v.([]any)
	return l
}

func str(v any) string {
	s, _ := v.(string)
	return s
}
