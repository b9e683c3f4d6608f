package cli

import (
	"bytes"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/oauth-jaccount/jaccount-go/api"
	"github.com/oauth-jaccount/jaccount-go/jaccounttest"
)

// BenchmarkExportCSV exports every card transaction of a student who has n
// of them from the fake to CSV: `jaccount card transactions --format csv`,
// in-process, over loopback HTTP, pages of 1,000. It reports rows/s and
// heap-growth-KiB: the live heap at its highest during one export minus the
// live heap before it (measured, with a GC, every 5,000 rows), which stays
// flat as n grows because rows are written as they come.
//
//	go test -run '^$' -bench BenchmarkExportCSV -benchtime 3x ./internal/cli/
func BenchmarkExportCSV(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("rows=%d", n), func(b *testing.B) { benchmarkExport(b, n) })
	}
}

func benchmarkExport(b *testing.B, n int) {
	student := jaccounttest.DefaultUsers()[0]
	student.Transactions = benchTransactions(n)
	h := newHarness(b, jaccounttest.WithUser(student), jaccounttest.WithPageSize(1000))
	h.mustRun("login")
	args := []string{"card", "transactions", "--format", "csv"}

	// One export with the live heap sampled.
	w := &heapSampler{every: 5000}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	if r := h.runEnv(h.env(w, &syncBuffer{}, args...), &syncBuffer{}, &syncBuffer{}); r.code != 0 {
		b.Fatalf("export: %s", r)
	}
	if w.rows != n+1 {
		b.Fatalf("exported %d lines, want %d", w.rows, n+1)
	}
	growth := int64(w.peak) - int64(base)

	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		c := &lineCounter{}
		if r := h.runEnv(h.env(c, &syncBuffer{}, args...), &syncBuffer{}, &syncBuffer{}); r.code != 0 || c.rows != n+1 {
			b.Fatalf("export: %d lines, %s", c.rows, r)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(growth)/1024, "heap-growth-KiB")
}

// benchTransactions makes n transactions, oldest first, a minute apart.
func benchTransactions(n int) []api.CardTransaction {
	out := make([]api.CardTransaction, n)
	start := time.Date(2024, 9, 1, 7, 0, 0, 0, cst).UnixMilli()
	for i := range out {
		out[i] = api.CardTransaction{DateTime: start + int64(i)*60_000, System: "餐饮", Merchant: "第一餐饮大楼",
			Description: fmt.Sprintf("午餐 #%d", i+1), Amount: -float64(5 + i%20), CardBalance: float64(1000 + i%500)}
	}
	return out
}

// lineCounter counts the lines written to it.
type lineCounter struct{ rows int }

func (c *lineCounter) Write(p []byte) (int, error) {
	c.rows += bytes.Count(p, []byte{'\n'})
	return len(p), nil
}

// heapSampler counts lines and, every so many, records the live heap
// after a garbage collection.
type heapSampler struct {
	lineCounter
	every, next int
	peak        uint64
}

func (s *heapSampler) Write(p []byte) (int, error) {
	n, err := s.lineCounter.Write(p)
	if s.rows >= s.next {
		s.next = s.rows + s.every
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		s.peak = max(s.peak, ms.HeapAlloc)
	}
	return n, err
}

// BenchmarkWriteCSV is the CLI's own share of an export: the CSV writer fed
// by a paging iterator in memory, with no HTTP and no fake behind it; with
// --time-format auto (the default: the card times written as ISO 8601) and
// wire (the API's epoch milliseconds, what every version wrote before).
func BenchmarkWriteCSV(b *testing.B) {
	const n = 100_000
	items := benchTransactions(n)
	seq := func(yield func(api.CardTransaction, error) bool) {
		for _, t := range items {
			if !yield(t, nil) {
				return
			}
		}
	}
	for _, times := range []string{timeFormatAuto, timeFormatWire} {
		b.Run("times="+times, func(b *testing.B) {
			a := &app{env: &Env{}, settings: &settings{profile: value{v: defaultProfile}}}
			o, err := resolveOutput(formatCSV, times, false, 0)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				c := &lineCounter{}
				a.env.Stdout = c
				if err := printSeq(a, o, "card transactions", 0, seq); err != nil || c.rows != n+1 {
					b.Fatalf("%d lines, %v", c.rows, err)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
