// Package nodemon watches a Node.js process from outside, through its
// inspector, as heapdiff's agent watches a Go service from inside: it
// samples memory, fits its growth, fires the agent's triggers with their
// cooldowns, posts the agent's Slack-compatible alerts, takes heap
// snapshots (or sampling heap profiles) on a schedule, on demand and when a
// trigger fires, keeps them under retention, and ends with the agent's
// summary. "heapdiff capture node://" runs it.
//
// The rules are the agent's own (agent.Triggers, agent.GrowthFit,
// agent.WebhookSender, snapshot.Retention); what differs is where the
// numbers come from. RSS is process.memoryUsage().rss and the heap is V8's
// used heap (Runtime.getHeapUsage), which, unlike the Go runtime's live
// heap, also counts garbage not yet collected: its fit sees a sawtooth
// where a Go service's shows steps, and the R² threshold tells a climb from
// it. The limit is process.constrainedMemory(), the cgroup's limit as
// Node.js reads it in the process's own container.
//
// A snapshot pauses the process while V8 builds and serialises the heap:
// one runs at a time, each one's pause is logged, and a request while one
// runs is refused. When the process goes away the monitor reconnects; a new
// process id starts a new series (new baseline, new fit, new cooldowns),
// with a warning, since heapdiff refuses to compare two processes' heaps.
package nodemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/heapdiff/heapdiff/agent"
	"github.com/heapdiff/heapdiff/agent/snapshot"
	"github.com/heapdiff/heapdiff/internal/inspector"
)

// Config says what to watch and what to do. Zero durations take the
// defaults named below.
type Config struct {
	Addr  string // the inspector's host:port
	Dir   string // where snapshots go (created if missing)
	Every time.Duration
	// Count stops the run after this many snapshots (0: until ctx ends).
	Count int
	// Once takes one snapshot and returns: no sampling, no triggers.
	Once bool
	// SampleEvery is how often memory is sampled (default agent.DefaultSampleEvery).
	SampleEvery time.Duration
	// Warmup holds the memory triggers and the growth fit back after each
	// process is first seen (0: none).
	Warmup       time.Duration
	GrowthWindow time.Duration // default agent.DefaultGrowthWindow
	// Triggers are the memory triggers; Window and Cooldown default to
	// GrowthWindow and agent.DefaultCooldown.
	Triggers       agent.Triggers
	Webhook        string // Slack-compatible; a secret, never logged
	WebhookTimeout time.Duration
	// Sampling takes sampling heap profiles instead of full snapshots,
	// sampling every SamplingInterval bytes (0: V8's 32 KiB).
	Sampling         bool
	SamplingInterval int64
	// GC runs a full garbage collection before each snapshot.
	GC bool
	// SampleGC runs a full garbage collection before each memory sample,
	// so the heap sampled is the live heap, as the Go agent's is, rather
	// than V8's used heap with its garbage. It costs a full collection, a
	// pause of the process, per sample.
	SampleGC  bool
	Retention snapshot.Retention
	// SnapshotTimeout bounds one snapshot (default 30 minutes).
	SnapshotTimeout time.Duration
	// Requests asks for a snapshot now (the CLI relays SIGUSR2 to it).
	Requests <-chan struct{}
	// Out gets the path of each snapshot written, one a line; Log gets
	// everything else, one line each.
	Out, Log io.Writer
	// HTTPClient asks the inspector for its targets (default: a client
	// with a 10-second timeout).
	HTTPClient *http.Client
	// Written, when set, is given each snapshot right after it is
	// written, with its path, its size and the comments written into it
	// (the "heapdiff" member), to ship it elsewhere ("capture --upload");
	// it returns where the file went, for the log. It is called on a
	// goroutine of its own, one snapshot at a time in order, so sampling and
	// snapshots go on meanwhile; retention spares the files waiting for it.
	// Its ctx ends with the run or after WrittenTimeout. An error is logged
	// and counted, and the file stays on disk. Run returns once the
	// snapshots written are handed over.
	Written func(ctx context.Context, path string, size int64, comments []string) (string, error)
	// WrittenTimeout bounds one call of Written (default 10 minutes: a
	// large heap's snapshot weighs gigabytes).
	WrittenTimeout time.Duration
}

const (
	defaultSnapshotTimeout = 30 * time.Minute
	defaultWrittenTimeout  = 10 * time.Minute
	callTimeout            = 10 * time.Second
	reconnectEvery         = time.Second
	heapName               = "heap used"
)

// ErrRemote says an address is not on this machine and was not allowed.
var ErrRemote = errors.New("the inspector address is not on this machine")

// check validates c and fills in its defaults.
func (c *Config) check() error {
	host, port, err := net.SplitHostPort(c.Addr)
	if err != nil || host == "" || port == "" {
		return fmt.Errorf("inspector address %q: want host:port, such as 127.0.0.1:9229", c.Addr)
	}
	if c.SampleEvery == 0 {
		c.SampleEvery = agent.DefaultSampleEvery
	}
	if c.GrowthWindow == 0 {
		c.GrowthWindow = agent.DefaultGrowthWindow
	}
	if c.Triggers.Window == 0 {
		c.Triggers.Window = c.GrowthWindow
	}
	if c.Triggers.GrowthMinR2 == 0 {
		c.Triggers.GrowthMinR2 = agent.DefaultMinR2
	}
	if c.Triggers.RSSGrowthMinR2 == 0 {
		c.Triggers.RSSGrowthMinR2 = agent.DefaultMinR2
	}
	c.Triggers.HeapName = heapName
	if c.SampleGC {
		c.Triggers.HeapName = "live heap"
	}
	if c.SnapshotTimeout == 0 {
		c.SnapshotTimeout = defaultSnapshotTimeout
	}
	if c.WrittenTimeout == 0 {
		c.WrittenTimeout = defaultWrittenTimeout
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: callTimeout}
	}
	if c.Out == nil {
		c.Out = io.Discard
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
	if c.GrowthWindow < 3*c.SampleEvery {
		return fmt.Errorf("growth window %v must hold at least 3 samples taken every %v", c.GrowthWindow, c.SampleEvery)
	}
	if abs, err := filepath.Abs(c.Dir); err == nil {
		c.Dir = abs
	}
	return nil
}

// Run watches the process at cfg.Addr until ctx ends, cfg.Count snapshots
// are written, or (with cfg.Once) one is. It returns an error when the
// first connection fails or the configuration is wrong; later failures
// (a snapshot that fails, a process that goes away) are logged, counted
// and survived. The summary is logged before it returns, and returned.
func Run(ctx context.Context, cfg Config) (*Summary, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("snapshot directory %s: %w", cfg.Dir, err)
	}
	m := &monitor{cfg: cfg, started: time.Now(), alerts: map[string]uint64{}, captures: map[string]uint64{},
		owned: map[string]bool{}, results: make(chan result, 1)}
	if err := m.connect(ctx); err != nil {
		return nil, err
	}
	defer func() {
		if m.sess != nil {
			m.sess.Close()
		}
	}()
	m.startShipping(ctx)
	if cfg.Once {
		return m.once(ctx)
	}
	if cfg.Webhook != "" {
		hook, err := agent.NewWebhookSender(cfg.Webhook, cfg.WebhookTimeout, m.slogger())
		if err != nil {
			return nil, err
		}
		m.hook = hook
		hctx, stop := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { hook.Run(hctx); close(done) }()
		defer func() {
			m.drainWebhook()
			stop()
			<-done
		}()
	}
	m.loop(ctx)
	m.finishShipping()
	sum := m.summary()
	m.logSummary(sum)
	return sum, nil
}

// monitor is one run's state.
type monitor struct {
	cfg     Config
	hook    *agent.WebhookSender
	started time.Time
	sess    *inspector.Session // nil while disconnected
	s       *series            // the process being watched

	busy    bool // a snapshot is being taken
	results chan result
	owned   map[string]bool // file name: written by heapdiff capture (see ownFiles)

	written uint64 // snapshots written in the run
	// ship.go: handing snapshots to Config.Written.
	shipQueue   chan shipment
	shipResults chan shipped
	shipping    map[string]bool // file names queued or being handed over
	shipped     uint64          // snapshots Written took
	unshipped   uint64          // snapshots Written failed on, or that found the queue full
	captures    map[string]uint64
	failures    uint64
	alerts      map[string]uint64
	sentHooks   uint64
	restarts    int
	maxPause    time.Duration
	// pending are the triggers whose snapshot is being taken: they alert
	// when it is written (or fails), naming it.
	pending []agent.Firing
}

// series is what is known of one process.
type series struct {
	proc       inspector.Process
	started    time.Time
	warmEnd    time.Time
	fit        *agent.GrowthFit
	rss, heap  agent.Growth
	first      agent.Memory
	mem        agent.Memory // the latest sample
	samples    uint64
	seq        int
	baseline   string
	latest     string
	alertFiles []string
	trig       agent.Triggers
}

// logf writes one line to the log.
func (m *monitor) logf(format string, args ...any) {
	fmt.Fprintf(m.cfg.Log, "heapdiff: "+format+"\n", args...)
}

// slogger is the webhook's logger: one line per message on the log.
func (m *monitor) slogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(m.cfg.Log, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey && len(groups) == 0 {
				return slog.Attr{}
			}
			return a
		}}))
}

// target names the watched process in messages and errors.
func (m *monitor) target() string {
	if m.s == nil {
		return "node://" + m.cfg.Addr
	}
	return fmt.Sprintf("node://%s (pid %d, node %s)", m.cfg.Addr, m.s.proc.PID, m.s.proc.Version)
}

// connect finds the target, attaches, and reads the process; a new process
// id starts a new series.
func (m *monitor) connect(ctx context.Context) error {
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	t, err := inspector.Discover(cctx, m.cfg.HTTPClient, m.cfg.Addr)
	if err != nil {
		return fmt.Errorf("node://%s: %w", m.cfg.Addr, err)
	}
	sess, err := inspector.Attach(cctx, t)
	if err != nil {
		return fmt.Errorf("node://%s: %w", m.cfg.Addr, err)
	}
	var proc inspector.Process
	for {
		proc, err = sess.Process(cctx)
		if !errors.Is(err, inspector.ErrStarting) {
			break
		}
		select {
		case <-cctx.Done():
		case <-time.After(50 * time.Millisecond):
			continue
		}
		break
	}
	if errors.Is(err, inspector.ErrStarting) {
		// What waits before its bootstrap ends is, most often, a process
		// started with --inspect-brk: it waits for a debugger to let it
		// run, which heapdiff does not do for it.
		sess.Close()
		return fmt.Errorf("node://%s: the process did not finish starting in %v; one started with --inspect-brk waits for a debugger to let it run: start it with --inspect instead, or resume it in DevTools", m.cfg.Addr, callTimeout)
	}
	if err != nil {
		sess.Close()
		return fmt.Errorf("node://%s: %w", m.cfg.Addr, err)
	}
	if m.cfg.Sampling {
		if err := sess.StartSampling(cctx, m.cfg.SamplingInterval); err != nil {
			sess.Close()
			return fmt.Errorf("node://%s (node %s): %w", m.cfg.Addr, proc.Version, err)
		}
	}
	m.sess = sess
	if m.s != nil && m.s.proc.PID == proc.PID {
		m.logf("reconnected to %s", m.target())
		return nil
	}
	if m.s != nil {
		m.restarts++
		m.logf("warning: %s restarted as pid %d: a new series starts, with its own baseline (heapdiff compares, trends and checks one process's snapshots at a time)",
			m.target(), proc.PID)
	}
	m.newSeries(proc)
	m.logf("watching %s: %s, heap used %s, RSS %s", m.target(), m.describeLimit(),
		agent.FormatBytes(float64(proc.HeapUsed)), agent.FormatBytes(float64(proc.RSS)))
	return nil
}

func (m *monitor) describeLimit() string {
	if m.s.proc.Limit == 0 {
		return "no memory limit"
	}
	return "memory limit " + agent.FormatBytes(float64(m.s.proc.Limit))
}

// newSeries starts watching a process. Its snapshots are numbered after
// those the directory holds when each is taken (job), an earlier run's
// among them.
func (m *monitor) newSeries(proc inspector.Process) {
	now := time.Now()
	s := &series{proc: proc, started: now, warmEnd: now.Add(m.cfg.Warmup),
		fit: agent.NewGrowthFit(m.cfg.GrowthWindow, m.cfg.SampleEvery), trig: m.cfg.Triggers}
	s.first = memory(now, proc, proc.HeapUsed, agent.Memory{})
	s.mem = s.first
	m.s = s
}

// lastSeq returns the highest sequence number of the snapshots of pid that
// the directory holds, 0 when none (or when it cannot be read: the write
// will say why).
func (m *monitor) lastSeq(pid int) int {
	seq := 0
	if files, err := ownFiles(m.cfg.Dir, m.owned); err == nil {
		for _, f := range files {
			if f.PID == pid {
				seq = max(seq, f.Seq)
			}
		}
	}
	return seq
}

// memory is a sample as the agent's triggers read it: the heap (V8's used
// heap) stands where the agent has its live heap.
func memory(t time.Time, p inspector.Process, heapUsed uint64, prev agent.Memory) agent.Memory {
	return agent.Memory{Time: t, RSS: p.RSS, PeakRSS: max(prev.PeakRSS, p.RSS), LiveHeap: heapUsed,
		PeakLiveHeap: max(prev.PeakLiveHeap, heapUsed)}
}

// once takes one snapshot and returns.
func (m *monitor) once(ctx context.Context) (*Summary, error) {
	r := m.capture(ctx, m.job("manual", ""))
	m.done(r)
	m.finishShipping()
	if r.err != nil {
		return nil, r.err
	}
	return m.summary(), nil
}

// loop is the run: samples, schedules, requests, reconnections and the
// snapshots' results, until ctx ends or the count is reached.
func (m *monitor) loop(ctx context.Context) {
	sample := time.NewTicker(m.cfg.SampleEvery)
	defer sample.Stop()
	var schedule <-chan time.Time
	if m.cfg.Every > 0 {
		t := time.NewTicker(m.cfg.Every)
		defer t.Stop()
		schedule = t.C
	}
	reconnect := time.NewTicker(reconnectEvery)
	defer reconnect.Stop()
	// The first snapshot of each process is its baseline, taken at once.
	m.start(ctx, "baseline", "")
	for {
		var lost <-chan struct{}
		if m.sess != nil {
			lost = m.sess.Done()
		}
		select {
		case <-ctx.Done():
			if m.busy {
				m.done(<-m.results) // cancelled with ctx: not kept
			}
			return
		case r := <-m.results:
			m.done(r)
			if m.cfg.Count > 0 && m.written >= uint64(m.cfg.Count) {
				return
			}
		case s := <-m.shipResults:
			m.shipDone(s)
		case <-lost:
			err := m.sess.Err()
			m.sess = nil
			if errors.Is(err, inspector.ErrExited) {
				m.logf("%s exited; waiting for it to start again (checking every %v)", m.target(), reconnectEvery)
			} else {
				m.logf("lost %s (%v); reconnecting every %v", m.target(), errOrEOF(err), reconnectEvery)
			}
		case <-reconnect.C:
			if m.sess != nil || m.busy {
				continue
			}
			pid := m.s.proc.PID
			if err := m.connect(ctx); err != nil {
				continue
			}
			if m.s.proc.PID != pid {
				m.start(ctx, "baseline", "")
			}
		case <-sample.C:
			if m.sess != nil && !m.busy {
				m.sample(ctx)
			}
		case <-schedule:
			m.start(ctx, "schedule", "")
		case <-m.cfg.Requests:
			m.start(ctx, "signal", "")
		}
	}
}

func errOrEOF(err error) error {
	if err == nil {
		return io.EOF
	}
	return err
}

// sample reads memory, refits growth and fires the triggers.
func (m *monitor) sample(ctx context.Context) {
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	var err error
	if m.cfg.SampleGC {
		err = m.sess.CollectGarbage(cctx)
	}
	var used uint64
	var proc inspector.Process
	if err == nil {
		used, proc, err = m.sess.Memory(cctx)
	}
	if err != nil {
		if ctx.Err() == nil && !errors.Is(err, inspector.ErrClosed) {
			m.logf("sample %s: %v", m.target(), err)
		}
		return
	}
	s := m.s
	now := time.Now()
	s.proc.RSS, s.proc.HeapUsed, s.proc.HeapTotal, s.proc.External, s.proc.ArrayBuffers =
		proc.RSS, proc.HeapUsed, proc.HeapTotal, proc.External, proc.ArrayBuffers
	s.mem = memory(now, proc, used, s.mem)
	s.samples++
	warm := !now.Before(s.warmEnd)
	if warm {
		s.fit.Add(now, float64(proc.RSS), float64(used), true)
		s.rss, s.heap = s.fit.Fit(m.cfg.GrowthWindow)
	}
	fire := s.trig.Due(s.mem, s.proc.Limit, s.rss, s.heap, nil, warm)
	if len(fire) == 0 {
		return
	}
	why := make([]string, len(fire))
	for i, f := range fire {
		why[i] = f.Why
		m.alerts[f.Trigger]++
	}
	if !m.start(ctx, fire[0].Trigger, strings.Join(why, "; ")) {
		for _, f := range fire {
			m.alert(f, "", errors.New("a snapshot was already being taken"))
		}
		return
	}
	m.pending = fire
}
