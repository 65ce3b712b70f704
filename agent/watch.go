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

// observe records a sample, refits the growth rate, reads the gauges, and
// fires the triggers whose conditions hold: each alerts, and together they
// take one snapshot.
func (a *Agent) observe(m Memory) {
	gauges := a.readGauges()
	a.mu.Lock()
	a.ring.add(point{t: m.Time, rss: float64(m.RSS), live: float64(m.LiveHeap)})
	a.growth, a.liveGrowth = a.ring.fit(a.cfg.growthWindow)
	fire := a.due(m, gauges)
	a.mu.Unlock()

	if len(fire) == 0 {
		return
	}
	why := make([]string, len(fire))
	for i, f := range fire {
		why[i] = f.why
	}
	file, err := a.capture(fire[0].trigger, strings.Join(why, "; "), false)
	for _, f := range fire {
		a.alert(f, m, file, err)
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

// due lists the triggers that fire on m. Called with a.mu held.
func (a *Agent) due(m Memory, gauges []GaugeValue) []firing {
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
		g := a.growth
		sustained := g.Samples >= 3 && g.Span >= c.growthWindow.Seconds()/2 && g.R2 >= c.minR2
		check(firing{"growth", "growth", fmt.Sprintf("RSS grows %s/h (R² %.2f over %s), above %s/h",
			bytesIEC(g.BytesPerHour), g.R2, time.Duration(g.Span*float64(time.Second)).Round(time.Second),
			bytesIEC(c.growthAbove))}, sustained && g.BytesPerHour > c.growthAbove)
	}
	for _, g := range gauges {
		check(firing{"gauge", "gauge:" + g.Name, fmt.Sprintf("gauge %s = %g (threshold %s)",
			g.Name, g.Value, strings.Join(g.Thresholds, ", "))}, g.Crossed)
	}
	return fire
}

// alert tells the logger and the webhook that a trigger fired, naming the
// snapshot it took so the baseline and this snapshot can be compared.
func (a *Agent) alert(f firing, m Memory, file string, captureErr error) {
	s := a.Stats()
	a.mu.Lock()
	a.alerts[f.trigger]++
	a.mu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "heapdiff: %s (pid %d): %s.", a.cfg.host, a.pid, f.why)
	fmt.Fprintf(&b, " RSS %s, live heap %s", bytesIEC(float64(m.RSS)), bytesIEC(float64(m.LiveHeap)))
	if lim := s.Limit.Effective(); lim > 0 {
		fmt.Fprintf(&b, ", limit %s", bytesIEC(float64(lim)))
	}
	fmt.Fprintf(&b, ", growth %s/h (R² %.2f).", bytesIEC(s.Growth.BytesPerHour), s.Growth.R2)
	for _, g := range s.Gauges {
		fmt.Fprintf(&b, " %s=%g.", g.Name, g.Value)
	}
	// s.Baseline is a base name, file a path: compare base names, or the
	// process's first snapshot would be named as its own pair.
	switch name := baseName(file); {
	case captureErr != nil:
		fmt.Fprintf(&b, " Snapshot failed: %v.", captureErr)
	case s.Baseline != "" && s.Baseline != name:
		fmt.Fprintf(&b, " Compare: heapdiff compare %s %s", s.Baseline, name)
	case s.Baseline == name:
		fmt.Fprintf(&b, " Snapshot: %s, this process's first and so its baseline: take another later and compare the two.", name)
	default:
		fmt.Fprintf(&b, " Snapshot: %s", name)
	}
	text := b.String()
	attrs := []any{"trigger", f.trigger, "rss", m.RSS, "live_heap", m.LiveHeap,
		"growth_bytes_per_hour", s.Growth.BytesPerHour, "r2", s.Growth.R2, "snapshot", baseName(file)}
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
