package v8

import (
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
// time of the process, in its time zone, which the name does not give: the
// caller says which zone to read it in. Times have whole seconds; SEQ is
// not an order (Node.js counts signal snapshots and v8.writeHeapSnapshot()
// apart: both of a process's first two can be 001). A name may end in .gz.

// FileName is what a Node.js or Bun snapshot's file name says.
type FileName struct {
	// Time is when the file was written, to the second, read in the zone
	// ParseFileName was given.
	Time time.Time
	// PID is the process's id; Thread the worker thread whose heap it is
	// (0 for the main thread).
	PID, Thread int64
}

// ParseFileName reads the time, process and thread from the base name of a
// file Node.js or Bun named (see above), in the time zone loc. ok is false
// for any other name, and for a name whose date or time cannot be.
func ParseFileName(name string, loc *time.Location) (f FileName, ok bool) {
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
	f.Time = t
	f.PID, _ = strconv.ParseInt(parts[2], 10, 64)
	f.Thread, _ = strconv.ParseInt(parts[3], 10, 64)
	return f, true
}
