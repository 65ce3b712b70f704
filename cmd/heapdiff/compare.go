package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/heapdiff/heapdiff/diff"
	"github.com/heapdiff/heapdiff/profile"
	"github.com/heapdiff/heapdiff/report"
)

// compareOptions holds everything "heapdiff compare" was asked to do.
type compareOptions struct {
	Base, Target string
	analysisFlags
	viewFlags

	Cum       bool
	Normalize bool
	// Retainers asks who holds what grew (--retainers; on by default for
	// the HTML page, unless --retainers=false).
	Retainers    bool
	retainersSet bool
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
  heapdiff compare before.heapsnapshot after.heapsnapshot --retainers
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
			opts.parsed(cmd)
			opts.retainersSet = cmd.Flags().Changed("retainers")
			if runF != nil {
				return runF(opts)
			}
			return runCompare(s, opts)
		},
	}
	f := cmd.Flags()
	opts.analysisFlags.bind(f, report.Formats...)
	f.BoolVar(&opts.Cum, "cum", false, "add cumulative values (each stack counted once in every group it passes through)")
	f.BoolVar(&opts.Normalize, "normalize", false, "scale the base so its totals equal the target's (hides overall growth)")
	f.BoolVar(&opts.Retainers, "retainers", false, "heap snapshots: show who holds the new objects of the classes that grew most (retainer paths, clustered) and which collections grew; on by default with -f html")
	opts.viewFlags.bind(f)
	return cmd
}

// runCompare loads both profiles, compares them and renders the comparison.
func runCompare(s *streams, opts *compareOptions) error {
	diffOpts, err := opts.diffOptions()
	if err != nil {
		return err
	}
	format, color, err := opts.output(s)
	if err != nil {
		return err
	}
	if opts.Open {
		if format, err = openFormat(opts.Format, opts.Output, format); err != nil {
			return err
		}
	}
	// The renderers name each row as they write it (diff.Row.Named), so
	// that --by stack holds one row's name at a time, not millions.
	diffOpts.DeferNames = true
	switch format {
	case report.FormatHTML:
		diffOpts = report.HTMLOptions(diffOpts) // the page's detail, in the same pass; the page cuts its rows (report.Options.Top)
	case report.FormatText, report.FormatMarkdown:
		// These views leave out rows with nothing to show, so they cut
		// the rows themselves: --top N shows N rows (report.TopShown).
		diffOpts.Top = 0
	}
	if err := outputNotInput(opts.Output, opts.Base, opts.Target); err != nil {
		return err
	}
	pr := newProgress(s)
	defer pr.done()
	opts.analysisFlags.retainers = opts.Retainers || format == report.FormatHTML && !opts.retainersSet
	cmp, profiles, err := loadAndCompare(s, &opts.analysisFlags, []string{opts.Base, opts.Target}, diffOpts, pr)
	if err != nil {
		return err
	}
	if opts.analysisFlags.retainers {
		pr.show("finding who holds what grew")
		cmp.Holders = diff.FindHolders(cmp, profiles[0], profiles[1], diff.HolderOptions{})
	}
	relaxGC()
	if format == report.FormatText || format == report.FormatMarkdown {
		report.TopShown(cmp, opts.Top)
	}
	ropts := report.Options{Color: color, Top: opts.Top}
	render := func(w io.Writer) error { return report.Render(w, format, cmp, ropts) }
	if opts.Open {
		pr.done() // writeAndOpen may say where the report went
		return writeAndOpen(s, opts.Output, render)
	}
	if opts.Output != "" && opts.Output != "-" {
		pr.show("writing %s", profile.Printable(opts.Output))
	} else {
		pr.done() // the report goes to standard output, maybe this terminal
	}
	return writeOutput(s, opts.Output, render)
}

// diffOptions checks the flags and turns them into the comparison's options.
func (opts *compareOptions) diffOptions() (diff.Options, error) {
	if err := opts.viewFlags.check(); err != nil {
		return diff.Options{}, err
	}
	d, err := opts.analysisFlags.diffOptions()
	d.Cum, d.Normalize, d.Top = opts.Cum, opts.Normalize, opts.Top
	return d, err
}
