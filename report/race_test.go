//go:build race

package report

// raceDetector is set when the tests run with -race, which makes the large
// benchmark pair too slow to generate and compare in a unit test.
const raceDetector = true
