package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/oauth-jaccount/jaccount-go/gen"
)

const fuzzToken = "tok-SECRET-fuzz-123"

// FuzzDecode feeds untrusted bodies and statuses to the envelope decoder:
// it must never panic, never report success for anything but a 2xx envelope
// with errno 0 and an entities array, and always give a bounded, clean,
// token-free *Error otherwise.
func FuzzDecode(f *testing.F) {
	seeds := []struct {
		status int
		body   string
	}{
		{200, `{"errno":0,"error":"success","total":1,"entities":[{"account":"a","birthday":{"birthYear":"2000"}}]}`},
		{200, `{"errno":0,"error":"Succeed.","entities":[]}`},
		{200, `{"errno":0,"entities":null}`},
		{200, `{"errno":7,"error":"bad ` + fuzzToken + `"}`},
		{200, `<html>` + fuzzToken + `</html>`},
		{200, `{"errno":0,"entities":[{"account":`},
		{200, `{"entities":[{}]}`},
		{200, ``},
		{401, `{"errno":401,"error":"expired"}`},
		{503, "\x00\x1b[31m\xff access_token=abc"},
		{302, `{"errno":0,"entities":[]}`},
		{204, `[]`},
		{200, `{"errno":0,"entities":[{"code":"a","parent":{"code":"b","parent":{}}}]}`},
		{200, `{"errno":0,"entities":[` + strings.Repeat(`{"parent":`, 40) + `{}` + strings.Repeat(`}`, 40) + `]}`},
	}
	for _, s := range seeds {
		f.Add(s.status, []byte(s.body), false)
		f.Add(s.status, []byte(s.body), true)
	}
	f.Fuzz(func(t *testing.T, status int, data []byte, single bool) {
		status = 100 + (status%500+500)%500
		resp := &http.Response{StatusCode: status, Header: http.Header{}}
		st := &callState{method: http.MethodGet, path: "/v1/me/profile", token: fuzzToken}
		env := &envelope[gen.Profile]{Errno: errnoMissing}
		want := resultList
		if single {
			want = resultSingle
		}
		err := decode(resp, data, env, st, want)
		// The same reply as rights, a model that contains itself: its depth
		// is checked first, and a deep one fails like any invalid reply.
		rights := &envelope[gen.UserRight]{Errno: errnoMissing}
		rerr := decode(resp, data, rights, st, want)
		if rerr == nil && !nestsWithin(data, maxNesting) {
			t.Fatalf("a reply of rights nesting deeper than %d levels decoded", maxNesting)
		}
		if rerr != nil {
			var e *Error
			if !errors.As(rerr, &e) || e.StatusCode != status || strings.Contains(e.Error(), fuzzToken) {
				t.Fatalf("rights: %v", rerr)
			}
			checkClean(t, e.Body, maxSnippet+len("…"))
		}
		if err == nil {
			if status < 200 || status > 299 || env.Errno != 0 || env.Entities == nil || single && len(env.Entities) == 0 {
				t.Fatalf("success for status %d errno %d entities %v", status, env.Errno, env.Entities)
			}
			return
		}
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("err %T is not *Error", err)
		}
		if e.StatusCode != status || e.Method != http.MethodGet || e.Path != "/v1/me/profile" {
			t.Fatalf("error = %+v", e)
		}
		checkClean(t, e.Body, maxSnippet+len("…"))
		checkClean(t, e.Message, maxSnippet+len("…"))
		if strings.Contains(e.Error(), fuzzToken) {
			t.Fatalf("Error() holds the token: %q", e.Error())
		}
	})
}

func checkClean(t *testing.T, s string, limit int) {
	t.Helper()
	if len(s) > limit {
		t.Fatalf("%d bytes, limit %d: %q", len(s), limit, s)
	}
	if !utf8.ValidString(s) || strings.ContainsRune(s, utf8.RuneError) || strings.IndexFunc(s, unicode.IsControl) >= 0 {
		t.Fatalf("unclean text %q", s)
	}
	if strings.Contains(s, fuzzToken) {
		t.Fatalf("text holds the token: %q", s)
	}
}

// FuzzNestsWithin checks the depth scan that guards the replies of models
// that contain themselves against encoding/json's own reading of the same
// text: for valid JSON, nestsWithin(b, d) holds exactly when d is at least
// the depth of its arrays and objects; for anything else it must not panic.
func FuzzNestsWithin(f *testing.F) {
	for _, s := range []string{
		`{}`, `[]`, `"[[{{"`, `{"a":"\"[","b":[[{}]]}`, `[1,[2,[3,[4]]]]`, `{"p":{"p":{"p":{}}}}`,
		`"\\"`, `["\\\"]"]`, `[`, `]]]`, `{"a":"é\u00e9"}`, ``, `null`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		depth, valid := jsonDepth(b)
		for _, limit := range []int{0, 1, 2, 3, 8, maxNesting} {
			got := nestsWithin(b, limit)
			if valid && got != (depth <= limit) {
				t.Fatalf("%q (depth %d): nestsWithin(%d) = %v", b, depth, limit, got)
			}
		}
	})
}

// jsonDepth is the nesting depth of the JSON text b as encoding/json reads
// it; valid is false when b is not one JSON value.
func jsonDepth(b []byte) (depth int, valid bool) {
	if !json.Valid(b) {
		return 0, false
	}
	d := json.NewDecoder(bytes.NewReader(b))
	cur := 0
	for {
		tok, err := d.Token()
		if err != nil {
			return depth, errors.Is(err, io.EOF)
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			cur++
			depth = max(depth, cur)
		case json.Delim('}'), json.Delim(']'):
			cur--
		}
	}
}

// BenchmarkRightsDepthCheck compares the depth scan a rights reply gets
// before it is decoded with the decoding itself, on a page of 20 rights two
// parents deep: the scan is the price of refusing a reply that would nest
// without bound.
func BenchmarkRightsDepthCheck(b *testing.B) {
	right := `{"id":"R1","name":"图书借阅","code":"library.borrow","description":"借阅图书馆的图书",` +
		`"parent":{"id":"R0","name":"图书馆","code":"library","parent":{"id":"R","name":"学校","code":"sjtu"}}}`
	body := []byte(`{"errno":0,"error":"success","total":20,"entities":[` + strings.TrimSuffix(strings.Repeat(right+",", 20), ",") + `]}`)
	b.Run("scan", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			if !nestsWithin(body, maxNesting) {
				b.Fatal("too deep")
			}
		}
	})
	b.Run("decode", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			var env envelope[gen.UserRight]
			if err := json.Unmarshal(body, &env); err != nil || len(env.Entities) != 20 {
				b.Fatal(err)
			}
		}
	})
}
