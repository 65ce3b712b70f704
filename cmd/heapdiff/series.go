package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/heapdiff/heapdiff/agent/snapshot"
	"github.com/heapdiff/heapdiff/diff"
	"github.com/heapdiff/heapdiff/profile"
	"github.com/heapdiff/heapdiff/report"
)

// seriesFlags are the flags trend and check share with compare: how stacks
// are grouped and filtered, and how profiles are loaded.
type seriesFlags struct {
	By          string
	SampleIndex string
	Focus       string
	Ignore      string
	Hide        string
	AllowMixed  bool
	KeepAgent   bool
	MaxSize     string
	// Skip and Since leave a service's warm-up out of a series.
	Skip  int
	Since string
	// ByChosen is set when --by was given (see diff.WantsAllocationStacks).
	ByChosen bool
}

func (sf *seriesFlags) register(f *pflag.FlagSet) {
	f.StringVar(&sf.By, "by", "site", "group stacks by: "+strings.Join(diff.GroupingNames(), ", "))
	f.StringVarP(&sf.SampleIndex, "sample-index", "i", "", "sample type to follow: inuse_space (default for heap profiles), inuse_objects, alloc_space, alloc_objects, or the profiles' own names")
	f.StringVar(&sf.Focus, "focus", "", "keep only stacks with a frame whose function or file matches this regexp")
	f.StringVar(&sf.Ignore, "ignore", "", "drop stacks with a frame whose function or file matches this regexp")
	f.StringVar(&sf.Hide, "hide", "", "remove frames whose function or file matches this regexp from stacks")
	f.BoolVar(&sf.AllowMixed, "allow-mixed", false, "go on when snapshots come from different processes or have different sample types")
	f.StringVar(&sf.MaxSize, "max-size", "1GiB", "refuse profiles that decompress to more than this")
	f.BoolVar(&sf.KeepAgent, "keep-agent", false, "keep the allocations of heapdiff's own capture agent, left out by default")
	f.IntVar(&sf.Skip, "skip", 0, "leave out the first N snapshots (in time order), e.g. a service's warm-up")
	f.StringVar(&sf.Since, "since", "", "leave out snapshots taken before this: a time (2026-11-26T10:30:00Z) or a duration after the first snapshot (10m, 1d)")
}

// warmUp sets the trend options that leave out the warm-up.
func (sf *seriesFlags) warmUp(o *diff.TrendOptions) error {
	if sf.Skip < 0 {
		return usageError{fmt.Errorf("--skip %d: want a number of snapshots, 0 or more", sf.Skip)}
	}
	o.Skip = sf.Skip
	if sf.Since == "" {
		return nil
	}
	if t, err := time.Parse(time.RFC3339, sf.Since); err == nil {
		o.Since = t
		return nil
	}
	d, err := snapshot.ParseDuration(sf.Since)
	if err != nil || d < 0 {
		return usageError{fmt.Errorf("--since %s: want a time like 2026-11-26T10:30:00Z or a duration after the first snapshot like 10m or 1d", profile.Printable(sf.Since))}
	}
	o.SinceStart = d
	return nil
}

// leavesOutWarmUp reports whether --skip or --since was given.
func (sf *seriesFlags) leavesOutWarmUp() bool { return sf.Skip != 0 || sf.Since != "" }

// outputFlags choose where and how a report is written, as for compare.
type outputFlags struct {
	Format string
	Output string
	Color  string
}

// register adds the flags; formats lists the formats the command writes,
// for the help text.
func (of *outputFlags) register(f *pflag.FlagSet, formats string) {
	f.StringVarP(&of.Format, "format", "f", "", "output format: "+formats+" (default: from -o's extension, else text)")
	f.StringVarP(&of.Output, "output", "o", "", "write to this file instead of standard output")
	f.StringVar(&of.Color, "color", "auto", "color text output: auto (only on a terminal, unless NO_COLOR is set), always, never")
}

// resolve picks the format and decides on colors.
func (of *outputFlags) resolve(s *streams) (report.Format, bool, error) {
	format, err := chooseFormat(of.Format, of.Output)
	if err != nil {
		return "", false, err
	}
	color, err := useColor(s, of.Color, format, of.Output)
	return format, color, err
}

// trendOptions turns the flags into the trend's options, with compare's
// rules and messages.
func (sf *seriesFlags) trendOptions(top int) (diff.TrendOptions, error) {
	d, err := (&compareOptions{By: sf.By, SampleIndex: sf.SampleIndex, Focus: sf.Focus, Ignore: sf.Ignore, Hide: sf.Hide, Top: top,
		AllowMixed: sf.AllowMixed, KeepAgent: sf.KeepAgent}).diffOptions()
	if err != nil {
		return diff.TrendOptions{}, err
	}
	o := diff.TrendOptions{Options: d, AllowMixed: sf.AllowMixed}
	return o, sf.warmUp(&o)
}

// missingPath returns an error naming the first argument that does not
// exist, so that "trend snaps/" on a mistyped directory says so rather than
// counting its arguments.
func missingPath(args []string) error {
	for _, a := range args {
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
// a directory for the regular files in it, sorted by name, except hidden
// files (an agent's half-written snapshots) and reports or notes (see
// notProfileExts).
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
			if strings.HasPrefix(name, ".") || notProfileExts[strings.ToLower(filepath.Ext(name))] || !e.Type().IsRegular() {
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

// loadWindow is how many profiles may be loading or waiting to be used at
// once: enough to keep the cores busy, few enough to bound memory.
func loadWindow() int { return max(1, min(runtime.GOMAXPROCS(0), 4)) }

// loadSeries loads the profiles at paths and hands each to add, in order,
// then drops it: a few are loaded ahead in parallel, so no more than
// loadWindow profiles are in memory at once however many paths there are. On
// a terminal it shows progress on stderr.
func loadSeries(s *streams, paths []string, opts profile.Options, add func(*profile.Profile) error) error {
	type result struct {
		p   *profile.Profile
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
				p, err := profile.Load(path, opts)
				slots[i] <- result{p, err}
			}()
		}
	}()
	progress := s.ErrIsTerminal && len(paths) > 1
	for i, slot := range slots {
		if progress {
			fmt.Fprintf(s.ErrOut, "\rloading %d/%d %s\x1b[K", i+1, len(paths), profile.Printable(paths[i]))
		}
		r := <-slot
		<-tokens
		if r.err == nil {
			r.err = add(r.p)
		}
		if r.err != nil {
			if progress {
				fmt.Fprint(s.ErrOut, "\r\x1b[K")
			}
			return explainLoadError(r.err)
		}
	}
	if progress {
		fmt.Fprint(s.ErrOut, "\r\x1b[K")
	}
	return nil
}

// buildTrend loads a series of profiles into a trend.
func buildTrend(s *streams, paths []string, sf *seriesFlags, top, minSnapshots int) (*diff.Trend, error) {
	opts, err := sf.trendOptions(top)
	if err != nil {
		return nil, err
	}
	opts.MinSnapshots = minSnapshots
	loadOpts, err := loadOptions(s, sf.MaxSize, paths...)
	if err != nil {
		return nil, err
	}
	loadOpts.AllocationStacks = diff.WantsAllocationStacks(sf.ByChosen, opts.By)
	// The builder is made when the first profile is in: heap snapshots
	// without allocation traces hold one row per class, whatever --by says.
	var b *diff.TrendBuilder
	add := func(p *profile.Profile) error {
		if b == nil {
			opts.By = diff.GroupingFor(opts.By, p)
			b = diff.NewTrend(opts)
		}
		return b.Add(p)
	}
	if err := loadSeries(s, paths, loadOpts, add); err != nil {
		return nil, explainMixed(err)
	}
	if b == nil {
		b = diff.NewTrend(opts)
	}
	t, err := b.Trend()
	if errors.Is(err, diff.ErrNoneLeft) {
		return nil, usageError{fmt.Errorf("%w; leave out fewer with --skip or --since", err)}
	}
	return t, explainMixed(err)
}

// explainMixed says how to go on when snapshots do not form one series.
func explainMixed(err error) error {
	if errors.Is(err, diff.ErrMixed) {
		return fmt.Errorf("%w (pass --allow-mixed to go on)", err)
	}
	return err
}
