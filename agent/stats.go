package agent

import (
	"maps"
	"slices"
)

// Stats is what the agent knows, as served by [Agent.Handler] and exported by
// the Prometheus collector.
type Stats struct {
	Dir           string  `json:"dir"`
	UptimeSeconds float64 `json:"uptime_seconds"`
	Samples       uint64  `json:"samples"` // memory samples taken
	Memory        Memory  `json:"memory"`  // the latest sample
	Limit         Limit   `json:"limit"`
	Growth        Growth  `json:"growth"`           // of RSS, over the growth window
	LiveGrowth    Growth  `json:"live_heap_growth"` // of the live heap, over the same window

	Snapshots       uint64            `json:"snapshots"`        // written by this process
	Captures        map[string]uint64 `json:"captures"`         // by trigger
	CaptureFailures uint64            `json:"capture_failures"` // failed captures, retention and directory errors
	Coalesced       uint64            `json:"coalesced"`        // capture requests dropped by MinInterval
	LastError       string            `json:"last_error,omitempty"`
	LastCapture     *CaptureInfo      `json:"last_capture,omitempty"`
	Baseline        string            `json:"baseline,omitempty"` // the process's first snapshot
	DiskFiles       int               `json:"disk_files"`         // snapshot files in the directory
	DiskBytes       int64             `json:"disk_bytes"`         // and their total size

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
	a.mu.Lock()
	defer a.mu.Unlock()
	s := Stats{
		Dir:             a.cfg.dir,
		UptimeSeconds:   a.cfg.now().Sub(a.started).Seconds(),
		Samples:         a.samples,
		Memory:          a.mem,
		Limit:           a.limit,
		Growth:          a.growth,
		LiveGrowth:      a.liveGrowth,
		Captures:        maps.Clone(a.captures),
		CaptureFailures: a.failures,
		Coalesced:       a.coalesced,
		LastError:       a.lastErr,
		Baseline:        a.baseline,
		DiskFiles:       a.diskFiles,
		DiskBytes:       a.diskBytes,
		Alerts:          maps.Clone(a.alerts),
		Gauges:          slices.Clone(a.gauges),
	}
	for _, n := range a.captures {
		s.Snapshots += n
	}
	if a.last != nil {
		c := *a.last
		s.LastCapture = &c
	}
	if a.hook != nil {
		s.Webhook = &WebhookStats{Sent: a.hook.sent.Load(), Failed: a.hook.failed.Load(), Dropped: a.hook.dropped.Load()}
	}
	return s
}
