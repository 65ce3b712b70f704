//go:build !race

package report

// raceDetector is set when the tests run with -race.
const raceDetector = false
