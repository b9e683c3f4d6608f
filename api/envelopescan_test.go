package api

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
)

func TestEnvelopeErrno(t *testing.T) {
	t.Parallel()
	tests := []struct {
		body string
		want int
		ok   bool
	}{
		{`{"errno":10002,"error":"Authentication Failed","total":0}`, 10002, true},
		{` { "errno" : 10007 } `, 10007, true},
		{"{\n\t\"errno\":\r\n0,\"entities\":[]}", 0, true},
		{`{"errno":-1,"error":"UNKNOWN_ERROR"}`, -1, true},
		{`{"ERRNO":10002}`, 10002, true},
		{`{"Errno":10002}`, 10002, true},
		// errno after other members, whatever they hold.
		{`{"error":"a \"quoted\" } ] { [ text","total":0,"errno":10002}`, 10002, true},
		{`{"entities":[{"errno":0,"x":[1,{"y":"}"}]}],"nextToken":null,"errno":10007}`, 10007, true},
		{`{"total":1.5e3,"ok":true,"none":null,"errno":10002}`, 10002, true},
		// The first errno counts.
		{`{"errno":10002,"errno":0}`, 10002, true},
		// Not found, or not an integer.
		{`{"entities":[{"errno":10002}]}`, 0, false},
		{`{"error":"errno:10002"}`, 0, false},
		{`{"errno":"10002"}`, 0, false},
		{`{"errno":10002.0}`, 0, false},
		{`{"errno":1e4}`, 0, false},
		{`{"errno":}`, 0, false},
		{`{"errno":-}`, 0, false},
		{`{"errno":1234567890123456789012}`, 0, false},
		{`{"errn":10002}`, 0, false},
		{`{"errnos":10002}`, 0, false},
		{`{}`, 0, false},
		{`[{"errno":10002}]`, 0, false},
		{`<html>{"errno":10002}</html>`, 0, false},
		{``, 0, false},
		{`{"error":"unterminated`, 0, false},
		{`{"entities":[{"a":1}`, 0, false},
		{`{"a" 1,"errno":10002}`, 0, false},
		{`{"a":1 "errno":10002}`, 0, false},
		{`{"errno"`, 0, false},
	}
	for _, tt := range tests {
		n, ok := envelopeErrno([]byte(tt.body))
		if n != tt.want || ok != tt.ok {
			t.Errorf("envelopeErrno(%s) = %d, %v; want %d, %v", tt.body, n, ok, tt.want, tt.ok)
		}
	}
}

// TestEnvelopeErrnoAllocs: the scan allocates nothing.
func TestEnvelopeErrnoAllocs(t *testing.T) {
	body := []byte(`{"error":"success","total":1,"entities":[{"account":"a","name":"\u5f20\u4e09"}],"errno":0}`)
	if n := testing.AllocsPerRun(100, func() { envelopeErrno(body) }); n != 0 {
		t.Errorf("%.0f allocations", n)
	}
}

// FuzzEnvelopeErrno checks the scan against encoding/json: on a valid JSON
// object without escapes, it finds the first member named errno (in any
// case) exactly when that member's value is an integer, with its value.
func FuzzEnvelopeErrno(f *testing.F) {
	for _, s := range []string{
		`{"errno":10002,"error":"Authentication Failed","total":0}`,
		`{"error":"x","entities":[{"errno":1}],"errno":7}`,
		`{"ERRNO":-2}`,
		`{"errno":1.0}`,
		`{"a":{"b":[1,2,{"c":"]"}]},"errno":0}`,
		`[1]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		n, ok := envelopeErrno(b) // never panics
		if bytes.IndexByte(b, '\\') >= 0 || !json.Valid(b) {
			return
		}
		d := json.NewDecoder(bytes.NewReader(b))
		d.UseNumber()
		if tok, err := d.Token(); err != nil || tok != json.Delim('{') {
			if ok {
				t.Fatalf("errno %d found in %q, which is not an object", n, b)
			}
			return
		}
		for d.More() {
			tok, err := d.Token()
			if err != nil {
				t.Fatal(err)
			}
			var v json.RawMessage
			if err := d.Decode(&v); err != nil {
				t.Fatal(err)
			}
			if !strings.EqualFold(tok.(string), "errno") {
				continue
			}
			want, err := strconv.ParseInt(string(v), 10, 64)
			wantOK := err == nil && len(strings.TrimLeft(string(v), "-")) <= 18
			if ok != wantOK || ok && int64(n) != want {
				t.Fatalf("envelopeErrno(%q) = %d, %v; the first errno member is %s", b, n, ok, v)
			}
			return
		}
		if ok {
			t.Fatalf("envelopeErrno(%q) = %d, true; there is no errno member", b, n)
		}
	})
}

// BenchmarkEnvelopeErrno compares the scan with the decode it replaces
// (json.Unmarshal into struct{Errno int}) on a profile reply, with errno
// first (as jAccount writes it) and last.
func BenchmarkEnvelopeErrno(b *testing.B) {
	first := []byte(`{"errno":0,"error":"success","total":1,"entities":[` + strings.Repeat(`{"account":"alice","name":"Alice","identities":[{"code":"1","organize":{"id":"1","name":"x"}}]},`, 10) + `{}]}`)
	last := append([]byte(`{"error":"success","total":1,"entities":[`), first[len(`{"errno":0,"error":"success","total":1,"entities":[`):len(first)-1]...)
	last = append(last, `,"errno":0}`...)
	for _, body := range []struct {
		name string
		b    []byte
	}{{"errno=first", first}, {"errno=last", last}} {
		b.Run(body.name+"/impl=scan", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body.b)))
			for b.Loop() {
				if n, ok := envelopeErrno(body.b); !ok || n != 0 {
					b.Fatal(n, ok)
				}
			}
		})
		b.Run(body.name+"/impl=unmarshal", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body.b)))
			for b.Loop() {
				var env struct {
					Errno int `json:"errno"`
				}
				if err := json.Unmarshal(body.b, &env); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestEnvelopeMember(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		body, name, want string
		ok               bool
	}{
		{`{"errno":0,"entities":[{"a":1},{"b":"]"}]}`, "entities", `[{"a":1},{"b":"]"}]`, true},
		{`{"errno":0, "Entities" : [] , "total":0}`, "entities", `[]`, true},
		{`{"errno":0,"entities":null}`, "entities", `null`, true},
		{`{"errno":0,"error":"x"}`, "entities", ``, false},
		{`{"errno":0,"entities":[1,2`, "entities", ``, false},
		{`{"nextToken":"a\"b","errno":0}`, "nexttoken", `"a\"b"`, true},
	} {
		got, ok := envelopeMember([]byte(tt.body), tt.name)
		if string(got) != tt.want || ok != tt.ok {
			t.Errorf("envelopeMember(%s, %s) = %s, %v; want %s, %v", tt.body, tt.name, got, ok, tt.want, tt.ok)
		}
	}
}
