package main

import (
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/heapdiff/heapdiff/agent/snapshot"
	"github.com/heapdiff/heapdiff/diff"
	"github.com/heapdiff/heapdiff/report"
)

// checkOptions holds everything "heapdiff check" was asked to do.
type checkOptions struct {
	Paths []string
	analysisFlags
	warmUpFlags

	MaxGrowth     string
	MaxSiteGrowth string
	MaxRate       string
	MaxSiteRate   string
}

func newCheckCmd(s *streams, runF func(*checkOptions) error) *cobra.Command {
	opts := &checkOptions{}
	cmd := &cobra.Command{
		Use:   "check BASE TARGET | DIR|FILES... --max-growth SIZE|PCT --max-site-growth SIZE --max-rate RATE",
		Short: "Fail (exit 3) when memory grew beyond a budget: a gate for CI and load tests",
		Long: `Check judges memory growth against budgets and exits 0 within budget, 3 over
budget, 1 on errors. The first line of its output is the verdict; the sites
over budget follow.

With two profiles, BASE and TARGET, growth is their difference and a rate is
that difference per hour between their times. With a directory or more
profiles, growth and rates come from the least-squares line through the
series (as "heapdiff trend" computes it).

Budgets take sizes as people write them (512KiB, 20MB, 1.5GiB; with
--sample-index inuse_objects they count objects), --max-growth also a
percentage of the starting total (10%), and rates per hour, minute, second
or day (10MiB/h, 200KiB/min, 1GB/day). A change within sampling noise never
fails a budget.`,
		Example: `  heapdiff check before.pb.gz after.pb.gz --max-growth 20MiB --max-site-growth 5MiB --max-rate 10MiB/h
  heapdiff check snaps/ --max-rate 10MiB/h
  heapdiff check before.pb.gz after.pb.gz --max-growth 10% -f md > comment.md`,
		Args: func(cmd *cobra.Command, args []string) error {
			if err := missingPath(args); err != nil && len(args) < 3 {
				return ranError{err} // an unreadable file, as when loading: exit 1
			}
			if !slices.ContainsFunc(args, isDir) && len(args) < 2 {
				return usageError{fmt.Errorf("check needs two profiles (BASE TARGET) or a series (a directory or more profiles), got %d", len(args))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Paths = args
			opts.parsed(cmd)
			if runF != nil {
				return runF(opts)
			}
			return runCheck(s, opts)
		},
	}
	f := cmd.Flags()
	opts.analysisFlags.bind(f, report.FormatText, report.FormatJSON, report.FormatCSV, report.FormatMarkdown)
	opts.warmUpFlags.bind(f)
	f.StringVar(&opts.MaxGrowth, "max-growth", "", "budget for the total's growth: a size (20MiB) or a percentage of the start (10%)")
	f.StringVar(&opts.MaxSiteGrowth, "max-site-growth", "", "budget for any one site's growth (5MiB)")
	f.StringVar(&opts.MaxRate, "max-rate", "", "budget for the total's growth per hour (10MiB/h, 200KiB/min, 1GB/day)")
	f.StringVar(&opts.MaxSiteRate, "max-site-rate", "", "budget for any one site's growth per hour")
	return cmd
}

// runCheck measures the profiles, judges the budgets and renders the
// verdict; over budget it returns an exitCodeError with exitOverBudget.
func runCheck(s *streams, opts *checkOptions) error {
	limits, err := opts.limits()
	if err != nil {
		return err
	}
	format, color, err := opts.output(s)
	if err != nil {
		return err
	}
	if format == report.FormatHTML {
		return usageError{errors.New("check writes text, json, csv or md, not html; heapdiff trend and compare write HTML reports")}
	}
	if paths, err := expandPaths(opts.Paths); err == nil {
		if err := outputNotInput(opts.Output, paths...); err != nil {
			return err
		}
	}
	bc, err := opts.judge(s, limits)
	if errors.Is(err, diff.ErrNoTimes) {
		return fmt.Errorf("--max-rate and --max-site-rate need profiles that carry their time, taken at least 10s apart, and these are not; use --max-growth and --max-site-growth")
	}
	if err != nil {
		return err
	}
	if err := writeOutput(s, opts.Output, func(w io.Writer) error {
		return report.RenderCheck(w, format, bc, report.Options{Color: color})
	}); err != nil {
		return err
	}
	msg := report.CheckSummary(bc)
	if format == report.FormatText && (opts.Output == "" || opts.Output == "-") {
		msg = "" // the report on standard output starts with the verdict
	}
	if !bc.Over {
		if msg != "" {
			// The verdict shows in CI logs whatever the report's format.
			fmt.Fprintf(s.ErrOut, "heapdiff: %s\n", oneLine(msg))
		}
		return nil
	}
	return exitCodeError{code: exitOverBudget, msg: msg}
}

// judge compares two profiles, or follows a series, and checks the limits.
func (opts *checkOptions) judge(s *streams, limits []diff.Budget) (*diff.BudgetCheck, error) {
	pair := len(opts.Paths) == 2 && !isDir(opts.Paths[0]) && !isDir(opts.Paths[1]) && !opts.leavesOutWarmUp()
	if !pair {
		paths, err := expandPaths(opts.Paths)
		if err != nil {
			return nil, err
		}
		// Budgets read the verdicts, not the values.
		t, err := buildTrend(s, paths, &opts.analysisFlags, &opts.warmUpFlags, 0, 2, diff.NoValues)
		if err != nil {
			return nil, err
		}
		return diff.CheckTrend(t, limits)
	}
	d, err := opts.diffOptions()
	if err != nil {
		return nil, err
	}
	pr := newProgress(s)
	defer pr.done()
	c, _, err := loadAndCompare(s, &opts.analysisFlags, opts.Paths, d, pr)
	if err != nil {
		return nil, err
	}
	return diff.CheckComparison(c, limits)
}

// limits parses the budget flags; at least one is needed.
func (opts *checkOptions) limits() ([]diff.Budget, error) {
	var limits []diff.Budget
	if v := opts.MaxGrowth; v != "" {
		if pct, ok := strings.CutSuffix(strings.TrimSpace(v), "%"); ok {
			p, err := strconv.ParseFloat(strings.TrimSpace(pct), 64)
			if err != nil || !(p >= 0) || math.IsInf(p, 0) { // also refuses NaN
				return nil, usageError{fmt.Errorf("--max-growth: %q is not a percentage like 10%%", v)}
			}
			limits = append(limits, diff.Budget{Measure: diff.TotalPercent, Max: p})
		} else {
			size, err := parseSize("--max-growth", v)
			if err != nil {
				return nil, err
			}
			limits = append(limits, diff.Budget{Measure: diff.TotalGrowth, Max: size})
		}
	}
	if v := opts.MaxSiteGrowth; v != "" {
		size, err := parseSize("--max-site-growth", v)
		if err != nil {
			return nil, err
		}
		limits = append(limits, diff.Budget{Measure: diff.GroupGrowth, Max: size})
	}
	for _, r := range []struct {
		flag, value string
		measure     diff.Measure
	}{{"--max-rate", opts.MaxRate, diff.TotalRate}, {"--max-site-rate", opts.MaxSiteRate, diff.GroupRate}} {
		if r.value == "" {
			continue
		}
		rate, err := parseRate(r.flag, r.value)
		if err != nil {
			return nil, err
		}
		limits = append(limits, diff.Budget{Measure: r.measure, Max: rate})
	}
	if len(limits) == 0 {
		return nil, usageError{errors.New("check needs a budget: --max-growth, --max-site-growth, --max-rate or --max-site-rate")}
	}
	return limits, nil
}

// parseSize reads a size as people write it: 512KiB, 20MB, 1.5GiB, 1000.
func parseSize(flag, s string) (float64, error) {
	n, err := snapshot.ParseBytes(strings.TrimSpace(s))
	if err != nil || strings.HasPrefix(strings.TrimSpace(s), "-") {
		return 0, usageError{fmt.Errorf("%s: %q is not a size like 512KiB or 20MB", flag, s)}
	}
	return float64(n), nil
}

// parseRate reads a rate as people write it, 10MiB/h or 1GB/day, and
// returns it per hour. It is the agent's HEAPDIFF_GROWTH_ALERT syntax.
func parseRate(flag, s string) (float64, error) {
	n, err := snapshot.ParseRate(s)
	if err != nil {
		return 0, usageError{fmt.Errorf("%s: %q is not a rate like 10MiB/h, 200KiB/min or 1GB/day", flag, s)}
	}
	return n, nil
}
