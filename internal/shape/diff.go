package shape

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Tree is an operation's member paths as a tree again: a report keeps
// them flat.
type Tree struct {
	// Path is the member's path ("" for the entity); Member its types and
	// formats (for the entity, its types only).
	Path   string
	Member Member
	// Kids are the members of an object, by name; Items the elements of an
	// array.
	Kids  map[string]*Tree
	Items *Tree
}

// TreeOf rebuilds the tree of op's members, nil when the reply had no
// entity.
func TreeOf(op *Operation) *Tree {
	if len(op.Entity) == 0 {
		return nil
	}
	root := &Tree{Member: Member{Types: op.Entity, Keys: op.EntityKeys}}
	for _, m := range op.Members {
		t := root
		for i, el := range strings.Split(m.Path, ".") {
			name, arrays := el, 0
			for strings.HasSuffix(name, "[]") {
				name, arrays = strings.TrimSuffix(name, "[]"), arrays+1
			}
			if name != "" || i > 0 {
				t = t.kid(name)
			}
			for range arrays {
				if t.Items == nil {
					t.Items = &Tree{Path: t.Path + "[]"}
				}
				t = t.Items
			}
		}
		t.Member = m
	}
	return root
}

func (t *Tree) kid(name string) *Tree {
	if t.Kids == nil {
		t.Kids = map[string]*Tree{}
	}
	k := t.Kids[name]
	if k == nil {
		k = &Tree{Path: Join(t.Path, name)}
		t.Kids[name] = k
	}
	return k
}

// has reports whether the member was seen with type name.
func (t *Tree) has(name string) bool { return slices.Contains(t.Member.Types, name) }

// Kind is what a Finding says.
type Kind string

// The kinds of findings.
const (
	// KindRaw: the spec keeps the entity (or a member's object) as raw JSON,
	// and the survey saw its shape.
	KindRaw Kind = "raw"
	// KindMissing: a member the spec lacks.
	KindMissing Kind = "missing"
	// KindKeys: members keyed by data where the spec models named members.
	KindKeys Kind = "keys"
	// KindUnseen: a modelled member the survey never saw.
	KindUnseen Kind = "unseen"
	// KindType: a JSON type the spec's type contradicts.
	KindType Kind = "type"
	// KindNull: null where the spec gives a type (it decodes as the zero
	// value).
	KindNull Kind = "null"
	// KindUnit: a format the spec's x-jaccount-time contradicts (seconds
	// where it says milliseconds).
	KindUnit Kind = "unit"
	// KindNewUnit: a date or an instant where the spec gives no unit.
	KindNewUnit Kind = "new-unit"
	// KindEnvelope: an envelope member the spec lacks.
	KindEnvelope Kind = "envelope"
	// KindEntities: entities where the spec says the reply has none
	// (x-jaccount-entities: none).
	KindEntities Kind = "entities"
)

// Finding is one difference between a report and the spec.
type Finding struct {
	// Op is the operation; Path the member's path in its entity ("" for
	// the entity).
	Op, Path string
	Kind     Kind
	// Model is the component schema that holds the member (for KindRaw, the
	// raw one); Within the path, in that model, of the object that holds
	// it ("" for the model itself); Member the member's name ("" for the
	// entity or an element).
	Model, Within, Member string
	// Spec is what the spec says (a type, a unit), Seen what the survey saw.
	Spec, Seen string
	// Tree is the observed member (for KindRaw and KindMissing, with what
	// is below it).
	Tree *Tree
}

// String is the finding as one line of text.
func (f Finding) String() string {
	where := f.Op + ": " + f.Model
	if f.Path != "" {
		where += " (" + f.Path + ")"
	}
	switch f.Kind {
	case KindRaw:
		return fmt.Sprintf("%s: kept as raw JSON by the spec, and seen with %s: ready to model (apigen merge)", where, f.Seen)
	case KindMissing:
		return fmt.Sprintf("%s: the spec lacks member %s, seen as %s", where, f.Member, f.Seen)
	case KindKeys:
		return fmt.Sprintf("%s: members keyed by data (%s), where the spec names its members", where, f.Seen)
	case KindUnseen:
		return fmt.Sprintf("%s: modelled member %s (%s) never seen", where, f.Member, f.Spec)
	case KindType:
		return fmt.Sprintf("%s: the spec says %s, seen %s", where, f.Spec, f.Seen)
	case KindNull:
		return fmt.Sprintf("%s: the spec says %s, seen null too", where, f.Spec)
	case KindUnit:
		return fmt.Sprintf("%s: the spec's unit is %s, seen %s", where, f.Spec, f.Seen)
	case KindNewUnit:
		return fmt.Sprintf("%s: the spec gives no unit, seen %s", where, f.Seen)
	case KindEntities:
		return fmt.Sprintf("%s: the spec says the reply has no entity, and it had entities with %s", f.Op, f.Seen)
	case KindEnvelope:
		return fmt.Sprintf("%s: the envelope has member %s (%s), which the spec lacks", f.Op, f.Member, f.Seen)
	}
	return where + ": " + string(f.Kind)
}

// Diff compares a report with the spec: for each operation that answered
// with success (errno 0), its envelope's members, and its entities' members
// against its model.
func (sp *Spec) Diff(r *Report) []Finding {
	var out []Finding
	for i := range r.Operations {
		op := &r.Operations[i]
		so := sp.Ops[op.ID]
		if so == nil || op.Reply == nil || op.Errno == nil || *op.Errno != 0 {
			continue
		}
		for _, name := range slices.Sorted(maps.Keys(op.Envelope)) {
			if !envelopeNames[name] {
				out = append(out, Finding{Op: op.ID, Kind: KindEnvelope, Member: name, Seen: strings.Join(op.Envelope[name], ", ")})
			}
		}
		t := TreeOf(r.shapeOf(op))
		if t != nil && so.Entities == "none" && len(t.Kids) > 0 {
			out = append(out, Finding{Op: op.ID, Kind: KindEntities, Spec: "none", Seen: memberCount(t), Tree: t})
		}
		if t == nil || so.Entity == "" {
			continue
		}
		d := differ{sp: sp, op: op.ID, out: &out}
		d.node(so.Entity, "", "", t, &Schema{Ref: so.Entity}, 0)
	}
	return out
}

type differ struct {
	sp  *Spec
	op  string
	out *[]Finding
}

func (d *differ) add(f Finding) {
	f.Op = d.op
	*d.out = append(*d.out, f)
}

// node compares the observed member t, at path within of the model named
// model and under the name member, with its schema s.
func (d *differ) node(model, within, member string, t *Tree, s *Schema, depth int) {
	if ref := s.Ref; ref != "" {
		model, within = ref, ""
		if d.sp.Raw(ref) && len(t.Kids) > 0 {
			d.add(Finding{Path: t.Path, Kind: KindRaw, Model: ref, Member: member, Seen: memberCount(t), Tree: t})
			return
		}
		s = d.sp.Resolve(s)
	}
	if s == nil || depth > 4*MaxDepth {
		return
	}
	want := d.sp.types(s, 0)
	var wrong []string
	for _, ty := range t.Member.Types {
		switch {
		case ty == "null":
			if !s.Nullable && want != "" {
				d.add(Finding{Path: t.Path, Kind: KindNull, Model: model, Member: member, Spec: want})
			}
		case !compatible(ty, want):
			wrong = append(wrong, ty)
		}
	}
	if len(wrong) > 0 {
		d.add(Finding{Path: t.Path, Kind: KindType, Model: model, Member: member, Spec: want, Seen: strings.Join(wrong, ", ")})
	}
	d.unit(model, member, t, s)
	if obj := d.sp.objectOf(s, 0); obj != nil && t.has("object") {
		for _, name := range slices.Sorted(maps.Keys(t.Kids)) {
			k := t.Kids[name]
			p, ok := obj.Props[name]
			switch {
			case ok:
				d.node(model, Join(within, name), name, k, p, depth+1)
			case name == Placeholder && len(obj.Props) > 0:
				d.add(Finding{Path: k.Path, Kind: KindKeys, Model: model, Within: within, Seen: strings.Join(t.Member.Keys, ", "), Tree: k})
			case name != Placeholder && len(obj.Props) > 0:
				d.add(Finding{Path: k.Path, Kind: KindMissing, Model: model, Within: within, Member: name, Seen: seen(k.Member), Tree: k})
			}
		}
		if len(t.Kids) > 0 {
			for _, name := range slices.Sorted(maps.Keys(obj.Props)) {
				if _, ok := t.Kids[name]; !ok {
					d.add(Finding{Path: Join(t.Path, name), Kind: KindUnseen, Model: model, Within: within, Member: name, Spec: d.sp.types(obj.Props[name], 0)})
				}
			}
		}
	}
	if items := d.sp.itemsOf(s, 0); items != nil && t.Items != nil {
		d.node(model, within+"[]", member, t.Items, items, depth+1)
	}
}

// unit compares the formats seen with the spec's x-jaccount-time.
func (d *differ) unit(model, member string, t *Tree, s *Schema) {
	formats := t.Member.Formats
	if len(formats) == 0 {
		return
	}
	if s.Time != "" {
		if slices.ContainsFunc(formats, func(f string) bool { return f != s.Time }) {
			d.add(Finding{Path: t.Path, Kind: KindUnit, Model: model, Member: member, Spec: s.Time, Seen: strings.Join(formats, ", ")})
		}
		return
	}
	if u := TimeUnit(formats); u != "" {
		d.add(Finding{Path: t.Path, Kind: KindNewUnit, Model: model, Member: member, Seen: u})
	}
}

// TimeUnit is the x-jaccount-time unit that formats show, when they show
// exactly one: a date, a compact date, a date and time, UNIX seconds or
// milliseconds; "" otherwise.
func TimeUnit(formats []string) string {
	if len(formats) != 1 {
		return ""
	}
	switch f := formats[0]; f {
	case "date", "compact-date", "date-time", "epoch-seconds", "epoch-millis":
		return f
	}
	return ""
}

// types is the spec's type of s: "" for any, alternatives joined with
// " or ".
func (sp *Spec) types(s *Schema, depth int) string {
	s = sp.Resolve(s)
	if s == nil || depth > 8 {
		return ""
	}
	if len(s.Alts) > 0 {
		var out []string
		for _, a := range s.Alts {
			t := sp.types(a, depth+1)
			if t == "" {
				return ""
			}
			if !slices.Contains(out, t) {
				out = append(out, t)
			}
		}
		return strings.Join(out, " or ")
	}
	if s.Type == "" && len(s.Props) > 0 {
		return "object"
	}
	return s.Type
}

// compatible reports whether a value of JSON type seen decodes into the
// spec's type want (an integer is a number too).
func compatible(seen, want string) bool {
	if want == "" {
		return true
	}
	for _, w := range strings.Split(want, " or ") {
		if w == seen || w == "number" && seen == "integer" {
			return true
		}
	}
	return false
}

// objectOf is the object schema of s (or of its alternative that is one).
func (sp *Spec) objectOf(s *Schema, depth int) *Schema {
	return sp.find(s, depth, func(s *Schema) *Schema {
		if s.Type == "object" || len(s.Props) > 0 {
			return s
		}
		return nil
	})
}

// itemsOf is the item schema of s (or of its alternative that is an
// array).
func (sp *Spec) itemsOf(s *Schema, depth int) *Schema {
	return sp.find(s, depth, func(s *Schema) *Schema { return s.Items })
}

// find returns what pick finds in s, resolved, or else in its
// alternatives.
func (sp *Spec) find(s *Schema, depth int, pick func(*Schema) *Schema) *Schema {
	s = sp.Resolve(s)
	if s == nil || depth > 8 {
		return nil
	}
	if found := pick(s); found != nil {
		return found
	}
	for _, a := range s.Alts {
		if found := sp.find(a, depth+1, pick); found != nil {
			return found
		}
	}
	return nil
}

// seen is a member's types and formats, for a line of text.
func seen(m Member) string {
	s := strings.Join(m.Types, " or ")
	if len(m.Formats) > 0 {
		s += " (" + strings.Join(m.Formats, ", ") + ")"
	}
	return s
}

// memberCount says how many member paths are below t.
func memberCount(t *Tree) string {
	n := 0
	var count func(*Tree)
	count = func(t *Tree) {
		for _, k := range t.Kids {
			n++
			count(k)
		}
		if t.Items != nil {
			count(t.Items)
		}
	}
	count(t)
	if n == 1 {
		return "1 member path"
	}
	return fmt.Sprintf("%d member paths", n)
}

// Lines are findings as lines of text, the members never seen of one
// object grouped on one line.
func Lines(fs []Finding) []string {
	var out []string
	unseen := map[string]int{} // "op model parent" → its line
	for _, f := range fs {
		if f.Kind != KindUnseen {
			out = append(out, f.String())
			continue
		}
		parent := strings.TrimSuffix(strings.TrimSuffix(f.Path, f.Member), ".")
		key := f.Op + " " + f.Model + " " + parent
		if i, ok := unseen[key]; ok {
			out[i] += ", " + f.Member
			continue
		}
		where := f.Op + ": " + f.Model
		if parent != "" {
			where += " (" + parent + ")"
		}
		unseen[key] = len(out)
		out = append(out, where+": modelled members never seen: "+f.Member)
	}
	return out
}
