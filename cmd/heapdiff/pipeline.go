package main

import (
	"errors"
	"fmt"
	"runtime"

	"github.com/heapdiff/heapdiff/agent/snapshot"
	"github.com/heapdiff/heapdiff/diff"
	"github.com/heapdiff/heapdiff/profile"
	"github.com/heapdiff/heapdiff/report"
)

// loadAndCompare loads two profiles and compares them with opts, as compare
// and check do: the size limit and standard input as the flags say, the
// allocation stacks a snapshot needs for the grouping, the grouping a heap
// snapshot defaults to. It returns the profiles too, for what needs them
// beside the comparison (the HTML report's detail). A sample type or a
// grouping that the profiles do not have is a usage error.
func loadAndCompare(s *streams, a *analysisFlags, paths []string, opts diff.Options, pr *progress) (*diff.Comparison, []*profile.Profile, error) {
	loadOpts, err := loadOptions(s, a.MaxSize, paths...)
	if err != nil {
		return nil, nil, err
	}
	loadOpts.AllocationStacks = diff.WantsAllocationStacks(a.ByChosen, opts.By)
	loadOpts.Retainers = a.retainers
	pr.show("loading %s and %s", profile.Printable(paths[0]), profile.Printable(paths[1]))
	profiles, err := profile.LoadAll(paths, loadOpts)
	if err != nil {
		return nil, nil, explainLoadError(err)
	}
	// Loading leaves the inflated files and the decoders' tables behind
	// (as much again as the profiles), and the heap's next collection is
	// set by what was live before they were dropped: collected now, their
	// memory is what the comparison allocates from. On the 1M-stack pair
	// (bench/run.sh million) the peak falls from 760 to 670 MB, for one
	// collection of the profiles, which hold few pointers.
	runtime.GC()
	for i, p := range profiles {
		if err := a.fileTime(s, p, paths[i]); err != nil {
			return nil, nil, err
		}
		p.Name = s.displayName(p.Name)
		if err := sampleIndexFits(p, opts.SampleIndex); err != nil {
			return nil, nil, err
		}
	}
	opts.By = diff.GroupingFor(opts.By, profiles...)
	pr.show("comparing by %s", opts.By)
	cmp, err := diff.Compare(profiles[0], profiles[1], opts)
	if err != nil {
		return nil, nil, classMisuse(explainMixed(err), opts.By, profiles...)
	}
	return cmp, profiles, nil
}

// sampleIndexFits checks that -i names a sample type p has: asking for one
// it lacks is a usage error (exit 2), as for any invalid value of a flag.
func sampleIndexFits(p *profile.Profile, name string) error {
	if _, err := p.SampleIndex(name); err != nil {
		return usageError{fmt.Errorf("%s: %w", p.Name, err)}
	}
	return nil
}

// classMisuse marks as a usage error the refusal to group by class profiles
// that have no classes (--by class on a Go heap profile): the value of --by
// is wrong for the input, as an unknown -i is. Other errors are returned as
// they are.
func classMisuse(err error, by diff.Grouping, profiles ...*profile.Profile) error {
	if err == nil || by != diff.ByClass {
		return err
	}
	for _, p := range profiles {
		if !p.IsClassView() {
			return usageError{err}
		}
	}
	return err
}

// loadOptions parses --max-size and refuses reading standard input twice.
func loadOptions(s *streams, maxSize string, paths ...string) (profile.Options, error) {
	limit, err := snapshot.ParseBytes(maxSize)
	switch {
	case err != nil:
		return profile.Options{}, usageError{fmt.Errorf("--max-size: %w", err)}
	case limit == 0:
		return profile.Options{}, usageError{fmt.Errorf("--max-size %s: must be more than 0", maxSize)}
	case limit > 1<<62:
		// No file is that large; the limit is counted in an int64.
		limit = 1 << 62
	}
	stdin := 0
	for _, p := range paths {
		if p == "-" {
			stdin++
		}
	}
	if stdin > 1 {
		return profile.Options{}, usageError{errors.New(`only one profile can be read from standard input ("-")`)}
	}
	return profile.Options{MaxSize: int64(limit), Stdin: s.In}, nil
}

// explainLoadError adds what the user can do about an error, where there is
// something to do.
func explainLoadError(err error) error {
	if errors.Is(err, profile.ErrTooLarge) {
		return fmt.Errorf("%w (raise the limit with --max-size)", err)
	}
	return err
}

// explainMixed says how to go on when profiles do not form one series.
func explainMixed(err error) error {
	if errors.Is(err, diff.ErrMixed) {
		return fmt.Errorf("%w (pass --allow-mixed to go on)", err)
	}
	return err
}

// chooseFormat takes -f, else the output file's extension, else text.
func chooseFormat(flag, output string) (report.Format, error) {
	if flag != "" {
		f, err := report.ParseFormat(flag)
		if err != nil {
			return "", usageError{fmt.Errorf("--format: %w", err)}
		}
		return f, nil
	}
	if f, ok := report.FormatForPath(output); ok {
		return f, nil
	}
	return report.FormatText, nil
}

// useColor decides whether text output gets ANSI colors: only for text on a
// terminal, never when NO_COLOR is set, unless --color=always.
func useColor(s *streams, mode string, format report.Format, output string) (bool, error) {
	switch mode {
	case "always":
		return format == report.FormatText, nil
	case "never":
		return false, nil
	case "auto":
		return format == report.FormatText && output == "" && s.OutIsTerminal && !s.NoColor, nil
	}
	return false, usageError{fmt.Errorf("--color: want auto, always or never, not %q", mode)}
}
