package apigen

import (
	"os"
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
		"getMyProfile": "Profile.Get", "getUserPositions": "Enterprise.GetUserPositions",
		"getUserRights": "Enterprise.GetUserRights", "listMyLessons": "Lessons.List",
		"listMyLessonsBySemester": "Lessons.ListBySemester", "getLesson": "Lessons.Get",
		"listMyExaminations": "Examinations.List", "getMyCard": "Card.Get",
		"listMyCardTransactions": "Card.ListTransactions",
	}
	if len(byID) != len(want) {
		t.Errorf("%d operations, want %d", len(byID), len(want))
	}
	for id, name := range want {
		op := byID[id]
		if op == nil || op.Service.Name+"."+op.Name != name {
			t.Errorf("%s: %+v, want %s", id, op, name)
		}
	}
	tx := byID["listMyCardTransactions"]
	if tx.Paging == nil || tx.Paging.Style != PagingToken || tx.Paging.Token != "nextToken" || tx.Aliases.Params != "TransactionsParams" {
		t.Errorf("transactions paging %+v aliases %+v", tx.Paging, tx.Aliases)
	}
	if len(a.Scopes) != 40 {
		t.Errorf("%d scopes, want the 40 of the registry", len(a.Scopes))
	}
	if a.OpenEnums[0] != "UserType" {
		t.Errorf("open enums = %v", a.OpenEnums)
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
	tests := []struct {
		name, old, new, want string
	}{
		{"no entities kind", "      x-jaccount-entities: single\n", "", "x-jaccount-entities is missing"},
		{"bad entities kind", "x-jaccount-entities: single", "x-jaccount-entities: many", `want single, list or none`},
		{"no example", `              example: {"errno": 0, "error": "success", "total": 0, "entities": [{"name": "a"}]}` + "\n", "", "no example"},
		{"example not success", `example: {"errno": 0,`, `example: {"errno": 5,`, "not a successful envelope"},
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
		{"header parameter", "{name: since, in: query,", "{name: since, in: header,", "header parameters are not supported"},
		{"iterator alias without paging", "x-jaccount-entities: single", "x-jaccount-entities: single\n      x-jaccount-aliases: {iterator: All}", "does not page"},
		{"second server", `servers: [{url: "https://api.example.invalid"}]`, `servers: [{url: "https://api.example.invalid"}, {url: "https://b.example.invalid"}]`, "exactly one server"},
		{"invalid example", `"entities": [{"name": "a"}]}`, `"entities": [{"name": 7}]}`, "does not validate"},
		{"errno twice", "x-jaccount-errnos:\n", "x-jaccount-errnos:\n  - {errno: 10001, name: BAD_PARAMETERS}\n", "listed twice"},
		{"shared bit", "  - {name: basic, bit: 0,", "  - {name: openid2, bit: 0}\n  - {name: basic, bit: 0,", "share bit 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			spec := strings.Replace(string(base), tt.old, tt.new, 1)
			if spec == string(base) {
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
