package prom

import (
	"testing"

	"github.com/heapdiff/heapdiff/agent"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	dto "github.com/prometheus/client_model/go"
)

func TestCollector(t *testing.T) {
	a, err := agent.Start(agent.Dir(t.TempDir()), agent.BaselineAfter(0), agent.GCBeforeCapture(false),
		agent.Gauge("queue_waiting", func() float64 { return 42 }))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, err := a.Capture("test"); err != nil {
		t.Fatal(err)
	}

	// Registered next to the standard collectors: a pedantic registry checks
	// descriptors and that no name collides with theirs.
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(NewCollector(a), collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]*dto.MetricFamily{}
	for _, f := range families {
		got[f.GetName()] = f
	}
	value := func(name string, label ...string) (float64, bool) {
		f := got[name]
		if f == nil {
			return 0, false
		}
	metrics:
		for _, m := range f.Metric {
			for i := 0; i+1 < len(label); i += 2 {
				ok := false
				for _, l := range m.Label {
					ok = ok || (l.GetName() == label[i] && l.GetValue() == label[i+1])
				}
				if !ok {
					continue metrics
				}
			}
			switch {
			case m.Counter != nil:
				return m.Counter.GetValue(), true
			case m.Gauge != nil:
				return m.Gauge.GetValue(), true
			}
		}
		return 0, false
	}

	if v, ok := value("heapdiff_captures_total", "trigger", "manual"); !ok || v != 1 {
		t.Errorf("captures_total{trigger=manual} = %v, %v", v, ok)
	}
	if v, ok := value("heapdiff_gauge", "name", "queue_waiting"); !ok || v != 42 {
		t.Errorf("gauge = %v, %v", v, ok)
	}
	if v, ok := value("heapdiff_snapshot_files"); !ok || v != 1 {
		t.Errorf("snapshot_files = %v, %v", v, ok)
	}
	if v, ok := value("heapdiff_snapshot_bytes"); !ok || v <= 0 {
		t.Errorf("snapshot_bytes = %v, %v", v, ok)
	}
	if v, ok := value("heapdiff_last_capture_timestamp_seconds"); !ok || v < 1.7e9 {
		t.Errorf("last_capture_timestamp_seconds = %v, %v", v, ok)
	}
	for _, name := range []string{"heapdiff_rss_growth_bytes_per_hour", "heapdiff_rss_growth_r2",
		"heapdiff_live_heap_growth_bytes_per_hour", "heapdiff_live_heap_growth_r2", "heapdiff_capture_failures_total", "heapdiff_last_capture_duration_seconds"} {
		if _, ok := value(name); !ok {
			t.Errorf("%s missing", name)
		}
	}
	// Every family says what it means.
	for name := range got {
		if got[name].GetHelp() == "" {
			t.Errorf("%s has no help", name)
		}
	}
}
