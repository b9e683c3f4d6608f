package api_test

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/oauth-jaccount/jaccount-go/api"
)

// BenchmarkDriftPaired measures what a drift handler costs a call whose
// reply matches the spec: each iteration (each goroutine's, with 64) makes
// one profile call through a client with api.WithDriftHandler and one
// through a client without, the order alternating, against the same
// server. It reports with-ns/call and without-ns/call (means) and
// throughput-with/without, the median over the iterations of the time
// without over the time with (>= 1: the handler costs nothing).
// TestDriftAllocations checks the allocations.
func BenchmarkDriftPaired(b *testing.B) {
	base := benchServer().URL
	without, err := api.NewClient(api.StaticToken(testToken), api.WithBaseURL(base), api.WithTransport(benchTransport()))
	if err != nil {
		b.Fatal(err)
	}
	with, err := api.NewClient(api.StaticToken(testToken), api.WithBaseURL(base), api.WithTransport(benchTransport()),
		api.WithDriftHandler(func(d api.Drift) { b.Errorf("drift: %+v", d) }))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	calls := [2]func() error{
		func() error { _, err := with.Profile.Get(ctx); return err },
		func() error { _, err := without.Profile.Get(ctx); return err },
	}
	var wg sync.WaitGroup
	for range 64 { // both pools hold their connections before anything is timed
		wg.Go(func() {
			for _, call := range calls {
				if err := call(); err != nil {
					b.Error(err)
				}
			}
		})
	}
	wg.Wait()
	for _, g := range []int{1, 64} {
		b.Run("goroutines="+fmt.Sprint(g), func(b *testing.B) {
			var mu sync.Mutex
			var ns [2]int64
			var n int64
			var r ratios
			round := func(i int64, acc *[2]int64, out *[]float64) {
				var d [2]int64
				for k := range int64(2) {
					j := (i + k) % 2
					t0 := time.Now()
					if err := calls[j](); err != nil {
						b.Error(err)
					}
					d[j] = time.Since(t0).Nanoseconds()
					acc[j] += d[j]
				}
				*out = append(*out, float64(d[1])/float64(d[0]))
			}
			if g == 1 {
				var out []float64
				for b.Loop() {
					round(n, &ns, &out)
					n++
				}
				r.add(out)
			} else {
				b.SetParallelism(max(1, g/runtime.GOMAXPROCS(0)))
				b.RunParallel(func(pb *testing.PB) {
					var acc [2]int64
					var out []float64
					var i int64
					for ; pb.Next(); i++ {
						round(i, &acc, &out)
					}
					r.add(out)
					mu.Lock()
					ns[0] += acc[0]
					ns[1] += acc[1]
					n += i
					mu.Unlock()
				})
			}
			if n > 0 {
				b.ReportMetric(float64(ns[0])/float64(n), "with-ns/call")
				b.ReportMetric(float64(ns[1])/float64(n), "without-ns/call")
				b.ReportMetric(r.median(), "throughput-with/without")
			}
		})
	}
}
