package profile

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Heap snapshots and sampling heap profiles carry no time and no process id;
// the names Node.js and Bun give their files do.
//
// Node.js (--heapsnapshot-signal, --heapsnapshot-near-heap-limit,
// v8.writeHeapSnapshot() without a name, --heap-prof) writes
//
//	Heap.YYYYMMDD.HHMMSS.PID.THREAD.SEQ.heapsnapshot   (or .heapprofile)
//
// and Bun's v8.writeHeapSnapshot() (checked with Bun 1.4.5)
//
//	Heap-YYYYMMDD-HHMMSS-PID-THREAD.heapsnapshot
//
// with the month counted from 0 (00 is January: Bun's code formats
// Date.getMonth() as it is), which is read as such. Both write the local
// time of the process, in its time zone, which the name does not give: it
// is read in the time zone of the machine reading it, time.Local, which
// Go takes from the TZ environment variable (TZ=Europe/Berlin) or the
// system's setting. Read snapshots written by a server in another zone with
// TZ set to the server's. Times have whole seconds; SEQ is not an order
// (Node.js counts signal snapshots and v8.writeHeapSnapshot() apart: both
// of a process's first two can be 001). A name may end in .gz.

// TimeSource says where a profile's Time came from.
type TimeSource uint8

const (
	// TimeFromProfile: the producer wrote the time in the profile (pprof's
	// time_nanos), or Time is zero.
	TimeFromProfile TimeSource = iota
	// TimeFromFileName: the file's name, as Node.js and Bun name heap
	// snapshots, read as local time.
	TimeFromFileName
	// TimeFromModTime: the file's modification time (UseModTime), a last
	// resort: copying a file can change it.
	TimeFromModTime
)

// String says where the time came from, for a report's header.
func (s TimeSource) String() string {
	switch s {
	case TimeFromFileName:
		return "file name"
	case TimeFromModTime:
		return "file modification time"
	}
	return "profile"
}

// snapshotFileName is what a Node.js or Bun snapshot's file name says.
type snapshotFileName struct {
	time        time.Time
	pid, thread int64
}

// parseSnapshotFileName reads the time, process and thread from the base
// name of a file Node.js or Bun named (see above), in the time zone loc. ok
// is false for any other name, and for a name whose date or time cannot be.
func parseSnapshotFileName(name string, loc *time.Location) (f snapshotFileName, ok bool) {
	name = strings.TrimSuffix(filepath.Base(name), ".gz")
	var parts []string
	monthFrom0 := false
	switch {
	case strings.HasPrefix(name, "Heap.") && (strings.HasSuffix(name, ".heapsnapshot") || strings.HasSuffix(name, ".heapprofile")):
		parts = strings.Split(name, ".")
		if len(parts) != 7 {
			return f, false
		}
		parts = parts[1:6] // date, time, pid, thread, seq
	case strings.HasPrefix(name, "Heap-") && strings.HasSuffix(name, ".heapsnapshot"):
		parts = strings.Split(strings.TrimSuffix(name, ".heapsnapshot"), "-")
		if len(parts) != 5 {
			return f, false
		}
		parts = parts[1:] // date, time, pid, thread
		monthFrom0 = true
	default:
		return f, false
	}
	date, clock := parts[0], parts[1]
	if len(date) != 8 || len(clock) != 6 {
		return f, false
	}
	var n [6]int
	for i, s := range []string{date[:4], date[4:6], date[6:], clock[:2], clock[2:4], clock[4:]} {
		v, err := strconv.Atoi(s)
		if err != nil || v < 0 {
			return f, false
		}
		n[i] = v
	}
	for _, s := range parts[2:] {
		if v, err := strconv.ParseInt(s, 10, 64); err != nil || v < 0 {
			return f, false
		}
	}
	year, month, day, hour, minute, second := n[0], n[1], n[2], n[3], n[4], n[5]
	if monthFrom0 {
		month++
	}
	if month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59 {
		return f, false
	}
	t := time.Date(year, time.Month(month), day, hour, minute, second, 0, loc)
	if t.Year() != year || t.Month() != time.Month(month) || t.Day() != day {
		return f, false // 30 February
	}
	f.time = t
	f.pid, _ = strconv.ParseInt(parts[2], 10, 64)
	f.thread, _ = strconv.ParseInt(parts[3], 10, 64)
	return f, true
}

// addFileNameFacts gives a profile loaded from path what its name says when
// Node.js or Bun named it: its time, when the profile has none, and its
// process, as the comment "pid=N" (and "thread=N" for a worker thread's
// heap), the form heapdiff's process checks read. Load calls it.
func addFileNameFacts(p *Profile, path string) {
	if path == "-" {
		return
	}
	f, ok := parseSnapshotFileName(path, time.Local)
	if !ok {
		return
	}
	if p.Time.IsZero() {
		p.Time, p.TimeSource = f.time, TimeFromFileName
		p.Comments = append(p.Comments, "time from file name, read as local time ("+f.time.Format("MST -0700")+")")
	}
	if !hasComment(p.Comments, "pid") {
		p.Comments = append(p.Comments, "pid="+strconv.FormatInt(f.pid, 10))
		if f.thread != 0 {
			p.Comments = append(p.Comments, "thread="+strconv.FormatInt(f.thread, 10))
		}
	}
}

// hasComment reports whether comments hold key=value (or heapdiff.key=value,
// as heapdiff's agent writes them) for key.
func hasComment(comments []string, key string) bool {
	for _, c := range comments {
		if k, _, ok := strings.Cut(strings.TrimPrefix(c, "heapdiff."), "="); ok && k == key {
			return true
		}
	}
	return false
}

// UseModTime gives p, loaded from path, the modification time of that
// file when p carries no time of its own and its name gives none: a last
// resort for heap snapshots of other names, which hold no time, so that a
// trend can still have rates. Copying or unpacking files can change their
// times: it is used only when a caller asks. It records the source in
// p.TimeSource and in a comment.
func UseModTime(p *Profile, path string) error {
	if !p.Time.IsZero() || path == "-" {
		return nil
	}
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("modification time of %s: %w", printable(path), describeOpenError(err))
	}
	p.Time, p.TimeSource = fi.ModTime(), TimeFromModTime
	p.Comments = append(p.Comments, "time from file modification time")
	return nil
}
