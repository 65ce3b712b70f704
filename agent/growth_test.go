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
