package wire_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/oauth-jaccount/jaccount-go/gen"
	"github.com/oauth-jaccount/jaccount-go/internal/wire"
)

// decodeAny decodes b with the Decoder, numbers as float64 or, with
// useNumber, as json.Number.
func decodeAny(b []byte, useNumber bool) (any, error) {
	var d wire.Decoder
	d.Reset(b)
	var v any
	if useNumber {
		var m map[string]any
		d.Keep(&m, []byte("v"))
		v = m["v"]
	} else {
		wire.Any(&d, &v)
	}
	return v, d.Finish()
}

func decodeStd(b []byte, useNumber bool) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	if useNumber {
		dec.UseNumber()
	}
	var v any
	if !json.Valid(b) { // also refuses trailing data
		return nil, json.Unmarshal(b, &v)
	}
	err := dec.Decode(&v)
	return v, err
}

var decoderSeeds = []string{
	`{"a":1,"b":[true,false,null,"x\u00e9\ud83d\ude00\n"],"c":{"d":-0.5e-3}}`, `[]`, `{}`, `""`, `"\ud800"`,
	`"\xff\xfe"`, `1e400`, `-0`, `01`, `1.`, `{"a" 1}`, `[1,]`, `{"a":1,}`, `nul`, `tru`, `"\q"`, `"a` + "\x01" + `"`,
	` {"x" : [ 1 , 2 ] } `, `[1] x`, `12345678901234567890`, `"\u12"`, `{"é":"\/"}`, `{"a":1}{}`,
}

// FuzzDecoder checks the Decoder against encoding/json on any input: the
// same values, numbers as float64 or as json.Number, and an error exactly
// when encoding/json has one.
func FuzzDecoder(f *testing.F) {
	for _, s := range decoderSeeds {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, b []byte, useNumber bool) {
		got, err := decodeAny(b, useNumber)
		want, wantErr := decodeStd(b, useNumber)
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("%q: error %v, encoding/json's %v", b, err, wantErr)
		}
		if err == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: decoded %#v, encoding/json %#v", b, got, want)
		}
	})
}

func TestDecoderSeeds(t *testing.T) {
	t.Parallel()
	for _, s := range decoderSeeds {
		for _, useNumber := range []bool{false, true} {
			got, err := decodeAny([]byte(s), useNumber)
			want, wantErr := decodeStd([]byte(s), useNumber)
			if (err != nil) != (wantErr != nil) || err == nil && !reflect.DeepEqual(got, want) {
				t.Errorf("%q (useNumber %v): %#v, %v; encoding/json %#v, %v", s, useNumber, got, err, want, wantErr)
			}
		}
	}
	deep := []byte(strings.Repeat("[", 10001) + strings.Repeat("]", 10001))
	if _, err := decodeAny(deep, false); err == nil {
		t.Error("10001 nested arrays decoded")
	}
}

// models are the models FuzzModelDecoder decodes.
var models = []func() any{
	func() any { return new(gen.Profile) }, func() any { return new(gen.CardInfo) },
	func() any { return new(gen.Lesson) }, func() any { return new(gen.CardTransaction) },
	func() any { return new(gen.CardChargeResponse) }, func() any { return new(gen.UnicodeCheck) },
	func() any { return new(gen.CalendarEvent) }, func() any { return new(gen.DataFaculty) },
	func() any { return new(gen.ProfileList) }, func() any { return new(gen.CardTransactionList) },
	func() any { return new(gen.UserRightList) }, func() any { return new(gen.UserRight) },
}

// FuzzModelDecoder checks the generated decoders against encoding/json
// decoding the same input into plain structs of the models' fields: the
// same field values, and an error exactly when encoding/json has one.
// (What the models keep besides, FuzzModelRoundTrip in package api checks.)
func FuzzModelDecoder(f *testing.F) {
	for _, s := range []string{
		`{"id":"A","account":"a","userType":"freshman","organize":{},"identities":[{"createDate":1,"topOrganizes":[{}]}],"timeZone":0,"x":{"y":[1,"新"]}}`,
		`{"birthday":{"birthYear":"2000","birthMonth":"01","birthDay":"02","extra":1},"avatars":null,"identities":null}`,
		`{"user":{"name":"张三","timeZone":0},"cardNo":"1","lost":false,"cardBalance":1.5,"expireDate":"20600101"}`,
		`{"name":"x","credits":2.5,"hours":32,"organize":{"id":null},"teachers":[{"name":"高"}],"classes":[]}`,
		`{"amount":-18,"dateTime":1623835790000,"cardBalance":-0.0,"amount":1e400}`,
		`{"postData":{"data":[1,{"a":null}],"sign":1.5},"status":{"code":1},"applyAmount":"1"}`,
		`{"identities":[{"code":"1"}],"identities":[{"kind":"k"},{}]}`, `{"timeZone":1.5}`, `{"account":1}`,
		`{"organize":"x"}`, `{"identities":{}}`, `{}`, `null`, `[]`, `{"a":1,}`,
		`{"errno":0,"error":"success","total":1,"entities":[{"account":"a","amount":1,"x":[1.5]}],"nextToken":"n"}`,
		`{"errno":"0","entities":[1]}`, `{"entities":[{}],"entities":[{"a":1}]}`,
	} {
		for i := range models {
			f.Add([]byte(s), byte(i))
		}
	}
	f.Fuzz(func(t *testing.T, b []byte, which byte) {
		m := models[int(which)%len(models)]()
		shadowT := shadow(reflect.TypeOf(m).Elem())
		plain := reflect.New(shadowT)
		err := json.Unmarshal(b, m)
		wantErr := json.Unmarshal(b, plain.Interface())
		if foldedName(b) {
			return // encoding/json takes a name of other case for a field; a model keeps it
		}
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("%s into %T: error %v, encoding/json's %v", b, m, err, wantErr)
		}
		if err == nil {
			if path := diff(reflect.ValueOf(m).Elem(), plain.Elem(), ""); path != "" {
				t.Fatalf("%s into %T: %s differs from encoding/json's", b, m, path)
			}
		}
	})
}

// shadow returns t with every model replaced by a plain struct of its
// fields, without methods and without AdditionalProperties. A model that
// contains itself (UserRight.Parent) stays the model where it recurs:
// reflect cannot build a recursive struct.
func shadow(t reflect.Type) reflect.Type { return shadowOf(t, map[reflect.Type]bool{}) }

func shadowOf(t reflect.Type, busy map[reflect.Type]bool) reflect.Type {
	switch t.Kind() {
	case reflect.Slice:
		if e := shadowOf(t.Elem(), busy); e != t.Elem() {
			return reflect.SliceOf(e)
		}
	case reflect.Pointer:
		if e := shadowOf(t.Elem(), busy); e != t.Elem() {
			return reflect.PointerTo(e)
		}
	case reflect.Struct:
		if t.PkgPath() != reflect.TypeFor[gen.Profile]().PkgPath() || busy[t] {
			return t
		}
		busy[t] = true
		defer delete(busy, t)
		var fields []reflect.StructField
		for i := range t.NumField() {
			f := t.Field(i)
			if f.Name != "AdditionalProperties" {
				f.Type = shadowOf(f.Type, busy)
				fields = append(fields, f)
			}
		}
		return reflect.StructOf(fields)
	}
	return t
}

// diff returns the path of the first field of the model m whose value
// differs from the plain struct p's, "" when none does.
func diff(m, p reflect.Value, path string) string {
	switch {
	case m.Kind() == reflect.Struct && m.Type() != p.Type():
		for i := range p.NumField() {
			name := p.Type().Field(i).Name
			if d := diff(m.FieldByName(name), p.Field(i), path+"."+name); d != "" {
				return d
			}
		}
		return ""
	case m.Kind() == reflect.Pointer && m.Type() != p.Type():
		if m.IsNil() || p.IsNil() {
			if m.IsNil() != p.IsNil() {
				return path
			}
			return ""
		}
		return diff(m.Elem(), p.Elem(), path+".*")
	case m.Kind() == reflect.Slice && m.Type() != p.Type():
		if m.Len() != p.Len() || m.IsNil() != p.IsNil() {
			return path
		}
		for i := range m.Len() {
			if d := diff(m.Index(i), p.Index(i), path+"[]"); d != "" {
				return d
			}
		}
		return ""
	}
	if !reflect.DeepEqual(m.Interface(), p.Interface()) {
		return path
	}
	return ""
}

// knownNames are the member names of the models' fields.
var knownNames = func() map[string]bool {
	names := map[string]bool{}
	var walk func(reflect.Type)
	walk = func(t reflect.Type) {
		switch t.Kind() {
		case reflect.Slice, reflect.Pointer:
			walk(t.Elem())
		case reflect.Struct:
			for i := range t.NumField() {
				name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
				if name != "" && name != "-" && !names[name] {
					names[name] = true
					walk(t.Field(i).Type)
				}
			}
		}
	}
	for _, m := range models {
		walk(reflect.TypeOf(m()).Elem())
	}
	names["birthYear"], names["birthMonth"], names["birthDay"] = true, true, true
	return names
}()

// foldedName reports whether b holds a member name (or any string: the
// tokens do not tell names from values) that differs from a known name only
// in case. Every occurrence counts, those of a duplicate name too.
func foldedName(b []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		if k, ok := tok.(string); ok {
			for n := range knownNames {
				if k != n && strings.EqualFold(k, n) {
					return true
				}
			}
		}
	}
}

func TestEnvelopeNamesFold(t *testing.T) {
	t.Parallel()
	var l gen.CardTransactionList
	in := `{"ERRNO":5,"Error":"x","error":"y","eNTITIES":[{"amount":1}],"other":[1,{"a":2}]}`
	if err := json.Unmarshal([]byte(in), &l); err != nil || l.Errno != 5 || l.Error != "y" || len(l.Entities) != 1 {
		t.Errorf("decoded %+v, %v", l, err)
	}
}

func TestModelTypeErrors(t *testing.T) {
	t.Parallel()
	for _, in := range []string{`{"account":1}`, `{"timeZone":"8"}`, `{"timeZone":1.5}`, `{"identities":{}}`,
		`{"organize":[]}`, `{"identities":[{"isDefault":"true"}]}`, `{"timeZone":99999999999999999999}`, `"x"`, `[]`} {
		var p gen.Profile
		err := json.Unmarshal([]byte(in), &p)
		var te *json.UnmarshalTypeError
		if !errors.As(err, &te) {
			t.Errorf("%s: err = %v, want a *json.UnmarshalTypeError", in, err)
		}
	}
	var p gen.Profile
	var se *json.SyntaxError
	if err := p.UnmarshalJSON([]byte(`{"account":"a"`)); !errors.As(err, &se) {
		t.Errorf("truncated object: err = %v, want a *json.SyntaxError", err)
	}
}

// TestKeptNames: a member a model keeps is kept under the name
// encoding/json gives it, also when its name is not valid UTF-8 (each bad
// byte is U+FFFD), so that the model encodes back, and decodes again, to
// the members encoding/json reads.
func TestKeptNames(t *testing.T) {
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
		var m gen.Avatars
		if err := json.Unmarshal([]byte(in), &m); err != nil || !reflect.DeepEqual(m.AdditionalProperties, want) {
			t.Errorf("%q: kept %#v (%v), want the decoder's %#v", in, m.AdditionalProperties, err, want)
			continue
		}
		out, err := json.Marshal(m)
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		var again gen.Avatars
		if err := json.Unmarshal(out, &again); err != nil || !reflect.DeepEqual(again.AdditionalProperties, want) {
			t.Errorf("%q encoded as %q decodes to %#v (%v), want %#v", in, out, again.AdditionalProperties, err, want)
		}
	}
}
