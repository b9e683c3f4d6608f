package apigen

import (
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
			"func (s *ThingsService) Get(ctx context.Context, id string, p ThingsGetParams) (*Thing, error) {",
			`checkString("Things.Get", "id", id, 1, nil)`,
			`q = q.time("since", p.Since, timeEpochSeconds, false)`,
			`return callOne[Thing](ctx, s.c, http.MethodGet, "/v1/things/"+pathString(id), q.encode(), nil)`,
			"// Since is sent as since, written as epoch seconds.",
		},
		"api/client.gen.go":          {"Things *ThingsService", "c.Things = (*ThingsService)(&c.common)"},
		"api/paths.gen.go":           {`PathThingsGet = "/v1/things/{id}" // GET, Things.Get (getThing)`},
		"api/scopes.gen.go":          {`ScopeOpenID Scope = "openid"`, "{0, []GrantType{GrantAuthorizationCode, GrantClientCredentials}}"},
		"api/errnos.gen.go":          {"ErrnoBadParameters Errno = 10001", `return "BAD_PARAMETERS"`},
		"api/models.gen.go":          {"type Thing = gen.Thing"},
		"jaccounttest/routes.gen.go": {`id:       "getThing"`, `security: [][]string{{"basic"}}`, `\"name\":\"a\"`},
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

func TestComment(t *testing.T) {
	t.Parallel()
	got := comment("A **bold** start.\n\n" + strings.Repeat("word ", 30))
	want := "// A bold start.\n//\n// " + strings.TrimSpace(strings.Repeat("word ", 19)) + "\n// " + strings.TrimSpace(strings.Repeat("word ", 11))
	if got != want {
		t.Errorf("comment:\n%s\nwant\n%s", got, want)
	}
}
