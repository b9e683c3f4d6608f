package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/oauth-jaccount/jaccount-go/api"
	"github.com/oauth-jaccount/jaccount-go/gen"
	"github.com/oauth-jaccount/jaccount-go/jaccounttest"
)

// outputRecords reads the sync's JSON Lines output by accountNo.
func outputRecords(t *testing.T, path string) map[string]api.DataStudent {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]api.DataStudent{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var s api.DataStudent
		if err := json.Unmarshal([]byte(line), &s); err != nil {
			t.Fatalf("output line %q: %v", line, err)
		}
		out[s.AccountNo] = s
	}
	return out
}

// syncLines returns stdout's lines, sorted: what a run fetched that was
// new or changed.
func syncLines(stdout string) []string {
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) == 1 && lines[0] == "" {
		return nil
	}
	slices.Sort(lines)
	return lines
}

func dataRequests(fake *jaccounttest.Server) int {
	n := 0
	for _, r := range fake.Requests() {
		if r.Path == api.PathStudentsList {
			n++
		}
	}
	return n
}

// TestSyncStudentsIncrementally runs the sync twice against one fake (a
// server that outlives the runs, as the real one does), changing records in
// between: the second run fetches exactly those; a third, with nothing
// changed, reports no change (it asks again for the three, which the
// overlap still covers, and finds them unchanged).
func TestSyncStudentsIncrementally(t *testing.T) {
	t.Parallel()
	fake := newFake(t)
	dir := t.TempDir()
	args := []string{"-sync", "students", "-token", filepath.Join(dir, "token.json"), "-changes", "0"}

	stdout, stderr, err := runBatch(t, fake, args...)
	if err != nil {
		t.Fatalf("first run: %v\n%s", err, stderr)
	}
	if got := syncLines(stdout); len(got) != jaccounttest.DefaultStudentCount || !strings.HasSuffix(got[0], "\tnew") {
		t.Fatalf("first run fetched %d new records, want all %d:\n%s", len(got), jaccounttest.DefaultStudentCount, stderr)
	}
	if !strings.Contains(stderr, "a full sync") || dataRequests(fake) != 3 { // pages of 100: 100, 100, 50
		t.Errorf("first run: %d requests, stderr:\n%s", dataRequests(fake), stderr)
	}
	t.Logf("first run:\n%s", stderr)
	var st syncState
	if b, err := os.ReadFile(filepath.Join(dir, "students.state.json")); err != nil || json.Unmarshal(b, &st) != nil ||
		st.Runs != 1 || st.Basis != "clock" || st.Records != jaccounttest.DefaultStudentCount || time.Since(st.HighWater) > time.Minute {
		t.Fatalf("state after the first run: %+v, %v", st, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "token.json")); err != nil {
		t.Errorf("the token is not kept next to the state: %v", err)
	}

	// What changes at the registrar between the runs.
	for _, acc := range []string{"stu0010", jaccounttest.StudentUsername} {
		if !fake.UpdateStudent(acc, func(s *gen.DataStudent) { s.Sj = "13912345678" }) {
			t.Fatalf("no student %s", acc)
		}
	}
	if err := fake.AddStudent(gen.DataStudent{AccountNo: "newcomer", Xm: "新生", Xh: "526030900001"}); err != nil {
		t.Fatal(err)
	}
	fake.ResetRequests()
	stdout, stderr, err = runBatch(t, fake, args...)
	if err != nil {
		t.Fatalf("second run: %v\n%s", err, stderr)
	}
	want := []string{"newcomer\tnew", "stu0010\tchanged", "zhangsan\tchanged"}
	if got := syncLines(stdout); !slices.Equal(got, want) {
		t.Errorf("second run fetched %q, want only what changed, %q\n%s", got, want, stderr)
	}
	if !strings.Contains(stderr, "fetched 3 records: 1 new, 2 changed, 0 unchanged") || dataRequests(fake) != 1 {
		t.Errorf("second run: %d requests, stderr:\n%s", dataRequests(fake), stderr)
	}
	t.Logf("second run:\n%s", stderr)
	recs := outputRecords(t, filepath.Join(dir, "students.jsonl"))
	if len(recs) != jaccounttest.DefaultStudentCount+1 || recs["zhangsan"].Sj != "13912345678" || recs["newcomer"].Xm != "新生" ||
		recs["stu0011"].Sj != "" {
		t.Errorf("output after the second run: %d records, zhangsan %+v", len(recs), recs["zhangsan"])
	}

	stdout, stderr, err = runBatch(t, fake, args...)
	if err != nil || stdout != "" || !strings.Contains(stderr, "fetched 3 records: 0 new, 0 changed, 3 unchanged") {
		t.Errorf("third run, nothing changed: %v\nstdout %q\n%s", err, stdout, stderr)
	}
}

// TestSyncMarkFromRecords: records that carry their own update time (a
// timestamp member) set the mark; the next run asks again for those within
// the overlap, and counts them as unchanged, not as changes.
func TestSyncMarkFromRecords(t *testing.T) {
	t.Parallel()
	base := time.Date(2026, 10, 1, 9, 0, 0, 0, chinaTime)
	var recs []jaccounttest.DataRecord[gen.DataStudent]
	for i, acc := range []string{"a", "b", "c"} {
		at := base.Add(time.Duration(i) * time.Hour)
		recs = append(recs, jaccounttest.DataRecord[gen.DataStudent]{Updated: at, Entity: gen.DataStudent{AccountNo: acc,
			AdditionalProperties: map[string]any{"timestamp": api.FormatDataTime(at)}}})
	}
	fake := jaccounttest.New(t, jaccounttest.WithStudents(recs...))
	dir := t.TempDir()
	args := []string{"-sync", "students", "-state", filepath.Join(dir, "s.json"), "-out", filepath.Join(dir, "o.jsonl"), "-page-size", "2"}
	if _, stderr, err := runBatch(t, fake, args...); err != nil || !strings.Contains(stderr, "new high-water mark 2026-10-01 11:00:00 CST (records)") {
		t.Fatalf("first run: %v\n%s", err, stderr)
	}
	stdout, stderr, err := runBatch(t, fake, args...)
	if err != nil || stdout != "" || !strings.Contains(stderr, "fetched 1 records: 0 new, 0 changed, 1 unchanged") ||
		!strings.Contains(stderr, "updated since 2026-10-01 10:55:00 CST") {
		t.Errorf("second run: %v\nstdout %q\n%s", err, stdout, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "token.json")); err == nil {
		t.Error("a token file appeared without -token")
	}
}

func TestSyncArguments(t *testing.T) {
	t.Parallel()
	fake := newFake(t)
	dir := t.TempDir()
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"-sync", "students"}, "give -token FILE"},
		{[]string{"-sync", "teachers", "-token", filepath.Join(dir, "t.json")}, "only students"},
		{[]string{"-sync", "students", "-token", filepath.Join(dir, "t.json"), "-page-size", "201"}, "-page-size"},
	} {
		if _, _, err := runBatch(t, fake, tt.args...); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: %v, want an error about %s", tt.args, err, tt.want)
		}
	}
	state := filepath.Join(dir, "students.state.json")
	if err := os.WriteFile(state, []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runBatch(t, fake, "-sync", "students", "-state", state); err == nil || !strings.Contains(err.Error(), "not a state file") {
		t.Errorf("a broken state file: %v", err)
	}
}
