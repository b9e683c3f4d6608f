// Package apigen turns openapi/jaccount.yaml into the typed surface of the
// SDK: the services, methods, parameter structs, paging iterators, paths,
// scopes, errnos and model aliases of package api, the route and scope table
// of the fake in package jaccounttest, and the methods package gen needs
// beside oapi-codegen's models.
//
// It works in two steps. Load reads the spec (with kin-openapi) into an API,
// an intermediate representation that holds every decision — Go names, Go
// types, result kinds, paging — so that each output is a plain template over
// it, and further outputs (the CLI's commands) are further templates over
// the same API. Render then writes the files.
package apigen

import (
	"encoding/json"
	"strings"
)

// API is the intermediate representation of the whole spec.
type API struct {
	// Title is the spec's info.title.
	Title string
	// Servers are the base URLs the operations go to, each with the Go
	// client that calls it: the spec's top-level server (the default,
	// api.Client) first, then the others in the order of their first path.
	Servers []*Server
	// Services are the tags, in the order the spec declares them.
	Services []*Service
	// Ops are every operation, sorted by service order, then Go name.
	Ops []*Op
	// Scopes is the scope registry (x-jaccount-scopes), in its order.
	Scopes []*Scope
	// Errnos is the errno catalogue (x-jaccount-errnos), in its order.
	Errnos []*Errno
	// Models are the component schemas aliased in package api, sorted by
	// name. Load fills Name and Doc; AddModels checks them against package
	// gen and adds the constants of each.
	Models []*Model
	// OpenSets are the string schemas whose values are an open set
	// (x-jaccount-known-values): gen declares the type and a constant per
	// known value, and any other value decodes and encodes unchanged.
	OpenSets []*OpenSet
	// TimeFields are the model fields that hold a date or an instant
	// (x-jaccount-time on a property): gen adds a method converting each.
	TimeFields []*TimeField
	// Decoders are the types of package gen that get a generated decoder
	// (AddDecoders), sorted by name.
	Decoders []*Decoded
}

// OpenSet is a string type whose documented values are known but not
// exhaustive.
type OpenSet struct {
	// Name is the schema's (and the Go type's) name; Doc its description.
	Name, Doc string
	// Values are the known values, in the spec's order.
	Values []*KnownValue
}

// KnownValue is one known value of an OpenSet.
type KnownValue struct {
	// Value is the wire value; GoName the constant's name; Doc what it
	// means.
	Value, GoName, Doc string
}

// TimeField is a model field holding a date or an instant.
type TimeField struct {
	// Model is the schema's Go type; Field the field's Go name; JSON its
	// member name.
	Model, Field, JSON string
	// Unit is the field's wire form; Method the name of the converting
	// method (Field + "At").
	Unit   TimeUnit
	Method string
}

// Server is one base URL and the Go client type that calls it. The spec's
// top-level server is the default one, called by api.Client; an operation
// (or its path) on another server declares it in its own servers list, with
// the extension x-jaccount-client naming the client type, e.g.
//
//	servers: [{url: https://graphql.sjtu.edu.cn, x-jaccount-client: DataClient}]
//
// Each such client is generated whole: its type, services, constructor
// (NewDataClient), base-URL option (WithDataBaseURL) and default base URL
// (DefaultDataBaseURL). It shares the transport, retries, envelope
// decoding and errors of api.Client.
type Server struct {
	// URL is the server's base URL, without a trailing slash; Doc its
	// description.
	URL, Doc string
	// Client is the Go type of its client: "Client" for the default
	// server, the x-jaccount-client name (ending in "Client") otherwise.
	Client string
	// Default reports the spec's top-level server.
	Default bool
	// Services are the tags whose operations go to this server.
	Services []*Service
}

// Prefix is the client name without "Client": "" for the default server,
// "Data" for DataClient.
func (s *Server) Prefix() string { return strings.TrimSuffix(s.Client, "Client") }

// Key names the server in the fake's route table: "" for the default
// server, else the prefix in lower case ("data").
func (s *Server) Key() string { return strings.ToLower(s.Prefix()) }

// ServiceType is the unexported struct every service of the client is:
// "service" for the default client, "dataService" for DataClient.
func (s *Server) ServiceType() string { return lowerFirst(s.Prefix() + "Service") }

// Constructor is the name of a non-default client's generated constructor,
// e.g. NewDataClient.
func (s *Server) Constructor() string { return "New" + s.Client }

// Option is the name of a non-default client's generated base-URL option,
// e.g. WithDataBaseURL.
func (s *Server) Option() string { return "With" + s.Prefix() + "BaseURL" }

// DefaultConst is the name of a non-default client's generated default
// base URL, e.g. DefaultDataBaseURL.
func (s *Server) DefaultConst() string { return "Default" + s.Prefix() + "BaseURL" }

// Service is one tag: a field of its server's client (api.Client,
// api.DataClient) and its XxxService type.
type Service struct {
	// Tag is the spec's tag name, e.g. "card".
	Tag string
	// Name is the Go name, e.g. "Card": the Client field; the type is
	// Name + "Service".
	Name string
	// Doc is the tag's description.
	Doc string
	// Server is where the service's operations go; every operation of a
	// tag must go to the same server.
	Server *Server
	// Ops are the service's operations, sorted by Go name.
	Ops []*Op
}

// EntityKind says what the entities array of an operation's reply holds
// (x-jaccount-entities).
type EntityKind string

// The entity kinds.
const (
	// EntitySingle: one entity; the method returns *T and fails when the
	// array is empty.
	EntitySingle EntityKind = "single"
	// EntityList: any number; the method returns *api.List[T].
	EntityList EntityKind = "list"
	// EntityNone: nothing of use; the method returns only an error.
	EntityNone EntityKind = "none"
	// EntityRaw: the reply is not the envelope but a file or an image; the
	// method returns its bytes and content type (*api.Blob).
	EntityRaw EntityKind = "raw"
)

// Op is one operation.
type Op struct {
	// ID is the operationId.
	ID string
	// Method is the HTTP method in upper case; Path the path template.
	Method, Path string
	// Service is the operation's tag; Server where it goes (the same for
	// every operation of the service).
	Service *Service
	Server  *Server
	// Verb is the first word of the operationId, capitalised ("List");
	// Words the words the naming rule keeps after it ("Transactions").
	Verb  string
	Words []string
	// Name is the Go method name: Verb followed by Words.
	Name string
	// Summary and Description are the spec's, as written.
	Summary, Description string
	// DocURL and DocTitle come from externalDocs.
	DocURL, DocTitle string
	// Security are the alternatives that take a token, any one of which
	// suffices.
	Security []Requirement
	// Anonymous reports that the spec lists the empty requirement ({}) among
	// the alternatives: a call with no token at all is answered too. A
	// client with a token still sends it (an alternative above takes it).
	Anonymous bool
	// OnlyApp names the one application jAccount admits to the operation
	// (x-jaccount-only-app, e.g. 交我办), "" when any may call it.
	OnlyApp string
	// Params are the path parameters in path order, then the query
	// parameters in spec order.
	Params []*Param
	// Body is the request body, nil if none.
	Body *Body
	// Entities is what the reply's entities array holds; Entity is the Go
	// (model) type of one entity, "" for EntityNone.
	Entities EntityKind
	Entity   string
	// Paging is the paging style, nil for an operation that does not page.
	Paging *Paging
	// Aliases are former Go names kept as deprecated wrappers.
	Aliases Aliases
	// Example is the 200 reply's example: compact JSON, or, for EntityRaw,
	// the example body as a JSON string.
	Example json.RawMessage
	// MediaType is the content type of the 200 reply: application/json, or
	// the file's or image's type for EntityRaw.
	MediaType string
	// OpenQuery marks an operation whose query parameters the available
	// documentation does not list (x-jaccount-open-query): its params
	// struct has a Query field of further parameters, sent as they are.
	OpenQuery bool
	// Deprecated mirrors the spec's deprecated flag.
	Deprecated bool
	// Idempotent says whether sending the operation twice has the effect of
	// sending it once (x-jaccount-idempotent; without it, true for GET, HEAD
	// and DELETE): the client repeats an operation that is not only when
	// the request provably never reached the server. IdempotentMarked says
	// the spec states it.
	Idempotent, IdempotentMarked bool
	// Survey marks an operation safe to call for a shape report
	// (x-jaccount-survey: true): a GET with no side effect whose JSON reply
	// holds no credential. NotSurveyed is why a GET is never called for
	// one (the extension's text instead of true).
	Survey      bool
	NotSurveyed string
}

// Requirement is one security alternative.
type Requirement struct {
	// Scheme is the security scheme's name; Grants the grant types its
	// flows offer (authorization_code, client_credentials, password,
	// implicit).
	Scheme string
	Grants []string
	// Scopes must all be granted; empty means any token of the scheme.
	Scopes []string
}

// ParamKind is the Go type of a parameter.
type ParamKind string

// The parameter kinds.
const (
	KindString  ParamKind = "string"
	KindInt     ParamKind = "int"
	KindInt64   ParamKind = "int64"
	KindFloat   ParamKind = "float64"
	KindBool    ParamKind = "bool"
	KindTime    ParamKind = "time.Time"
	KindStrings ParamKind = "[]string"
	KindInts    ParamKind = "[]int"
)

// TimeUnit is how a time.Time parameter is written on the wire
// (x-jaccount-time).
type TimeUnit string

// The time units.
const (
	TimeEpochMillis  TimeUnit = "epoch-millis"  // integer milliseconds since the epoch
	TimeEpochSeconds TimeUnit = "epoch-seconds" // integer seconds since the epoch
	TimeDate         TimeUnit = "date"          // 2006-01-02, in China Standard Time
	TimeCompactDate  TimeUnit = "compact-date"  // 20060102, in China Standard Time
	TimeDateTime     TimeUnit = "date-time"     // 2006-01-02 15:04:05, in China Standard Time
)

// Param is one path or query parameter.
type Param struct {
	// Name is the wire name; In is "path" or "query".
	Name, In string
	// GoName is the exported Go name (a params-struct field); ArgName the
	// name as a method argument.
	GoName, ArgName string
	// Required parameters are method arguments; optional ones are fields
	// of the params struct, not sent when zero (nil for a *bool).
	Required bool
	// Doc is the parameter's description.
	Doc string
	// Kind is the Go type; Time the wire form of a KindTime.
	Kind ParamKind
	Time TimeUnit
	// CLIFlag is the jaccount CLI's flag name for it (x-jaccount-cli-flag),
	// "" for the default, the name in kebab case.
	CLIFlag string
	// Pattern, MinLength and Enum are the schema's constraints.
	Pattern   string
	MinLength uint64
	Enum      []string
}

// Paged reports whether the parameter is one of the paging's: the position
// the iterator moves, or the page size.
func (p *Param) Paged(op *Op) bool {
	if op.Paging == nil {
		return false
	}
	pg := op.Paging
	return p.Name == pg.Token || p.Name == pg.Start || p.Name == pg.First || p.Name == pg.Offset || p.Name == pg.Limit
}

// BodyKind is how a request body is encoded.
type BodyKind string

// The body kinds.
const (
	// BodyJSON: the model, encoded as JSON.
	BodyJSON BodyKind = "json"
	// BodyForm: the model's JSON members as application/x-www-form-urlencoded.
	BodyForm BodyKind = "form"
	// BodyRaw: bytes sent as they are, with the spec's media type.
	BodyRaw BodyKind = "raw"
	// BodyMultipart: multipart/form-data, from a struct apigen declares in
	// api (<Service><Method>Body) with a field per part; file parts are
	// io.Readers, streamed.
	BodyMultipart BodyKind = "multipart"
)

// Body is an operation's request body.
type Body struct {
	// MediaType is the spec's content type; Kind the encoding.
	MediaType string
	Kind      BodyKind
	// Model is the Go type of a JSON or form body (a component schema).
	Model string
	// Required mirrors the spec; Doc is its description.
	Required bool
	Doc      string
	// Parts are a multipart body's parts, by wire name: its scalar fields
	// and its file parts (the form's inline schema's properties).
	Parts []*Part
}

// Part is one part of a multipart/form-data body: a field of the body
// struct (and, for a file part, two more: its file name and its content
// type).
type Part struct {
	// Name is the wire name; GoName the struct field's name.
	Name, GoName string
	// Doc is the property's description; Required whether the form's
	// schema lists it as required.
	Doc      string
	Required bool
	// File marks a file part (a string of format binary): an io.Reader,
	// sent with a file name (field <GoName>Name) and a content type (field
	// <GoName>ContentType, default ContentType).
	File        bool
	ContentType string
	// Kind is a scalar part's Go type (string, int, int64, float64, bool).
	Kind ParamKind
}

// NameField and TypeField are the struct fields of a file part's file name
// and content type.
func (p *Part) NameField() string { return p.GoName + "Name" }

// TypeField is the struct field of a file part's content type.
func (p *Part) TypeField() string { return p.GoName + "ContentType" }

// Fields returns a multipart body's scalar parts; Files its file parts.
func (b *Body) Fields() []*Part { return b.parts(false) }

// Files returns a multipart body's file parts.
func (b *Body) Files() []*Part { return b.parts(true) }

func (b *Body) parts(files bool) []*Part {
	var out []*Part
	for _, p := range b.Parts {
		if p.File == files {
			out = append(out, p)
		}
	}
	return out
}

// PagingStyle names a paging style (x-jaccount-paging style).
type PagingStyle string

// The paging styles the jAccount APIs use.
const (
	// PagingToken: the reply's nextToken is sent back as a token parameter
	// (pageToken by default) with an optional page size (limit); a reply
	// without nextToken is the last.
	PagingToken PagingStyle = "token"
	// PagingStartLimit: start is the 0-based index of the page's first
	// item, limit the page size; the reply's total is the whole count.
	PagingStartLimit PagingStyle = "start-limit"
	// PagingFirstOffset: first is the 1-based index of the page's first
	// item, offset the page size (at most MaxPageSize).
	PagingFirstOffset PagingStyle = "first-offset"
)

// Paging is an operation's paging: its style and the wire names of its
// parameters (empty when the style does not use one).
type Paging struct {
	Style PagingStyle
	// Token carries the previous reply's nextToken (style token).
	Token string
	// Limit is the page size (styles token and start-limit), optional.
	Limit string
	// Start is the 0-based index (style start-limit).
	Start string
	// First is the 1-based index, Offset the page size (first-offset).
	First, Offset string
	// MaxPageSize bounds the page size; 0 means no bound. The iterator of
	// style first-offset asks for pages of this size when Offset is zero.
	MaxPageSize int
}

// Aliases are former Go names of an operation's method, iterator and params
// struct (x-jaccount-aliases), generated as deprecated wrappers.
type Aliases struct {
	Method   string `json:"method,omitempty"`
	Iterator string `json:"iterator,omitempty"`
	Params   string `json:"params,omitempty"`
}

// Scope is one entry of the scope registry.
type Scope struct {
	// Name is the scope's wire name; GoName the constant's name.
	Name, GoName string
	// Doc is the description the security schemes give it.
	Doc string
	// Bit is the scope's bit (its value is 1<<Bit), -1 when it has none.
	Bit int
	// Grants are the grant types that may request it.
	Grants []string
}

// Errno is one documented errno.
type Errno struct {
	// Code is the errno; Name the documented symbol ("" when the
	// documentation gives none); GoName the constant's name.
	Code         int
	Name, GoName string
	Doc          string
}

// Model is a component schema aliased in package api.
type Model struct {
	// Name is the schema's (and the gen type's) name.
	Name string
	// Doc is the schema's description.
	Doc string
	// Consts are the gen constants of the model's type (enum values).
	Consts []string
	// Recursive reports a model that contains itself through its members
	// (UserRight's parent is a UserRight): its values may nest without
	// bound, so package api checks the depth of a reply before decoding one
	// (gen's decoding costs time in proportion to size times depth).
	Recursive bool
}
