package apigen

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
)

func loadFile(t *testing.T, path string) *API {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	a, err := Load(b)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestLoadMinimal(t *testing.T) {
	t.Parallel()
	a := loadFile(t, "testdata/minimal.yaml")
	if len(a.Services) != 1 || len(a.Ops) != 1 || len(a.Scopes) != 2 || len(a.Errnos) != 1 {
		t.Fatalf("IR = %d services, %d ops, %d scopes, %d errnos", len(a.Services), len(a.Ops), len(a.Scopes), len(a.Errnos))
	}
	op := a.Ops[0]
	if op.Name != "Get" || op.Service.Name != "Things" || op.Entity != "Thing" || op.Entities != EntitySingle ||
		op.PathConst() != "PathThingsGet" || op.HasParamsStruct() != true || op.ParamsType() != "ThingsGetParams" {
		t.Errorf("op = %+v", op)
	}
	if p := op.Params[1]; p.Kind != KindTime || p.Time != TimeEpochSeconds || p.Required || p.GoName != "Since" {
		t.Errorf("since = %+v", p)
	}
	if a.Scopes[0].Bit != -1 || a.Scopes[1].Bit != 0 || a.Scopes[1].GoName != "ScopeBasic" || a.Scopes[1].Doc != "Basic." {
		t.Errorf("scopes = %+v %+v", a.Scopes[0], a.Scopes[1])
	}
	if len(a.Models) != 1 || a.Models[0].Name != "Thing" {
		t.Errorf("models = %+v (envelopes must be left out)", a.Models)
	}
}

// TestLoadRealSpec checks what the IR says about openapi/jaccount.yaml.
func TestLoadRealSpec(t *testing.T) {
	t.Parallel()
	a := loadFile(t, "../../openapi/jaccount.yaml")
	byID := map[string]*Op{}
	for _, op := range a.Ops {
		byID[op.ID] = op
	}
	want := map[string]string{
		"getMyProfile": "Profile.Get", "getUserProfile": "Profile.GetUser", "getUserPositions": "Enterprise.GetUserPositions",
		"getUserRights": "Enterprise.GetUserRights", "listMyLessons": "Lessons.List",
		"listMyLessonsBySemester": "Lessons.ListBySemester", "getLesson": "Lessons.Get",
		"listMyExaminations": "Examinations.List", "listMyExaminationsBySemester": "Examinations.ListBySemester",
		"getMyCard": "Card.Get", "listMyCardTransactions": "Card.ListTransactions", "getMyGPA": "GPA.Get",
		"downloadFile": "File.Download", "getBarcodeQR": "Barcode.GetQR", "listMyCircles": "Circles.List",
		"listUnicodeTransactions": "Unicode.ListTransactions", "reportFoundLostCard": "Card.ReportFoundLost",
	}
	data := map[string]string{
		"listStudents": "Students.List", "listFaculty": "Faculty.List", "listAccounts": "Accounts.List",
		"listPapers": "Papers.List",
	}
	if len(byID)-len(data) < 55 {
		t.Errorf("%d operations on the open API, want at least the 55 it documents", len(byID)-len(data))
	}
	if len(a.Servers) != 2 || a.Servers[0].URL != "https://api.sjtu.edu.cn" || a.Servers[1].URL != "https://graphql.sjtu.edu.cn" ||
		a.Servers[1].Client != "DataClient" {
		t.Errorf("servers = %+v, %+v", a.Servers[0], a.Servers[1:])
	}
	var onData []string
	for _, op := range a.Ops {
		if !op.Server.Default {
			onData = append(onData, op.ID)
		}
	}
	t.Logf("%d operations on %s, %d on %s (%s): %v", len(a.Ops)-len(onData), a.Servers[0].URL, len(onData),
		a.Servers[1].URL, a.Servers[1].Client, onData)
	for id, name := range data {
		op := byID[id]
		if op == nil || op.Service.Name+"."+op.Name != name || op.Server != a.Servers[1] || op.Service.Server != a.Servers[1] {
			t.Errorf("%s: %+v, want %s on DataClient", id, op, name)
			continue
		}
		if pg := op.Paging; pg == nil || pg.Style != PagingFirstOffset || pg.First != "first" || pg.Offset != "offset" || pg.MaxPageSize != 200 {
			t.Errorf("%s: paging %+v", id, op.Paging)
		}
		if len(op.Security) != 1 || op.Security[0].Scheme != "jaccountClientCredentials" || !slices.Equal(op.Security[0].Scopes, []string{"exchange_data"}) ||
			!slices.Equal(op.Security[0].Grants, []string{"client_credentials"}) {
			t.Errorf("%s: security %+v", id, op.Security)
		}
		if p := op.param("timestamp"); id != "listPapers" && (p == nil || p.Kind != KindTime || p.Time != TimeDateTime || p.GoName != "UpdatedSince") {
			t.Errorf("%s: timestamp %+v", id, p)
		}
	}
	for id, name := range want {
		if op := byID[id]; op != nil && op.Server != a.Servers[0] {
			t.Errorf("%s is not on the default server", id)
		}
		op := byID[id]
		if op == nil || op.Service.Name+"."+op.Name != name {
			t.Errorf("%s: %+v, want %s", id, op, name)
		}
	}
	tx := byID["listMyCardTransactions"]
	if tx.Paging == nil || tx.Paging.Style != PagingStartLimit || tx.Paging.Start != "start" || tx.Paging.Limit != "limit" || tx.Aliases.Params != "TransactionsParams" {
		t.Errorf("transactions paging %+v aliases %+v", tx.Paging, tx.Aliases)
	}
	if c := byID["listMyCircles"]; c.Paging == nil || c.Paging.Style != PagingToken || c.Paging.Token != "pageToken" || c.Paging.Limit != "limit" {
		t.Errorf("circles paging %+v", c.Paging)
	}
	if d := byID["downloadFile"]; d.Entities != EntityRaw || d.MediaType != "application/octet-stream" || !d.OpenQuery {
		t.Errorf("downloadFile: %s %s open query %v", d.Entities, d.MediaType, d.OpenQuery)
	}
	// Evidence round 3: the calendar needs no token (E3), the 思源码 family
	// but validation admits 交我办 only (E6), a right contains a right (E2),
	// the card's transactions page by at most 100 (E8).
	var anonymous, onlyApp []string
	for _, op := range a.Ops {
		if op.Anonymous {
			anonymous = append(anonymous, op.ID)
		}
		if op.OnlyApp == "交我办" {
			onlyApp = append(onlyApp, op.ID)
		}
	}
	if !slices.Equal(anonymous, []string{"getEnterpriseCalendar"}) || len(onlyApp) != 6 || slices.Contains(onlyApp, "validateUnicode") {
		t.Errorf("no token: %v; 交我办 only: %v", anonymous, onlyApp)
	}
	for _, m := range a.Models {
		if m.Recursive != (m.Name == "UserRight") {
			t.Errorf("%s: recursive %v", m.Name, m.Recursive)
		}
	}
	if tx.Paging.MaxPageSize != 100 || !strings.Contains(pagingText(tx), "page size ≤ 100") {
		t.Errorf("transactions paging %+v: %s", tx.Paging, pagingText(tx))
	}
	if p := byID["getUserRights"].param("account"); p == nil || p.Required {
		t.Errorf("rights' account: %+v, want optional (E1)", p)
	}
	if len(a.Scopes) != 40 {
		t.Errorf("%d scopes, want the 40 of the registry", len(a.Scopes))
	}
	var sets []string
	for _, set := range a.OpenSets {
		sets = append(sets, set.Name)
	}
	if !slices.Contains(sets, "IdentityStatus") || !slices.Contains(sets, "UserType") {
		t.Errorf("open sets = %v", sets)
	}
	var created *TimeField
	for _, f := range a.TimeFields {
		if f.Model == "Identity" && f.JSON == "createDate" {
			created = f
		}
	}
	if created == nil || created.Unit != TimeEpochSeconds || created.Method != "CreateDateAt" {
		t.Errorf("Identity.createDate: %+v, want UNIX seconds", created)
	}
}

// TestLoadRejects mutates the minimal spec into each mistake the loader must
// report.
func TestLoadRejects(t *testing.T) {
	t.Parallel()
	base, err := os.ReadFile("testdata/minimal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	checkRejects(t, string(base), []mutation{
		{"no entities kind", "      x-jaccount-entities: single\n", "", "x-jaccount-entities is missing"},
		{"bad entities kind", "x-jaccount-entities: single", "x-jaccount-entities: many", `want single, list, none or raw`},
		{"no example", `              example: {"errno": 0, "error": "success", "total": 0, "entities": [{"name": "a"}]}` + "\n", "", "no example"},
		{"example not success", `example: {"errno": 0,`, `example: {"errno": 5,`, "no example that is a successful envelope"},
		{"single without entity", `"entities": [{"name": "a"}]}`, `"entities": []}`, "has no entity"},
		{"no docs", `      externalDocs: {url: "https://docs.example.invalid/things"}` + "\n", "", "no externalDocs"},
		{"unknown scope", "security: [{auth: [basic]}]", "security: [{auth: [root]}]", `scope "root" is not in x-jaccount-scopes`},
		{"unregistered flow scope", "scopes: {openid: OpenID., basic: Basic.}", "scopes: {openid: OpenID., basic: Basic., extra: X.}", `declare scope "extra"`},
		{"undeclared tag", "tags: [things]", "tags: [stuff]", `tag "stuff" is not declared`},
		{"bad operationId", "operationId: getThing", "operationId: get_thing", "not lowerCamelCase"},
		{"time on a string", "schema: {type: integer, format: int64}, x-jaccount-time: epoch-seconds", "schema: {type: string}, x-jaccount-time: epoch-seconds", "does not fit"},
		{"unknown time unit", "x-jaccount-time: epoch-seconds", "x-jaccount-time: fortnights", "does not fit"},
		{"paging without token param", "x-jaccount-entities: single", "x-jaccount-entities: list\n      x-jaccount-paging: {style: token}", `paging token parameter "pageToken"`},
		{"paging on single", "x-jaccount-entities: single", "x-jaccount-entities: single\n      x-jaccount-paging: {style: start-limit, start: since}", "must return a list"},
		{"unknown paging key", "x-jaccount-entities: single", "x-jaccount-entities: list\n      x-jaccount-paging: {style: token, tokn: x}", "unknown field"},
		{"model without extras", "      additionalProperties: true\n", "", "needs additionalProperties"},
		{"property without description", "{name: {type: string, description: The thing's name.}}", "{name: {type: string}}",
			"schema Thing.name has no description: its field in package gen would have no doc comment"},
		{"property without description, blank", "description: The thing's name.", `description: " "`, "schema Thing.name has no description"},
		{"$ref to a schema without description", "{name: {type: string, description: The thing's name.}}",
			"{name: {type: string, description: The thing's name.}, part: {$ref: \"#/components/schemas/Part\"}}\n    Part: {type: string}",
			"schema Thing.part has no description: its field in package gen would have no doc comment; give Part one"},
		{"closed open set", "properties: {name: {type: string, description: The thing's name.}}", "properties: {name: {type: string, description: The thing's name.}}\n    Kind: {type: string, enum: [a], x-jaccount-known-values: [{value: a}]}", "without enum"},
		{"old open enum", "properties: {name: {type: string, description: The thing's name.}}", "properties: {name: {type: string, description: The thing's name.}}\n    Kind: {type: string, enum: [a], x-jaccount-open-enum: true}", "replaced by x-jaccount-known-values"},
		{"time on a model", "properties: {name: {type: string, description: The thing's name.}}", "properties: {name: {type: string, description: The thing's name.}, at: {type: string, x-jaccount-time: epoch-seconds}}", "does not fit the property"},
		{"raw without example", "x-jaccount-entities: single", "x-jaccount-entities: raw", "exactly one media type, not application/json"},
		{"header parameter", "{name: since, in: query,", "{name: since, in: header,", "header parameters are not supported"},
		{"iterator alias without paging", "x-jaccount-entities: single", "x-jaccount-entities: single\n      x-jaccount-aliases: {iterator: All}", "does not page"},
		{"second top-level server", `servers: [{url: "https://api.example.invalid"}]`, `servers: [{url: "https://api.example.invalid"}, {url: "https://b.example.invalid"}]`, "exactly one top-level server"},
		{"top-level server with a slash", `servers: [{url: "https://api.example.invalid"}]`, `servers: [{url: "https://api.example.invalid/"}]`, "without a trailing slash"},
		{"path server without a client", "  /v1/things/{id}:\n", "  /v1/things/{id}:\n    servers: [{url: \"https://data.example.invalid\"}]\n", "needs x-jaccount-client"},
		{"path server, bad client name", "  /v1/things/{id}:\n", "  /v1/things/{id}:\n    servers: [{url: \"https://data.example.invalid\", x-jaccount-client: Data}]\n", "ending in Client"},
		{"path server named Client", "  /v1/things/{id}:\n", "  /v1/things/{id}:\n    servers: [{url: \"https://data.example.invalid\", x-jaccount-client: Client}]\n", "other than Client"},
		{"two servers on a path", "  /v1/things/{id}:\n", "  /v1/things/{id}:\n    servers: [{url: \"https://a.example.invalid\", x-jaccount-client: AClient}, {url: \"https://b.example.invalid\", x-jaccount-client: BClient}]\n", "goes to exactly one"},
		{"operation server without a client", "      operationId: getThing\n", "      operationId: getThing\n      servers: [{url: \"https://data.example.invalid\"}]\n", "needs x-jaccount-client"},
		{"invalid example", `"entities": [{"name": "a"}]}`, `"entities": [{"name": 7}]}`, "does not validate"},
		{"errno twice", "x-jaccount-errnos:\n", "x-jaccount-errnos:\n  - {errno: 10001, name: BAD_PARAMETERS}\n", "listed twice"},
		{"idempotent not a boolean", "x-jaccount-entities: single", "x-jaccount-entities: single\n      x-jaccount-idempotent: \"yes\"", "x-jaccount-idempotent must be true or false, not yes (string)"},
		{"idempotent a number", "x-jaccount-entities: single", "x-jaccount-entities: single\n      x-jaccount-idempotent: 1", "x-jaccount-idempotent must be true or false"},
		{"shared bit", "  - {name: basic, bit: 0,", "  - {name: openid2, bit: 0}\n  - {name: basic, bit: 0,", "share bit 0"},
		{"empty requirement twice", "security: [{auth: [basic]}]", "security: [{}, {auth: [basic]}, {}]", "{} is listed twice"},
		{"only app undescribed", "x-jaccount-entities: single", "x-jaccount-entities: single\n      x-jaccount-only-app: 交我办", "which the description does not name"},
		{"only app empty", "x-jaccount-entities: single", "x-jaccount-entities: single\n      x-jaccount-only-app: \"\"", "is empty"},
		{"only app without a token", "      x-jaccount-entities: single\n      security: [{auth: [basic]}]",
			"      x-jaccount-entities: single\n      description: Only 交我办.\n      x-jaccount-only-app: 交我办\n      security: [{}, {auth: [basic]}]",
			"an application is known by its token"},
	})
}

// TestLoadAccess: the empty security requirement makes an operation
// callable without a token, beside the schemes that take one, and
// x-jaccount-only-app names the one application it admits; a model that
// contains itself is marked recursive.
func TestLoadAccess(t *testing.T) {
	t.Parallel()
	base, err := os.ReadFile("testdata/minimal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	spec := strings.Replace(string(base), "security: [{auth: [basic]}]", "security: [{}, {auth: [basic]}]", 1)
	spec = strings.Replace(spec, "properties: {name: {type: string, description: The thing's name.}}", "properties: {name: {type: string, description: The thing's name.}, up: {$ref: \"#/components/schemas/Thing\"}}", 1)
	a, err := Load([]byte(spec))
	if err != nil {
		t.Fatal(err)
	}
	op := a.Ops[0]
	if !op.Anonymous || len(op.Security) != 1 || op.Security[0].Scheme != "auth" {
		t.Errorf("anonymous %v, security %+v", op.Anonymous, op.Security)
	}
	if !strings.Contains(methodDoc(op), "No token is needed") || access(op) != " (no token needed)" {
		t.Errorf("the doc and docs/operations.md do not say that no token is needed:\n%s", methodDoc(op))
	}
	if len(a.Models) != 1 || !a.Models[0].Recursive {
		t.Errorf("models %+v: Thing contains itself", a.Models[0])
	}
	spec = strings.Replace(string(base), "x-jaccount-entities: single", "x-jaccount-entities: single\n      description: Open to 交我办 only.\n      x-jaccount-only-app: 交我办", 1)
	if a, err = Load([]byte(spec)); err != nil {
		t.Fatal(err)
	}
	if op := a.Ops[0]; op.OnlyApp != "交我办" || op.Anonymous || !strings.Contains(methodDoc(op), "Only 交我办 may call it") ||
		access(op) != " (交我办 only)" || a.Models[0].Recursive {
		t.Errorf("only app %q, doc:\n%s", op.OnlyApp, methodDoc(op))
	}
}

// mutation turns a valid spec into one the loader must reject: old is
// replaced by new, and the error must contain want.
type mutation struct{ name, old, new, want string }

// checkRejects applies each mutation to base and checks Load's error.
func checkRejects(t *testing.T, base string, tests []mutation) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			spec := strings.Replace(base, tt.old, tt.new, 1)
			if spec == base {
				t.Fatalf("mutation %q not applied", tt.old)
			}
			_, err := Load([]byte(spec))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// TestNameClash: two operations that the rule names alike are an error,
// not a silent overwrite.
func TestNameClash(t *testing.T) {
	t.Parallel()
	base, _ := os.ReadFile("testdata/minimal.yaml")
	spec := strings.Replace(string(base), "paths:\n", `paths:
  /v1/me/thing:
    get:
      operationId: getMyThing
      tags: [things]
      summary: Get my thing
      externalDocs: {url: "https://docs.example.invalid/things"}
      x-jaccount-entities: single
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: "#/components/schemas/ThingList"}
              example: {"errno": 0, "error": "success", "entities": [{"name": "a"}]}
`, 1)
	spec = strings.Replace(spec, "info: {title: minimal, version: \"1\"}\n", "info: {title: minimal, version: \"1\"}\nsecurity: [{auth: []}]\n", 1)
	_, err := Load([]byte(spec))
	if err == nil || !strings.Contains(err.Error(), "Go name Get is used by both getMyThing and getThing") {
		t.Errorf("err = %v", err)
	}
}

// multiServer is the minimal spec with a second path on another server
// (x-jaccount-client DataClient) and a tag of its own.
func multiServer(t *testing.T) string {
	t.Helper()
	base, err := os.ReadFile("testdata/minimal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	spec := strings.Replace(string(base), "paths:\n", `paths:
  /v1/records:
    servers:
      - {url: "https://data.example.invalid", description: Data., x-jaccount-client: DataClient}
    get:
      operationId: listRecords
      tags: [records]
      summary: List records
      externalDocs: {url: "https://docs.example.invalid/records"}
      x-jaccount-entities: list
      x-jaccount-paging: {style: first-offset, maxPageSize: 200}
      security: [{auth: [basic]}]
      parameters:
        - {name: first, in: query, schema: {type: integer}}
        - {name: offset, in: query, schema: {type: integer}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: "#/components/schemas/ThingList"}
              example: {"errno": 0, "error": "success", "total": 0, "entities": []}
`, 1)
	return strings.Replace(spec, "tags:\n", "tags:\n  - {name: records, description: Records.}\n", 1)
}

// TestLoadServers: an operation on a path with its own server goes to that
// server's client, with its own services; the others stay on the default.
func TestLoadServers(t *testing.T) {
	t.Parallel()
	a, err := Load([]byte(multiServer(t)))
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Servers) != 2 {
		t.Fatalf("%d servers, want 2", len(a.Servers))
	}
	def, data := a.Servers[0], a.Servers[1]
	if !def.Default || def.Client != "Client" || def.URL != "https://api.example.invalid" || def.Key() != "" || def.ServiceType() != "service" {
		t.Errorf("default server %+v", def)
	}
	if data.Default || data.Client != "DataClient" || data.URL != "https://data.example.invalid" || data.Doc != "Data." ||
		data.Key() != "data" || data.Prefix() != "Data" || data.ServiceType() != "dataService" ||
		data.Constructor() != "NewDataClient" || data.Option() != "WithDataBaseURL" || data.DefaultConst() != "DefaultDataBaseURL" {
		t.Errorf("data server %+v", data)
	}
	if len(def.Services) != 1 || def.Services[0].Name != "Things" || len(data.Services) != 1 || data.Services[0].Name != "Records" {
		t.Errorf("services: default %v, data %v", def.Services, data.Services)
	}
	for _, op := range a.Ops {
		if want := map[string]*Server{"getThing": def, "listRecords": data}[op.ID]; op.Server != want || op.Service.Server != want {
			t.Errorf("%s goes to %+v, want %+v", op.ID, op.Server, want)
		}
	}
	names := GeneratedNames(a)
	for _, n := range []string{"DataClient", "dataService", "NewDataClient", "WithDataBaseURL", "DefaultDataBaseURL", "RecordsService"} {
		if !slices.Contains(names, n) {
			t.Errorf("GeneratedNames lacks %s", n)
		}
	}
}

// TestLoadServersRejects: the mistakes of multi-server specs.
func TestLoadServersRejects(t *testing.T) {
	t.Parallel()
	checkRejects(t, multiServer(t), []mutation{
		{"tag on two servers", "      tags: [records]", "      tags: [things]", "go to two servers"},
		{"one URL, two clients", "  /v1/things/{id}:\n", "  /v1/things/{id}:\n    servers: [{url: \"https://data.example.invalid\", x-jaccount-client: OtherClient}]\n", `x-jaccount-client is "OtherClient", elsewhere "DataClient"`},
		{"two URLs, one client", "  /v1/things/{id}:\n", "  /v1/things/{id}:\n    servers: [{url: \"https://other.example.invalid\", x-jaccount-client: DataClient}]\n", "are both called DataClient"},
		{"client on the top-level server", `servers: [{url: "https://api.example.invalid"}]`, `servers: [{url: "https://api.example.invalid", x-jaccount-client: MainClient}]`, "always Client"},
	})
}

// multipartSpec is minimal.yaml with PUT /v1/things, whose body is
// multipart/form-data: a file part with its own content type, and fields.
func multipartSpec(t *testing.T) string {
	t.Helper()
	base, err := os.ReadFile("testdata/minimal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return strings.Replace(string(base), "paths:\n", `paths:
  /v1/things:
    put:
      operationId: uploadThing
      tags: [things]
      summary: Upload a thing
      externalDocs: {url: "https://docs.example.invalid/things"}
      x-jaccount-entities: list
      security: [{auth: [basic]}]
      requestBody:
        required: true
        description: The thing.
        content:
          multipart/form-data:
            schema:
              type: object
              required: [image, title]
              properties:
                image: {type: string, format: binary, description: The image.}
                title: {type: string}
                count: {type: integer, format: int64}
                public: {type: boolean}
            encoding:
              image: {contentType: image/png}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: "#/components/schemas/ThingList"}
              example: {"errno": 0, "error": "success", "total": 0, "entities": []}
`, 1)
}

// TestLoadMultipart: a multipart/form-data body becomes a body struct with
// a field per part, file parts being streamed readers.
func TestLoadMultipart(t *testing.T) {
	t.Parallel()
	a, err := Load([]byte(multipartSpec(t)))
	if err != nil {
		t.Fatal(err)
	}
	var op *Op
	for _, o := range a.Ops {
		if o.ID == "uploadThing" {
			op = o
		}
	}
	if op == nil || op.Body == nil || op.Body.Kind != BodyMultipart || op.BodyType() != "ThingsUploadBody" {
		t.Fatalf("uploadThing: %+v", op)
	}
	var got []string
	for _, p := range op.Body.Parts {
		got = append(got, fmt.Sprintf("%s:%s:%s:%v:%v:%s", p.Name, p.GoName, p.Kind, p.File, p.Required, p.ContentType))
	}
	want := []string{"count:Count:int64:false:false:", "image:Image::true:true:image/png", "public:Public:bool:false:false:",
		"title:Title:string:false:true:"}
	if !slices.Equal(got, want) {
		t.Errorf("parts %v, want %v", got, want)
	}
	files, err := Render(a)
	if err != nil {
		t.Fatal(err)
	}
	src := string(files["api/operations.gen.go"])
	for _, s := range []string{
		"type ThingsUploadBody struct {", "\tImage io.Reader\n", "\tImageName string\n", "\tImageContentType string\n",
		"\tPublic *bool\n", "\tCount int64\n", "\tTitle string\n",
		"func (s *ThingsService) Upload(ctx context.Context, body ThingsUploadBody, opts ...CallOption) (*List[Thing], error) {",
		`f := multipartForm{method: "Things.Upload"}`, `f.field("count", body.Count, body.Count != 0)`, `f.field("public", body.Public, body.Public != nil)`,
		`f.field("title", body.Title, true)`, `f.file("image", body.Image, body.ImageName, body.ImageContentType, "image/png", true)`,
		"b, err := f.body()",
	} {
		if !strings.Contains(src, s) {
			t.Errorf("api/operations.gen.go lacks %q", s)
		}
	}
	if routes := string(files["jaccounttest/routes.gen.go"]); !strings.Contains(routes,
		`form:     []formPart{{name: "count", kind: "int64", required: false}, {name: "image", kind: "file", required: true}, {name: "public", kind: "bool", required: false}, {name: "title", kind: "string", required: true}},`) {
		t.Errorf("jaccounttest/routes.gen.go lacks the form's parts:\n%s", routes)
	}
}

func TestLoadMultipartRejects(t *testing.T) {
	t.Parallel()
	checkRejects(t, multipartSpec(t), []mutation{
		{"object part", "count: {type: integer, format: int64}", "count: {type: object}", "a part must be a binary string"},
		{"several content types", "contentType: image/png", "contentType: \"image/png, image/jpeg\"", "give one content type"},
		{"encoding of no part", "image: {contentType: image/png}", "picture: {contentType: image/png}", "encoding names picture"},
		{"referenced schema", "          multipart/form-data:\n            schema:\n", "          multipart/form-data:\n            schema:\n              $ref: \"#/components/schemas/Thing\"\n            x-unused:\n", "must be inline"},
		{"name clash", "public: {type: boolean}", "public: {type: boolean}\n                imageName: {type: string}", "both need the Go field ImageName"},
	})
}
