package agent

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"sync"
	"time"

	"github.com/heapdiff/heapdiff/agent/snapshot"
)

// ErrClosed is returned by [Agent.Capture] after [Agent.Close].
var ErrClosed = errors.New("agent: closed")

// ErrTooSoon is returned for a capture asked for from outside the process
// within [MinInterval] of the previous one.
var ErrTooSoon = errors.New("agent: capture asked for too soon after the previous one")

// An Agent captures heap snapshots and watches memory for one process. Make it
// with [Start] and stop it with [Agent.Close]. Its methods are safe for
// concurrent use.
type Agent struct {
	cfg     config
	log     *slog.Logger
	started time.Time
	warmEnd time.Time // started + warm-up: memory triggers and the growth fit begin here
	pid     int
	module  string   // main module path@version, for snapshot metadata
	hook    *webhook // nil without a webhook
	guarded bool     // the directory must be this user's own: see guardedDir
	store   *snapshot.Store
	sigCh   chan os.Signal
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	once    sync.Once

	sampleMu sync.Mutex // guards sampler, which reuses its buffers
	sampler  *sampler

	hookMu     sync.Mutex // guards onSnapshot
	onSnapshot []func(Snapshot)

	capMu         sync.Mutex // one capture at a time; guards the fields up to mu
	closed        bool
	lastExternal  time.Time // when the last signal or HTTP capture began, for MinInterval
	tooSoonLogged bool      // a request dropped by MinInterval was logged
	// Kept from one capture to the next, so a capture allocates little
	// beyond what runtime/pprof itself does (see captureAllocs in the tests).
	profileBuf bytes.Buffer // the heap profile as runtime/pprof writes it

	mu         sync.Mutex // guards the fields below
	alertFiles []string   // snapshots the last AlertSnapshotsKept alerts named, oldest first
	lastGC     uint64     // GC cycles at the last sample fitted: a new count means a new live heap
	first      Memory     // the sample taken at Start
	last       *CaptureInfo
	captures   map[string]uint64
	failures   uint64
	coalesced  uint64
	lastErr    string
	errLogged  map[string]bool
	alerts     map[string]uint64
	samples    uint64
	mem        Memory
	limit      Limit
	growth     Growth
	liveGrowth Growth
	gauges     []GaugeValue
	trig       Triggers // when each trigger fires; guarded by mu
	ring       *ring
}

// Start starts an agent with the given options: it listens for the capture
// signal, samples memory, takes scheduled and triggered snapshots, and sends
// alerts, each on the agent's own goroutines. It returns an error only for an
// invalid option; a problem with the snapshot directory is logged and counted,
// and the agent runs on, so the service starts either way.
func Start(opts ...Option) (*Agent, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	if err := cfg.check(); err != nil {
		return nil, err
	}
	cfg.settle()
	// Absolute, so that alerts and the summary name files that work from any
	// directory, and a service that changes directory later keeps writing to
	// the same place.
	if abs, err := filepath.Abs(cfg.dir); err == nil {
		cfg.dir = abs
	}
	module := "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok {
		module = bi.Main.Path + "@" + bi.Main.Version
	}
	started := cfg.now()
	pid := os.Getpid()
	store := snapshot.NewStore(snapshot.StoreConfig{Dir: cfg.dir, Host: cfg.host, PID: pid,
		Retention: snapshot.Retention{Keep: cfg.keep, MaxBytes: cfg.maxBytes, MaxAge: cfg.maxAge},
		// The baseline is the snapshot BaselineAfter takes; without one,
		// the process's first snapshot.
		AwaitBaseline: cfg.baselineAfter > 0})
	a := &Agent{
		cfg:       cfg,
		log:       cfg.logger,
		started:   started,
		warmEnd:   started.Add(cfg.warmup),
		module:    module,
		pid:       pid,
		store:     store,
		sampler:   newSampler(),
		captures:  map[string]uint64{},
		alerts:    map[string]uint64{},
		errLogged: map[string]bool{},
		trig: Triggers{RSSAbove: cfg.rssAbove, LimitPercent: cfg.limitPercent,
			GrowthAbove: cfg.growthAbove, GrowthMinR2: cfg.minR2, RSSGrowthAbove: cfg.rssGrowth, RSSGrowthMinR2: cfg.rssMinR2,
			Window: cfg.growthWindow, Cooldown: cfg.cooldown},
		ring:    newRing(cfg.growthWindow, cfg.sampleEvery),
		guarded: guardedDir(cfg.dir, cfg.dirNamed),
	}
	a.limit.Container, a.limit.ContainerSource = containerLimit()
	a.prepareDir()
	// A first reading for Stats and the summary; the growth fit starts with
	// the first tick after warm-up.
	first := a.sampleNow()
	a.mu.Lock()
	a.first = first
	a.mu.Unlock()
	a.readGauges()

	ctx, cancel := context.WithCancel(context.Background())
	a.cancel = cancel
	if cfg.webhook != "" {
		backoff := cfg.backoff
		if backoff == nil {
			backoff = defaultBackoff
		}
		a.hook = newWebhook(cfg.webhook, cfg.webhookTO, backoff, a.log)
		a.wg.Go(func() { a.hook.run(ctx) })
	}
	if len(cfg.signals) > 0 {
		// Buffer 1: signals that arrive during a capture coalesce into one.
		a.sigCh = make(chan os.Signal, 1)
		signal.Notify(a.sigCh, cfg.signals...)
	}
	a.wg.Go(func() { a.run(ctx) })
	attrs := []any{"dir", cfg.dir, "signals", fmt.Sprint(cfg.signals), "every", cfg.every, "sample_every", cfg.sampleEvery,
		"warmup", cfg.warmup, "baseline_after", cfg.baselineAfter}
	// So an operator sees the triggers that took effect.
	if cfg.growthAbove > 0 {
		attrs = append(attrs, "growth_above", bytesIEC(cfg.growthAbove)+"/h", "growth_min_r2", cfg.minR2)
	}
	if cfg.rssGrowth > 0 {
		attrs = append(attrs, "rss_growth_above", bytesIEC(cfg.rssGrowth)+"/h", "rss_growth_min_r2", cfg.rssMinR2)
	}
	a.log.Info("heapdiff: agent started", attrs...)
	return a, nil
}

// run is the agent's main loop: it samples memory, answers signals and takes
// scheduled snapshots until ctx is done.
func (a *Agent) run(ctx context.Context) {
	sample := time.NewTicker(a.cfg.sampleEvery)
	defer sample.Stop()
	var schedule, baseline <-chan time.Time
	if a.cfg.every > 0 {
		t := time.NewTicker(a.cfg.every)
		defer t.Stop()
		schedule = t.C
	}
	baselineAt := a.started.Add(a.cfg.baselineAfter)
	if a.cfg.baselineAfter > 0 {
		t := time.NewTimer(a.cfg.baselineAfter)
		defer t.Stop()
		baseline = t.C
	}
	baselineDue := false // the baseline's time has come and it is not written yet
	takeBaseline := func() {
		baseline = nil // taken, or due: the timer has done its part
		_, err := a.capture("baseline", "", false)
		baselineDue = err != nil && !errors.Is(err, ErrClosed)
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-a.sigCh: // nil without signals: never ready
			a.capture("signal", "", true)
		case <-schedule:
			a.capture("schedule", "", false)
		case <-baseline:
			takeBaseline()
		case <-sample.C:
			m := a.sampleNow()
			// The sample that ends warm-up comes at the baseline's time,
			// as its timer does, and may be handled first: the baseline
			// is taken before the sample can raise an alert, whose
			// comparison starts at it.
			if baselineDue || baseline != nil && !m.Time.Before(baselineAt) {
				takeBaseline() // or, after a failed try (a full disk), again
			}
			a.observe(m)
		}
	}
}

// sampleNow reads memory and records it as the current sample.
func (a *Agent) sampleNow() Memory {
	a.sampleMu.Lock()
	m, gml := a.sampler.read(a.cfg.now())
	a.sampleMu.Unlock()
	a.mu.Lock()
	a.samples++
	a.mem = m
	a.limit.GoMemLimit = gml
	if a.first.LiveHeap == 0 && m.GCCycles > 0 {
		// The live heap is known once a GC has finished, which at Start
		// (often in an init function) it usually has not.
		a.first.LiveHeap = m.LiveHeap
	}
	a.mu.Unlock()
	return m
}

// Capture writes a heap snapshot now and returns its path. reason is recorded
// in the snapshot's metadata; the file name says "manual". It runs a garbage
// collection first unless [GCBeforeCapture] turned that off, and waits for a
// capture already in progress. It is not limited by [MinInterval].
func (a *Agent) Capture(reason string) (string, error) {
	return a.capture("manual", reason, false)
}

// Close stops the agent's goroutines and signal listener, waits for a capture
// in progress, takes a last memory sample, and logs one summary line,
// "heapdiff: agent stopped": uptime and samples; RSS and live heap at start,
// at end and at their peak; the growth rate and R² of each over the growth
// window after warm-up; alerts fired, by trigger; snapshots written and
// failures; the directory; and the command that compares the baseline with
// the latest snapshot, with absolute paths. It is safe to call more than
// once.
func (a *Agent) Close() error {
	a.once.Do(func() {
		if a.sigCh != nil {
			signal.Stop(a.sigCh)
		}
		a.cancel()
		a.wg.Wait()
		a.capMu.Lock()
		a.closed = true
		a.capMu.Unlock()
		a.sampleNow()
		a.sampleMu.Lock()
		a.sampler.close()
		a.sampleMu.Unlock()
		a.log.Info("heapdiff: agent stopped", a.Stats().Summary()...)
	})
	return nil
}

// Dir returns the directory snapshots are written to.
func (a *Agent) Dir() string { return a.cfg.dir }
