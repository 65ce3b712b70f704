package agent

import (
	"runtime"
	"runtime/metrics"
	"testing"
	"time"
)

func TestSampleReadsMemory(t *testing.T) {
	s := newSampler()
	defer s.close()
	m, _ := s.read(time.Now())
	if m.RSS == 0 || m.LiveHeap == 0 || m.HeapGoal == 0 || m.Mapped == 0 || m.Goroutines == 0 {
		t.Fatalf("sample %+v has zero fields", m)
	}
	if m.PeakRSS < m.RSS {
		t.Errorf("peak %d below current %d", m.PeakRSS, m.RSS)
	}
	if runtime.GOOS == "linux" {
		if _, _, ok := s.rss.read(); !ok {
			t.Error("VmRSS not found in /proc/self/status")
		}
	}
	// Metric names that do not exist would read as KindBad and zero.
	for _, ms := range s.ms {
		if ms.Value.Kind() == metrics.KindBad {
			t.Errorf("runtime/metrics has no %s", ms.Name)
		}
	}
}

// A sample runs on a timer in every service that imports the agent: it must
// not allocate.
func TestSampleDoesNotAllocate(t *testing.T) {
	s := newSampler()
	defer s.close()
	now := time.Now()
	if n := testing.AllocsPerRun(100, func() { s.read(now) }); n != 0 {
		t.Fatalf("a sample allocates %.1f times", n)
	}
}

func TestLimitEffective(t *testing.T) {
	for _, tt := range []struct{ gml, ctr, want uint64 }{
		{0, 0, 0}, {100, 0, 100}, {0, 200, 200}, {100, 200, 100}, {300, 200, 200},
	} {
		if got := (Limit{GoMemLimit: tt.gml, Container: tt.ctr}).Effective(); got != tt.want {
			t.Errorf("Limit{%d, %d}.Effective() = %d, want %d", tt.gml, tt.ctr, got, tt.want)
		}
	}
}

// BenchmarkSample is the cost of one memory sample, taken every SampleEvery.
func BenchmarkSample(b *testing.B) {
	s := newSampler()
	defer s.close()
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		s.read(now)
	}
}

// BenchmarkCapture is the cost of one snapshot (GC, profile, write), and
// stw-ns/op the stop-the-world pause the service sees from it.
func BenchmarkCapture(b *testing.B) {
	a, err := Start(Dir(b.TempDir()), BaselineAfter(0), MinInterval(0), Keep(3))
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	pauses := []metrics.Sample{{Name: "/sched/pauses/total/gc:seconds"}}
	metrics.Read(pauses)
	before := pauseTotal(pauses[0].Value.Float64Histogram())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.Capture("bench"); err != nil {
			b.Fatal(err)
		}
	}
	metrics.Read(pauses)
	after := pauseTotal(pauses[0].Value.Float64Histogram())
	b.ReportMetric((after-before)*1e9/float64(b.N), "stw-ns/op")
}

// pauseTotal estimates the total time in a pause histogram from its bucket
// upper bounds (an overestimate, never an underestimate).
func pauseTotal(h *metrics.Float64Histogram) float64 {
	var total float64
	for i, n := range h.Counts {
		upper := h.Buckets[i+1]
		if upper > 1e9 { // +Inf
			upper = h.Buckets[i]
		}
		total += float64(n) * upper
	}
	return total
}
