package cli

import (
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The transcripts of the jaccount command in the documentation are made by
// running their command lines here, in-process, with stdout a terminal as
// the reader's is; -update rewrites them. Each is the region of its file
// between a start marker, which names the command that rewrites it, and
// transcriptEnd.
const transcriptEnd = "<!-- transcript:end -->\n"

// shellStep is one command line of a transcript.
type shellStep struct {
	args    []string // after "jaccount"
	head    int      // show the first head lines of stdout only (`| head -n`); 0 shows all
	code    int      // the exit code expected
	comment string   // a shell comment after the command line
}

// line is the command line as the reader types it.
func (s shellStep) line() string {
	words := []string{"jaccount"}
	for _, a := range s.args {
		words = append(words, shellQuote(a))
	}
	l := "$ " + strings.Join(words, " ")
	if s.head > 0 {
		l += " | head -" + strconv.Itoa(s.head)
	}
	if s.comment != "" {
		l += "   # " + s.comment
	}
	return l
}

// shellQuote quotes a word for the shell when it needs it.
func shellQuote(s string) string {
	if regexp.MustCompile(`^[A-Za-z0-9_./:=@%+,-]+$`).MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// transcript runs steps with h, stdout and stderr terminals of 120 columns,
// and returns the console block: each command line, then what it wrote to
// stderr and stdout. norm replaces what varies between runs.
func transcript(t *testing.T, h *harness, norm func(string) string, prelude string, steps []shellStep) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("```console\n" + prelude)
	for _, s := range steps {
		var stdout, stderr syncBuffer
		env := h.env(&stdout, &stderr, s.args...)
		env.Width = 120
		r := h.runEnv(env, &stdout, &stderr)
		if r.code != s.code {
			t.Fatalf("jaccount %s: exit %d, want %d\n%s", strings.Join(s.args, " "), r.code, s.code, r)
		}
		out := r.stdout
		if s.head > 0 {
			lines := strings.SplitAfter(out, "\n")
			if len(lines) > s.head {
				out = strings.Join(lines[:s.head], "")
			}
		}
		b.WriteString(s.line() + "\n" + norm(r.stderr+out))
	}
	b.WriteString("```\n")
	return b.String()
}

// expiryRE matches a token's expiry as whoami writes it in a table.
var expiryRE = regexp.MustCompile(`\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC`)

// checkTranscript compares the region of file after start with got, or
// rewrites it with -update.
func checkTranscript(t *testing.T, file, start, got string) {
	t.Helper()
	b, err := os.ReadFile(filepath.FromSlash(file))
	if err != nil {
		t.Fatal(err)
	}
	before, rest, ok1 := strings.Cut(string(b), start)
	want, after, ok2 := strings.Cut(rest, transcriptEnd)
	if !ok1 || !ok2 {
		t.Fatalf("%s lacks the markers %q and %q", file, start, transcriptEnd)
	}
	if want == got {
		return
	}
	if *update {
		if err := os.WriteFile(filepath.FromSlash(file), []byte(before+start+got+transcriptEnd+after), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("the transcript in %s is out of date (%s); it is now:\n%s", file,
		strings.TrimSuffix(strings.TrimPrefix(start, "<!-- transcript:start ("), ") -->\n"), got)
}

// TestREADMETranscript makes README's transcript of the command: each line
// runs against --fake's own fake jAccount, as the reader's would. Only the
// token's expiry, which depends on the clock, is shown as a placeholder.
func TestREADMETranscript(t *testing.T) {
	t.Parallel()
	h := &harness{t: t, dir: t.TempDir(), vars: map[string]string{}, stdoutTTY: true, stderrTTY: true}
	norm := func(s string) string { return expiryRE.ReplaceAllString(s, "<in 2 hours>") }
	got := transcript(t, h, norm, "", []shellStep{
		{args: []string{"--fake", "whoami"}},
		{args: []string{"--fake", "card", "transactions", "--since", "2026-09-15", "--limit", "3"}},
		{args: []string{"--fake", "card", "transactions", "--since", "2026-09-15", "--format", "csv"}, head: 3},
	})
	checkTranscript(t, "../../../../README.md",
		"<!-- transcript:start (go test ./cmd/jaccount/internal/cli -run TestREADMETranscript -update) -->\n", got)
}

// TestCLITranscript makes the transcript of docs/cli.md: a session as a user
// has it with the real jAccount, logged in once, run against a fake jAccount
// through the environment, as TestLoginEndToEnd does. The fake's addresses
// are shown as jAccount's, its client id as the reader's, the loopback
// redirect's port as the one the reader registered, and the token's expiry as
// a placeholder.
func TestCLITranscript(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.stdoutTTY, h.stderrTTY = true, true
	h.browser = func(u string) error { // the student logs in; the logout page is only visited
		if strings.HasPrefix(u, h.fake.AuthURL()) {
			return h.student(u)
		}
		get(t, u)
		return nil
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	redirect := "http://" + ln.Addr().String() + "/callback"
	_ = ln.Close()
	h.vars[EnvRedirectURL] = redirect
	norm := strings.NewReplacer(
		h.fake.URL+"/oauth2/", "https://jaccount.sjtu.edu.cn/oauth2/",
		h.fake.DataURL(), "https://graphql.sjtu.edu.cn",
		h.fake.URL, "https://api.sjtu.edu.cn",
		redirect, "http://127.0.0.1:8080/callback",
		h.fake.ClientID(), "<your client id>").Replace
	prelude := "$ export JACCOUNT_CLIENT_ID=<your client id> JACCOUNT_CLIENT_SECRET=<your client secret>\n" +
		"$ export JACCOUNT_REDIRECT_URL=http://127.0.0.1:8080/callback   # registered with your application\n"
	got := transcript(t, h, func(s string) string { return expiryRE.ReplaceAllString(norm(s), "<expiry, UTC>") }, prelude, []shellStep{
		{args: []string{"login"}, comment: "opens the browser on jAccount's login"},
		{args: []string{"whoami"}},
		{args: []string{"card", "transactions", "--since", "2026-09-15", "--format", "csv"}, head: 3, comment: "streams every page"},
		{args: []string{"card", "transactions", "--since", "2026-09-15", "--limit", "3"}},
		{args: []string{"api", "/v1/me/card"}, head: 4},
		{args: []string{"students", "list"}, code: ExitLogin},
		{args: []string{"login", "--profile", "app", "--client-credentials", "--scopes", "exchange_data"}, comment: "no browser"},
		{args: []string{"--profile", "app", "students", "list", "--student-no", "523030910001", "--format", "jsonl"}},
		{args: []string{"logout"}},
	})
	checkTranscript(t, "../../../../docs/cli.md",
		"<!-- transcript:start (go test ./cmd/jaccount/internal/cli -run TestCLITranscript -update) -->\n", got)
}
