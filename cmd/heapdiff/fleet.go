package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/heapdiff/heapdiff/agent/upload"
	"github.com/heapdiff/heapdiff/diff"
	"github.com/heapdiff/heapdiff/internal/fanout"
	"github.com/heapdiff/heapdiff/internal/units"
	"github.com/heapdiff/heapdiff/profile"
	"github.com/heapdiff/heapdiff/remote"
	"github.com/heapdiff/heapdiff/report"
)

// fleetOptions holds everything "heapdiff fleet" was asked to do.
type fleetOptions struct {
	Source string
	analysisFlags
	warmUpFlags
	remoteFlags
	MinSnapshots int
	Open         bool
}

func newFleetCmd(s *streams, runF func(*fleetOptions) error) *cobra.Command {
	opts := &fleetOptions{}
	cmd := &cobra.Command{
		Use:   "fleet s3://BUCKET/PREFIX/ | DIR",
		Short: "Rank a service's processes by heap growth and tell leaks in the code from leaks in one instance",
		Long: `Fleet looks across many processes of one service (pods, VMs, machines that
come and go), each with its own series of snapshots, as the capture agent's
uploads lay them out (PREFIX/SERVICE/HOST/PID/heap-....pb.gz, and
PREFIX/SERVICE/HOST/PID/Heap....heapsnapshot for Node.js, from "heapdiff
capture node://... --upload") or as they sit in a local directory tree. It follows each process as "heapdiff trend" does,
then says:

  - which processes leak, ranked by how fast their live heap grows
    (inuse_space per hour: the slope of the least-squares line, "~" when it
    is within sampling noise), with the shape of each;
  - which leak suspects (sites growing steadily beyond noise) are shared by
    most processes, at least half and two or more: a leak in the code every
    instance runs; by some; or found in one process only: a bad instance or
    bad input.

Processes are told apart by their keys' SERVICE/HOST/PID, or, in another
layout, by folder and by the host and pid in snapshot file names (a Node.js
file name gives a pid only). A process
with fewer than --min-snapshots snapshots, or whose snapshots do not form one
series, is listed as not judged, with the reason. Each process's trend is
reduced to a summary before the next is read, so memory grows with sites,
not with the number of snapshots. An object that is not a heap profile
stops the command, naming it, unless --skip-broken.`,
		Example: `  heapdiff fleet s3://snapshots/prod/api/
  heapdiff fleet s3://snapshots/prod/api/ -o fleet.html --open
  heapdiff fleet s3://snapshots/prod/api/ -f json > fleet.json
  heapdiff fleet /var/lib/heapdiff/ --since 15m`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError{fmt.Errorf("fleet needs one s3:// prefix or directory; got %d argument(s)", len(args))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Source = args[0]
			opts.parsed(cmd)
			if runF != nil {
				return runF(opts)
			}
			ctx := cmd.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			return runFleet(ctx, s, opts)
		},
	}
	f := cmd.Flags()
	opts.analysisFlags.bind(f, report.FormatText, report.FormatJSON, report.FormatMarkdown, report.FormatHTML)
	opts.warmUpFlags.bind(f)
	opts.remoteFlags.register(f)
	f.IntVar(&opts.MinSnapshots, "min-snapshots", 3, "judge only processes with at least this many snapshots (3 or more)")
	f.BoolVar(&opts.Open, "open", false, "open the HTML report in a web browser ($BROWSER, else the system's opener); without -o it is written to a temporary file")
	return cmd
}

// runFleet lists the source, follows every process and renders the fleet.
func runFleet(ctx context.Context, s *streams, opts *fleetOptions) error {
	if opts.MinSnapshots < 3 {
		return usageError{fmt.Errorf("--min-snapshots %d: a shape needs 3 snapshots or more", opts.MinSnapshots)}
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
	if format == report.FormatCSV {
		return usageError{errors.New("fleet writes text, json, md or html, not csv")}
	}
	topts, err := seriesOptions(&opts.analysisFlags, &opts.warmUpFlags, 0)
	if err != nil {
		return err
	}
	topts.MinSnapshots = opts.MinSnapshots
	// A process's summary needs its series' verdicts, not their values,
	// and the spills' budget is shared by the processes followed at once.
	topts.KeepValues, topts.Spill, topts.SpillAfter = diff.NoValues, tempSpill, max(1, spillAfter/int64(loadWindow()))
	loadOpts, err := loadOptions(s, opts.MaxSize)
	if err != nil {
		return err
	}
	loadOpts.AllocationStacks = diff.WantsAllocationStacks(opts.ByChosen, topts.By)
	if opts.ModTime && upload.IsURL(opts.Source) {
		return usageError{errors.New("--mtime reads local files' modification times; an s3:// object's downloaded copy has the time it was downloaded")}
	}
	objs, err := listSource(ctx, s, &opts.remoteFlags, opts.Source)
	if err != nil {
		return err
	}
	if !upload.IsURL(opts.Source) {
		local := make([]string, len(objs))
		for i, o := range objs {
			local[i] = o.URL
		}
		if err := outputNotInput(opts.Output, local...); err != nil {
			return err
		}
	}
	groups := remote.GroupByProcess(objs)
	summaries := make([]diff.ProcessSummary, len(groups))
	skipped := make([][]string, len(groups))
	errs := make([]error, len(groups))
	// A few processes at a time, each read one snapshot at a time: at most
	// loadWindow trends and profiles are in memory at once.
	// A bug's panic in one is raised again here, where guard sees it.
	var work fanout.Group
	sem := make(chan struct{}, loadWindow())
	for i, g := range groups {
		sem <- struct{}{}
		work.Go(func() {
			defer func() { <-sem }()
			summaries[i], skipped[i], errs[i] = followProcess(g, topts, loadOpts, opts.SkipBroken, opts.ModTime)
		})
	}
	work.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	f := diff.NewFleet(summaries)
	n := 0
	for _, sk := range skipped {
		for _, msg := range sk {
			fmt.Fprintf(s.ErrOut, "heapdiff: skipped %s\n", msg)
			n++
		}
	}
	if n > 0 {
		f.Warnings = append(f.Warnings, fmt.Sprintf("%d object(s) are not heap profiles and were skipped (--skip-broken)", n))
	}
	render := func(w io.Writer) error {
		return report.RenderFleet(w, format, f, opts.Source, report.Options{Color: color})
	}
	if opts.Open {
		return writeAndOpen(s, opts.Output, render)
	}
	return writeOutput(s, opts.Output, render)
}

// listSource lists the snapshots of an s3:// prefix (fetched into the
// cache) or of a local directory tree, in time order, leaving out hidden
// files and reports.
func listSource(ctx context.Context, s *streams, rf *remoteFlags, source string) ([]remote.Object, error) {
	if !upload.IsURL(source) {
		st, err := os.Stat(source)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", profile.Printable(source), pathless(err))
		}
		if !st.IsDir() {
			return nil, usageError{fmt.Errorf("%s is a file; fleet reads a directory tree or an s3:// prefix", profile.Printable(source))}
		}
		objs, err := remote.ListLocal(source)
		if err != nil {
			return nil, err
		}
		if objs = profileObjects(objs); len(objs) == 0 {
			return nil, fmt.Errorf("%s holds no profiles", profile.Printable(source))
		}
		return objs, nil
	}
	loc, err := upload.ParseURL(source)
	if err != nil {
		return nil, usageError{err}
	}
	st, err := rf.open(ctx)
	if err != nil {
		return nil, err
	}
	objs, err := st.List(ctx, loc.Dir())
	if err != nil {
		return nil, err
	}
	if objs = profileObjects(objs); len(objs) == 0 {
		return nil, fmt.Errorf("%s holds no profiles", loc.Dir())
	}
	fs, err := st.Fetch(ctx, objs, fetchProgress(s, loc.String()))
	if err != nil {
		return nil, err
	}
	if s.ErrIsTerminal {
		fmt.Fprintf(s.ErrOut, "%s: %d object(s), %d downloaded (%s), %d from the cache\n", loc.Dir(), fs.Objects, fs.Downloaded, units.Bytes(fs.Bytes), fs.Cached)
	}
	return objs, nil
}

// followProcess builds one process's trend, a snapshot at a time, and
// keeps its summary. A process that cannot be judged gets a problem; an
// object that is not a profile fails the fleet, naming it, or with skip is
// left out and reported (skipped). With modTime, a snapshot without a time
// takes its file's modification time (--mtime: local trees only).
func followProcess(g remote.Group, opts diff.TrendOptions, loadOpts profile.Options, skip, modTime bool) (sum diff.ProcessSummary, skipped []string, err error) {
	name := g.Process.Name()
	if len(g.Objects) < opts.MinSnapshots {
		return diff.UnjudgedProcess(name, len(g.Objects), fmt.Sprintf("%d snapshot(s): a trend needs %d", len(g.Objects), opts.MinSnapshots)), nil, nil
	}
	// Messages name objects by URL, not by their cached copies.
	var pairs []string
	for _, o := range g.Objects {
		if o.Path != o.URL {
			pairs = append(pairs, profile.Printable(o.Path), profile.Printable(o.URL))
		}
	}
	named := strings.NewReplacer(pairs...)
	problem := func(err error) string { return named.Replace(oneLine(err.Error())) }
	var b *diff.TrendBuilder
	defer func() {
		if b != nil {
			_ = b.Close() // a removed temporary file (tempSpill), of no more use
		}
	}()
	added := 0
	for _, o := range g.Objects {
		p, err := profile.Load(o.Path, loadOpts)
		if err == nil && modTime {
			err = profile.UseModTime(p, o.Path)
		}
		if err != nil {
			msg := strings.ReplaceAll(explainLoadError(err).Error(), "load "+profile.Printable(o.Path)+": ", "")
			if !skip {
				return sum, nil, fmt.Errorf("%s: %s (pass --skip-broken to leave such objects out)", profile.Printable(o.URL), msg)
			}
			skipped = append(skipped, profile.Printable(o.URL)+": "+msg)
			continue
		}
		p.Name = profile.Printable(o.URL) // not its cached copy
		if b == nil {
			opts.By = diff.GroupingFor(opts.By, p)
			b = diff.NewTrend(opts)
		}
		if err := b.Add(p); errors.Is(err, diff.ErrSpill) {
			return sum, nil, err // the machine's trouble, not the process's
		} else if err != nil {
			return diff.UnjudgedProcess(name, len(g.Objects), problem(err)), skipped, nil
		}
		added++
	}
	if b == nil {
		return diff.UnjudgedProcess(name, len(g.Objects), "no snapshot could be read"), skipped, nil
	}
	t, err := b.Trend()
	if errors.Is(err, diff.ErrSpill) {
		return sum, nil, err
	} else if err != nil {
		return diff.UnjudgedProcess(name, added, problem(err)), skipped, nil
	}
	return diff.SummarizeProcess(name, t), skipped, nil
}
