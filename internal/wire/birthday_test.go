package wire_test

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/oauth-jaccount/jaccount-go/internal/wire"
)

func TestBirthdayForms(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, out string
		date    string
		millis  bool
		parts   bool
	}{
		{in: `1110758400000`, date: "2005-03-14", millis: true}, // midnight UTC
		{in: `1110729600000`, date: "2005-03-14", millis: true}, // midnight CST
		{in: `{"birthYear":"2002","birthMonth":"01","birthDay":"02"}`, date: "2002-01-02", parts: true},
		{in: `{"birthDay":"02","birthMonth":"01","birthYear":"2002"}`, date: "2002-01-02", parts: true},
		{in: `{"birthYear":"2002","birthMonth":"01","birthDay":"02","era":"AD"}`, date: "2002-01-02", parts: true}, // kept whole
		{in: `{"birthYear":"2002"}`, parts: true},                                                                  // partial: no date
		{in: `{"birthYear":2002,"birthMonth":"1","birthDay":"2"}`},                                                 // not strings: another shape
		{in: `"2002-01-02"`}, // a string: kept
		{in: `1.5e12`},       // not an integer: kept
		{in: `null`},
	}
	for _, tt := range tests {
		var b wire.Birthday
		if err := json.Unmarshal([]byte(tt.in), &b); err != nil {
			t.Fatalf("%s: %v", tt.in, err)
		}
		want := tt.out
		if want == "" {
			want = tt.in
		}
		got, err := json.Marshal(b)
		if err != nil || string(got) != want {
			t.Errorf("%s: re-encoded %s, %v; want %s", tt.in, got, err, want)
		}
		if b.String() != tt.date {
			t.Errorf("%s: date %q, want %q", tt.in, b.String(), tt.date)
		}
		if _, ok := b.Millis(); ok != tt.millis {
			t.Errorf("%s: Millis ok = %v", tt.in, ok)
		}
		if _, ok := b.Parts(); ok != tt.parts {
			t.Errorf("%s: Parts ok = %v", tt.in, ok)
		}
		if b.IsZero() != (tt.in == "null") {
			t.Errorf("%s: IsZero = %v", tt.in, b.IsZero())
		}
	}
	if err := json.Unmarshal([]byte(`{"birthday":{]}`), &struct{ Birthday wire.Birthday }{}); err == nil {
		t.Error("malformed JSON decoded")
	}
}

func TestBirthdayConstructorsAndOmitzero(t *testing.T) {
	t.Parallel()
	type profile struct {
		Birthday wire.Birthday `json:"birthday,omitempty,omitzero"`
	}
	b, _ := json.Marshal(profile{})
	if string(b) != `{}` {
		t.Errorf("absent birthday encoded as %s", b)
	}
	ms := time.Date(1980, 11, 2, 0, 0, 0, 0, time.UTC).UnixMilli()
	b, _ = json.Marshal(profile{Birthday: wire.BirthdayFromMillis(ms)})
	if string(b) != `{"birthday":341971200000}` {
		t.Errorf("millis encoded as %s", b)
	}
	p := wire.BirthdayFromParts(wire.BirthdayParts{BirthYear: "1980", BirthMonth: "13", BirthDay: "02"})
	if _, _, _, ok := p.Date(); ok {
		t.Error("month 13 gave a date")
	}
}

func FuzzBirthday(f *testing.F) {
	for _, s := range []string{`0`, `-1`, `{"birthYear":"2002","birthMonth":"01","birthDay":"02"}`, `"x"`, `[1]`, `null`, `true`, `1e3`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var b wire.Birthday
		if err := json.Unmarshal(data, &b); err != nil {
			if json.Valid(data) {
				t.Fatalf("valid JSON %q refused: %v", data, err)
			}
			return
		}
		out, err := json.Marshal(b)
		if err != nil {
			t.Fatalf("re-encode %q: %v", data, err)
		}
		// Re-encoding keeps the value: decoding both gives equal values.
		if a, c := canonical(t, data), canonical(t, out); a != c {
			t.Fatalf("round trip of %q gave %q", data, out)
		}
		_ = b.String()
	})
}

// canonical re-encodes JSON with numbers kept as written and object keys
// sorted, so that equal values compare equal.
func canonical(t *testing.T, data []byte) string {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatalf("decode %q: %v", data, err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("encode %q: %v", data, err)
	}
	return string(b)
}
