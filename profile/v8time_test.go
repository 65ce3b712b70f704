package profile

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/heapdiff/heapdiff/profile/v8"
)

// snapshotFacts is what gen/sessions/main.js and gen/bun-named.js record
// beside the snapshots Node.js and Bun named: each process's id, its time
// zone's offset, and when each snapshot was being written.
type snapshotFacts struct {
	Processes []struct {
		PID              int64 `json:"pid"`
		UTCOffsetMinutes int   `json:"utcOffsetMinutes"`
		Snapshots        []struct {
			File     string `json:"file"`
			From, To int64  // ms since 1970
		} `json:"snapshots"`
	} `json:"processes"`
}

func readFacts(t *testing.T, dir string) snapshotFacts {
	t.Helper()
	data, err := os.ReadFile(nodeData + dir + "/facts.json")
	if err != nil {
		t.Fatal(err)
	}
	var f snapshotFacts
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestRuntimeFileNames reads the names Node.js (--heapsnapshot-signal and
// v8.writeHeapSnapshot()) and Bun (v8.writeHeapSnapshot()) gave real
// snapshots, in the time zone the process ran in: the time is the second
// in which the snapshot was being written, the pid the process's. Bun's
// month counted from 0 is read as such. Loaded, each snapshot carries that
// time (read as local time), says it came from the file name, and names its
// process as heapdiff's process checks read it.
func TestRuntimeFileNames(t *testing.T) {
	for _, dir := range []string{"sessions", "bun-named"} {
		facts := readFacts(t, dir)
		n := 0
		for _, proc := range facts.Processes {
			zone := time.FixedZone("writer", proc.UTCOffsetMinutes*60)
			for _, s := range proc.Snapshots {
				n++
				f, ok := v8.ParseFileName(s.File, zone)
				if !ok {
					t.Errorf("%s: not read as a Node.js or Bun name", s.File)
					continue
				}
				from := time.UnixMilli(s.From).Truncate(time.Second)
				if f.Time.Before(from) || f.Time.After(time.UnixMilli(s.To)) {
					t.Errorf("%s: time %v, but the snapshot was written between %v and %v", s.File, f.Time, time.UnixMilli(s.From), time.UnixMilli(s.To))
				}
				if f.PID != proc.PID || f.Thread != 0 {
					t.Errorf("%s: pid %d thread %d, want pid %d of the main thread", s.File, f.PID, f.Thread, proc.PID)
				}
				p := mustLoad(t, dir+"/"+s.File+".gz", Options{})
				local, _ := v8.ParseFileName(s.File, time.Local)
				if !p.Time.Equal(local.Time) || p.TimeSource != TimeFromFileName {
					t.Errorf("%s: loaded with time %v from %v, want %v from the file name", s.File, p.Time, p.TimeSource, local.Time)
				}
				if !slices.Contains(p.Comments, "pid="+strconv.FormatInt(proc.PID, 10)) {
					t.Errorf("%s: comments %q lack pid=%d", s.File, p.Comments, proc.PID)
				}
			}
		}
		if n < 2 {
			t.Errorf("%s: %d snapshots in facts.json, want at least 2", dir, n)
		}
	}
}

// TestFileNameFactsOnLoad: a profile that carries its own time keeps it
// (only the process is added); a worker thread's heap is named as such;
// standard input and other names get nothing.
func TestFileNameFactsOnLoad(t *testing.T) {
	dir := t.TempDir()
	goProfile, err := os.ReadFile("../testdata/leaky/heap-01.pb.gz")
	if err != nil {
		t.Fatal(err)
	}
	own, err := Parse("heap-01.pb.gz", goProfile, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if own.Time.IsZero() {
		t.Fatal("the Go profile has no time of its own")
	}
	renamed := filepath.Join(dir, "Heap.20261130.235800.27430.2.001.heapsnapshot.gz")
	if err := os.WriteFile(renamed, goProfile, 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := Load(renamed, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !p.Time.Equal(own.Time) || p.TimeSource != TimeFromProfile {
		t.Errorf("time %v from %v, want the profile's own %v", p.Time, p.TimeSource, own.Time)
	}
	if !slices.Contains(p.Comments, "pid=27430") || !slices.Contains(p.Comments, "thread=2") {
		t.Errorf("comments %q lack pid=27430 and thread=2", p.Comments)
	}
	// The same bytes on standard input have no name to read.
	in, err := Load("-", Options{Stdin: bytes.NewReader(goProfile)})
	if err != nil {
		t.Fatal(err)
	}
	if hasComment(in.Comments, "pid") {
		t.Errorf("standard input: comments %q name a process", in.Comments)
	}
	plain := mustLoad(t, "leaky-before.heapsnapshot.gz", Options{})
	if !plain.Time.IsZero() || hasComment(plain.Comments, "pid") {
		t.Errorf("leaky-before: time %v, comments %q: a name Node.js did not give says nothing", plain.Time, plain.Comments)
	}
}

// TestUseModTime: a snapshot whose name gives no time takes its file's
// modification time when asked, and says so; one with a time keeps it; a
// file that is gone is named in the error.
func TestUseModTime(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "before.heapsnapshot.gz")
	data, err := os.ReadFile(nodeData + "leaky-before.heapsnapshot.gz")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	mtime := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	if err := os.Chtimes(path, mtime, mtime); err != nil {
		t.Fatal(err)
	}
	p, err := Load(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := UseModTime(p, path); err != nil {
		t.Fatal(err)
	}
	if !p.Time.Equal(mtime) || p.TimeSource != TimeFromModTime || !slices.Contains(p.Comments, "time from file modification time") {
		t.Errorf("time %v from %v, comments %q; want %v from the modification time", p.Time, p.TimeSource, p.Comments, mtime)
	}
	first := "bun-named/" + readFacts(t, "bun-named").Processes[0].Snapshots[0].File + ".gz"
	named := mustLoad(t, first, Options{})
	before := named.Time
	if err := UseModTime(named, nodeData+first); err != nil || !named.Time.Equal(before) || named.TimeSource != TimeFromFileName {
		t.Errorf("a time from the file name was replaced: %v from %v (%v)", named.Time, named.TimeSource, err)
	}
	gone := &Profile{}
	if err := UseModTime(gone, filepath.Join(dir, "gone.heapsnapshot")); err == nil || !strings.Contains(err.Error(), "gone.heapsnapshot") {
		t.Errorf("a missing file: %v, want an error naming it", err)
	}
}
