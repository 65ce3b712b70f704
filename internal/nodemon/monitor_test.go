package nodemon

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heapdiff/heapdiff/agent/snapshot"
	"github.com/heapdiff/heapdiff/internal/inspector"
	"github.com/heapdiff/heapdiff/internal/nodetest"
	"github.com/heapdiff/heapdiff/profile"
)

// syncBuffer is a log several goroutines write.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// run runs the monitor on cfg until it returns, or for at most limit.
func run(t *testing.T, cfg Config, limit time.Duration) (*Summary, string, string, error) {
	t.Helper()
	var out, log syncBuffer
	cfg.Out, cfg.Log = &out, &log
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	sum, err := Run(ctx, cfg)
	return sum, out.String(), log.String(), err
}

// loadAll loads each path written, failing the test naming the Node.js
// version if one is not a complete heap snapshot, or if one after the
// first (taken as the bot starts) lacks the bot's class.
func loadAll(t *testing.T, version string, paths []string) []*profile.Profile {
	t.Helper()
	var ps []*profile.Profile
	for i, p := range paths {
		prof, err := profile.Load(p, profile.Options{})
		if err != nil {
			t.Fatalf("node %s: %s does not load: %v", version, p, err)
		}
		if i > 0 && !classGrew(prof, "ChatSession") {
			t.Errorf("node %s: %s has no ChatSession", version, p)
		}
		ps = append(ps, prof)
	}
	return ps
}

func classGrew(p *profile.Profile, name string) bool {
	for _, f := range p.Frames {
		if strings.Contains(f.Function, name) {
			return true
		}
	}
	return false
}

func lines(s string) []string { return strings.Fields(s) }

// Snapshots come at once (the baseline), on schedule and on request; a
// request while a snapshot is being taken is refused, saying why. Each is a
// complete snapshot named with its time and the process's pid, with
// heapdiff's metadata in it, and the pause each one caused is logged.
func TestScheduleAndRequest(t *testing.T) {
	p := nodetest.Start(t, 0, nodetest.Bot(t))
	dir := t.TempDir()
	req := make(chan struct{}, 1)
	req <- struct{}{} // waiting from the start: read while the baseline is being taken
	var out, log syncBuffer
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	go func() {
		// Once the first scheduled snapshot is written, ask for one: the
		// next scheduled one is 2 s away.
		for len(lines(out.String())) < 2 && ctx.Err() == nil {
			time.Sleep(10 * time.Millisecond)
		}
		req <- struct{}{}
	}()
	sum, err := Run(ctx, Config{Addr: p.Addr, Dir: dir, Every: 2 * time.Second, Count: 4, SampleEvery: 200 * time.Millisecond,
		Requests: req, Out: &out, Log: &log})
	if err != nil {
		t.Fatalf("node %s: %v\n%s", p.Version, err, log.String())
	}
	if !strings.Contains(log.String(), "no signal snapshot: one is being taken") {
		t.Errorf("node %s: a request during the baseline was not refused:\n%s", p.Version, log.String())
	}
	paths := lines(out.String())
	if len(paths) != 4 || sum.Snapshots != 4 {
		t.Fatalf("node %s: %d paths, %d snapshots, want 4:\n%s", p.Version, len(paths), sum.Snapshots, log.String())
	}
	if sum.Captures["baseline"] != 1 || sum.Captures["schedule"] != 2 || sum.Captures["signal"] != 1 {
		t.Errorf("node %s: captures %v, want a baseline, scheduled ones and a requested one", p.Version, sum.Captures)
	}
	loadAll(t, p.Version, paths)
	for i, path := range paths {
		n, ok := parseFileName(filepath.Base(path))
		if !ok || n.PID != p.PID || n.Seq != i+1 {
			t.Errorf("node %s: %s: name parses as %+v, %v; want pid %d seq %d", p.Version, path, n, ok, p.PID, i+1)
		}
		if !hasMember(path) {
			t.Errorf("node %s: %s carries no metadata", p.Version, path)
		}
	}
	if sum.Baseline != filepath.Base(paths[0]) || !strings.Contains(sum.Compare, paths[3]) {
		t.Errorf("node %s: baseline %q, compare %q", p.Version, sum.Baseline, sum.Compare)
	}
	if strings.Count(log.String(), "the process was paused") != 4 || sum.MaxPause <= 0 {
		t.Errorf("node %s: pauses not logged:\n%s", p.Version, log.String())
	}
	if !strings.Contains(log.String(), "compare: heapdiff compare") || !strings.Contains(log.String(), "heap_used_end:") {
		t.Errorf("node %s: no summary:\n%s", p.Version, log.String())
	}
	// The metadata reads back as the agent's comments do.
	prof, err := profile.Load(paths[3], profile.Options{})
	if err != nil {
		t.Fatal(err)
	}
	meta := snapshot.ParseComments(prof.Comments)
	if meta.Get("trigger") != "schedule" || meta.Get("pid") != strconv.Itoa(p.PID) || meta.Get("seq") != "4" ||
		meta.Get("baseline") != filepath.Base(paths[0]) || meta.Get("node_version") != p.Version ||
		meta.Get("rss_bytes") == "" || meta.Get("heap_used_bytes") == "" || meta.Get("host") == "" {
		t.Errorf("node %s: metadata of %s reads back as %q", p.Version, paths[3], prof.Comments)
	}
}

// Retention keeps the baseline and the latest among heapdiff's own files,
// and never touches a snapshot Node.js wrote itself under the same kind of
// name.
func TestRetention(t *testing.T) {
	p := nodetest.Start(t, 0, nodetest.Bot(t))
	dir := t.TempDir()
	theirs := filepath.Join(dir, "Heap.20260101.101010.42.0.001.heapsnapshot")
	os.WriteFile(theirs, []byte(`{"snapshot":{},"nodes":[],"edges":[],"strings":[]}`), 0o644)
	sum, out, log, err := run(t, Config{Addr: p.Addr, Dir: dir, Every: 300 * time.Millisecond, Count: 5,
		SampleEvery: time.Second, Retention: snapshot.Retention{Keep: 2}}, 30*time.Second)
	if err != nil || sum.Snapshots != 5 {
		t.Fatalf("node %s: %v\n%s", p.Version, err, log)
	}
	paths := lines(out)
	files, _ := ownFiles(dir, map[string]bool{})
	var names []string
	for _, f := range files {
		names = append(names, f.File)
	}
	want := []string{filepath.Base(paths[0]), filepath.Base(paths[4])}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Errorf("node %s: kept %v, want the baseline and the latest %v", p.Version, names, want)
	}
	if _, err := os.Stat(theirs); err != nil {
		t.Errorf("retention removed a snapshot heapdiff did not write: %v", err)
	}
}

// webhook records what is POSTed to it.
type webhook struct {
	srv   *httptest.Server
	mu    sync.Mutex
	texts []string
}

func newWebhook(t *testing.T) *webhook {
	w := &webhook{}
	w.srv = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		var body struct{ Text string }
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &body); err != nil || r.Method != http.MethodPost {
			http.Error(rw, "bad", http.StatusBadRequest)
			return
		}
		w.mu.Lock()
		w.texts = append(w.texts, body.Text)
		w.mu.Unlock()
		rw.Write([]byte("ok"))
	}))
	t.Cleanup(w.srv.Close)
	return w
}

func (w *webhook) got() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.texts...)
}

// growthConfig watches the heap after a full GC every 100 ms, fitted over
// 1.5 s after a warm-up of 1.5 s (the flat bot's LRU of 500 sessions fills
// in its first second), alerting above 500 MiB/h: the leaking bot keeps
// about 1 MiB a second (3.5 GiB/h); the flat one's LRU holds steady at the
// same traffic, its live heap wandering by tens of MiB/h over so short a
// window (a Map's table compacting, V8's own caches).
func growthConfig(addr, dir, hook string) Config {
	return Config{Addr: addr, Dir: dir, SampleEvery: 100 * time.Millisecond, GrowthWindow: 1500 * time.Millisecond,
		Warmup: 1500 * time.Millisecond, SampleGC: true, Webhook: hook, Count: 2}
}

// A planted leak fires the growth alert: at a local webhook, Slack's
// format, with the compare command for the baseline and the alert's own
// snapshot; a flat bot, with the same traffic and thresholds, does not.
func TestGrowthAlert(t *testing.T) {
	hook := newWebhook(t)
	leaky := nodetest.Start(t, 0, nodetest.Bot(t), "--leak", "--tick", "2", "--size", "2048")
	cfg := growthConfig(leaky.Addr, t.TempDir(), hook.srv.URL)
	cfg.Triggers.GrowthAbove = 500 << 20
	// The watch ends with the alert's snapshot (Count 2), a few seconds in
	// on an idle machine. The deadline is for a busy one: there the bot
	// gets little CPU, and its heap grows as slowly as it runs.
	sum, out, log, err := run(t, cfg, 60*time.Second)
	if err != nil {
		t.Fatalf("node %s: %v\n%s", leaky.Version, err, log)
	}
	texts := hook.got()
	if sum.Alerts["growth"] != 1 || len(texts) != 1 {
		t.Fatalf("node %s: %v alerts, webhook got %q; in %.0f s and %d samples the bot's live heap went %s (a bot starved of CPU leaks slowly); log:\n%s",
			leaky.Version, sum.Alerts, texts, sum.UptimeSeconds, sum.Samples, heapRange(sum), log)
	}
	paths := lines(out)
	if !strings.Contains(texts[0], "live heap grows") || !strings.Contains(texts[0], "Compare: heapdiff compare "+paths[0]+" "+paths[1]) {
		t.Errorf("node %s: alert %q does not name the pair %v", leaky.Version, texts[0], paths)
	}
	if !strings.Contains(log, texts[0]) {
		t.Errorf("node %s: the alert is not logged", leaky.Version)
	}
	ps := loadAll(t, leaky.Version, paths)
	_ = ps

	flat := nodetest.Start(t, 0, nodetest.Bot(t), "--tick", "2", "--size", "2048")
	// Its LRU (500 sessions, one each 2 ms) fills before the watch starts:
	// the baseline snapshot, which pauses the bot, cannot stretch the
	// filling past the warm-up on a busy machine.
	time.Sleep(1500 * time.Millisecond)
	cfg = growthConfig(flat.Addr, t.TempDir(), hook.srv.URL)
	cfg.Triggers.GrowthAbove = 500 << 20
	cfg.Count = 0
	// Watched for 5 s, again while a busy machine leaves the watch
	// fewer than 20 samples (up to 30 s): no watch of it may alert.
	var samples uint64
	for start := time.Now(); samples < 20 && time.Since(start) < 30*time.Second; {
		sum, _, log, err = run(t, cfg, 5*time.Second)
		if err != nil {
			t.Fatalf("node %s: %v", flat.Version, err)
		}
		samples += sum.Samples
		if len(sum.Alerts) != 0 || len(hook.got()) != 1 {
			t.Fatalf("node %s: the flat bot alerted %v after %d samples, its live heap %s; log:\n%s", flat.Version, sum.Alerts, sum.Samples, heapRange(sum), log)
		}
	}
	if samples < 20 {
		t.Errorf("node %s: the flat bot's watches took %d samples in 30 s, too few to judge (the machine starved them)", flat.Version, samples)
	}
}

// heapRange says how a watch saw the live heap move, for failures.
func heapRange(s *Summary) string {
	return fmt.Sprintf("%.1f → %.1f MiB", float64(s.StartMemory.LiveHeap)/(1<<20), float64(s.Memory.LiveHeap)/(1<<20))
}

// When the process exits and comes back on the same port, the monitor
// reconnects; the new pid starts a new series with its own baseline, and a
// warning says so.
func TestRestart(t *testing.T) {
	first := nodetest.Start(t, 0, nodetest.Bot(t))
	_, port, _ := strings.Cut(first.Addr, ":")
	dir := t.TempDir()
	var out, log syncBuffer
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	done := make(chan *Summary, 1)
	go func() {
		sum, err := Run(ctx, Config{Addr: first.Addr, Dir: dir, SampleEvery: 200 * time.Millisecond, Out: &out, Log: &log})
		if err != nil {
			t.Error(err)
		}
		done <- sum
	}()
	waitFor(t, func() bool { return len(lines(out.String())) == 1 })
	first.Stop(t)
	var portN int
	json.Unmarshal([]byte(port), &portN)
	second := nodetest.Start(t, portN, nodetest.Bot(t))
	waitFor(t, func() bool { return len(lines(out.String())) == 2 })
	cancel()
	sum := <-done
	paths := lines(out.String())
	a, _ := parseFileName(filepath.Base(paths[0]))
	b, _ := parseFileName(filepath.Base(paths[1]))
	if a.PID != first.PID || b.PID != second.PID || sum.Restarts != 1 || sum.PID != second.PID || sum.Baseline != filepath.Base(paths[1]) {
		t.Errorf("node %s: pids %d, %d; summary %+v", second.Version, a.PID, b.PID, sum)
	}
	if !strings.Contains(log.String(), "restarted as pid") {
		t.Errorf("no warning:\n%s", log.String())
	}
	// The first process exited normally (it said so to the inspector): it
	// was not "lost".
	if want := fmt.Sprintf("(pid %d, node %s) exited; waiting for it to start again", first.PID, first.Version); !strings.Contains(log.String(), want) ||
		strings.Contains(log.String(), "lost ") {
		t.Errorf("log does not say %q:\n%s", want, log.String())
	}
}

// A process started with --inspect-brk waits for a debugger before its
// bootstrap ends: capture says so and what to do, where it said "the
// process is still starting".
func TestWaitingForADebuggerIsExplained(t *testing.T) {
	p := nodetest.StartWaiting(t, nodetest.Bot(t))
	_, _, _, err := run(t, Config{Addr: p.Addr, Dir: t.TempDir(), Count: 1}, time.Minute)
	if err == nil || !strings.Contains(err.Error(), "started with --inspect-brk waits for a debugger") || !strings.Contains(err.Error(), "start it with --inspect instead") {
		t.Errorf("node %s: capturing a process started with --inspect-brk: err = %v", p.Version, err)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// With Sampling, the files are sampling heap profiles that load as such,
// carry the metadata, and show the bot's leaking function.
func TestSamplingProfiles(t *testing.T) {
	p := nodetest.Start(t, 0, nodetest.Bot(t), "--leak", "--tick", "2")
	sum, out, log, err := run(t, Config{Addr: p.Addr, Dir: t.TempDir(), Every: 700 * time.Millisecond, Count: 2,
		SampleEvery: time.Second, Sampling: true, SamplingInterval: 4096}, 20*time.Second)
	if err != nil || sum.Snapshots != 2 {
		t.Fatalf("node %s: %v\n%s", p.Version, err, log)
	}
	paths := lines(out)
	last, err := profile.Load(paths[1], profile.Options{})
	if err != nil || !strings.HasSuffix(paths[1], ".heapprofile") {
		t.Fatalf("node %s: %s: %v", p.Version, paths[1], err)
	}
	if last.Format != profile.FormatV8HeapProfile || snapshot.ParseComments(last.Comments).Get("trigger") != "schedule" ||
		!classGrew(last, "handle") {
		t.Errorf("node %s: %s: format %v, comments %q", p.Version, paths[1], last.Format, last.Comments)
	}
	// Both carry the interval sampling was started with, the baseline (a
	// handful of samples, if any) too: compared, they are not "sampled
	// differently".
	first, err := profile.Load(paths[0], profile.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []*profile.Profile{first, last} {
		if p.Period != 4096 || !slices.Contains(p.Comments, "sampling interval 4096 bytes (recorded by heapdiff capture)") {
			t.Errorf("%s: period %d, comments %q; want the recorded 4096", p.Name, p.Period, p.Comments)
		}
	}
}

// Another inspector client that stops V8's sampler (a second capture
// ending, DevTools' "Allocation sampling") stops it for the whole process:
// the monitor's next profile fails, says why, and starts sampling again,
// so the profiles after it are written (found by an exploratory test: it
// failed every profile for the rest of the run).
func TestSamplingStartedAgainAfterAnotherClientStopsIt(t *testing.T) {
	p := nodetest.Start(t, 0, nodetest.Bot(t), "--leak", "--tick", "2")
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		time.Sleep(1500 * time.Millisecond) // after the baseline
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		target, err := inspector.Discover(ctx, http.DefaultClient, p.Addr)
		if err != nil {
			t.Errorf("node %s: %v", p.Version, err)
			return
		}
		other, err := inspector.Attach(ctx, target)
		if err != nil {
			t.Errorf("node %s: %v", p.Version, err)
			return
		}
		defer other.Close()
		if _, err := other.SamplingProfile(ctx, true); err != nil {
			t.Errorf("node %s: stopping the sampler from another session: %v", p.Version, err)
		}
	}()
	sum, out, log, err := run(t, Config{Addr: p.Addr, Dir: t.TempDir(), Every: 700 * time.Millisecond, Count: 5,
		SampleEvery: time.Second, Sampling: true, SamplingInterval: 4096}, 40*time.Second)
	<-stopped
	if err != nil || sum.Snapshots != 5 {
		t.Fatalf("node %s: %d profiles, %v\n%s", p.Version, sum.Snapshots, err, log)
	}
	if !strings.Contains(log, "another inspector client stopped V8's sampling heap profiler") {
		t.Errorf("node %s: the failed profile does not say why:\n%s", p.Version, log)
	}
	paths := lines(out)
	last, err := profile.Load(paths[len(paths)-1], profile.Options{})
	if err != nil || !classGrew(last, "handle") {
		t.Errorf("node %s: the last profile, after sampling started again: %v", p.Version, err)
	}
}

// A snapshot the user stopped (Ctrl-C cancels the run's context) is said
// to be not kept, and is not counted as a failed capture; one that failed
// is.
func TestStoppedSnapshotIsNoFailure(t *testing.T) {
	var log syncBuffer
	m := &monitor{cfg: Config{Log: &log, Out: io.Discard}, busy: true}
	m.done(result{job: job{trigger: "schedule", name: "x"}, err: fmt.Errorf("node://x: %w", context.Canceled)})
	if m.failures != 0 || m.busy || !strings.Contains(log.String(), "stopped while a schedule snapshot was being taken: it was not kept") {
		t.Errorf("stopped: %d failures, busy %v, log:\n%s", m.failures, m.busy, log.String())
	}
	m.done(result{job: job{trigger: "signal", name: "y"}, err: fmt.Errorf("node://x: %w", io.ErrUnexpectedEOF)})
	if m.failures != 1 || !strings.Contains(log.String(), "signal snapshot failed") {
		t.Errorf("failed: %d failures, log:\n%s", m.failures, log.String())
	}
}

// Each snapshot is numbered after the highest number the directory holds
// for the process when it is taken, so that another capture writing
// snapshots of the same process into the directory meanwhile never shares
// a number with it.
func TestSequenceFollowsTheDirectory(t *testing.T) {
	dir := t.TempDir()
	m := &monitor{cfg: Config{Dir: dir, Addr: "127.0.0.1:9229"}, owned: map[string]bool{}}
	m.s = &series{proc: inspector.Process{PID: 42}}
	seqOf := func(j job) int {
		n, ok := parseFileName(j.name)
		if !ok {
			t.Fatalf("job's name %q does not parse", j.name)
		}
		return n.Seq
	}
	if j := m.job("manual", ""); seqOf(j) != 1 {
		t.Fatalf("first snapshot numbered %d, want 1", seqOf(j))
	}
	// Another capture of pid 42 wrote its seventh; a snapshot Node.js
	// wrote itself (no heapdiff member) and another pid's do not count.
	other := `{"snapshot":{},` + string(metadataMember([]string{snapshot.Comment("seq", "7")})) + `"nodes":[]}`
	for name, content := range map[string]string{
		fileName(time.Now(), 42, 7, extSnapshot):  other,
		fileName(time.Now(), 42, 30, extSnapshot): `{"snapshot":{},"nodes":[]}`,
		fileName(time.Now(), 43, 50, extSnapshot): other,
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if j := m.job("manual", ""); seqOf(j) != 8 {
		t.Errorf("after another capture's seventh, numbered %d, want 8", seqOf(j))
	}
	if j := m.job("manual", ""); seqOf(j) != 9 {
		t.Errorf("next numbered %d, want 9", seqOf(j))
	}
}

// The memory figures a snapshot carries are read when it is taken, not
// taken from the last sample: here no sample follows the connection, and
// each snapshot still has its own heap_used_bytes.
func TestMetadataIsReadAtTheSnapshot(t *testing.T) {
	p := nodetest.Start(t, 0, nodetest.Bot(t))
	sum, out, log, err := run(t, Config{Addr: p.Addr, Dir: t.TempDir(), Every: 500 * time.Millisecond, Count: 3,
		SampleEvery: time.Hour, GrowthWindow: 3 * time.Hour}, 30*time.Second)
	if err != nil || sum.Snapshots != 3 {
		t.Fatalf("node %s: %v, summary %+v\n%s", p.Version, err, sum, log)
	}
	used := map[string]bool{}
	for _, path := range lines(out) {
		prof, err := profile.Load(path, profile.Options{})
		if err != nil {
			t.Fatal(err)
		}
		v := snapshot.ParseComments(prof.Comments).Get("heap_used_bytes")
		if n, err := strconv.ParseUint(v, 10, 64); err != nil || n == 0 {
			t.Errorf("node %s: %s: heap_used_bytes %q", p.Version, path, v)
		}
		used[v] = true
	}
	if len(used) < 2 {
		t.Errorf("node %s: three snapshots taken over a second carry one heap_used_bytes %v: the connection's, not their own", p.Version, used)
	}
}
