package apigen

import (
	"os"
	"strings"
	"testing"
)

// TestSurveyMark: x-jaccount-survey marks a GET safe to call for a shape
// report (true) or says why it never is (a text); the generator refuses it
// on any other method, true on a file or image download, and false, an
// empty text or another type; the CLI's operation table carries it.
func TestSurveyMark(t *testing.T) {
	t.Parallel()
	base, err := os.ReadFile("testdata/minimal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, method, mark, refusal string
		survey                      bool
		never                       string
	}{
		{name: "GET unmarked", method: "get"},
		{name: "GET true", method: "get", mark: "true", survey: true},
		{name: "GET text", method: "get", mark: `"it returns a credential"`, never: "it returns a credential"},
		{name: "GET false", method: "get", mark: "false", refusal: "say why the operation is never surveyed"},
		{name: "GET empty", method: "get", mark: `""`, refusal: "x-jaccount-survey is empty"},
		{name: "GET number", method: "get", mark: "1", refusal: "must be true or a text"},
		{name: "POST true", method: "post", mark: "true", refusal: "x-jaccount-survey on a POST: only GET operations"},
		{name: "DELETE text", method: "delete", mark: `"no"`, refusal: "x-jaccount-survey on a DELETE"},
		{name: "PUT unmarked", method: "put"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			spec := strings.Replace(string(base), "    get:\n", "    "+tc.method+":\n", 1)
			if tc.mark != "" {
				spec = strings.Replace(spec, "      x-jaccount-entities: single\n", "      x-jaccount-entities: single\n      x-jaccount-survey: "+tc.mark+"\n", 1)
			}
			a, err := Load([]byte(spec))
			if tc.refusal != "" {
				if err == nil || !strings.Contains(err.Error(), tc.refusal) {
					t.Fatalf("Load: %v, want an error saying %q", err, tc.refusal)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			op := a.Ops[0]
			if op.Survey != tc.survey || op.NotSurveyed != tc.never {
				t.Fatalf("Survey %v, NotSurveyed %q; want %v, %q", op.Survey, op.NotSurveyed, tc.survey, tc.never)
			}
			files, err := Render(a)
			if err != nil {
				t.Fatal(err)
			}
			cli := string(files["cmd/jaccount/internal/cli/commands.gen.go"])
			if strings.Contains(cli, "survey: true") != tc.survey || strings.Contains(cli, "notSurveyed: ") != (tc.never != "") {
				t.Errorf("the CLI's table does not carry the mark:\n%s", cli)
			}
		})
	}
}

// TestSurveyRawRefused: a download (x-jaccount-entities: raw) is never
// marked safe to survey.
func TestSurveyRawRefused(t *testing.T) {
	t.Parallel()
	spec, err := os.ReadFile("../../openapi/jaccount.yaml")
	if err != nil {
		t.Fatal(err)
	}
	const mark = "      x-jaccount-survey: \"it downloads a file: a binary reply, no shape to report\"\n"
	if !strings.Contains(string(spec), mark) {
		t.Fatalf("the spec no longer says why downloadFile is not surveyed (%q)", mark)
	}
	_, err = Load([]byte(strings.Replace(string(spec), mark, "      x-jaccount-survey: true\n", 1)))
	if err == nil || !strings.Contains(err.Error(), "a binary download is never surveyed") {
		t.Fatalf("Load: %v, want the refusal of a surveyed download", err)
	}
}

// TestRealSpecSurvey: every GET of the spec states whether it is surveyed,
// and none that is returns a credential the way the excluded ones do.
func TestRealSpecSurvey(t *testing.T) {
	t.Parallel()
	a := loadFile(t, "../../openapi/jaccount.yaml")
	surveyed := 0
	for _, op := range a.Ops {
		if op.Method != "GET" {
			continue
		}
		if !op.Survey && op.NotSurveyed == "" {
			t.Errorf("%s (%s) does not say whether it is surveyed (x-jaccount-survey)", op.ID, op.Path)
		}
		if op.Survey {
			surveyed++
		}
	}
	for _, id := range []string{"getUnicodePay", "getUnicodeIdentity", "getFileEdit", "getFilePreview", "downloadFile"} {
		for _, op := range a.Ops {
			if op.ID == id && op.Survey {
				t.Errorf("%s is marked safe to survey", id)
			}
		}
	}
	t.Logf("%d GET operations surveyed", surveyed)
}
