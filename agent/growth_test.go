package agent

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

func TestFitSteadyClimb(t *testing.T) {
	r := newRing(time.Hour, time.Minute)
	for i := range 61 {
		// 100 MiB/h on a 1 GiB base, live heap flat.
		r.add(point{t: t0.Add(time.Duration(i) * time.Minute), rss: (1<<30 + 100<<20*float64(i)/60), live: 50 << 20})
	}
	rss, live := r.fit(time.Hour)
	if math.Abs(rss.BytesPerHour-100<<20) > 1 || rss.R2 < 0.9999 || rss.Samples != 61 || rss.Span != 3600 {
		t.Errorf("rss fit %+v, want 100 MiB/h, R² 1, 61 samples over 3600 s", rss)
	}
	if live.BytesPerHour != 0 || live.R2 != 0 {
		t.Errorf("flat live heap fit %+v", live)
	}
}

func TestFitNoiseHasLowR2(t *testing.T) {
	r := newRing(time.Hour, time.Minute)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 61 {
		r.add(point{t: t0.Add(time.Duration(i) * time.Minute), rss: 1<<30 + rng.Float64()*(64<<20)})
	}
	g, _ := r.fit(time.Hour)
	if g.R2 > 0.3 {
		t.Errorf("noise fitted with R² %.2f (slope %.0f B/h): should be told from a climb", g.R2, g.BytesPerHour)
	}
}

func TestRingIsBoundedAndFitsOnlyTheWindow(t *testing.T) {
	r := newRing(10*time.Minute, time.Minute)
	for i := range 1000 {
		// Flat for a long time, then a steady climb in the last 10 minutes.
		v := 1e9
		if i >= 989 {
			v += float64(i-989) * 1e6
		}
		r.add(point{t: t0.Add(time.Duration(i) * time.Minute), rss: v})
	}
	if len(r.buf) > 12 {
		t.Fatalf("ring holds %d points for a 10-point window", len(r.buf))
	}
	g, _ := r.fit(10 * time.Minute)
	if math.Abs(g.BytesPerHour-60e6) > 1 || g.R2 < 0.999 {
		t.Errorf("fit %+v, want 60 MB/h over the window only", g)
	}
}

func BenchmarkFit(b *testing.B) {
	r := newRing(time.Hour, time.Minute)
	for i := range 61 {
		r.add(point{t: t0.Add(time.Duration(i) * time.Minute), rss: float64(i)})
	}
	b.ReportAllocs()
	for b.Loop() {
		r.fit(time.Hour)
	}
}

// The runtime measures the live heap only when a GC finishes. A leak in a
// service that collects every 5 minutes, sampled every minute, is fitted on
// the 5-minute points alone: the right slope with R² 1, not a staircase.
// Without 3 GCs in the window there is no fit, rather than a flat "0 B/h".
func TestFitLiveHeapOnlyAtNewGCs(t *testing.T) {
	r := newRing(time.Hour, time.Minute)
	live := 0.0
	for i := range 61 {
		gc := i%5 == 0
		if gc {
			live = 100<<20 + 120<<20*float64(i)/60 // 120 MiB/h, measured at each GC
		}
		r.add(point{t: t0.Add(time.Duration(i) * time.Minute), rss: 1 << 30, live: live, gc: gc})
	}
	_, g := r.fit(time.Hour)
	if math.Abs(g.BytesPerHour-120<<20) > 1 || g.R2 < 0.9999 || g.Samples != 13 || g.Span != 3600 {
		t.Errorf("live fit %+v, want 120 MiB/h, R² 1, over the 13 GCs in 3600 s", g)
	}

	r = newRing(time.Hour, time.Minute)
	for i := range 61 {
		r.add(point{t: t0.Add(time.Duration(i) * time.Minute), rss: 1 << 30, live: 50 << 20, gc: i == 0 || i == 40})
	}
	if _, g := r.fit(time.Hour); g.Samples != 2 || g.Span != 2400 {
		t.Errorf("live fit %+v, want the 2 GCs 40 minutes apart", g)
	}
}
