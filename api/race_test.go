//go:build race

package api_test

// raceEnabled reports a test binary built with -race, whose detector
// allocates.
const raceEnabled = true
