package main

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/spf13/cobra"

	"github.com/heapdiff/heapdiff/agent/snapshot"
	"github.com/heapdiff/heapdiff/diff"
	"github.com/heapdiff/heapdiff/profile"
	"github.com/heapdiff/heapdiff/report"
)

// compareOptions holds everything "heapdiff compare" was asked to do.
type compareOptions struct {
	Base, Target string

	By          string
	Cum         bool
	SampleIndex string
	Focus       string
	Ignore      string
	Hide        string
	Normalize   bool
	Top         int
	AllowMixed  bool
	KeepAgent   bool
	// ByChosen is set when --by was given: heap snapshots with allocation
	// traces are then grouped by allocation stack instead of by class.
	ByChosen bool

	Format  string
	Output  string
	Open    bool
	Color   string
	MaxSize string
}

func newCompareCmd(s *streams, runF func(*compareOptions) error) *cobra.Command {
	opts := &compareOptions{}
	cmd := &cobra.Command{
		Use:   "compare BASE TARGET",
		Short: "Compare two heap profiles: what grew, how fast, and whether it is beyond noise",
		Long: `Compare loads two heap profiles and shows, by allocation site (or function,
line, stack, package), what grew between them, by how much per hour, and
whether each change is beyond the noise of heap sampling ("~" when it is not).

BASE and TARGET are two profiles of one kind ("-" reads one from standard
input), gzipped or not:
  - Go heap profiles (pprof protobuf, from runtime/pprof, net/http/pprof or
    heapdiff's agent; also tcmalloc and @datadog/pprof), and legacy text
    heap profiles (Go debug=1, tcmalloc heapz, Java heapz).
    -i: inuse_space (default), inuse_objects, alloc_space, alloc_objects.
  - Node.js and Bun heap snapshots (.heapsnapshot), compared by class as
    Chrome DevTools' Comparison view does, with new and deleted objects.
    -i: shallow_size (default), objects, retained_size.
  - V8 sampling heap profiles (.heapprofile, from node --heap-prof or the
    inspector). -i: space (default), objects.
With --by, snapshots taken with --track-heap-objects group by allocation
stack; --by class needs heap snapshots.`,
		Example: `  heapdiff compare before.pb.gz after.pb.gz
  heapdiff compare before.heapsnapshot after.heapsnapshot -i retained_size
  heapdiff compare before.pb.gz after.pb.gz --by func --sample-index alloc_space --top 20
  heapdiff compare before.pb.gz after.pb.gz -f json > diff.json
  heapdiff compare before.pb.gz after.pb.gz -o diff.md
  heapdiff compare before.pb.gz after.pb.gz -o report.html --open`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 2 {
				return usageError{fmt.Errorf("compare needs two profiles, BASE and TARGET; got %d argument(s)", len(args))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Base, opts.Target = args[0], args[1]
			opts.ByChosen = cmd.Flags().Changed("by")
			if runF != nil {
				return runF(opts)
			}
			return runCompare(s, opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.By, "by", "site", "group rows by: "+strings.Join(diff.GroupingNames(), ", "))
	f.BoolVar(&opts.Cum, "cum", false, "add cumulative values (each stack counted once in every group it passes through)")
	f.StringVarP(&opts.SampleIndex, "sample-index", "i", "", "sample type to sort and show: inuse_space (default for heap profiles), inuse_objects, alloc_space, alloc_objects, or the profile's own names")
	f.StringVar(&opts.Focus, "focus", "", "keep only stacks with a frame whose function or file matches this regexp")
	f.StringVar(&opts.Ignore, "ignore", "", "drop stacks with a frame whose function or file matches this regexp")
	f.StringVar(&opts.Hide, "hide", "", "remove frames whose function or file matches this regexp from stacks")
	f.BoolVar(&opts.Normalize, "normalize", false, "scale the base so its totals equal the target's (hides overall growth)")
	f.BoolVar(&opts.AllowMixed, "allow-mixed", false, "compare profiles of different programs (their main_module differs), with a warning")
	f.BoolVar(&opts.KeepAgent, "keep-agent", false, "keep the allocations of heapdiff's own capture agent, left out by default")
	f.IntVar(&opts.Top, "top", 0, "show only the first N rows (0 shows all); the rest are summed in one line")
	f.StringVarP(&opts.Format, "format", "f", "", "output format: text, json, csv, md, html (default: from -o's extension, else text; html with --open)")
	f.StringVarP(&opts.Output, "output", "o", "", "write to this file instead of standard output")
	f.BoolVar(&opts.Open, "open", false, "open the HTML report in a web browser ($BROWSER, else the system's opener); without -o it is written to a temporary file")
	f.StringVar(&opts.Color, "color", "auto", "color text output: auto (only on a terminal, unless NO_COLOR is set), always, never")
	f.StringVar(&opts.MaxSize, "max-size", "1GiB", "refuse profiles that decompress to more than this")
	return cmd
}

// runCompare loads both profiles, compares them and renders the comparison.
func runCompare(s *streams, opts *compareOptions) error {
	diffOpts, err := opts.diffOptions()
	if err != nil {
		return err
	}
	format, err := chooseFormat(opts.Format, opts.Output)
	if err != nil {
		return err
	}
	if opts.Open {
		if format, err = openFormat(opts.Format, opts.Output, format); err != nil {
			return err
		}
	}
	loadOpts, err := loadOptions(s, opts.MaxSize, opts.Base, opts.Target)
	if err != nil {
		return err
	}
	loadOpts.AllocationStacks = diff.WantsAllocationStacks(opts.ByChosen, diffOpts.By)
	color, err := useColor(s, opts.Color, format, opts.Output)
	if err != nil {
		return err
	}
	profiles, err := profile.LoadAll([]string{opts.Base, opts.Target}, loadOpts)
	if err != nil {
		return explainLoadError(err)
	}
	diffOpts.By = diff.GroupingFor(diffOpts.By, profiles...)
	// The renderers name each row as they write it (diff.Row.Named), so
	// that --by stack holds one row's name at a time, not millions.
	diffOpts.DeferNames = true
	if format == report.FormatHTML {
		diffOpts = report.HTMLOptions(diffOpts) // the page's detail, in the same pass
	}
	cmp, err := diff.Compare(profiles[0], profiles[1], diffOpts)
	err = explainMixed(err)
	if err != nil {
		return err
	}
	ropts := report.Options{Color: color}
	render := func(w io.Writer) error { return report.Render(w, format, cmp, ropts) }
	if opts.Open {
		return writeAndOpen(s, opts.Output, render)
	}
	return writeOutput(s, opts.Output, render)
}

func (opts *compareOptions) diffOptions() (diff.Options, error) {
	by, err := diff.ParseGrouping(opts.By)
	if err != nil {
		return diff.Options{}, usageError{fmt.Errorf("--by: %w", err)}
	}
	if opts.Top < 0 {
		return diff.Options{}, usageError{fmt.Errorf("--top must be 0 or more, not %d", opts.Top)}
	}
	d := diff.Options{By: by, Cum: opts.Cum, SampleIndex: opts.SampleIndex, Normalize: opts.Normalize, Top: opts.Top,
		AllowMixed: opts.AllowMixed, KeepAgent: opts.KeepAgent}
	for _, rx := range []struct {
		flag, expr string
		dst        **regexp.Regexp
	}{{"focus", opts.Focus, &d.Focus}, {"ignore", opts.Ignore, &d.Ignore}, {"hide", opts.Hide, &d.Hide}} {
		if rx.expr == "" {
			continue
		}
		re, err := regexp.Compile(rx.expr)
		if err != nil {
			return diff.Options{}, usageError{fmt.Errorf("--%s: invalid regular expression: %w", rx.flag, err)}
		}
		*rx.dst = re
	}
	return d, nil
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

// loadOptions parses --max-size and refuses reading standard input twice.
func loadOptions(s *streams, maxSize string, paths ...string) (profile.Options, error) {
	limit, err := snapshot.ParseBytes(maxSize)
	if err != nil || limit == 0 || limit > 1<<62 {
		return profile.Options{}, usageError{fmt.Errorf("--max-size: %q is not a size like 512MiB or 2GB", maxSize)}
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
