package wire

import (
	"encoding/json"
	"testing"
	"time"
)

func TestOmitted(t *testing.T) {
	t.Parallel()
	type inner struct {
		A string
		M map[string]any
	}
	var nilPtr *Birthday
	tests := []struct {
		v    any
		want bool
	}{
		{nil, true}, {"", true}, {"x", false}, {0, true}, {0.0, true}, {-18.0, false}, {false, true}, {true, false},
		{[]string{}, true}, {[]string(nil), true}, {[]string{"a"}, false}, {map[string]any{}, true},
		{inner{}, true}, {inner{A: "a"}, false}, {inner{M: map[string]any{}}, false},
		{Birthday{}, true}, {BirthdayFromMillis(0), false}, {nilPtr, true}, {int64(1659492695), false},
	}
	for _, tt := range tests {
		if got := Omitted(tt.v); got != tt.want {
			t.Errorf("Omitted(%#v) = %v, want %v", tt.v, got, tt.want)
		}
	}
}

func TestMarshalObject(t *testing.T) {
	t.Parallel()
	extras := map[string]any{"lost": false, "big": json.Number("12345678901234567890"), "name": "kept",
		"z": map[string]any{"a": []any{json.Number("1"), "新"}}}
	name, lost, cardNo, amount := "field", false, "", -18.0
	fields := []Field{{"name", &name}, {"lost", &lost}, {"cardNo", &cardNo}, {"amount", &amount}}
	b, err := MarshalObject(fields, extras)
	if err != nil {
		t.Fatal(err)
	}
	// Fields that are not zero first, in order, then the kept members by
	// name; a field wins over a kept member of its name.
	if want := `{"name":"field","amount":-18,"big":12345678901234567890,"lost":false,"z":{"a":[1,"新"]}}`; string(b) != want {
		t.Errorf("MarshalObject = %s, want %s", b, want)
	}
}

func TestTimes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		got  func() (time.Time, bool)
		want string // RFC 3339 in China Standard Time; "" for not ok
	}{
		{"seconds", func() (time.Time, bool) { return EpochSeconds(1659492695) }, "2022-08-03T10:11:35+08:00"},
		{"seconds 0", func() (time.Time, bool) { return EpochSeconds(0) }, ""},
		{"millis", func() (time.Time, bool) { return EpochMillis(1623835790000) }, "2021-06-16T17:29:50+08:00"},
		{"date", func() (time.Time, bool) { return Date("2026-06-30") }, "2026-06-30T00:00:00+08:00"},
		{"bad date", func() (time.Time, bool) { return Date("2026/06/30") }, ""},
		{"compact date", func() (time.Time, bool) { return CompactDate("20600101") }, "2060-01-01T00:00:00+08:00"},
		{"date-time", func() (time.Time, bool) { return DateTime("2022-08-19 00:00:00") }, "2022-08-19T00:00:00+08:00"},
		{"empty", func() (time.Time, bool) { return DateTime("") }, ""},
	}
	for _, c := range cases {
		tm, ok := c.got()
		got := ""
		if ok {
			got = tm.In(cst).Format(time.RFC3339)
		}
		if got != c.want {
			t.Errorf("%s = %q, want %q", c.name, got, c.want)
		}
	}
}
