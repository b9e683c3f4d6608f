package jaccounttest

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestFaultFires: a fault with Probability(p) answers a share p of the
// matching requests. The draws come from a fixed seed, so the test cannot
// flake; the bounds (six standard deviations of the binomial count) are
// tight enough that an off-by-one in the comparison or a p taken as 1-p
// fails it.
func TestFaultFires(t *testing.T) {
	t.Parallel()
	const n = 100_000
	rng := rand.New(rand.NewPCG(17, 7))
	for _, p := range []float64{0, 1e-9, 0.001, 0.05, 0.3, 0.5, 0.9, 0.999, 1} {
		f := ErrorStatus(503).Probability(p)
		got := 0
		for range n {
			if f.fires(rng.Float64()) {
				got++
			}
		}
		mean, sd := n*p, math.Sqrt(n*p*(1-p))
		if math.Abs(float64(got)-mean) > 6*sd {
			t.Errorf("Probability(%v): %d of %d fired, want %.0f ± %.0f", p, got, n, mean, 6*sd)
		}
	}
	// The edges are exact whatever is drawn from [0, 1).
	never, always, unset := ErrorStatus(503).Probability(0), ErrorStatus(503).Probability(1), ErrorStatus(503)
	for _, u := range []float64{0, math.SmallestNonzeroFloat64, 0.5, math.Nextafter(1, 0)} {
		if never.fires(u) || !always.fires(u) || !unset.fires(u) {
			t.Errorf("u = %v: Probability(0) fires or Probability(1) or no Probability does not", u)
		}
	}
}
