package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/oauth-jaccount/jaccount-go/api"
	"github.com/oauth-jaccount/jaccount-go/auth"
	"github.com/oauth-jaccount/jaccount-go/jaccounttest"
)

// TestExitCodes produces every exit code by running a command in-process,
// as a user would meet it, and checks the one line on stderr: each case
// names the code, how it comes about, and what the line must (and must
// not) hold.
func TestExitCodes(t *testing.T) {
	t.Parallel()
	const secret = "s3cr3t-in-a-panic"
	tests := []struct {
		name  string
		setup func(t *testing.T, h *harness) // after a login as the fixture student
		args  []string
		code  int
		want  []string // parts of the stderr line
		ctx   func(cancel context.CancelCauseFunc)
	}{
		{name: "success", args: []string{"token"}, code: ExitOK},

		{name: "the API cannot be reached", code: ExitError, args: []string{"profile", "get"},
			setup: func(t *testing.T, h *harness) { h.vars[EnvAPIURL] = closedURL(t) },
			want:  []string{"connection refused"}},
		{name: "a reply that is not the API's (an HTML page with 200)", code: ExitError, args: []string{"profile", "get"},
			setup: func(_ *testing.T, h *harness) { h.fake.Inject(jaccounttest.HTMLPage(200).OnPath(api.PathProfileGet)) },
			want:  []string{"HTTP 200"}},
		{name: "a panic (a runtime error) in a command", code: ExitError, args: []string{"login"},
			setup: func(_ *testing.T, h *harness) {
				h.browser = func(u string) error {
					parts := strings.Split(u, "#")
					return errors.New(parts[len(parts)]) // index out of range
				}
			},
			want: []string{"internal error, a bug in jaccount (please report it): runtime error: index out of range [1] with length 1 in cli.TestExitCodes.", "exit_test.go:"}},
		{name: "a panic with a value: no value, no secret", code: ExitError, args: []string{"login"},
			setup: func(_ *testing.T, h *harness) { h.browser = func(string) error { panic("token=" + secret) } },
			want:  []string{"internal error, a bug in jaccount (please report it): a panic (string) in cli.TestExitCodes."}},

		{name: "usage: an unknown flag", code: ExitUsage, args: []string{"profile", "get", "--nosuchflag"},
			want: []string{"unknown flag: --nosuchflag"}},

		{name: "login: none saved", code: ExitLogin, args: []string{"profile", "get", "--profile", "new"},
			want: []string{"not logged in (profile new): run `jaccount login --profile new`"}},
		{name: "login: none saved, for the application's operation", code: ExitLogin, args: []string{"--profile", "data", "students", "list"},
			want: []string{"not logged in (profile data): run `jaccount login --profile data --client-credentials --scopes exchange_data`"}},
		{name: "login: expired and revoked (invalid_grant)", code: ExitLogin, args: []string{"card", "transactions"},
			setup: func(t *testing.T, h *harness) {
				h.fake.RevokeToken(storedToken(t, h, "default").RefreshToken)
				expireStored(t, tokenFile(h, "default"))
			},
			want: []string{"the saved login has expired or was revoked (invalid_grant): run `jaccount login`"}},
		{name: "login: the API keeps rejecting the token", code: ExitLogin, args: []string{"profile", "get"},
			setup: func(_ *testing.T, h *harness) {
				h.fake.Inject(jaccounttest.ErrorStatus(401).OnPath(api.PathProfileGet).Times(4))
			},
			want: []string{"the API rejected the saved token: run `jaccount login`"}},
		{name: "login: a corrupt token file, whoami", code: ExitLogin, args: []string{"whoami"},
			setup: corruptToken("default"),
			want:  []string{"the saved login of profile default is unusable (", "token.json is corrupt): run `jaccount login`"}},
		{name: "login: a corrupt token file, token", code: ExitLogin, args: []string{"token"},
			setup: corruptToken("default"),
			want:  []string{"is unusable (", "token.json is corrupt): run `jaccount login`"}},
		{name: "login: a corrupt token file, profile get", code: ExitLogin, args: []string{"profile", "get"},
			setup: corruptToken("default"),
			want:  []string{"is unusable (", "token.json is corrupt): run `jaccount login`"}},
		{name: "login: a corrupt login record", code: ExitLogin, args: []string{"lessons", "list"},
			setup: func(t *testing.T, h *harness) {
				writeFile(t, filepath.Join(h.dir, "profiles", "default", "login.json"), "{")
			},
			want: []string{"is unusable (", "login.json is corrupt): run `jaccount login`"}},
		{name: "login: a corrupt application's login: the same kind again", code: ExitLogin, args: []string{"--profile", "data", "token"},
			setup: func(t *testing.T, h *harness) {
				h.mustRun(append(dataLogin, "--profile", "data")...)
				corruptToken("data")(t, h)
			},
			want: []string{"is unusable (", "token.json is corrupt): run `jaccount login --profile data --client-credentials --scopes exchange_data`"}},
		{name: "login: a login record without its token", code: ExitLogin, args: []string{"whoami"},
			setup: func(t *testing.T, h *harness) {
				if err := os.Remove(tokenFile(h, "default")); err != nil {
					t.Fatal(err)
				}
			},
			want: []string{"is unusable (", "token.json is missing or empty): run `jaccount login`"}},

		{name: "the API refuses (errno at HTTP 200)", code: ExitAPI, args: []string{"profile", "get"},
			setup: func(_ *testing.T, h *harness) { h.fake.Inject(jaccounttest.Errno(10008, "GETDATA_NOT_FOUND")) },
			want:  []string{"errno 10008"}},
		{name: "the API refuses (HTTP 404)", code: ExitAPI, args: []string{"api", "/v1/no/such/path"},
			want: []string{"HTTP 404"}},

		{name: "interrupted (SIGINT) while a page is on its way", code: ExitInterrupted, args: []string{"card", "transactions", "--format", "csv"},
			setup: func(_ *testing.T, h *harness) {
				h.fake.Inject(jaccounttest.Latency(time.Minute).OnPath(api.PathCardListTransactions))
			},
			ctx: func(cancel context.CancelCauseFunc) {
				time.AfterFunc(300*time.Millisecond, func() { cancel(&signalError{os.Interrupt}) })
			},
			want: []string{"jaccount: interrupted"}},
		{name: "terminated (SIGTERM) while waiting for the browser", code: ExitTerminated, args: []string{"login", "--no-browser", "--profile", "other"},
			ctx: func(cancel context.CancelCauseFunc) {
				time.AfterFunc(300*time.Millisecond, func() { cancel(&signalError{syscall.SIGTERM}) })
			},
			want: []string{"jaccount: terminated"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			h.mustRun("login")
			if tt.setup != nil {
				tt.setup(t, h)
			}
			ctx, cancel := context.WithCancelCause(context.Background())
			defer cancel(nil)
			if tt.ctx != nil {
				tt.ctx(cancel)
			}
			var stdout, stderr syncBuffer
			code := Run(ctx, h.env(&stdout, &stderr, tt.args...))
			r := result{stdout: stdout.String(), stderr: stderr.String(), code: code}
			line := lastLine(r.stderr)
			t.Logf("exit %d: %s", r.code, line)
			if r.code != tt.code {
				t.Errorf("jaccount %s: want exit %d, got %s", strings.Join(tt.args, " "), tt.code, r)
			}
			if tt.code == ExitOK {
				return
			}
			if !strings.HasPrefix(line, "jaccount: ") || strings.Contains(r.stderr, "goroutine") || strings.Contains(r.stderr, secret) {
				t.Errorf("stderr is not one clean line: %q", r.stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(line, w) {
					t.Errorf("stderr line %q lacks %q", line, w)
				}
			}
		})
	}
}

// TestExitCodeTable: the help's table lists every code once, in order.
func TestExitCodeTable(t *testing.T) {
	t.Parallel()
	help := exitHelp()
	last := -1
	for _, c := range []int{ExitOK, ExitError, ExitUsage, ExitLogin, ExitAPI, ExitInterrupted, ExitTerminated} {
		i := strings.Index(help, fmt.Sprintf("\n  %-4d ", c))
		if i <= last {
			t.Errorf("exit code %d missing or out of order in:\n%s", c, help)
		}
		last = i
	}
}

// TestSDKPanicIsOneLine: `jaccount api` on a semester without lessons (an
// empty entities array) crashed with a Go stack trace and exit 2 while
// api's Do panicked on it. Whatever the SDK does, the command prints either
// the empty array or one line.
func TestSDKPanicIsOneLine(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.mustRun("login")
	r := h.run("api", "listMyLessonsBySemester", "-f", "semester=2030-2031-1")
	ok := r.code == ExitOK && r.stdout == "[]\n" ||
		r.code == ExitError && strings.Count(r.stderr, "\n") == 1 && strings.Contains(r.stderr, "internal error")
	if !ok {
		t.Errorf("a semester without lessons: %s", r)
	}
}

// closedURL is an http URL on which nothing listens.
func closedURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

func tokenFile(h *harness, profile string) string {
	return filepath.Join(h.dir, "profiles", profile, "token.json")
}

// storedToken is a profile's saved token.
func storedToken(t *testing.T, h *harness, profile string) *auth.Token {
	t.Helper()
	tok, err := auth.NewFileStore(tokenFile(h, profile)).Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// corruptToken overwrites a profile's saved token with what is not JSON.
func corruptToken(profile string) func(t *testing.T, h *harness) {
	return func(t *testing.T, h *harness) { writeFile(t, tokenFile(h, profile), `{"access_token": "abc`) }
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// lastLine is the last line of s, without its newline.
func lastLine(s string) string {
	s = strings.TrimSuffix(s, "\n")
	return s[strings.LastIndexByte(s, '\n')+1:]
}

// TestRecoveringHandler: a panic in the login's callback handler ends the
// login with a *panicError, not net/http's logged stack trace.
func TestRecoveringHandler(t *testing.T) {
	t.Parallel()
	var got error
	h := recovering(func(err error) { got = err }, func(http.ResponseWriter, *http.Request) {
		var p *loginInfo
		_ = p.Grant // nil pointer dereference
	})
	w := httptest.NewRecorder()
	h(w, httptest.NewRequest(http.MethodGet, "/callback", nil))
	var pe *panicError
	if !errors.As(got, &pe) || !strings.Contains(got.Error(), "nil pointer dereference") || w.Code != http.StatusInternalServerError {
		t.Errorf("got %v, status %d", got, w.Code)
	}
}
