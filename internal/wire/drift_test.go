package wire_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/oauth-jaccount/jaccount-go/gen"
	"github.com/oauth-jaccount/jaccount-go/internal/wire"
)

// drifts records what a Decoder reports: model, member, path, types.
type drifts struct {
	got   []string
	paths [][]string
}

func (r *drifts) Drift(x *wire.Drift) {
	want := ""
	if x.Want != nil {
		want = x.Want.String()
	}
	path := x.Path()
	r.paths = append(r.paths, path)
	r.got = append(r.got, fmt.Sprintf("%s %s %s %s %s", x.Model, x.Member, strings.Join(path, "/"), x.Type, want))
}

// TestDrift: the generated decoders report each member their model lacks
// (the generated Unknown) and each value of the wrong type, with the
// value's path and JSON type, and decode the same as without a reporter.
func TestDrift(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{`{"id":"x","name":"y"}`, nil},
		{`{"id":"x","nick\u004eame":"{\"[,","identities":[{"code":"c","photo":[1,{"a":"b"}]},{"x\"y\\":null}]}`,
			[]string{"Profile nickName nickName string ", "Identity photo identities/[]/photo array ", `Identity x"y\ identities/[]/x"y\ null `}},
		{`{"identities":[{"createDate":"2024"},{"isDefault":1}],"timeZone":true}`,
			[]string{" createDate identities/[]/createDate string int64", " isDefault identities/[]/isDefault number bool", " timeZone timeZone boolean int"}},
		{`{"gender":5,"organize":{"id":"1","extra":{}}}`,
			[]string{" gender gender number gen.Gender", "Organize extra organize/extra object "}},
		{`{"identities":{"code":"c"}}`, []string{" identities identities object []gen.Identity"}},
	} {
		var r drifts
		var d wire.Decoder
		d.ReportDrift(&r)
		d.Reset([]byte(tc.in))
		var p, q gen.Profile
		wire.DecodeModel(&d, &p)
		err := d.Finish()
		var plain wire.Decoder
		plain.Reset([]byte(tc.in))
		wire.DecodeModel(&plain, &q)
		if err2 := plain.Finish(); fmt.Sprint(err) != fmt.Sprint(err2) || fmt.Sprintf("%#v", p) != fmt.Sprintf("%#v", q) {
			t.Errorf("%s: decodes otherwise with a reporter: %v / %v", tc.in, err, err2)
		}
		if !slices.Equal(r.got, tc.want) {
			t.Errorf("%s:\n%q\nwant\n%q", tc.in, r.got, tc.want)
		}
	}
}

// FuzzDriftPath: whatever the input, reporting drift never panics, decodes
// as without a reporter, and every path it reports is no deeper than the
// input nests.
func FuzzDriftPath(f *testing.F) {
	f.Add([]byte(`{"identities":[{"code":1,"x":{"y":[{"z":"\"]}"}]}}],"q":2}`))
	f.Add([]byte(`{"organize":{"id":[],"a\"b":{}},"birthday":{"birthYear":1}}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		var r drifts
		var d wire.Decoder
		d.ReportDrift(&r)
		d.Reset(in)
		var p, q gen.Profile
		wire.DecodeModel(&d, &p)
		err := d.Finish()
		var plain wire.Decoder
		plain.Reset(in)
		wire.DecodeModel(&plain, &q)
		if err2 := plain.Finish(); fmt.Sprint(err) != fmt.Sprint(err2) || fmt.Sprintf("%#v", p) != fmt.Sprintf("%#v", q) {
			t.Fatalf("decodes otherwise with a reporter: %v / %v", err, err2)
		}
		depth := strings.Count(string(in), "{") + strings.Count(string(in), "[")
		for i, p := range r.paths {
			if len(p) > depth {
				t.Fatalf("path deeper (%d) than the input (%d): %q", len(p), depth, r.got[i])
			}
		}
	})
}
