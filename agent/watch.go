package agent

import (
	"fmt"
	"strings"
	"time"
)

// A Firing is a trigger whose condition holds and whose cooldown has passed.
type Firing struct {
	Trigger string // rss, limit, growth, rss_growth or gauge
	Key     string // cooldown key: the trigger, or gauge:<name>
	Why     string // the condition, in words, for the alert
}

// Triggers decides when the memory triggers fire: RSS or the heap above a size, RSS
// near the memory limit, the heap or RSS growing faster than a rate with a
// straight enough fit, and gauges beyond their thresholds; each then stays
// quiet for Cooldown. The agent judges its own process with one (its fields
// come from [RSSAbove], [LimitAbove], [GrowthAbove], [RSSGrowthAbove] and
// [Cooldown]); "heapdiff capture node://" judges a Node.js process with
// another, so both fire on the same rules and say so in the same words. A
// zero threshold turns its trigger off. Not safe for concurrent use.
type Triggers struct {
	RSSAbove uint64 // bytes
	// HeapAbove fires trigger "heap" when the heap (HeapName) is above
	// this many bytes. The agent's options leave it off: a Go service's
	// live heap is bounded through GOMEMLIMIT and [LimitAbove].
	HeapAbove      uint64
	LimitPercent   float64 // of the memory limit given to Due
	GrowthAbove    float64 // heap growth, bytes per hour
	GrowthMinR2    float64
	RSSGrowthAbove float64 // bytes per hour
	RSSGrowthMinR2 float64
	// Window is the growth window: a fit is acted on once it holds at
	// least 3 samples spanning half of it.
	Window   time.Duration
	Cooldown time.Duration
	// HeapName names the heap series in alerts: "live heap" when empty.
	HeapName string

	fired map[string]time.Time // when each trigger last fired
}

// Reset forgets when each trigger last fired, for a new process.
func (t *Triggers) Reset() { t.fired = nil }

// observe records a sample, refits the growth rates once warm-up is over,
// reads the gauges, and fires the triggers whose conditions hold: each
// alerts, and together they take one snapshot.
func (a *Agent) observe(m Memory) {
	gauges := a.readGauges()
	a.mu.Lock()
	warm := !m.Time.Before(a.warmEnd)
	if warm {
		// Samples from warm-up never enter the fit: a service's start-up
		// climb is not a leak.
		a.ring.add(point{t: m.Time, rss: float64(m.RSS), live: float64(m.LiveHeap), gc: m.GCCycles != a.lastGC})
		a.growth, a.liveGrowth = a.ring.fit(a.cfg.growthWindow)
	}
	a.lastGC = m.GCCycles
	fire := a.trig.Due(m, a.limit.Effective(), a.growth, a.liveGrowth, gauges, warm)
	a.mu.Unlock()

	if len(fire) == 0 {
		return
	}
	why := make([]string, len(fire))
	for i, f := range fire {
		why[i] = f.Why
	}
	path, err := a.capture(fire[0].Trigger, strings.Join(why, "; "), false)
	if err == nil {
		a.mu.Lock()
		a.alertFiles = append(a.alertFiles, baseName(path))
		if n := len(a.alertFiles); n > AlertSnapshotsKept {
			a.alertFiles = append(a.alertFiles[:0], a.alertFiles[n-AlertSnapshotsKept:]...)
		}
		a.mu.Unlock()
	}
	for _, f := range fire {
		a.alert(f, m, path, err)
	}
}

// readGauges calls the gauges' functions and records their values.
func (a *Agent) readGauges() []GaugeValue {
	var gauges []GaugeValue
	for _, g := range a.cfg.gauges {
		v, err := g.read()
		if err != nil {
			a.logOnce("gauge "+g.name, err)
			continue
		}
		gauges = append(gauges, v)
	}
	a.mu.Lock()
	a.gauges = gauges
	a.mu.Unlock()
	return gauges
}

// Due lists the triggers that fire on the sample m, given the memory limit
// (0 when there is none), the growth fits of RSS and of the heap (HeapName),
// and the gauges, and starts the cooldown of each. The memory triggers wait
// for warm-up to end (warm false); gauges, the service's own numbers, do not.
func (t *Triggers) Due(m Memory, limit uint64, rss, heap Growth, gauges []GaugeValue, warm bool) []Firing {
	if t.fired == nil {
		t.fired = map[string]time.Time{}
	}
	var fire []Firing
	check := func(f Firing, cond bool) {
		if !cond {
			return
		}
		if last, ok := t.fired[f.Key]; ok && m.Time.Sub(last) < t.Cooldown {
			return
		}
		t.fired[f.Key] = m.Time
		fire = append(fire, f)
	}
	heapName := t.HeapName
	if heapName == "" {
		heapName = "live heap"
	}
	if warm {
		if t.RSSAbove > 0 {
			check(Firing{"rss", "rss", fmt.Sprintf("RSS %s is above %s",
				bytesIEC(float64(m.RSS)), bytesIEC(float64(t.RSSAbove)))}, m.RSS > t.RSSAbove)
		}
		if t.HeapAbove > 0 {
			check(Firing{"heap", "heap", fmt.Sprintf("%s %s is above %s",
				heapName, bytesIEC(float64(m.LiveHeap)), bytesIEC(float64(t.HeapAbove)))}, m.LiveHeap > t.HeapAbove)
		}
		if t.LimitPercent > 0 && limit > 0 {
			pct := 100 * float64(m.RSS) / float64(limit)
			check(Firing{"limit", "limit", fmt.Sprintf("RSS %s is %.0f%% of the %s memory limit (threshold %.0f%%)",
				bytesIEC(float64(m.RSS)), pct, bytesIEC(float64(limit)), t.LimitPercent)}, pct > t.LimitPercent)
		}
		if t.GrowthAbove > 0 {
			check(Firing{"growth", "growth", fmt.Sprintf("%s grows %s, above %s/h",
				heapName, GrowthText(heap), bytesIEC(t.GrowthAbove))}, t.sustained(heap, t.GrowthMinR2) && heap.BytesPerHour > t.GrowthAbove)
		}
		if t.RSSGrowthAbove > 0 {
			check(Firing{"rss_growth", "rss_growth", fmt.Sprintf("RSS grows %s, above %s/h",
				GrowthText(rss), bytesIEC(t.RSSGrowthAbove))}, t.sustained(rss, t.RSSGrowthMinR2) && rss.BytesPerHour > t.RSSGrowthAbove)
		}
	}
	for _, g := range gauges {
		check(Firing{"gauge", "gauge:" + g.Name, fmt.Sprintf("gauge %s = %g (threshold %s)",
			g.Name, g.Value, strings.Join(g.Thresholds, ", "))}, g.Crossed)
	}
	return fire
}

// sustained reports whether a fit is one to act on: at least 3 samples,
// covering half the growth window, on a line straight enough.
func (t *Triggers) sustained(g Growth, minR2 float64) bool {
	return g.Samples >= 3 && g.Span >= t.Window.Seconds()/2 && g.R2 >= minR2
}

// GrowthText says a fitted growth rate in words, for alerts and summaries:
// "12.0 MiB/h (R² 0.97 over 10m0s)", or "not fitted yet".
func GrowthText(g Growth) string {
	if g.Samples < 2 {
		return "not fitted yet"
	}
	return fmt.Sprintf("%s/h (R² %.2f over %s)", bytesIEC(g.BytesPerHour), g.R2,
		time.Duration(g.Span*float64(time.Second)).Round(time.Second))
}

// alert tells the logger and the webhook that a trigger fired, naming the
// snapshot it took and the command that compares it with the baseline.
func (a *Agent) alert(f Firing, m Memory, path string, captureErr error) {
	s := a.Stats()
	a.mu.Lock()
	a.alerts[f.Trigger]++
	a.mu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "heapdiff: %s (pid %d): %s.", a.cfg.host, a.pid, f.Why)
	fmt.Fprintf(&b, " Live heap %s, growth %s; RSS %s, growth %s",
		bytesIEC(float64(m.LiveHeap)), GrowthText(s.LiveGrowth), bytesIEC(float64(m.RSS)), GrowthText(s.Growth))
	if lim := s.Limit.Effective(); lim > 0 {
		fmt.Fprintf(&b, "; limit %s", bytesIEC(float64(lim)))
	}
	b.WriteString(".")
	for _, g := range s.Gauges {
		fmt.Fprintf(&b, " %s=%g.", g.Name, g.Value)
	}
	compare := ""
	// s.Baseline is a base name, path a path: compare base names, or the
	// process's first snapshot would be named as its own pair.
	switch name := baseName(path); {
	case captureErr != nil:
		fmt.Fprintf(&b, " Snapshot failed: %v.", captureErr)
	case s.Baseline != "" && s.Baseline != name:
		compare = compareCommand(a.cfg.dir, s.Baseline, name)
		fmt.Fprintf(&b, " Compare: %s", compare)
	case s.Baseline == name:
		fmt.Fprintf(&b, " Snapshot: %s, this process's first and so its baseline: take another later and compare the two.", shellQuote(path))
	default:
		fmt.Fprintf(&b, " Snapshot: %s. The baseline is taken %s after start (at %s): compare this snapshot with it then.",
			shellQuote(path), a.cfg.baselineAfter, a.started.Add(a.cfg.baselineAfter).UTC().Format(time.TimeOnly+" UTC"))
	}
	text := b.String()
	attrs := []any{"trigger", f.Trigger, "rss", m.RSS, "live_heap", m.LiveHeap,
		"live_heap_growth_bytes_per_hour", s.LiveGrowth.BytesPerHour, "live_heap_r2", s.LiveGrowth.R2,
		"rss_growth_bytes_per_hour", s.Growth.BytesPerHour, "rss_r2", s.Growth.R2, "snapshot", path}
	if compare != "" {
		attrs = append(attrs, "compare", compare)
	}
	for _, g := range s.Gauges {
		attrs = append(attrs, "gauge."+g.Name, g.Value)
	}
	a.log.Warn(text, attrs...)
	if a.hook != nil {
		a.hook.send(text)
	}
}

func baseName(path string) string {
	if i := strings.LastIndexAny(path, `/\`); i >= 0 {
		return path[i+1:]
	}
	return path
}
