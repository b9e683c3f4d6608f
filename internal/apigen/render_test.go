package apigen

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

func TestRenderMinimal(t *testing.T) {
	t.Parallel()
	a := loadFile(t, "testdata/minimal.yaml")
	files, err := Render(a)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(Outputs) {
		t.Errorf("%d files, want %d", len(files), len(Outputs))
	}
	generated := regexp.MustCompile(`(?m)^// Code generated .* DO NOT EDIT\.$`)
	for name, src := range files {
		if !generated.Match(src) || !strings.HasPrefix(string(src), Header) {
			t.Errorf("%s lacks the generated-code header", name)
		}
	}
	want := map[string][]string{
		"api/operations.gen.go": {
			"// Get gets a thing.",
			"// Scopes: basic. Grant: authorization code. Operation getThing: GET /v1/things/{id}.",
			"// Documentation: https://docs.example.invalid/things",
			"func (s *ThingsService) Get(ctx context.Context, id string, p ThingsGetParams, opts ...CallOption) (*Thing, error) {",
			`checkString("Things.Get", "id", id, 1, nil)`,
			`q = q.time("since", p.Since, timeEpochSeconds, false)`,
			`return callOne[Thing](ctx, &s.c.core, http.MethodGet, idempotent, "/v1/things/"+pathString(id), q.encode(), nil, opts)`,
			"// Since is sent as since, written as epoch seconds.",
		},
		"api/client.gen.go":          {"Things *ThingsService", "c.Things = (*ThingsService)(&c.common)"},
		"api/paths.gen.go":           {`PathThingsGet = "/v1/things/{id}" // GET, Things.Get (getThing)`},
		"api/scopes.gen.go":          {`ScopeOpenID Scope = "openid"`, "{0, []GrantType{GrantAuthorizationCode, GrantClientCredentials}}"},
		"api/errnos.gen.go":          {"ErrnoBadParameters Errno = 10001", `return "BAD_PARAMETERS"`},
		"api/models.gen.go":          {"type Thing = gen.Thing"},
		"jaccounttest/routes.gen.go": {`id:       "getThing"`, `security: []requirement{{scheme: "auth", grants: []string{"authorization_code"}, scopes: []string{"basic"}}}`, `\"name\":\"a\"`},
	}
	for name, snippets := range want {
		for _, s := range snippets {
			if !strings.Contains(string(files[name]), s) {
				t.Errorf("%s lacks %q:\n%s", name, s, files[name])
			}
		}
	}
	if strings.Contains(string(files["api/models.gen.go"]), "ThingList") || strings.Contains(string(files["api/models.gen.go"]), "Envelope") {
		t.Error("api aliases an envelope type")
	}
}

// TestRenderCLITimes: the CLI's commands.gen.go tells its output the unit
// of each model field that holds a time (x-jaccount-time), by model and
// member, and imports gen only when there is one.
func TestRenderCLITimes(t *testing.T) {
	t.Parallel()
	const cli = "cmd/jaccount/internal/cli/commands.gen.go"
	spec, err := os.ReadFile("testdata/minimal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	timed := strings.Replace(string(spec), "properties: {name: {type: string, description: The thing's name.}}",
		"properties: {name: {type: string, description: The thing's name.}, created: {type: integer, format: int64, x-jaccount-time: epoch-millis, description: When it was made.}, "+
			"due: {type: string, x-jaccount-time: date, description: When it is due.}}", 1)
	for _, tt := range []struct {
		name, spec string
		want, not  []string
	}{
		{"no times", string(spec),
			[]string{"var timeFields = map[reflect.Type]map[string]timeUnit{}"}, []string{`"github.com/oauth-jaccount/jaccount-go/gen"`}},
		{"a model with times", timed, []string{
			`"github.com/oauth-jaccount/jaccount-go/gen"`,
			"var timeFields = map[reflect.Type]map[string]timeUnit{\n\treflect.TypeFor[gen.Thing](): {\"created\": timeEpochMillis, \"due\": timeDate},\n}",
		}, nil},
	} {
		a, err := Load([]byte(tt.spec))
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		files, err := Render(a)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		src := string(files[cli])
		for _, w := range tt.want {
			if !strings.Contains(src, w) {
				t.Errorf("%s: %s lacks %q:\n%s", tt.name, cli, w, src[:min(len(src), 1500)])
			}
		}
		for _, w := range tt.not {
			if strings.Contains(src, w) {
				t.Errorf("%s: %s has %q", tt.name, cli, w)
			}
		}
		if tt.spec == timed && !strings.Contains(string(files["gen/times.gen.go"]), "func (v Thing) CreatedAt() (t time.Time, ok bool) {") {
			t.Errorf("%s: gen/times.gen.go lacks Thing.CreatedAt", tt.name)
		}
	}
}

func TestComment(t *testing.T) {
	t.Parallel()
	got := comment("A **bold** start.\n\n" + strings.Repeat("word ", 30))
	want := "// A bold start.\n//\n// " + strings.TrimSpace(strings.Repeat("word ", 19)) + "\n// " + strings.TrimSpace(strings.Repeat("word ", 11))
	if got != want {
		t.Errorf("comment:\n%s\nwant\n%s", got, want)
	}
}

// TestRenderServers: a second server gets a client of its own, generated
// whole, its services point at it, and the fake's table says where each
// operation is served.
func TestRenderServers(t *testing.T) {
	t.Parallel()
	a, err := Load([]byte(multiServer(t)))
	if err != nil {
		t.Fatal(err)
	}
	files, err := Render(a)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"api/client.gen.go": {
			"type Client struct {", "Things *ThingsService", "type service struct{ c *Client }", "type ThingsService service",
			"type DataClient struct {", "Records *RecordsService", "common dataService", "type dataService struct{ c *DataClient }",
			"type RecordsService dataService", "func (c *DataClient) initServices() {", "c.Records = (*RecordsService)(&c.common)",
			`const DefaultDataBaseURL = "https://data.example.invalid"`,
			"func NewDataClient(ts oauth2.TokenSource, opts ...Option) (*DataClient, error) {",
			`co, err := newClientCore("NewDataClient", "DataClient", DefaultDataBaseURL, ts, opts)`,
			`func WithDataBaseURL(u string) Option { return withServerURL("DataClient", u) }`,
			"func (c *DataClient) Do(ctx context.Context, method, path string, query url.Values, body, out any, opts ...CallOption) error {",
		},
		"api/operations.gen.go": {
			"func (s *RecordsService) List(ctx context.Context, p RecordsListParams, opts ...CallOption) (*List[Thing], error) {",
			`return callList[Thing](ctx, &s.c.core, http.MethodGet, idempotent, PathRecordsList, q.encode(), nil, opts)`,
			"Operation listRecords: GET /v1/records on https://data.example.invalid\n// (DataClient).",
			"func (s *RecordsService) ListIter(ctx context.Context, p RecordsListParams, opts ...CallOption) iter.Seq2[Thing, error] {",
		},
		"api/paths.gen.go":           {`// GET, Records.List (listRecords), on DataClient`},
		"jaccounttest/routes.gen.go": {`id:       "listRecords",` + "\n\t\tserver:   \"data\",", `id:       "getThing",` + "\n\t\tserver:   \"\","},
	}
	for name, snippets := range want {
		for _, s := range snippets {
			if !strings.Contains(string(files[name]), s) {
				t.Errorf("%s lacks %q:\n%s", name, s, files[name])
			}
		}
	}
	// With one server, client.gen.go imports nothing: no DataClient.
	one, err := Render(loadFile(t, "testdata/minimal.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if c := string(one["api/client.gen.go"]); strings.Contains(c, "import") || strings.Contains(c, "DataClient") {
		t.Errorf("single-server client.gen.go:\n%s", c)
	}
}
