package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/oauth-jaccount/jaccount-go/gen"
)

// TestTimeUnits reads and writes a value of each unit in each style: UNIX
// seconds, milliseconds, yyyy-MM-dd, yyyyMMdd, yyyy-MM-dd HH:mm:ss (China
// Standard Time) and a time.Time; an absent value or one not of its unit
// is not a time.
func TestTimeUnits(t *testing.T) {
	t.Parallel()
	instant := time.Date(2026, 9, 16, 6, 10, 0, 0, time.UTC) // 14:10 in China
	tests := []struct {
		name  string
		v     any
		unit  timeUnit
		iso   string // "" for not a time
		short string
	}{
		{"UNIX seconds", int64(instant.Unix()), timeEpochSeconds, "2026-09-16T14:10:00+08:00", "2026-09-16 14:10"},
		{"epoch milliseconds", instant.UnixMilli(), timeEpochMillis, "2026-09-16T14:10:00+08:00", "2026-09-16 14:10"},
		{"epoch milliseconds with a fraction", instant.UnixMilli() + 250, timeEpochMillis, "2026-09-16T14:10:00.25+08:00", "2026-09-16 14:10"},
		{"yyyy-MM-dd", "2027-07-31", timeDate, "2027-07-31", "2027-07-31"},
		{"yyyyMMdd", "20270731", timeCompactDate, "2027-07-31", "2027-07-31"},
		{"yyyy-MM-dd HH:mm:ss", "2026-09-16 14:10:00", timeDateTime, "2026-09-16T14:10:00+08:00", "2026-09-16 14:10"},
		{"time.Time (in UTC)", instant, timeGo, "2026-09-16T14:10:00+08:00", "2026-09-16 14:10"},
		{"a pointer", &[]int64{instant.Unix()}[0], timeEpochSeconds, "2026-09-16T14:10:00+08:00", "2026-09-16 14:10"},
		{"the earliest instant", int64(-62135596800), timeEpochSeconds, "0001-01-01T08:00:00+08:00", "0001-01-01 08:00"},

		{"absent seconds", int64(0), timeEpochSeconds, "", ""},
		{"absent date", "", timeDate, "", ""},
		{"a zero time.Time", time.Time{}, timeGo, "", ""},
		{"a nil pointer", (*int64)(nil), timeEpochSeconds, "", ""},
		{"not a date", "2027-13-45", timeDate, "", ""},
		{"a yyyy-MM-dd where yyyyMMdd is due", "2027-07-31", timeCompactDate, "", ""},
		{"a date where a date and time is due", "2026-09-16", timeDateTime, "", ""},
		{"beyond year 9999", int64(1) << 50, timeEpochSeconds, "", ""},
		{"a string where an integer is due", "1789539000", timeEpochSeconds, "", ""},
	}
	for _, tt := range tests {
		got, ok := readTime(reflect.ValueOf(tt.v), tt.unit)
		if ok != (tt.iso != "") {
			t.Errorf("%s: read %v, %v", tt.name, got, ok)
			continue
		}
		if !ok {
			continue
		}
		if s := formatTime(got, tt.unit, timesISO); s != tt.iso {
			t.Errorf("%s: ISO %q, want %q", tt.name, s, tt.iso)
		}
		if s := formatTime(got, tt.unit, timesShort); s != tt.short {
			t.Errorf("%s: short %q, want %q", tt.name, s, tt.short)
		}
	}
}

// TestTimeColumns: the cells of the time columns in each style; an absent
// time is an empty cell, a value not of its unit is written as it came.
func TestTimeColumns(t *testing.T) {
	t.Parallel()
	card := &gen.CardInfo{CardNo: "2023000001", ExpireDate: "20270731"}
	bad := &gen.CardInfo{CardNo: "2023000002", ExpireDate: "2027/07/31"}
	unpaid := &gen.UnicodeTransaction{OrderNo: "U1", OrderTime: 1789185000}
	for _, tt := range []struct {
		v      any
		column string
		style  timeStyle
		want   string
	}{
		{card, "expireDate", timesISO, "2027-07-31"},
		{card, "expireDate", timesShort, "2027-07-31"},
		{card, "expireDate", timesWire, "20270731"},
		{bad, "expireDate", timesISO, "2027/07/31"}, // not yyyyMMdd: as it came
		{unpaid, "orderTime", timesISO, "2026-09-12T11:50:00+08:00"},
		{unpaid, "orderTime", timesShort, "2026-09-12 11:50"},
		{unpaid, "payTime", timesISO, ""},
		{unpaid, "payTime", timesWire, "0"},
		{&gen.Profile{AccountExpireDate: "2030-06-30"}, "accountExpireDate", timesISO, "2030-06-30"},
		{&whoami{Expiry: time.Date(2026, 11, 26, 6, 10, 13, 0, time.UTC)}, "token_expiry", timesISO, "2026-11-26T14:10:13+08:00"},
	} {
		cols := columnsFor(tt.v)
		i := columnIndex(cols, tt.column)
		if i < 0 {
			t.Fatalf("%T has no column %s", tt.v, tt.column)
		}
		if got := row(cols, tt.v, &output{times: tt.style}, nil)[i]; got != tt.want {
			t.Errorf("%T.%s in style %d = %q, want %q", tt.v, tt.column, tt.style, got, tt.want)
		}
	}
}

func columnIndex(cols []column, name string) int {
	for i, c := range cols {
		if c.name == name {
			return i
		}
	}
	return -1
}

// TestISOJSON rewrites the times of JSON by the Go type, members in their
// order, nested models and arrays included; members the type does not know
// (AdditionalProperties) and values that are not times stay as they are.
func TestISOJSON(t *testing.T) {
	t.Parallel()
	p := gen.Profile{Account: "zhangsan", AccountExpireDate: "2030-06-30",
		Identities:           []gen.Identity{{Code: "1", CreateDate: 1692493200, ExpireDate: "2027-07-31"}, {Code: "2", ExpireDate: "31/07/2027"}},
		AdditionalProperties: map[string]any{"createDate": 1692493200}}
	b, err := marshalCompact(&p)
	if err != nil {
		t.Fatal(err)
	}
	got, err := isoJSON(b, reflect.TypeOf(&p))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`"accountExpireDate":"2030-06-30"`,
		`"identities":[{"code":"1","createDate":"2023-08-20T09:00:00+08:00","expireDate":"2027-07-31"`,
		`{"code":"2","expireDate":"31/07/2027"`, // not a yyyy-MM-dd: kept
		`"createDate":1692493200`,               // an unknown member of Profile: kept
	} {
		if !bytes.Contains(got, []byte(want)) {
			t.Errorf("lacks %s:\n%s", want, got)
		}
	}
	// Apart from the times, the JSON is the same, in the same order.
	var x, y any
	if json.Unmarshal(b, &x) != nil || json.Unmarshal(got, &y) != nil {
		t.Fatalf("not JSON:\n%s", got)
	}
	if strings.Index(string(got), `"account"`) > strings.Index(string(got), `"identities"`) {
		t.Errorf("members reordered:\n%s", got)
	}
	// Free-form values, and JSON that is not the type's, pass through.
	for _, in := range []string{`{"a":[1,2,{"b":null}],"c":"x<y"}`, `[]`, `"s"`, `12345678901234567890`, `{"dateTime":"soon"}`} {
		got, err := isoJSON([]byte(in), reflect.TypeFor[gen.CardTransaction]())
		if err != nil || string(got) != in {
			t.Errorf("%s: %s, %v", in, got, err)
		}
	}
	for _, in := range []string{`{"a":`, `{} {}`, `[1,`} {
		if _, err := isoJSON([]byte(in), nil); err == nil {
			t.Errorf("%s: no error", in)
		}
	}
	// A whoami's expiry, a time.Time written in UTC, is CST too.
	w := whoami{Profile: "default", Expiry: time.Date(2026, 11, 26, 6, 10, 13, 0, time.UTC)}
	b, _ = marshalCompact(&w)
	if got, err := isoJSON(b, reflect.TypeOf(&w)); err != nil || !bytes.Contains(got, []byte(`"token_expiry":"2026-11-26T14:10:13+08:00"`)) {
		t.Errorf("whoami: %s, %v", got, err)
	}
}

// TestTimeFieldsMatchModels: every member the generated table names is a
// field of its model, of a Go kind its unit can be read from (the spec and
// gen agree).
func TestTimeFieldsMatchModels(t *testing.T) {
	t.Parallel()
	if len(timeFields) < 10 {
		t.Fatalf("only %d models with times", len(timeFields))
	}
	for model, members := range timeFields {
		fields := jsonFields(model)
		for name, unit := range members {
			f, ok := fields[name]
			if !ok {
				t.Errorf("%v has no member %s", model, name)
				continue
			}
			if f.unit != unit {
				t.Errorf("%v.%s: unit %d, want %d", model, name, f.unit, unit)
			}
			switch k := f.typ.Kind(); {
			case (unit == timeEpochMillis || unit == timeEpochSeconds) && k == reflect.Int64:
			case (unit == timeDate || unit == timeCompactDate || unit == timeDateTime) && k == reflect.String:
			default:
				t.Errorf("%v.%s: a %v cannot hold unit %d", model, name, k, unit)
			}
		}
	}
}

// TestResolveOutput: --time-format auto gives tables short times, CSV ISO
// 8601 and JSON the wire values; iso and wire apply to every format.
func TestResolveOutput(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		format, times string
		want          output
	}{
		{formatTable, timeFormatAuto, output{format: formatTable, times: timesShort}},
		{formatCSV, "", output{format: formatCSV, times: timesISO}},
		{formatJSON, timeFormatAuto, output{format: formatJSON}},
		{formatJSONL, timeFormatAuto, output{format: formatJSONL}},
		{formatJSON, timeFormatISO, output{format: formatJSON, times: timesISO, isoJSON: true}},
		{formatTable, timeFormatISO, output{format: formatTable, times: timesISO, isoJSON: true}},
		{formatCSV, timeFormatWire, output{format: formatCSV}},
		{formatTable, timeFormatWire, output{format: formatTable}},
	} {
		if got, err := resolveOutput(tt.format, tt.times, false, 0); err != nil || got != tt.want {
			t.Errorf("%s, %s: %+v, %v; want %+v", tt.format, tt.times, got, err, tt.want)
		}
	}
	var ue *usageError
	if _, err := resolveOutput(formatCSV, "unix", false, 0); !errors.As(err, &ue) {
		t.Errorf("--time-format unix: %v, want a usage error", err)
	}
}

// TestEmptyLists: with no entity, CSV writes the header of the entities'
// type and a table its header line; free-form entities have no columns to
// write until one arrives.
func TestEmptyLists(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		format string
		typ    reflect.Type
		want   string
	}{
		{formatCSV, reflect.TypeFor[gen.UnicodeTransaction](), "amount,channel,deviceNo,merchant,merchantNo,orderNo,orderTime,payTime,status\n"},
		{formatCSV, reflect.TypeFor[configEntry](), "key,value,source\n"},
		{formatTable, reflect.TypeFor[configEntry](), "KEY  VALUE  SOURCE\n"},
		{formatCSV, reflect.TypeFor[gen.Examination](), ""},
		{formatCSV, reflect.TypeFor[json.RawMessage](), ""},
		{formatTable, reflect.TypeFor[gen.Examination](), ""},
	} {
		var b bytes.Buffer
		o, _ := resolveOutput(tt.format, "", false, 80)
		if err := newListWriter(o, &b, tt.typ).Close(); err != nil || b.String() != tt.want {
			t.Errorf("%s of %v: %q, %v; want %q", tt.format, tt.typ, b.String(), err, tt.want)
		}
	}
}

// TestFormatTimeIsFormat: formatTime writes what time.Format writes with
// its layouts, over instants from year 1 to 9999, with and without
// milliseconds.
func TestFormatTimeIsFormat(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	lo, hi := time.Date(1, 1, 1, 0, 0, 0, 0, cst).UnixMilli(), time.Date(9999, 12, 31, 23, 59, 59, 999e6, cst).UnixMilli()
	for i := range 100_000 {
		ms := lo + r.Int64N(hi-lo)
		if i%2 == 0 {
			ms -= ms % 1000
		}
		tm := time.UnixMilli(ms)
		for _, tt := range []struct {
			u      timeUnit
			s      timeStyle
			layout string
		}{
			{timeEpochMillis, timesISO, "2006-01-02T15:04:05.999Z07:00"},
			{timeEpochMillis, timesShort, "2006-01-02 15:04"},
			{timeDate, timesISO, time.DateOnly},
		} {
			if got, want := formatTime(tm, tt.u, tt.s), tm.In(cst).Format(tt.layout); got != want {
				t.Fatalf("%d ms: %q, want %q", ms, got, want)
			}
		}
	}
}
