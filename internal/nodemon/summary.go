package nodemon

import (
	"fmt"
	"strings"
	"time"

	"github.com/heapdiff/heapdiff/agent"
)

// Summary is what a run ends with: the agent's summary of the last process
// watched, and what only a watcher from outside knows.
type Summary struct {
	agent.Stats
	Target   string        // node://host:port
	PID      int           // the last process watched
	Version  string        // its Node.js version
	Restarts int           // new processes seen after the first
	MaxPause time.Duration // the longest a snapshot paused the process
}

// summary is what the run knows now.
func (m *monitor) summary() *Summary {
	s := m.s
	st := agent.Stats{
		Dir:             m.cfg.Dir,
		UptimeSeconds:   time.Since(m.started).Seconds(),
		Samples:         s.samples,
		Memory:          s.mem,
		StartMemory:     s.first,
		WarmupEnds:      s.warmEnd,
		Limit:           agent.Limit{Container: s.proc.Limit, ContainerSource: "process.constrainedMemory()"},
		Growth:          s.rss,
		LiveGrowth:      s.heap,
		Snapshots:       m.written,
		Captures:        m.captures,
		CaptureFailures: m.failures,
		Baseline:        s.baseline,
		Alerts:          m.alerts,
	}
	if s.baseline != "" && s.latest != "" && s.baseline != s.latest {
		st.Compare = agent.CompareCommand(m.cfg.Dir, s.baseline, s.latest)
	}
	if m.hook != nil {
		w := m.hook.Stats()
		st.Webhook = &w
	}
	return &Summary{Stats: st, Target: "node://" + m.cfg.Addr, PID: s.proc.PID, Version: s.proc.Version,
		Restarts: m.restarts, MaxPause: m.maxPause}
}

// logSummary logs the summary, one "key: value" a line.
func (m *monitor) logSummary(sum *Summary) {
	m.logf("capture stopped: %s (pid %d, node %s)", sum.Target, sum.PID, sum.Version)
	attrs := sum.Stats.Summary()
	attrs = append(attrs, "restarts", m.restarts, "longest_pause", m.maxPause.Round(time.Millisecond))
	for i := 0; i+1 < len(attrs); i += 2 {
		// The agent's live heap is a Go runtime figure; here it is V8's
		// used heap.
		key := strings.ReplaceAll(fmt.Sprint(attrs[i]), "live_heap", "heap_used")
		fmt.Fprintf(m.cfg.Log, "  %s: %v\n", key, attrs[i+1])
	}
}
