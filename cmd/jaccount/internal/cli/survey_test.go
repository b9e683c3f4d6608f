package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oauth-jaccount/jaccount-go/internal/shape"
	"github.com/oauth-jaccount/jaccount-go/internal/shape/shapetest"
	"github.com/oauth-jaccount/jaccount-go/jaccounttest"
	"github.com/oauth-jaccount/jaccount-go/openapi"
)

// surveyRuns logs in as the fixture student with every scope a survey
// can use, and as the application with the scopes of every operation only
// it can call, and surveys with both logins: every surveyed operation is
// called by one of them. It returns what both surveys wrote (stdout and
// stderr) and the tokens the two profiles hold afterwards.
func surveyRuns(t *testing.T, h *harness) (out []byte, reports []*shape.Report, tokens []string) {
	t.Helper()
	h.mustRun("login", "--scopes", strings.Join(surveyScopes(), " "))
	var cc []string
	for _, op := range operations {
		if r := op.clientRequirement(); op.survey && !op.userCallable() && r != nil {
			for _, sc := range r.scopes {
				if !slices.Contains(cc, sc) {
					cc = append(cc, sc)
				}
			}
		}
	}
	h.mustRun("login", "--profile", "app", "--client-credentials", "--scopes", strings.Join(cc, ","))
	spec, err := shape.ParseSpec(openapi.Spec)
	if err != nil {
		t.Fatal(err)
	}
	for _, profile := range []string{"default", "app"} {
		r := h.mustRun("--profile", profile, "survey")
		out = append(out, r.stdout+r.stderr...)
		rep, err := spec.Parse([]byte(r.stdout))
		if err != nil {
			t.Fatalf("%s: %v\n%s", profile, err, r)
		}
		reports = append(reports, rep)
		b, err := os.ReadFile(filepath.Join(h.dir, "profiles", profile, "token.json"))
		if err != nil {
			t.Fatal(err)
		}
		var tok struct {
			Access  string `json:"access_token"`
			Refresh string `json:"refresh_token"`
			ID      string `json:"id_token"`
		}
		if err := json.Unmarshal(b, &tok); err != nil {
			t.Fatal(err)
		}
		tokens = append(tokens, tok.Access, tok.Refresh, tok.ID)
	}
	return out, reports, tokens
}

// TestSurveyMarkers plants a unique marker in every value (strings,
// numbers, and in every object keys that are data: digits, a UUID, an
// e-mail address, an account) of every reply the fake serves to two
// surveys, a user's and the application's, and finds none of them in what
// the surveys print: the reports and the differences from the spec. Nor
// does any token of either login appear.
func TestSurveyMarkers(t *testing.T) {
	t.Parallel()
	var m shapetest.Marker
	var mu sync.Mutex
	replies := 0
	h := newHarness(t, jaccounttest.WithReplyFilter(func(op string, _ int, body []byte) []byte {
		marked, ok := m.Plant(body)
		if ok {
			mu.Lock()
			replies++
			mu.Unlock()
		}
		return marked
	}))
	out, reports, tokens := surveyRuns(t, h)
	called := 0
	for _, r := range reports {
		for _, op := range r.Operations {
			if op.Reply != nil {
				called++
			}
		}
	}
	planted := m.Planted()
	found := m.Found(out)
	for _, tok := range tokens {
		if tok != "" && bytes.Contains(out, []byte(tok)) {
			found = append(found, "a token")
		}
	}
	if len(found) > 0 || called < 25 || len(planted) < 500 {
		t.Fatalf("%d operations called, %d markers planted in %d replies, %d found: %v\n%s", called, len(planted), replies, len(found), found, out)
	}
	t.Logf("%d operations called by two surveys; %d markers planted in %d replies; 0 found in %d bytes of output", called, len(planted), replies, len(out))
}

// TestSurveyFixtureValues: with the fake's replies as they are, no value
// of any reply (a name, an account, a code, a card number, a time: every
// string and number but the shortest, errnos aside) is a word of what the
// surveys print:
// of the reports (their member names, types, formats, statuses) or of the
// differences printed. The reports' operation ids and paths, and the
// reasons for skipping, are the spec's words, not the replies'.
func TestSurveyFixtureValues(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	values := map[string]bool{}
	h := newHarness(t, jaccounttest.WithReplyFilter(func(_ string, _ int, body []byte) []byte {
		mu.Lock()
		defer mu.Unlock()
		collectValues(body, values)
		return body
	}))
	out, reports, _ := surveyRuns(t, h)
	words := map[string]bool{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var v any
		if dec.Decode(&v) != nil {
			break // the differences, on stderr, follow the report
		}
		reportWords(v, "", words)
	}
	for _, w := range wordRE.Split(string(out), -1) {
		words[w] = true // every word of the output, the differences included
	}
	// What a report holds by design: the messages the spec knows.
	allowed := map[string]bool{"success": true, "Succeed.": true, "Authentication Failed.": true, reports[0].Date: true}
	mu.Lock()
	defer mu.Unlock()
	var leaked []string
	for v := range values {
		if words[v] && !allowed[v] {
			leaked = append(leaked, v)
		}
	}
	if len(leaked) > 0 || len(values) < 200 {
		t.Fatalf("%d values served, %d words of the output: %q", len(values), len(leaked), leaked)
	}
	t.Logf("%d distinct values served (names, accounts, codes, numbers, times); none is a word of the output", len(values))
}

// wordRE splits text into words: member paths into member names.
var wordRE = regexp.MustCompile(`[\s"{}\[\],:()]+|\.`)

// reportWords adds the words of a decoded report, but for the spec's own:
// operation ids, methods and paths, the tool and the reasons for skipping.
func reportWords(v any, key string, into map[string]bool) {
	switch v := v.(type) {
	case string:
		switch key {
		case "id", "method", "path", "tool", "spec", "skipped":
			return
		case "member":
			for _, w := range wordRE.Split(v, -1) {
				into[w] = true
			}
			return
		}
		into[v] = true
	case json.Number, float64:
		into[fmt.Sprint(v)] = true
	case []any:
		for _, e := range v {
			reportWords(e, key, into)
		}
	case map[string]any:
		for k, e := range v {
			into[k] = true
			if k == "path" && key == "members" {
				k = "member"
			}
			reportWords(e, k, into)
		}
	}
}

// collectValues adds the values of a JSON body, errnos aside: its strings
// of two characters or more and its numbers of three digits or more (the
// output has small counts of its own: "Surveyed 28 operations").
func collectValues(body []byte, into map[string]bool) {
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	var v any
	if d.Decode(&v) != nil {
		return
	}
	var walk func(v any, key string)
	walk = func(v any, key string) {
		switch v := v.(type) {
		case string:
			if len([]rune(v)) >= 2 {
				into[v] = true
			}
		case json.Number:
			if strings.Trim(string(v), "-0.") != "" && len(strings.Trim(string(v), "-.")) >= 3 && key != "errno" {
				into[string(v)] = true
			}
		case []any:
			for _, e := range v {
				walk(e, key)
			}
		case map[string]any:
			for k, e := range v {
				walk(e, k)
			}
		}
	}
	walk(v, "")
}

// TestSurveyFake: `jaccount --fake survey` calls what a user's login may
// and reports the probes as the fake answers them: a refused token is 403
// with errno 10002, a refresh rotates the refresh token and brings no ID
// token; the differences from the spec are on stderr.
func TestSurveyFake(t *testing.T) {
	t.Parallel()
	var stdout, stderr syncBuffer
	env := (&harness{t: t, dir: t.TempDir()}).env(&stdout, &stderr, "--fake", "survey")
	code := Run(t.Context(), env)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	spec, err := shape.ParseSpec(openapi.Spec)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := spec.Parse([]byte(stdout.String()))
	if err != nil {
		t.Fatal(err)
	}
	inv, ref := rep.Probes.InvalidToken, rep.Probes.Refresh
	if !rep.Fake || rep.Login.Grant != grantAuthCode || inv == nil || inv.Status != 403 || *inv.Errno != 10002 ||
		ref == nil || ref.RefreshTokenChanged == nil || !*ref.RefreshTokenChanged || ref.IDToken || ref.Scope != "same" {
		t.Errorf("report: %s", stdout.String())
	}
	byID := map[string]shape.Operation{}
	for _, op := range rep.Operations {
		byID[op.ID] = op
	}
	for id, want := range map[string]string{
		"getMyProfile":            "called",
		"getUserProfile":          "called", // with the user's own id
		"getLesson":               "called", // with a lesson's code
		"listMailsByState":        "called", // the first state
		"listMyLessonsBySemester": "called",
		"getUnicodePay":           shape.SkipNotSurveyed,
		"listStudents":            shape.SkipLogin,
		"createCalendarEvent":     "absent",
	} {
		op, ok := byID[id]
		switch {
		case want == "absent" && ok, want != "absent" && !ok,
			want == "called" && op.Reply == nil,
			want != "called" && want != "absent" && !strings.HasPrefix(op.Skipped, want):
			t.Errorf("%s: %+v, want %s", id, op, want)
		}
	}
	if op := byID["listUnicodeTransactions"]; op.Reply == nil || op.Status != 403 || *op.Errno != 10003 {
		t.Errorf("a 交我办-only operation: %+v", op)
	}
	if !strings.Contains(stderr.String(), "Differences from the spec (") || !strings.Contains(stderr.String(), "read it and attach it to an issue") {
		t.Errorf("stderr: %s", stderr.String())
	}
}

func TestCurrentSemester(t *testing.T) {
	t.Parallel()
	for day, want := range map[string]string{
		"2024-09-01": "2024-2025-1", "2024-12-31": "2024-2025-1", "2025-01-20": "2024-2025-1",
		"2025-02-01": "2024-2025-2", "2025-06-30": "2024-2025-2", "2025-07-01": "2024-2025-3", "2025-08-31": "2024-2025-3",
	} {
		d, _ := time.ParseInLocation("2006-01-02", day, cst)
		if got := currentSemester(d.Add(12 * time.Hour)); got != want {
			t.Errorf("%s: %s, want %s", day, got, want)
		}
	}
}

// TestSurveyOutputFile: --output writes the report to a file and says so;
// without a login, the survey needs one (exit 3).
func TestSurveyOutputFile(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	if r := h.run("survey"); r.code != ExitLogin {
		t.Fatalf("without a login: %s", r)
	}
	h.mustRun("login")
	file := filepath.Join(t.TempDir(), "survey.json")
	r := h.mustRun("survey", "--output", file, "--no-refresh")
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var rep shape.Report
	if err := json.Unmarshal(b, &rep); err != nil || r.stdout != "" || !strings.Contains(r.stderr, "the report is in "+file) ||
		rep.Probes.Refresh != nil || rep.Probes.InvalidToken == nil {
		t.Fatalf("%v: %s\n%s", err, r, b)
	}
	if n := strconv.Itoa(len(rep.Operations)); n == "0" {
		t.Fatal("no operation")
	}
}
