package apigen

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	shapes "github.com/oauth-jaccount/jaccount-go/internal/shape"
)

// Merging a shape report (`jaccount survey`) into the spec: the members a
// survey saw that the spec lacks are added to its models, a model the spec
// keeps as raw JSON gets the members seen, and everything that would change
// what the spec says already (a type, a unit, a member keyed by data) is
// listed rather than applied. Nothing is ever removed.
//
// The spec is edited as a yaml.v3 node tree, which keeps its comments, its
// block scalars and its quoting. yaml.v3 writes flow mappings (the one-line
// JSON examples) with a space after each colon and comma, so the new text is
// not yaml.v3's output itself: every line yaml.v3 writes alike for the old
// and the new tree is the original line, and only the lines the edit adds
// or changes come from yaml.v3 (a one-line JSON value among them compacted
// again). The result is then checked: it parses to the edited tree, every
// value of the old spec is in the new one but the scalars the merge
// replaced, and the generator loads it.

// extEvidence marks what a merge added: {report, tool, operations[, fake]}.
const extEvidence = "x-jaccount-evidence"

// Merged is the outcome of Merge.
type Merged struct {
	// Spec is the new spec text.
	Spec []byte
	// Added lists what was added, one line each; NotApplied what the report
	// shows that the merge did not apply, and why; Notes what a maintainer
	// should check.
	Added, NotApplied, Notes []string
}

// ErrFakeReport matches the error of Merge given a report of the built-in
// fake, unless allowed: the fake shows the spec's own examples, not the
// live service.
var ErrFakeReport = errors.New("apigen: a report of the fake (jaccount --fake survey) is not evidence of the live service")

// Merge applies a shape report to a spec (see the comment above).
func Merge(spec, report []byte, allowFake bool) (*Merged, error) {
	sp, err := shapes.ParseSpec(spec)
	if err != nil {
		return nil, err
	}
	rep, err := sp.Parse(report)
	if err != nil {
		return nil, err
	}
	if rep.Fake && !allowFake {
		return nil, ErrFakeReport
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(spec, &doc); err != nil {
		return nil, fmt.Errorf("apigen: merge: %w", err)
	}
	m := &merger{sp: sp, rep: rep, doc: &doc, out: &Merged{}, replaced: map[string]bool{}}
	if m.schemas = get(get(doc.Content[0], "components"), "schemas"); m.schemas == nil {
		return nil, errors.New("apigen: merge: the spec has no components.schemas")
	}
	m.apply(sp.Diff(rep))
	if len(m.out.Added) == 0 {
		m.out.Spec = spec
		return m.out, nil
	}
	if m.out.Spec, err = rewrite(spec, &doc); err != nil {
		return nil, err
	}
	if err := m.verify(spec); err != nil {
		return nil, err
	}
	return m.out, nil
}

type merger struct {
	sp      *shapes.Spec
	rep     *shapes.Report
	doc     *yaml.Node
	schemas *yaml.Node
	out     *Merged
	// replaced are the paths (/-separated keys) of the scalars the merge
	// replaced (descriptions, examples): the only values of the old spec
	// the new one may lack.
	replaced map[string]bool
}

// group is the findings about one member (or one raw model), from every
// operation that showed it, with their shapes merged.
type group struct {
	f   shapes.Finding
	ops []string
}

func (m *merger) apply(fs []shapes.Finding) {
	var groups []*group
	byKey := map[string]*group{}
	for _, f := range fs {
		switch f.Kind {
		case shapes.KindRaw, shapes.KindMissing, shapes.KindEntities:
		case shapes.KindUnseen:
			continue // never removed
		default:
			m.out.NotApplied = append(m.out.NotApplied, f.String()+": not applied (it would change what the spec says)")
			continue
		}
		key := string(f.Kind) + " " + f.Model + " " + f.Within + " " + f.Member
		g := byKey[key]
		if g == nil {
			g = &group{f: f}
			byKey[key] = g
			groups = append(groups, g)
		} else {
			g.f.Tree = mergeTrees(g.f.Tree, f.Tree)
		}
		if !slices.Contains(g.ops, f.Op) {
			g.ops = append(g.ops, f.Op)
		}
	}
	for _, g := range groups {
		ev := m.evidence(g.ops)
		switch g.f.Kind {
		case shapes.KindRaw:
			m.model(g, ev)
		case shapes.KindMissing:
			m.member(g, ev)
		case shapes.KindEntities:
			m.entities(g, ev)
		}
	}
}

// entities models the entities of an operation whose reply the spec says
// has none (x-jaccount-entities: none): a new model named after the
// operation (getCardTransfer: CardTransfer), its envelope (CardTransferList)
// as the 200 reply's schema, and x-jaccount-entities: list (a count is never
// reported, so a survey cannot tell one entity from a list of one).
func (m *merger) entities(g *group, ev *yaml.Node) {
	id := g.f.Op
	words := SplitWords(id)
	if len(words) > 1 {
		words = words[1:] // the verb
	}
	if len(words) > 1 && words[0] == "My" {
		words = words[1:]
	}
	name := GoName(strings.Join(words, ""))
	so := m.sp.Ops[id]
	op := get(get(get(m.doc.Content[0], "paths"), so.Path), strings.ToLower(so.Method))
	schema := get(get(get(get(get(op, "responses"), "200"), "content"), "application/json"), "schema")
	if get(m.schemas, name) != nil || get(m.schemas, name+"List") != nil || schema == nil {
		m.out.NotApplied = append(m.out.NotApplied, id+": its entities would be "+name+", a name the spec uses already (or its 200 reply has no JSON schema); not modelled")
		return
	}
	s := &yaml.Node{Kind: yaml.MappingNode}
	set(s, "type", plain("object"))
	set(s, "description", literal(wrap(fmt.Sprintf("What %s answers, as a shape report of %s showed it (x-jaccount-evidence); any other member is kept in AdditionalProperties.",
		id, m.rep.Date))))
	set(s, "additionalProperties", plain("true"))
	set(s, extEvidence, ev)
	props := &yaml.Node{Kind: yaml.MappingNode}
	set(s, "properties", props)
	set(m.schemas, name, s)
	if m.properties(props, name, g.f.Tree, ev, id) == 0 {
		m.out.NotApplied = append(m.out.NotApplied, id+": no member could be modelled")
		m.schemas.Content = m.schemas.Content[:len(m.schemas.Content)-2]
		return
	}
	var list yaml.Node
	_ = yaml.Unmarshal([]byte(fmt.Sprintf(`description: The envelope of a reply whose entities are %s values.
allOf:
  - $ref: "#/components/schemas/Envelope"
  - type: object
    required: [entities]
    properties:
      entities:
        type: array
        items:
          $ref: "#/components/schemas/%s"
`, name, name)), &list)
	set(m.schemas, name+"List", list.Content[0])
	set(schema, "$ref", quoted("#/components/schemas/"+name+"List"))
	set(op, extEntities, plain("list"))
	set(op, extEvidence, ev)
	m.replaced["paths/"+so.Path+"/"+strings.ToLower(so.Method)+"/"+extEntities] = true
	m.replaced["paths/"+so.Path+"/"+strings.ToLower(so.Method)+"/responses/200/content/application/json/schema/$ref"] = true
	m.out.Added = append(m.out.Added, fmt.Sprintf("%s: entities %s (x-jaccount-entities: list, was none), schemas %s and %sList", id, name, name, name))
}

// evidence is the x-jaccount-evidence of an addition.
func (m *merger) evidence(ops []string) *yaml.Node {
	n := flowMap()
	set(n, "report", quoted(m.rep.Date))
	set(n, "tool", quoted(m.rep.Tool))
	list := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
	for _, op := range ops {
		list.Content = append(list.Content, plain(op))
	}
	set(n, "operations", list)
	if m.rep.Fake {
		set(n, "fake", plain("true"))
	}
	return n
}

// model turns a model the spec keeps as raw JSON into a modelled one.
func (m *merger) model(g *group, ev *yaml.Node) {
	name := g.f.Model
	s := get(m.schemas, name)
	if s == nil || get(s, "properties") != nil {
		m.out.NotApplied = append(m.out.NotApplied, name+": not found, or modelled meanwhile")
		return
	}
	props := &yaml.Node{Kind: yaml.MappingNode}
	n := m.properties(props, name, g.f.Tree, ev, g.f.Op)
	if n == 0 {
		m.out.NotApplied = append(m.out.NotApplied, name+": no member could be modelled")
		return
	}
	set(s, extEvidence, ev)
	set(s, "properties", props)
	if d := get(s, "description"); d != nil {
		m.replaced["components/schemas/"+name+"/description"] = true
		d.Value = m.describe(d.Value)
	}
	m.out.Added = append(m.out.Added, fmt.Sprintf("%s: %d members (no longer raw JSON), seen in %s", name, n, strings.Join(g.ops, ", ")))
	var also []string
	for _, id := range m.sp.IDs {
		if op := m.sp.Ops[id]; op.Entity == name && !slices.Contains(g.ops, id) {
			also = append(also, id)
		}
	}
	if len(also) > 0 {
		m.out.Notes = append(m.out.Notes, fmt.Sprintf("%s is also the entity of %s, whose replies the report does not show: the members are optional, but check that they apply there",
			name, strings.Join(also, ", ")))
	}
	for _, id := range g.ops {
		if g.f.Path == "" {
			m.example(id, g.f.Tree)
		}
	}
}

var rawSentence = regexp.MustCompile(`(?s)\*\*Uncertain:\*\* the documentation available does not give its shape, so every member is kept as\s+raw JSON \(a map\); no member is modelled\.`)

// describe updates a raw model's description: its members are modelled
// now, from the report.
func (m *merger) describe(d string) string {
	now := fmt.Sprintf("**Uncertain:** the documentation available does not give its shape; the members a shape report\nof %s showed are modelled (x-jaccount-evidence), and any other member is kept in AdditionalProperties.", m.rep.Date)
	if rawSentence.MatchString(d) {
		return rawSentence.ReplaceAllLiteralString(d, now)
	}
	m.out.Notes = append(m.out.Notes, "a description did not have the usual sentence about raw JSON: a paragraph was added; check it")
	return strings.TrimRight(d, "\n") + "\n\n" + now + "\n"
}

// member adds a member the spec lacks to its model.
func (m *merger) member(g *group, ev *yaml.Node) {
	where := g.f.Model + "." + joinWithin(g.f.Within, g.f.Member)
	s := get(m.schemas, g.f.Model)
	for _, el := range splitWithin(g.f.Within) {
		if s == nil {
			break
		}
		if el == "[]" {
			s = get(s, "items")
		} else {
			s = get(get(s, "properties"), el)
		}
	}
	if s == nil || get(s, "$ref") != nil {
		m.out.NotApplied = append(m.out.NotApplied, where+": its object is not one the merge can find in the spec")
		return
	}
	props := get(s, "properties")
	if props == nil {
		props = &yaml.Node{Kind: yaml.MappingNode}
		set(s, "properties", props)
	}
	if get(props, g.f.Member) != nil {
		return
	}
	p, ok := m.schemaOf(g.f.Model, g.f.Member, g.f.Tree, ev, g.f.Op, where)
	if !ok {
		return
	}
	set(props, g.f.Member, p)
	m.out.Added = append(m.out.Added, fmt.Sprintf("%s (%s), seen in %s", where, describeTree(g.f.Tree), strings.Join(g.ops, ", ")))
}

// properties fills props with a schema per named member of t, and reports
// how many it added.
func (m *merger) properties(props *yaml.Node, owner string, t *shapes.Tree, ev *yaml.Node, op string) int {
	n := 0
	for _, name := range slices.Sorted(maps.Keys(t.Kids)) {
		k := t.Kids[name]
		if name == shapes.Placeholder {
			m.out.NotApplied = append(m.out.NotApplied, fmt.Sprintf("%s: members keyed by data (%s): not modelled; they stay in AdditionalProperties",
				owner, strings.Join(t.Member.Keys, ", ")))
			continue
		}
		if p, ok := m.schemaOf(owner, name, k, ev, op, owner+"."+name); ok {
			set(props, name, p)
			n++
		}
	}
	return n
}

// schemaOf is the schema of a member from its shape: its type and format,
// x-jaccount-time for a date or an instant, a new component schema
// (owner + member) for an object with named members, and the evidence.
// ok is false when the shape does not give one type.
func (m *merger) schemaOf(owner, member string, t *shapes.Tree, ev *yaml.Node, op, where string) (*yaml.Node, bool) {
	types := slices.DeleteFunc(slices.Clone(t.Member.Types), func(s string) bool { return s == "null" })
	if slices.Equal(types, []string{"integer", "number"}) {
		types = []string{"number"}
	}
	if len(types) != 1 {
		why := "seen only as null: its type is not known"
		if len(types) > 1 {
			why = "seen as " + strings.Join(types, " and ")
		}
		m.out.NotApplied = append(m.out.NotApplied, where+": "+why+"; not added")
		return nil, false
	}
	n := &yaml.Node{Kind: yaml.MappingNode}
	desc := fmt.Sprintf("Seen in a shape report of %s (%s)", m.rep.Date, describeTree(t))
	switch types[0] {
	case "string":
		set(n, "type", plain("string"))
		if u := shapes.TimeUnit(t.Member.Formats); u == "date" || u == "compact-date" || u == "date-time" {
			set(n, extTime, plain(u))
		}
	case "integer":
		set(n, "type", plain("integer"))
		set(n, "format", plain("int64"))
		if u := shapes.TimeUnit(t.Member.Formats); u == "epoch-seconds" || u == "epoch-millis" {
			set(n, extTime, plain(u))
		}
	case "number":
		set(n, "type", plain("number"))
		set(n, "format", plain("double"))
	case "boolean":
		set(n, "type", plain("boolean"))
	case "array":
		if t.Items == nil {
			m.out.NotApplied = append(m.out.NotApplied, where+": seen only as an empty array: its items are not known; not added")
			return nil, false
		}
		items, ok := m.schemaOf(owner, singular(member), t.Items, ev, op, where+"[]")
		if !ok {
			return nil, false
		}
		unset(items, "description") // the array's say it
		unset(items, extEvidence)
		set(n, "type", plain("array"))
		set(n, "items", items)
	case "object":
		named := slices.ContainsFunc(slices.Collect(maps.Keys(t.Kids)), func(k string) bool { return k != shapes.Placeholder })
		if !named {
			set(n, "type", plain("object"))
			set(n, "additionalProperties", plain("true"))
			if len(t.Kids) > 0 {
				desc += "; its members are keyed by data"
			}
			break
		}
		name := owner + GoName(member)
		if get(m.schemas, name) != nil {
			m.out.NotApplied = append(m.out.NotApplied, where+": an object, whose model would be "+name+", a name the spec uses already; not added")
			return nil, false
		}
		s := &yaml.Node{Kind: yaml.MappingNode}
		set(s, "type", plain("object"))
		set(s, "description", literal(wrap(fmt.Sprintf("The %s member of %s, as a shape report of %s showed it (x-jaccount-evidence); any other member is kept in AdditionalProperties.",
			member, owner, m.rep.Date))))
		set(s, "additionalProperties", plain("true"))
		set(s, extEvidence, ev)
		props := &yaml.Node{Kind: yaml.MappingNode}
		set(s, "properties", props)
		set(m.schemas, name, s) // before its members: a member of the same name nests below
		m.properties(props, name, t, ev, op)
		m.out.Added = append(m.out.Added, "schema "+name)
		set(n, "$ref", quoted("#/components/schemas/"+name))
		set(n, extEvidence, ev)
		return n, true
	}
	set(n, "description", quoted(desc+"."))
	set(n, extEvidence, ev)
	return n, true
}

// example puts a placeholder entity, built from the shape, into the
// example of op when it has none (or only empty ones, {}): the fake
// serves it, and the tests validate it against the new model.
func (m *merger) example(id string, t *shapes.Tree) {
	so := m.sp.Ops[id]
	item := get(get(m.doc.Content[0], "paths"), so.Path)
	media := get(get(get(get(get(item, strings.ToLower(so.Method)), "responses"), "200"), "content"), "application/json")
	ex := get(media, "example")
	var env map[string]any
	if ex == nil || ex.Decode(&env) != nil {
		m.out.Notes = append(m.out.Notes, id+": its example is not one the merge can update: add an entity by hand")
		return
	}
	list, _ := env["entities"].([]any)
	if slices.ContainsFunc(list, func(e any) bool { o, ok := e.(map[string]any); return !ok || len(o) > 0 }) {
		return // an example with members of its own is kept
	}
	env["entities"] = []any{placeholder(t)}
	b, err := json.Marshal(orderedEnvelope(env))
	if err != nil {
		return
	}
	var n yaml.Node
	if yaml.Unmarshal(b, &n) != nil {
		return
	}
	*ex = *n.Content[0]
	m.replaced["paths/"+so.Path+"/"+strings.ToLower(so.Method)+"/responses/200/content/application/json/example"] = true
	m.out.Added = append(m.out.Added, id+": an example entity of placeholders")
}

// orderedEnvelope writes an envelope's members in the documentation's
// order.
func orderedEnvelope(env map[string]any) json.RawMessage {
	var b bytes.Buffer
	b.WriteByte('{')
	first := true
	for _, k := range append([]string{"errno", "error", "total", "nextToken", "entities"}, slices.Sorted(maps.Keys(env))...) {
		v, ok := env[k]
		if !ok {
			continue
		}
		delete(env, k)
		if !first {
			b.WriteByte(',')
		}
		first = false
		kb, _ := json.Marshal(k)
		vb, _ := json.Marshal(v)
		b.Write(kb)
		b.WriteByte(':')
		b.Write(vb)
	}
	b.WriteByte('}')
	return b.Bytes()
}

// placeholder is a value of shape t with no real value in it: a
// placeholder of each member's format.
func placeholder(t *shapes.Tree) any {
	types := slices.DeleteFunc(slices.Clone(t.Member.Types), func(s string) bool { return s == "null" })
	if len(types) == 0 {
		return nil
	}
	format := ""
	if len(t.Member.Formats) > 0 {
		format = t.Member.Formats[0]
	}
	switch types[len(types)-1] { // number over integer
	case "object":
		out := map[string]any{}
		for name, k := range t.Kids {
			if name != shapes.Placeholder {
				out[name] = placeholder(k)
			}
		}
		return out
	case "array":
		if t.Items == nil {
			return []any{}
		}
		return []any{placeholder(t.Items)}
	case "boolean":
		return false
	case "number":
		return 0.5
	case "integer":
		switch format {
		case "epoch-seconds":
			return 946684800 // 2000-01-01
		case "epoch-millis":
			return int64(946684800000)
		}
		return 0
	}
	if p, ok := stringPlaceholders[format]; ok {
		return p
	}
	return "TEXT"
}

// stringPlaceholders are the placeholders of the string formats; any
// other string is "TEXT", one only ever seen empty "".
var stringPlaceholders = map[string]string{"": "", "date": "2000-01-01", "compact-date": "20000101",
	"date-time": "2000-01-01 00:00:00", "time": "00:00", "uuid": "00000000-0000-0000-0000-000000000000",
	"url": "https://example.org/", "email": "someone@example.org", "digits": "0", "decimal": "0.5", "hex": "00000000"}

// describeTree says what a member was seen as: its types and formats, and
// its elements'.
func describeTree(t *shapes.Tree) string {
	s := strings.Join(t.Member.Types, " or ")
	if len(t.Member.Formats) > 0 {
		s += ": " + strings.Join(t.Member.Formats, ", ")
	}
	if t.Items != nil {
		s += " of " + describeTree(t.Items)
	}
	return s
}

// mergeTrees is the union of two shapes of one member.
func mergeTrees(a, b *shapes.Tree) *shapes.Tree {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	}
	out := &shapes.Tree{Path: a.Path, Member: a.Member}
	out.Member.Types = union(a.Member.Types, b.Member.Types, shapes.TypeNames)
	out.Member.Formats = union(a.Member.Formats, b.Member.Formats, shapes.FormatNames)
	out.Member.Keys = union(a.Member.Keys, b.Member.Keys, shapes.FormatNames)
	for _, kids := range []map[string]*shapes.Tree{a.Kids, b.Kids} {
		for name, k := range kids {
			if out.Kids == nil {
				out.Kids = map[string]*shapes.Tree{}
			}
			out.Kids[name] = mergeTrees(out.Kids[name], k)
		}
	}
	out.Items = mergeTrees(a.Items, b.Items)
	return out
}

// union is the union of two lists of names, in the order of all.
func union(a, b, all []string) []string {
	var out []string
	for _, n := range all {
		if slices.Contains(a, n) || slices.Contains(b, n) {
			out = append(out, n)
		}
	}
	return out
}

func splitWithin(within string) []string {
	var out []string
	for _, el := range strings.Split(within, ".") {
		name, arrays := el, 0
		for strings.HasSuffix(name, "[]") {
			name, arrays = strings.TrimSuffix(name, "[]"), arrays+1
		}
		if name != "" {
			out = append(out, name)
		}
		for range arrays {
			out = append(out, "[]")
		}
	}
	return out
}

func joinWithin(within, member string) string {
	if within == "" {
		return member
	}
	return within + "." + member
}

// wrap breaks a paragraph into lines of at most 110 characters, for a
// block scalar.
func wrap(s string) string {
	var b strings.Builder
	n := 0
	for _, w := range strings.Fields(s) {
		if n > 0 && n+1+len([]rune(w)) > 110 {
			b.WriteByte('\n')
			n = 0
		} else if n > 0 {
			b.WriteByte(' ')
			n++
		}
		b.WriteString(w)
		n += len([]rune(w))
	}
	return b.String() + "\n"
}

// get returns the value of key in a mapping node, nil if none.
func get(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// set sets key in a mapping node: replaces its value, or appends it.
func set(n *yaml.Node, key string, v *yaml.Node) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			n.Content[i+1] = v
			return
		}
	}
	n.Content = append(n.Content, plain(key), v)
}

// unset removes key from a mapping node.
func unset(n *yaml.Node, key string) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			n.Content = slices.Delete(n.Content, i, i+2)
			return
		}
	}
}

func plain(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Value: s} }

func quoted(s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Value: s, Style: yaml.DoubleQuotedStyle}
}

func literal(s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Value: s, Style: yaml.LiteralStyle}
}

func flowMap() *yaml.Node { return &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle} }

// verify checks the new spec: it loads, and it holds every value of the
// old one but the scalars the merge replaced.
func (m *merger) verify(old []byte) error {
	if _, err := Load(m.out.Spec); err != nil {
		return fmt.Errorf("apigen: merge: the merged spec does not load (a bug of the merge): %w", err)
	}
	var a, b any
	if err := yaml.Unmarshal(old, &a); err != nil {
		return err
	}
	if err := yaml.Unmarshal(m.out.Spec, &b); err != nil {
		return fmt.Errorf("apigen: merge: the merged spec does not parse (a bug of the merge): %w", err)
	}
	if path, ok := m.contains(a, b, ""); !ok {
		return fmt.Errorf("apigen: merge: the merged spec lost %s of the old one (a bug of the merge)", path)
	}
	return nil
}

// contains reports whether b holds every value of a, but at the paths the
// merge replaced; path is where it does not.
func (m *merger) contains(a, b any, path string) (string, bool) {
	if m.replaced[strings.TrimPrefix(path, "/")] {
		return "", true
	}
	switch a := a.(type) {
	case map[string]any:
		bm, ok := b.(map[string]any)
		if !ok {
			return path, false
		}
		for k, v := range a {
			if p, ok := m.contains(v, bm[k], path+"/"+k); !ok {
				return p, false
			}
		}
		return "", true
	case []any:
		bl, ok := b.([]any)
		if !ok || len(bl) != len(a) {
			return path, false
		}
		for i := range a {
			if p, ok := m.contains(a[i], bl[i], fmt.Sprintf("%s/%d", path, i)); !ok {
				return p, false
			}
		}
		return "", true
	}
	if !reflect.DeepEqual(a, b) {
		return path, false
	}
	return "", true
}

// rewrite writes the edited tree doc as the new text of the spec old: the
// lines yaml.v3 writes alike for the old and the new tree are the old
// lines as they were; the others are yaml.v3's, with a one-line JSON
// value compacted as the spec writes them.
func rewrite(old []byte, doc *yaml.Node) ([]byte, error) {
	var orig yaml.Node
	if err := yaml.Unmarshal(old, &orig); err != nil {
		return nil, err
	}
	before, err := encode(&orig)
	if err != nil {
		return nil, err
	}
	after, err := encode(doc)
	if err != nil {
		return nil, err
	}
	oldLines := lines(old)
	bLines, aLines := lines(before), lines(after)
	if len(bLines) != len(oldLines) {
		return nil, fmt.Errorf("apigen: merge: yaml.v3 writes the spec in %d lines, not its %d: the merge cannot keep its formatting", len(bLines), len(oldLines))
	}
	var out bytes.Buffer
	for _, e := range diffLines(bLines, aLines) {
		switch e.op {
		case '=':
			out.WriteString(oldLines[e.a] + "\n")
		case '+':
			out.WriteString(compactJSONLine(aLines[e.b]) + "\n")
		}
	}
	if !bytes.HasSuffix(old, []byte("\n")) {
		return bytes.TrimSuffix(out.Bytes(), []byte("\n")), nil
	}
	return out.Bytes(), nil
}

func encode(n *yaml.Node) ([]byte, error) {
	var b bytes.Buffer
	e := yaml.NewEncoder(&b)
	e.SetIndent(2)
	if err := e.Encode(n); err != nil {
		return nil, err
	}
	if err := e.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func lines(b []byte) []string {
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

var flowLine = regexp.MustCompile(`^(\s*(?:- )?[A-Za-z0-9_"-]+: |\s*- )([{\[].*)$`)

// compactJSONLine writes a line whose value is a flow mapping or sequence
// that is JSON as the spec writes JSON: without spaces.
func compactJSONLine(l string) string {
	m := flowLine.FindStringSubmatch(l)
	if m == nil || !json.Valid([]byte(m[2])) {
		return l
	}
	var b bytes.Buffer
	if json.Compact(&b, []byte(m[2])) != nil {
		return l
	}
	return m[1] + b.String()
}

// edit is one step of a line diff: '=' keeps line a of the first text
// (which is line b of the second), '-' drops line a, '+' adds line b.
type edit struct {
	op   byte
	a, b int
}

// diffLines is a shortest edit script from x to y (Myers' algorithm).
func diffLines(x, y []string) []edit {
	n, m := len(x), len(y)
	max := n + m
	v := make([]int, 2*max+2)
	var trace [][]int
	for d := 0; d <= max; d++ {
		trace = append(trace, slices.Clone(v))
		for k := -d; k <= d; k += 2 {
			var i int
			if k == -d || k != d && v[max+k-1] < v[max+k+1] {
				i = v[max+k+1]
			} else {
				i = v[max+k-1] + 1
			}
			j := i - k
			for i < n && j < m && x[i] == y[j] {
				i, j = i+1, j+1
			}
			v[max+k] = i
			if i >= n && j >= m {
				return backtrack(trace, x, y, max)
			}
		}
	}
	return nil
}

func backtrack(trace [][]int, x, y []string, max int) []edit {
	var out []edit
	i, j := len(x), len(y)
	for d := len(trace) - 1; d >= 0 && (i > 0 || j > 0); d-- {
		v := trace[d]
		k := i - j
		var pk int
		if k == -d || k != d && v[max+k-1] < v[max+k+1] {
			pk = k + 1
		} else {
			pk = k - 1
		}
		pi := v[max+pk]
		pj := pi - pk
		for i > pi && j > pj {
			i, j = i-1, j-1
			out = append(out, edit{'=', i, j})
		}
		if d > 0 {
			if i == pi {
				j--
				out = append(out, edit{'+', i, j})
			} else {
				i--
				out = append(out, edit{'-', i, j})
			}
		}
	}
	slices.Reverse(out)
	return out
}
