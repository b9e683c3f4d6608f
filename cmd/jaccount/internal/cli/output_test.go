package cli

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rivo/uniseg"
	"github.com/spf13/pflag"

	"github.com/oauth-jaccount/jaccount-go/gen"
)

type inner struct {
	Code string `json:"code"`
	N    int    `json:"n,omitempty"`
}

type sample struct {
	Name    string         `json:"name"`
	Amount  float64        `json:"amount"`
	When    int64          `json:"dateTime"`
	Inner   inner          `json:"inner"`
	Ptr     *inner         `json:"ptr,omitempty"`
	List    []string       `json:"list"`
	Free    map[string]any `json:"free"`
	Skipped string         `json:"-"`
	hidden  string
}

func TestColumns(t *testing.T) {
	t.Parallel()
	cols := columnsFor(&sample{})
	var names []string
	for _, c := range cols {
		names = append(names, c.name)
	}
	want := "name amount dateTime inner.code inner.n ptr.code ptr.n list free"
	if strings.Join(names, " ") != want {
		t.Errorf("columns = %q, want %q", names, want)
	}
	v := &sample{Name: "a,b", Amount: -18.5, When: 1623835790000, Inner: inner{Code: "x"}, List: []string{"p", "q"},
		Free: map[string]any{"k": 1}, hidden: "h"}
	got := row(cols, v, &output{}, nil)
	wantRow := []string{"a,b", "-18.5", "1623835790000", "x", "0", "", "", `["p","q"]`, `{"k":1}`}
	if strings.Join(got, "|") != strings.Join(wantRow, "|") {
		t.Errorf("row = %q, want %q", got, wantRow)
	}
	// Free-form entities (JSON objects) take their sorted keys.
	m := gen.Examination{"name": "期末考试", "code": "CS2501", "enabled": true}
	cols = columnsFor(m)
	if got := row(cols, m, &output{}, nil); strings.Join(got, "|") != "CS2501|true|期末考试" || cols[0].name != "code" {
		t.Errorf("map row = %q", got)
	}
	// A model that contains itself (a right's parent is a right) is
	// flattened to the depth bound; deeper parents are one JSON cell, and a
	// missing parent leaves its cells empty.
	r := gen.UserRight{Code: "a", Parent: &gen.UserRight{Code: "b", Parent: &gen.UserRight{Code: "c",
		Parent: &gen.UserRight{Code: "d", Parent: &gen.UserRight{Code: "e"}}}}}
	cols = columnsFor(&r)
	cells := map[string]string{}
	for i, c := range row(cols, &r, &output{}, nil) {
		cells[cols[i].name] = c
	}
	if len(cols) != 4*4+1 || cells["code"] != "a" || cells["parent.parent.parent.code"] != "d" ||
		cells["parent.parent.parent.parent"] != `{"code":"e"}` {
		t.Errorf("%d columns of a chain of rights: %v", len(cols), cells)
	}
	top := gen.UserRight{Code: "top"}
	if got := row(cols, &top, &output{}, nil); strings.Join(got, "") != "top" {
		t.Errorf("a right without parent: %q", got)
	}
}

func transactions(n int) []gen.CardTransaction {
	out := make([]gen.CardTransaction, n)
	for i := range out {
		out[i] = gen.CardTransaction{DateTime: 1_700_000_000_000 + int64(i)*60_000, System: "餐饮", Merchant: "第一餐饮大楼",
			Description: "午餐, \"大\"份", Amount: -12.5, CardBalance: 100 - float64(i)}
	}
	return out
}

func writeAll(t *testing.T, format string, width int, items []gen.CardTransaction) string {
	t.Helper()
	var b bytes.Buffer
	o, err := resolveOutput(format, timeFormatAuto, false, width)
	if err != nil {
		t.Fatal(err)
	}
	lw := newListWriter(o, &b, reflect.TypeFor[gen.CardTransaction]())
	for i := range items {
		if err := lw.Item(&items[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := lw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestListFormats(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 1, 3, 120} {
		items := transactions(n)
		// json is one array.
		var arr []gen.CardTransaction
		if err := json.Unmarshal([]byte(writeAll(t, formatJSON, 0, items)), &arr); err != nil || len(arr) != n {
			t.Errorf("json, %d items: %d decoded, %v", n, len(arr), err)
		}
		// jsonl is one object a line.
		lines := strings.Split(strings.TrimSuffix(writeAll(t, formatJSONL, 0, items), "\n"), "\n")
		if n == 0 && lines[0] == "" {
			lines = nil
		}
		if len(lines) != n {
			t.Errorf("jsonl, %d items: %d lines", n, len(lines))
		}
		for _, l := range lines {
			var tx gen.CardTransaction
			if err := json.Unmarshal([]byte(l), &tx); err != nil || tx.Merchant != "第一餐饮大楼" {
				t.Errorf("jsonl line %q: %v", l, err)
			}
		}
		// csv: a header, then a record per item, quoted where needed.
		recs, err := csv.NewReader(strings.NewReader(writeAll(t, formatCSV, 0, items))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != n+1 || strings.Join(recs[0], ",") != "amount,cardBalance,dateTimAccount,dateTime,description,merchant,merchantNo,system" ||
			n > 0 && (recs[1][4] != `午餐, "大"份` || recs[1][0] != "-12.5" || recs[1][3] != "2023-11-15T06:13:20+08:00") {
			t.Errorf("csv, %d items: %q", n, recs[:min(len(recs), 2)])
		}
		// table: a header and a line per item, times shown in CST.
		table := writeAll(t, formatTable, 0, items)
		tl := strings.Split(strings.TrimSuffix(table, "\n"), "\n")
		if len(tl) != n+1 || !strings.HasPrefix(tl[0], "AMOUNT  CARDBALANCE  DATETIMACCOUNT  DATETIME ") ||
			n > 0 && !strings.Contains(tl[1], "2023-11-15 06:13") {
			t.Errorf("table, %d items:\n%s", n, table)
		}
	}
}

// TestTableWidths: columns are aligned by display width (a CJK character
// takes two cells); on a narrow terminal the last columns are dropped.
func TestTableWidths(t *testing.T) {
	t.Parallel()
	for _, width := range []int{80, 40} {
		table := writeAll(t, formatTable, width, transactions(3))
		lines := strings.Split(strings.TrimSuffix(table, "\n"), "\n")
		for _, l := range lines {
			if w := displayWidth(l); w > width {
				t.Errorf("line is %d cells wide, more than %d: %q", w, width, l)
			}
		}
		// The merchant column (第一餐饮大楼, 12 cells) starts at the same cell
		// as its header on every line.
		i := strings.Index(lines[0], "MERCHANT")
		if width == 40 {
			if i >= 0 {
				t.Errorf("width 40 still shows MERCHANT:\n%s", table)
			}
			continue
		}
		i = displayWidth(lines[0][:i]) // in cells: a cut header holds "…"
		for _, l := range lines[1:] {
			if j := strings.Index(l, "第一餐饮大楼"); j < 0 || displayWidth(l[:j]) != i {
				t.Errorf("misaligned:\n%s", table)
			}
		}
	}
}

func displayWidth(s string) int { return uniseg.StringWidth(s) }

func TestFit(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in   string
		w    int
		want string
	}{
		{"abc", 3, "abc"},
		{"abcd", 3, "ab…"},
		{"第一餐饮大楼", 6, "第一…"},
		{"第一餐饮大楼", 7, "第一餐…"},
		{"a\nb", 5, "a b"},
	} {
		if got := fit(tt.in, tt.w); got != tt.want {
			t.Errorf("fit(%q, %d) = %q, want %q", tt.in, tt.w, got, tt.want)
		}
	}
}

func TestWriteOne(t *testing.T) {
	t.Parallel()
	v := &gen.CardInfo{CardNo: "2023000001", CardBalance: 86.5}
	for _, tt := range []struct{ format, want string }{
		{formatJSON, "{\n  \"cardBalance\": 86.5,\n  \"cardNo\": \"2023000001\""},
		{formatJSONL, `{"cardBalance":86.5,"cardNo":"2023000001"`},
		{formatCSV, "bankNo,cardBalance,"},
		{formatTable, "cardBalance    86.5\ncardNo         2023000001\n"},
	} {
		var b bytes.Buffer
		if err := writeOne(output{format: tt.format}, &b, v); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), tt.want) {
			t.Errorf("%s: %q does not contain %q", tt.format, b.String(), tt.want)
		}
	}
}

func TestTimeFlag(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in       string
		endOfDay bool
		want     string
	}{
		{"2024-09-01", false, "2024-09-01T00:00:00+08:00"},
		{"2024-09-01", true, "2024-09-01T23:59:59.999+08:00"},
		{"2024-09-01 08:30", true, "2024-09-01T08:30:00+08:00"},
		{"2024-09-01T08:30:05Z", false, "2024-09-01T16:30:05+08:00"},
	} {
		var got time.Time
		v := &timeValue{t: &got, endOfDay: tt.endOfDay}
		if err := v.Set(tt.in); err != nil {
			t.Fatal(err)
		}
		if s := got.In(cst).Format(time.RFC3339Nano); s != tt.want {
			t.Errorf("%q (end of day %v) = %s, want %s", tt.in, tt.endOfDay, s, tt.want)
		}
	}
	var got time.Time
	if err := (&timeValue{t: &got}).Set("yesterday"); err == nil {
		t.Error("yesterday parsed")
	}
}

// TestBoolPtrFlag: an optional bool parameter stays nil until its flag is
// given (the spec has none today; the generator would use it).
func TestBoolPtrFlag(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		args []string
		want string
	}{
		{nil, "<nil>"},
		{[]string{"--on"}, "true"},
		{[]string{"--on=false"}, "false"},
	} {
		var p *bool
		fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
		boolPtrFlag(fs, &p, "on", "")
		if err := fs.Parse(tt.args); err != nil {
			t.Fatal(err)
		}
		got := "<nil>"
		if p != nil {
			got = strconv.FormatBool(*p)
		}
		if got != tt.want {
			t.Errorf("%v: %s, want %s", tt.args, got, tt.want)
		}
	}
}
