package main

import (
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/spf13/cobra"

	"github.com/heapdiff/heapdiff/diff"
	"github.com/heapdiff/heapdiff/report"
)

// trendOptions holds everything "heapdiff trend" was asked to do.
type trendOptions struct {
	Paths []string
	analysisFlags
	warmUpFlags
	viewFlags
	// Retainers lists heap snapshots' collections that grew at every step
	// (--retainers).
	Retainers bool
}

func newTrendCmd(s *streams, runF func(*trendOptions) error) *cobra.Command {
	opts := &trendOptions{}
	cmd := &cobra.Command{
		Use:   "trend DIR|FILES...",
		Short: "Rank leak suspects across many snapshots: steady growth, plateau, sawtooth, flat, shrinking",
		Long: `Trend follows every allocation site (or function, line, stack, package) across a
series of heap profiles of one process, ordered by the profiles' own times,
and says how it moved: its slope per hour (least squares on the real times),
R², the steps that grew, and a shape: steady growth (the leak signature),
plateau (grew, then stopped: a cache filling), sawtooth/noisy, flat or
shrinking. Sampling noise is accounted for, so a site that is one sample's
worth of jitter is never called a leak. Steady growers rank first, by slope.

A directory stands for every profile in it (hidden files and .md, .json,
.html, .csv, .png, .svg, .log files, gzipped or not, are left out; links
to files are followed). Profiles are read one at a
time and reduced to their sites' values, which past 32 MiB wait in a
temporary file ($TMPDIR), so memory is bounded by the sites however many
snapshots there are (JSON and CSV, which write every value, excepted).
-o trend.html writes one self-contained page: a line chart of the
total heap and the top suspects over time, and the ranked table. Snapshots from different processes (their host= and pid= comments
differ, or their alloc_* totals fall) or with different sample types are
refused unless --allow-mixed is given.`,
		Example: `  heapdiff trend snaps/
  heapdiff trend snaps/*.pb.gz --by func --top 20
  heapdiff trend snaps/ -f json > trend.json
  heapdiff trend snaps/ -o trend.html --open`,
		Args: func(cmd *cobra.Command, args []string) error {
			if err := missingPath(args); err != nil && len(args) < 3 {
				return ranError{err} // an unreadable file, as when loading: exit 1
			}
			if !slices.ContainsFunc(args, isDir) && len(args) < 3 {
				return usageError{fmt.Errorf("trend needs a directory of snapshots or at least three profiles, got %d; compare two with: heapdiff compare BASE TARGET", len(args))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Paths = args
			opts.parsed(cmd)
			if runF != nil {
				return runF(opts)
			}
			return runTrend(s, opts)
		},
	}
	f := cmd.Flags()
	opts.analysisFlags.bind(f, report.Formats...)
	opts.warmUpFlags.bind(f)
	opts.viewFlags.bind(f)
	f.BoolVar(&opts.Retainers, "retainers", false, "heap snapshots of one process: list the collections (Maps, Sets, Arrays, objects used as dictionaries) that grew at every step, with their retainer paths")
	return cmd
}

// runTrend loads the series, computes the trend and renders it.
func runTrend(s *streams, opts *trendOptions) error {
	if err := opts.viewFlags.check(); err != nil {
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
	paths, err := expandPaths(opts.Paths)
	if err != nil {
		return err
	}
	if err := outputNotInput(opts.Output, paths...); err != nil {
		return err
	}
	// Two points always lie on a line: they cannot tell a leak from a
	// plateau or a sawtooth caught high.
	opts.analysisFlags.retainers = opts.Retainers
	t, err := buildTrend(s, paths, &opts.analysisFlags, &opts.warmUpFlags, opts.Top, 3, report.TrendKeepValues(format))
	if errors.Is(err, diff.ErrTooFewSnapshots) && len(paths) == 2 {
		return fmt.Errorf("%w, to judge a shape: two points always fit a line; compare two with: heapdiff compare BASE TARGET", err)
	}
	if err != nil {
		return err
	}
	render := func(w io.Writer) error {
		return report.RenderTrend(w, format, t, report.Options{Color: color})
	}
	if opts.Open {
		return writeAndOpen(s, opts.Output, render)
	}
	return writeOutput(s, opts.Output, render)
}
