package main

import (
	"math"
	"runtime"
	"runtime/debug"
	"testing"
)

// relaxGC lets the heap grow to three times what is live, but never past
// what the process holds: the peak stays the comparison's. Unless heapdiff
// chose the pace (GOGC unset), it changes nothing.
func TestRelaxGC(t *testing.T) {
	percent, limit := debug.SetGCPercent(50), debug.SetMemoryLimit(-1)
	defer func() {
		debug.SetGCPercent(percent)
		debug.SetMemoryLimit(limit)
		gcPaced = false
	}()

	gcPaced = false
	relaxGC()
	if p, l := debug.SetGCPercent(50), debug.SetMemoryLimit(-1); p != 50 || l != limit {
		t.Errorf("with GOGC set by the user: GOGC %d and limit %d after relaxGC, want them unchanged (50, %d)", p, l, limit)
	}

	gcPaced = true
	relaxGC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	p, l := debug.SetGCPercent(50), debug.SetMemoryLimit(-1)
	if p != 200 || l <= 0 || l == math.MaxInt64 || uint64(l) > ms.Sys {
		t.Errorf("relaxGC set GOGC %d and a limit of %d bytes; want 200, and at most the %d bytes the process holds", p, l, ms.Sys)
	}
}
