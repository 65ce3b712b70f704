package main

import (
	"runtime"
	"runtime/debug"
)

// gcPaced is set when heapdiff chose the collector's pace (GOGC unset, see
// main), so that relaxGC may change it; tests, which run commands in their
// own process, leave it alone.
var gcPaced bool

// relaxGC is called once a command has its comparison and no longer needs
// the profiles: what follows (rendering) keeps far less alive, and at
// GOGC=50 its small heap was collected again and again, each time with the
// renderer's goroutine helping. From here the heap may grow to three times
// what is live, but never past what the process already holds (its memory
// limit): the peak stays the loading's and comparing's. Small profiles
// leave a process too small for that limit to leave rendering room (it
// collected ninety times on testdata/leaky's pair): the limit is never
// below minRenderLimit.
func relaxGC() {
	if !gcPaced {
		return
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	debug.SetMemoryLimit(max(int64(ms.Sys-ms.HeapReleased), minRenderLimit))
	debug.SetGCPercent(200)
}

// minRenderLimit is the least memory limit relaxGC sets.
const minRenderLimit = 64 << 20
