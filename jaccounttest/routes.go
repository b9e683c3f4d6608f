package jaccounttest

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// operation is one operation of the spec, as routes.gen.go lists them.
type operation struct {
	id, method, path string
	// server is "" for the open API, else the key of the server the
	// operation goes to ("data": the data resources), each served on a
	// listener of its own.
	server string
	// security are the alternatives that take a token, any one of which
	// suffices.
	security []requirement
	// anonymous reports that the spec lists the empty requirement ({}) too:
	// a request with no credential at all is served (evidence E3, the
	// school calendar).
	anonymous bool
	// onlyApp names the one application jAccount admits to the operation
	// (x-jaccount-only-app: 交我办), "" when any may call it.
	onlyApp string
	// required are the required query parameters.
	required []string
	// form are the parts of a multipart/form-data body, nil for an
	// operation without one.
	form []formPart
	// entities is "single", "list" or "none".
	entities string
	// paging is nil for an operation that does not page.
	paging *paging
	// media is the content type of the 200 reply: application/json, or a
	// file's or an image's for entities "raw".
	media string
	// example is the 200 reply the spec gives, which the default handler
	// serves: the envelope, or for entities "raw" the body as a JSON string.
	example string
}

// requirement is one security alternative of an operation: a token of one
// of the grant types of the scheme, holding every one of the scopes (none:
// any token of those grants).
type requirement struct {
	scheme string
	grants []string // authorization_code, client_credentials, password
	scopes []string
}

// formPart is one part of an operation's multipart/form-data body: kind is
// "file" for a file part, else the Go type of a field (string, int, int64,
// float64, bool).
type formPart struct {
	name, kind string
	required   bool
}

// paging is an operation's paging style and the names of its parameters.
type paging struct {
	style                              string // token, start-limit or first-offset
	token, limit, start, first, offset string
	maxPageSize                        int
}

// reply is what a handler answers: a status and a JSON body, or, when
// contentType is set, the bytes of body ([]byte) with that type.
type reply struct {
	status      int
	body        any
	contentType string
}

// handler answers one operation for the principal p; r's path values hold
// the path parameters.
type handler func(s *Server, r *http.Request, p *principal) reply

// route is an operation with its path template compiled.
type route struct {
	op     *operation
	re     *regexp.Regexp
	params []string
	// literal counts the template's literal bytes: of two templates that
	// match, the more literal one wins (/v1/me/card/transactions over
	// /v1/me/card/{x}).
	literal int
}

// templateParam matches a {name} of a path template.
var templateParam = regexp.MustCompile(`\{([^{}/]+)\}`)

// compileRoute turns /v1/lesson/{code} into ^/v1/lesson/([^/]+)$; several
// parameters in one segment ({dept}:{post}) are each matched up to the next
// literal byte.
func compileRoute(op *operation) route {
	rt := route{op: op}
	var b strings.Builder
	b.WriteString("^")
	rest := op.path
	for {
		loc := templateParam.FindStringSubmatchIndex(rest)
		if loc == nil {
			break
		}
		b.WriteString(regexp.QuoteMeta(rest[:loc[0]]))
		rt.literal += loc[0]
		rt.params = append(rt.params, rest[loc[2]:loc[3]])
		stop := "/"
		if loc[1] < len(rest) && rest[loc[1]] != '/' && rest[loc[1]] != '{' {
			stop += string(rest[loc[1]])
		}
		b.WriteString("([^" + regexp.QuoteMeta(stop) + "]+)")
		rest = rest[loc[1]:]
	}
	b.WriteString(regexp.QuoteMeta(rest) + "$")
	rt.literal += len(rest)
	rt.re = regexp.MustCompile(b.String())
	return rt
}

// routes are the operations compiled, by server, most literal first.
var routes = func() map[string][]route {
	rs := map[string][]route{}
	for i := range operations {
		op := &operations[i]
		rs[op.server] = append(rs[op.server], compileRoute(op))
	}
	for _, list := range rs {
		slices.SortStableFunc(list, func(a, b route) int { return b.literal - a.literal })
	}
	return rs
}()

// match finds the route of method and the escaped path on server, and its
// parameters unescaped; pathKnown is true when the path exists there, with
// this method or others.
func match(server, method, escapedPath string) (rt *route, values []string, pathKnown bool) {
	list := routes[server]
	for i := range list {
		m := list[i].re.FindStringSubmatch(escapedPath)
		if m == nil {
			continue
		}
		pathKnown = true
		if list[i].op.method != method {
			continue
		}
		values = make([]string, len(m)-1)
		for j, v := range m[1:] {
			u, err := url.PathUnescape(v)
			if err != nil {
				return nil, nil, true
			}
			values[j] = u
		}
		return &list[i], values, true
	}
	return nil, nil, pathKnown
}

// apiRouter routes an authenticated request to its operation on server,
// enforces the operation's scopes, and answers with the operation's stateful
// handler, or with the spec's example when it has none (or WithSpecExamples
// is set).
func (s *Server) apiRouter(server string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rt, values, known := match(server, r.Method, r.URL.EscapedPath())
		switch {
		case rt == nil && known:
			writeReply(w, fail(http.StatusMethodNotAllowed, errnoUnknown, r.Method+" is not allowed here"))
			return
		case rt == nil:
			writeReply(w, fail(http.StatusNotFound, errnoUnknown, "no such API"))
			return
		}
		for i, name := range rt.params {
			r.SetPathValue(name, values[i])
		}
		p := r.Context().Value(principalKey).(*principal)
		if p.grantType != "" { // a token's: an anonymous principal is served only where the spec allows it (apiHandler)
			if rep, refused := s.admit(rt.op, p); refused {
				s.logRejected(r, http.StatusForbidden, "application not admitted")
				writeReply(w, rep)
				return
			}
			if rep, refused := authorize(rt.op.security, p, server); refused {
				s.logRejected(r, http.StatusForbidden, "wrong grant or insufficient scope")
				writeReply(w, rep)
				return
			}
		}
		h := handlers[rt.op.id]
		if h == nil || s.cfg.examples {
			h = exampleHandler(rt.op)
		}
		writeReply(w, h(s, r, p))
	})
}

// writeReply writes a handler's reply.
func writeReply(w http.ResponseWriter, rep reply) {
	if rep.contentType == "" {
		writeJSON(w, rep.status, rep.body)
		return
	}
	data, _ := rep.body.([]byte)
	w.Header().Set("Content-Type", rep.contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(rep.status)
	_, _ = w.Write(data)
}

// authorize checks a token against an operation's security: its grant
// type must be one an alternative takes (jaccountAuthCode: the
// authorization code; jaccountClientCredentials: client credentials;
// jaccountPassword: the password grant), and it must hold that
// alternative's scopes. No alternatives at all means any valid token.
//
// Both failures are 403 with errno 10010 AUTHENTICATION_SCOPE_FAILED. For a
// missing scope that is the documented errno; for a token of the wrong
// grant (a user's token on a client-credentials API, or the other way
// round) the live errno is not documented, and 10010 is an assumption: the
// token is valid, so not 10002, and it lacks what the API requires.
func authorize(alts []requirement, p *principal, server string) (reply, bool) {
	if len(alts) == 0 {
		return reply{}, false
	}
	var ofGrant []requirement
	for _, alt := range alts {
		if slices.Contains(alt.grants, p.grantType) {
			ofGrant = append(ofGrant, alt)
		}
	}
	if len(ofGrant) == 0 {
		return grantFailure(alts), true
	}
	if allowed(ofGrant, p.scopes) {
		return reply{}, false
	}
	if server == dataServer {
		return dataScopeFailed, true
	}
	return scopeFailure(ofGrant), true
}

// onlyApps are the applications an operation may admit alone
// (x-jaccount-only-app), each with the test of whether a registered client
// is it. An operation that names another is refused to every client.
var onlyApps = map[string]func(Client) bool{
	"交我办": func(c Client) bool { return c.Jiaowoban },
}

// admit refuses a token of an application the operation does not admit: the
// 思源码 family but validation admits 交我办 only (x-jaccount-only-app;
// unicode.html, "仅对交我办开放"). The answer is 403 with errno 10003
// ENTITLE_FAILURE, the application is not entitled to the API: how the live
// service refuses is not documented, so this is an assumption, and it comes
// before the scope checks, as an application's entitlement to an API does
// not depend on the token's scopes.
func (s *Server) admit(op *operation, p *principal) (reply, bool) {
	if op.onlyApp == "" {
		return reply{}, false
	}
	s.mu.Lock()
	c, registered := s.clients[p.clientID]
	s.mu.Unlock()
	if is := onlyApps[op.onlyApp]; registered && is != nil && is(c) {
		return reply{}, false
	}
	return fail(http.StatusForbidden, errnoEntitleFailure, "only "+op.onlyApp+" may call this API"), true
}

// grantText names a grant type in a failure's detail.
var grantText = map[string]string{
	"authorization_code": "authorization-code", "client_credentials": "client-credentials", "password": "password",
}

// grantFailure is the answer to a token of a grant type the operation does
// not take: 403 with errno 10010 (assumed; see authorize), the grants that
// would do named after a blank line.
func grantFailure(alts []requirement) reply {
	var names []string
	for _, alt := range alts {
		for _, g := range alt.grants {
			if n := grantText[g]; !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	detail := names[0]
	if len(names) > 1 {
		detail = strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
	}
	return fail(http.StatusForbidden, errnoScopeFailed, "this API takes a token of the "+detail+" grant")
}

// scopeFailure is the answer to a token without the scope an operation
// needs: 403 with errno 10010, whose message is the symbol (as SJTU-Plus
// tests for it) followed, after a blank line, by the scopes that would do.
// The live service's detail, if any, is not recorded; this is the fake's.
func scopeFailure(alts []requirement) reply {
	var names []string
	for _, alt := range alts {
		if n := strings.Join(alt.scopes, " and "); !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	detail := "scope " + names[0]
	if len(names) > 1 {
		detail = "one of the scopes " + strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
	}
	return fail(http.StatusForbidden, errnoScopeFailed, detail+" is required")
}

// allowed reports whether granted satisfies one of the alternatives.
func allowed(alts []requirement, granted []string) bool {
	for _, alt := range alts {
		if !slices.ContainsFunc(alt.scopes, func(s string) bool { return !slices.Contains(granted, s) }) {
			return true
		}
	}
	return false
}

// knownScope reports whether the spec's registry has the scope.
func knownScope(sc string) bool { return slices.Contains(registeredScopes, sc) }

// page is a successful reply's envelope.
type page[T any] struct {
	Errno     int    `json:"errno"`
	Error     string `json:"error"`
	Total     int64  `json:"total"`
	NextToken string `json:"nextToken,omitempty"`
	Entities  []T    `json:"entities"`
}

// ok is a successful reply.
func ok[T any](entities []T, total int) reply {
	if entities == nil {
		entities = []T{}
	}
	return reply{status: http.StatusOK, body: &page[T]{Error: "success", Total: int64(total), Entities: entities}}
}

// fail is an error reply as the live API writes one: the status, a
// documented errno, and as the message the errno's symbol followed by the
// detail after a blank line ("BAD_PARAMETERS\n\nMORE_INFORMATION:account is
// required", the documentation's form); no entities.
func fail(status, errno int, detail string) reply {
	msg := errnoNames[errno]
	if detail != "" {
		msg += "\n\nMORE_INFORMATION:" + detail
	}
	return reply{status: status, body: struct {
		Errno int    `json:"errno"`
		Error string `json:"error"`
		Total int64  `json:"total"`
	}{errno, msg, 0}}
}

// exampleHandler serves the spec's example of op: as it is, or, for an
// operation that pages, the example's entities paged in the operation's
// style (pages of WithPageSize items unless the request asks for fewer).
// A missing required query parameter gets 400.
func exampleHandler(op *operation) handler {
	return func(s *Server, r *http.Request, _ *principal) reply {
		q := r.URL.Query()
		for _, name := range op.required {
			if q.Get(name) == "" {
				return fail(http.StatusBadRequest, errnoBadParameters, name+" is required")
			}
		}
		if op.form != nil {
			if _, bad := readForm(op, r); bad != nil {
				return *bad
			}
		}
		if op.entities == "raw" {
			return rawExample(op)
		}
		if op.paging == nil {
			return reply{status: http.StatusOK, body: json.RawMessage(op.example)}
		}
		var env map[string]json.RawMessage
		var items []json.RawMessage
		if json.Unmarshal([]byte(op.example), &env) != nil || json.Unmarshal(env["entities"], &items) != nil {
			return fail(http.StatusInternalServerError, errnoException, "the spec's example is not an envelope")
		}
		return pageOf(op.paging, q, items, s.cfg.pageSize)
	}
}

// pageOf answers one page of items as the paging style says.
func pageOf[T any](pg *paging, q url.Values, items []T, pageSize int) reply {
	from, end, bad := pageBounds(pg, q, len(items), pageSize)
	if bad != nil {
		return *bad
	}
	return pageReply(pg, items[from:end], end, len(items))
}

// pageBounds reads the page a request asks for out of n items, as the
// paging style says: the items [from, end), or the failure to answer.
func pageBounds(pg *paging, q url.Values, n, pageSize int) (from, end int, bad *reply) {
	intParam := func(name string, def int) (int, bool) {
		if name == "" || q.Get(name) == "" {
			return def, true
		}
		n, err := strconv.Atoi(q.Get(name))
		return n, err == nil && n >= 0
	}
	size, okSize := intParam(pg.limit, pageSize)
	okFrom := true
	switch pg.style {
	case "token":
		from, okFrom = decodePageToken(q.Get(pg.token))
	case "start-limit":
		from, okFrom = intParam(pg.start, 0)
	case "first-offset":
		size, okSize = intParam(pg.offset, pageSize)
		var first int
		first, okFrom = intParam(pg.first, 1)
		okFrom = okFrom && first >= 1
		from = first - 1
	}
	switch {
	case !okFrom || from > n:
		r := fail(http.StatusBadRequest, errnoBadParameters, "bad page position")
		return 0, 0, &r
	case !okSize || size == 0 || (pg.maxPageSize > 0 && size > pg.maxPageSize):
		r := fail(http.StatusBadRequest, errnoBadParameters, "bad page size")
		return 0, 0, &r
	}
	return from, from + min(size, n-from), nil
}

// pageReply is the reply holding items, the page that ends at end of n
// items: with the whole count in total and, paged by token, the token of
// the next page when one follows.
func pageReply[T any](pg *paging, items []T, end, n int) reply {
	rep := ok(items, n)
	if pg.style == "token" && end < n {
		rep.body.(*page[T]).NextToken = encodePageToken(end)
	}
	return rep
}

// Page tokens are opaque to clients; inside they are an offset.
func encodePageToken(offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte("offset:" + strconv.Itoa(offset)))
}

// decodePageToken accepts only a token encodePageToken makes: not one
// with a line break (which base64 decoders skip), other unused bits, or an
// offset spelled "+20" or "020", so that one page has one token.
func decodePageToken(tok string) (int, bool) {
	if tok == "" {
		return 0, true
	}
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimPrefix(string(b), "offset:"))
	if err != nil || n < 0 || encodePageToken(n) != tok {
		return 0, false
	}
	return n, true
}
