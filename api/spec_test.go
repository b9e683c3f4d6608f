package api_test

import (
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/oauth-jaccount/jaccount-go/api"
	"github.com/oauth-jaccount/jaccount-go/internal/apigen"
	"github.com/oauth-jaccount/jaccount-go/jaccounttest"
	"github.com/oauth-jaccount/jaccount-go/openapi"
)

// specAPI is openapi/jaccount.yaml as the generator reads it.
func specAPI(t *testing.T) *apigen.API {
	t.Helper()
	a, err := apigen.Load(openapi.Spec)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// method returns the method of c (a *api.Client or *api.DataClient) that
// the generator names for op, and its service, or an invalid value.
func method(c any, svc, name string) reflect.Value {
	f := reflect.ValueOf(c).Elem().FieldByName(svc)
	if !f.IsValid() {
		return reflect.Value{}
	}
	return f.MethodByName(name)
}

// TestGeneratorEmittedEveryOperation checks the compiled client against the
// spec: every operation has its method, with one argument per required
// parameter, the body and the params struct; every paged one its iterator;
// every former name its wrapper.
func TestGeneratorEmittedEveryOperation(t *testing.T) {
	t.Parallel()
	a := specAPI(t)
	c, err := api.NewClient(api.StaticToken("t"))
	if err != nil {
		t.Fatal(err)
	}
	dc, err := api.NewDataClient(api.StaticToken("t"))
	if err != nil {
		t.Fatal(err)
	}
	clients := map[string]any{"Client": c, "DataClient": dc}
	for _, op := range a.Ops {
		c := clients[op.Server.Client]
		m := method(c, op.Service.Name, op.Name)
		if !m.IsValid() {
			t.Errorf("%s: no method %s.%s", op.ID, op.Service.Name, op.Name)
			continue
		}
		want := 2 + len(op.Required()) // ctx, the required parameters, …, opts ...CallOption
		if op.Body != nil {
			want++
		}
		if op.HasParamsStruct() {
			want++
		}
		if got := m.Type().NumIn(); got != want {
			t.Errorf("%s: %s.%s takes %d arguments, want %d", op.ID, op.Service.Name, op.Name, got, want)
		}
		if !m.Type().IsVariadic() || m.Type().In(m.Type().NumIn()-1) != reflect.TypeFor[[]api.CallOption]() {
			t.Errorf("%s: %s.%s does not end with opts ...api.CallOption", op.ID, op.Service.Name, op.Name)
		}
		names := []string{}
		if op.Paging != nil {
			names = append(names, op.Name+"Iter")
		}
		names = append(names, op.Aliases.Method, op.Aliases.Iterator)
		for _, n := range names {
			if n != "" && !method(c, op.Service.Name, n).IsValid() {
				t.Errorf("%s: no method %s.%s", op.ID, op.Service.Name, n)
			}
		}
	}
	t.Logf("%d operations of the spec, %d methods emitted", len(a.Ops), len(a.Ops))
}

// issuable returns op's first security alternative of a grant the fake
// issues tokens by: the authorization code or client credentials (not the
// password grant).
func issuable(t *testing.T, op *apigen.Op) apigen.Requirement {
	t.Helper()
	for _, r := range op.Security {
		if slices.Contains(r.Grants, "authorization_code") || slices.Contains(r.Grants, "client_credentials") {
			return r
		}
	}
	t.Fatalf("%s: no alternative of a grant the fake issues", op.ID)
	return apigen.Requirement{}
}

// newClientFor returns the client that calls op (a *api.Client, or a
// *api.DataClient for the data resources) against fake, with a token of
// the grant and the scopes of op's first alternative the fake can issue: a
// user's (authorization code) or the application's (client credentials).
func newClientFor(t *testing.T, fake *jaccounttest.Server, op *apigen.Op) any {
	t.Helper()
	alt := issuable(t, op)
	var tok *jaccounttest.Token
	var err error
	if slices.Contains(alt.Grants, "authorization_code") {
		tok, err = fake.IssueToken(jaccounttest.StudentUsername, alt.Scopes...)
	} else {
		tok, err = fake.IssueClientToken(alt.Scopes...)
	}
	if err != nil {
		t.Fatal(err)
	}
	var c any
	if op.Server.Client == "DataClient" {
		c, err = api.NewDataClient(api.StaticToken(tok.AccessToken), api.WithDataBaseURL(fake.DataURL()))
	} else {
		c, err = api.NewClient(api.StaticToken(tok.AccessToken), api.WithBaseURL(fake.APIURL()))
	}
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// samples are argument values that satisfy the spec's patterns.
var samples = map[string]string{"semester": "2024-2025-1", "size": "320x200", "imageType": "png", "state": "unread"}

// callOp calls op's method on c through reflection, with the samples (or
// "x", or zero values) as arguments, and returns its results.
func callOp(ctx context.Context, c any, op *apigen.Op) ([]reflect.Value, error) {
	m := method(c, op.Service.Name, op.Name)
	in := []reflect.Value{reflect.ValueOf(ctx)}
	for i := 1; i < m.Type().NumIn(); i++ {
		v := reflect.New(m.Type().In(i)).Elem()
		if i-1 < len(op.Required()) {
			p := op.Required()[i-1]
			if s, ok := samples[p.Name]; ok {
				v.SetString(s)
			} else if v.Kind() == reflect.String {
				v.SetString("x")
			}
		}
		if i-1 == len(op.Required()) && op.Body != nil && op.Body.Kind == apigen.BodyMultipart {
			// A multipart body: a small file in each file part.
			for _, p := range op.Body.Files() {
				v.FieldByName(p.GoName).Set(reflect.ValueOf(strings.NewReader("x")))
			}
		}
		in = append(in, v)
	}
	out := m.CallSlice(in) // the last of in is the (empty) []CallOption
	err, _ := out[len(out)-1].Interface().(error)
	return out, err
}

// TestEveryMethodServesItsExample calls every method, through reflection,
// against the fake answering with the spec's examples, and compares what it
// returns with the example's entities.
func TestEveryMethodServesItsExample(t *testing.T) {
	t.Parallel()
	a := specAPI(t)
	// The default application is 交我办, which the 思源码 operations but
	// validation admit alone.
	app := jaccounttest.DefaultClient()
	app.Jiaowoban = true
	fake := jaccounttest.New(t, jaccounttest.WithSpecExamples(), jaccounttest.WithClient(app))
	for _, op := range a.Ops {
		t.Run(op.ID, func(t *testing.T) {
			c := newClientFor(t, fake, op)
			out, err := callOp(t.Context(), c, op)
			if err != nil {
				t.Fatal(err)
			}
			switch op.Entities {
			case apigen.EntityNone:
				return
			case apigen.EntityRaw:
				blob := out[0].Interface().(*api.Blob)
				if len(blob.Data) == 0 || (strings.HasPrefix(op.MediaType, "image/") && !strings.HasPrefix(blob.ContentType, "image/")) {
					t.Errorf("raw reply %q of %d bytes, want a %s body", blob.ContentType, len(blob.Data), op.MediaType)
				}
				return
			}
			var ex struct{ Entities []json.RawMessage }
			if err := json.Unmarshal(op.Example, &ex); err != nil {
				t.Fatal(err)
			}
			got := out[0].Elem()
			var items reflect.Value
			if op.Entities == apigen.EntityList {
				items = got.FieldByName("Items")
			} else {
				items = reflect.Append(reflect.MakeSlice(reflect.SliceOf(got.Type()), 0, 1), got)
			}
			// The example, decoded into the same type, is what the method
			// must return.
			want := reflect.New(items.Type())
			b, _ := json.Marshal(ex.Entities)
			if err := json.Unmarshal(b, want.Interface()); err != nil {
				t.Fatal(err)
			}
			gotJSON, _ := json.Marshal(items.Interface())
			wantJSON, _ := json.Marshal(want.Elem().Interface())
			// (A paged example fits in the fake's first page.)
			if string(gotJSON) != string(wantJSON) {
				t.Errorf("returned %s, want the example's %s", gotJSON, wantJSON)
			}
		})
	}
}
