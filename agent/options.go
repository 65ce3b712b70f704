package agent

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode"
)

// Defaults. Each option below says which one it replaces.
const (
	// DefaultKeep is how many snapshot files are kept (see [Keep]).
	DefaultKeep = 50
	// DefaultMaxBytes is how many bytes of snapshot files are kept (see [MaxBytes]).
	DefaultMaxBytes = 512 << 20
	// DefaultMaxAge is the age beyond which snapshots are removed (see [MaxAge]).
	DefaultMaxAge = 7 * 24 * time.Hour
	// DefaultMinInterval is the least time between two captures asked for from
	// outside the process, by signal or HTTP (see [MinInterval]).
	DefaultMinInterval = 10 * time.Second
	// DefaultWarmup is how long after Start the memory triggers stay quiet
	// and the growth fit ignores samples (see [Warmup]) when neither Warmup
	// nor a longer [BaselineAfter] is given. Five minutes covers what a
	// service does after it starts: caches, pools and per-connection buffers
	// fill as traffic arrives and the GC's heap goal settles; it is also
	// five samples at [DefaultSampleEvery]. A trigger whose condition still
	// holds when warm-up ends fires at the first sample after, so warm-up
	// delays an alert by at most this long and never loses one.
	DefaultWarmup = 5 * time.Minute
	// DefaultBaselineAfter is how long after Start the baseline snapshot is
	// taken when neither [BaselineAfter] nor [Warmup] is given: when the
	// default warm-up ends, so the baseline is the heap as warm-up left it.
	DefaultBaselineAfter = DefaultWarmup
	// DefaultSampleEvery is how often memory is sampled (see [SampleEvery]).
	DefaultSampleEvery = time.Minute
	// DefaultGrowthWindow is the span the growth rate is fitted over (see
	// [GrowthWindow]).
	DefaultGrowthWindow = time.Hour
	// DefaultMinR2 is how straight a climb must be for a growth trigger to
	// fire (see [GrowthAbove] and [RSSGrowthAbove]).
	DefaultMinR2 = 0.8
	// AlertSnapshotsKept is how many of the latest alerts keep their snapshots
	// safe from retention, so the files an alert named still exist when
	// someone reads it: the baseline, the latest snapshot, and the snapshots
	// of the last AlertSnapshotsKept alerts are never removed.
	AlertSnapshotsKept = 5
	// DefaultCooldown is how long a trigger stays quiet after it fired (see
	// [Cooldown]).
	DefaultCooldown = 30 * time.Minute
	// DefaultWebhookTimeout bounds one webhook POST (see [Webhook]).
	DefaultWebhookTimeout = 10 * time.Second
)

// DefaultDir is where snapshots go when [Dir] is not given: a heapdiff folder
// in the system's temporary directory. Because any local user can create that
// folder first, the agent creates it with mode 0700, makes an existing one of
// its own 0700, and refuses to write into one that is a symbolic link, is
// owned by another user, or is writable by group or others: it logs one line
// saying so and takes no snapshots (the service runs on).
func DefaultDir() string { return filepath.Join(os.TempDir(), "heapdiff") }

// An Option configures [Start]. Options validate their arguments: Start returns
// the first invalid one as an error.
type Option func(*config) error

type config struct {
	dir           string
	dirNamed      bool // dir was given with Dir, not the default
	every         time.Duration
	signals       []os.Signal
	keep          int
	maxBytes      int64
	maxAge        time.Duration
	minInterval   time.Duration
	gc            bool
	baselineAfter time.Duration
	baselineSet   bool // BaselineAfter was given
	warmup        time.Duration
	warmupSet     bool // Warmup was given
	sampleEvery   time.Duration
	growthWindow  time.Duration
	rssAbove      uint64
	limitPercent  float64
	growthAbove   float64 // of the live heap
	minR2         float64
	rssGrowth     float64 // of RSS
	rssMinR2      float64
	cooldown      time.Duration
	logger        *slog.Logger
	webhook       string
	webhookTO     time.Duration
	backoff       []time.Duration // webhook retry waits; nil means defaultBackoff
	token         string
	gauges        []*gauge
	host          string
	now           func() time.Time
}

func defaultConfig() config {
	host, _ := os.Hostname()
	return config{
		dir:           DefaultDir(),
		signals:       defaultSignals,
		keep:          DefaultKeep,
		maxBytes:      DefaultMaxBytes,
		maxAge:        DefaultMaxAge,
		minInterval:   DefaultMinInterval,
		gc:            true,
		baselineAfter: DefaultBaselineAfter,
		warmup:        DefaultWarmup,
		sampleEvery:   DefaultSampleEvery,
		growthWindow:  DefaultGrowthWindow,
		minR2:         DefaultMinR2,
		rssMinR2:      DefaultMinR2,
		cooldown:      DefaultCooldown,
		logger:        slog.New(slog.DiscardHandler),
		webhookTO:     DefaultWebhookTimeout,
		host:          strings.SplitN(host, ".", 2)[0],
		now:           time.Now,
	}
}

func (c *config) check() error {
	if c.growthWindow < 3*c.sampleEvery {
		return fmt.Errorf("agent: growth window %v must hold at least 3 samples taken every %v", c.growthWindow, c.sampleEvery)
	}
	return nil
}

// settle ties warm-up and baseline together where only one, or neither, was
// given: warm-up lasts at least until the baseline, and the baseline is taken
// when warm-up ends, so an alert's comparison never starts inside warm-up.
func (c *config) settle() {
	if !c.warmupSet && c.baselineSet {
		c.warmup = max(DefaultWarmup, c.baselineAfter)
	}
	if !c.baselineSet {
		c.baselineAfter = c.warmup
	}
}

func positive(what string, d time.Duration) error {
	if d <= 0 {
		return fmt.Errorf("agent: %s must be positive, got %v", what, d)
	}
	return nil
}

func notNegative(what string, d time.Duration) error {
	if d < 0 {
		return fmt.Errorf("agent: %s must not be negative, got %v", what, d)
	}
	return nil
}

// Dir sets the directory snapshots are written to (default [DefaultDir]). It is
// created with mode 0700, with any missing parents, if missing; an existing
// directory keeps its mode. The agent treats every snapshot-named file in it
// as its own for retention, so give each service its own directory.
//
// A directory in a folder every user can write to (such as /tmp/mybot, or
// DefaultDir named explicitly) gets DefaultDir's checks: it must be this
// user's own and writable by no one else, or the agent refuses it with one
// log line and takes no snapshots.
func Dir(path string) Option {
	return func(c *config) error {
		if path == "" {
			return errors.New("agent: Dir: empty path")
		}
		c.dir, c.dirNamed = path, true
		return nil
	}
}

// Every takes a snapshot on a schedule, every d. Zero (the default) turns
// scheduled captures off.
func Every(d time.Duration) Option {
	return func(c *config) error {
		c.every = d
		return notNegative("Every", d)
	}
}

// Signals sets the signals that take a snapshot (default SIGUSR2 where it
// exists; none on Windows). With no arguments, signals are not used. The agent
// only adds its own listener: the service's handlers keep working, and the
// process never exits because of these signals.
func Signals(sigs ...os.Signal) Option {
	return func(c *config) error {
		c.signals = sigs
		return nil
	}
}

// Keep keeps at most n snapshot files in the directory (default
// [DefaultKeep]); 0 means no limit. The baseline, the latest snapshot and the
// snapshots of the last [AlertSnapshotsKept] alerts are always kept (they
// count toward the limit, which may therefore be exceeded by up to
// AlertSnapshotsKept+2 files).
func Keep(n int) Option {
	return func(c *config) error {
		if n < 0 {
			return fmt.Errorf("agent: Keep must not be negative, got %d", n)
		}
		c.keep = n
		return nil
	}
}

// MaxBytes keeps at most n bytes of snapshot files (default
// [DefaultMaxBytes]); 0 means no limit. The files [Keep] always keeps are
// kept here too.
func MaxBytes(n int64) Option {
	return func(c *config) error {
		if n < 0 {
			return fmt.Errorf("agent: MaxBytes must not be negative, got %d", n)
		}
		c.maxBytes = n
		return nil
	}
}

// MaxAge removes snapshots older than d (default [DefaultMaxAge]); 0 means no
// limit. The files [Keep] always keeps are kept here too.
func MaxAge(d time.Duration) Option {
	return func(c *config) error {
		c.maxAge = d
		return notNegative("MaxAge", d)
	}
}

// MinInterval sets the least time between two captures asked for from outside
// the process, by signal or by POST to the handler (default
// [DefaultMinInterval]); requests in between are dropped, counted, and logged
// once. It keeps a burst of signals from filling the disk. Captures by
// schedule, by trigger and by [Agent.Capture] neither are limited by it nor
// count toward it.
func MinInterval(d time.Duration) Option {
	return func(c *config) error {
		c.minInterval = d
		return notNegative("MinInterval", d)
	}
}

// GCBeforeCapture says whether to run a garbage collection before each
// capture (default true). The heap profile describes the heap as of the last
// completed collection, so without it a snapshot may be up to a GC cycle old;
// turning it off avoids the extra collection's CPU cost.
func GCBeforeCapture(on bool) Option {
	return func(c *config) error {
		c.gc = on
		return nil
	}
}

// BaselineAfter takes the baseline snapshot d after Start, once start-up
// allocations have settled. Its default is the warm-up ([Warmup]; both
// default to [DefaultWarmup]). The baseline is always a file of its own
// (trigger "baseline"), written at d or, if that capture fails, at the first
// sample after d that succeeds, whatever snapshots signals, schedules or
// triggers took before: those are ordinary snapshots. Alerts and the closing
// summary compare later snapshots with it, and retention never removes it.
//
// Zero turns the automatic baseline off: the first snapshot taken for any
// reason is then the baseline.
func BaselineAfter(d time.Duration) Option {
	return func(c *config) error {
		c.baselineAfter, c.baselineSet = d, true
		return notNegative("BaselineAfter", d)
	}
}

// Warmup sets how long after Start the memory triggers ([RSSAbove],
// [LimitAbove], [GrowthAbove], [RSSGrowthAbove]) stay quiet, and samples
// taken before it ends do not enter the growth fit: a service's memory climbs
// while it starts, its caches fill and its heap goal settles, and that climb
// is not a leak. A condition that still holds when warm-up ends fires at the
// first sample after. [Gauge] thresholds, the service's own numbers, are not
// held back.
//
// The default is the larger of [DefaultWarmup] (5 minutes) and
// [BaselineAfter] when that is given. Zero means no warm-up.
func Warmup(d time.Duration) Option {
	return func(c *config) error {
		c.warmup, c.warmupSet = d, true
		return notNegative("Warmup", d)
	}
}

// SampleEvery sets how often memory is read for the growth rate, the triggers
// and the gauges (default [DefaultSampleEvery]). A sample costs microseconds
// and does not stop the world.
func SampleEvery(d time.Duration) Option {
	return func(c *config) error {
		c.sampleEvery = d
		return positive("SampleEvery", d)
	}
}

// GrowthWindow sets the span over which the growth rate is fitted by least
// squares (default [DefaultGrowthWindow]). It must hold at least 3 samples.
func GrowthWindow(d time.Duration) Option {
	return func(c *config) error {
		c.growthWindow = d
		return positive("GrowthWindow", d)
	}
}

// RSSAbove fires a trigger when the resident set size goes above n bytes.
// Off by default.
func RSSAbove(n uint64) Option {
	return func(c *config) error {
		c.rssAbove = n
		return nil
	}
}

// LimitAbove fires a trigger when the resident set size goes above percent of
// the memory limit (the smaller of GOMEMLIMIT and the container's limit). Off
// by default; it never fires when there is no limit.
func LimitAbove(percent float64) Option {
	return func(c *config) error {
		if !(percent > 0 && percent <= 100) {
			return fmt.Errorf("agent: LimitAbove: percent must be in (0, 100], got %v", percent)
		}
		c.limitPercent = percent
		return nil
	}
}

// GrowthAbove fires a trigger (trigger "growth") when the live heap grows
// faster than bytesPerHour, fitted by least squares over the growth window
// with an R² of at least minR2 (0 means [DefaultMinR2]), so a steady climb
// fires and noise does not. It counts only samples taken after warm-up
// ([Warmup]) and waits until they cover half the window. Off by default.
//
// The live heap is the runtime's /gc/heap/live:bytes: the bytes the last
// garbage collection found reachable. A leak is memory that stays reachable,
// so this is the series that shows one, and reading it costs no collection
// and no stop of the world. The runtime measures it only when a GC finishes,
// so the fit takes one point per sample that follows a new GC and skips
// samples that would repeat an old figure; a service that collects less than
// three times per window gets no live-heap verdict rather than a false flat
// line. (Forcing a GC per sample to read HeapAlloc would cost a full
// collection each time.) RSS also moves with the heap goal, with memory the
// runtime has not yet returned to the system, and with fragmentation, so it
// climbs in a healthy service too; the alert shows RSS and its growth beside
// the live heap's, and [RSSGrowthAbove] is a trigger of its own.
func GrowthAbove(bytesPerHour float64, minR2 float64) Option {
	return func(c *config) error {
		return setGrowth("GrowthAbove", bytesPerHour, minR2, &c.growthAbove, &c.minR2)
	}
}

// RSSGrowthAbove fires a trigger (trigger "rss_growth") when the resident set
// size grows faster than bytesPerHour, fitted and held back as [GrowthAbove]
// is. Use it for memory the live heap does not show: cgo or mmap
// allocations, goroutine stacks, or a heap that fragments. Off by default.
func RSSGrowthAbove(bytesPerHour float64, minR2 float64) Option {
	return func(c *config) error {
		return setGrowth("RSSGrowthAbove", bytesPerHour, minR2, &c.rssGrowth, &c.rssMinR2)
	}
}

func setGrowth(name string, bytesPerHour, minR2 float64, rate, r2 *float64) error {
	if !(bytesPerHour > 0) {
		return fmt.Errorf("agent: %s: rate must be positive, got %v", name, bytesPerHour)
	}
	if !(minR2 >= 0 && minR2 <= 1) {
		return fmt.Errorf("agent: %s: R² must be in [0, 1], got %v", name, minR2)
	}
	*rate = bytesPerHour
	if minR2 > 0 {
		*r2 = minR2
	}
	return nil
}

// Cooldown sets how long a trigger stays quiet after it fired (default
// [DefaultCooldown]), so a service that stays above a threshold sends one
// alert and one snapshot per cooldown rather than one per sample.
func Cooldown(d time.Duration) Option {
	return func(c *config) error {
		c.cooldown = d
		return notNegative("Cooldown", d)
	}
}

// Logger sets where alerts, errors and the closing summary are logged. The
// default logs nothing. The agent never changes the default slog logger.
func Logger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return errors.New("agent: Logger: nil logger")
		}
		c.logger = l
		return nil
	}
}

// Webhook also sends alerts to rawURL as a Slack-compatible JSON body
// ({"text": "..."}), POSTed with a timeout and retried with backoff from a
// small queue that drops, and counts, what it cannot hold rather than block.
// The URL is treated as a secret: it is never logged nor shown in summaries.
// Redirects are never followed (following one would re-POST the alert to the
// new location and send the secret URL in the Referer header): a 3xx answer
// is logged as a failure, by its status only, so give the final URL.
func Webhook(rawURL string) Option {
	return func(c *config) error {
		u, err := url.Parse(rawURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			// Do not echo the URL: it is a secret.
			return errors.New("agent: Webhook: not an http or https URL")
		}
		c.webhook = rawURL
		return nil
	}
}

// WebhookTimeout bounds each webhook POST (default [DefaultWebhookTimeout]).
func WebhookTimeout(d time.Duration) Option {
	return func(c *config) error {
		c.webhookTO = d
		return positive("WebhookTimeout", d)
	}
}

// Token guards [Agent.Handler]: every request must carry
// "Authorization: Bearer <token>". Without it (or with an empty one) the
// handler is open, so mount it on an internal listener only. A token with
// spaces at either end or control characters is refused: HTTP strips or
// rejects them, so no request could carry it.
func Token(token string) Option {
	return func(c *config) error {
		if strings.TrimSpace(token) != token || strings.ContainsFunc(token, unicode.IsControl) {
			// Do not echo the token: it is a secret.
			return errors.New("agent: Token: has spaces at either end or control characters, which no HTTP request can carry")
		}
		c.token = token
		return nil
	}
}

// Validate reports the first invalid option without starting anything, so a
// configuration read from text (flags, environment) can report each bad value
// on its own. It checks each option alone; [Start] also checks that they make
// sense together.
func Validate(opts ...Option) error {
	c := defaultConfig()
	for _, o := range opts {
		if err := o(&c); err != nil {
			return err
		}
	}
	return nil
}
