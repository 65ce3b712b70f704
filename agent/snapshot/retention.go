package snapshot

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// Retention bounds the snapshots kept in a directory. A zero field means no
// bound of that kind.
type Retention struct {
	Keep     int           // at most this many snapshot files
	MaxBytes int64         // at most this many bytes of snapshot files
	MaxAge   time.Duration // no snapshot older than this (by the time in its name)
}

// File is a snapshot file found in a directory.
type File struct {
	Name
	File string // base name
	Size int64  // bytes
}

// List returns the snapshot files in dir, oldest first. Files whose names
// [ParseName] does not recognise are not listed.
func List(dir string) ([]File, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("list snapshots: %w", err)
	}
	var files []File
	for _, e := range entries {
		n, ok := ParseName(e.Name())
		if !ok || !e.Type().IsRegular() {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue // removed since ReadDir
		}
		files = append(files, File{Name: n, File: e.Name(), Size: info.Size()})
	}
	slices.SortFunc(files, func(a, b File) int {
		if c := a.Time.Compare(b.Time); c != 0 {
			return c
		}
		if c := a.Seq - b.Seq; c != 0 {
			return c
		}
		return cmp.Compare(a.File, b.File)
	})
	return files, nil
}

// prune removes the oldest snapshot files in dir until r is satisfied, and
// every file older than r.MaxAge at now. Files named in protect (such as the
// baseline) are never removed, though they count toward the limits; neither
// is any file whose name is not a snapshot name, nor any snapshot owns
// rejects: those (another replica's baseline in a shared directory) are not
// counted either. It returns the owned files that remain and those it
// removed.
func prune(dir string, r Retention, now time.Time, owns func(Name) bool, protect []string, self int) (kept []File, removed []string, err error) {
	files, err := List(dir)
	if err != nil {
		return nil, nil, err
	}
	files = slices.DeleteFunc(files, func(f File) bool { return !owns(f.Name) })
	if self != 0 {
		protect = append(protect, siblingsKept(files, self)...)
	}
	return r.Apply(dir, files, now, protect)
}

// siblingsKept returns, among files (oldest first), the baseline and the
// latest snapshot of each process other than self that is still running:
// replicas on one host that share a directory (systemd template units,
// prefork workers) prune the same files, and each keeps the two its alerts
// and its summary name. A process's baseline is its "baseline" snapshot,
// or, when it took none, its first. The files of processes that ended go
// by the rules, so a directory that outlives many restarts stays bounded.
func siblingsKept(files []File, self int) []string {
	type ends struct{ baseline, first, latest string }
	byPID := map[int]*ends{}
	for _, f := range files {
		if f.PID == 0 || f.PID == self {
			continue
		}
		e := byPID[f.PID]
		if e == nil {
			e = &ends{first: f.File}
			byPID[f.PID] = e
		}
		if f.Trigger == "baseline" && e.baseline == "" {
			e.baseline = f.File
		}
		e.latest = f.File
	}
	var keep []string
	for pid, e := range byPID {
		if !processRunning(pid) {
			continue
		}
		if e.baseline == "" {
			e.baseline = e.first
		}
		keep = append(keep, e.baseline, e.latest)
	}
	return keep
}

// Apply removes from dir the oldest of files (which must be sorted oldest
// first, by the time in Name) until r is satisfied, and every file older
// than r.MaxAge at now; files named in protect are never removed, though
// they count toward the limits. It returns the files that remain and the
// base names of those it removed; a file it fails to remove stays counted,
// so the next oldest goes in its place.
//
// [Store] applies it to the snapshots it owns. It is exported for writers of
// files a Store cannot write, such as "heapdiff capture node://", which
// keeps V8 heap snapshots under the names Node.js gives them: they list
// their own files and get the same rules.
func (r Retention) Apply(dir string, files []File, now time.Time, protect []string) (kept []File, removed []string, err error) {
	var total int64
	for _, f := range files {
		total += f.Size
	}
	count := len(files)
	var errs []error
	for _, f := range files { // oldest first
		tooMany := r.Keep > 0 && count > r.Keep
		tooBig := r.MaxBytes > 0 && total > r.MaxBytes
		tooOld := r.MaxAge > 0 && now.Sub(f.Time) > r.MaxAge
		if !(tooMany || tooBig || tooOld) || slices.Contains(protect, f.File) {
			kept = append(kept, f)
			continue
		}
		if err := os.Remove(filepath.Join(dir, f.File)); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, fmt.Errorf("prune: %w", err))
			kept = append(kept, f)
			continue
		}
		removed = append(removed, f.File)
		count--
		total -= f.Size
	}
	return kept, removed, errors.Join(errs...)
}
