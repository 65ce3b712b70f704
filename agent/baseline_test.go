package agent

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// The review's case: captures come before BaselineAfter. They are ordinary
// snapshots; the baseline is still its own "-baseline" file, taken when its
// time comes, and what follows compares with it.
func TestBaselineAfterWritesBaselineWhateverCameFirst(t *testing.T) {
	a, _ := start(t, BaselineAfter(300*time.Millisecond))
	early, err := a.Capture("before the baseline")
	if err != nil {
		t.Fatal(err)
	}
	if a.capture("schedule", "", false); a.Stats().Baseline != "" {
		t.Fatalf("baseline %q before BaselineAfter", a.Stats().Baseline)
	}
	eventually(t, "the baseline snapshot", func() bool { return a.Stats().Captures["baseline"] == 1 })
	files := snapshots(t, a.Dir())
	if len(files) != 3 || files[0].File != filepath.Base(early) || files[2].Trigger != "baseline" {
		t.Fatalf("files %+v: want the manual and scheduled snapshots, then a baseline", files)
	}
	s := a.Stats()
	if s.Baseline != files[2].File {
		t.Fatalf("baseline %q, want %q", s.Baseline, files[2].File)
	}
	if time.Since(a.started) < 300*time.Millisecond || files[2].Time.Before(a.started.Truncate(time.Second)) {
		t.Errorf("baseline at %v, agent started %v", files[2].Time, a.started)
	}
	later, err := a.Capture("")
	if err != nil {
		t.Fatal(err)
	}
	if c := comments(parse(t, later)); c["baseline"] != s.Baseline {
		t.Errorf("a later snapshot names baseline %q, want %q", c["baseline"], s.Baseline)
	}
	if want := compareCommand(a.Dir(), s.Baseline, filepath.Base(later)); a.Stats().Compare != want {
		t.Errorf("compare %q, want %q", a.Stats().Compare, want)
	}
	time.Sleep(100 * time.Millisecond) // one baseline only
	if n := a.Stats().Captures["baseline"]; n != 1 {
		t.Errorf("%d baselines, want 1", n)
	}
}

// A baseline whose capture fails (a file is where the directory was) is
// taken at the first sample after it that succeeds.
func TestBaselineRetriedAfterFailure(t *testing.T) {
	a, logs := start(t, BaselineAfter(100*time.Millisecond), SampleEvery(50*time.Millisecond), GrowthWindow(time.Second))
	blockDir(t, a.Dir())
	eventually(t, "the baseline to fail", func() bool { return a.Stats().CaptureFailures >= 1 })
	if a.Stats().Baseline != "" {
		t.Fatal("a baseline without a directory")
	}
	if err := os.Remove(a.Dir()); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(a.Dir(), 0o700); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the baseline after the directory came back", func() bool { return a.Stats().Captures["baseline"] == 1 })
	files := snapshots(t, a.Dir())
	if len(files) != 1 || files[0].Trigger != "baseline" || a.Stats().Baseline != files[0].File {
		t.Fatalf("files %+v, baseline %q", files, a.Stats().Baseline)
	}
	if logs.count("capture: not a directory (repeats") != 1 {
		t.Errorf("log:\n%s", logs)
	}
}

// Without BaselineAfter the process's first snapshot is the baseline, as
// before.
func TestNoBaselineAfterFirstSnapshotIsBaseline(t *testing.T) {
	a, _ := start(t) // BaselineAfter(0)
	first, err := a.Capture("")
	if err != nil {
		t.Fatal(err)
	}
	a.Capture("")
	if s := a.Stats(); s.Baseline != filepath.Base(first) || s.Captures["baseline"] != 0 {
		t.Fatalf("baseline %q, captures %v; want the first snapshot", s.Baseline, s.Captures)
	}
}

// The sample that ends warm-up and the baseline's timer come at the same
// moment; a memory condition that held during warm-up alerts at that
// sample. The baseline is written first, so the alert's snapshot comes
// after it and the alert names the two to compare (found running the
// agent: the sample was handled first, in ten runs of ten).
func TestBaselineComesBeforeTheFirstAlertAfterWarmUp(t *testing.T) {
	const warm = 200 * time.Millisecond
	for run := range 5 {
		a, logs := start(t, Warmup(warm), BaselineAfter(warm), SampleEvery(warm), GrowthWindow(time.Second),
			RSSAbove(1), Cooldown(time.Hour))
		// The alert is counted before it is logged: wait for its line.
		eventually(t, "the RSS alert", func() bool { return a.Stats().Alerts["rss"] == 1 && logs.count("level=WARN") >= 1 })
		files := snapshots(t, a.Dir())
		if len(files) < 2 || files[0].Trigger != "baseline" || files[1].Trigger != "rss" {
			t.Fatalf("run %d: files %+v: want the baseline, then the alert's snapshot", run, files)
		}
		if logs.count("Compare: ") != 1 {
			t.Errorf("run %d: the alert names no pair to compare:\n%s", run, logs)
		}
		a.Close()
	}
}
