package jaccounttest_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/oauth-jaccount/jaccount-go/gen"
	"github.com/oauth-jaccount/jaccount-go/jaccounttest"
)

// dataGet gets path from the data resources' listener with a
// client-credentials token of scopes.
func dataGet(t *testing.T, srv *jaccounttest.Server, path string, scopes ...string) reply {
	t.Helper()
	tok, err := srv.IssueClientToken(scopes...)
	if err != nil {
		t.Fatal(err)
	}
	return apiGetAt(t, srv, srv.DataURL(), path, tok.AccessToken)
}

// page decodes a data reply's envelope and the accountNo of each record.
func page(t *testing.T, r reply) (total int64, accounts []string) {
	t.Helper()
	var env envelope
	if r.status != http.StatusOK || json.Unmarshal([]byte(r.body), &env) != nil || env.Errno != 0 {
		t.Fatalf("status %d body %s", r.status, r.body)
	}
	for _, e := range env.Entities {
		var rec struct{ AccountNo string }
		if err := json.Unmarshal(e, &rec); err != nil {
			t.Fatal(err)
		}
		accounts = append(accounts, rec.AccountNo)
	}
	return env.Total, accounts
}

// TestDataWire checks the data resources at the HTTP level: the documented
// paging (first=1&offset=100 then first=101&offset=100), the cap of 200,
// the timestamp filter in both documented forms, and who may call.
func TestDataWire(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	total, first := page(t, dataGet(t, srv, "/v1/stu/profile?first=1&offset=100", "exchange_data"))
	_, second := page(t, dataGet(t, srv, "/v1/stu/profile?first=101&offset=100", "exchange_data"))
	_, last := page(t, dataGet(t, srv, "/v1/stu/profile?first=201&offset=100", "exchange_data"))
	_, beyond := page(t, dataGet(t, srv, "/v1/stu/profile?first=251&offset=100", "exchange_data"))
	if total != jaccounttest.DefaultStudentCount || len(first) != 100 || len(second) != 100 || len(last) != 50 || len(beyond) != 0 ||
		first[99] >= second[0] || second[99] >= last[0] {
		t.Errorf("pages: total %d, %d + %d + %d + %d records", total, len(first), len(second), len(last), len(beyond))
	}
	if _, def := page(t, dataGet(t, srv, "/v1/faculty/profile", "exchange_data")); len(def) != jaccounttest.DefaultFacultyCount {
		t.Errorf("no first or offset: %d faculty records, want all %d (default page %d)", len(def), jaccounttest.DefaultFacultyCount, jaccounttest.DataDefaultPageSize)
	}

	// Student i was updated at DataFixtureTime + i×10 minutes (sorted by
	// accountNo, zhangsan is the oldest, i = 0).
	day := jaccounttest.DataFixtureTime.AddDate(0, 0, 1).Format(time.DateOnly) // 2026-09-02: from i = 96 on
	if total, _ := page(t, dataGet(t, srv, "/v1/stu/profile?timestamp="+day, "exchange_data")); total != jaccounttest.DefaultStudentCount-96 {
		t.Errorf("timestamp=%s: %d students, want %d", day, total, jaccounttest.DefaultStudentCount-96)
	}
	if total, _ := page(t, dataGet(t, srv, "/v1/stu/profile?timestamp=2026-09-01+09%3A40%3A00", "exchange_data")); total != jaccounttest.DefaultStudentCount-10 {
		t.Errorf("timestamp=2026-09-01 09:40:00: %d students, want %d (at or after)", total, jaccounttest.DefaultStudentCount-10)
	}

	for _, tt := range []struct {
		name, path string
		scopes     []string
		status     int
		errno      int
		msg        string
	}{
		{"offset above 200", "/v1/stu/profile?offset=201", []string{"exchange_data"}, 400, 10001, "BAD_PARAMETERS\n\nMORE_INFORMATION:offset"},
		{"offset 0", "/v1/account/info?offset=0", []string{"exchange_data"}, 400, 10001, "offset"},
		{"first 0", "/v1/account/info?first=0", []string{"exchange_data"}, 400, 10001, "first"},
		{"bad timestamp", "/v1/faculty/profile?timestamp=2026-09-01T00:00:00Z", []string{"exchange_data"}, 400, 10001, "timestamp"},
		{"no exchange_data", "/v1/stu/profile", []string{"basic"}, 403, 10010, "AUTHENTICATION_SCOPE_FAILED"},
	} {
		r := dataGet(t, srv, tt.path, tt.scopes...)
		if r.status != tt.status || errno(r) != tt.errno || !strings.HasPrefix(r.str("error"), tt.msg) && !strings.Contains(r.str("error"), tt.msg) {
			t.Errorf("%s: %d %s, want %d errno %d %q", tt.name, r.status, r.body, tt.status, tt.errno, tt.msg)
		}
		if _, has := r.json["entities"]; has {
			t.Errorf("%s: an error reply with entities: %s", tt.name, r.body)
		}
	}
	user := issue(t, srv, jaccounttest.StudentUsername, "exchange_data")
	if r := apiGetAt(t, srv, srv.DataURL(), "/v1/stu/profile", user.AccessToken); r.status != 403 || errno(r) != 10010 {
		t.Errorf("a user's token: %d %s, want 403 errno 10010", r.status, r.body)
	}
	if r := apiGetAt(t, srv, srv.DataURL(), "/v1/stu/profile", "nonsense"); r.status != 403 || errno(r) != 10002 {
		t.Errorf("an unknown token: %d %s, want 403 errno 10002", r.status, r.body)
	}
	// Each listener serves its own server's paths only.
	tok, _ := srv.IssueClientToken("exchange_data", "essential")
	if r := apiGet(t, srv, "/v1/stu/profile", tok.AccessToken); r.status != 404 {
		t.Errorf("a data path on the open API's listener: %d %s", r.status, r.body)
	}
	if r := apiGetAt(t, srv, srv.DataURL(), "/v1/me/profile", tok.AccessToken); r.status != 404 {
		t.Errorf("an open-API path on the data listener: %d %s", r.status, r.body)
	}
}

// TestDataRecordChanges: an update moves the record's update time to the
// server's clock; a timestamp then selects what changed; options replace
// the fixtures.
func TestDataRecordChanges(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	srv := newServer(t, jaccounttest.WithClock(func() time.Time { return now }))
	since := "/v1/stu/profile?timestamp=2026-11-26+20%3A00%3A00" // now, in China Standard Time
	if total, _ := page(t, dataGet(t, srv, since, "exchange_data")); total != 0 {
		t.Fatalf("%d students updated since now before any change", total)
	}
	for _, a := range []string{"stu0007", jaccounttest.StudentUsername} {
		if !srv.UpdateStudent(a, func(s *gen.DataStudent) { s.Sj = "13900000000" }) {
			t.Fatalf("UpdateStudent(%s) = false", a)
		}
	}
	if err := srv.AddStudent(gen.DataStudent{AccountNo: "stu9999"}); err != nil {
		t.Fatal(err)
	}
	if err := srv.AddStudent(gen.DataStudent{AccountNo: "stu9999"}); err == nil {
		t.Error("AddStudent of an existing record succeeded")
	}
	if _, got := page(t, dataGet(t, srv, since, "exchange_data")); strings.Join(got, ",") != "stu0007,stu9999,zhangsan" {
		t.Errorf("updated since now: %v", got)
	}
	if !srv.UpdateFaculty(jaccounttest.FacultyUsername, func(f *gen.DataFaculty) { f.Telephone = "021-0000" }) ||
		srv.UpdateFaculty("nobody", func(*gen.DataFaculty) {}) {
		t.Error("UpdateFaculty: unexpected result")
	}
	r := dataGet(t, srv, "/v1/faculty/profile?gh=10086&timestamp=2026-11-26", "exchange_data")
	if _, got := page(t, r); len(got) != 1 || !strings.Contains(r.body, `"telephone":"021-0000"`) {
		t.Errorf("updated faculty: %s", r.body)
	}

	one := jaccounttest.DataRecord[gen.DataStudent]{Entity: gen.DataStudent{AccountNo: "only"}, Updated: now,
		Attributes: map[string]string{"glyx": "99999"}}
	srv = newServer(t, jaccounttest.WithStudents(one), jaccounttest.WithAccounts(), jaccounttest.WithFaculty())
	if total, got := page(t, dataGet(t, srv, "/v1/stu/profile", "exchange_data")); total != 1 || strings.Join(got, ",") != "only" {
		t.Errorf("WithStudents: %d %v", total, got)
	}
	// None keeps the defaults (an option's zero value).
	if total, _ := page(t, dataGet(t, srv, "/v1/account/info", "exchange_data")); total != int64(len(jaccounttest.DefaultAccounts())) {
		t.Errorf("WithAccounts(): %d accounts, want the %d of DefaultAccounts", total, len(jaccounttest.DefaultAccounts()))
	}
}
