package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// copyAs copies a file of testdata to dir under another name, with the
// given modification time.
func copyAs(t *testing.T, src, dir, name string, mtime time.Time) string {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(dir, name)
	if err := os.WriteFile(dst, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(dst, mtime, mtime); err != nil {
		t.Fatal(err)
	}
	return dst
}

// TestModTimeFlag: heap snapshots whose names give no time have none (no
// rate per hour) unless --mtime takes their files' modification times,
// which the header then names as the time's source; a name that gives a
// time keeps it. compare, trend and fleet take the flag.
func TestModTimeFlag(t *testing.T) {
	dir := t.TempDir()
	t0 := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	base := copyAs(t, nodeData+"leaky-before.heapsnapshot.gz", dir, "before.heapsnapshot.gz", t0)
	target := copyAs(t, nodeData+"leaky-after.heapsnapshot.gz", dir, "after.heapsnapshot.gz", t0.Add(90*time.Minute))

	code, out, errOut := runCLI(t, nil, "compare", base, target)
	if code != 0 || !strings.Contains(out, "(no time)") || !strings.Contains(out, "growth per hour is unknown") {
		t.Errorf("without --mtime: exit %d, stderr %q, output:\n%.800s", code, errOut, out)
	}
	code, out, errOut = runCLI(t, nil, "compare", "--mtime", base, target)
	if code != 0 || strings.Count(out, "# time from file modification time") != 2 || !strings.Contains(out, "(1h30m later)") || strings.Contains(out, "growth per hour is unknown") {
		t.Errorf("--mtime: exit %d, stderr %q, output:\n%.800s", code, errOut, out)
	}
	_, out, _ = runCLI(t, nil, "compare", "--mtime", "-f", "json", base, target)
	var doc struct {
		Base, Target struct {
			Time *time.Time `json:"time"`
		}
		Interval *float64 `json:"interval_seconds"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Base.Time == nil || !doc.Base.Time.Equal(t0) || doc.Interval == nil || *doc.Interval != 5400 {
		t.Errorf("JSON: base time %v, interval %v; want %v and 5400 s", doc.Base.Time, doc.Interval, t0)
	}

	// A name Node.js gave wins over the file's time.
	named := copyAs(t, nodeData+"sessions/Heap.20261201.032357.6773.0.001.heapsnapshot.gz", dir, "Heap.20261201.032357.6773.0.001.heapsnapshot.gz", t0)
	_, out, _ = runCLI(t, nil, "compare", "--mtime", named, named)
	if !strings.Contains(out, "time from file name") || strings.Contains(out, "modification time") {
		t.Errorf("a Node.js name with --mtime:\n%.600s", out)
	}

	// A trend of three gets a rate per hour from the files' times.
	series := filepath.Join(dir, "series")
	os.Mkdir(series, 0o755)
	for i, src := range []string{"leaky-before", "leaky-after", "leaky-after"} {
		copyAs(t, nodeData+src+".heapsnapshot.gz", series, "s"+string(rune('0'+i))+".heapsnapshot.gz", t0.Add(time.Duration(i)*time.Hour))
	}
	code, out, errOut = runCLI(t, nil, "trend", "--mtime", "-f", "json", series)
	var tr struct {
		Span     *float64 `json:"span_seconds"`
		Warnings []string `json:"warnings"`
	}
	if err := json.Unmarshal([]byte(out), &tr); code != 0 || err != nil || tr.Span == nil || *tr.Span != 7200 {
		t.Errorf("trend --mtime: exit %d, stderr %q, span %v (want 7200 s), %v:\n%.600s", code, errOut, tr.Span, err, out)
	}

	// fleet reads local trees with it, and refuses it for s3://.
	tree := filepath.Join(dir, "tree")
	os.MkdirAll(filepath.Join(tree, "app"), 0o755)
	os.Rename(series, filepath.Join(tree, "app", "series"))
	code, out, errOut = runCLI(t, nil, "fleet", "--mtime", tree)
	if code != 0 || !strings.Contains(out, "(2h)") || !strings.Contains(out, "/h ") {
		t.Errorf("fleet --mtime: exit %d, stderr %q, output:\n%.600s", code, errOut, out)
	}
	code, _, errOut = runCLI(t, nil, "fleet", "--mtime", "s3://bucket/prefix/")
	if code != 2 || !strings.Contains(errOut, "--mtime") || strings.Count(errOut, "\n") != 1 {
		t.Errorf("fleet --mtime s3://: exit %d, stderr %q", code, errOut)
	}
}
