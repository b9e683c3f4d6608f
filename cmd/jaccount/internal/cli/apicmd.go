package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/oauth-jaccount/jaccount-go/api"
)

// apiCommands are the API commands: the generic `api` and one command per
// operation, generated from the spec.
func (a *app) apiCommands() []*cobra.Command {
	return append([]*cobra.Command{a.apiCommand()}, a.opCommands()...)
}

// apiOptions are the flags of `jaccount api`.
type apiOptions struct {
	fields []string
	method string
	raw    bool
	data   bool // the path is the data resources' (api.DataClient)
}

func (a *app) apiCommand() *cobra.Command {
	var o apiOptions
	cmd := &cobra.Command{
		Use:   "api PATH|OPERATION_ID",
		Short: "Call any API endpoint",
		Long: `Call an endpoint of the jAccount API with the saved login and print its JSON.

The argument is a path (/v1/me/profile, with a query if you like) or an
operation id of the spec (getMyProfile); -f key=value fills the operation's
{key} path parameter, and the other fields are sent as the query (GET,
DELETE) or as a form body (other methods). The call goes through the SDK:
the token is renewed when needed, failures are retried, and the reply's
envelope ({errno, error, total, entities}) is checked and stripped: an
operation that returns one entity prints it, others print the entities array.
With --raw, the reply is printed exactly as the server sent it.

The operations of the data resources (listStudents, /v1/stu/profile, ...)
go to their own server (data_url), with the application's login (jaccount
login --client-credentials --scopes exchange_data); the spec says which
operation is on which server. --data sends a path the spec does not
describe there too.`,
		Example: `  jaccount api /v1/me/profile
  jaccount api getMyProfile
  jaccount api listMyLessonsBySemester -f semester=2024-2025-1
  jaccount api /v1/me/card/transactions -f beginDate=1725120000000 --raw
  jaccount api listStudents -f first=1 -f offset=200
  jaccount api --data /v1/stu/profile --raw`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return a.callAPI(cmd, args[0], o) },
		ValidArgsFunction: func(_ *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			var out []cobra.Completion
			for _, op := range operations {
				out = append(out, cobra.CompletionWithDesc(op.id, op.method+" "+op.path))
			}
			return out, cobra.ShellCompDirectiveNoFileComp
		},
	}
	f := cmd.Flags()
	f.StringArrayVarP(&o.fields, "field", "f", nil, "a parameter, key=value (repeatable)")
	f.StringVarP(&o.method, "method", "X", "", "the HTTP method (default: the operation's, else GET)")
	f.BoolVar(&o.raw, "raw", false, "print the reply as it is, envelope included")
	f.BoolVar(&o.data, "data", false, "call the data resources' server (data_url), for a path the spec does not describe")
	return cmd
}

// apiCall is a resolved `jaccount api` call.
type apiCall struct {
	method, path string
	query, form  url.Values
	op           *operation // nil for a path the spec does not describe
	server       string     // the operation's server: "" or serverData
}

// resolveCall turns the argument and fields into a request.
func resolveCall(target string, o apiOptions) (*apiCall, error) {
	fields := url.Values{}
	for _, kv := range o.fields {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, usagef("-f %q: want key=value", kv)
		}
		fields.Add(k, v)
	}
	c := &apiCall{method: strings.ToUpper(o.method)}
	if strings.HasPrefix(target, "/") {
		p, q, _ := strings.Cut(target, "?")
		extra, err := url.ParseQuery(q)
		if err != nil {
			return nil, usagef("query of %s: %v", target, err)
		}
		for k, vs := range extra {
			fields[k] = append(vs, fields[k]...)
		}
		c.path, c.op = p, matchPath(p, o.data)
	} else {
		c.op = operationByID(target)
		if c.op == nil {
			return nil, usagef("%q is neither a path (starting with /) nor an operation id; see `jaccount api --help`", target)
		}
		path := c.op.path
		for _, name := range c.op.pathParams {
			v := fields.Get(name)
			if v == "" {
				return nil, usagef("%s needs -f %s=...", c.op.id, name)
			}
			fields.Del(name)
			path = strings.Replace(path, "{"+name+"}", url.PathEscape(v), 1)
		}
		c.path = path
	}
	switch {
	case c.op != nil:
		c.server = c.op.server
	case o.data:
		c.server = serverData
	}
	if o.data && c.server != serverData {
		return nil, usagef("--data: %s is an operation of the open API, not of the data resources", c.op.id)
	}
	if c.method == "" {
		c.method = http.MethodGet
		if c.op != nil {
			c.method = c.op.method
		}
	}
	switch c.method {
	case http.MethodGet, http.MethodHead, http.MethodDelete:
		c.query = fields
	default:
		c.form = fields
	}
	return c, nil
}

// matchPath returns the operation whose path template matches path: one
// whose path is path itself first, then one whose parameters match, so
// that a path of one server is never taken for a template of the other's.
// With data, only the data resources' operations are considered.
func matchPath(path string, data bool) *operation {
	path = strings.TrimSuffix(path, "/")
	got := strings.Split(path, "/")
	var templ *operation
	for i := range operations {
		op := &operations[i]
		if data && op.server != serverData {
			continue
		}
		if op.path == path {
			return op
		}
		want := strings.Split(op.path, "/")
		if templ != nil || len(want) != len(got) {
			continue
		}
		ok := true
		for j := range want {
			if want[j] != got[j] && !(strings.HasPrefix(want[j], "{") && got[j] != "") {
				ok = false
				break
			}
		}
		if ok {
			templ = op
		}
	}
	return templ
}

// rawEntity receives an operation's single entity as it is.
type rawEntity struct{ json.RawMessage }

// UnmarshalJSON keeps the bytes.
func (r *rawEntity) UnmarshalJSON(b []byte) error {
	r.RawMessage = append(r.RawMessage[:0], b...)
	return nil
}

// caller is what `jaccount api` calls through: api.Client or
// api.DataClient.
type caller interface {
	BaseURL() string
	HTTPClient() *http.Client
	Do(ctx context.Context, method, path string, query url.Values, body, out any, opts ...api.CallOption) error
}

// callAPI performs `jaccount api`.
func (a *app) callAPI(cmd *cobra.Command, target string, o apiOptions) error {
	call, err := resolveCall(target, o)
	if err != nil {
		return err
	}
	ctx := cmd.Context()
	op := call.op
	if op == nil && call.server == serverData {
		// A data path the spec does not describe needs the login the data
		// operations need.
		if first := serverOperation(serverData); first != nil {
			op = &operation{id: call.path, server: serverData, security: first.security}
		}
	}
	var c caller
	if call.server == serverData {
		c, err = a.dataClient(ctx, op)
	} else {
		c, err = a.apiClient(ctx, op)
	}
	if err != nil {
		return err
	}
	if o.raw {
		return a.rawCall(ctx, c, call)
	}
	var body any
	if call.form != nil {
		body = call.form
	}
	var out []byte
	switch {
	case call.op != nil && call.op.entities == "single":
		var e rawEntity
		err = c.Do(ctx, call.method, call.path, call.query, body, &e)
		out = e.RawMessage
	case call.op != nil && call.op.entities == "none":
		err = c.Do(ctx, call.method, call.path, call.query, body, nil)
	default:
		var e json.RawMessage
		err = c.Do(ctx, call.method, call.path, call.query, body, &e)
		out = e
	}
	if err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	var b bytes.Buffer
	if err := json.Indent(&b, out, "", "  "); err != nil {
		return err
	}
	b.WriteByte('\n')
	_, err = a.env.Stdout.Write(b.Bytes())
	return err
}

// rawCall sends the request through the SDK's stack (token, renewal,
// retries) and copies the reply to stdout as it is. A reply that is not a
// success (HTTP status or errno) also fails the command.
func (a *app) rawCall(ctx context.Context, c caller, call *apiCall) error {
	u := c.BaseURL() + call.path
	if len(call.query) > 0 {
		u += "?" + call.query.Encode()
	}
	var body io.Reader
	if call.form != nil {
		body = strings.NewReader(call.form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, call.method, u, body)
	if err != nil {
		return usagef("%v", err)
	}
	if call.form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.HTTPClient().Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if _, err := a.env.Stdout.Write(data); err != nil {
		return err
	}
	if len(data) > 0 && data[len(data)-1] != '\n' {
		fmt.Fprintln(a.env.Stdout)
	}
	var env struct {
		Errno *int   `json:"errno"`
		Error string `json:"error"`
	}
	_ = json.Unmarshal(data, &env)
	if resp.StatusCode/100 != 2 || env.Errno != nil && *env.Errno != 0 {
		e := &api.Error{Method: call.method, Path: call.path, StatusCode: resp.StatusCode, Message: http.StatusText(resp.StatusCode)}
		if env.Errno != nil {
			e.Errno, e.Message = api.Errno(*env.Errno), clean(env.Error)
		}
		return e
	}
	return nil
}

// serverOperation returns the first operation of server, for the login a
// path there that the spec does not describe needs.
func serverOperation(server string) *operation {
	i := slices.IndexFunc(operations, func(op operation) bool { return op.server == server })
	if i < 0 {
		return nil
	}
	return &operations[i]
}

// clean makes server text safe for one line on a terminal: no control
// characters, at most 200 characters.
func clean(s string) string {
	s = oneLineCell(s)
	if r := []rune(s); len(r) > 200 {
		s = string(r[:200]) + "…"
	}
	return s
}
