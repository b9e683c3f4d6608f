//go:build !race

package jaccount_test

// raceEnabled is whether this test binary has the race detector, so that
// TestNestedModules passes -race on to the nested modules' tests.
const raceEnabled = false
