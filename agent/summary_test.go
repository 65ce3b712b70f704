package agent

import (
	"bytes"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/pprof"
	"slices"
	"testing"
)

// Close logs one line with what a reader of the logs needs after the run:
// memory at start, end and peak, both growth fits with R², alerts, snapshots,
// and a compare command for the baseline and the last snapshot that runs.
func TestCloseLogsSummary(t *testing.T) {
	logs := &jsonLogs{}
	a, _ := start(t, RSSAbove(1<<40), Cooldown(0), Logger(logs.logger()))
	// 30 minutes of samples: live heap 100 MiB/h, RSS 200 MiB/h.
	feed(a, 0, 31, func(i int) uint64 { return 1<<30 + uint64(i)*(200<<20)/60 })
	a.mu.Lock()
	a.trig.RSSAbove = 1 // two alerts, one snapshot each
	a.mu.Unlock()
	feed(a, 31, 33, func(i int) uint64 { return 1<<30 + uint64(i)*(200<<20)/60 })
	last, err := a.Capture("before shutdown")
	if err != nil {
		t.Fatal(err)
	}
	before := a.Stats()
	a.Close()
	var summary map[string]any
	for _, r := range logs.records(t) {
		if r["msg"] == "heapdiff: agent stopped" {
			if summary != nil {
				t.Fatal("two summaries")
			}
			summary = r
		}
	}
	if summary == nil {
		t.Fatalf("no summary:\n%s", logs)
	}
	size := regexp.MustCompile(`^\d+(\.\d)? [KMGTPE]?i?B$`)
	for _, k := range []string{"rss_start", "rss_end", "rss_peak", "live_heap_start", "live_heap_end", "live_heap_peak"} {
		if v, _ := summary[k].(string); !size.MatchString(v) {
			t.Errorf("%s = %v, want a size", k, summary[k])
		}
	}
	for k, want := range map[string]any{
		"live_heap_growth":  "100.0 MiB/h",
		"live_heap_r2":      "1.00",
		"rss_growth":        "200.0 MiB/h",
		"rss_r2":            "1.00",
		"alerts":            2.0,
		"alerts_by_trigger": "rss=2",
		"snapshots":         3.0,
		"failures":          0.0,
		"dir":               a.Dir(),
		"compare":           before.Compare,
	} {
		if summary[k] != want {
			t.Errorf("%s = %v, want %v", k, summary[k], want)
		}
	}
	want := []string{filepath.Join(a.Dir(), before.Baseline), last}
	if got := runCompare(t, fakeHeapdiff(t), summary["compare"].(string)); !slices.Equal(got, want) {
		t.Errorf("the summary's compare ran on %q, want the baseline and the last snapshot %q", got, want)
	}
	s := a.Stats()
	if s.StartMemory.RSS == 0 || s.Memory.Time.Before(before.Memory.Time) || s.Memory.PeakLiveHeap < s.Memory.LiveHeap {
		t.Errorf("start %+v, end %+v: want a reading at Start and one at Close", s.StartMemory, s.Memory)
	}
}

// A process stopped before it took any snapshot says so rather than give a
// command that cannot run.
func TestSummaryWithoutSnapshots(t *testing.T) {
	logs := &jsonLogs{}
	a, _ := start(t, Logger(logs.logger()))
	a.Close()
	for _, r := range logs.records(t) {
		if r["msg"] == "heapdiff: agent stopped" {
			if r["compare"] != "none (no baseline)" || r["live_heap_growth"] != "none (no samples after warm-up)" {
				t.Errorf("summary %v", r)
			}
			return
		}
	}
	t.Fatalf("no summary:\n%s", logs)
}

// captureAllocs returns the bytes the process allocates per capture, and per
// call of runtime/pprof's heap profile writer alone, each averaged over n
// calls after two to warm up.
func captureAllocs(t testing.TB, a *Agent, n int) (capture, pprofAlone uint64) {
	measure := func(f func()) uint64 {
		f()
		f()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for range n {
			f()
		}
		runtime.ReadMemStats(&after)
		return (after.TotalAlloc - before.TotalAlloc) / uint64(n)
	}
	capture = measure(func() {
		if _, err := a.Capture(""); err != nil {
			t.Fatal(err)
		}
	})
	var buf bytes.Buffer
	pprofAlone = measure(func() {
		buf.Reset()
		pprof.Lookup("heap").WriteTo(&buf, 0)
	})
	return capture, pprofAlone
}

// The agent's own capture work weighs little in the service's alloc_space:
// beyond what runtime/pprof allocates to write the profile (its gzip writer,
// which it does not let a caller reuse), a capture allocates a few KiB. It
// allocated about 950 KiB more per capture when it made a gzip reader and
// writer and a buffer each time.
func TestCaptureAllocatesLittleBeyondPprof(t *testing.T) {
	a, _ := start(t, Keep(3))
	const n = 20
	capture, alone := captureAllocs(t, a, n)
	own := int64(capture) - int64(alone)
	t.Logf("per capture: %d bytes in all, %d of them runtime/pprof's own, %d the agent's", capture, alone, own)
	if own > 64<<10 {
		t.Errorf("a capture allocates %d bytes beyond runtime/pprof's %d, want under 64 KiB", own, alone)
	}
}

// BenchmarkCaptureAllocs reports, for a series of captures, the bytes
// allocated per capture in all and by runtime/pprof alone.
func BenchmarkCaptureAllocs(b *testing.B) {
	a, err := Start(Dir(b.TempDir()), BaselineAfter(0), Warmup(0), MinInterval(0), Keep(3), Signals())
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	var capture, alone uint64
	for b.Loop() {
		capture, alone = captureAllocs(b, a, 10)
	}
	b.ReportMetric(float64(capture), "B/capture")
	b.ReportMetric(float64(alone), "pprof-B/capture")
	b.ReportMetric(float64(capture)-float64(alone), "agent-B/capture")
}

// Shortly after warm-up the fit has two samples, which always lie on a
// line: the summary gives their rate but no R² (it said 1.00, found by an
// exploratory test).
func TestSummaryOfTwoSamplesHasNoR2(t *testing.T) {
	attrs := Stats{LiveGrowth: Growth{BytesPerHour: 4 << 30, R2: 1, Samples: 2, Span: 1},
		Growth: Growth{BytesPerHour: 1 << 20, R2: 0.5, Samples: 3, Span: 2}}.Summary()
	got := map[string]any{}
	for i := 0; i+1 < len(attrs); i += 2 {
		got[attrs[i].(string)] = attrs[i+1]
	}
	for k, want := range map[string]string{"live_heap_growth": "4.0 GiB/h", "live_heap_r2": "none (2 samples)", "rss_r2": "0.50"} {
		if got[k] != want {
			t.Errorf("%s = %v, want %q", k, got[k], want)
		}
	}
}
