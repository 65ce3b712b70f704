package agent

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/heapdiff/heapdiff/agent/snapshot"
)

// CaptureInfo describes one snapshot written by the agent.
type CaptureInfo struct {
	File            string    `json:"file"` // base name in the snapshot directory
	Trigger         string    `json:"trigger"`
	Time            time.Time `json:"time"`
	DurationSeconds float64   `json:"duration_seconds"` // GC, profile and write
	Bytes           int64     `json:"bytes"`
}

// capture takes one snapshot. external captures (signal, HTTP) are refused
// within MinInterval of the previous external one.
func (a *Agent) capture(trigger, reason string, external bool) (string, error) {
	a.capMu.Lock()
	defer a.capMu.Unlock()
	if a.closed {
		return "", ErrClosed
	}
	now := a.cfg.now()
	if external {
		if since := now.Sub(a.lastExternal); a.cfg.minInterval > 0 && !a.lastExternal.IsZero() && since < a.cfg.minInterval {
			a.mu.Lock()
			a.coalesced++
			a.mu.Unlock()
			if !a.tooSoonLogged {
				a.tooSoonLogged = true
				a.log.Info("heapdiff: capture by "+trigger+" dropped: too soon after the last one (repeats are not logged)",
					"since", since.Round(time.Millisecond), "min_interval", a.cfg.minInterval)
			}
			return "", ErrTooSoon
		}
		a.lastExternal, a.tooSoonLogged = now, false
	}
	// A directory removed while the service runs is made again, as Start
	// made it. Checked at every capture: a guarded directory removed by a
	// temp cleaner may since have been created by someone else.
	rebase := a.remakeDir()
	if err := a.checkDir(); err != nil {
		return "", err
	}
	began := time.Now()
	if a.cfg.gc {
		runtime.GC()
	}
	m := a.sampleNow()
	a.profileBuf.Reset()
	if err := pprof.Lookup("heap").WriteTo(&a.profileBuf, 0); err != nil {
		err = fmt.Errorf("heap profile: %w", err)
		a.failed("capture", err)
		return "", err
	}
	a.mu.Lock()
	meta := a.comments(reason, m)
	protect := slices.Clone(a.alertFiles)
	a.mu.Unlock()
	w, err := a.store.Write(&a.profileBuf, snapshot.Entry{Time: now, Trigger: trigger, Baseline: trigger == "baseline" || rebase,
		Meta: meta, Protect: protect})
	if err != nil {
		a.failed("capture", err)
		return "", err
	}
	info := &CaptureInfo{File: w.File.File, Trigger: trigger, Time: now, DurationSeconds: time.Since(began).Seconds(), Bytes: w.Size}
	a.mu.Lock()
	a.last = info
	a.captures[trigger]++
	// A later capture failure is news again.
	maps.DeleteFunc(a.errLogged, func(cause string, _ bool) bool { return strings.HasPrefix(cause, "capture: ") })
	a.mu.Unlock()
	a.log.Info("heapdiff: snapshot written", "file", w.File.File, "path", w.Path, "trigger", trigger,
		"bytes", w.Size, "duration", time.Since(began).Round(time.Millisecond))
	a.pruned(w.Removed, w.PruneErr)
	a.notify(w, meta)
	return w.Path, nil
}

// comments is the metadata the agent adds to the store's own (trigger, time,
// host, pid, seq, baseline). Called with a.mu held.
func (a *Agent) comments(reason string, m Memory) []string {
	c := snapshot.Comment
	u := func(v uint64) string { return strconv.FormatUint(v, 10) }
	limit := func(v uint64) string {
		if v == 0 {
			return "unlimited"
		}
		return u(v)
	}
	out := []string{
		c("rss_bytes", u(m.RSS)),
		c("live_heap_bytes", u(m.LiveHeap)),
		c("heap_goal_bytes", u(m.HeapGoal)),
		c("mapped_bytes", u(m.Mapped)),
		c("goroutines", u(m.Goroutines)),
		c("gomemlimit_bytes", limit(a.limit.GoMemLimit)),
		c("container_limit_bytes", limit(a.limit.Container)),
		c("go_version", runtime.Version()),
		c("main_module", a.module),
		c("live_heap_growth_bytes_per_hour", strconv.FormatFloat(a.liveGrowth.BytesPerHour, 'f', 0, 64)),
		c("live_heap_growth_r2", strconv.FormatFloat(a.liveGrowth.R2, 'f', 3, 64)),
		c("rss_growth_bytes_per_hour", strconv.FormatFloat(a.growth.BytesPerHour, 'f', 0, 64)),
		c("rss_growth_r2", strconv.FormatFloat(a.growth.R2, 'f', 3, 64)),
	}
	if reason != "" {
		out = append(out, c("reason", reason))
	}
	for _, g := range a.gauges {
		out = append(out, c("gauge."+g.Name, strconv.FormatFloat(g.Value, 'g', -1, 64)))
	}
	return out
}

// pruned reports what retention did after a write or at start: a failure is
// counted and logged once per cause; removals are logged at debug level.
func (a *Agent) pruned(removed []string, err error) {
	if err != nil {
		a.failed("retention", err)
	}
	if len(removed) > 0 {
		a.log.Debug("heapdiff: retention removed snapshots", "files", removed)
	}
}

// failed counts a failed capture (or a directory or retention error) and logs
// it the first time its cause is seen, so a full disk produces one log line
// rather than one per capture.
func (a *Agent) failed(op string, err error) {
	a.mu.Lock()
	a.failures++
	a.lastErr = err.Error()
	a.mu.Unlock()
	a.logOnce(op+": "+causeOf(err), err)
}

// logOnce logs err unless its cause was logged since the last good capture.
func (a *Agent) logOnce(cause string, err error) {
	a.mu.Lock()
	first := !a.errLogged[cause]
	a.errLogged[cause] = true
	a.mu.Unlock()
	if first {
		a.log.Error("heapdiff: "+cause+" (repeats are not logged)", "dir", a.cfg.dir, "err", err)
	}
}

// causeOf names the kind of failure, the unit of "log once".
func causeOf(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "directory missing"
	case errors.Is(err, syscall.ENOTDIR):
		return "not a directory"
	case errors.Is(err, fs.ErrPermission), errors.Is(err, syscall.EROFS):
		return "directory not writable"
	case errors.Is(err, syscall.ENOSPC):
		return "disk full"
	}
	return "error"
}
