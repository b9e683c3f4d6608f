package apigen

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// The jaccount CLI's view of the API: the per-operation commands that
// cli_commands.tmpl writes into cmd/jaccount. It is computed from the same
// API as every other output, by CLI below; nothing here changes the API.
//
// The rules:
//   - each service (tag) is a command group named after the tag, whichever
//     server it is on (the data resources' `jaccount students list` beside
//     the open API's `jaccount card transactions`); a group whose single
//     command is a GET named `get` runs it itself (`jaccount gpa`), while a
//     list keeps its name (`jaccount circles list`), so that a group can
//     grow without renaming its command;
//   - a GET operation's command is named after the words of its Go name
//     without the verb (ListTransactions: `transactions`), or after the
//     verb when nothing else is left (Get: `get`, List: `list`); any other
//     operation's keeps its verb (RemovePositionUser:
//     `remove-position-user`), and so does a GET whose name would be taken;
//   - an operation whose path is another one's plus one path parameter,
//     with the same verb, whose other parameters are optional and which
//     takes no further query (listMyLessonsBySemester of listMyLessons), is
//     a variant of it: the other command gains an optional flag for the
//     parameter that selects it (`jaccount lessons list --semester
//     2024-2025-1`) and flags for the variant's optional parameters;
//   - each parameter is a flag named after its wire name in kebab case
//     (cardNo: --card-no), after its Go name when the spec gives one that
//     differs (x-go-name: xh is StudentNo, --student-no; timestamp is
//     UpdatedSince, --updated-since), or x-jaccount-cli-flag; required ones are
//     required flags; the paging parameters are not flags: the command walks
//     every page (--limit stops early); an operation whose query parameters
//     the documentation does not list (x-jaccount-open-query) takes them as
//     --query key=value;
//   - operations with a request body, or whose reply is a file or an image,
//     have no command (use `jaccount api`, with --raw for a file);
//   - a command calls its operation through the client of the operation's
//     server: it starts with a.opStart for api.Client and with
//     a.<prefix>Start for another (a.dataStart for api.DataClient), a
//     hand-written method per client that builds it from the settings (its
//     base URL) and the profile's token;
//   - a command's login is what the operation's security accepts: an
//     operation that no user can call (client credentials only, as the data
//     resources) needs `jaccount login --client-credentials --scopes ...`,
//     which its help says; the CLI checks the saved login against the
//     security before calling, and --fake logs in that way.

// CLIGroup is a command group: one service.
type CLIGroup struct {
	// Name is the command's name; Service the service.
	Name    string
	Service *Service
	// Commands are the group's commands; a group with one runs it itself.
	Commands []*CLICommand
}

// CLICommand is one command: an operation and its variants.
type CLICommand struct {
	// Name is the command's name.
	Name string
	// Op is the operation; Variants are selected by their VariantParam's
	// flag.
	Op       *Op
	Variants []*Op
	// Group is the command's group.
	Group *CLIGroup
}

// CLIFlag is one flag of a command.
type CLIFlag struct {
	// Name is the flag's name, without "--".
	Name string
	// Param is the parameter it sets; Op the operation it belongs to.
	Param *Param
	Op    *Op
	// Variant is true for the flag that selects a variant operation.
	Variant bool
	// Params is the variable of the operation's params struct.
	Params string
}

// CLI is the CLI view of a.
func CLI(a *API) []*CLIGroup {
	var groups []*CLIGroup
	for _, s := range a.Services {
		g := &CLIGroup{Name: kebab(s.Tag), Service: s}
		var variants []*Op
		for _, op := range s.Ops {
			if op.Body != nil || op.Entities == EntityRaw {
				continue
			}
			if base := variantOf(op, s.Ops); base != nil {
				variants = append(variants, op)
				continue
			}
			g.Commands = append(g.Commands, &CLICommand{Name: cliName(op), Op: op, Group: g})
		}
		// Two commands named alike keep their verbs.
		for _, c := range g.Commands {
			if slices.ContainsFunc(g.Commands, func(o *CLICommand) bool { return o != c && o.Name == c.Name }) {
				c.Name = kebab(c.Op.Name)
			}
		}
		for _, v := range variants {
			base := variantOf(v, s.Ops)
			for _, c := range g.Commands {
				if c.Op == base {
					c.Variants = append(c.Variants, v)
				}
			}
		}
		if len(g.Commands) > 0 {
			groups = append(groups, g)
		}
	}
	return groups
}

// variantOf returns the operation op is a variant of, or nil.
func variantOf(op *Op, ops []*Op) *Op {
	if len(op.Required()) != 1 || op.Params[0].In != "path" || op.OpenQuery {
		return nil
	}
	for _, base := range ops {
		if base != op && base.Verb == op.Verb && len(base.Params) == 0 && !base.OpenQuery && base.Body == nil &&
			base.Entities == op.Entities && base.Entity == op.Entity &&
			op.Path == base.Path+"/{"+op.Params[0].Name+"}" {
			return base
		}
	}
	return nil
}

// cliName is an operation's command name.
func cliName(op *Op) string {
	words := op.Words
	if len(words) == 0 || op.Method != "GET" {
		words = append([]string{op.Verb}, words...)
	}
	return kebab(strings.Join(words, ""))
}

// kebab writes an identifier in kebab case: "cardNo" gives "card-no".
func kebab(s string) string {
	words := SplitWords(s)
	for i, w := range words {
		words[i] = strings.ToLower(w)
	}
	return strings.Join(words, "-")
}

// Short is the group's one-line help: the tag's description without a
// full stop.
func (g *CLIGroup) Short() string {
	return strings.TrimSuffix(strings.TrimSpace(g.Service.Doc), ".")
}

// Single reports whether the group runs its only command itself: a GET
// named `get` (a command that changes something is always named, and so is
// a list, which the group may later hold a `get` beside).
func (g *CLIGroup) Single() bool {
	return len(g.Commands) == 1 && g.Commands[0].Op.Method == "GET" && g.Commands[0].Name == "get"
}

// Func is the name of the method that builds the command.
func (c *CLICommand) Func() string { return "cmd" + c.Op.Service.Name + c.Op.Name }

// Path is the command's words after "jaccount".
func (c *CLICommand) Path() string {
	if c.Group.Single() {
		return c.Group.Name
	}
	return c.Group.Name + " " + c.Name
}

// Use is the command's name as cobra shows it.
func (c *CLICommand) Use() string {
	if c.Group.Single() {
		return c.Group.Name
	}
	return c.Name
}

// Flags are the command's flags: the operation's parameters but the paging
// ones, then the variants' parameters.
func (c *CLICommand) Flags() []*CLIFlag {
	var out []*CLIFlag
	for _, p := range c.Op.Params {
		if !p.Paged(c.Op) {
			out = append(out, &CLIFlag{Name: p.flagName(), Param: p, Op: c.Op, Params: "p"})
		}
	}
	for _, v := range c.Variants {
		out = append(out, &CLIFlag{Name: v.Params[0].flagName(), Param: v.Params[0], Op: v, Variant: true})
		for _, p := range v.Optional() {
			if !p.Paged(v) && !slices.ContainsFunc(out, func(f *CLIFlag) bool { return f.Name == p.flagName() }) {
				out = append(out, &CLIFlag{Name: p.flagName(), Param: p, Op: v, Params: paramsVar(c, v)})
			}
		}
	}
	return out
}

// paramsVar is the variable of op's params struct in c's command.
func paramsVar(c *CLICommand, op *Op) string {
	if op == c.Op {
		return "p"
	}
	return "p" + op.Name
}

// flagName is the parameter's flag name: x-jaccount-cli-flag, else its Go
// name in kebab case when the spec gives one that the wire name would not
// (x-go-name; the data resources' pinyin abbreviations: xh is StudentNo),
// else the wire name in kebab case.
func (p *Param) flagName() string {
	switch {
	case p.CLIFlag != "":
		return p.CLIFlag
	case p.GoName != GoName(p.Name):
		return kebab(p.GoName)
	}
	return kebab(p.Name)
}

// Var is the Go expression the flag's value is stored in: a local for a
// method argument, a field of p for an optional parameter.
func (f *CLIFlag) Var() string {
	if f.Param.Required {
		return argVar(f.Op, f.Param)
	}
	return f.Params + "." + f.Param.GoName
}

// argVar is the local holding a required parameter of op.
func argVar(op *Op, p *Param) string { return "arg" + op.Name + p.GoName }

// Locals are the declarations of the variables the command's flags fill.
func (c *CLICommand) Locals() []string {
	var out []string
	for _, op := range append([]*Op{c.Op}, c.Variants...) {
		if op.HasParamsStruct() {
			out = append(out, paramsVar(c, op)+" api."+op.ParamsType())
		}
		for _, p := range op.Required() {
			out = append(out, argVar(op, p)+" "+goType(p))
		}
	}
	return out
}

// OpenQuery reports whether the command takes --query key=value.
func (c *CLICommand) OpenQuery() bool { return c.Op.OpenQuery }

// Paged reports whether the command walks pages.
func (c *CLICommand) Paged() bool { return c.Op.Paging != nil }

// Short is the one-line help: the summary without a full stop.
func (c *CLICommand) Short() string { return strings.TrimSuffix(strings.TrimSpace(c.Op.Summary), ".") }

// Long is the full help: the summary and description of the operation
// (and of its variants), with the operation, scopes and documentation.
func (c *CLICommand) Long() string {
	var b strings.Builder
	for i, op := range append([]*Op{c.Op}, c.Variants...) {
		if i > 0 {
			fmt.Fprintf(&b, "\n\nWith --%s: %s", op.Params[0].flagName(), lowerFirst(sentence(op.Summary)))
		} else {
			b.WriteString(sentence(op.Summary))
		}
		if d := strings.TrimSpace(strings.NewReplacer("**", "", "`", "").Replace(op.Description)); d != "" {
			b.WriteString("\n\n" + d)
		}
		where := ""
		if !op.Server.Default {
			where = " on " + op.Server.URL
		}
		fmt.Fprintf(&b, "\n\nOperation %s: %s %s%s.", op.ID, op.Method, op.Path, where)
		if s := op.Scopes(); len(s) > 0 {
			fmt.Fprintf(&b, " Scopes: %s.", strings.Join(s, ", "))
		}
		if op.DocURL != "" {
			fmt.Fprintf(&b, " Documentation: %s", op.DocURL)
		}
	}
	if c.Op.Anonymous {
		b.WriteString("\n\nNo login is needed: without one, the command calls it without a token; with one, it sends " +
			"the login's token.")
	}
	if l := c.Op.LoginFlags(); l != "" {
		fmt.Fprintf(&b, "\n\nNo user can call it: it needs the application's own login, `jaccount login %s` "+
			"(keep it in a profile of its own, with --profile, beside a user's login).", l)
	}
	if c.Paged() {
		b.WriteString("\n\nThe command walks every page and writes the items as they come; --limit stops early.")
	}
	return b.String()
}

// Start is the method of package cli that starts the command: it returns
// the client of the operation's server (opStart for api.Client, dataStart
// for api.DataClient) and the output format.
func (c *CLICommand) Start() string {
	if c.Op.Server.Default {
		return "opStart"
	}
	return lowerFirst(c.Op.Server.Prefix()) + "Start"
}

// LoginFlags are the flags of `jaccount login` that give a login able to
// call op when a user's login cannot (no alternative of its security is
// the authorization-code grant): ClientLoginFlags. "" when a user's login
// (plain `jaccount login`) will do.
func (op *Op) LoginFlags() string {
	for _, r := range op.Security {
		if slices.Contains(r.Grants, grantAuthCode) {
			return ""
		}
	}
	return op.ClientLoginFlags()
}

// ClientLoginFlags are the flags of `jaccount login` for the application's
// own login that can call op: "--client-credentials --scopes s1,s2" with the
// scopes of its first client-credentials alternative; "" when none is.
func (op *Op) ClientLoginFlags() string {
	for _, r := range op.Security {
		if slices.Contains(r.Grants, grantClientCredentials) {
			f := "--client-credentials"
			if len(r.Scopes) > 0 {
				f += " --scopes " + strings.Join(r.Scopes, ",")
			}
			return f
		}
	}
	return ""
}

// The grants the CLI logs in with.
const (
	grantAuthCode          = "authorization_code"
	grantClientCredentials = "client_credentials"
)

// CLIPath is the command that calls op (`students list`), "" when none
// does (a body, a file), for the messages of `jaccount api`.
func CLIPath(groups []*CLIGroup, op *Op) string {
	for _, g := range groups {
		for _, c := range g.Commands {
			if c.Op == op || slices.Contains(c.Variants, op) {
				return c.Path()
			}
		}
	}
	return ""
}

// Usage is the flag's help text: the first line of the parameter's doc; for
// a time, its first sentence, without what it says of the wire form.
func (f *CLIFlag) Usage() string {
	p := f.Param
	u := strings.TrimSpace(strings.ReplaceAll(p.Doc, "`", ""))
	if u == "" {
		u = p.Name
	}
	u, _, _ = strings.Cut(u, "\n")
	if p.Kind == KindTime {
		u, _, _ = strings.Cut(u, ". ")
		u = strings.TrimSuffix(strings.TrimSpace(strings.Split(u, ";")[0]), ".")
		u += ": a date (2024-09-01), a date and time (2024-09-01 08:00) in China Standard Time, or RFC 3339"
		if f.endOfDay() {
			u += "; a date alone means the end of that day"
		}
	}
	if len(p.Enum) > 0 {
		u += " (one of: " + strings.Join(p.Enum, ", ") + ")"
	}
	switch {
	case f.Variant:
		u = strings.TrimSuffix(u, ".") + "; selects " + f.Op.ID
	case f.Params != "p":
		u = strings.TrimSuffix(u, ".") + " (with --" + f.Op.Params[0].flagName() + ")"
	}
	return u
}

// endOfDay reports whether a bare date means the end of the day: for the
// end of a period.
func (f *CLIFlag) endOfDay() bool {
	return f.Name == "until" || strings.HasPrefix(f.Param.GoName, "End")
}

// Define is the statement that defines the flag on fs.
func (f *CLIFlag) Define() string {
	v, n, u := f.Var(), strconv.Quote(f.Name), strconv.Quote(f.Usage())
	switch f.Param.Kind {
	case KindInt:
		return fmt.Sprintf("fs.IntVar(&%s, %s, 0, %s)", v, n, u)
	case KindInt64:
		return fmt.Sprintf("fs.Int64Var(&%s, %s, 0, %s)", v, n, u)
	case KindFloat:
		return fmt.Sprintf("fs.Float64Var(&%s, %s, 0, %s)", v, n, u)
	case KindBool:
		if !f.Param.Required {
			return fmt.Sprintf("boolPtrFlag(fs, &%s, %s, %s)", v, n, u)
		}
		return fmt.Sprintf("fs.BoolVar(&%s, %s, false, %s)", v, n, u)
	case KindTime:
		return fmt.Sprintf("timeFlag(fs, &%s, %s, %s, %v)", v, n, u, f.endOfDay())
	case KindStrings:
		return fmt.Sprintf("fs.StringSliceVar(&%s, %s, nil, %s)", v, n, u)
	case KindInts:
		return fmt.Sprintf("fs.IntSliceVar(&%s, %s, nil, %s)", v, n, u)
	}
	return fmt.Sprintf("fs.StringVar(&%s, %s, \"\", %s)", v, n, u)
}

// callOf is the SDK call of op with the command c's variables.
func callOf(c *CLICommand, op *Op, iter bool) string {
	var as []string
	as = append(as, "ctx")
	for _, p := range op.Required() {
		as = append(as, argVar(op, p))
	}
	if op.HasParamsStruct() {
		as = append(as, paramsVar(c, op))
	}
	name := op.Name
	if iter {
		name += "Iter"
	}
	return fmt.Sprintf("c.%s.%s(%s)", op.Service.Name, name, strings.Join(as, ", "))
}

// Run is the body of the command's RunE after the client c, the format f
// and the context ctx are set: the variants first, each when its flag is
// set, then the operation.
func (c *CLICommand) Run() string {
	var b strings.Builder
	for _, v := range c.Variants {
		fmt.Fprintf(&b, "if cmd.Flags().Changed(%q) {\n%s}\n", v.Params[0].flagName(), printCall(v, c))
	}
	b.WriteString(printCall(c.Op, c))
	return strings.TrimSuffix(b.String(), "\n")
}

// printCall calls op and writes its result.
func printCall(op *Op, c *CLICommand) string {
	switch {
	case op.Paging != nil:
		return fmt.Sprintf("return printSeq(a, f, %q, limit, %s)\n", c.Path(), callOf(c, op, true))
	case op.Entities == EntityList:
		return fmt.Sprintf("l, err := %s\nreturn printList(a, f, l, err)\n", callOf(c, op, false))
	case op.Entities == EntitySingle:
		return fmt.Sprintf("v, err := %s\nreturn printOne(a, f, v, err)\n", callOf(c, op, false))
	}
	return fmt.Sprintf("_ = f // nothing to print but the error, if any\nreturn %s\n", callOf(c, op, false))
}

// CLIOps are every operation of the spec, whichever its server, for
// `jaccount api`: sorted by ID.
func CLIOps(a *API) []*Op {
	ops := slices.Clone(a.Ops)
	slices.SortFunc(ops, func(x, y *Op) int { return strings.Compare(x.ID, y.ID) })
	return ops
}

// PathParams are the names of op's path parameters.
func (op *Op) PathParams() []string {
	var out []string
	for _, p := range op.Params {
		if p.In == "path" {
			out = append(out, p.Name)
		}
	}
	return out
}

// CLITimeModel is a model that holds dates or instants, for the table in
// commands.gen.go that tells the CLI's output the unit of each (tables and
// CSV write them as times; the column names are not guessed from).
type CLITimeModel struct {
	// Model is the model's Go type in package gen.
	Model string
	// Fields are its time fields, sorted by JSON name.
	Fields []*TimeField
}

// CLITimeModels are a's time fields (x-jaccount-time on a property),
// grouped by model, sorted by model name.
func CLITimeModels(a *API) []*CLITimeModel {
	var out []*CLITimeModel
	byModel := map[string]*CLITimeModel{}
	for _, f := range a.TimeFields {
		m := byModel[f.Model]
		if m == nil {
			m = &CLITimeModel{Model: f.Model}
			byModel[f.Model] = m
			out = append(out, m)
		}
		m.Fields = append(m.Fields, f)
	}
	slices.SortFunc(out, func(x, y *CLITimeModel) int { return strings.Compare(x.Model, y.Model) })
	for _, m := range out {
		slices.SortFunc(m.Fields, func(x, y *TimeField) int { return strings.Compare(x.JSON, y.JSON) })
	}
	return out
}

func init() {
	funcs["cli"] = CLI
	funcs["cliTimeModels"] = CLITimeModels
	funcs["timeConst"] = timeConst
	funcs["cliOps"] = CLIOps
	funcs["cliPath"] = CLIPath
	funcs["quoteList"] = func(xs []string) string {
		q := make([]string, len(xs))
		for i, x := range xs {
			q[i] = strconv.Quote(x)
		}
		return strings.Join(q, ", ")
	}
	funcs["backquote"] = func(s string) string {
		if strings.Contains(s, "`") {
			return strconv.Quote(s)
		}
		return "`" + s + "`"
	}
}
