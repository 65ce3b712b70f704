// Command heapdiff finds memory leaks in long-running services: it compares heap
// profiles, ranks leak suspects across snapshots, and renders the result for a
// terminal, for machines, and as a self-contained HTML page.
//
// Usage:
//
//	heapdiff compare before.pb.gz after.pb.gz
//	heapdiff capture http://127.0.0.1:6060/debug/pprof/heap --every 1m --count 10 --dir snaps/
//
// Run "heapdiff help" for every command and flag.
package main

import (
	"fmt"
	"os"
	"runtime/debug"
)

func main() {
	// Loading large profiles is allocation-heavy and short-lived: collecting
	// at 50% heap growth instead of 100% cuts peak memory by about a quarter
	// for a few percent of CPU (see bench/run.sh). GOGC still overrides.
	// Rendering, once the profiles are dropped, is paced by relaxGC.
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(50)
		gcPaced = true
	}
	s := newStdStreams()
	os.Exit(guard(s, func() int { return run(os.Args[1:], s) }))
}

// guard runs a command and returns its exit status. Should the command panic
// (a bug: every problem with the input is an error), it prints one line that
// asks for a report instead of a stack trace, and returns exitError. The
// profile package catches panics in its own goroutines; this catches the
// rest, on the main goroutine.
func guard(s *streams, command func() int) (code int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(s.ErrOut, "heapdiff: internal error: %s (a bug: please report it, with the command line and, if you can, its input)\n", oneLine(fmt.Sprint(r)))
			code = exitError
		}
	}()
	return command()
}
