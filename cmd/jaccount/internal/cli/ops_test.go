package cli

import (
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"

	"github.com/oauth-jaccount/jaccount-go/api"
	"github.com/oauth-jaccount/jaccount-go/jaccounttest"
)

// TestFake runs the commands of the examples with --fake: no
// configuration at all, the fixture student logged in automatically.
func TestFake(t *testing.T) {
	t.Parallel()
	h := &harness{t: t, dir: t.TempDir(), vars: map[string]string{}}
	h.vars[EnvConfigDir] = h.dir

	r := h.mustRun("--fake", "whoami", "--format", "json")
	var w whoami
	if err := json.Unmarshal([]byte(r.stdout), &w); err != nil || w.Claims.Subject != jaccounttest.StudentUsername || w.User.Name != "张三" {
		t.Errorf("whoami: %v\n%s", err, r)
	}

	r = h.mustRun("--fake", "api", "/v1/me/profile")
	var p api.Profile
	if err := json.Unmarshal([]byte(r.stdout), &p); err != nil || p.Account != jaccounttest.StudentUsername {
		t.Errorf("api /v1/me/profile: %v\n%s", err, r)
	}

	r = h.mustRun("--fake", "card", "transactions", "--format", "csv")
	recs, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
	if err != nil || len(recs) != 46 || recs[0][0] != "amount" {
		t.Errorf("card transactions: %d records, %v\n%s", len(recs), err, r)
	}
	if r.stderr != "" {
		t.Errorf("stderr not a terminal, yet: %q", r.stderr)
	}

	// Nothing was written to the configuration directory.
	if entries, _ := readDirNames(h.dir); len(entries) != 0 {
		t.Errorf("--fake wrote %q to the configuration directory", entries)
	}
}

// TestOperationCommands runs the generated commands against the fake.
func TestOperationCommands(t *testing.T) {
	t.Parallel()
	h := newHarness(t, jaccounttest.WithPageSize(7))
	h.mustRun("login")
	tests := []struct {
		args  []string
		check func(out string) bool
	}{
		{[]string{"profile", "get", "--format", "json"}, func(o string) bool { return strings.Contains(o, `"account": "zhangsan"`) }},
		{[]string{"card", "get", "--format", "jsonl"}, func(o string) bool {
			return strings.Count(o, "\n") == 1 && strings.Contains(o, `"cardNo":"2023000001"`)
		}},
		{[]string{"card", "transactions", "--format", "jsonl"}, func(o string) bool { return strings.Count(o, "\n") == 45 }},
		{[]string{"card", "transactions", "--format", "jsonl", "--limit", "3"}, func(o string) bool { return strings.Count(o, "\n") == 3 }},
		{[]string{"card", "transactions", "--since", "2026-09-02", "--until", "2026-09-02", "--format", "csv"}, func(o string) bool { return strings.Count(o, "\n") == 4 }},
		{[]string{"lessons", "list", "--format", "json"}, func(o string) bool {
			return strings.Contains(o, "操作系统") && !strings.Contains(o, "计算机组成")
		}},
		{[]string{"lessons", "list", "--semester", jaccounttest.PreviousSemester, "--format", "json"}, func(o string) bool { return strings.Contains(o, "计算机组成") }},
		{[]string{"lessons", "get", "--code", "(2026-2027-1)-CS2501-01", "--format", "table"}, func(o string) bool { return strings.Contains(o, "course.name") }},
		{[]string{"examinations", "list", "--format", "csv"}, func(o string) bool {
			return strings.HasPrefix(o, "courseCode,endTime,location,name,seat,semester,startTime\n")
		}},
		{[]string{"enterprise", "user-rights", "--account", "zhangsan", "--format", "csv"}, func(o string) bool {
			return strings.Contains(o, "\nlibrary.borrow,借阅图书馆的图书,R1101,图书借阅,library,,R1100,图书馆,")
		}},
		{[]string{"enterprise", "user-rights", "--format", "jsonl"}, func(o string) bool { // the user's own (E1)
			return strings.Count(o, "\n") == 2 && strings.Contains(o, `"parent":{"code":"net"`)
		}},
		{[]string{"api", "getLesson", "-f", "code=(2026-2027-1)-CS2501-01"}, func(o string) bool { return strings.HasPrefix(o, "{") && strings.Contains(o, "操作系统") }},
		{[]string{"api", "listMyLessonsBySemester", "-f", "semester=" + jaccounttest.PreviousSemester}, func(o string) bool { return strings.HasPrefix(o, "[") }},
		{[]string{"api", "/v1/me/card/transactions?beginDate=0"}, func(o string) bool { return strings.Count(o, `"merchant"`) == 7 }},
		{[]string{"api", "/v1/me/profile", "--raw"}, func(o string) bool { return strings.HasPrefix(o, `{"errno":0`) }},
	}
	for _, tt := range tests {
		r := h.mustRun(tt.args...)
		if !tt.check(r.stdout) {
			t.Errorf("%v: unexpected output:\n%s", tt.args, r)
		}
	}
	// The pages are walked lazily: --limit 3 reads one page.
	h.fake.ResetRequests()
	h.mustRun("card", "transactions", "--limit", "3")
	if n := len(h.fake.Requests()); n != 1 {
		t.Errorf("--limit 3 sent %d requests, want 1", n)
	}

	for _, tt := range []struct {
		args []string
		code int
	}{
		{[]string{"lessons", "get"}, ExitUsage},                          // required flag
		{[]string{"card", "transactions", "--since", "soon"}, ExitUsage}, // bad time
		{[]string{"api", "getLesson"}, ExitUsage},                        // path parameter missing
		{[]string{"api", "noSuchOperation"}, ExitUsage},
		{[]string{"api", "-f", "novalue", "/v1/me/profile"}, ExitUsage},
		{[]string{"api", "/v1/no/such/path"}, ExitAPI},
		{[]string{"api", "/v1/me/profile/extra", "--raw"}, ExitAPI},
		{[]string{"lessons", "list", "--semester", "2024"}, ExitUsage}, // the SDK's check
	} {
		if r := h.run(tt.args...); r.code != tt.code || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("%v: want exit %d, got %s", tt.args, tt.code, r)
		}
	}
}

// TestProgress draws on a terminal's stderr only, and never on stdout.
func TestProgress(t *testing.T) {
	t.Parallel()
	h := newHarness(t, jaccounttest.WithPageSize(5))
	h.mustRun("login")
	h.stderrTTY = true
	r := h.mustRun("card", "transactions", "--format", "csv")
	if !strings.Contains(r.stderr, "card transactions") || strings.Count(r.stdout, "\n") != 46 {
		t.Errorf("progress: %s", r)
	}
	h.stderrTTY = false
	if r := h.mustRun("card", "transactions", "--format", "csv"); r.stderr != "" {
		t.Errorf("progress without a terminal: %q", r.stderr)
	}
	// Rows on the terminal are their own progress.
	h.stderrTTY, h.stdoutTTY = true, true
	if r := h.mustRun("card", "transactions"); r.stderr != "" {
		t.Errorf("progress with rows on the terminal: %q", r.stderr)
	}
}

// TestCalendarWithoutLogin: the school calendar needs no token (evidence
// E3), so its command runs without a login, sending no credential; with a
// login it sends the login's token. Any other command still needs a login.
func TestCalendarWithoutLogin(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	r := h.mustRun("enterprise", "calendar", "--from", "2026-09-01", "--to", "2026-09-07", "--format", "jsonl")
	if !strings.Contains(r.stdout, `"day":"2000-01-01"`) {
		t.Errorf("calendar without a login:\n%s", r)
	}
	if r := h.run("profile", "get"); r.code != ExitLogin {
		t.Errorf("profile without a login: %s, want exit %d", r, ExitLogin)
	}
	h.mustRun("login")
	h.mustRun("enterprise", "calendar")
	var creds []jaccounttest.Credential
	for _, l := range h.fake.Requests() {
		if l.Path == "/v1/enterprise/calendar" {
			creds = append(creds, l.Credential)
		}
	}
	if len(creds) != 2 || creds[0] != jaccounttest.CredentialNone || creds[1] != jaccounttest.CredentialBearer {
		t.Errorf("credentials sent to the calendar: %v, want none without a login, then the token", creds)
	}
	// --fake runs it without a login too.
	if r := h.mustRun("--fake", "enterprise", "calendar", "--format", "json"); !strings.Contains(r.stdout, `"day": "2000-01-01"`) {
		t.Errorf("--fake calendar:\n%s", r)
	}
}

// TestJiaowobanOnly: the 思源码 commands but validation reach operations
// open to 交我办 only (evidence E6). Their help says so; another
// application's login gets the refusal (403 errno 10003, assumed) as an API
// error naming 交我办; 交我办's gets the reply.
func TestJiaowobanOnly(t *testing.T) {
	t.Parallel()
	for _, cmd := range [][]string{{"unicode", "pay"}, {"unicode", "identity"}, {"unicode", "transactions"}} {
		h := newHarness(t)
		if r := h.mustRun(append(cmd, "--help")...); !strings.Contains(r.stdout, "Open to 交我办 only") {
			t.Errorf("%v --help does not say it is open to 交我办 only:\n%s", cmd, r.stdout)
		}
		h.mustRun("login", "--scopes", "openid unicode")
		r := h.run(cmd...)
		if r.code != ExitAPI || !strings.Contains(r.stderr, "errno 10003") || !strings.Contains(r.stderr, "交我办") {
			t.Errorf("%v from another application: %s, want exit %d naming 交我办", cmd, r, ExitAPI)
		}
		app := jaccounttest.DefaultClient()
		app.Jiaowoban = true
		j := newHarness(t, jaccounttest.WithClient(app))
		j.mustRun("login", "--scopes", "openid unicode")
		if r := j.run(append(cmd, "--format", "json")...); r.code != ExitOK {
			t.Errorf("%v from 交我办: %s", cmd, r)
		}
	}
	if r := newHarness(t).mustRun("unicode", "validate", "--help"); strings.Contains(r.stdout, "交我办 only") {
		t.Errorf("validation is open to any application, its help says otherwise:\n%s", r.stdout)
	}
}
