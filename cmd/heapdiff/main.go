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
	"os"
	"runtime/debug"
)

func main() {
	// Loading large profiles is allocation-heavy and short-lived: collecting
	// at 50% heap growth instead of 100% cuts peak memory by about a quarter
	// for a few percent of CPU (see bench/run.sh). GOGC still overrides.
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(50)
	}
	os.Exit(run(os.Args[1:], newStdStreams()))
}
