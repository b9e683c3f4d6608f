package cli

import (
	"encoding/csv"
	"strings"
	"testing"

	"github.com/oauth-jaccount/jaccount-go/jaccounttest"
)

// TestTimesByUnit runs the commands against the built-in fake and checks
// that tables and CSV write each date or instant by the unit the spec gives
// it (x-jaccount-time), whatever its column is called, and JSON as the API
// sent it unless --time-format says otherwise.
func TestTimesByUnit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		// want are the cells of the first record under these columns
		// (CSV), or parts of the output (other formats).
		want map[string]string
		has  []string
		not  []string
		// jiaowoban runs the command as 交我办 (the 思源码 operations are
		// open to it only), logged in to a fake of its own, not --fake.
		jiaowoban bool
	}{
		{name: "epoch milliseconds, CSV", args: []string{"card", "transactions", "--format", "csv"},
			want: map[string]string{"dateTime": "2026-09-16T14:10:00+08:00", "amount": "-14.5"}},
		{name: "epoch milliseconds, table", args: []string{"card", "transactions", "--format", "table"},
			has: []string{"DATETIME", "2026-09-16 14:10 "}, not: []string{"1789539000000"}},
		{name: "UNIX seconds, CSV (思源码: the column names end in Time, the unit is not milliseconds)", args: []string{"unicode", "transactions", "--format", "csv"},
			want: map[string]string{"orderTime": "2026-09-12T11:50:00+08:00", "payTime": "2026-09-12T11:50:03+08:00"}, jiaowoban: true},
		{name: "UNIX seconds, table", args: []string{"unicode", "transactions", "--format", "table"},
			has: []string{"2026-09-12 11:50  2026-09-12 11:50"}, not: []string{"1789185000"}, jiaowoban: true},
		{name: "yyyyMMdd, CSV", args: []string{"card", "get", "--format", "csv"},
			want: map[string]string{"expireDate": "2027-07-31"}},
		{name: "yyyyMMdd, table", args: []string{"card", "get", "--format", "table"},
			has: []string{"\nexpireDate ", " 2027-07-31\n"}, not: []string{"20270731"}},
		{name: "yyyy-MM-dd HH:mm:ss and yyyy-MM-dd, CSV", args: []string{"accounts", "list", "--format", "csv", "--limit", "1"},
			want: map[string]string{"timestamp": "2026-09-01T09:00:00+08:00", "identityExpireDate": "2040-12-31"}},
		{name: "wire, CSV", args: []string{"card", "transactions", "--format", "csv", "--time-format", "wire"},
			want: map[string]string{"dateTime": "1789539000000"}},
		{name: "wire, table", args: []string{"unicode", "transactions", "--format", "table", "--time-format", "wire"},
			has: []string{"1789185000  1789185003"}, jiaowoban: true},
		{name: "iso, table", args: []string{"card", "transactions", "--format", "table", "--time-format", "iso"},
			has: []string{"2026-09-16T14:10:00+08:00"}},
		{name: "JSON keeps the wire values", args: []string{"card", "transactions", "--format", "json"},
			has: []string{`"dateTime": 1789539000000`}},
		{name: "JSON with --time-format iso", args: []string{"card", "transactions", "--format", "json", "--time-format", "iso"},
			has: []string{`"dateTime": "2026-09-16T14:10:00+08:00"`}},
		{name: "JSON lines with --time-format iso, nested identities", args: []string{"profile", "get", "--format", "jsonl", "--time-format", "iso"},
			has: []string{`"createDate":"2023-08-20T09:00:00+08:00"`, `"expireDate":"2027-07-31"`}, not: []string{"1692493200"}},
		{name: "a JSON cell of CSV keeps the wire values", args: []string{"profile", "get", "--format", "csv"},
			has: []string{`""createDate"":1692493200`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var r result
			if tt.jiaowoban {
				app := jaccounttest.DefaultClient()
				app.Jiaowoban = true
				h := newHarness(t, jaccounttest.WithClient(app))
				h.mustRun("login", "--scopes", "openid unicode")
				r = h.mustRun(tt.args...)
			} else {
				h := &harness{t: t, vars: map[string]string{}}
				r = h.mustRun(append([]string{"--fake"}, tt.args...)...)
			}
			for _, s := range tt.has {
				if !strings.Contains(r.stdout, s) {
					t.Errorf("output lacks %q:\n%s", s, r.stdout)
				}
			}
			for _, s := range tt.not {
				if strings.Contains(r.stdout, s) {
					t.Errorf("output has %q:\n%s", s, r.stdout)
				}
			}
			if tt.want == nil {
				return
			}
			recs, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
			if err != nil || len(recs) < 2 {
				t.Fatalf("CSV: %v\n%s", err, r.stdout)
			}
			for col, want := range tt.want {
				i := indexOf(recs[0], col)
				if i < 0 || recs[1][i] != want {
					t.Errorf("%s = %q, want %q\n%s", col, at(recs[1], i), want, r.stdout)
				}
			}
		})
	}
}

// TestEmptyResult: a list with no item still has its columns in CSV and
// tables (from the type, not from a first row), [] in JSON and nothing in
// JSON lines.
func TestEmptyResult(t *testing.T) {
	t.Parallel()
	const header = "amount,cardBalance,dateTimAccount,dateTime,description,merchant,merchantNo,system\n"
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"card", "transactions", "--since", "2030-01-01", "--format", "csv"}, header},
		{[]string{"card", "transactions", "--since", "2030-01-01", "--format", "table"},
			"AMOUNT  CARDBALANCE  DATETIMACCOUNT  DATETIME  DESCRIPTION  MERCHANT  MERCHANTNO  SYSTEM\n"},
		{[]string{"card", "transactions", "--since", "2030-01-01", "--format", "json"}, "[]\n"},
		{[]string{"card", "transactions", "--since", "2030-01-01", "--format", "jsonl"}, ""},
		// A list operation (not paged) with no entity.
		{[]string{"lessons", "list", "--semester", "2030-2031-1", "--format", "csv"}, "bsid,classes,code,course.code,"},
	} {
		h := &harness{t: t, vars: map[string]string{}}
		r := h.mustRun(append([]string{"--fake"}, tt.args...)...)
		if !strings.HasPrefix(r.stdout, tt.want) || strings.HasSuffix(tt.want, "\n") && r.stdout != tt.want || strings.Count(r.stdout, "\n") > 1 {
			t.Errorf("%v: %q, want %q", tt.args, r.stdout, tt.want)
		}
	}
}

func indexOf(xs []string, x string) int {
	for i, y := range xs {
		if y == x {
			return i
		}
	}
	return -1
}

func at(xs []string, i int) string {
	if i < 0 || i >= len(xs) {
		return "(no such column)"
	}
	return xs[i]
}
