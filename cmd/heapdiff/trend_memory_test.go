//go:build linux

package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/heapdiff/heapdiff/diff"
	"github.com/heapdiff/heapdiff/profile"
	"github.com/heapdiff/heapdiff/report"
)

// trendMemoryChild, set in the environment, makes
// TestTrendMemoryIsBoundedBySites the trend whose peak it measures: "N
// spill" or "N memory", for N snapshots with or without a spill.
const trendMemoryChild = "HEAPDIFF_TREND_MEMORY_CHILD"

// The trend measured: memorySites sites, whose values take 24 bytes each
// per snapshot, over memorySnapshots snapshots and four times as many; the
// spill takes what passes memorySpillAfter. One site in memoryHolding
// holds memory; the others allocate objects that are freed by the time of
// each snapshot, as most of a Go heap profile's stacks do: their values
// are 0 and they get no series, but they take their place in every
// snapshot's values all the same.
const (
	memorySites      = 24_000
	memoryHolding    = 6
	memorySnapshots  = 20
	memorySpillAfter = 4 << 20
)

// TestTrendMemoryIsBoundedBySites checks that the peak memory of a trend
// written as text does not grow with the number of snapshots: a trend of
// four times as many snapshots of the same 24,000 sites peaks at most a
// quarter of their added values (24 bytes per site per snapshot) higher.
// Each trend runs in a child process, whose peak the kernel measures,
// reducing generated profiles as the CLI does, with its spill; the same
// trend held in memory (no spill) must grow by more than half its values,
// or the test measures nothing.
func TestTrendMemoryIsBoundedBySites(t *testing.T) {
	if arg := os.Getenv(trendMemoryChild); arg != "" {
		trendMemoryMain(t, arg)
		return
	}
	if raceDetector {
		t.Skip("peak memory means nothing under -race; .ci/run runs this without it")
	}
	if testing.Short() {
		t.Skip("follows 180 snapshots of 24,000 sites")
	}
	peak := func(n int, how string) int64 {
		t.Helper()
		cmd := exec.Command(os.Args[0], "-test.run=^TestTrendMemoryIsBoundedBySites$", "-test.count=1")
		cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%d %s", trendMemoryChild, n, how), "TMPDIR="+t.TempDir())
		start := time.Now()
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "PASS") {
			t.Fatalf("%d snapshots, %s: %v\n%s", n, how, err, out)
		}
		rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss * 1024
		t.Logf("%d snapshots, %s: %s, peak %d MiB", n, how, time.Since(start).Round(time.Millisecond), rss>>20)
		return rss
	}
	few := peak(memorySnapshots, "spill")
	many := peak(4*memorySnapshots, "spill")
	held := peak(4*memorySnapshots, "memory")
	added := int64(3 * memorySnapshots * memorySites * 24) // the values the many add
	if grew := many - few; grew > added/4 {
		t.Errorf("with a spill, %d snapshots peak %d MiB higher than %d: over a quarter of the %d MiB of values they add",
			4*memorySnapshots, grew>>20, memorySnapshots, added>>20)
	}
	if grew := held - few; grew < added/2 {
		t.Errorf("held in memory, %d snapshots peak only %d MiB higher than %d with a spill, less than half the %d MiB of values they add: the test cannot tell",
			4*memorySnapshots, grew>>20, memorySnapshots, added>>20)
	}
}

// trendMemoryMain is the child of TestTrendMemoryIsBoundedBySites: it
// follows the snapshots arg asks for, as "heapdiff trend" does for text
// (at its GOGC, keeping no series' values), and writes the trend.
func trendMemoryMain(t *testing.T, arg string) {
	var n int
	var how string
	if _, err := fmt.Sscanf(arg, "%d %s", &n, &how); err != nil {
		t.Fatalf("%s=%q: %v", trendMemoryChild, arg, err)
	}
	debug.SetGCPercent(50)
	opts := diff.TrendOptions{KeepValues: report.TrendKeepValues(report.FormatText)}
	if how == "spill" {
		opts.Spill, opts.SpillAfter = tempSpill, memorySpillAfter
	}
	b := diff.NewTrend(opts)
	defer b.Close()
	p := memoryProfile()
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	for k := range n {
		p.Name = "heap-" + strconv.Itoa(k) + ".pb.gz"
		p.Time = t0.Add(time.Duration(k) * 10 * time.Minute)
		for s := range p.Stacks {
			// Leaks, caches that fill, sawtooths and flat sites, with
			// cumulative allocations that only grow; and churn.
			var objects int64
			if s%memoryHolding == 0 {
				objects = int64(10 + s%50)
				switch s / memoryHolding % 4 {
				case 0:
					objects += int64(k * (1 + s%3))
				case 1:
					objects += int64(min(k, 5) * 4)
				case 2:
					objects += int64(k%3) * 7
				}
			}
			v := p.Stacks[s].Values
			v[0] += objects + int64(s%5)
			v[1] = v[0] * 64
			v[2], v[3] = objects, objects*64
		}
		if err := b.Add(p); err != nil {
			t.Fatal(err)
		}
	}
	tr, err := b.Trend()
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Series) != (memorySites+memoryHolding-1)/memoryHolding || len(tr.Snapshots) != n {
		t.Fatalf("%d series over %d snapshots", len(tr.Series), len(tr.Snapshots))
	}
	if err := report.TrendText(io.Discard, tr, report.Options{}); err != nil {
		t.Fatal(err)
	}
}

// memoryProfile is a profile of memorySites sites, one single-frame stack
// each, with Go's four heap sample types.
func memoryProfile() *profile.Profile {
	p := &profile.Profile{
		SampleTypes: []profile.ValueType{{Type: "alloc_objects", Unit: "count"}, {Type: "alloc_space", Unit: "bytes"},
			{Type: "inuse_objects", Unit: "count"}, {Type: "inuse_space", Unit: "bytes"}},
		DefaultSampleType: "inuse_space",
		PeriodType:        profile.ValueType{Type: "space", Unit: "bytes"},
		Period:            512 << 10,
		Comments:          []string{"host=test", "pid=1"},
	}
	for s := range memorySites {
		p.Frames = append(p.Frames, profile.Frame{Function: fmt.Sprintf("example.com/app.site%d", s), File: "/src/app/app.go", Line: int64(s + 1)})
		p.Stacks = append(p.Stacks, profile.Stack{Frames: []int32{int32(s)}, Values: make([]int64, 4)})
	}
	return p
}
