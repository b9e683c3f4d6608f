package cli

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/oauth-jaccount/jaccount-go/api"
	"github.com/oauth-jaccount/jaccount-go/gen"
	"github.com/oauth-jaccount/jaccount-go/jaccounttest"
)

// dataLogin is the login the data resources' commands need.
var dataLogin = []string{"login", "--client-credentials", "--scopes", "exchange_data"}

// dataRequests counts the requests the fake answered on path with status.
func dataRequests(fake *jaccounttest.Server, path string, status int) int {
	n := 0
	for _, r := range fake.Requests() {
		if r.Path == path && r.Status == status {
			n++
		}
	}
	return n
}

// jsonLines decodes one JSON object per line.
func jsonLines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var recs []map[string]any
	for line := range strings.Lines(out) {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("%v: %q", err, line)
		}
		recs = append(recs, m)
	}
	return recs
}

// updatedSince counts the default students updated at or after since.
func updatedSince(since time.Time) int {
	n := 0
	for _, r := range jaccounttest.DefaultStudents() {
		if !r.Updated.Before(since) {
			n++
		}
	}
	return n
}

// TestDataCommands runs the data resources' commands against the fake with
// the application's login: every page is walked, --updated-since filters,
// --limit stops early, and the iterator keeps to the documented page size.
func TestDataCommands(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.mustRun(dataLogin...)

	// 250 students in pages of 200, the most the server takes: the
	// iterator asks for that much, never more (a larger offset is a 400).
	r := h.mustRun("students", "list", "--format", "jsonl")
	recs := jsonLines(t, r.stdout)
	if len(recs) != jaccounttest.DefaultStudentCount {
		t.Errorf("students list: %d records, want %d", len(recs), jaccounttest.DefaultStudentCount)
	}
	seen := map[any]bool{}
	for _, rec := range recs {
		seen[rec["accountNo"]] = true
	}
	if len(seen) != len(recs) || !seen[jaccounttest.StudentUsername] {
		t.Errorf("students list: %d distinct accounts of %d, %s among them: %v", len(seen), len(recs), jaccounttest.StudentUsername, seen[jaccounttest.StudentUsername])
	}
	if ok, bad := dataRequests(h.fake, api.PathStudentsList, 200), dataRequests(h.fake, api.PathStudentsList, 400); ok != 2 || bad != 0 {
		t.Errorf("students list: %d pages (%d refused), want 2 pages of at most %d", ok, bad, jaccounttest.DataMaxPageSize)
	}

	// --limit reads one page.
	h.fake.ResetRequests()
	if r := h.mustRun("students", "list", "--limit", "5", "--format", "jsonl"); strings.Count(r.stdout, "\n") != 5 {
		t.Errorf("--limit 5: %s", r)
	}
	if n := dataRequests(h.fake, api.PathStudentsList, 200); n != 1 {
		t.Errorf("--limit 5 read %d pages, want 1", n)
	}

	// --updated-since: a date is its midnight in China Standard Time.
	since := time.Date(2026, 9, 2, 0, 0, 0, 0, time.FixedZone("CST", 8*3600))
	want := updatedSince(since)
	if want == 0 || want == jaccounttest.DefaultStudentCount {
		t.Fatalf("the fixtures do not straddle %v", since)
	}
	r = h.mustRun("students", "list", "--updated-since", "2026-09-02", "--format", "csv")
	rows, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
	if err != nil || len(rows) != want+1 || rows[0][0] != "accountNo" {
		t.Errorf("--updated-since 2026-09-02: %d rows, want %d and a header: %v\n%s", len(rows), want+1, err, r)
	}

	// A record changed now is all that a sync from a minute ago fetches
	// (with the fixtures updated since, if the clock is before them).
	if !h.fake.UpdateStudent("stu0042", func(s *gen.DataStudent) { s.Email = "new@sjtu.edu.cn" }) {
		t.Fatal("no stu0042")
	}
	from := time.Now().Add(-time.Minute)
	r = h.mustRun("students", "list", "--updated-since", from.Format(time.RFC3339), "--format", "jsonl")
	recs = jsonLines(t, r.stdout)
	if len(recs) != 1+updatedSince(from) || !strings.Contains(r.stdout, `"accountNo":"stu0042"`) || !strings.Contains(r.stdout, "new@sjtu.edu.cn") {
		t.Errorf("--updated-since a minute ago: %d records, want stu0042 and %d others:\n%s", len(recs), updatedSince(from), r)
	}

	// The other families, and a filter by a flag named after its Go name.
	if r := h.mustRun("faculty", "list", "--format", "jsonl"); strings.Count(r.stdout, "\n") != jaccounttest.DefaultFacultyCount {
		t.Errorf("faculty list: %s", r)
	}
	if r := h.mustRun("accounts", "list", "--account-no", jaccounttest.StudentUsername, "--format", "json"); !strings.Contains(r.stdout, `"displayName": "张三"`) {
		t.Errorf("accounts list --account-no: %s", r)
	}
	if r := h.mustRun("students", "list", "--student-no", "523030910001", "--format", "jsonl"); strings.Count(r.stdout, "\n") != 1 || !strings.Contains(r.stdout, jaccounttest.StudentUsername) {
		t.Errorf("students list --student-no: %s", r)
	}
	if r := h.mustRun("papers", "list", "--format", "jsonl"); r.stdout != "" {
		t.Errorf("papers list (the fake has none): %s", r)
	}

	// jaccount api knows which server each operation is on.
	for _, args := range [][]string{
		{"api", "listStudents", "-f", "accountNo=" + jaccounttest.StudentUsername},
		{"api", "/v1/stu/profile?accountNo=" + jaccounttest.StudentUsername},
		{"api", "--data", "/v1/stu/profile", "-f", "accountNo=" + jaccounttest.StudentUsername},
	} {
		r := h.mustRun(args...)
		var got []gen.DataStudent
		if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || len(got) != 1 || got[0].Xm != "张三" {
			t.Errorf("%v: %v\n%s", args, err, r)
		}
	}
	if r := h.mustRun("api", "/v1/faculty/profile", "--raw"); !strings.HasPrefix(r.stdout, `{"errno":0`) {
		t.Errorf("api --raw on the data server: %s", r)
	}
	// The iterator never asks for more than 200; a raw call can, and the
	// server's refusal is an API error.
	if r := h.run("api", "listStudents", "-f", "offset=500"); r.code != ExitAPI || !strings.Contains(r.stderr, "10001") || strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("offset 500: %s", r)
	}
	for _, args := range [][]string{
		{"api", "--data", "getMyProfile"},   // an open-API operation
		{"api", "--data", "/v1/me/profile"}, // a path the data server does not have: sent there all the same
	} {
		r := h.run(args...)
		if want := map[bool]int{true: ExitUsage, false: ExitAPI}[args[2] == "getMyProfile"]; r.code != want {
			t.Errorf("%v: want exit %d, got %s", args, want, r)
		}
	}
}

// TestDataLogin: the data resources need the application's login with
// exchange_data. Any other login is refused before anything is sent, with
// exit code 3 and the login to run; a refusal by the server of a login that
// asked for the scope is an API error (exit 4): a new login would not cure
// it.
func TestDataLogin(t *testing.T) {
	t.Parallel()
	const hint = "run `jaccount login --client-credentials --scopes exchange_data`"
	h := newHarness(t)
	check := func(what string, r result, code int, want ...string) {
		t.Helper()
		if r.code != code || strings.Count(r.stderr, "\n") != 1 || r.stdout != "" {
			t.Errorf("%s: want exit %d and one line, got %s", what, code, r)
		}
		for _, w := range want {
			if !strings.Contains(r.stderr, w) {
				t.Errorf("%s: stderr lacks %q: %s", what, w, r.stderr)
			}
		}
	}
	check("not logged in", h.run("students", "list"), ExitLogin, "not logged in", hint)

	h.mustRun("login") // the fixture student
	// The hint keeps the user's login: the application's goes beside it.
	const beside = "run `jaccount login --profile app --client-credentials --scopes exchange_data`, then add --profile app"
	check("a user's login", h.run("students", "list"), ExitLogin, "`jaccount students list` needs the application's client-credentials login with scope exchange_data", "holds a user's login", beside)
	check("a user's login, jaccount api", h.run("api", "listFaculty"), ExitLogin, "`jaccount faculty list` needs", beside)
	check("a user's login, a data path", h.run("api", "--data", "/v1/asset/info"), ExitLogin, "/v1/asset/info needs", beside)
	if n := dataRequests(h.fake, api.PathStudentsList, 403) + dataRequests(h.fake, api.PathStudentsList, 200); n != 0 {
		t.Errorf("%d requests reached the data server with a user's token", n)
	}

	h.mustRun("login", "--client-credentials")
	check("a client login with no scope", h.run("students", "list"), ExitLogin, "was logged in with no scope", hint)
	h.mustRun("login", "--client-credentials", "--scopes", "basic")
	check("a client login with another scope", h.run("accounts", "list"), ExitLogin, "was logged in with scopes basic", hint)

	h.mustRun(dataLogin...)
	check("a user's operation with the application's login", h.run("profile", "get"), ExitLogin,
		"`jaccount profile get` needs a user's login", "run `jaccount login`")
	h.mustRun("students", "list", "--limit", "1")

	// The server refuses the scope all the same (the application was not
	// granted it): errno 10010, an API error.
	h.fake.Inject(jaccounttest.Errno(10010, "SCOPE_FAILED").OnPath(api.PathStudentsList).Times(1))
	check("the server refuses", h.run("students", "list", "--format", "jsonl"), ExitAPI, "10010")

	// Another profile is named in the hint.
	check("another profile", h.run("--profile", "data", "faculty", "list"), ExitLogin,
		"run `jaccount login --profile data --client-credentials --scopes exchange_data`")
	h.mustRun(append([]string{"--profile", "data"}, dataLogin...)...)
	h.mustRun("--profile", "data", "faculty", "list", "--limit", "1")
}

// TestFakeData: --fake logs in as the operation needs, with no
// configuration: as the application where no user can call it.
func TestFakeData(t *testing.T) {
	t.Parallel()
	h := &harness{t: t, dir: t.TempDir(), vars: map[string]string{}}
	h.vars[EnvConfigDir] = h.dir

	r := h.mustRun("--fake", "students", "list", "--format", "csv")
	rows, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
	if err != nil || len(rows) != jaccounttest.DefaultStudentCount+1 || rows[0][0] != "accountNo" || r.stderr != "" {
		t.Errorf("--fake students list: %d rows, %v\n%s", len(rows), err, r)
	}
	if r := h.mustRun("--fake", "api", "listAccounts", "-f", "accountNo="+jaccounttest.StudentUsername); !strings.Contains(r.stdout, `"relationList"`) {
		t.Errorf("--fake api listAccounts: %s", r)
	}
	// A user's operation in the same way still logs the student in.
	r = h.mustRun("--fake", "whoami", "--format", "json")
	var w whoami
	if err := json.Unmarshal([]byte(r.stdout), &w); err != nil || w.Grant != grantAuthCode || w.Claims == nil || w.Claims.Subject != jaccounttest.StudentUsername {
		t.Errorf("--fake whoami: %v\n%s", err, r)
	}
	// So does one whose scope the default login does not ask for (scores),
	// and one no user can call (findCards: client credentials, card_info).
	h.mustRun("--fake", "gpa")
	h.mustRun("--fake", "card", "find")
	c := configOf(t, h, "--fake")
	if got := c["data_url"]; !strings.HasPrefix(got.Value, "http://127.0.0.1:") || got.Source != "fake" {
		t.Errorf("--fake config data_url = %+v", got)
	}
	if entries, _ := readDirNames(h.dir); len(entries) != 0 {
		t.Errorf("--fake wrote %q to the configuration directory", entries)
	}
}

// TestDataProgress: the data commands stream with the progress display of
// the others: on a terminal's stderr only, while stdout is not one.
func TestDataProgress(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.mustRun(dataLogin...)
	h.stderrTTY = true
	r := h.mustRun("students", "list", "--format", "csv")
	if !strings.Contains(r.stderr, "students list") || strings.Count(r.stdout, "\n") != jaccounttest.DefaultStudentCount+1 {
		t.Errorf("progress: %s", r)
	}
	// A first page slower than the spinner's tick (100 ms): the bar is
	// already drawn (under -race, this was a data race in the bar).
	h.fake.Inject(jaccounttest.Latency(300 * time.Millisecond).OnPath(api.PathStudentsList).Times(1))
	if r := h.mustRun("students", "list", "--limit", "3", "--format", "csv"); !strings.Contains(r.stderr, "students list") {
		t.Errorf("progress of a slow first page: %s", r)
	}
	h.stderrTTY, h.stdoutTTY = true, true
	if r := h.mustRun("students", "list", "--limit", "3"); r.stderr != "" {
		t.Errorf("progress with rows on the terminal: %q", r.stderr)
	}
}

// TestCheckLogin: which saved logins an operation's security lets through,
// and the login the refusal asks for.
func TestCheckLogin(t *testing.T) {
	t.Parallel()
	user := requirement{grants: []string{grantAuthCode}, scopes: []string{"basic"}}
	client := func(scopes ...string) requirement {
		return requirement{grants: []string{grantClientCredentials}, scopes: scopes}
	}
	userLogin := &loginInfo{Grant: grantAuthCode, Scopes: []string{"openid"}}
	appLogin := func(scopes ...string) *loginInfo { return &loginInfo{Grant: grantClientCredentials, Scopes: scopes} }
	tests := []struct {
		name     string
		security []requirement
		info     *loginInfo
		want     string // "" for no error, else a part of the message
	}{
		{"no security", nil, appLogin(), ""},
		{"a user's operation, a user's login (its scopes are the server's business)", []requirement{user}, userLogin, ""},
		{"a user's operation, the application's login", []requirement{user}, appLogin("basic"), "needs a user's login, and profile p holds the application's client-credentials login: run `jaccount login --profile p`"},
		{"the application's operation, its login", []requirement{client("exchange_data")}, appLogin("exchange_data", "basic"), ""},
		{"the application's operation, a user's login", []requirement{client("exchange_data")}, userLogin, "holds a user's login: keep it and run `jaccount login --profile app --client-credentials --scopes exchange_data`, then add --profile app"},
		{"the application's operation, a login without its scope", []requirement{client("a", "b")}, appLogin("a"), "needs a client-credentials login with scopes a b, and profile p was logged in with scopes a: run `jaccount login --profile p --client-credentials --scopes a,b`"},
		{"either, a user's login", []requirement{user, client("basic")}, userLogin, ""},
		{"either, the application's login with the scope", []requirement{user, client("basic")}, appLogin("basic"), ""},
		{"either, the application's login without it", []requirement{user, client("basic")}, appLogin(), "with scope basic (or a user's login), and profile p was logged in with no scope: run `jaccount login --profile p --client-credentials --scopes basic`"},
		{"any client login", []requirement{client()}, appLogin(), ""},
		{"the password grant only: the server's business", []requirement{{grants: []string{"password"}, scopes: []string{"send_mail"}}}, userLogin, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := checkLogin(&operation{id: "op", security: tt.security}, tt.info, "p")
			var le *loginError
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tt.want != "" && (!errors.As(err, &le) || !strings.Contains(err.Error(), tt.want) || exitCodeOf(err) != ExitLogin):
				t.Errorf("got %v, want a login error with %q", err, tt.want)
			}
		})
	}
}

// TestOperationTable: every generated command names its operation
// (annOperation), which the operations table has, with the command's path;
// and its help names the login that the CLI asks for when no user can call
// it (apigen's LoginFlags and loginFlags agree).
func TestOperationTable(t *testing.T) {
	t.Parallel()
	root := (&app{env: &Env{}}).rootCommand()
	root.InitDefaultCompletionCmd()
	n := 0
	for _, path := range commandPaths() {
		cmd, _, err := root.Find(path)
		if err != nil {
			t.Fatal(err)
		}
		id := cmd.Annotations[annOperation]
		if id == "" {
			continue
		}
		n++
		op := operationByID(id)
		if op == nil || op.command != strings.Join(path, " ") {
			t.Errorf("%v: operation %s is %+v", path, id, op)
			continue
		}
		flags := op.loginFlags()
		says := strings.Contains(cmd.Long, "No user can call it")
		if says != (flags != "") || (says && !strings.Contains(cmd.Long, "`jaccount login "+flags+"`")) {
			t.Errorf("%v: login flags %q, help:\n%s", path, flags, cmd.Long)
		}
	}
	if n < 40 {
		t.Errorf("only %d commands name an operation", n)
	}
}
