package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/heapdiff/heapdiff/diff"
	"github.com/heapdiff/heapdiff/profile"
)

// missingPath returns an error naming the first argument that does not
// exist, so that "trend snaps/" on a mistyped directory says so rather than
// counting its arguments.
func missingPath(args []string) error {
	for _, a := range args {
		if a == "-" {
			continue // standard input
		}
		if _, err := os.Stat(a); errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("%s: no such file or directory", profile.Printable(a))
		}
	}
	return nil
}

// notProfileExts are the extensions of files a snapshot folder may hold
// beside its profiles (reports heapdiff writes, notes), which a directory
// argument leaves out.
var notProfileExts = map[string]bool{".md": true, ".markdown": true, ".json": true, ".html": true, ".htm": true,
	".csv": true, ".png": true, ".svg": true, ".log": true}

// expandPaths turns arguments into profile paths: a file stands for itself,
// a directory for the regular files in it (or links to regular files),
// sorted by name, except hidden files (an agent's half-written snapshots)
// and reports or notes (see notProfileExts, also under a .gz).
func expandPaths(args []string) ([]string, error) {
	var paths []string
	for _, arg := range args {
		st, err := os.Stat(arg)
		if err != nil || !st.IsDir() {
			paths = append(paths, arg) // loading says what is wrong with it
			continue
		}
		entries, err := os.ReadDir(arg)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", profile.Printable(arg), pathless(err))
		}
		n := len(paths)
		for _, e := range entries {
			name := e.Name()
			if strings.HasPrefix(name, ".") || notProfileName(name) || !isRegularFile(filepath.Join(arg, name), e) {
				continue
			}
			paths = append(paths, filepath.Join(arg, name))
		}
		if len(paths) == n {
			return nil, fmt.Errorf("%s holds no profiles", profile.Printable(arg))
		}
	}
	return paths, nil
}

// notProfileName reports whether a file's name says it is a report or a
// note (notProfileExts), gzipped or not.
func notProfileName(name string) bool {
	name = strings.ToLower(name)
	if ext := filepath.Ext(name); ext == ".gz" {
		name = strings.TrimSuffix(name, ext)
	}
	return notProfileExts[filepath.Ext(name)]
}

// isRegularFile reports whether a directory's entry is a regular file, or
// a symbolic link to one.
func isRegularFile(path string, e os.DirEntry) bool {
	if e.Type()&fs.ModeSymlink != 0 {
		st, err := os.Stat(path)
		return err == nil && st.Mode().IsRegular()
	}
	return e.Type().IsRegular()
}

// loadWindow is how many profiles may be loading or waiting to be used at
// once: enough to keep the cores busy, few enough to bound memory.
func loadWindow() int { return max(1, min(runtime.GOMAXPROCS(0), 4)) }

// loadSeries loads the profiles at paths, passes each through prepare on
// the goroutine that loaded it, and hands what prepare made to add, with its
// path, in order, then drops it: a few are loaded (and prepared) ahead in
// parallel, so no more than loadWindow profiles are in memory at once
// however many paths there are. prepare does the work on one profile that
// needs none of the others, on as many cores as load. On a terminal it
// shows progress on stderr.
func loadSeries[T any](s *streams, paths []string, opts profile.Options, prepare func(*profile.Profile) T, add func(v T, path string) error) error {
	type result struct {
		v   T
		err error
	}
	slots := make([]chan result, len(paths))
	for i := range slots {
		slots[i] = make(chan result, 1)
	}
	tokens := make(chan struct{}, loadWindow())
	done := make(chan struct{})
	defer close(done)
	go func() {
		for i, path := range paths {
			select {
			case tokens <- struct{}{}:
			case <-done:
				return
			}
			go func() {
				var r result
				p, err := profile.Load(path, opts.ForFile(i, len(paths)))
				if r.err = err; err == nil {
					r.v = prepare(p)
				}
				slots[i] <- r
			}()
		}
	}()
	var pr *progress
	if len(paths) > 1 {
		pr = newProgress(s)
	}
	defer pr.done()
	for i, slot := range slots {
		pr.show("loading %d/%d %s", i+1, len(paths), profile.Printable(paths[i]))
		r := <-slot
		<-tokens
		if r.err == nil {
			r.err = add(r.v, paths[i])
		}
		if r.err != nil {
			return explainLoadError(r.err)
		}
	}
	return nil
}

// buildTrend loads a series of profiles into a trend whose first keep
// series keep their values (diff.TrendOptions.KeepValues). The values of
// the snapshots beyond a budget wait in a temporary file (tempSpill).
func buildTrend(s *streams, paths []string, a *analysisFlags, w *warmUpFlags, top, minSnapshots, keep int) (*diff.Trend, error) {
	opts, err := seriesOptions(a, w, top)
	if err != nil {
		return nil, err
	}
	opts.MinSnapshots = minSnapshots
	opts.KeepValues, opts.Spill, opts.SpillAfter = keep, tempSpill, spillAfter
	opts.Collections = a.retainers
	loadOpts, err := loadOptions(s, a.MaxSize, paths...)
	if err != nil {
		return nil, err
	}
	loadOpts.AllocationStacks = diff.WantsAllocationStacks(a.ByChosen, opts.By)
	loadOpts.Retainers = a.retainers
	// The builder is made when the first profile is in: heap snapshots
	// without allocation traces hold one row per class, whatever --by says.
	var b *diff.TrendBuilder
	defer func() {
		if b != nil {
			// Its spill is a removed temporary file, read back by now or
			// of no more use: closing it can change nothing.
			_ = b.Close()
		}
	}()
	// Each snapshot is prepared (summed by row) where it was loaded, under
	// the grouping the builder will have: the one asked for, or the one
	// its kind defaults to (GroupingFor), as for the first snapshot.
	asked := opts
	prepare := func(p *profile.Profile) *diff.TrendPrepared {
		o := asked
		o.By = diff.GroupingFor(asked.By, p)
		return diff.PrepareTrend(p, o)
	}
	add := func(pp *diff.TrendPrepared, path string) error {
		p := pp.Profile()
		if err := a.fileTime(s, p, path); err != nil {
			return err
		}
		p.Name = s.displayName(p.Name)
		if err := sampleIndexFits(p, opts.SampleIndex); err != nil {
			return err
		}
		if b == nil {
			opts.By = diff.GroupingFor(opts.By, p)
			b = diff.NewTrend(opts)
		}
		return classMisuse(b.AddPrepared(pp), opts.By, p)
	}
	if err := loadSeries(s, paths, loadOpts, prepare, add); err != nil {
		return nil, explainMixed(err)
	}
	if b == nil {
		b = diff.NewTrend(opts)
	}
	t, err := b.Trend()
	if errors.Is(err, diff.ErrSinceNeedsTimes) {
		return nil, usageError{fmt.Errorf("--since: %w (--skip N)", err)}
	}
	if errors.Is(err, diff.ErrNoneLeft) {
		return nil, usageError{fmt.Errorf("%w; leave out fewer with --skip or --since", err)}
	}
	return t, explainMixed(err)
}
