package upload

import (
	"strconv"
	"strings"
	"time"
)

// Node.js names the heap snapshots and sampling heap profiles it writes
// (--heapsnapshot-signal, v8.writeHeapSnapshot(), --heap-prof)
//
//	Heap.YYYYMMDD.HHMMSS.PID.THREAD.SEQ.heapsnapshot   (or .heapprofile)
//
// in the local time of the process, and "heapdiff capture node://" names
// its files the same way, thread 0. Such files are uploaded under their own
// names (see [NodeKey]), so that heapdiff reads their time and process from
// the name of a downloaded copy as it does from the file on disk.

// Extensions of Node.js heap snapshots and sampling heap profiles.
const (
	NodeSnapshotExt = ".heapsnapshot"
	NodeProfileExt  = ".heapprofile"
)

// A NodeName is what the name of a Node.js heap snapshot or sampling heap
// profile of a process's main thread says.
type NodeName struct {
	// Time is the name's date and time, whole seconds, read in time.Local:
	// the name does not say its time zone, and heapdiff's loader reads it
	// so too (set TZ to the zone of the machine that wrote it).
	Time time.Time
	PID  int
	// Seq counts the process's files from 1; it is not an order (Node.js
	// counts signal snapshots and v8.writeHeapSnapshot() apart).
	Seq int
}

// ParseNodeName reads a file name Node.js gives a heap snapshot or sampling
// heap profile of a main thread (thread 0), such as
// Heap.20261201.032357.6773.0.001.heapsnapshot, also with ".gz" appended.
// It reports false for any other name: another pattern, a worker thread's
// file, a date that does not exist, a pid or seq of 0.
func ParseNodeName(file string) (NodeName, bool) {
	name := strings.TrimSuffix(file, ".gz")
	rest, ok := strings.CutPrefix(name, "Heap.")
	if !ok {
		return NodeName{}, false
	}
	if r, ok := strings.CutSuffix(rest, NodeSnapshotExt); ok {
		rest = r
	} else if r, ok := strings.CutSuffix(rest, NodeProfileExt); ok {
		rest = r
	} else {
		return NodeName{}, false
	}
	parts := strings.Split(rest, ".") // date, time, pid, thread, seq
	if len(parts) != 5 || len(parts[0]) != 8 || len(parts[1]) != 6 || parts[3] != "0" {
		return NodeName{}, false
	}
	var n [3]int
	for i, s := range []string{parts[2], parts[4]} {
		if !digits(s) {
			return NodeName{}, false
		}
		n[i], _ = strconv.Atoi(s)
	}
	if !digits(parts[0]) || !digits(parts[1]) || n[0] <= 0 || n[1] <= 0 {
		return NodeName{}, false
	}
	t, err := time.ParseInLocation("20060102150405", parts[0]+parts[1], time.Local)
	if err != nil {
		return NodeName{}, false
	}
	return NodeName{Time: t, PID: n[0], Seq: n[1]}, true
}

// digits reports whether s is made of 1 to 9 ASCII digits.
func digits(s string) bool {
	if s == "" || len(s) > 9 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// NodeKey returns the object key of a Node.js heap snapshot or sampling
// heap profile uploaded under prefix:
//
//	PREFIX/SERVICE/HOST/PID/FILE
//
// for example fleet/bot/web-7f9c/4242/Heap.20261126.164210.4242.0.007.heapsnapshot:
// the layout of the Go agent's snapshots (see [Key]), FILE being the file's
// name as written and PID the process id it names. SERVICE and HOST are
// cleaned as in [Key]. It reports false when file is not named as
// [ParseNodeName] reads.
func NodeKey(prefix, service, host, file string) (string, bool) {
	n, ok := ParseNodeName(file)
	if !ok {
		return "", false
	}
	return layout(prefix, service, host, n.PID, file), true
}
