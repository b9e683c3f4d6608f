package wire

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
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

func TestUnmarshalObject(t *testing.T) {
	t.Parallel()
	type model struct {
		Account string `json:"account,omitempty,omitzero"`
		Lost    bool   `json:"lost,omitempty,omitzero"`
	}
	tests := []struct {
		in, account string
		extras      string // the extras as JSON; "null" for none
		err         bool
	}{
		{`{"account":"a","lost":true}`, "a", `null`, false},
		{`{"account":"a","lost":false,"x":{"y":[1,2.50]}}`, "a", `{"lost":false,"x":{"y":[1,2.50]}}`, false},
		{` { "a\u0063count" : "esc" , "n":12345678901234567890 } `, "esc", `{"n":12345678901234567890}`, false},
		{`{"Account":"folded","account":"exact"}`, "exact", `{"Account":"folded"}`, false},
		{`{"Account":"folded"}`, "", `{"Account":"folded"}`, false},
		{`null`, "", `null`, false},
		{`{"account":1}`, "", `null`, true},
		{`[1]`, "", `null`, true},
		{`{"account":"a",}`, "", `null`, true},
		{`{"account":"a"`, "", `null`, true},
	}
	for _, tt := range tests {
		var m model
		fields := []Field{{"account", &m.Account}, {"lost", &m.Lost}}
		extras, err := UnmarshalObject([]byte(tt.in), fields, func(b []byte) error { return json.Unmarshal(b, &m) })
		got, _ := json.Marshal(extras)
		if (err != nil) != tt.err || (err == nil && (m.Account != tt.account || string(got) != tt.extras)) {
			t.Errorf("%s: account %q extras %s err %v; want %q %s (error %v)", tt.in, m.Account, got, err, tt.account, tt.extras, tt.err)
		}
	}
}

func FuzzScanObject(f *testing.F) {
	for _, s := range []string{`{"a":1,"b":[{"c":"}"}],"d":"\""}`, `{}`, `{"a"`, `[1]`, ` {"\u00e9":null} `} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var names []string
		ok := scanObject(b, func(name, value []byte) {
			names = append(names, string(name))
			if !json.Valid(value) && json.Valid(b) {
				t.Fatalf("%s: member %q has value %q", b, name, value)
			}
		})
		var m map[string]json.RawMessage
		if json.Unmarshal(b, &m) == nil && m != nil && !ok {
			t.Fatalf("%s is an object the scanner did not read", b)
		}
		if ok && json.Valid(b) {
			for _, n := range names {
				if _, found := m[n]; !found {
					t.Fatalf("%s: scanned member %q is not the decoder's", b, n)
				}
			}
			for n := range m {
				if !slices.Contains(names, n) {
					t.Fatalf("%s: the decoder's member %q was not scanned", b, n)
				}
			}
		}
	})
}

// TestUnmarshalObjectNames: a member is kept under the name encoding/json
// gives it, also when its name is not valid UTF-8 (each bad byte is
// U+FFFD), so the kept members are the decoder's, and a model encodes
// back, and decodes again, to the same members.
func TestUnmarshalObjectNames(t *testing.T) {
	t.Parallel()
	for _, in := range []string{
		"{\"\x8a\":null}",
		"{\"a\x8ab\":1,\"c\":\"\xff\"}",
		"{\"\x8a\":1,\"\xef\xbf\xbd\":2}", // one name to the decoder; the last wins
		"{\"\\u00e9\xc3\":true}",
		"{\"\xc3\xa9\":[]}",
	} {
		var want map[string]any
		d := json.NewDecoder(strings.NewReader(in))
		d.UseNumber()
		if err := d.Decode(&want); err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		extras, err := UnmarshalObject([]byte(in), nil, func([]byte) error { return nil })
		if err != nil || !reflect.DeepEqual(extras, want) {
			t.Errorf("%q: kept %#v (%v), want the decoder's %#v", in, extras, err, want)
			continue
		}
		out, err := MarshalObject(nil, extras)
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		again, err := UnmarshalObject(out, nil, func([]byte) error { return nil })
		if err != nil || !reflect.DeepEqual(again, want) {
			t.Errorf("%q encoded as %q decodes to %#v (%v), want %#v", in, out, again, err, want)
		}
	}
}
