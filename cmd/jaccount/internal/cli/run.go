package cli

import (
	"context"
	"fmt"
	"iter"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/oauth-jaccount/jaccount-go/api"
)

// The helpers below are what the generated per-operation commands call:
// each command parses its flags into the SDK's parameters, calls the SDK
// and hands the result here.

// opStart resolves the output (--format, --time-format) and the
// api.Client of the command of the operation id (the open API's).
func (a *app) opStart(ctx context.Context, id, format string) (*api.Client, output, error) {
	o, err := a.output(format)
	if err != nil {
		return nil, o, err
	}
	c, err := a.apiClient(ctx, operationByID(id))
	return c, o, err
}

// dataStart resolves the output (--format, --time-format) and the
// api.DataClient of the command of the operation id (the data resources').
func (a *app) dataStart(ctx context.Context, id, format string) (*api.DataClient, output, error) {
	o, err := a.output(format)
	if err != nil {
		return nil, o, err
	}
	c, err := a.dataClient(ctx, operationByID(id))
	return c, o, err
}

// output resolves the command's output from its --format (format) and
// --time-format.
func (a *app) output(format string) (output, error) {
	return resolveOutput(format, a.flags.timeFormat, a.env.StdoutTTY, a.env.Width)
}

// printOne writes the single entity an operation returned.
func printOne[T any](a *app, o output, v *T, err error) error {
	if err != nil {
		return err
	}
	return writeOne(o, a.env.Stdout, v)
}

// printList writes the entities of one reply of a list operation.
func printList[T any](a *app, o output, l *api.List[T], err error) error {
	if err != nil {
		return err
	}
	lw := newListWriter(o, a.env.Stdout, reflect.TypeFor[T]())
	for i := range l.Items {
		if err := lw.Item(&l.Items[i]); err != nil {
			return err
		}
	}
	return lw.Close()
}

// printSeq streams the items of a paging iterator as they come: memory
// stays flat whatever their number. limit > 0 stops after that many items.
// On a terminal, stderr shows the pages and items so far.
func printSeq[T any](a *app, o output, what string, limit int, seq iter.Seq2[T, error]) error {
	lw := newListWriter(o, a.env.Stdout, reflect.TypeFor[T]())
	p := a.newProgress(what)
	defer p.done()
	n := 0
	for v, err := range seq {
		if err != nil {
			// What was written so far stays valid output.
			_ = lw.Close()
			return err
		}
		if err := lw.Item(&v); err != nil {
			return err
		}
		p.item()
		if n++; limit > 0 && n >= limit {
			break
		}
	}
	return lw.Close()
}

// limitFlag adds --limit to a command that pages.
func limitFlag(fs *pflag.FlagSet, p *int) {
	fs.IntVar(p, "limit", 0, "stop after this many items (0: all)")
}

// timeValue is a flag holding a time: a date (2024-09-01), a date and time
// (2024-09-01 08:00[:05]) in China Standard Time, or RFC 3339. With endOfDay,
// a bare date means the end of that day, so that a range's last day counts.
type timeValue struct {
	t        *time.Time
	endOfDay bool
}

// timeLayouts are the accepted forms, in China Standard Time unless they
// carry a zone.
var timeLayouts = []string{"2006-01-02", "2006-01-02 15:04", "2006-01-02 15:04:05", "2006-01-02T15:04", "2006-01-02T15:04:05", time.RFC3339Nano}

func (v *timeValue) String() string {
	if v.t == nil || v.t.IsZero() {
		return ""
	}
	return v.t.In(cst).Format("2006-01-02 15:04:05")
}

func (v *timeValue) Set(s string) error {
	s = strings.TrimSpace(s)
	for i, layout := range timeLayouts {
		t, err := time.ParseInLocation(layout, s, cst)
		if err != nil {
			continue
		}
		if i == 0 && v.endOfDay {
			t = t.AddDate(0, 0, 1).Add(-time.Millisecond)
		}
		*v.t = t
		return nil
	}
	return fmt.Errorf("%q is not a date (2024-09-01), a date and time (2024-09-01 08:00) or RFC 3339", s)
}

func (v *timeValue) Type() string { return "time" }

// timeFlag adds a time flag; see timeValue.
func timeFlag(fs *pflag.FlagSet, p *time.Time, name, usage string, endOfDay bool) {
	fs.Var(&timeValue{t: p, endOfDay: endOfDay}, name, usage)
}

// annOperation is the annotation naming a command's operation.
const annOperation = "jaccount/operation"

// operation is one operation of the spec, for `jaccount api` and the login
// check of the commands.
type operation struct {
	id, method, path string
	entities         string // single, list or none
	// server is the operation's server: "" for the open API's (api.Client),
	// serverData for the data resources' (api.DataClient).
	server     string
	pathParams []string
	// command is the command that calls it ("students list"), "" if none.
	command string
	// security are the alternatives the operation accepts, any one of
	// which suffices.
	security []requirement
	// anonymous reports that the operation needs no token (the spec lists
	// the empty requirement: the school calendar): without a login, the
	// command calls it without one.
	anonymous bool
	// survey marks an operation `jaccount survey` calls (x-jaccount-survey:
	// true: a GET with no side effect whose reply holds no credential);
	// notSurveyed is why a GET is never called, when the spec says.
	survey      bool
	notSurveyed string
}

// requirement is one security alternative: a token of one of the grants,
// with all the scopes.
type requirement struct {
	grants, scopes []string
}

// serverData is the data resources' server (api.DataClient) in operation.
const serverData = "data"

// operationByID returns the operation id, nil if the spec has none (a
// command built from the spec always has one).
func operationByID(id string) *operation {
	i := slices.IndexFunc(operations, func(op operation) bool { return strings.EqualFold(op.id, id) })
	if i < 0 {
		return nil
	}
	return &operations[i]
}

// name is how messages name the operation: its command, else its id.
func (op *operation) name() string {
	if op.command != "" {
		return "`jaccount " + op.command + "`"
	}
	return op.id
}

// userCallable reports whether a user's login (authorization code) can call
// the operation.
func (op *operation) userCallable() bool {
	return op == nil || len(op.security) == 0 ||
		slices.ContainsFunc(op.security, func(r requirement) bool { return slices.Contains(r.grants, grantAuthCode) })
}

// clientRequirement is the first alternative of op's security that the
// application's own login (client credentials) meets, nil if none is.
func (op *operation) clientRequirement() *requirement { return op.requirement(grantClientCredentials) }

// userRequirement is the first alternative of op's security that a user's
// login (authorization code) meets, nil if none is.
func (op *operation) userRequirement() *requirement { return op.requirement(grantAuthCode) }

// requirement is the first alternative of op's security that a login of
// grant meets, nil if none is.
func (op *operation) requirement(grant string) *requirement {
	if op == nil {
		return nil
	}
	i := slices.IndexFunc(op.security, func(r requirement) bool { return slices.Contains(r.grants, grant) })
	if i < 0 {
		return nil
	}
	return &op.security[i]
}

// clientLogin are the flags of `jaccount login` for the application's login
// that can call op, "--client-credentials --scopes exchange_data" (the
// scopes of its clientRequirement), "" when none can. apigen's
// ClientLoginFlags writes the same into the commands' help.
func (op *operation) clientLogin() string {
	r := op.clientRequirement()
	if r == nil {
		return ""
	}
	f := "--client-credentials"
	if len(r.scopes) > 0 {
		f += " --scopes " + strings.Join(r.scopes, ",")
	}
	return f
}

// loginFlags are the flags of the `jaccount login` that gives a login able
// to call op: none when a user's login can, else the application's.
func (op *operation) loginFlags() string {
	if op.userCallable() {
		return ""
	}
	return op.clientLogin()
}

// checkLogin reports, as a *loginError, that the profile's login cannot call
// op: its grant is none the operation accepts, or it is a client-credentials
// login that did not ask for the scopes of any alternative. A user's scopes
// are not checked here: the server says what the user granted. An operation
// that accepts no grant the CLI logs in with (the password grant only) is
// left to the server too.
func checkLogin(op *operation, info *loginInfo, profile string) error {
	if op == nil || len(op.security) == 0 {
		return nil
	}
	loggable := false
	for _, r := range op.security {
		if slices.Contains(r.grants, grantAuthCode) || slices.Contains(r.grants, grantClientCredentials) {
			loggable = true
		}
		if !slices.Contains(r.grants, info.Grant) {
			continue
		}
		if info.Grant != grantClientCredentials || !slices.ContainsFunc(r.scopes, func(s string) bool { return !slices.Contains(info.Scopes, s) }) {
			return nil
		}
	}
	if !loggable {
		return nil
	}
	le := &loginError{profile: profile}
	client := op.clientRequirement()
	switch {
	case info.Grant != grantClientCredentials:
		le.why = fmt.Sprintf("%s needs the application's client-credentials login%s, and profile %s holds a user's login",
			op.name(), scopesText(client), profile)
		le.flags, le.beside = op.clientLogin(), true
	case client == nil:
		le.why = fmt.Sprintf("%s needs a user's login, and profile %s holds the application's client-credentials login", op.name(), profile)
	default:
		asked := "no scope"
		if len(info.Scopes) > 0 {
			asked = "scopes " + strings.Join(info.Scopes, " ")
		}
		or := ""
		if op.userCallable() {
			or = " (or a user's login)"
		}
		le.why = fmt.Sprintf("%s needs a client-credentials login%s%s, and profile %s was logged in with %s",
			op.name(), scopesText(client), or, profile, asked)
		le.flags = op.clientLogin()
	}
	return le
}

// scopesText is " with scope(s) ..." for the requirement's scopes, "" for
// none.
func scopesText(r *requirement) string {
	switch {
	case r == nil || len(r.scopes) == 0:
		return ""
	case len(r.scopes) > 1:
		return " with scopes " + strings.Join(r.scopes, " ")
	}
	return " with scope " + r.scopes[0]
}

// boolPtrFlag adds a flag for an optional bool parameter: nil until set.
func boolPtrFlag(fs *pflag.FlagSet, p **bool, name, usage string) {
	fs.BoolFunc(name, usage, func(s string) error {
		v, err := strconv.ParseBool(s)
		if err != nil {
			return err
		}
		*p = &v
		return nil
	})
}

// queryFlag defines --query key=value (repeatable), the further query
// parameters of an operation whose documentation does not list them
// (x-jaccount-open-query): each adds value to key in *q.
func queryFlag(fs *pflag.FlagSet, q *url.Values) {
	fs.Func("query", "a further query parameter as key=value (repeatable): the documentation available does not list this operation's", func(s string) error {
		k, v, ok := strings.Cut(s, "=")
		if !ok || k == "" {
			return fmt.Errorf("want key=value, not %q", s)
		}
		if *q == nil {
			*q = url.Values{}
		}
		q.Add(k, v)
		return nil
	})
}
