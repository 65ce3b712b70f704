package agent

import (
	"fmt"
	"strings"
	"time"
)

// firing is a trigger whose condition holds and whose cooldown has passed.
type firing struct {
	trigger string // rss, limit, growth or gauge
	key     string // cooldown key: the trigger, or gauge:<name>
	why     string
}

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
	fire := a.due(m, gauges, warm)
	a.mu.Unlock()

	if len(fire) == 0 {
		return
	}
	why := make([]string, len(fire))
	for i, f := range fire {
		why[i] = f.why
	}
	path, err := a.capture(fire[0].trigger, strings.Join(why, "; "), false)
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

// due lists the triggers that fire on m. The memory triggers wait for warm-up
// to end; gauges, the service's own numbers, do not. Called with a.mu held.
func (a *Agent) due(m Memory, gauges []GaugeValue, warm bool) []firing {
	var fire []firing
	check := func(f firing, cond bool) {
		if !cond {
			return
		}
		if last, ok := a.fired[f.key]; ok && m.Time.Sub(last) < a.cfg.cooldown {
			return
		}
		a.fired[f.key] = m.Time
		fire = append(fire, f)
	}
	c := a.cfg
	if warm {
		if c.rssAbove > 0 {
			check(firing{"rss", "rss", fmt.Sprintf("RSS %s is above %s",
				bytesIEC(float64(m.RSS)), bytesIEC(float64(c.rssAbove)))}, m.RSS > c.rssAbove)
		}
		if lim := a.limit.Effective(); c.limitPercent > 0 && lim > 0 {
			pct := 100 * float64(m.RSS) / float64(lim)
			check(firing{"limit", "limit", fmt.Sprintf("RSS %s is %.0f%% of the %s memory limit (threshold %.0f%%)",
				bytesIEC(float64(m.RSS)), pct, bytesIEC(float64(lim)), c.limitPercent)}, pct > c.limitPercent)
		}
		if c.growthAbove > 0 {
			g := a.liveGrowth
			check(firing{"growth", "growth", fmt.Sprintf("live heap grows %s, above %s/h",
				growthText(g), bytesIEC(c.growthAbove))}, a.sustained(g, c.minR2) && g.BytesPerHour > c.growthAbove)
		}
		if c.rssGrowth > 0 {
			g := a.growth
			check(firing{"rss_growth", "rss_growth", fmt.Sprintf("RSS grows %s, above %s/h",
				growthText(g), bytesIEC(c.rssGrowth))}, a.sustained(g, c.rssMinR2) && g.BytesPerHour > c.rssGrowth)
		}
	}
	for _, g := range gauges {
		check(firing{"gauge", "gauge:" + g.Name, fmt.Sprintf("gauge %s = %g (threshold %s)",
			g.Name, g.Value, strings.Join(g.Thresholds, ", "))}, g.Crossed)
	}
	return fire
}

// sustained reports whether a fit is one to act on: at least 3 samples,
// covering half the growth window, on a line straight enough.
func (a *Agent) sustained(g Growth, minR2 float64) bool {
	return g.Samples >= 3 && g.Span >= a.cfg.growthWindow.Seconds()/2 && g.R2 >= minR2
}

// growthText says a fitted growth rate in words, for alerts and the summary.
func growthText(g Growth) string {
	if g.Samples < 2 {
		return "not fitted yet"
	}
	return fmt.Sprintf("%s/h (R² %.2f over %s)", bytesIEC(g.BytesPerHour), g.R2,
		time.Duration(g.Span*float64(time.Second)).Round(time.Second))
}

// alert tells the logger and the webhook that a trigger fired, naming the
// snapshot it took and the command that compares it with the baseline.
func (a *Agent) alert(f firing, m Memory, path string, captureErr error) {
	s := a.Stats()
	a.mu.Lock()
	a.alerts[f.trigger]++
	a.mu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "heapdiff: %s (pid %d): %s.", a.cfg.host, a.pid, f.why)
	fmt.Fprintf(&b, " Live heap %s, growth %s; RSS %s, growth %s",
		bytesIEC(float64(m.LiveHeap)), growthText(s.LiveGrowth), bytesIEC(float64(m.RSS)), growthText(s.Growth))
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
	attrs := []any{"trigger", f.trigger, "rss", m.RSS, "live_heap", m.LiveHeap,
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
