package api

import (
	"slices"
	"testing"
	"time"

	"github.com/oauth-jaccount/jaccount-go/internal/wire"
)

// nopDrift is a DriftReporter that counts.
type nopDrift struct{ n int }

func (r *nopDrift) Drift(*wire.Drift) { r.n++ }

// driftProfile is a profile reply that the spec describes entirely.
var driftProfile = []byte(`{"errno":0,"error":"success","total":1,"entities":[{"id":"4f3c2b1a-0000-4000-8000-123456789abc",` +
	`"account":"alice","name":"Alice","kind":"canvas.profile","code":"520030910001","userType":"student",` +
	`"organize":{"id":"03000","name":"SEIEE"},"topOrganize":{"id":"03000","name":"SEIEE"},"classNo":"F2003001",` +
	`"avatars":{"uriTiny":"https://example.invalid/t.png","uriNormal":"https://example.invalid/n.png"},` +
	`"birthday":{"birthYear":"2002","birthMonth":"01","birthDay":"02"},"gender":"female","email":"alice@sjtu.edu.cn",` +
	`"timeZone":8,"identities":[{"kind":"canvas.identity","isDefault":true,"code":"520030910001","userType":"student",` +
	`"organize":{"id":"03000","name":"SEIEE"},"status":"active","createDate":1659492695}]}]}`)

// BenchmarkDriftDecode isolates the decoder: a profile reply decoded with a
// DriftReporter set and without, alternately, reporting the median ratio
// of the times (time without over time with: >= 1, the reporter costs
// nothing when nothing drifts) and the allocations of each side.
func BenchmarkDriftDecode(b *testing.B) {
	var r nopDrift
	decode := func(rep wire.DriftReporter) time.Duration {
		var d wire.Decoder
		d.ReportDrift(rep)
		env := &envelope[Profile]{Errno: errnoMissing}
		t0 := time.Now()
		if err := decodeEnvelope(&d, driftProfile, env, resultSingle); err != nil || len(env.Entities) != 1 {
			b.Fatal(err)
		}
		return time.Since(t0)
	}
	var ratios []float64
	for i := 0; b.Loop(); i++ {
		var with, without time.Duration
		if i%2 == 0 {
			with, without = decode(&r), decode(nil)
		} else {
			without, with = decode(nil), decode(&r)
		}
		ratios = append(ratios, float64(without)/float64(with))
	}
	if r.n != 0 {
		b.Fatalf("%d drifts in a reply the spec describes", r.n)
	}
	b.ReportMetric(median(ratios), "throughput-with/without")
	b.ReportMetric(testing.AllocsPerRun(100, func() { decode(&r) }), "allocs-with")
	b.ReportMetric(testing.AllocsPerRun(100, func() { decode(nil) }), "allocs-without")
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	slices.Sort(v)
	return v[len(v)/2]
}
