package main

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/heapdiff/heapdiff/agent/snapshot"
	"github.com/heapdiff/heapdiff/diff"
	"github.com/heapdiff/heapdiff/profile"
	"github.com/heapdiff/heapdiff/report"
)

// analysisFlags are the flags compare, trend and check share: how stacks are
// grouped, filtered and measured, how large a profile may be, and where and
// how the report is written. Each of those commands embeds them and binds
// them with bind, so every shared flag is declared once, with one help text.
type analysisFlags struct {
	By          string
	SampleIndex string
	Focus       string
	Ignore      string
	Hide        string
	AllowMixed  bool
	KeepAgent   bool
	MaxSize     string
	// ModTime takes the time of a profile that carries none, and whose
	// file name gives none, from its file's modification time.
	ModTime bool
	// ByChosen is set when --by was given (see diff.WantsAllocationStacks):
	// heap snapshots with allocation traces then group by allocation stack
	// instead of by class.
	ByChosen bool
	// retainers asks heap snapshots' loader to keep who holds their
	// objects (set by compare and trend from --retainers).
	retainers bool

	Format string
	Output string
	Color  string
}

// bind declares the shared flags on f. formats lists the formats the command
// writes, for the help of --format.
func (a *analysisFlags) bind(f *pflag.FlagSet, formats ...report.Format) {
	f.StringVar(&a.By, "by", "site", "group rows by: "+strings.Join(diff.GroupingNames(), ", "))
	f.StringVarP(&a.SampleIndex, "sample-index", "i", "", "sample type to sort by and show: inuse_space (default for heap profiles), inuse_objects, alloc_space, alloc_objects, or the profiles' own names")
	f.StringVar(&a.Focus, "focus", "", "keep only stacks with a frame whose function or file matches this regexp")
	f.StringVar(&a.Ignore, "ignore", "", "drop stacks with a frame whose function or file matches this regexp")
	f.StringVar(&a.Hide, "hide", "", "remove frames whose function or file matches this regexp from stacks")
	f.BoolVar(&a.AllowMixed, "allow-mixed", false, "go on, with a warning, with profiles of different programs (their main_module differs), or a series of different processes or sample types")
	f.BoolVar(&a.KeepAgent, "keep-agent", false, "keep the allocations of heapdiff's own capture agent, left out by default")
	f.StringVar(&a.MaxSize, "max-size", "1GiB", "refuse profiles that decompress to more than this")
	f.BoolVar(&a.ModTime, "mtime", false, "take the time of a profile that carries none, and whose file name gives none (heap snapshots named otherwise than by Node.js or Bun), from its file's modification time; a last resort, as copying a file can change it (the header says \"time from file modification time\")")

	names := make([]string, len(formats))
	for i, ft := range formats {
		names[i] = string(ft)
	}
	defaults := "from -o's extension, else text"
	if slices.Contains(formats, report.FormatHTML) {
		defaults += "; html with --open"
	}
	f.StringVarP(&a.Format, "format", "f", "", "output format: "+strings.Join(names, ", ")+" (default: "+defaults+")")
	f.StringVarP(&a.Output, "output", "o", "", "write to this file instead of standard output")
	f.StringVar(&a.Color, "color", "auto", "color text output: auto (only on a terminal, unless NO_COLOR is set or TERM=dumb), always, never")
}

// parsed records what only the parsed command line tells: whether --by was
// given. Every command that embeds the flags calls it first in its RunE.
func (a *analysisFlags) parsed(cmd *cobra.Command) { a.ByChosen = cmd.Flags().Changed("by") }

// diffOptions checks the grouping and the filters and turns them into a
// comparison's options; the caller adds what is its own (Cum, Top, ...).
func (a *analysisFlags) diffOptions() (diff.Options, error) {
	by, err := diff.ParseGrouping(a.By)
	if err != nil {
		return diff.Options{}, usageError{fmt.Errorf("--by: %w", err)}
	}
	d := diff.Options{By: by, SampleIndex: a.SampleIndex, AllowMixed: a.AllowMixed, KeepAgent: a.KeepAgent}
	for _, rx := range []struct {
		flag, expr string
		dst        **regexp.Regexp
	}{{"focus", a.Focus, &d.Focus}, {"ignore", a.Ignore, &d.Ignore}, {"hide", a.Hide, &d.Hide}} {
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

// fileTime gives p, loaded from path, its file's modification time when
// --mtime asks and p has no time of its own or from its name. A cached copy
// of an s3:// object is refused: its time is when it was downloaded.
func (a *analysisFlags) fileTime(s *streams, p *profile.Profile, path string) error {
	if !a.ModTime || !p.Time.IsZero() {
		return nil
	}
	if url, remote := s.sourceNames[path]; remote {
		return usageError{fmt.Errorf("--mtime: %s carries no time, and its downloaded copy's modification time is when it was downloaded, not when it was written", profile.Printable(url))}
	}
	return profile.UseModTime(p, path)
}

// output picks the report's format and decides on colors. A directory given
// to -o is refused here, before any work, naming the path as given.
func (a *analysisFlags) output(s *streams) (report.Format, bool, error) {
	format, err := chooseFormat(a.Format, a.Output)
	if err != nil {
		return "", false, err
	}
	if a.Output != "" && a.Output != "-" && isDir(a.Output) {
		return "", false, usageError{fmt.Errorf("-o %s: is a directory; give the report's file name", profile.Printable(a.Output))}
	}
	color, err := useColor(s, a.Color, format, a.Output)
	return format, color, err
}

// viewFlags are the flags of the commands that show rows and can open an
// HTML report: compare and trend.
type viewFlags struct {
	Top  int
	Open bool
}

func (v *viewFlags) bind(f *pflag.FlagSet) {
	f.IntVar(&v.Top, "top", 0, "show only the first N rows (0 shows all); the rest are summed in one line")
	f.BoolVar(&v.Open, "open", false, "open the HTML report in a web browser ($BROWSER, else the system's opener); without -o it is written to a temporary file")
}

// check refuses a negative --top.
func (v *viewFlags) check() error {
	if v.Top < 0 {
		return usageError{fmt.Errorf("--top must be 0 or more, not %d", v.Top)}
	}
	return nil
}

// warmUpFlags leave a service's warm-up out of a series: trend and check.
type warmUpFlags struct {
	Skip  int
	Since string
}

func (w *warmUpFlags) bind(f *pflag.FlagSet) {
	f.IntVar(&w.Skip, "skip", 0, "leave out the first N snapshots (in time order), e.g. a service's warm-up")
	f.StringVar(&w.Since, "since", "", "leave out snapshots taken before this: a time (2026-11-26T10:30:00Z) or a duration after the first snapshot (10m, 1d)")
}

// apply checks the flags and sets the trend options that leave out the
// warm-up.
func (w *warmUpFlags) apply(o *diff.TrendOptions) error {
	if w.Skip < 0 {
		return usageError{fmt.Errorf("--skip %d: want a number of snapshots, 0 or more", w.Skip)}
	}
	o.Skip = w.Skip
	if w.Since == "" {
		return nil
	}
	if t, err := time.Parse(time.RFC3339, w.Since); err == nil {
		o.Since = t
		return nil
	}
	d, err := snapshot.ParseDuration(w.Since)
	if err != nil || d < 0 {
		return usageError{fmt.Errorf("--since %s: want a time like 2026-11-26T10:30:00Z or a duration after the first snapshot like 10m or 1d", profile.Printable(w.Since))}
	}
	o.SinceStart = d
	return nil
}

// leavesOutWarmUp reports whether --skip or --since was given.
func (w *warmUpFlags) leavesOutWarmUp() bool { return w.Skip != 0 || w.Since != "" }

// seriesOptions checks the flags a series is read with and turns them into a
// trend's options; top is --top (0 for check).
func seriesOptions(a *analysisFlags, w *warmUpFlags, top int) (diff.TrendOptions, error) {
	d, err := a.diffOptions()
	if err != nil {
		return diff.TrendOptions{}, err
	}
	d.Top = top
	o := diff.TrendOptions{Options: d, AllowMixed: a.AllowMixed}
	return o, w.apply(&o)
}

func isDir(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.IsDir()
}

// pprofFlags are the spellings of pprof's flags that mean what one of
// heapdiff's does: the flag they stand for, and the value they imply, if
// any. pprof users type them from habit, and pflag would read -sample_index
// as -s -a -m... and -focus=x as -f ocus=x.
var pprofFlags = map[string]struct{ flag, value string }{
	"sample_index":  {"sample-index", ""},
	"inuse_space":   {"sample-index", "inuse_space"},
	"inuse_objects": {"sample-index", "inuse_objects"},
	"alloc_space":   {"sample-index", "alloc_space"},
	"alloc_objects": {"sample-index", "alloc_objects"},
	"nodecount":     {"top", ""},
	"lines":         {"by", "line"},
	"functions":     {"by", "func"},
}

// pprofOnlyFlags are pprof's flags that no flag of heapdiff's stands for,
// with what to do instead. Typed from habit with one dash, pflag would
// read most of them as shorthands: -flat as -f lat, -http=:8080 as -h.
var pprofOnlyFlags = func() map[string]string {
	m := map[string]string{
		"diff_base": "give the base profile as the first argument: heapdiff compare BASE TARGET",
		"base":      "give the base profile as the first argument: heapdiff compare BASE TARGET",
		"flat":      "flat values are what heapdiff shows; --cum adds cumulative columns",
		"http":      "heapdiff serves no page; -o report.html writes one to open",
		"web":       "heapdiff serves no page; -o report.html writes one to open",
		"text":      "text is heapdiff's default output; -f json|csv|md|html for the others",
	}
	for _, f := range []string{"tagfocus", "tagignore", "tagshow", "taghide", "tags"} {
		m[f] = "heapdiff does not read pprof's labels; --focus, --ignore and --hide match frames"
	}
	for _, f := range []string{"svg", "png", "pdf", "gif", "dot", "ps", "proto", "raw", "traces", "tree", "list", "peek", "weblist", "disasm", "callgrind", "kcachegrind", "topproto"} {
		m[f] = "heapdiff writes text, json, csv, md or html: -f FORMAT, -o FILE"
	}
	return m
}()

// respell rewrites, in the arguments of a command whose flags are fs, the
// spellings of flags that Go's flag package and pprof accept and pflag does
// not: a long flag with one dash (-focus=x, -top 5) and pprof's names
// (pprofFlags). Values of flags and everything after "--" are left as they
// are. A pprof flag that none of heapdiff's stands for (pprofOnlyFlags) is
// refused with what to do instead.
func respell(fs *pflag.FlagSet, args []string) ([]string, error) {
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if arg == "--" {
			return append(out, args[i:]...), nil
		}
		if !strings.HasPrefix(arg, "-") || arg == "-" {
			out = append(out, arg)
			continue
		}
		dashes := 1
		if strings.HasPrefix(arg, "--") {
			dashes = 2
		}
		name, value, hasValue := strings.Cut(arg[dashes:], "=")
		if instead, ok := pprofOnlyFlags[name]; ok && dashes == 1 && fs.Lookup(name) == nil {
			return nil, usageError{fmt.Errorf("pprof's -%s is not a flag of heapdiff's: %s", name, instead)}
		}
		if p, ok := pprofFlags[name]; ok && fs.Lookup(p.flag) != nil {
			switch {
			case p.value == "":
				name = p.flag
			case !hasValue || value == "true":
				name, value, hasValue = p.flag, p.value, true
			}
		}
		f := fs.Lookup(name)
		if f == nil || (dashes == 1 && len(name) == 1) {
			// A shorthand (-i x, -fjson) or not a flag of ours.
			if dashes == 1 && len(arg) == 2 {
				if f := fs.ShorthandLookup(arg[1:]); f != nil && f.NoOptDefVal == "" {
					out = append(out, arg)
					i++ // its value
					if i < len(args) {
						out = append(out, args[i])
					}
					continue
				}
			}
			out = append(out, arg)
			continue
		}
		arg = "--" + name
		if hasValue {
			arg += "=" + value
		}
		out = append(out, arg)
		if !hasValue && f.NoOptDefVal == "" && i+1 < len(args) {
			i++ // its value, whatever it looks like
			out = append(out, args[i])
		}
	}
	return out, nil
}

// explainFlagError turns pflag's "unknown shorthand flag: 's' in
// -sample_index" for a word after one dash into a line that says how
// heapdiff spells its flags.
func explainFlagError(cmd *cobra.Command, err error) error {
	var ne *pflag.NotExistError
	if errors.As(err, &ne) {
		if word := ne.GetSpecifiedShortnames(); len(word) > 1 && !strings.ContainsAny(word[:1], "0123456789") {
			return usageError{fmt.Errorf("unknown flag -%s (heapdiff's flags are spelled --name; %q lists them)",
				word, "heapdiff "+cmd.Name()+" --help")}
		}
	}
	return usageError{err}
}
