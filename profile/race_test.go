//go:build race

package profile

// raceDetector is set when the tests run with -race. Peak memory is then
// the race detector's, several times the program's own, and a child's is
// counted from the (much larger) test binary that started it, so the
// tests that bound a process's peak memory check it only without -race;
// .ci/run runs them so.
const raceDetector = true
