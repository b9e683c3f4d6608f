package api_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/oauth-jaccount/jaccount-go/gen"
)

// plainType returns t as the other Go clients declare it: a plain struct of
// the known fields, decoded by encoding/json, without methods and without
// AdditionalProperties; every model inside it likewise, and a birthday as
// the struct of its string parts (as dyweb/go-jaccount has it).
func plainType(t reflect.Type) reflect.Type {
	switch {
	case t == reflect.TypeFor[gen.Birthday]():
		return reflect.TypeFor[gen.BirthdayParts]()
	case t.Kind() == reflect.Slice:
		if e := plainType(t.Elem()); e != t.Elem() {
			return reflect.SliceOf(e)
		}
	case t.Kind() == reflect.Struct && t.PkgPath() == reflect.TypeFor[gen.Profile]().PkgPath():
		var fields []reflect.StructField
		for i := range t.NumField() {
			f := t.Field(i)
			if f.Name != "AdditionalProperties" {
				f.Type = plainType(f.Type)
				fields = append(fields, f)
			}
		}
		return reflect.StructOf(fields)
	}
	return t
}

// plainOf returns a new plain value for the type of v (a pointer).
func plainOf(v any) func() any {
	t := plainType(reflect.TypeOf(v).Elem())
	return func() any { return reflect.New(t).Interface() }
}

// decodeCases are the replies BenchmarkDecode decodes with json.Unmarshal,
// into the models and into plain structs of their known fields.
var decodeCases = []struct {
	name  string
	data  []byte
	model func() any
}{
	{"profile", profileEntity(), func() any { return new(gen.Profile) }},
	{"transactions", benchTransactions, func() any { return new(gen.CardTransactionList) }},
	{"lessons", benchLessons, func() any { return new(gen.LessonList) }},
}

// profileEntity is benchProfile's entity alone.
func profileEntity() []byte {
	var env struct{ Entities []json.RawMessage }
	if err := json.Unmarshal(benchProfile, &env); err != nil {
		panic(err)
	}
	return bytes.Clone(env.Entities[0])
}

// BenchmarkDecode decodes each reply with json.Unmarshal into the model
// (impl=model) and into a plain struct of its known fields (impl=plain),
// the way the other Go clients decode; "benchstat -col /impl" sets them
// side by side.
func BenchmarkDecode(b *testing.B) {
	for _, c := range decodeCases {
		impls := []struct {
			name string
			new  func() any
		}{{"plain", plainOf(c.model())}, {"model", c.model}}
		for _, im := range impls {
			b.Run("op="+c.name+"/impl="+im.name, func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(c.data)))
				for b.Loop() {
					if err := json.Unmarshal(c.data, im.new()); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkDecodePaired decodes each reply into the plain struct and into
// the model in turn, alternating which goes first, timing each, so both see
// the same moments of a shared machine's load. It reports time-model/plain,
// the median over the iterations of the model's time over the plain
// struct's, and allocs-model/plain: the model's cost as a multiple of the
// plain struct's (≤ 1 is the goal).
func BenchmarkDecodePaired(b *testing.B) {
	for _, c := range decodeCases {
		b.Run("op="+c.name, func(b *testing.B) {
			plain := plainOf(c.model())
			decode := func(newV func() any) time.Duration {
				t0 := time.Now()
				if err := json.Unmarshal(c.data, newV()); err != nil {
					b.Fatal(err)
				}
				return time.Since(t0)
			}
			var r ratios
			var v []float64
			i := 0
			for b.Loop() {
				var p, m time.Duration
				if i%2 == 0 {
					p = decode(plain)
					m = decode(c.model)
				} else {
					m = decode(c.model)
					p = decode(plain)
				}
				v = append(v, float64(m)/float64(p))
				i++
			}
			r.add(v)
			allocs := func(newV func() any) float64 {
				return testing.AllocsPerRun(100, func() { _ = json.Unmarshal(c.data, newV()) })
			}
			b.ReportMetric(r.median(), "time-model/plain")
			b.ReportMetric(allocs(c.model)/allocs(plain), "allocs-model/plain")
		})
	}
}
