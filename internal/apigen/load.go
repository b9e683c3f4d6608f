package apigen

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"go/token"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// The vendor extensions the generator reads. CONTRIBUTING.md ("Regenerating
// after editing the spec") documents each.
const (
	extScopes   = "x-jaccount-scopes"
	extErrnos   = "x-jaccount-errnos"
	extEntities = "x-jaccount-entities"
	extPaging   = "x-jaccount-paging"
	extAliases  = "x-jaccount-aliases"
	extTime     = "x-jaccount-time"
	extKnown    = "x-jaccount-known-values"
	extOpenQ    = "x-jaccount-open-query"
	extOpenEnum = "x-jaccount-open-enum" // replaced by x-jaccount-known-values
	extClient   = "x-jaccount-client"
	extGoName   = "x-go-name" // oapi-codegen's, honoured for parameters too
	extCLIFlag  = "x-jaccount-cli-flag"
	extOnlyApp  = "x-jaccount-only-app"
	extIdem     = "x-jaccount-idempotent"
	extSurvey   = "x-jaccount-survey"
	// extEvidence (merge.go) marks what a merged shape report added.
)

// Load reads an OpenAPI 3.0 document into the intermediate representation,
// checking everything the generator relies on. Its error lists every
// problem found, one per line.
func Load(spec []byte) (*API, error) {
	doc, err := openapi3.NewLoader().LoadFromData(spec)
	if err != nil {
		return nil, fmt.Errorf("apigen: load the spec: %w", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("apigen: the spec does not validate: %w", err)
	}
	l := &loader{doc: doc, api: &API{}}
	if doc.Info != nil {
		l.api.Title = doc.Info.Title
	}
	l.servers()
	l.scopes()
	l.errnos()
	l.services()
	l.operations()
	l.assignServers()
	l.models()
	if len(l.errs) > 0 {
		return nil, fmt.Errorf("apigen: %d problem(s) in the spec:\n%w", len(l.errs), errors.Join(l.errs...))
	}
	return l.api, nil
}

// loader holds the state of one Load.
type loader struct {
	doc      *openapi3.T
	api      *API
	errs     []error
	scopeSet map[string]*Scope
}

func (l *loader) fail(format string, args ...any) {
	l.errs = append(l.errs, fmt.Errorf(format, args...))
}

// extension decodes the extension key of exts into out; it reports whether
// the extension is present.
func (l *loader) extension(where string, exts map[string]any, key string, out any) bool {
	v, ok := exts[key]
	if !ok {
		return false
	}
	b, err := json.Marshal(v)
	if err == nil {
		d := json.NewDecoder(strings.NewReader(string(b)))
		d.DisallowUnknownFields()
		err = d.Decode(out)
	}
	if err != nil {
		l.fail("%s: %s: %v", where, key, err)
		return false
	}
	return true
}

// servers reads the spec's top-level server, the default one; the others
// are found on the paths (opServer).
func (l *loader) servers() {
	if len(l.doc.Servers) != 1 {
		l.fail("the spec must declare exactly one top-level server (the default base URL, api.Client's); it declares %d", len(l.doc.Servers))
		return
	}
	s := l.doc.Servers[0]
	def := &Server{URL: s.URL, Doc: strings.TrimSpace(s.Description), Client: "Client", Default: true}
	var name string
	if l.extension("the top-level server", s.Extensions, extClient, &name) && name != def.Client {
		l.fail("the top-level server: %s is %q; the default server's client is always Client", extClient, name)
	}
	l.checkServerURL("the top-level server", def.URL)
	l.api.Servers = []*Server{def}
}

// checkServerURL checks that u is an absolute http(s) URL without a
// trailing slash, query or fragment.
func (l *loader) checkServerURL(where, u string) {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" || p.RawQuery != "" ||
		p.Fragment != "" || strings.HasSuffix(u, "/") {
		l.fail("%s: server URL %q: want http(s)://host[/path] without a trailing slash", where, u)
	}
}

var clientNameRe = regexp.MustCompile(`^[A-Z][A-Za-z0-9]*Client$`)

// opServer returns the server an operation goes to: the first of the
// operation's own servers, else its path's, else the top-level one. A list
// must hold exactly one server; a server other than the top-level one must
// name its Go client with x-jaccount-client, the same wherever its URL
// appears.
func (l *loader) opServer(where string, item *openapi3.PathItem, o *openapi3.Operation) *Server {
	if len(l.api.Servers) == 0 {
		return nil // the top-level server is missing: already reported
	}
	list := item.Servers
	if o.Servers != nil {
		list = *o.Servers
	}
	if len(list) == 0 {
		return l.api.Servers[0]
	}
	if len(list) != 1 {
		l.fail("%s: declares %d servers; an operation goes to exactly one", where, len(list))
		return nil
	}
	s := list[0]
	for _, known := range l.api.Servers {
		if known.URL == s.URL {
			var name string
			if l.extension(where+": server", s.Extensions, extClient, &name) && name != known.Client {
				l.fail("%s: server %s: %s is %q, elsewhere %q", where, s.URL, extClient, name, known.Client)
			}
			return known
		}
	}
	srv := &Server{URL: s.URL, Doc: strings.TrimSpace(s.Description)}
	l.checkServerURL(where, s.URL)
	switch {
	case !l.extension(where+": server", s.Extensions, extClient, &srv.Client):
		l.fail("%s: server %s is not the top-level one, so it needs %s (the Go client type, e.g. DataClient)", where, s.URL, extClient)
		return nil
	case !clientNameRe.MatchString(srv.Client) || srv.Client == "Client":
		l.fail("%s: server %s: %s %q must be an exported Go name ending in Client, other than Client", where, s.URL, extClient, srv.Client)
		return nil
	}
	for _, known := range l.api.Servers {
		if known.Client == srv.Client {
			l.fail("%s: servers %s and %s are both called %s", where, known.URL, s.URL, srv.Client)
			return nil
		}
	}
	l.api.Servers = append(l.api.Servers, srv)
	return srv
}

// assignServers puts every service on the server of its operations; a tag
// without operations stays on the default server.
func (l *loader) assignServers() {
	for _, svc := range l.api.Services {
		for _, op := range svc.Ops {
			switch {
			case op.Server == nil:
			case svc.Server == nil:
				svc.Server = op.Server
			case svc.Server != op.Server:
				l.fail("tag %s: its operations go to two servers (%s and %s); a tag is one service of one client",
					svc.Tag, svc.Server.URL, op.Server.URL)
			}
		}
		if svc.Server == nil && len(l.api.Servers) > 0 {
			svc.Server = l.api.Servers[0]
		}
		if svc.Server != nil {
			svc.Server.Services = append(svc.Server.Services, svc)
		}
	}
}

// scopeDocs returns the scopes every oauth2 flow declares, with their
// descriptions, and the grant types of each security scheme.
func (l *loader) scopeDocs() (docs map[string]string, flows []map[string]string) {
	docs = map[string]string{}
	for _, name := range sortedKeys(l.doc.Components.SecuritySchemes) {
		s := l.doc.Components.SecuritySchemes[name].Value
		if s == nil || s.Flows == nil {
			continue
		}
		for _, f := range []*openapi3.OAuthFlow{s.Flows.AuthorizationCode, s.Flows.ClientCredentials, s.Flows.Password, s.Flows.Implicit} {
			if f == nil {
				continue
			}
			flows = append(flows, f.Scopes)
			for sc, d := range f.Scopes {
				if _, ok := docs[sc]; !ok {
					docs[sc] = d
				}
			}
		}
	}
	return docs, flows
}

var grantNames = []string{"authorization_code", "client_credentials", "password", "implicit"}

func (l *loader) scopes() {
	var reg []struct {
		Name   string   `json:"name"`
		Bit    *int     `json:"bit"`
		Grants []string `json:"grants"`
	}
	if !l.extension("spec", l.doc.Extensions, extScopes, &reg) {
		l.fail("spec: %s (the scope registry) is missing", extScopes)
		return
	}
	docs, flows := l.scopeDocs()
	l.scopeSet = map[string]*Scope{}
	bits := map[int]string{}
	for _, r := range reg {
		sc := &Scope{Name: r.Name, GoName: "Scope" + ConstName(r.Name), Doc: docs[r.Name], Bit: -1, Grants: r.Grants}
		if sc.Grants == nil {
			sc.Grants = []string{}
		}
		switch {
		case r.Name == "":
			l.fail("%s: an entry has no name", extScopes)
			continue
		case l.scopeSet[r.Name] != nil:
			l.fail("%s: scope %q listed twice", extScopes, r.Name)
			continue
		}
		if r.Bit != nil {
			if *r.Bit < 0 || *r.Bit > 62 {
				l.fail("%s: scope %q: bit %d out of range 0-62", extScopes, r.Name, *r.Bit)
			} else if prev, dup := bits[*r.Bit]; dup {
				l.fail("%s: scopes %q and %q share bit %d", extScopes, prev, r.Name, *r.Bit)
			}
			sc.Bit = *r.Bit
			bits[*r.Bit] = r.Name
		}
		for _, g := range r.Grants {
			if !slices.Contains(grantNames, g) {
				l.fail("%s: scope %q: unknown grant %q (want one of %v)", extScopes, r.Name, g, grantNames)
			}
		}
		l.scopeSet[r.Name] = sc
		l.api.Scopes = append(l.api.Scopes, sc)
	}
	for _, f := range flows {
		for _, name := range sortedKeys(f) {
			if l.scopeSet[name] == nil {
				l.fail("security flows declare scope %q, which %s does not list", name, extScopes)
			}
		}
		for _, sc := range l.api.Scopes {
			if _, ok := f[sc.Name]; !ok {
				l.fail("scope %q of %s is missing from a security flow's scopes", sc.Name, extScopes)
			}
		}
	}
}

func (l *loader) errnos() {
	var cat []struct {
		Errno       *int   `json:"errno"`
		Name        string `json:"name"`
		Description string `json:"description"`
	}
	if !l.extension("spec", l.doc.Extensions, extErrnos, &cat) {
		l.fail("spec: %s (the errno catalogue) is missing", extErrnos)
		return
	}
	seen := map[int]bool{}
	names := map[string]bool{}
	for _, c := range cat {
		if c.Errno == nil {
			l.fail("%s: an entry has no errno", extErrnos)
			continue
		}
		e := &Errno{Code: *c.Errno, Name: c.Name, Doc: c.Description}
		switch {
		case c.Name != "":
			e.GoName = "Errno" + ConstName(c.Name)
		case e.Code < 0:
			e.GoName = "ErrnoMinus" + strconv.Itoa(-e.Code)
		default:
			e.GoName = "Errno" + strconv.Itoa(e.Code)
		}
		if seen[e.Code] || names[e.GoName] {
			l.fail("%s: errno %d (%s) listed twice", extErrnos, e.Code, e.GoName)
			continue
		}
		if e.Code == 0 {
			l.fail("%s: errno 0 is success, not an error", extErrnos)
		}
		seen[e.Code], names[e.GoName] = true, true
		l.api.Errnos = append(l.api.Errnos, e)
	}
}

func (l *loader) services() {
	names := map[string]bool{}
	for _, t := range l.doc.Tags {
		s := &Service{Tag: t.Name, Name: GoName(t.Name), Doc: strings.TrimSpace(t.Description)}
		if s.Name == "" || names[s.Name] {
			l.fail("tag %q: Go name %q is empty or taken", t.Name, s.Name)
			continue
		}
		names[s.Name] = true
		l.api.Services = append(l.api.Services, s)
	}
}

func (l *loader) service(tag string) *Service {
	for _, s := range l.api.Services {
		if s.Tag == tag {
			return s
		}
	}
	return nil
}

func (l *loader) operations() {
	ids := map[string]string{}
	for _, path := range l.doc.Paths.InMatchingOrder() {
		item := l.doc.Paths.Value(path)
		ops := item.Operations()
		for _, method := range sortedKeys(ops) {
			where := method + " " + path
			op := l.operation(where, method, path, item, ops[method])
			if op == nil {
				continue
			}
			if prev, dup := ids[op.ID]; dup {
				l.fail("%s: operationId %q already used by %s", where, op.ID, prev)
				continue
			}
			ids[op.ID] = where
			op.Service.Ops = append(op.Service.Ops, op)
		}
	}
	for _, s := range l.api.Services {
		slices.SortFunc(s.Ops, func(a, b *Op) int { return strings.Compare(a.Name, b.Name) })
		taken := map[string]string{}
		claim := func(name, by string) {
			if prev, dup := taken[name]; dup {
				l.fail("service %s: Go name %s is used by both %s and %s; rename an operationId", s.Name, name, prev, by)
			}
			taken[name] = by
		}
		for _, op := range s.Ops {
			claim(op.Name, op.ID)
			if op.Paging != nil {
				claim(op.Name+"Iter", op.ID+" (iterator)")
			}
			for _, a := range []string{op.Aliases.Method, op.Aliases.Iterator} {
				if a != "" {
					claim(a, op.ID+" (alias)")
				}
			}
		}
		l.api.Ops = append(l.api.Ops, s.Ops...)
	}
}

var (
	pathParamRe = regexp.MustCompile(`\{([^{}]+)\}`)
	methods     = []string{"GET", "POST", "PUT", "DELETE", "PATCH"}
)

func (l *loader) operation(where, method, path string, item *openapi3.PathItem, o *openapi3.Operation) *Op {
	if !slices.Contains(methods, method) {
		l.fail("%s: method %s is not supported", where, method)
		return nil
	}
	op := &Op{ID: o.OperationID, Method: method, Path: path, Summary: strings.TrimSpace(o.Summary),
		Description: strings.TrimSpace(o.Description), Deprecated: o.Deprecated}
	if op.ID == "" {
		l.fail("%s: no operationId", where)
		return nil
	}
	where += " (" + op.ID + ")"
	op.Server = l.opServer(where, item, o)
	if len(o.Tags) != 1 {
		l.fail("%s: needs exactly one tag (its service), has %v", where, o.Tags)
		return nil
	}
	if op.Service = l.service(o.Tags[0]); op.Service == nil {
		l.fail("%s: tag %q is not declared in the spec's tags", where, o.Tags[0])
		return nil
	}
	var err error
	if op.Verb, op.Words, op.Name, err = MethodName(op.ID, op.Service.Tag); err != nil {
		l.fail("%s: %v", where, err)
		return nil
	}
	if op.Summary == "" {
		l.fail("%s: no summary", where)
	}
	if o.ExternalDocs == nil || o.ExternalDocs.URL == "" {
		l.fail("%s: no externalDocs url (the operation's documentation page)", where)
	} else {
		op.DocURL, op.DocTitle = o.ExternalDocs.URL, o.ExternalDocs.Description
	}
	l.security(where, op, o)
	l.onlyApp(where, op, o)
	l.params(where, op, item, o)
	l.extension(where, o.Extensions, extOpenQ, &op.OpenQuery)
	l.idempotent(where, op, o)
	l.body(where, op, o)
	l.result(where, op, o)
	l.survey(where, op, o)
	l.evidence(where, o.Extensions)
	l.paging(where, op, o)
	if l.extension(where, o.Extensions, extAliases, &op.Aliases) {
		if op.Aliases.Iterator != "" && op.Paging == nil {
			l.fail("%s: %s names an iterator, but the operation does not page", where, extAliases)
		}
		if op.Aliases.Params != "" && !op.HasParamsStruct() {
			l.fail("%s: %s names a params type, but the operation has no optional parameters", where, extAliases)
		}
	}
	return op
}

// idempotent reads x-jaccount-idempotent: whether sending the operation
// twice has the effect of sending it once, so that the client may repeat it
// after it may have reached the server. Without the extension GET, HEAD and
// DELETE are idempotent and PUT, POST and PATCH are not: jAccount's PUTs
// create and send, so RFC 9110's idempotent PUT does not hold.
func (l *loader) idempotent(where string, op *Op, o *openapi3.Operation) {
	op.Idempotent = op.Method == "GET" || op.Method == "HEAD" || op.Method == "DELETE"
	v, ok := o.Extensions[extIdem]
	if !ok {
		return
	}
	b, isBool := v.(bool)
	if !isBool {
		l.fail("%s: %s must be true or false, not %v (%T)", where, extIdem, v, v)
		return
	}
	op.Idempotent, op.IdempotentMarked = b, true
}

// survey reads x-jaccount-survey: true marks an operation `jaccount
// survey` may call to learn the shape of its reply; a text says why a GET
// is never called. Without it a GET is not called either: an operation is
// surveyed only once someone has decided it is safe. A write, and a file
// or image download (nothing but a content type to learn), never are.
func (l *loader) survey(where string, op *Op, o *openapi3.Operation) {
	v, ok := o.Extensions[extSurvey]
	if op.Method != "GET" {
		if ok {
			l.fail("%s: %s on a %s: only GET operations, without side effects, are surveyed", where, extSurvey, op.Method)
		}
		return
	}
	switch v := v.(type) {
	case nil:
	case bool:
		switch {
		case !v:
			l.fail("%s: %s: false; say why the operation is never surveyed instead", where, extSurvey)
		case op.Entities == EntityRaw:
			l.fail("%s: %s: true on an operation that answers a file or an image: a binary download is never surveyed; say so", where, extSurvey)
		default:
			op.Survey = true
		}
	case string:
		if op.NotSurveyed = strings.TrimSpace(v); op.NotSurveyed == "" {
			l.fail("%s: %s is empty; say true or why it is never surveyed", where, extSurvey)
		}
	default:
		l.fail("%s: %s must be true or a text, not %v (%T)", where, extSurvey, v, v)
	}
}

func (l *loader) security(where string, op *Op, o *openapi3.Operation) {
	reqs := l.doc.Security
	if o.Security != nil {
		reqs = *o.Security
	}
	if len(reqs) == 0 {
		l.fail("%s: no security requirement", where)
	}
	for _, req := range reqs {
		if len(req) == 0 {
			// OpenAPI's empty requirement: the operation may be called
			// without a token.
			if op.Anonymous {
				l.fail("%s: the empty security requirement {} is listed twice", where)
			}
			op.Anonymous = true
			continue
		}
		if len(req) != 1 {
			l.fail("%s: a security alternative must name exactly one scheme, has %d", where, len(req))
			continue
		}
		for scheme, scopes := range req {
			ref := l.doc.Components.SecuritySchemes[scheme]
			if ref == nil || ref.Value == nil {
				l.fail("%s: unknown security scheme %q", where, scheme)
				continue
			}
			r := Requirement{Scheme: scheme, Scopes: slices.Clone(scopes)}
			if f := ref.Value.Flows; f != nil {
				for i, flow := range []*openapi3.OAuthFlow{f.AuthorizationCode, f.ClientCredentials, f.Password, f.Implicit} {
					if flow != nil {
						r.Grants = append(r.Grants, grantNames[i])
					}
				}
			}
			for _, sc := range scopes {
				if l.scopeSet[sc] == nil {
					l.fail("%s: scope %q is not in %s", where, sc, extScopes)
				}
			}
			op.Security = append(op.Security, r)
		}
	}
}

// onlyApp reads x-jaccount-only-app: the name of the one application
// jAccount admits to the operation. The description must say so (it is
// what the method's doc comment and the CLI's help show), and an operation
// nobody but that application can call must still take a token.
func (l *loader) onlyApp(where string, op *Op, o *openapi3.Operation) {
	if !l.extension(where, o.Extensions, extOnlyApp, &op.OnlyApp) {
		return
	}
	switch {
	case strings.TrimSpace(op.OnlyApp) == "":
		l.fail("%s: %s is empty; name the application, or leave the extension out", where, extOnlyApp)
	case !strings.Contains(op.Description, op.OnlyApp):
		l.fail("%s: %s is %q, which the description does not name: say there who may call it", where, extOnlyApp, op.OnlyApp)
	case op.Anonymous:
		l.fail("%s: %s and the empty security requirement {}: an application is known by its token", where, extOnlyApp)
	}
}

func (l *loader) params(where string, op *Op, item *openapi3.PathItem, o *openapi3.Operation) {
	byName := map[string]*openapi3.Parameter{}
	var order []string
	for _, list := range []openapi3.Parameters{item.Parameters, o.Parameters} {
		for _, ref := range list {
			p := ref.Value
			key := p.In + ":" + p.Name
			if _, seen := byName[key]; !seen {
				order = append(order, key)
			}
			byName[key] = p // the operation's own wins
		}
	}
	var inPath []string
	for _, m := range pathParamRe.FindAllStringSubmatch(op.Path, -1) {
		inPath = append(inPath, m[1])
	}
	goNames := map[string]bool{}
	add := func(p *openapi3.Parameter) {
		pw := where + ": parameter " + p.Name
		prm := &Param{Name: p.Name, In: p.In, Required: p.Required, Doc: strings.TrimSpace(p.Description)}
		prm.GoName = GoName(p.Name)
		var goName string
		if l.extension(pw, p.Extensions, extGoName, &goName) {
			prm.GoName = goName
		}
		prm.ArgName = ArgName(prm.GoName)
		l.extension(pw, p.Extensions, extCLIFlag, &prm.CLIFlag)
		if goNames[prm.GoName] {
			l.fail("%s: Go name %s is taken by another parameter", pw, prm.GoName)
		}
		goNames[prm.GoName] = true
		l.paramType(pw, prm, p)
		op.Params = append(op.Params, prm)
	}
	for _, name := range inPath {
		p := byName["path:"+name]
		if p == nil {
			l.fail("%s: path parameter {%s} is not declared", where, name)
			continue
		}
		add(p)
	}
	for _, key := range order {
		p := byName[key]
		switch p.In {
		case "path":
			if !slices.Contains(inPath, p.Name) {
				l.fail("%s: path parameter %s is not in the path", where, p.Name)
			}
		case "query":
			add(p)
		default:
			l.fail("%s: parameter %s: %s parameters are not supported", where, p.Name, p.In)
		}
	}
}

// scalarKind is the Go type of a string, integer, number or boolean
// schema; ok is false for any other.
func scalarKind(s *openapi3.Schema) (kind ParamKind, ok bool) {
	switch {
	case s.Type.Is("string"):
		return KindString, true
	case s.Type.Is("integer") && s.Format == "int64":
		return KindInt64, true
	case s.Type.Is("integer"):
		return KindInt, true
	case s.Type.Is("number"):
		return KindFloat, true
	case s.Type.Is("boolean"):
		return KindBool, true
	}
	return "", false
}

func (l *loader) paramType(where string, prm *Param, p *openapi3.Parameter) {
	if p.Schema == nil || p.Schema.Value == nil {
		l.fail("%s: no schema", where)
		return
	}
	s := p.Schema.Value
	prm.Pattern, prm.MinLength = s.Pattern, s.MinLength
	for _, e := range s.Enum {
		prm.Enum = append(prm.Enum, fmt.Sprint(e))
	}
	var unit TimeUnit
	hasTime := l.extension(where, p.Extensions, extTime, &unit)
	scalar, isScalar := scalarKind(s)
	switch {
	case isScalar:
		prm.Kind = scalar
	case s.Type.Is("array") && s.Items != nil && s.Items.Value != nil && s.Items.Value.Type.Is("string"):
		prm.Kind = KindStrings
	case s.Type.Is("array") && s.Items != nil && s.Items.Value != nil && s.Items.Value.Type.Is("integer"):
		prm.Kind = KindInts
	default:
		l.fail("%s: unsupported schema type %v", where, s.Type)
	}
	if !hasTime {
		return
	}
	switch {
	case (unit == TimeEpochMillis || unit == TimeEpochSeconds) && (prm.Kind == KindInt || prm.Kind == KindInt64):
	case (unit == TimeDate || unit == TimeCompactDate || unit == TimeDateTime) && prm.Kind == KindString:
	default:
		l.fail("%s: %s %q does not fit a %s parameter (epoch-millis and epoch-seconds are integers; date, compact-date and date-time strings)", where, extTime, unit, prm.Kind)
		return
	}
	prm.Kind, prm.Time = KindTime, unit
}

func (l *loader) body(where string, op *Op, o *openapi3.Operation) {
	if o.RequestBody == nil || o.RequestBody.Value == nil {
		return
	}
	if op.Method == "GET" {
		l.fail("%s: a GET operation has a request body", where)
		return
	}
	rb := o.RequestBody.Value
	if len(rb.Content) != 1 {
		l.fail("%s: the request body must have exactly one media type", where)
		return
	}
	for mt, media := range rb.Content {
		b := &Body{MediaType: mt, Required: rb.Required, Doc: strings.TrimSpace(rb.Description)}
		switch mt {
		case "application/json":
			b.Kind = BodyJSON
		case "application/x-www-form-urlencoded":
			b.Kind = BodyForm
		case "multipart/form-data":
			b.Kind = BodyMultipart
			if l.multipart(where, op, b, media) {
				op.Body = b
			}
			return
		default:
			b.Kind = BodyRaw
		}
		if b.Kind != BodyRaw {
			if media.Schema == nil || refName(media.Schema.Ref) == "" {
				l.fail("%s: a %s request body must $ref a component schema", where, mt)
				return
			}
			b.Model = refName(media.Schema.Ref)
		}
		op.Body = b
	}
}

// multipart reads a multipart/form-data body: an inline object schema
// whose properties are the parts, each a binary string (a file part, with
// the encoding's contentType, application/octet-stream by default) or a
// scalar (a field). An inline schema keeps the form out of package gen,
// where oapi-codegen would model a file with its runtime's type.
func (l *loader) multipart(where string, op *Op, b *Body, media *openapi3.MediaType) bool {
	if media.Schema == nil || media.Schema.Value == nil {
		l.fail("%s: the multipart/form-data body has no schema", where)
		return false
	}
	if media.Schema.Ref != "" {
		l.fail("%s: a multipart/form-data body's schema must be inline (not %s): apigen declares its type in api", where, media.Schema.Ref)
		return false
	}
	s := media.Schema.Value
	if !s.Type.Is("object") || len(s.Properties) == 0 {
		l.fail("%s: a multipart/form-data body's schema must be an object with properties (its parts)", where)
		return false
	}
	ok := true
	goNames := map[string]string{}
	claim := func(goName, part string) {
		if prev, dup := goNames[goName]; dup {
			l.fail("%s: parts %s and %s both need the Go field %s", where, prev, part, goName)
			ok = false
		}
		goNames[goName] = part
	}
	for _, name := range sortedKeys(s.Properties) {
		ref := s.Properties[name]
		pw := where + ": part " + name
		if ref == nil || ref.Value == nil {
			l.fail("%s: no schema", pw)
			ok = false
			continue
		}
		ps := ref.Value
		p := &Part{Name: name, GoName: GoName(name), Doc: strings.TrimSpace(ps.Description), Required: slices.Contains(s.Required, name)}
		claim(p.GoName, name)
		switch {
		case ps.Type.Is("string") && ps.Format == "binary":
			p.File, p.ContentType = true, "application/octet-stream"
			if enc := media.Encoding[name]; enc != nil && enc.ContentType != "" {
				p.ContentType = enc.ContentType
			}
			if strings.ContainsAny(p.ContentType, ",*") {
				l.fail("%s: encoding contentType %q: give one content type, the default the part is sent with", pw, p.ContentType)
				ok = false
			}
			claim(p.NameField(), name+" (its file name)")
			claim(p.TypeField(), name+" (its content type)")
		default:
			kind, isScalar := scalarKind(ps)
			if isScalar {
				p.Kind = kind
				break
			}
			l.fail("%s: a part must be a binary string (a file) or a string, integer, number or boolean field, not %v", pw, ps.Type)
			ok = false
			continue
		}
		b.Parts = append(b.Parts, p)
	}
	for name := range media.Encoding {
		if s.Properties[name] == nil {
			l.fail("%s: encoding names %s, which is not a part", where, name)
			ok = false
		}
	}
	return ok
}

func refName(ref string) string {
	name, ok := strings.CutPrefix(ref, "#/components/schemas/")
	if !ok {
		return ""
	}
	return name
}

// result reads the 200 reply: its entity type, per x-jaccount-entities, and
// its example.
func (l *loader) result(where string, op *Op, o *openapi3.Operation) {
	var kind string
	if !l.extension(where, o.Extensions, extEntities, &kind) {
		l.fail("%s: %s is missing: say single, list, none or raw (it is never guessed)", where, extEntities)
		return
	}
	op.Entities = EntityKind(kind)
	if !slices.Contains([]EntityKind{EntitySingle, EntityList, EntityNone, EntityRaw}, op.Entities) {
		l.fail("%s: %s is %q, want single, list, none or raw", where, extEntities, kind)
		return
	}
	ok := o.Responses.Status(200)
	if ok == nil || ok.Value == nil || len(ok.Value.Content) == 0 {
		l.fail("%s: no 200 response with content", where)
		return
	}
	if op.Entities == EntityRaw {
		l.rawResult(where, op, ok.Value)
		return
	}
	media := ok.Value.Content.Get("application/json")
	if media == nil || len(ok.Value.Content) != 1 {
		l.fail("%s: the 200 response must be application/json only (or say %s: raw)", where, extEntities)
		return
	}
	op.MediaType = "application/json"
	if op.Entities != EntityNone {
		op.Entity = entityOf(media.Schema)
		if op.Entity == "" {
			l.fail("%s: the 200 schema has no entities array whose items $ref a component schema", where)
		}
	}
	ex, found := successExample(media)
	if !found {
		l.fail("%s: the 200 reply has no example that is a successful envelope (an object with errno 0); the fake serves it", where)
		return
	}
	b, err := json.Marshal(ex)
	if err != nil {
		l.fail("%s: example: %v", where, err)
		return
	}
	var env struct {
		Entities []json.RawMessage `json:"entities"`
	}
	_ = json.Unmarshal(b, &env)
	if op.Entities != EntityNone && env.Entities == nil {
		l.fail("%s: the example has no entities array", where)
	}
	if op.Entities == EntitySingle && len(env.Entities) == 0 {
		l.fail("%s: the example of a single-entity operation has no entity", where)
	}
	op.Example = b
}

// successExample returns the example the fake serves: the media type's
// example, else the first of its named examples (by name) that is a
// successful envelope. Other named examples may show failures.
func successExample(media *openapi3.MediaType) (any, bool) {
	success := func(v any) bool {
		b, err := json.Marshal(v)
		var env struct {
			Errno *int `json:"errno"`
		}
		return err == nil && json.Unmarshal(b, &env) == nil && env.Errno != nil && *env.Errno == 0
	}
	if media.Example != nil {
		return media.Example, success(media.Example)
	}
	for _, name := range sortedKeys(media.Examples) {
		if ex := media.Examples[name]; ex != nil && ex.Value != nil && success(ex.Value.Value) {
			return ex.Value.Value, true
		}
	}
	return nil, false
}

// rawResult reads the 200 reply of an operation that answers a file or an
// image instead of the envelope: one media type other than JSON, a binary
// string schema, and an example body (a string) for the fake.
func (l *loader) rawResult(where string, op *Op, resp *openapi3.Response) {
	if len(resp.Content) != 1 || resp.Content.Get("application/json") != nil {
		l.fail("%s: a raw reply must have exactly one media type, not application/json", where)
		return
	}
	for mt, media := range resp.Content {
		op.MediaType = mt
		if media.Schema == nil || media.Schema.Value == nil || !media.Schema.Value.Type.Is("string") || media.Schema.Value.Format != "binary" {
			l.fail("%s: the raw reply's schema must be {type: string, format: binary}", where)
		}
		ex, ok := media.Example.(string)
		if !ok {
			l.fail("%s: the raw reply needs an example body (a string; the fake serves it)", where)
			return
		}
		op.Example, _ = json.Marshal(ex)
	}
}

// entityOf finds the entities array of an envelope schema (walking allOf)
// and returns the component schema its items refer to.
func entityOf(ref *openapi3.SchemaRef) string {
	if ref == nil || ref.Value == nil {
		return ""
	}
	if e := ref.Value.Properties["entities"]; e != nil && e.Value != nil && e.Value.Type.Is("array") && e.Value.Items != nil {
		return refName(e.Value.Items.Ref)
	}
	for _, sub := range ref.Value.AllOf {
		if name := entityOf(sub); name != "" {
			return name
		}
	}
	return ""
}

func (l *loader) paging(where string, op *Op, o *openapi3.Operation) {
	var ext struct {
		Style       PagingStyle `json:"style"`
		Token       string      `json:"token"`
		Limit       string      `json:"limit"`
		Start       string      `json:"start"`
		First       string      `json:"first"`
		Offset      string      `json:"offset"`
		MaxPageSize int         `json:"maxPageSize"`
	}
	if !l.extension(where, o.Extensions, extPaging, &ext) {
		return
	}
	pg := &Paging{Style: ext.Style, Token: ext.Token, Limit: ext.Limit, Start: ext.Start, First: ext.First,
		Offset: ext.Offset, MaxPageSize: ext.MaxPageSize}
	def := func(field *string, name string) {
		if *field == "" {
			*field = name
		}
	}
	var ints []string
	switch pg.Style {
	case PagingToken:
		def(&pg.Token, "pageToken")
		ints = []string{pg.Limit}
	case PagingStartLimit:
		def(&pg.Start, "start")
		def(&pg.Limit, "limit")
		ints = []string{pg.Start, pg.Limit}
	case PagingFirstOffset:
		def(&pg.First, "first")
		def(&pg.Offset, "offset")
		ints = []string{pg.First, pg.Offset}
	default:
		l.fail("%s: %s style %q, want token, start-limit or first-offset", where, extPaging, pg.Style)
		return
	}
	if pg.Style != PagingStartLimit && pg.Limit == "" && op.param("limit") != nil {
		pg.Limit = "limit"
	}
	if pg.Style == PagingToken {
		if p := op.param(pg.Token); p == nil || p.In != "query" || p.Required || p.Kind != KindString {
			l.fail("%s: paging token parameter %q must be an optional string query parameter", where, pg.Token)
		}
	}
	for _, name := range ints {
		if name == "" {
			continue
		}
		if p := op.param(name); p == nil || p.In != "query" || p.Required || p.Kind != KindInt {
			l.fail("%s: paging parameter %q must be an optional integer (int32 or no format) query parameter", where, name)
		}
	}
	if pg.MaxPageSize < 0 {
		l.fail("%s: %s maxPageSize must not be negative", where, extPaging)
	}
	if op.Entities != EntityList {
		l.fail("%s: a paged operation must return a list (%s: list)", where, extEntities)
	}
	op.Paging = pg
}

// param returns the parameter with wire name name, or nil.
func (op *Op) param(name string) *Param {
	for _, p := range op.Params {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// Required returns the required parameters, the method's arguments.
func (op *Op) Required() []*Param {
	var out []*Param
	for _, p := range op.Params {
		if p.Required {
			out = append(out, p)
		}
	}
	return out
}

// Optional returns the optional parameters, the params struct's fields.
func (op *Op) Optional() []*Param {
	var out []*Param
	for _, p := range op.Params {
		if !p.Required {
			out = append(out, p)
		}
	}
	return out
}

// BodyType is the Go type of the request body argument: the model of a
// JSON or form body, []byte for a raw one, the declared struct
// (<Service><Method>Body) for a multipart one.
func (op *Op) BodyType() string {
	switch {
	case op.Body == nil:
		return ""
	case op.Body.Kind == BodyMultipart:
		return op.Service.Name + op.Name + "Body"
	case op.Body.Kind == BodyRaw:
		return "[]byte"
	}
	return op.Body.Model
}

// HasParamsStruct reports whether the method takes a params struct.
func (op *Op) HasParamsStruct() bool { return len(op.Optional()) > 0 || op.OpenQuery }

// ParamsType is the name of the params struct: service, method, "Params".
func (op *Op) ParamsType() string { return op.Service.Name + op.Name + "Params" }

// PathConst is the name of the path constant: "Path", service, method.
func (op *Op) PathConst() string { return "Path" + op.Service.Name + op.Name }

// Scopes lists the distinct scopes the security alternatives name.
func (op *Op) Scopes() []string {
	var out []string
	for _, r := range op.Security {
		for _, s := range r.Scopes {
			if !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	return out
}

func (l *loader) models() {
	schemas := l.doc.Components.Schemas
	for _, name := range sortedKeys(schemas) {
		ref := schemas[name]
		if ref.Value == nil || isEnvelope(ref) {
			continue
		}
		s := ref.Value
		doc, _, _ := strings.Cut(strings.TrimSpace(s.Description), "\n\n")
		l.api.Models = append(l.api.Models, &Model{Name: name, Doc: strings.Join(strings.Fields(doc), " "),
			Recursive: reaches(schemas, s, name, map[string]bool{})})
		where := "schema " + name
		if _, ok := s.Extensions[extOpenEnum]; ok {
			l.fail("%s: %s is replaced by %s (and no enum: the set is open)", where, extOpenEnum, extKnown)
		}
		l.openSet(where, name, s)
		_, handWritten := s.Extensions["x-go-type"] // a wire type keeps its JSON itself
		if s.Type.Is("object") && len(s.Properties) > 0 && !hasAdditional(s) && !handWritten {
			l.fail("%s: an object model needs additionalProperties (true), so that members the spec does not know survive a decode and re-encode", where)
		}
		for _, prop := range sortedKeys(s.Properties) {
			l.timeField(where, name, prop, s.Properties[prop])
			if !handWritten {
				l.described(where, prop, s.Properties[prop])
			}
		}
		l.schemaEvidence(where, s, 0)
	}
}

// described checks that a model's property has a description: oapi-codegen
// makes it the field's doc comment, and package gen is documented field by
// field (TestPublicSurface). A property that is a $ref takes the description
// of the schema it refers to (OpenAPI 3.0 ignores one beside $ref).
func (l *loader) described(where, prop string, ref *openapi3.SchemaRef) {
	if ref == nil || ref.Value == nil || strings.TrimSpace(ref.Value.Description) != "" {
		return
	}
	if ref.Ref != "" {
		l.fail("%s.%s has no description: its field in package gen would have no doc comment; give %s one (a description beside $ref is ignored)", where, prop, refName(ref.Ref))
		return
	}
	l.fail("%s.%s has no description: its field in package gen would have no doc comment; say what the value is (and its unit or format), or that jAccount does not document it", where, prop)
}

var dayRe = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)

// evidence checks x-jaccount-evidence, which `apigen merge` writes on what
// it adds from a shape report: the report's day, the tool that made it,
// the operations whose replies showed it, and whether the report was of
// the fake.
func (l *loader) evidence(where string, exts map[string]any) {
	var ev struct {
		Report     string   `json:"report"`
		Tool       string   `json:"tool"`
		Operations []string `json:"operations"`
		Fake       bool     `json:"fake"`
	}
	if !l.extension(where, exts, extEvidence, &ev) {
		return
	}
	if !dayRe.MatchString(ev.Report) || strings.TrimSpace(ev.Tool) == "" || len(ev.Operations) == 0 {
		l.fail("%s: %s needs report (the day, yyyy-MM-dd), tool and operations", where, extEvidence)
	}
	for _, id := range ev.Operations {
		if !l.hasOperation(id) {
			l.fail("%s: %s names operation %q, which the spec does not have", where, extEvidence, id)
		}
	}
}

// hasOperation reports whether the spec has an operation of that id.
func (l *loader) hasOperation(id string) bool {
	for _, path := range l.doc.Paths.InMatchingOrder() {
		for _, o := range l.doc.Paths.Value(path).Operations() {
			if o.OperationID == id {
				return true
			}
		}
	}
	return false
}

// schemaEvidence checks x-jaccount-evidence on the members of s, at any
// depth.
func (l *loader) schemaEvidence(where string, s *openapi3.Schema, depth int) {
	if s == nil || depth > 16 {
		return
	}
	l.evidence(where, s.Extensions)
	for _, name := range sortedKeys(s.Properties) {
		if ref := s.Properties[name]; ref != nil && ref.Ref == "" {
			l.schemaEvidence(where+"."+name, ref.Value, depth+1)
		} else if ref != nil {
			l.evidence(where+"."+name, ref.Extensions)
		}
	}
	if s.Items != nil && s.Items.Ref == "" {
		l.schemaEvidence(where+"[]", s.Items.Value, depth+1)
	}
}

// reaches reports whether schema s refers, through its members, items,
// compositions or additional properties, at any depth, to the component
// schema target: a model that reaches itself is recursive.
func reaches(schemas openapi3.Schemas, s *openapi3.Schema, target string, seen map[string]bool) bool {
	if s == nil {
		return false
	}
	refs := slices.Concat(s.AllOf, s.OneOf, s.AnyOf, slices.Collect(maps.Values(s.Properties)))
	if s.Items != nil {
		refs = append(refs, s.Items)
	}
	if s.AdditionalProperties.Schema != nil {
		refs = append(refs, s.AdditionalProperties.Schema)
	}
	for _, r := range refs {
		if r == nil {
			continue
		}
		name := refName(r.Ref)
		switch {
		case name == target:
			return true
		case name == "":
			if reaches(schemas, r.Value, target, seen) {
				return true
			}
		case !seen[name]:
			seen[name] = true
			if c := schemas[name]; c != nil && reaches(schemas, c.Value, target, seen) {
				return true
			}
		}
	}
	return false
}

func hasAdditional(s *openapi3.Schema) bool {
	a := s.AdditionalProperties
	return (a.Has != nil && *a.Has) || a.Schema != nil
}

// openSet reads x-jaccount-known-values: a string schema without enum whose
// documented values are listed but not exhaustive.
func (l *loader) openSet(where, name string, s *openapi3.Schema) {
	var vals []struct {
		Value       string `json:"value"`
		Name        string `json:"name"`
		Description string `json:"description"`
	}
	if !l.extension(where, s.Extensions, extKnown, &vals) {
		return
	}
	if !s.Type.Is("string") || len(s.Enum) > 0 {
		l.fail("%s: %s needs a string schema without enum (an enum would close the set)", where, extKnown)
		return
	}
	set := &OpenSet{Name: name, Doc: strings.TrimSpace(s.Description)}
	seen := map[string]bool{}
	for _, v := range vals {
		kv := &KnownValue{Value: v.Value, GoName: v.Name, Doc: v.Description}
		if kv.GoName == "" {
			kv.GoName = name + GoName(v.Value)
		}
		if v.Value == "" || seen[v.Value] || seen[kv.GoName] || !token.IsIdentifier(kv.GoName) {
			l.fail("%s: %s: value %q (%s) is empty, repeated or badly named", where, extKnown, v.Value, kv.GoName)
			continue
		}
		seen[v.Value], seen[kv.GoName] = true, true
		set.Values = append(set.Values, kv)
	}
	l.api.OpenSets = append(l.api.OpenSets, set)
}

// timeField reads x-jaccount-time on a model's property.
func (l *loader) timeField(where, model, prop string, ref *openapi3.SchemaRef) {
	if ref == nil || ref.Value == nil {
		return
	}
	var unit TimeUnit
	if !l.extension(where+"."+prop, ref.Value.Extensions, extTime, &unit) {
		return
	}
	s := ref.Value
	integer := s.Type.Is("integer") && s.Format == "int64"
	switch {
	case (unit == TimeEpochMillis || unit == TimeEpochSeconds) && integer:
	case (unit == TimeDate || unit == TimeCompactDate || unit == TimeDateTime) && s.Type.Is("string"):
	default:
		l.fail("%s.%s: %s %q does not fit the property (epoch units need an int64 integer, date units a string)", where, prop, extTime, unit)
		return
	}
	field := FieldName(prop)
	var goName string
	if l.extension(where+"."+prop, s.Extensions, extGoName, &goName) {
		field = goName
	}
	l.api.TimeFields = append(l.api.TimeFields, &TimeField{Model: model, Field: field, JSON: prop, Unit: unit, Method: field + "At"})
}

// isEnvelope reports whether a schema is the reply envelope or built on it
// (it has an errno member, directly or through allOf): plumbing that the
// typed methods strip, so package api does not alias it.
func isEnvelope(ref *openapi3.SchemaRef) bool {
	if ref == nil || ref.Value == nil {
		return false
	}
	if _, ok := ref.Value.Properties["errno"]; ok {
		return true
	}
	return slices.ContainsFunc(ref.Value.AllOf, isEnvelope)
}

func sortedKeys[M ~map[string]V, V any](m M) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
