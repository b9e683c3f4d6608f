//go:build !race

package main_test

// raceEnabled is whether this test binary has the race detector, so that
// the jaccount binary the tests run is built with it too.
const raceEnabled = false
