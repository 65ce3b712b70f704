//go:build race

package diff

// raceDetector is set when the tests run with -race, which makes the
// statistical checks of the trend's verdicts (thousands of simulated
// series, one goroutine) about twenty times slower without finding more.
const raceDetector = true
