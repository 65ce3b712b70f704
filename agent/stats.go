package agent

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Stats is what the agent knows, as served by [Agent.Handler] and exported by
// the Prometheus collector.
type Stats struct {
	Dir           string  `json:"dir"`
	UptimeSeconds float64 `json:"uptime_seconds"`
	Samples       uint64  `json:"samples"` // memory samples taken
	Memory        Memory  `json:"memory"`  // the latest sample
	// StartMemory is the sample taken at Start, but for its LiveHeap, which
	// is known only once a GC has finished: that is the first sample after
	// one.
	StartMemory Memory `json:"start_memory"`
	// WarmupEnds is when warm-up ends (see [Warmup]): the growth fits and
	// the memory triggers start there.
	WarmupEnds time.Time `json:"warmup_ends"`
	Limit      Limit     `json:"limit"`
	Growth     Growth    `json:"growth"`           // of RSS, over the growth window, after warm-up
	LiveGrowth Growth    `json:"live_heap_growth"` // of the live heap, over the same window

	Snapshots       uint64            `json:"snapshots"`        // written by this process
	Captures        map[string]uint64 `json:"captures"`         // by trigger
	CaptureFailures uint64            `json:"capture_failures"` // failed captures, retention and directory errors
	Coalesced       uint64            `json:"coalesced"`        // capture requests dropped by MinInterval
	LastError       string            `json:"last_error,omitempty"`
	LastCapture     *CaptureInfo      `json:"last_capture,omitempty"`
	Baseline        string            `json:"baseline,omitempty"` // the baseline snapshot (see [BaselineAfter])
	// Compare is the command that compares the baseline with the latest
	// snapshot, with absolute paths quoted for a shell; empty until there
	// are two. Retention keeps both files.
	Compare   string `json:"compare,omitempty"`
	DiskFiles int    `json:"disk_files"` // snapshot files in the directory
	DiskBytes int64  `json:"disk_bytes"` // and their total size

	Alerts  map[string]uint64 `json:"alerts"` // by trigger
	Gauges  []GaugeValue      `json:"gauges"`
	Webhook *WebhookStats     `json:"webhook,omitempty"` // nil without a webhook
}

// WebhookStats counts webhook deliveries.
type WebhookStats struct {
	Sent    uint64 `json:"sent"`
	Failed  uint64 `json:"failed"`  // gave up after retries
	Dropped uint64 `json:"dropped"` // the queue was full
}

// Stats returns a copy of the agent's current state.
func (a *Agent) Stats() Stats {
	st := a.store.State()
	a.mu.Lock()
	defer a.mu.Unlock()
	s := Stats{
		Dir:             a.cfg.dir,
		UptimeSeconds:   a.cfg.now().Sub(a.started).Seconds(),
		Samples:         a.samples,
		Memory:          a.mem,
		StartMemory:     a.first,
		WarmupEnds:      a.warmEnd,
		Limit:           a.limit,
		Growth:          a.growth,
		LiveGrowth:      a.liveGrowth,
		Captures:        maps.Clone(a.captures),
		CaptureFailures: a.failures,
		Coalesced:       a.coalesced,
		LastError:       a.lastErr,
		Baseline:        st.Baseline,
		DiskFiles:       st.Files,
		DiskBytes:       st.Bytes,
		Alerts:          maps.Clone(a.alerts),
		Gauges:          slices.Clone(a.gauges),
	}
	for _, n := range a.captures {
		s.Snapshots += n
	}
	if a.last != nil {
		c := *a.last
		s.LastCapture = &c
		if st.Baseline != "" && st.Baseline != c.File {
			s.Compare = compareCommand(a.cfg.dir, st.Baseline, c.File)
		}
	}
	if a.hook != nil {
		s.Webhook = &WebhookStats{Sent: a.hook.sent.Load(), Failed: a.hook.failed.Load(), Dropped: a.hook.dropped.Load()}
	}
	return s
}

// Summary is the closing summary's attributes, as slog key-value pairs in
// the order [Agent.Close] logs them: uptime and samples; RSS and live heap
// at start, at end and at their peak; both growth fits with their R²; alerts
// fired, by trigger; snapshots written and failures; the directory; and the
// command that compares the baseline with the latest snapshot. "heapdiff
// capture node://" ends with the same summary of the process it watched.
func (s Stats) Summary() []any {
	b := func(n uint64) string { return bytesIEC(float64(n)) }
	live := func(n uint64) string {
		if n == 0 { // no GC has finished: the runtime does not know it yet
			return "unknown (no GC yet)"
		}
		return b(n)
	}
	growth := func(g Growth) (rate, r2 string) {
		switch {
		case g.Samples < 2:
			return "none (no samples after warm-up)", "none"
		case g.Samples == 2:
			// Two points always lie on a line: an R² of 1 says nothing.
			return bytesIEC(g.BytesPerHour) + "/h", "none (2 samples)"
		}
		return bytesIEC(g.BytesPerHour) + "/h", fmt.Sprintf("%.2f", g.R2)
	}
	liveRate, liveR2 := growth(s.LiveGrowth)
	rssRate, rssR2 := growth(s.Growth)
	var alerts []string
	var fired uint64
	for _, t := range slices.Sorted(maps.Keys(s.Alerts)) {
		alerts = append(alerts, fmt.Sprintf("%s=%d", t, s.Alerts[t]))
		fired += s.Alerts[t]
	}
	compare := s.Compare
	if compare == "" {
		compare = "none (no snapshot after the baseline)"
		if s.Baseline == "" {
			compare = "none (no baseline)"
		}
	}
	return []any{
		"uptime", time.Duration(s.UptimeSeconds * float64(time.Second)).Round(time.Second),
		"samples", s.Samples,
		"rss_start", b(s.StartMemory.RSS), "rss_end", b(s.Memory.RSS), "rss_peak", b(s.Memory.PeakRSS),
		"live_heap_start", live(s.StartMemory.LiveHeap), "live_heap_end", live(s.Memory.LiveHeap),
		"live_heap_peak", live(s.Memory.PeakLiveHeap),
		"live_heap_growth", liveRate, "live_heap_r2", liveR2,
		"rss_growth", rssRate, "rss_r2", rssR2,
		"growth_span", time.Duration(s.LiveGrowth.Span * float64(time.Second)).Round(time.Second),
		"alerts", fired, "alerts_by_trigger", strings.Join(alerts, ","),
		"snapshots", s.Snapshots, "failures", s.CaptureFailures,
		"dir", s.Dir, "compare", compare,
	}
}
