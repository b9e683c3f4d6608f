package shape

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"mime"
	"regexp"
	"slices"
	"strings"

	"github.com/oauth-jaccount/jaccount-go/internal/membername"
)

// FormatVersion is the version of the report's format: Report.Format.
const FormatVersion = 1

// A Report is what `jaccount survey` writes: how the service answered each
// operation it called, by shape alone. It holds no value of any reply:
// every string in it is a member name that passed the name test, the
// placeholder, a word of a closed vocabulary (types, formats, the spec's
// errno symbols, the reasons for skipping), or says what the tool and the
// spec are; every number is a status, an errno or the format's version.
type Report struct {
	// Format is FormatVersion.
	Format int `json:"format"`
	// Tool is the program and version that made the report ("jaccount
	// v1.4.0"); Date the day, yyyy-MM-dd, in China Standard Time.
	Tool string `json:"tool"`
	Date string `json:"date"`
	// Spec is the version of the spec the tool carries (info.version).
	Spec string `json:"spec"`
	// Fake reports a survey of the built-in fake, not of jAccount.
	Fake bool `json:"fake,omitempty"`
	// Login is the grant and scopes of the login the survey used.
	Login *Login `json:"login,omitempty"`
	// Probes are the two authentication probes.
	Probes *Probes `json:"probes,omitempty"`
	// Operations are the operations the spec marks safe to survey, in the
	// order called, each called once or skipped with the reason.
	Operations []Operation `json:"operations"`
}

// Login is the login a survey used.
type Login struct {
	// Grant is authorization_code or client_credentials.
	Grant string `json:"grant"`
	// Scopes are the scopes the token reports (its scope member), else those
	// asked for at login; ScopesAsked says which.
	Scopes      []string `json:"scopes,omitempty"`
	ScopesAsked bool     `json:"scopesAsked,omitempty"`
}

// Probes are what the survey learns of authentication.
type Probes struct {
	// InvalidToken is the answer to a deliberately invalid access token.
	InvalidToken *Reply `json:"invalidToken,omitempty"`
	// Refresh is what one renewal of the login's token brought.
	Refresh *Refresh `json:"refresh,omitempty"`
}

// Refresh is the token endpoint's answer to one renewal (a refresh, or a
// new client-credentials token), by its members' presence and types.
type Refresh struct {
	// Status is the HTTP status; Error the OAuth error code when the
	// renewal failed (RFC 6749's closed set, else "other").
	Status int    `json:"status,omitempty"`
	Error  string `json:"error,omitempty"`
	// Members are the reply's members and their JSON types.
	Members map[string][]string `json:"members,omitempty"`
	// RefreshTokenChanged says whether the reply's refresh token differs
	// from the one sent (nil: no refresh token was sent, or none came back).
	RefreshTokenChanged *bool `json:"refreshTokenChanged,omitempty"`
	// IDToken reports an id_token in the reply.
	IDToken bool `json:"idToken"`
	// Scope compares the reply's scope with the one the token had: absent,
	// same, different (as a set), or empty.
	Scope string `json:"scope"`
}

// Reply is one HTTP answer, by shape.
type Reply struct {
	// Status is the HTTP status.
	Status int `json:"status"`
	// ContentType is the media type (no parameters), "other" when it is
	// not a plain type/subtype.
	ContentType string `json:"contentType,omitempty"`
	// NotJSON reports a body that is not one JSON value (an HTML page).
	NotJSON bool `json:"notJSON,omitempty"`
	// Top is the type of a JSON body that is not an object.
	Top []string `json:"top,omitempty"`
	// Errno is the envelope's errno, when it is an integer.
	Errno *int64 `json:"errno,omitempty"`
	// Message is the envelope's error message when it is one the spec knows
	// (success, Succeed., Authentication Failed., an errno's symbol), else
	// "other"; Detail reports detail after a blank line, which is not kept.
	Message string `json:"message,omitempty"`
	Detail  bool   `json:"detail,omitempty"`
	// Envelope are the envelope's members and their JSON types.
	Envelope map[string][]string `json:"envelope,omitempty"`
}

// Operation is one operation of a survey.
type Operation struct {
	// ID, Method and Path (the template) name the operation as the spec
	// does.
	ID     string `json:"id"`
	Method string `json:"method"`
	Path   string `json:"path"`
	// Skipped says why the operation was not called.
	Skipped string `json:"skipped,omitempty"`
	// Failed says how a call that got no answer failed: timeout,
	// connection, refused (the client refused the reply: too large,
	// redirected) or token (no usable token).
	Failed string `json:"failed,omitempty"`
	// Reply is the answer.
	*Reply
	// Entity are the JSON types of the entities; absent when the reply had
	// no entity.
	Entity []string `json:"entity,omitempty"`
	// EntityKeys are the formats of the entities' keys collapsed to
	// Placeholder.
	EntityKeys []string `json:"entityKeys,omitempty"`
	// Members are the entities' member paths, merged over all of them.
	Members []Member `json:"members,omitempty"`
	// Truncated reports that the members stopped at MaxMembers.
	Truncated bool `json:"truncated,omitempty"`
	// SameAs names an operation listed before whose entities had the very
	// same shape (Entity, EntityKeys, Members, Truncated), which are then
	// left out here: a lesson's shape once, not for every operation that
	// answers lessons.
	SameAs string `json:"sameAs,omitempty"`
}

// Compact sets SameAs on each operation whose entities' shape an
// operation before it showed already, and leaves that shape out.
func (r *Report) Compact() {
	for i := range r.Operations {
		op := &r.Operations[i]
		if len(op.Members) == 0 || op.SameAs != "" {
			continue
		}
		for j := range i {
			prev := &r.Operations[j]
			if prev.SameAs == "" && len(prev.Members) > 0 && sameShape(op, prev) {
				op.SameAs = prev.ID
				op.Entity, op.EntityKeys, op.Members, op.Truncated = nil, nil, nil, false
				break
			}
		}
	}
}

func sameShape(a, b *Operation) bool {
	return slices.Equal(a.Entity, b.Entity) && slices.Equal(a.EntityKeys, b.EntityKeys) && a.Truncated == b.Truncated &&
		slices.EqualFunc(a.Members, b.Members, func(x, y Member) bool {
			return x.Path == y.Path && x.Deeper == y.Deeper && slices.Equal(x.Types, y.Types) &&
				slices.Equal(x.Formats, y.Formats) && slices.Equal(x.Keys, y.Keys)
		})
}

// shapeOf is the operation whose entities' shape op shows: op itself, or
// the one it is the same as.
func (r *Report) shapeOf(op *Operation) *Operation {
	if op.SameAs == "" {
		return op
	}
	for i := range r.Operations {
		if prev := &r.Operations[i]; prev.ID == op.SameAs && prev.SameAs == "" {
			return prev
		}
	}
	return op
}

// Member is one member path of an entity.
type Member struct {
	// Path joins member names with "." and marks array elements with "[]";
	// Placeholder stands for keys that look like data.
	Path string `json:"path"`
	// Types are the JSON types seen; Formats those detected in non-empty,
	// non-zero values.
	Types   []string `json:"types"`
	Formats []string `json:"formats,omitempty"`
	// Keys are the formats of the keys collapsed to Placeholder below it.
	Keys []string `json:"keys,omitempty"`
	// Deeper reports values nested beyond MaxDepth, not followed.
	Deeper bool `json:"deeper,omitempty"`
}

// Observe reads one HTTP answer of an operation into op: its status, media
// type, envelope and the shape of its entities.
func (sp *Spec) Observe(op *Operation, status int, contentType string, body []byte) {
	r := &Reply{Status: status, ContentType: mediaType(contentType)}
	op.Reply = r
	v, err := decode(body)
	if err != nil {
		r.NotJSON = true
		return
	}
	env, isObject := v.(map[string]any)
	if !isObject {
		s := NewShape(nil)
		s.AddValue(v)
		r.Top = s.Types()
		return
	}
	r.Envelope = memberTypes(env, envelopeNames)
	if n, ok := env["errno"].(json.Number); ok {
		if i, err := n.Int64(); err == nil {
			r.Errno = &i
		}
	}
	if msg, ok := env["error"].(string); ok {
		r.Message, r.Detail = sp.message(msg)
	}
	list, ok := env["entities"].([]any)
	if !ok || len(list) == 0 {
		return
	}
	s := NewShape(sp.Names)
	for _, e := range list {
		s.AddValue(e)
	}
	op.Entity, op.EntityKeys, op.Members, op.Truncated = s.Types(), names(s.root.keys, FormatNames), s.Members(), s.Truncated()
}

// envelopeNames are the envelope's members (Envelope in the spec).
var envelopeNames = map[string]bool{"errno": true, "error": true, "total": true, "entities": true, "nextToken": true}

// knownMessages are the success and rejection messages the evidence
// records, beside the errno symbols of the spec's catalogue.
var knownMessages = []string{"success", "Succeed.", "Authentication Failed.", "Authentication Failed"}

// message classifies an envelope's error message: one the spec knows, or
// "other"; and whether detail followed a blank line.
func (sp *Spec) message(msg string) (string, bool) {
	head, _, detail := strings.Cut(msg, "\n\n")
	if slices.Contains(knownMessages, head) || slices.Contains(sp.Errnos, head) {
		return head, detail
	}
	return "other", detail
}

var mediaRE = regexp.MustCompile(`^[a-z0-9][a-z0-9.+-]*/[a-z0-9*][a-z0-9.+*-]*$`)

// mediaType is the media type of a Content-Type header without its
// parameters, "other" when it is not a plain type/subtype, "" when absent.
func mediaType(ct string) string {
	if ct == "" {
		return ""
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || len(mt) > 64 || !mediaRE.MatchString(mt) {
		return "other"
	}
	return mt
}

// mergeNames is the union of two lists of names, in the order of
// TypeNames.
func mergeNames(a, b []string) []string {
	x, _ := bitsOf[typeSet](a, TypeNames)
	y, _ := bitsOf[typeSet](b, TypeNames)
	return names(x|y, TypeNames)
}

// TokenMembers reads the members of a token endpoint's JSON answer and
// their types, keys that look like data collapsed.
func TokenMembers(body []byte) (map[string][]string, map[string]any) {
	v, err := decode(body)
	obj, ok := v.(map[string]any)
	if err != nil || !ok {
		return nil, nil
	}
	return memberTypes(obj, tokenNames), obj
}

// memberTypes are the members of obj and the JSON types of their values,
// keys that look like data (known aside) collapsed to Placeholder.
func memberTypes(obj map[string]any, known map[string]bool) map[string][]string {
	out := map[string][]string{}
	for k, m := range obj {
		name := k
		if !nameKey(k, known) {
			name = Placeholder
		}
		s := NewShape(nil)
		s.AddValue(m)
		out[name] = mergeNames(out[name], s.Types())
	}
	return out
}

// tokenNames are the members of RFC 6749's and OpenID Connect's token
// replies.
var tokenNames = map[string]bool{"access_token": true, "token_type": true, "refresh_token": true, "expires_in": true,
	"scope": true, "id_token": true, "error": true, "error_description": true, "error_uri": true}

// OAuthErrors are RFC 6749's error codes (section 5.2), which a report may
// name.
var OAuthErrors = []string{"invalid_request", "invalid_client", "invalid_grant", "unauthorized_client",
	"unsupported_grant_type", "invalid_scope", "server_error", "temporarily_unavailable"}

// OAuthError is code when it is one of OAuthErrors, else "other".
func OAuthError(code string) string {
	if slices.Contains(OAuthErrors, code) {
		return code
	}
	return "other"
}

// SkipReasons and FailReasons are the closed vocabularies of
// Operation.Skipped (beside "not surveyed: " and the spec's own reason, and
// "needs <parameter>") and Operation.Failed.
var FailReasons = []string{"timeout", "connection", "refused", "token"}

// Marshal writes the report as indented JSON, short arrays and objects
// (a member, a list of types) on one line each, so that a person can read
// it before pasting it.
func (r *Report) Marshal() ([]byte, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	v, err := readOrdered(d)
	if err != nil {
		return nil, err
	}
	writeOrdered(&out, v, "")
	out.WriteByte('\n')
	return out.Bytes(), nil
}

// ordered is a JSON value whose objects keep their members' order.
type ordered struct {
	keys  []string        // an object's keys, in order
	vals  []*ordered      // an object's or an array's values
	array bool            // an array (else an object, unless scalar is set)
	raw   json.RawMessage // a scalar, encoded
}

func readOrdered(d *json.Decoder) (*ordered, error) {
	tok, err := d.Token()
	if err != nil {
		return nil, err
	}
	switch tok {
	case json.Delim('{'), json.Delim('['):
		o := &ordered{array: tok == json.Delim('[')}
		for d.More() {
			if !o.array {
				k, err := d.Token()
				if err != nil {
					return nil, err
				}
				o.keys = append(o.keys, k.(string))
			}
			v, err := readOrdered(d)
			if err != nil {
				return nil, err
			}
			o.vals = append(o.vals, v)
		}
		_, err := d.Token() // the closing delimiter
		return o, err
	}
	raw, err := json.Marshal(tok)
	return &ordered{raw: raw}, err
}

// lineWidth is the longest container written on one line.
const lineWidth = 120

func writeOrdered(b *bytes.Buffer, o *ordered, indent string) {
	if o.raw != nil {
		b.Write(o.raw)
		return
	}
	open, close := byte('{'), byte('}')
	if o.array {
		open, close = '[', ']'
	}
	if len(o.vals) == 0 {
		b.WriteByte(open)
		b.WriteByte(close)
		return
	}
	var one bytes.Buffer
	writeLine(&one, o)
	if one.Len() <= lineWidth {
		b.Write(one.Bytes())
		return
	}
	b.WriteByte(open)
	for i, v := range o.vals {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("\n" + indent + "  ")
		if !o.array {
			k, _ := json.Marshal(o.keys[i])
			b.Write(k)
			b.WriteString(": ")
		}
		writeOrdered(b, v, indent+"  ")
	}
	b.WriteString("\n" + indent)
	b.WriteByte(close)
}

// writeLine writes o on one line, with a space after each comma and colon.
func writeLine(b *bytes.Buffer, o *ordered) {
	if o.raw != nil {
		b.Write(o.raw)
		return
	}
	open, close := byte('{'), byte('}')
	if o.array {
		open, close = '[', ']'
	}
	b.WriteByte(open)
	for i, v := range o.vals {
		if i > 0 {
			b.WriteString(", ")
		}
		if !o.array {
			k, _ := json.Marshal(o.keys[i])
			b.Write(k)
			b.WriteString(": ")
		}
		writeLine(b, v)
	}
	b.WriteByte(close)
}

// Parse reads a report and checks it (Check).
func (sp *Spec) Parse(data []byte) (*Report, error) {
	var r Report
	d := json.NewDecoder(strings.NewReader(string(data)))
	d.DisallowUnknownFields()
	if err := d.Decode(&r); err != nil {
		return nil, fmt.Errorf("shape: the report is not one: %v", typeOnly(err))
	}
	if err := sp.Check(&r); err != nil {
		return nil, err
	}
	return &r, nil
}

var (
	dayRE   = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)
	labelRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9 ._()+/-]{0,63}$`)
)

// Check verifies that a report holds nothing but what a report may hold
// (see Report), and that its operations are the spec's, so that a report
// from anyone can be merged: every member path element is a plausible
// name or the placeholder, every type and format one of the vocabulary.
func (sp *Spec) Check(r *Report) error {
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	if r.Format != FormatVersion {
		bad("format %d, want %d", r.Format, FormatVersion)
	}
	if !dayRE.MatchString(r.Date) || !isDate("2006-01-02", r.Date) {
		bad("date is not yyyy-MM-dd")
	}
	if !labelRE.MatchString(r.Tool) || !labelRE.MatchString(r.Spec) {
		bad("tool or spec is not a short label")
	}
	if l := r.Login; l != nil {
		if l.Grant != "authorization_code" && l.Grant != "client_credentials" {
			bad("login grant is neither authorization_code nor client_credentials")
		}
		for _, s := range l.Scopes {
			if !slices.Contains(sp.Scopes, s) {
				bad("login scope is not in the spec's registry")
				break
			}
		}
	}
	if p := r.Probes; p != nil {
		if p.InvalidToken != nil {
			sp.checkReply("probe invalidToken", p.InvalidToken, bad)
		}
		if f := p.Refresh; f != nil {
			if f.Error != "" && f.Error != "other" && !slices.Contains(OAuthErrors, f.Error) {
				bad("probe refresh: error is not an OAuth error code")
			}
			checkTypeMap("probe refresh", f.Members, tokenNames, bad)
			if !slices.Contains([]string{"absent", "same", "different", "empty"}, f.Scope) {
				bad("probe refresh: scope is not absent, same, different or empty")
			}
		}
	}
	seen := map[string]bool{}
	for i := range r.Operations {
		op := &r.Operations[i]
		where := fmt.Sprintf("operation %d", i+1)
		so := sp.Ops[op.ID]
		switch {
		case so == nil:
			bad("%s: not an operation of the spec", where)
			continue
		case so.Method != op.Method || so.Path != op.Path:
			bad("%s (%s): method or path differ from the spec's", where, op.ID)
		case seen[op.ID]:
			bad("%s (%s): listed twice", where, op.ID)
		}
		where += " (" + op.ID + ")"
		seen[op.ID] = true
		if op.Skipped != "" && !sp.skipReason(so, op.Skipped) {
			bad("%s: skipped for a reason a survey does not give", where)
		}
		if op.Failed != "" && !slices.Contains(FailReasons, op.Failed) {
			bad("%s: failed is not one of %v", where, FailReasons)
		}
		if op.Reply != nil {
			sp.checkReply(where, op.Reply, bad)
		}
		if op.SameAs != "" {
			prev := -1
			for j := range i {
				if r.Operations[j].ID == op.SameAs && r.Operations[j].SameAs == "" && len(r.Operations[j].Members) > 0 {
					prev = j
				}
			}
			if prev < 0 || len(op.Members) > 0 || len(op.Entity) > 0 {
				bad("%s: sameAs names no operation before it with a shape of its own, or it has a shape too", where)
			}
		}
		checkTypes(where+": entity", op.Entity, bad)
		if _, ok := bitsOf[formatSet](op.EntityKeys, FormatNames); !ok {
			bad("%s: an entity key's format is not one of %v", where, FormatNames)
		}
		if len(op.Members) > MaxMembers {
			bad("%s: more than %d members", where, MaxMembers)
		}
		paths := map[string]bool{}
		for _, m := range op.Members {
			if paths[m.Path] || !sp.checkPath(m.Path) {
				bad("%s: a member path is repeated, or holds something other than names and the placeholder", where)
				break
			}
			paths[m.Path] = true
			checkTypes(where+": member", m.Types, bad)
			if len(m.Types) == 0 {
				bad("%s: a member has no type", where)
			}
			for _, list := range [][]string{m.Formats, m.Keys} {
				if _, ok := bitsOf[formatSet](list, FormatNames); !ok {
					bad("%s: a member's format is not one of %v", where, FormatNames)
				}
			}
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("shape: the report does not check:\n%s", strings.Join(errs, "\n"))
	}
	return nil
}

func (sp *Spec) checkReply(where string, r *Reply, bad func(string, ...any)) {
	if r.Status < 100 || r.Status > 599 {
		bad("%s: status is not an HTTP status", where)
	}
	if r.ContentType != "" && r.ContentType != "other" && !mediaRE.MatchString(r.ContentType) {
		bad("%s: contentType is not a media type", where)
	}
	checkTypes(where+": top", r.Top, bad)
	if r.Message != "" && r.Message != "other" && !slices.Contains(knownMessages, r.Message) && !slices.Contains(sp.Errnos, r.Message) {
		bad("%s: message is not one the spec knows", where)
	}
	checkTypeMap(where+": envelope", r.Envelope, envelopeNames, bad)
}

func checkTypes(where string, list []string, bad func(string, ...any)) {
	if _, ok := bitsOf[typeSet](list, TypeNames); !ok {
		bad("%s: a type is not one of %v", where, TypeNames)
	}
}

func checkTypeMap(where string, m map[string][]string, known map[string]bool, bad func(string, ...any)) {
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if k != Placeholder && !nameKey(k, known) {
			bad("%s: a member name looks like data", where)
		}
		checkTypes(where, m[k], bad)
	}
}

// checkPath reports whether every element of a member path is a plausible
// name or the placeholder, each optionally followed by "[]".
func (sp *Spec) checkPath(path string) bool {
	if path == "" || len(path) > 4*MaxDepth*membername.MaxLen {
		return false
	}
	for i, el := range strings.Split(path, ".") {
		name := el
		for strings.HasSuffix(name, "[]") {
			name = strings.TrimSuffix(name, "[]")
		}
		switch {
		case name == "" && i == 0 && el != "":
			continue // the elements of an entity that is an array: "[]", "[].x"
		case name != Placeholder && !nameKey(name, sp.Names):
			return false
		}
	}
	return true
}

// Skip reasons a survey gives, besides the spec's own x-jaccount-survey
// text.
const (
	SkipNotSurveyed = "not surveyed: "
	SkipNeeds       = "needs "
	SkipLogin       = "the login cannot call it"
	SkipNoLogin     = "no login"
)

// skipReason reports whether s is a reason a survey gives for skipping op.
func (sp *Spec) skipReason(op *Op, s string) bool {
	switch {
	case s == SkipLogin, s == SkipNoLogin:
		return true
	case strings.HasPrefix(s, SkipNotSurveyed):
		return op.SurveyNever != "" && s == SkipNotSurveyed+op.SurveyNever
	case strings.HasPrefix(s, SkipNeeds):
		return slices.ContainsFunc(op.Params, func(p Param) bool { return s == SkipNeeds+p.Name })
	}
	return false
}
