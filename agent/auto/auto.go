// Package auto starts the heapdiff capture agent from environment variables,
// so a service needs no code beyond one import:
//
//	import _ "github.com/heapdiff/heapdiff/agent/auto"
//
// The agent starts when HEAPDIFF_DIR is set; otherwise the package logs one
// line saying it is off and does nothing else. Every agent option has a
// variable. A malformed value is logged, naming the variable and what it
// expects, and the option keeps its default: the service always starts. So
// are HEAPDIFF_SAMPLE_EVERY and HEAPDIFF_GROWTH_WINDOW when the window would
// hold fewer than 3 samples, with which the agent would not start.
//
//	Variable                    Option                  Default      Example
//	HEAPDIFF_DIR                agent.Dir               (agent off)  /var/lib/mybot/heap
//	HEAPDIFF_EVERY              agent.Every             0 (off)      30m
//	HEAPDIFF_SIGNAL             agent.Signals           USR2         USR1, or off
//	HEAPDIFF_KEEP               agent.Keep              50           100 (0: no limit)
//	HEAPDIFF_MAX_BYTES          agent.MaxBytes          512MiB       2GB (0: no limit)
//	HEAPDIFF_MAX_AGE            agent.MaxAge            7d           36h (0: no limit)
//	HEAPDIFF_MIN_INTERVAL       agent.MinInterval       10s          1m
//	HEAPDIFF_GC                 agent.GCBeforeCapture   true         false
//	HEAPDIFF_WARMUP             agent.Warmup            5m           15m (0: none)
//	HEAPDIFF_BASELINE_AFTER     agent.BaselineAfter     the warm-up  10m (0: off)
//	HEAPDIFF_SAMPLE_EVERY       agent.SampleEvery       1m           15s
//	HEAPDIFF_GROWTH_WINDOW      agent.GrowthWindow      1h           6h
//	HEAPDIFF_RSS_ALERT          agent.RSSAbove          off          1.5GiB
//	HEAPDIFF_LIMIT_ALERT        agent.LimitAbove        off          85%
//	HEAPDIFF_GROWTH_ALERT       agent.GrowthAbove       off          50MiB/h (of the live heap)
//	HEAPDIFF_RSS_GROWTH_ALERT   agent.RSSGrowthAbove    off          100MiB/h
//	HEAPDIFF_GROWTH_R2          (both growth alerts)    0.8          0.9
//	HEAPDIFF_COOLDOWN           agent.Cooldown          30m          2h
//	HEAPDIFF_WEBHOOK            agent.Webhook           off          https://hooks.slack.com/services/...
//	HEAPDIFF_WEBHOOK_TIMEOUT    agent.WebhookTimeout    10s          5s
//	HEAPDIFF_TOKEN              agent.Token             none         a long random string
//	HEAPDIFF_HTTP               (serves Agent.Handler)  off          127.0.0.1:6061
//	HEAPDIFF_LOG                agent.Logger            text         json, or off
//	HEAPDIFF_SUMMARY_ON_SIGNAL  (see below)             false        true
//	HEAPDIFF_UPLOAD             (see below)             off          s3://bucket/prefix
//
// Durations are Go durations (90s, 30m, 1h30m) or whole days (7d). Sizes are
// bytes with an optional unit (512MiB, 2GB, 64K). Rates are a size per s, min,
// h or day (50MiB/h, 1GB/day), as heapdiff check --max-rate takes them; a bare
// size is per hour. HEAPDIFF_LOG=text logs through the service's default slog
// logger at the time of each message (the package never replaces it), json
// writes JSON lines to standard error, and off logs nothing.
//
// HEAPDIFF_HTTP serves the agent's handler at /debug/heapdiff/ on its own
// listener. Without HEAPDIFF_TOKEN (or with an empty one) the handler is open,
// so the address must be loopback (127.0.0.1:6061, [::1]:6061,
// localhost:6061); any other, ":6061" and "0.0.0.0:6061" included, is
// refused with a log line and the agent runs without the listener. With a
// token, any address is allowed and every request needs "Authorization:
// Bearer <token>". The listener shares the service's file descriptors, so it
// holds at most [AdminMaxConns] connections (closing new ones past that) and
// times out slow and idle ones: [AdminReadHeaderTimeout],
// [AdminReadTimeout], [AdminWriteTimeout] and [AdminIdleTimeout].
//
// [Agent] returns the running agent, for a service that wants to mount its
// handler itself.
//
// # Uploads
//
// HEAPDIFF_UPLOAD=s3://bucket/prefix uploads every snapshot to object
// storage, in a program that imports github.com/heapdiff/heapdiff/agent/upload/auto
// instead of this package (a module of its own, so that this one stays
// standard-library only). In a program that imports only this package it
// does nothing but log, at the first snapshot, that snapshots stay on disk.
//
// # The closing summary
//
// The agent logs a summary of the run when it is closed (see
// [agent.Agent.Close]). A package cannot run code when the program exits:
// Go has no exit hook, and a program that returns from main or calls os.Exit
// runs nothing of ours. So either call [Close] in your shutdown path, or set
// HEAPDIFF_SUMMARY_ON_SIGNAL=true, which closes the agent (logging the
// summary) when SIGTERM or SIGINT arrives, while your program shuts down.
//
// Set HEAPDIFF_SUMMARY_ON_SIGNAL only in a program that handles SIGTERM and
// SIGINT itself (signal.Notify or signal.NotifyContext). Listening for a
// signal turns off the Go runtime's default action, to terminate, for as long
// as anyone listens; os/signal cannot tell this package whether the program
// listens too. A program that does keeps its own shutdown and exit status
// unchanged (each listener gets its own copy of the signal). A program that
// does not would survive the first signal (the agent stops listening after
// it, so a second one terminates it). That is why it is off by default, and
// why, off, this package never listens for SIGTERM or SIGINT.
package auto

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/heapdiff/heapdiff/agent"
	"github.com/heapdiff/heapdiff/agent/snapshot"
)

var running *agent.Agent

func init() {
	running = Start(os.LookupEnv)
}

// Agent returns the agent started from the environment, or nil when it is off.
func Agent() *agent.Agent { return running }

// Close closes the agent started from the environment, if one runs, which
// logs its closing summary; later captures fail with [agent.ErrClosed]. Call
// it in the program's own shutdown path, after the work whose memory you
// care about. It is safe to call more than once, and when the agent is off.
func Close() error {
	stopSummarySignals()
	if running == nil {
		return nil
	}
	return running.Close()
}

// variable is one HEAPDIFF_* environment variable and how it becomes an option.
type variable struct {
	name   string
	expect string // what a valid value looks like, for error messages
	parse  func(v string) (agent.Option, error)
}

// variables lists every variable but HEAPDIFF_DIR, HEAPDIFF_GROWTH_R2 (read
// with the growth alerts), HEAPDIFF_HTTP, HEAPDIFF_LOG and
// HEAPDIFF_SUMMARY_ON_SIGNAL, which Start reads itself.
var variables = []variable{
	{"HEAPDIFF_EVERY", "a duration like 30m, or 0 for off", func(v string) (agent.Option, error) {
		d, err := snapshot.ParseDuration(v)
		if err == nil && d > 0 && d < time.Second {
			// Each snapshot collects garbage first: hundreds a second
			// would keep a core busy for nothing a heap profile shows.
			err = fmt.Errorf("%v is under a second", d)
		}
		return agent.Every(d), err
	}},
	{"HEAPDIFF_SIGNAL", "USR1, USR2 or off", signalOpt},
	{"HEAPDIFF_KEEP", "a whole number of files", func(v string) (agent.Option, error) {
		n, err := strconv.Atoi(v)
		return agent.Keep(n), err
	}},
	{"HEAPDIFF_MAX_BYTES", "a size like 512MiB or 2GB", func(v string) (agent.Option, error) {
		n, err := snapshot.ParseBytes(v)
		return agent.MaxBytes(int64(min(n, 1<<62))), err
	}},
	{"HEAPDIFF_MAX_AGE", "a duration like 36h or 7d", durationOpt(agent.MaxAge)},
	{"HEAPDIFF_MIN_INTERVAL", "a duration like 10s", durationOpt(agent.MinInterval)},
	{"HEAPDIFF_GC", "true or false", func(v string) (agent.Option, error) {
		b, err := strconv.ParseBool(v)
		return agent.GCBeforeCapture(b), err
	}},
	{"HEAPDIFF_WARMUP", "a duration like 5m, or 0 for none", durationOpt(agent.Warmup)},
	{"HEAPDIFF_BASELINE_AFTER", "a duration like 5m, or 0 for off", durationOpt(agent.BaselineAfter)},
	{"HEAPDIFF_SAMPLE_EVERY", "a duration like 1m", durationOpt(agent.SampleEvery)},
	{"HEAPDIFF_GROWTH_WINDOW", "a duration like 1h", durationOpt(agent.GrowthWindow)},
	{"HEAPDIFF_RSS_ALERT", "a size like 1.5GiB", func(v string) (agent.Option, error) {
		n, err := snapshot.ParseBytes(v)
		return agent.RSSAbove(n), err
	}},
	{"HEAPDIFF_LIMIT_ALERT", "a percentage like 85%", func(v string) (agent.Option, error) {
		v = strings.TrimSpace(v)
		p, err := strconv.ParseFloat(strings.TrimSuffix(v, "%"), 64)
		if err == nil && p <= 1 && !strings.HasSuffix(v, "%") {
			// 0.85 is most likely 85% written as a fraction, and 1 is
			// 100%; as 0.85% or 1% either would alert on any process
			// with a limit.
			err = errors.New("a fraction? the value is a percentage")
		}
		return agent.LimitAbove(p), err
	}},
	// The growth alerts need HEAPDIFF_GROWTH_R2: see growthOpt.
	{"HEAPDIFF_GROWTH_ALERT", "a size per time like 50MiB/h, 1MiB/min or 1GB/day", nil},
	{"HEAPDIFF_RSS_GROWTH_ALERT", "a size per time like 100MiB/h, 2MiB/min or 2GB/day", nil},
	{"HEAPDIFF_COOLDOWN", "a duration like 30m", durationOpt(agent.Cooldown)},
	{"HEAPDIFF_WEBHOOK", "an http or https URL", func(v string) (agent.Option, error) { return agent.Webhook(v), nil }},
	{"HEAPDIFF_WEBHOOK_TIMEOUT", "a duration like 10s", durationOpt(agent.WebhookTimeout)},
	{"HEAPDIFF_TOKEN", "a string with no spaces at either end and no control characters", func(v string) (agent.Option, error) { return agent.Token(v), nil }},
}

func durationOpt(opt func(time.Duration) agent.Option) func(string) (agent.Option, error) {
	return func(v string) (agent.Option, error) {
		d, err := snapshot.ParseDuration(v)
		return opt(d), err
	}
}

// Options turns the environment, read through lookup, into agent options.
// enabled reports whether HEAPDIFF_DIR is set. Each malformed value gives one
// problem, naming the variable and what it expects, and no option, so the
// agent keeps that option's default.
func Options(lookup func(string) (string, bool)) (opts []agent.Option, problems []error, enabled bool) {
	dir, ok := lookup("HEAPDIFF_DIR")
	if !ok || dir == "" {
		return nil, nil, false
	}
	opts = append(opts, agent.Dir(dir))
	// The timing variables, held back to be checked together.
	var timing []heldTiming
	r2Reported := false // a bad HEAPDIFF_GROWTH_R2 is one problem, however many alerts read it
	for _, v := range variables {
		s, ok := lookup(v.name)
		if !ok {
			continue
		}
		parse := v.parse
		if trigger, ok := growthTriggers[v.name]; ok {
			r2, err := growthR2(lookup)
			if err != nil && !r2Reported {
				problems = append(problems, err) // the rate still counts, with the default R²
				r2Reported = true
			}
			parse = growthOpt(trigger, r2)
		}
		opt, err := parse(s)
		if err == nil {
			// Run the option on a scratch agent config to catch range errors
			// (a negative count, a percentage over 100) here, per variable.
			err = agent.Validate(opt)
		}
		if err != nil {
			problems = append(problems, fmt.Errorf("%s=%q ignored: want %s (%v)", v.name, redact(v.name, s), v.expect, err))
			continue
		}
		if v.name == "HEAPDIFF_SAMPLE_EVERY" || v.name == "HEAPDIFF_GROWTH_WINDOW" {
			d, _ := snapshot.ParseDuration(s) // parsed above
			timing = append(timing, heldTiming{v.name, s, d, opt})
			continue
		}
		opts = append(opts, opt)
	}
	// Each value may be right alone and the two wrong together: the
	// agent would not start. Both go, with one problem, and the agent
	// starts with the defaults.
	every, span := agent.DefaultSampleEvery, agent.DefaultGrowthWindow
	var given []string
	for _, h := range timing {
		if h.name == "HEAPDIFF_SAMPLE_EVERY" {
			every = h.d
		} else {
			span = h.d
		}
		given = append(given, fmt.Sprintf("%s=%q", h.name, h.value))
	}
	if span < 3*every {
		problems = append(problems, fmt.Errorf("%s ignored: the growth window (%v) must hold at least 3 samples taken every %v; the defaults stay (a sample every %v, a window of %v)",
			strings.Join(given, " and "), span, every, agent.DefaultSampleEvery, agent.DefaultGrowthWindow))
		return opts, problems, true
	}
	for _, h := range timing {
		opts = append(opts, h.opt)
	}
	return opts, problems, true
}

// heldTiming is a well-formed timing variable, held back until it is
// known to go with the other (see Options).
type heldTiming struct {
	name, value string
	d           time.Duration
	opt         agent.Option
}

// growthTriggers are the growth alerts' variables and their options.
var growthTriggers = map[string]func(rate, r2 float64) agent.Option{
	"HEAPDIFF_GROWTH_ALERT":     agent.GrowthAbove,
	"HEAPDIFF_RSS_GROWTH_ALERT": agent.RSSGrowthAbove,
}

// growthR2 reads HEAPDIFF_GROWTH_R2, the R² threshold of both growth alerts.
// Unset or malformed, it is 0, which the options take as the default; a
// malformed value is also a problem naming the variable.
func growthR2(lookup func(string) (string, bool)) (float64, error) {
	v, ok := lookup("HEAPDIFF_GROWTH_R2")
	if !ok || strings.TrimSpace(v) == "" {
		return 0, nil
	}
	r2, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || r2 < 0 || r2 > 1 {
		return 0, fmt.Errorf("HEAPDIFF_GROWTH_R2=%q ignored: want a number from 0 to 1, like 0.9 (the growth triggers keep R² %v)",
			v, agent.DefaultMinR2)
	}
	return r2, nil
}

// growthOpt parses a growth rate for trigger with the R² threshold r2:
// "50MiB/h" or any rate [snapshot.ParseRate] reads (the syntax of heapdiff
// check --max-rate), or a bare size, per hour.
func growthOpt(trigger func(rate, r2 float64) agent.Option, r2 float64) func(string) (agent.Option, error) {
	return func(v string) (agent.Option, error) {
		if !strings.Contains(v, "/") {
			n, err := snapshot.ParseBytes(v)
			return trigger(float64(n), r2), err
		}
		rate, err := snapshot.ParseRate(v)
		return trigger(rate, r2), err
	}
}

// redact hides secrets from error messages.
func redact(name, value string) string {
	if name == "HEAPDIFF_WEBHOOK" || name == "HEAPDIFF_TOKEN" {
		return "(secret)"
	}
	return value
}

// Start starts an agent from the environment read through lookup and returns
// it, or nil when HEAPDIFF_DIR is unset or the agent cannot start. It logs
// every problem and never fails: the package's init calls it with
// os.LookupEnv.
func Start(lookup func(string) (string, bool)) *agent.Agent {
	log := Logger(lookup)
	opts, problems, enabled := Options(lookup)
	if !enabled {
		log.Info("heapdiff: capture agent off (set HEAPDIFF_DIR to turn it on)")
		return nil
	}
	for _, p := range problems {
		log.Warn("heapdiff: " + p.Error())
	}
	if v, ok := lookup("HEAPDIFF_LOG"); ok {
		if _, known := logChoice(v); !known {
			log.Warn(fmt.Sprintf("heapdiff: HEAPDIFF_LOG=%q ignored: want text, json or off (logging as text)", v))
		}
	}
	a, err := agent.Start(append(opts, agent.Logger(log))...)
	if err != nil {
		log.Error("heapdiff: capture agent not started", "err", err)
		return nil
	}
	if addr, ok := lookup("HEAPDIFF_HTTP"); ok && addr != "" {
		token, _ := lookup("HEAPDIFF_TOKEN")
		serve(a, addr, token != "" && agent.Validate(agent.Token(token)) == nil, log)
	}
	if dest, ok := lookup("HEAPDIFF_UPLOAD"); ok && strings.TrimSpace(dest) != "" {
		warnUnclaimedUpload(a, log)
	}
	if v, ok := lookup("HEAPDIFF_SUMMARY_ON_SIGNAL"); ok && strings.TrimSpace(v) != "" {
		on, err := strconv.ParseBool(strings.TrimSpace(v))
		switch {
		case err != nil:
			log.Warn(fmt.Sprintf("heapdiff: HEAPDIFF_SUMMARY_ON_SIGNAL=%q ignored: want true or false", v))
		case on:
			closeOnSignal(a)
		}
	}
	return a
}

// uploadClaimed is set by ClaimUpload.
var uploadClaimed atomic.Bool

// ClaimUpload tells this package that the program uploads the snapshots
// HEAPDIFF_UPLOAD names: github.com/heapdiff/heapdiff/agent/upload/auto
// calls it from its init. Without it, a set HEAPDIFF_UPLOAD is logged at the
// first snapshot as doing nothing. (That package's init runs after this
// one's, so the check waits for a snapshot rather than running at start.)
func ClaimUpload() { uploadClaimed.Store(true) }

// warnUnclaimedUpload logs, at a's first snapshot, that HEAPDIFF_UPLOAD
// does nothing, unless an uploader claimed it by then.
func warnUnclaimedUpload(a *agent.Agent, log *slog.Logger) {
	var once sync.Once
	a.OnSnapshot(func(agent.Snapshot) {
		once.Do(func() {
			if !uploadClaimed.Load() {
				log.Warn("heapdiff: HEAPDIFF_UPLOAD is set, but this program does not upload: import github.com/heapdiff/heapdiff/agent/upload/auto instead of agent/auto; snapshots stay on local disk")
			}
		})
	})
}

// summarySignals guards stopSummary, which stops the listener closeOnSignal
// started.
var (
	summaryMu   sync.Mutex
	stopSummary func()
)

// closeOnSignal closes a, logging its summary, when a shutdown signal
// arrives, then stops listening, so the next such signal gets the runtime's
// default action again. See the package doc for why this is opt-in.
func closeOnSignal(a *agent.Agent) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, shutdownSignals...)
	done := make(chan struct{})
	var once sync.Once
	stop := func() { once.Do(func() { signal.Stop(ch); close(done) }) }
	summaryMu.Lock()
	stopSummary = stop
	summaryMu.Unlock()
	go func() {
		select {
		case <-ch:
			stop()
			a.Close()
		case <-done:
		}
	}()
}

// stopSummarySignals stops the listener closeOnSignal started, if any.
func stopSummarySignals() {
	summaryMu.Lock()
	stop := stopSummary
	summaryMu.Unlock()
	if stop != nil {
		stop()
	}
}

// Logger makes the logger HEAPDIFF_LOG asks for, read through lookup (such
// as os.LookupEnv): "text" (the default) through slog.Default at the time of
// each message, "json" on standard error, or "off". Packages that start the
// agent as this one does, such as agent/upload/auto, log the same way.
func Logger(lookup func(string) (string, bool)) *slog.Logger {
	v, _ := lookup("HEAPDIFF_LOG")
	switch choice, _ := logChoice(v); choice {
	case "off":
		return slog.New(slog.DiscardHandler)
	case "json":
		return slog.New(slog.NewJSONHandler(os.Stderr, nil))
	}
	return slog.New(defaultHandler{})
}

// logChoice reads a HEAPDIFF_LOG value as text, json or off; known is
// false for a value that is none of them, which logs as text.
func logChoice(v string) (choice string, known bool) {
	switch c := strings.ToLower(strings.TrimSpace(v)); c {
	case "off", "none":
		return "off", true
	case "json":
		return "json", true
	case "", "text":
		return "text", true
	}
	return "text", false
}

// defaultHandler logs through whatever slog.Default is when a message is
// logged, so a service that sets its default logger after this package's init
// still gets the agent's messages in its own format.
type defaultHandler struct{}

func (defaultHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return slog.Default().Handler().Enabled(ctx, l)
}

func (defaultHandler) Handle(ctx context.Context, r slog.Record) error {
	return slog.Default().Handler().Handle(ctx, r)
}

func (h defaultHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return slog.Default().Handler().WithAttrs(as)
}

func (h defaultHandler) WithGroup(name string) slog.Handler {
	return slog.Default().Handler().WithGroup(name)
}
