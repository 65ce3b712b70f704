package nodemon

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/heapdiff/heapdiff/agent"
	"github.com/heapdiff/heapdiff/agent/snapshot"
	"github.com/heapdiff/heapdiff/internal/inspector"
)

// v8DefaultSamplingInterval is the interval V8's sampling heap profiler
// uses when it is started without one (HeapProfiler.startSampling).
const v8DefaultSamplingInterval = 32 << 10

// job is one snapshot to take, with everything the goroutine taking it
// needs, so it shares nothing with the loop.
type job struct {
	sess     *inspector.Session
	target   string
	dir      string
	name     string
	trigger  string
	comments []string
	sampling bool
	interval int64 // the sampling interval, to start sampling again
	gc       bool
	timeout  time.Duration
}

// result is what became of a job.
type result struct {
	job
	size  int64
	pause time.Duration // how long the process was paused (the snapshot's call)
	err   error
}

// start begins a snapshot for trigger unless one is running or the process
// is not connected; it says which, and reports whether it began.
func (m *monitor) start(ctx context.Context, trigger, reason string) bool {
	switch {
	case m.sess == nil:
		m.logf("no %s snapshot: %s is not connected", trigger, m.target())
		return false
	case m.busy:
		m.logf("no %s snapshot: one is being taken and the process is paused while V8 writes it; ask again when it is done", trigger)
		return false
	}
	m.busy = true
	go func() { m.results <- m.capture(ctx, m.job(trigger, reason)) }()
	return true
}

// job names the next snapshot and writes its metadata.
func (m *monitor) job(trigger, reason string) job {
	s := m.s
	// Numbered after what the directory holds now, not only when the
	// series began: another capture may be writing snapshots of the same
	// process into it.
	s.seq = max(s.seq, m.lastSeq(s.proc.PID)) + 1
	now := time.Now()
	ext := extSnapshot
	if m.cfg.Sampling {
		ext = extProfile
	}
	name := fileName(now, s.proc.PID, s.seq, ext)
	c := snapshot.Comment
	u := func(v uint64) string { return strconv.FormatUint(v, 10) }
	limit := func(v uint64) string {
		if v == 0 {
			return "unlimited" // or unknown: as the agent writes it
		}
		return u(v)
	}
	host := s.proc.Host
	if host == "" {
		host = m.cfg.Addr
	}
	comments := []string{
		c("trigger", trigger), c("time", now.UTC().Format(time.RFC3339)), c("host", host),
		c("pid", strconv.Itoa(s.proc.PID)), c("seq", strconv.Itoa(s.seq)),
	}
	if s.baseline != "" {
		comments = append(comments, c("baseline", s.baseline))
	}
	comments = append(comments,
		c("source", "node://"+m.cfg.Addr), c("node_version", s.proc.Version))
	// The last sample's figures: capture reads them again as the snapshot
	// is taken (freshMemory), and keeps these if the process does not say.
	comments = append(comments, memoryComments(s.proc, s.mem.LiveHeap)...)
	comments = append(comments,
		c("limit_bytes", limit(s.proc.Limit)), c("heap_limit_bytes", limit(s.proc.HeapLimit)),
		c("heap_growth_bytes_per_hour", strconv.FormatFloat(s.heap.BytesPerHour, 'f', 0, 64)),
		c("heap_growth_r2", strconv.FormatFloat(s.heap.R2, 'f', 3, 64)),
		c("rss_growth_bytes_per_hour", strconv.FormatFloat(s.rss.BytesPerHour, 'f', 0, 64)),
		c("rss_growth_r2", strconv.FormatFloat(s.rss.R2, 'f', 3, 64)),
		c("gc", strconv.FormatBool(m.cfg.GC)))
	if m.cfg.Sampling {
		// What the sampler was started with: a profile with few samples
		// (the baseline, taken as sampling starts) cannot tell it, and
		// without it would be compared as sampled differently. profile/v8
		// reads it (v8.IntervalComment).
		interval := m.cfg.SamplingInterval
		if interval <= 0 {
			interval = v8DefaultSamplingInterval
		}
		comments = append(comments, c("sampling_interval_bytes", strconv.FormatInt(interval, 10)))
	}
	if reason != "" {
		comments = append(comments, c("reason", reason))
	}
	return job{sess: m.sess, target: m.target(), dir: m.cfg.Dir, name: name, trigger: trigger, comments: comments,
		sampling: m.cfg.Sampling, interval: m.cfg.SamplingInterval, gc: m.cfg.GC, timeout: m.cfg.SnapshotTimeout}
}

// capture takes one snapshot and writes it atomically: streamed to a hidden
// temporary file, synced, renamed. It runs on its own goroutine.
func (m *monitor) capture(ctx context.Context, j job) result {
	ctx, cancel := context.WithTimeout(ctx, j.timeout)
	defer cancel()
	r := result{job: j}
	if j.gc {
		if err := j.sess.CollectGarbage(ctx); err != nil {
			r.err = fmt.Errorf("%s: %w", j.target, err)
			return r
		}
	}
	r.comments = freshMemory(ctx, j.sess, j.comments)
	j = r.job
	r.size, r.err = snapshot.WriteAtomic(j.dir, j.name, func(w io.Writer) error {
		began := time.Now()
		defer func() { r.pause = time.Since(began) }()
		if j.sampling {
			raw, err := j.sess.SamplingProfile(ctx, false)
			if err != nil && strings.Contains(err.Error(), "not started") {
				// Another inspector client (a second capture, DevTools'
				// "Allocation sampling") stopped V8's one sampler for the
				// whole process: started again, the next profile covers
				// what is allocated from now.
				if serr := j.sess.StartSampling(ctx, j.interval); serr == nil {
					return fmt.Errorf("%w: another inspector client stopped V8's sampling heap profiler; sampling again from now", err)
				}
			}
			if err != nil {
				return err
			}
			out, err := withMember(raw, j.comments)
			if err != nil {
				return fmt.Errorf("%s: %w", "HeapProfiler.getSamplingProfile", err)
			}
			_, err = w.Write(out)
			return err
		}
		bw := bufio.NewWriterSize(w, 256<<10)
		in := &inserter{w: bw, member: metadataMember(j.comments)}
		if _, err := j.sess.TakeHeapSnapshot(ctx, in); err != nil {
			return err
		}
		if err := in.close(); err != nil {
			return fmt.Errorf("HeapProfiler.takeHeapSnapshot: %w", err)
		}
		return bw.Flush()
	})
	if r.err != nil {
		r.err = fmt.Errorf("%s: %w", j.target, r.err)
	}
	return r
}

// freshMemory returns comments with their memory figures (rss_bytes,
// heap_used_bytes, ...) read from the process now: job wrote the last
// sample's, which can be --sample-every old, and after --gc they are
// before the collection. When the process does not answer, the snapshot
// keeps those and will say why it failed.
func freshMemory(ctx context.Context, sess *inspector.Session, comments []string) []string {
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	used, proc, err := sess.Memory(cctx)
	if err != nil {
		return comments
	}
	fresh := memoryComments(proc, used)
	key := func(c string) string { k, _, _ := strings.Cut(c, "="); return k }
	out := slices.Clone(comments)
	for i, c := range out {
		if j := slices.IndexFunc(fresh, func(f string) bool { return key(f) == key(c) }); j >= 0 {
			out[i] = fresh[j]
		}
	}
	return out
}

// memoryComments are the memory figures a snapshot carries: the process's
// (process.memoryUsage()) and V8's used heap.
func memoryComments(p inspector.Process, heapUsed uint64) []string {
	c := snapshot.Comment
	u := func(v uint64) string { return strconv.FormatUint(v, 10) }
	return []string{c("rss_bytes", u(p.RSS)), c("heap_used_bytes", u(heapUsed)), c("heap_total_bytes", u(p.HeapTotal)),
		c("external_bytes", u(p.External)), c("array_buffers_bytes", u(p.ArrayBuffers))}
}

// done records a snapshot's result: prints its path, logs its pause,
// applies retention, and sends the alerts that waited for it.
func (m *monitor) done(r result) {
	m.busy = false
	fire := m.pending
	m.pending = nil
	path := filepath.Join(r.dir, r.name)
	if r.err != nil {
		if errors.Is(r.err, context.Canceled) {
			// Stopped by the user (Ctrl-C), not a failure of the capture.
			m.logf("stopped while a %s snapshot was being taken: it was not kept", r.trigger)
		} else {
			m.failures++
			m.logf("%s snapshot failed: %v", r.trigger, r.err)
		}
		for _, f := range fire {
			m.alert(f, "", r.err)
		}
		return
	}
	m.written++
	m.captures[r.trigger]++
	m.maxPause = max(m.maxPause, r.pause)
	s := m.s
	if s.proc.PID == pidOf(r.name) {
		if s.baseline == "" {
			s.baseline = r.name
		}
		s.latest = r.name
		if len(fire) > 0 {
			s.alertFiles = append(s.alertFiles, r.name)
			if n := len(s.alertFiles); n > agent.AlertSnapshotsKept {
				s.alertFiles = slices.Clone(s.alertFiles[n-agent.AlertSnapshotsKept:])
			}
		}
	}
	m.owned[r.name] = true
	fmt.Fprintln(m.cfg.Out, path)
	what := "heap snapshot"
	if r.job.sampling {
		what = "sampling heap profile"
	}
	m.logf("%s %s (%s, %s): %s; the process was paused %v while V8 wrote it", r.trigger, what, r.name,
		agent.FormatBytes(float64(r.size)), path, r.pause.Round(time.Millisecond))
	m.ship(r)
	m.prune()
	for _, f := range fire {
		m.alert(f, path, nil)
	}
}

// pidOf reads the process id from a file name fileName wrote.
func pidOf(name string) int {
	n, _ := parseFileName(name)
	return n.PID
}

// prune applies retention to the files heapdiff capture wrote in the
// directory, keeping the baseline, the latest and the alerts' snapshots.
func (m *monitor) prune() {
	files, err := ownFiles(m.cfg.Dir, m.owned)
	if err == nil {
		protect := append([]string{m.s.baseline, m.s.latest}, m.s.alertFiles...)
		for name := range m.shipping {
			protect = append(protect, name) // waiting for Config.Written
		}
		var removed []string
		_, removed, err = m.cfg.Retention.Apply(m.cfg.Dir, files, time.Now(), protect)
		for _, f := range removed {
			delete(m.owned, f)
		}
	}
	if err != nil {
		m.failures++
		m.logf("retention: %v", err)
	}
}

// alert logs one line for a trigger that fired and posts it to the
// webhook: what fired, memory and its growth, and the command that
// compares the baseline with the snapshot it took.
func (m *monitor) alert(f agent.Firing, path string, captureErr error) {
	s := m.s
	var b strings.Builder
	fmt.Fprintf(&b, "heapdiff: %s: %s.", m.target(), f.Why)
	fmt.Fprintf(&b, " %s%s %s, growth %s; RSS %s, growth %s", strings.ToUpper(s.trig.HeapName[:1]), s.trig.HeapName[1:],
		agent.FormatBytes(float64(s.mem.LiveHeap)), agent.GrowthText(s.heap), agent.FormatBytes(float64(s.mem.RSS)), agent.GrowthText(s.rss))
	if s.proc.Limit > 0 {
		fmt.Fprintf(&b, "; limit %s", agent.FormatBytes(float64(s.proc.Limit)))
	}
	b.WriteString(".")
	name := filepath.Base(path)
	switch {
	case captureErr != nil:
		fmt.Fprintf(&b, " No snapshot: %v.", captureErr)
	case s.baseline != "" && s.baseline != name:
		fmt.Fprintf(&b, " Compare: %s", agent.CompareCommand(m.cfg.Dir, s.baseline, name))
	default:
		fmt.Fprintf(&b, " Snapshot: %s, this process's first and so its baseline: compare a later one with it.", path)
	}
	text := b.String()
	fmt.Fprintln(m.cfg.Log, text)
	if m.hook != nil {
		m.hook.Send(text)
		m.sentHooks++
	}
}

// drainWebhook waits, a little, for the alerts queued to be delivered
// before the run ends.
func (m *monitor) drainWebhook() {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		st := m.hook.Stats()
		if st.Sent+st.Failed+st.Dropped >= m.sentHooks {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}
