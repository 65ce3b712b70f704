package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/heapdiff/heapdiff/agent"
	"github.com/heapdiff/heapdiff/agent/snapshot"
	"github.com/heapdiff/heapdiff/internal/inspector"
	"github.com/heapdiff/heapdiff/internal/nodemon"
	"github.com/heapdiff/heapdiff/profile"
)

// nodeCaptureOptions holds what "heapdiff capture node://HOST:PORT" adds to
// capture's options: the memory monitor's settings. The fields are text as
// typed, parsed by nodeConfig.
type nodeCaptureOptions struct {
	flags *pflag.FlagSet // to tell flags given from defaults

	SampleEvery      time.Duration
	Warmup           time.Duration
	GrowthWindow     time.Duration
	GrowthAlert      string
	GrowthMinR2      float64
	RSSGrowthAlert   string
	RSSAbove         string
	HeapAbove        string
	LimitAbove       float64
	Cooldown         time.Duration
	Webhook          string
	Sampling         bool
	SamplingInterval string
	GC               bool
	SampleGC         bool
	AllowRemote      bool
}

// nodeOnlyFlags are the flags that mean something only for node://.
var nodeOnlyFlags = []string{"sample-every", "warmup", "growth-window", "growth-alert", "growth-min-r2", "rss-growth-alert",
	"rss-above", "heap-above", "limit-above", "cooldown", "webhook", "sampling", "sampling-interval", "gc", "sample-gc", "allow-remote"}

// httpOnlyFlags are the flags that mean something only for http(s)://.
var httpOnlyFlags = []string{"no-gc", "token", "max-size"}

const nodeCaptureHelp = `

NODE.JS: with node://HOST:PORT, capture watches a Node.js process through
its inspector (start it with node --inspect=127.0.0.1:9229, or
NODE_OPTIONS=--inspect=127.0.0.1:9229), with no change to its code. It
finds the process with the inspector's /json/list and talks the DevTools
protocol to it: every --sample-every it reads Runtime.getHeapUsage and
process.memoryUsage() (RSS, heap used, external, array buffers); after
--warmup it fits the growth of the heap and of RSS by least squares over
--growth-window, with R²; the triggers (--growth-alert, --rss-growth-alert,
--rss-above, --heap-above, --limit-above, against the container limit the
process sees) fire as the Go agent's do, log a line with the compare
command and post to --webhook (Slack-compatible), then cool down for
--cooldown. It writes a full heap snapshot (HeapProfiler.takeHeapSnapshot,
streamed to disk) when it connects (the baseline), every --every, on
SIGUSR2 sent to heapdiff itself, and when a trigger fires; with --sampling,
sampling heap profiles (.heapprofile) instead. With neither --every,
--count, a trigger nor a webhook, it takes one snapshot and exits.
--timeout bounds one snapshot (default here: 30 minutes).

Files are named as Node.js names its own, Heap.DATE.TIME.PID.0.SEQ.heapsnapshot
in local time, so compare, trend and check read their time and process;
heapdiff's metadata (trigger, host, pid, RSS, heap used, growth) sits in
the file. Retention (--keep, --max-bytes, --max-age) removes only files
capture wrote, never the baseline, the latest, nor those alerts named. A
snapshot pauses the process while V8 writes it: each pause is logged, and a
snapshot asked for while one runs is refused. When the process restarts,
capture reconnects and a new PID starts a new series, with a warning.

With --upload s3://bucket/prefix, each file is uploaded right after it is
written, under its own name, as PREFIX/SERVICE/HOST/PID/Heap....heapsnapshot
(SERVICE from --service, default "node"; HOST and PID the process's), with
its metadata as object metadata; "heapdiff ls", "trend" and "fleet" read
them there. Uploads run beside the monitor, one at a time, each bounded by
10 minutes: a failed one is logged and the file stays on disk (until
retention removes it: it is not retried).
Ctrl-C or SIGTERM stops it with a summary: memory at start, end and peak,
growth, alerts, snapshots, and the compare command for the baseline and the
last snapshot.

The inspector gives full control of the process: bind it to 127.0.0.1 and
reach a remote one through ssh -L, fly proxy or kubectl port-forward.
capture refuses an address that is not on this machine unless
--allow-remote is given.`

// addNodeCaptureFlags adds the node:// flags and help to the capture
// command.
func addNodeCaptureFlags(cmd *cobra.Command, o *nodeCaptureOptions) {
	cmd.Use = "capture URL|node://HOST:PORT"
	cmd.Short = "Fetch heap snapshots from a Go service's net/http/pprof endpoint, or watch a Node.js process through its inspector"
	cmd.Long += nodeCaptureHelp
	cmd.Example += `
  node --inspect=127.0.0.1:9229 bot.js &
  heapdiff capture node://127.0.0.1:9229 --every 10m --dir snaps/ --keep 50 --growth-alert 10MiB/h --webhook "$SLACK_WEBHOOK_URL"
  heapdiff capture node://127.0.0.1:9229 --dir snaps/        # one snapshot now
  heapdiff capture node://127.0.0.1:9229 --every 10m --upload s3://snapshots/prod --service bot
  heapdiff trend snaps/`
	f := cmd.Flags()
	o.flags = f
	f.DurationVar(&o.SampleEvery, "sample-every", agent.DefaultSampleEvery, "node://: read memory this often")
	f.DurationVar(&o.Warmup, "warmup", agent.DefaultWarmup, "node://: after connecting to a process, fit growth and fire memory triggers only after this long")
	f.DurationVar(&o.GrowthWindow, "growth-window", agent.DefaultGrowthWindow, "node://: fit growth over this span of samples")
	f.StringVar(&o.GrowthAlert, "growth-alert", "", "node://: alert and snapshot when the heap grows faster than this, e.g. 10MiB/h")
	f.Float64Var(&o.GrowthMinR2, "growth-min-r2", agent.DefaultMinR2, "node://: a growth alert needs a fit at least this straight (R², 0 to 1)")
	f.StringVar(&o.RSSGrowthAlert, "rss-growth-alert", "", "node://: alert when RSS grows faster than this, e.g. 50MiB/h")
	f.StringVar(&o.RSSAbove, "rss-above", "", "node://: alert when RSS is above this size, e.g. 1GiB")
	f.StringVar(&o.HeapAbove, "heap-above", "", "node://: alert when the heap used is above this size, e.g. 512MiB")
	f.Float64Var(&o.LimitAbove, "limit-above", 0, "node://: alert when RSS is above this percentage of the container's memory limit")
	f.DurationVar(&o.Cooldown, "cooldown", agent.DefaultCooldown, "node://: after a trigger fires, keep it quiet this long")
	f.StringVar(&o.Webhook, "webhook", "", "node://: POST alerts to this Slack-compatible webhook (default: $HEAPDIFF_WEBHOOK); never logged")
	f.BoolVar(&o.Sampling, "sampling", false, "node://: take sampling heap profiles (.heapprofile) instead of full snapshots")
	f.StringVar(&o.SamplingInterval, "sampling-interval", "32KiB", "node://: with --sampling, sample an allocation every this many bytes on average")
	f.BoolVar(&o.GC, "gc", false, "node://: run a full garbage collection before each snapshot")
	f.BoolVar(&o.SampleGC, "sample-gc", false, "node://: run a full garbage collection before each memory sample, so the heap sampled is the live heap (costs a GC pause per sample)")
	f.BoolVar(&o.AllowRemote, "allow-remote", false, "node://: connect to an inspector address not on this machine")
}

// isNodeURL reports whether a capture target is a Node.js inspector.
func isNodeURL(raw string) bool { return strings.HasPrefix(strings.ToLower(raw), "node://") }

// captureNode runs "heapdiff capture node://..." and reports true; for
// another URL it checks that no node:// flag was given and reports false.
func captureNode(ctx context.Context, opts *captureOptions) (bool, error) {
	o := &opts.Node
	if !isNodeURL(opts.URL) {
		if name := changed(o.flags, nodeOnlyFlags); name != "" {
			return true, usageError{fmt.Errorf("--%s is for node:// targets only", name)}
		}
		return false, nil
	}
	if name := changed(o.flags, httpOnlyFlags); name != "" {
		return true, usageError{fmt.Errorf("--%s is for http(s):// targets only", name)}
	}
	cfg, err := nodeConfig(opts)
	if err != nil {
		return true, err
	}
	requests, stop := captureRequests()
	defer stop()
	cfg.Requests = requests
	sum, err := nodemon.Run(ctx, cfg)
	if err == nil && sum.UploadFailures > 0 {
		// Each was logged; the exit status says it too, as for a Go target.
		err = fmt.Errorf("%d of %d snapshot(s) not uploaded to %s (they stay in %s, unless retention removed them)",
			sum.UploadFailures, sum.Snapshots, opts.Upload, profile.Printable(cfg.Dir))
	}
	return true, err
}

// changed returns the first of names given on the command line, or "".
func changed(f *pflag.FlagSet, names []string) string {
	if f == nil {
		return ""
	}
	for _, n := range names {
		if f.Changed(n) {
			return n
		}
	}
	return ""
}

// nodeConfig turns the options into the monitor's configuration.
func nodeConfig(opts *captureOptions) (nodemon.Config, error) {
	o := &opts.Node
	u, err := url.Parse(opts.URL)
	if err != nil || u.Host == "" || u.Port() == "" || (u.Path != "" && u.Path != "/") {
		return nodemon.Config{}, usageError{fmt.Errorf("capture: %q is not node://HOST:PORT, such as node://127.0.0.1:9229", opts.URL)}
	}
	if !o.AllowRemote && !inspector.IsLoopback(u.Hostname()) {
		return nodemon.Config{}, usageError{fmt.Errorf("capture: %s is not on this machine, and the inspector gives full control of the process: "+
			"reach it through ssh -L, fly proxy or kubectl port-forward and use 127.0.0.1, or give --allow-remote", u.Host)}
	}
	if opts.Every < 0 || opts.Count < 0 || opts.Keep < 0 || opts.MaxAge < 0 || o.Warmup < 0 || o.Cooldown < 0 ||
		o.SampleEvery <= 0 || o.GrowthWindow <= 0 {
		return nodemon.Config{}, usageError{errors.New("capture: durations and counts must not be negative; --sample-every and --growth-window must be positive")}
	}
	if !(o.GrowthMinR2 >= 0 && o.GrowthMinR2 <= 1) || !(o.LimitAbove >= 0 && o.LimitAbove <= 100) {
		return nodemon.Config{}, usageError{errors.New("capture: --growth-min-r2 must be in [0, 1] and --limit-above in [0, 100]")}
	}
	maxBytes, err := snapshot.ParseBytes(opts.MaxBytes)
	if err != nil {
		return nodemon.Config{}, usageError{fmt.Errorf("--max-bytes: %w", err)}
	}
	t := agent.Triggers{LimitPercent: o.LimitAbove, GrowthMinR2: o.GrowthMinR2, RSSGrowthMinR2: o.GrowthMinR2,
		Window: o.GrowthWindow, Cooldown: o.Cooldown}
	for _, r := range []struct {
		flag, text string
		to         *float64
	}{{"growth-alert", o.GrowthAlert, &t.GrowthAbove}, {"rss-growth-alert", o.RSSGrowthAlert, &t.RSSGrowthAbove}} {
		if r.text == "" {
			continue
		}
		if *r.to, err = snapshot.ParseRate(r.text); err != nil || *r.to <= 0 {
			return nodemon.Config{}, usageError{fmt.Errorf("--%s: %q is not a rate like 10MiB/h", r.flag, r.text)}
		}
	}
	for _, s := range []struct {
		flag, text string
		to         *uint64
	}{{"rss-above", o.RSSAbove, &t.RSSAbove}, {"heap-above", o.HeapAbove, &t.HeapAbove}} {
		if s.text == "" {
			continue
		}
		if *s.to, err = snapshot.ParseBytes(s.text); err != nil || *s.to == 0 {
			return nodemon.Config{}, usageError{fmt.Errorf("--%s: %q is not a size like 1GiB", s.flag, s.text)}
		}
	}
	interval, err := snapshot.ParseBytes(o.SamplingInterval)
	if err != nil || interval == 0 || interval > 1<<30 {
		return nodemon.Config{}, usageError{fmt.Errorf("--sampling-interval: %q is not a size like 32KiB", o.SamplingInterval)}
	}
	webhook := o.Webhook
	if webhook == "" {
		webhook = os.Getenv("HEAPDIFF_WEBHOOK")
	}
	if webhook != "" {
		if err := agent.Validate(agent.Webhook(webhook)); err != nil {
			return nodemon.Config{}, usageError{errors.New("--webhook: not an http or https URL")} // never echo it
		}
	}
	snapshotTimeout := time.Duration(0) // the monitor's default, 30 minutes: a large heap takes minutes
	if o.flags != nil && o.flags.Changed("timeout") {
		snapshotTimeout = opts.Timeout
	}
	up, err := newSnapshotUploader(&opts.captureUploadFlags, "node")
	if err != nil {
		return nodemon.Config{}, err
	}
	var written func(context.Context, string, int64, []string) (string, error)
	if up != nil {
		written = up.putNode
	}
	triggers := t.GrowthAbove > 0 || t.RSSGrowthAbove > 0 || t.RSSAbove > 0 || t.HeapAbove > 0 || t.LimitPercent > 0
	once := opts.Every == 0 && opts.Count == 0 && !triggers && webhook == ""
	if once && o.Sampling {
		// V8 samples from the moment capture connects: a profile read at
		// once holds nothing.
		return nodemon.Config{}, usageError{errors.New("--sampling records what the process allocates after capture connects, so a single profile taken at once is empty: add --every (and --count), or a trigger")}
	}
	host, port, _ := net.SplitHostPort(u.Host)
	return nodemon.Config{
		Addr:             net.JoinHostPort(host, port),
		Dir:              opts.Dir,
		Every:            opts.Every,
		Count:            opts.Count,
		Once:             once,
		SampleEvery:      o.SampleEvery,
		Warmup:           o.Warmup,
		GrowthWindow:     o.GrowthWindow,
		Triggers:         t,
		Webhook:          webhook,
		Sampling:         o.Sampling,
		SamplingInterval: int64(interval),
		GC:               o.GC,
		SnapshotTimeout:  snapshotTimeout,
		SampleGC:         o.SampleGC,
		Retention:        snapshot.Retention{Keep: opts.Keep, MaxBytes: int64(min(maxBytes, 1<<62)), MaxAge: opts.MaxAge},
		Out:              opts.IO.Out,
		Log:              opts.IO.ErrOut,
		Written:          written,
	}, nil
}
