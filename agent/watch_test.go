package agent

import (
	"math/rand/v2"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// Samples are fed to observe with their own timestamps, so an hour of growth
// takes no time to test.
func feed(a *Agent, from, to int, rss func(i int) uint64) {
	for i := from; i < to; i++ {
		a.observe(Memory{Time: t0.Add(time.Duration(i) * time.Minute), RSS: rss(i), LiveHeap: rss(i) / 2})
	}
}

func TestGrowthTriggerFiresOnSteadyClimbThenCoolsDown(t *testing.T) {
	a, logs := start(t, SampleEvery(time.Minute), GrowthWindow(time.Hour), GrowthAbove(50<<20, 0.9), Cooldown(30*time.Minute))
	climb := func(i int) uint64 { return 1<<30 + uint64(i)*(100<<20)/60 } // 100 MiB/h
	feed(a, 0, 30, climb)
	if n := a.Stats().Alerts["growth"]; n != 0 {
		t.Fatalf("fired %d times before the samples covered half the window", n)
	}
	feed(a, 30, 31, climb)
	if n := a.Stats().Alerts["growth"]; n != 1 {
		t.Fatalf("growth alerts %d after 30 minutes of steady climb, want 1", n)
	}
	feed(a, 31, 60, climb)
	if n := a.Stats().Alerts["growth"]; n != 1 {
		t.Fatalf("growth alerts %d during the cooldown, want 1", n)
	}
	feed(a, 60, 61, climb)
	s := a.Stats()
	if s.Alerts["growth"] != 2 || s.Captures["growth"] != 2 {
		t.Fatalf("after the cooldown: alerts %d captures %d, want 2 and 2", s.Alerts["growth"], s.Captures["growth"])
	}
	if g := s.Growth.BytesPerHour; g < 99<<20 || g > 101<<20 || s.Growth.R2 < 0.99 {
		t.Errorf("growth %+v, want 100 MiB/h with R² ~1", s.Growth)
	}
	if !strings.Contains(logs.String(), "RSS grows 100.0 MiB/h") {
		t.Errorf("alert not logged:\n%s", logs)
	}
	// The second alert names the pair to compare: the baseline and its snapshot.
	if !strings.Contains(logs.String(), "heapdiff compare "+s.Baseline+" "+s.LastCapture.File) {
		t.Errorf("alert does not name the pair to compare:\n%s", logs)
	}
	files := snapshots(t, a.Dir())
	if len(files) != 2 || files[1].Trigger != "growth" {
		t.Fatalf("files %+v", files)
	}
	if c := comments(parse(t, filepath.Join(a.Dir(), files[1].File))); !strings.Contains(c["reason"], "RSS grows") {
		t.Errorf("snapshot reason %q", c["reason"])
	}
}

func TestGrowthTriggerIgnoresNoise(t *testing.T) {
	a, _ := start(t, GrowthAbove(1<<20, 0.8))
	rng := rand.New(rand.NewPCG(3, 4))
	feed(a, 0, 120, func(int) uint64 { return 1<<30 + uint64(rng.IntN(256<<20)) })
	if s := a.Stats(); s.Alerts["growth"] != 0 {
		t.Fatalf("noise fired the growth trigger: growth %+v", s.Growth)
	}
}

func TestRSSAndLimitTriggers(t *testing.T) {
	a, logs := start(t, RSSAbove(1<<30), LimitAbove(80), Cooldown(30*time.Minute))
	a.mu.Lock()
	a.limit.Container = 2 << 30
	a.mu.Unlock()
	feed(a, 0, 1, func(int) uint64 { return 1 << 29 })
	if s := a.Stats(); len(s.Alerts) != 0 {
		t.Fatalf("alerts below thresholds: %v", s.Alerts)
	}
	feed(a, 1, 2, func(int) uint64 { return 1800 << 20 }) // above 1 GiB and 80% of 2 GiB
	s := a.Stats()
	if s.Alerts["rss"] != 1 || s.Alerts["limit"] != 1 {
		t.Fatalf("alerts %v, want rss and limit once", s.Alerts)
	}
	if s.Snapshots != 1 {
		t.Errorf("two triggers at once took %d snapshots, want 1", s.Snapshots)
	}
	feed(a, 2, 31, func(int) uint64 { return 1800 << 20 })
	if s := a.Stats(); s.Alerts["rss"] != 1 {
		t.Fatalf("alerts %v during cooldown", s.Alerts)
	}
	feed(a, 31, 32, func(int) uint64 { return 1800 << 20 })
	if s := a.Stats(); s.Alerts["rss"] != 2 || s.Alerts["limit"] != 2 {
		t.Fatalf("alerts %v after cooldown", s.Alerts)
	}
	if !strings.Contains(logs.String(), "88% of the 2.0 GiB memory limit") {
		t.Errorf("limit alert text:\n%s", logs)
	}
}

// When a trigger's snapshot is the process's first, it is the baseline: the
// alert must not tell the user to compare it with itself.
func TestAlertOnFirstSnapshotDoesNotCompareItWithItself(t *testing.T) {
	a, logs := start(t, RSSAbove(1))
	feed(a, 0, 1, func(int) uint64 { return 1 << 20 })
	s := a.Stats()
	if s.Alerts["rss"] != 1 || s.Baseline == "" || s.Baseline != s.LastCapture.File {
		t.Fatalf("alerts %v, baseline %q, last capture %q: want one alert whose snapshot is the baseline",
			s.Alerts, s.Baseline, s.LastCapture.File)
	}
	out := logs.String()
	if strings.Contains(out, "heapdiff compare "+s.Baseline+" "+s.Baseline) {
		t.Errorf("alert compares the baseline with itself:\n%s", out)
	}
	if !strings.Contains(out, "Snapshot: "+s.Baseline) || !strings.Contains(out, "take another later and compare the two") {
		t.Errorf("alert does not name the snapshot and say what to do next:\n%s", out)
	}
}

func TestGaugeAppearsAndFires(t *testing.T) {
	var queue atomic.Int64
	queue.Store(5)
	a, logs := start(t,
		Gauge("queue_waiting", func() float64 { return float64(queue.Load()) }, Above(10000)),
		Gauge("broken", func() float64 { panic("oops") }))
	feed(a, 0, 1, func(int) uint64 { return 1 << 20 })
	s := a.Stats()
	if len(s.Gauges) != 1 || s.Gauges[0].Name != "queue_waiting" || s.Gauges[0].Value != 5 || s.Gauges[0].Crossed {
		t.Fatalf("gauges %+v", s.Gauges)
	}
	if len(s.Alerts) != 0 {
		t.Fatalf("alerts %v below threshold", s.Alerts)
	}
	queue.Store(20000)
	feed(a, 1, 3, func(int) uint64 { return 1 << 20 })
	s = a.Stats()
	if s.Alerts["gauge"] != 1 || s.Captures["gauge"] != 1 || !s.Gauges[0].Crossed {
		t.Fatalf("alerts %v captures %v gauges %+v", s.Alerts, s.Captures, s.Gauges)
	}
	if !strings.Contains(logs.String(), "gauge queue_waiting = 20000 (threshold > 10000)") ||
		!strings.Contains(logs.String(), "gauge.queue_waiting=20000") {
		t.Errorf("gauge missing from the alert:\n%s", logs)
	}
	if n := logs.count(`panicked: oops`); n != 1 {
		t.Errorf("broken gauge logged %d times, want once", n)
	}
	files := snapshots(t, a.Dir())
	if c := comments(parse(t, filepath.Join(a.Dir(), files[0].File))); c["gauge.queue_waiting"] != "20000" {
		t.Errorf("snapshot comments %v lack the gauge", c)
	}
}
