//go:build race

package main

// raceDetector is set when the tests run with -race: the README's test
// command, which runs every package's tests at once, so the four services
// of TestVerdictsOnARealService share the machine with the whole suite.
const raceDetector = true
