package agent

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
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
	// Checked at every capture: a guarded directory removed by a temp
	// cleaner may since have been created by someone else.
	if err := a.checkDir(); err != nil {
		return "", err
	}
	began := time.Now()
	if a.cfg.gc {
		runtime.GC()
	}
	m := a.sampleNow()
	a.mu.Lock()
	a.seq++
	name := snapshot.Name{Time: now, Host: a.cfg.host, PID: a.pid, Seq: a.seq, Trigger: trigger}.String()
	comments := a.comments(trigger, reason, m)
	a.mu.Unlock()

	size, err := snapshot.WriteAtomic(a.cfg.dir, name, a.writeProfile(comments))
	if err != nil {
		a.failed("capture", err)
		return "", err
	}
	info := &CaptureInfo{File: name, Trigger: trigger, Time: now, DurationSeconds: time.Since(began).Seconds(), Bytes: size}
	a.mu.Lock()
	a.last = info
	a.captures[trigger]++
	// The baseline is the snapshot BaselineAfter takes; without one, the
	// process's first snapshot.
	if trigger == "baseline" || (a.cfg.baselineAfter == 0 && a.baseline == "") {
		a.baseline = name
	}
	// A later capture failure is news again.
	maps.DeleteFunc(a.errLogged, func(cause string, _ bool) bool { return strings.HasPrefix(cause, "capture: ") })
	a.mu.Unlock()
	path := filepath.Join(a.cfg.dir, name)
	a.log.Info("heapdiff: snapshot written", "file", name, "path", path, "trigger", trigger,
		"bytes", size, "duration", time.Since(began).Round(time.Millisecond))
	a.prune()
	return path, nil
}

// writeProfile returns the function that writes one snapshot: the heap
// profile with comments added. It reuses the agent's buffers, gzip reader and
// writer, so a capture allocates only what runtime/pprof itself does. Called
// with a.capMu held, which keeps the buffers to one capture at a time.
func (a *Agent) writeProfile(comments []string) func(io.Writer) error {
	return func(w io.Writer) error {
		a.profileBuf.Reset()
		if err := pprof.Lookup("heap").WriteTo(&a.profileBuf, 0); err != nil {
			return fmt.Errorf("heap profile: %w", err)
		}
		// Buffered: the gzip writer would otherwise write the file in small
		// pieces, one system call each.
		if a.fileBuf == nil {
			a.fileBuf = bufio.NewWriterSize(w, 64<<10)
		} else {
			a.fileBuf.Reset(w)
		}
		if err := a.commenter.AddComments(a.fileBuf, &a.profileBuf, comments); err != nil {
			return err
		}
		err := a.fileBuf.Flush()
		a.fileBuf.Reset(nil) // do not keep the file
		return err
	}
}

// comments is the metadata written into the profile. Called with a.mu held.
func (a *Agent) comments(trigger, reason string, m Memory) []string {
	c := snapshot.Comment
	u := func(v uint64) string { return strconv.FormatUint(v, 10) }
	limit := func(v uint64) string {
		if v == 0 {
			return "unlimited"
		}
		return u(v)
	}
	out := []string{
		c("trigger", trigger),
		c("time", m.Time.UTC().Format(time.RFC3339)),
		c("host", a.cfg.host),
		c("pid", strconv.Itoa(a.pid)),
		c("seq", strconv.Itoa(a.seq)),
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
	if a.baseline != "" {
		out = append(out, c("baseline", a.baseline))
	}
	for _, g := range a.gauges {
		out = append(out, c("gauge."+g.Name, strconv.FormatFloat(g.Value, 'g', -1, 64)))
	}
	return out
}

// prune applies retention to this host's snapshots, keeping the baseline, the
// latest snapshot and those the last AlertSnapshotsKept alerts named, and
// removes temporary files that other hosts left long ago. Another host's
// snapshots (a replica sharing the directory) and pulled ones (pid 0, written
// by heapdiff capture) are left alone.
func (a *Agent) prune() {
	a.mu.Lock()
	protect := append([]string{a.baseline}, a.alertFiles...)
	if a.last != nil {
		protect = append(protect, a.last.File)
	}
	a.mu.Unlock()
	host := snapshot.Clean(a.cfg.host, "host")
	r := snapshot.Retention{Keep: a.cfg.keep, MaxBytes: a.cfg.maxBytes, MaxAge: a.cfg.maxAge,
		Owns: func(n snapshot.Name) bool { return n.Host == host && n.PID != 0 }}
	now := a.cfg.now()
	kept, removed, err := snapshot.Prune(a.cfg.dir, r, now, protect...)
	if err != nil {
		a.failed("retention", err)
	}
	if len(removed) > 0 {
		a.log.Debug("heapdiff: retention removed snapshots", "files", removed)
	}
	snapshot.CleanTemp(a.cfg.dir, func(_ snapshot.Name, fi os.FileInfo) bool {
		return now.Sub(fi.ModTime()) > staleTemp
	})
	var total int64
	for _, f := range kept {
		total += f.Size
	}
	a.mu.Lock()
	a.diskFiles, a.diskBytes = len(kept), total
	a.mu.Unlock()
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
	case errors.Is(err, fs.ErrPermission), errors.Is(err, syscall.EROFS):
		return "directory not writable"
	case errors.Is(err, syscall.ENOSPC):
		return "disk full"
	}
	return "error"
}
