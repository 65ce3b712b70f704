package agent

import (
	"slices"
	"strconv"
	"time"

	"github.com/heapdiff/heapdiff/agent/snapshot"
)

// Snapshot describes a snapshot file the agent has just written, for the
// functions given to [Agent.OnSnapshot].
type Snapshot struct {
	// Path is the file's absolute path; the file is complete (written
	// atomically), but retention may remove it later.
	Path string
	// Name holds what its name says: time, host, pid, sequence, trigger.
	Name snapshot.Name
	// Bytes is the file's size.
	Bytes int64
	// Comments are the metadata written into the profile, each a
	// [snapshot.Comment]: trigger, time, host, pid, seq, then the agent's
	// own (memory, limits, growth, Go version, main module, reason,
	// gauges). The slice is the function's to keep.
	Comments []string
}

// OnSnapshot calls fn after each snapshot the agent writes, once the file is
// complete on disk, so a program can ship snapshots elsewhere (the
// github.com/heapdiff/heapdiff/agent/upload module uploads them to object
// storage). fn runs on the capture's goroutine, while the next capture
// waits: it must return quickly, handing any slow work (network, disk) to a
// goroutine of its own. Functions are called in the order they were added;
// one may be added at any time, including while the agent runs.
func (a *Agent) OnSnapshot(fn func(Snapshot)) {
	if fn == nil {
		return
	}
	a.hookMu.Lock()
	a.onSnapshot = append(slices.Clip(a.onSnapshot), fn)
	a.hookMu.Unlock()
}

// notify calls the OnSnapshot functions for a snapshot just written.
func (a *Agent) notify(w snapshot.Written, meta []string) {
	a.hookMu.Lock()
	hooks := a.onSnapshot
	a.hookMu.Unlock()
	if len(hooks) == 0 {
		return
	}
	c := snapshot.Comment
	base := []string{c("trigger", w.Trigger), c("time", w.Time.UTC().Format(time.RFC3339)), c("host", a.cfg.host)}
	if a.pid != 0 {
		base = append(base, c("pid", strconv.Itoa(a.pid)))
	}
	base = append(base, c("seq", strconv.Itoa(w.Seq)))
	for _, fn := range hooks {
		fn(Snapshot{Path: w.Path, Name: w.Name, Bytes: w.Size, Comments: append(slices.Clone(base), meta...)})
	}
}
