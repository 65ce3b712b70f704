// Package prom exports a heapdiff capture agent's state to Prometheus: what
// the standard Go and process collectors lack, namely the memory growth rate
// and its R², the memory limit, captures by trigger, capture failures, the
// last capture's time and duration, snapshot bytes on disk, alerts and gauges.
// Memory figures the standard collectors already export (go_memstats_*,
// process_resident_memory_bytes) are not repeated.
//
// It is a module of its own, github.com/heapdiff/heapdiff/agent/prom, so that
// the agent's module requires nothing and a service that does not use
// Prometheus never gets its client in its module graph; a service that uses
// Prometheus requires this module and opts in with one line:
//
//	prometheus.MustRegister(prom.NewCollector(a))
package prom

import (
	"maps"
	"slices"

	"github.com/heapdiff/heapdiff/agent"
	"github.com/prometheus/client_golang/prometheus"
)

// Collector is a prometheus.Collector for one agent. It reads [agent.Agent.Stats]
// at each scrape, so it costs nothing between scrapes.
type Collector struct {
	a *agent.Agent

	growth, growthR2, liveGrowth           *prometheus.Desc
	liveGrowthR2                           *prometheus.Desc
	limit                                  *prometheus.Desc
	captures, failures, coalesced          *prometheus.Desc
	lastTime, lastDuration, lastBytes      *prometheus.Desc
	diskBytes, diskFiles                   *prometheus.Desc
	alerts, gauge                          *prometheus.Desc
	webhookSent, webhookFail, webhookDrops *prometheus.Desc
}

// NewCollector returns a collector for a. Register it with
// prometheus.MustRegister or a registry of your own.
func NewCollector(a *agent.Agent) *Collector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc("heapdiff_"+name, help, labels, nil)
	}
	return &Collector{
		a:            a,
		growth:       d("rss_growth_bytes_per_hour", "Growth of resident memory, least squares over the growth window."),
		growthR2:     d("rss_growth_r2", "R² of the RSS growth fit: near 1 for a steady climb, near 0 for noise."),
		liveGrowth:   d("live_heap_growth_bytes_per_hour", "Growth of the live heap, least squares over the growth window after warm-up; what the growth alert judges."),
		liveGrowthR2: d("live_heap_growth_r2", "R² of the live heap growth fit: near 1 for a steady climb, near 0 for noise."),
		limit:        d("memory_limit_bytes", "Memory limit the process runs under, by source (gomemlimit, container); absent when unlimited.", "source"),
		captures:     d("captures_total", "Heap snapshots written, by trigger.", "trigger"),
		failures:     d("capture_failures_total", "Failed captures, retention and directory errors."),
		coalesced:    d("captures_coalesced_total", "Capture requests dropped because they came within the minimum interval."),
		lastTime:     d("last_capture_timestamp_seconds", "Unix time of the last snapshot written."),
		lastDuration: d("last_capture_duration_seconds", "Time the last capture took: GC, profile and write."),
		lastBytes:    d("last_capture_bytes", "Size of the last snapshot written."),
		diskBytes:    d("snapshot_bytes", "Bytes of snapshot files in the snapshot directory."),
		diskFiles:    d("snapshot_files", "Snapshot files in the snapshot directory."),
		alerts:       d("alerts_total", "Alerts raised, by trigger.", "trigger"),
		gauge:        d("gauge", "Value of a gauge the service registered with the agent.", "name"),
		webhookSent:  d("webhook_sent_total", "Alerts delivered to the webhook."),
		webhookFail:  d("webhook_failed_total", "Alerts the webhook gave up on after retries."),
		webhookDrops: d("webhook_dropped_total", "Alerts dropped because the webhook queue was full."),
	}
}

// Describe sends the descriptors of all the collector's metrics.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.growth, c.growthR2, c.liveGrowth, c.liveGrowthR2, c.limit, c.captures, c.failures,
		c.coalesced, c.lastTime, c.lastDuration, c.lastBytes, c.diskBytes, c.diskFiles, c.alerts, c.gauge,
		c.webhookSent, c.webhookFail, c.webhookDrops} {
		ch <- d
	}
}

// Collect sends the agent's current state.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	s := c.a.Stats()
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	gauge(c.growth, s.Growth.BytesPerHour)
	gauge(c.growthR2, s.Growth.R2)
	gauge(c.liveGrowth, s.LiveGrowth.BytesPerHour)
	gauge(c.liveGrowthR2, s.LiveGrowth.R2)
	if s.Limit.GoMemLimit > 0 {
		gauge(c.limit, float64(s.Limit.GoMemLimit), "gomemlimit")
	}
	if s.Limit.Container > 0 {
		gauge(c.limit, float64(s.Limit.Container), "container")
	}
	for _, t := range slices.Sorted(maps.Keys(s.Captures)) {
		counter(c.captures, s.Captures[t], t)
	}
	counter(c.failures, s.CaptureFailures)
	counter(c.coalesced, s.Coalesced)
	if l := s.LastCapture; l != nil {
		gauge(c.lastTime, float64(l.Time.UnixNano())/1e9)
		gauge(c.lastDuration, l.DurationSeconds)
		gauge(c.lastBytes, float64(l.Bytes))
	}
	gauge(c.diskBytes, float64(s.DiskBytes))
	gauge(c.diskFiles, float64(s.DiskFiles))
	for _, t := range slices.Sorted(maps.Keys(s.Alerts)) {
		counter(c.alerts, s.Alerts[t], t)
	}
	for _, g := range s.Gauges {
		gauge(c.gauge, g.Value, g.Name)
	}
	if w := s.Webhook; w != nil {
		counter(c.webhookSent, w.Sent)
		counter(c.webhookFail, w.Failed)
		counter(c.webhookDrops, w.Dropped)
	}
}
