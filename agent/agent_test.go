package agent

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/heapdiff/heapdiff/agent/snapshot"
)

func TestCaptureWritesParsableProfileWithMetadata(t *testing.T) {
	a, _ := start(t, GCBeforeCapture(true))
	path, err := a.Capture("before deploy")
	if err != nil {
		t.Fatal(err)
	}
	n, ok := snapshot.ParseName(filepath.Base(path))
	if !ok || n.Trigger != "manual" || n.PID != os.Getpid() || n.Seq != 1 {
		t.Fatalf("name %s parses as %+v, %v", filepath.Base(path), n, ok)
	}
	p := parse(t, path)
	if !strings.HasPrefix(p.SampleTypes[len(p.SampleTypes)-1], "inuse_space/") {
		t.Errorf("sample types %v: not a heap profile", p.SampleTypes)
	}
	c := comments(p)
	for k, want := range map[string]string{
		"trigger":    "manual",
		"reason":     "before deploy",
		"pid":        strconv.Itoa(os.Getpid()),
		"go_version": runtime.Version(),
		"seq":        "1",
	} {
		if c[k] != want {
			t.Errorf("comment %s = %q, want %q", k, c[k], want)
		}
	}
	for _, k := range []string{"rss_bytes", "live_heap_bytes", "heap_goal_bytes"} {
		if v, err := strconv.ParseUint(c[k], 10, 64); err != nil || v == 0 {
			t.Errorf("comment %s = %q, want a positive byte count", k, c[k])
		}
	}
	for _, k := range []string{"gomemlimit_bytes", "container_limit_bytes", "host", "main_module", "time"} {
		if c[k] == "" {
			t.Errorf("comment %s missing", k)
		}
	}
	s := a.Stats()
	if s.Snapshots != 1 || s.Captures["manual"] != 1 || s.Baseline != filepath.Base(path) || s.LastCapture == nil || s.DiskFiles != 1 {
		t.Errorf("stats after one capture: %+v", s)
	}
}

func TestCaptureAfterClose(t *testing.T) {
	a, logs := start(t)
	a.Close()
	if _, err := a.Capture(""); !errors.Is(err, ErrClosed) {
		t.Fatalf("Capture after Close: %v, want ErrClosed", err)
	}
	a.Close() // twice is fine
	if n := logs.count("agent stopped"); n != 1 {
		t.Errorf("summary logged %d times, want once:\n%s", n, logs)
	}
	if !strings.Contains(logs.String(), "samples=") || !strings.Contains(logs.String(), "snapshots=0") {
		t.Errorf("summary lacks counts:\n%s", logs)
	}
}

func TestBaselineAfter(t *testing.T) {
	a, _ := start(t, BaselineAfter(time.Millisecond))
	eventually(t, "the baseline snapshot", func() bool { return a.Stats().Captures["baseline"] == 1 })
	if files := snapshots(t, a.Dir()); len(files) != 1 || files[0].Trigger != "baseline" {
		t.Fatalf("files: %+v", files)
	}
}

func TestScheduledCaptures(t *testing.T) {
	a, _ := start(t, Every(20*time.Millisecond))
	eventually(t, "two scheduled snapshots", func() bool { return a.Stats().Captures["schedule"] >= 2 })
}

func TestMinIntervalLimitsExternalCaptures(t *testing.T) {
	a, logs := start(t, MinInterval(time.Hour))
	if _, err := a.capture("http", "", true); err != nil {
		t.Fatal(err)
	}
	if _, err := a.capture("http", "", true); !errors.Is(err, ErrTooSoon) {
		t.Fatalf("second external capture: %v, want ErrTooSoon", err)
	}
	// Code that asks directly is not limited.
	if _, err := a.Capture("direct"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.capture("signal", "", true); !errors.Is(err, ErrTooSoon) {
		t.Fatalf("third external capture: %v, want ErrTooSoon", err)
	}
	if s := a.Stats(); s.Snapshots != 2 || s.Coalesced != 2 {
		t.Fatalf("snapshots %d coalesced %d, want 2 and 2", s.Snapshots, s.Coalesced)
	}
	if n := logs.count("dropped: too soon"); n != 1 {
		t.Errorf("dropped requests logged %d times, want once:\n%s", n, logs)
	}
}

// A snapshot the agent takes by itself does not make a signal wait.
func TestMinIntervalCountsOnlyExternalCaptures(t *testing.T) {
	a, _ := start(t, MinInterval(time.Hour))
	if _, err := a.capture("baseline", "", false); err != nil {
		t.Fatal(err)
	}
	if _, err := a.capture("signal", "", true); err != nil {
		t.Fatalf("signal right after the baseline: %v", err)
	}
}

func TestRetentionKeepsBaselineAndForeignFiles(t *testing.T) {
	dir := t.TempDir()
	foreign := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(foreign, []byte("mine, not the agent's"), 0o644); err != nil {
		t.Fatal(err)
	}
	a, _ := start(t, Dir(dir), Keep(3))
	var paths []string
	for range 6 {
		p, err := a.Capture("")
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, filepath.Base(p))
	}
	var got []string
	for _, f := range snapshots(t, dir) {
		got = append(got, f.File)
	}
	want := []string{paths[0], paths[4], paths[5]}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("kept %q, want baseline and newest two %q", got, want)
	}
	if _, err := os.Stat(foreign); err != nil {
		t.Errorf("foreign file: %v", err)
	}
	if s := a.Stats(); s.DiskFiles != 3 || s.DiskBytes <= 0 {
		t.Errorf("disk stats %d files %d bytes", s.DiskFiles, s.DiskBytes)
	}
}

// Replicas sharing a directory: retention removes this host's snapshots
// (this process's and earlier ones') but never another host's, nor a pulled
// one, and does not count them toward the bounds.
func TestRetentionLeavesOtherHostsAlone(t *testing.T) {
	dir := t.TempDir()
	host := defaultConfig().host
	old := time.Now().Add(-time.Hour).UTC()
	others := []string{
		snapshot.Name{Time: old, Host: "otherhost", PID: 4242, Seq: 1, Trigger: "baseline"}.String(),
		snapshot.Name{Time: old, Host: "otherhost", PID: 4242, Seq: 2, Trigger: "signal"}.String(),
		snapshot.Name{Time: old, Host: host, PID: 0, Seq: 1, Trigger: "pull"}.String(),
	}
	earlier := snapshot.Name{Time: old, Host: host, PID: endedPID(t), Seq: 1, Trigger: "baseline"}.String()
	for _, f := range append([]string{earlier}, others...) {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("a snapshot"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	a, _ := start(t, Dir(dir), Keep(2))
	var mine []string
	for range 3 {
		p, err := a.Capture("")
		if err != nil {
			t.Fatal(err)
		}
		mine = append(mine, filepath.Base(p))
	}
	for _, f := range others {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("a snapshot this process's host did not write was removed: %v", err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, earlier)); !os.IsNotExist(err) {
		t.Errorf("an earlier process's snapshot on this host was not pruned: %v", err)
	}
	for _, f := range []string{mine[0], mine[2]} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("baseline or newest: %v", err)
		}
	}
	if s := a.Stats(); s.DiskFiles != 2 {
		t.Errorf("disk stats count %d files, want this host's 2", s.DiskFiles)
	}
}

func TestStartCleansTemporaryFilesFromThisHost(t *testing.T) {
	dir := t.TempDir()
	host := defaultConfig().host
	old := time.Now().Add(-time.Minute)
	crashed := "." + snapshot.Name{Time: old, Host: host, PID: endedPID(t), Seq: 3, Trigger: "signal"}.String() + ".tmp123"
	elsewhere := "." + snapshot.Name{Time: old, Host: "otherhost", PID: 1, Seq: 3, Trigger: "signal"}.String() + ".tmp456"
	for _, f := range []string{crashed, elsewhere} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("partial"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	start(t, Dir(dir))
	if _, err := os.Stat(filepath.Join(dir, crashed)); !os.IsNotExist(err) {
		t.Errorf("temporary file from a crash on this host still there: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, elsewhere)); err != nil {
		t.Errorf("fresh temporary file from another host was removed: %v", err)
	}
}

// blockDir puts a regular file where the snapshot directory was, which
// no capture can write into nor make a directory of.
func blockDir(t *testing.T, dir string) {
	t.Helper()
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir, []byte("in the way"), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestUnusableDirectoryIsLoggedOnceAndCounted(t *testing.T) {
	a, logs := start(t)
	blockDir(t, a.Dir())
	for range 3 {
		if _, err := a.Capture(""); err == nil {
			t.Fatal("capture into a file succeeded")
		}
	}
	if n := logs.count("capture: not a directory (repeats"); n != 1 {
		t.Errorf("logged %d times, want once:\n%s", n, logs)
	}
	if s := a.Stats(); s.CaptureFailures != 3 || s.LastError == "" {
		t.Errorf("failures %d, last error %q", s.CaptureFailures, s.LastError)
	}
	// Once the directory is back, captures work, and a later failure is news.
	if err := os.Remove(a.Dir()); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(a.Dir(), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Capture(""); err != nil {
		t.Fatal(err)
	}
	blockDir(t, a.Dir())
	a.Capture("")
	if n := logs.count("capture: not a directory (repeats"); n != 2 {
		t.Errorf("logged %d times after recovery and a new failure, want 2", n)
	}
}

// A directory removed while the service runs (a cleaner of /tmp, where
// the default one sits, removed it) is made again at the next capture,
// mode 0700, with a warning each time: found by an exploratory test, every
// capture failed until the service restarted.
func TestRemovedDirectoryIsMadeAgain(t *testing.T) {
	a, logs := start(t)
	for round := 1; round <= 2; round++ {
		if err := os.RemoveAll(a.Dir()); err != nil {
			t.Fatal(err)
		}
		path, err := a.Capture("")
		if err != nil {
			t.Fatalf("round %d: capture after the directory was removed: %v", round, err)
		}
		fi, err := os.Stat(a.Dir())
		if err != nil || fi.Mode().Perm() != 0o700 || filepath.Dir(path) != a.Dir() {
			t.Fatalf("round %d: the directory made again: %v, %v; snapshot %s", round, fi, err, path)
		}
		if n := logs.count("snapshot directory was removed, with the baseline; made it again"); n != round {
			t.Errorf("round %d: logged %d times", round, n)
		}
		// The baseline went with the directory: this snapshot is the new
		// one, and what the summary names exists.
		s := a.Stats()
		if s.Baseline != filepath.Base(path) {
			t.Errorf("round %d: baseline %q, want the snapshot after the directory came back, %s", round, s.Baseline, filepath.Base(path))
		}
		later, err := a.Capture("")
		if err != nil {
			t.Fatal(err)
		}
		if want := compareCommand(a.Dir(), filepath.Base(path), filepath.Base(later)); a.Stats().Compare != want {
			t.Errorf("round %d: compare %q, want %q", round, a.Stats().Compare, want)
		}
	}
	if s := a.Stats(); s.CaptureFailures != 0 {
		t.Errorf("%d failures", s.CaptureFailures)
	}
}

func TestUnwritableDirectory(t *testing.T) {
	if os.Geteuid() == 0 || runtime.GOOS == "windows" {
		t.Skip("root writes anywhere; examples/leakybot tests this as an unprivileged subprocess")
	}
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	a, logs := start(t, Dir(dir))
	if _, err := a.Capture(""); err == nil {
		t.Fatal("capture into a read-only directory succeeded")
	}
	if !strings.Contains(logs.String(), "directory not writable") {
		t.Errorf("log:\n%s", logs)
	}
}

func TestCauseOf(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want string
	}{
		{&os.PathError{Op: "open", Path: "x", Err: os.ErrNotExist}, "directory missing"},
		{&os.PathError{Op: "open", Path: "x", Err: syscall.ENOTDIR}, "not a directory"},
		{&os.PathError{Op: "open", Path: "x", Err: os.ErrPermission}, "directory not writable"},
		{&os.PathError{Op: "write", Path: "x", Err: syscall.ENOSPC}, "disk full"},
		{errors.New("other"), "error"},
	} {
		if got := causeOf(tt.err); got != tt.want {
			t.Errorf("causeOf(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

func TestOptionsValidate(t *testing.T) {
	for _, opts := range [][]Option{
		{Dir("")},
		{Keep(-1)},
		{MaxBytes(-1)},
		{MaxAge(-time.Second)},
		{SampleEvery(0)},
		{GrowthWindow(time.Minute), SampleEvery(time.Minute)},
		{LimitAbove(0)},
		{LimitAbove(150)},
		{GrowthAbove(0, 0)},
		{GrowthAbove(1, 2)},
		{Webhook("not a url")},
		{Webhook("ftp://example.com/x")},
		{Gauge("", func() float64 { return 0 })},
		{Gauge("q", func() float64 { return 0 }), Gauge("q", func() float64 { return 0 })},
		{Logger(nil)},
	} {
		if a, err := Start(opts...); err == nil {
			a.Close()
			t.Errorf("Start accepted invalid options")
		}
	}
}

func TestWebhookErrorDoesNotEchoURL(t *testing.T) {
	_, err := Start(Webhook("https://hooks.example.com/services/SECRET"), Webhook("::bad"))
	if err == nil || strings.Contains(err.Error(), "::bad") {
		t.Fatalf("err = %v", err)
	}
}
