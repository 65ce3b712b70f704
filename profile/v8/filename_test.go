package v8

import (
	"testing"
	"time"
)

// TestParseFileName reads the names Node.js and Bun give snapshots and
// profiles, and refuses near misses: a time that does not exist, a part
// missing, another extension.
func TestParseFileName(t *testing.T) {
	utc := time.UTC
	berlin := time.FixedZone("CET", 3600)
	at := func(y int, m time.Month, d, h, min, s int, loc *time.Location) time.Time {
		return time.Date(y, m, d, h, min, s, 0, loc)
	}
	for _, tc := range []struct {
		name   string
		loc    *time.Location
		ok     bool
		time   time.Time
		pid    int64
		thread int64
	}{
		{"Heap.20261130.235800.27430.0.002.heapsnapshot", utc, true, at(2026, 11, 30, 23, 58, 0, utc), 27430, 0},
		// The same name read in another zone is another instant: the name
		// holds the writer's wall clock.
		{"Heap.20261130.235800.27430.0.002.heapsnapshot", berlin, true, at(2026, 11, 30, 22, 58, 0, utc), 27430, 0},
		{"/var/snaps/Heap.20260101.000000.1.0.001.heapsnapshot.gz", utc, true, at(2026, 1, 1, 0, 0, 0, utc), 1, 0},
		{"Heap.20261130.235800.27430.3.001.heapsnapshot", utc, true, at(2026, 11, 30, 23, 58, 0, utc), 27430, 3}, // a worker thread
		{"Heap.20261130.101500.812.0.001.heapprofile", utc, true, at(2026, 11, 30, 10, 15, 0, utc), 812, 0},      // --heap-prof
		// Bun: dashes, no sequence, the month from 0.
		{"Heap-20261101-031530-10417-0.heapsnapshot", utc, true, at(2026, 12, 1, 3, 15, 30, utc), 10417, 0},
		{"Heap-20260015-120000-5-0.heapsnapshot.gz", utc, true, at(2026, 1, 15, 12, 0, 0, utc), 5, 0},
		{"Heap-20261201-120000-5-0.heapsnapshot", utc, false, time.Time{}, 0, 0},         // month 12 from 0 is none
		{"Heap.20261330.235800.27430.0.002.heapsnapshot", utc, false, time.Time{}, 0, 0}, // month 13
		{"Heap.20260230.120000.27430.0.002.heapsnapshot", utc, false, time.Time{}, 0, 0}, // 30 February
		{"Heap.20261130.246000.27430.0.002.heapsnapshot", utc, false, time.Time{}, 0, 0},
		{"Heap.2026113.235800.27430.0.002.heapsnapshot", utc, false, time.Time{}, 0, 0},
		{"Heap.20261130.235800.x.0.002.heapsnapshot", utc, false, time.Time{}, 0, 0},
		{"Heap.20261130.235800.27430.0.heapsnapshot", utc, false, time.Time{}, 0, 0},
		{"Heap.20261130.235800.27430.0.002.cpuprofile", utc, false, time.Time{}, 0, 0},
		{"heap.20261130.235800.27430.0.002.heapsnapshot", utc, false, time.Time{}, 0, 0},
		{"leaky-after.heapsnapshot.gz", utc, false, time.Time{}, 0, 0},
	} {
		f, ok := ParseFileName(tc.name, tc.loc)
		if ok != tc.ok || ok && (!f.Time.Equal(tc.time) || f.PID != tc.pid || f.Thread != tc.thread) {
			t.Errorf("%s in %v: %v %v pid %d thread %d; want %v %v pid %d thread %d", tc.name, tc.loc, ok, f.Time, f.PID, f.Thread, tc.ok, tc.time, tc.pid, tc.thread)
		}
	}
}
