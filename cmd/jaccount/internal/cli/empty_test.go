package cli

import (
	"strings"
	"testing"
)

// TestFakeAPIEmptyList (issue 17 item 2): `jaccount api` on a list
// operation whose reply has no entity prints [] and exits 0. Before the fix
// the SDK's Do panicked on the empty entities array, and the command
// printed a Go stack trace and exited 2.
func TestFakeAPIEmptyList(t *testing.T) {
	t.Parallel()
	h := &harness{t: t, dir: t.TempDir(), vars: map[string]string{}}
	h.vars[EnvConfigDir] = h.dir
	for _, args := range [][]string{
		// A semester with no lessons, on the open API (a user's login).
		{"--fake", "api", "listMyLessonsBySemester", "-f", "semester=2030-2031-1"},
		// An account the data resources do not hold (the application's login).
		{"--fake", "api", "listAccounts", "-f", "accountNo=nobody-at-all"},
	} {
		r := h.run(args...)
		if r.code != 0 || strings.TrimSpace(r.stdout) != "[]" || r.stderr != "" {
			t.Errorf("jaccount %s: want [] and exit 0, got %s", strings.Join(args, " "), r)
		}
	}
}
