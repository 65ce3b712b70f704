package main

import (
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
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
	if p != 200 || l < minRenderLimit || l == math.MaxInt64 || uint64(l) > max(ms.Sys, minRenderLimit) {
		t.Errorf("relaxGC set GOGC %d and a limit of %d bytes; want 200, and the %d bytes the process holds, or %d if more", p, l, ms.Sys, minRenderLimit)
	}
}

// The real CLI, writing the demo pair's page (small profiles, so a small
// process): its collector runs a handful of times, as at GOGC=50 alone
// (8), not the ninety times a memory limit of the process's size made it.
func TestSmallPageIsNotCollectedOverAndOver(t *testing.T) {
	bin := heapdiffBinary(t)
	cmd := exec.Command(bin, "compare", "../../testdata/leaky/heap-01.pb.gz", "../../testdata/leaky/heap-12.pb.gz", "-o", filepath.Join(t.TempDir(), "report.html"))
	// Without GOGC, so that heapdiff paces its collector itself.
	cmd.Env = slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "GOGC=") })
	cmd.Env = append(cmd.Env, "GODEBUG=gctrace=1")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v: %s", err, stderr.String())
	}
	n := 0
	for line := range strings.Lines(stderr.String()) {
		if strings.HasPrefix(line, "gc ") {
			n++
		}
	}
	if n == 0 || n > 20 {
		t.Errorf("%d garbage collections for the demo pair's page, want a handful (and gctrace's lines to count):\n%s", n, stderr.String())
	}
}
