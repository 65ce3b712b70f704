// Package report renders what diff computes: the last stage of heapdiff's
// pipeline (profile → diff → report). Each of diff's results has a
// renderer per format (text for terminals; JSON, CSV and Markdown for
// machines and pull requests; HTML for one self-contained page with
// charts), and Render, RenderTrend and RenderCheck pick one by Format:
//
//   - a comparison (*diff.Comparison): Text, JSON, CSV, Markdown and HTML.
//     The page also draws the comparison's detail (diff.Comparison.Detail:
//     the call tree, each row's stacks, the rows by allocation site), which
//     Compare keeps in its one pass over the profiles when asked: compare
//     with HTMLOptions. The page lists at most HTMLMaxRows rows (Options.Top
//     fewer) and sums the others;
//   - a trend (*diff.Trend): TrendText, TrendJSON, TrendCSV, TrendMarkdown
//     and TrendHTML;
//   - a budget verdict (*diff.BudgetCheck): CheckText, CheckJSON, CheckCSV
//     and CheckMarkdown, and CheckSummary in one line.
//
// Renderers never decide what is noise or what is over a budget: they show
// the Significant and Over verdicts diff reached, "~" where a change is
// within noise. They write sizes and times as the rest of heapdiff does
// (internal/units), and color text through one painter.
package report

import (
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/heapdiff/heapdiff/diff"
	"github.com/heapdiff/heapdiff/internal/units"
)

// Format names an output format.
type Format string

// The output formats.
const (
	FormatText     Format = "text"
	FormatJSON     Format = "json"
	FormatCSV      Format = "csv"
	FormatMarkdown Format = "md"
	FormatHTML     Format = "html"
)

// Formats lists every format, for help texts.
var Formats = []Format{FormatText, FormatJSON, FormatCSV, FormatMarkdown, FormatHTML}

// ParseFormat reads a format name; "markdown" is accepted for "md".
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(s) {
	case "text", "txt":
		return FormatText, nil
	case "json":
		return FormatJSON, nil
	case "csv":
		return FormatCSV, nil
	case "md", "markdown":
		return FormatMarkdown, nil
	case "html", "htm":
		return FormatHTML, nil
	}
	return "", fmt.Errorf("unknown format %q (want text, json, csv, md or html)", s)
}

// FormatForPath picks a format from a file name's extension, looking
// through a last ".gz" (report.json.gz is JSON, to be written gzipped: see
// Gzipped); ok is false when the extension names none.
func FormatForPath(path string) (f Format, ok bool) {
	if Gzipped(path) {
		path = path[:len(path)-len(".gz")]
	}
	ext := strings.TrimPrefix(filepath.Ext(path), ".")
	if ext == "" {
		return "", false
	}
	f, err := ParseFormat(ext)
	return f, err == nil
}

// Gzipped reports whether a report written to path is to be gzipped: its
// name ends in ".gz" (in any case), as report.csv.gz does.
func Gzipped(path string) bool {
	return len(path) > len(".gz") && strings.EqualFold(path[len(path)-len(".gz"):], ".gz")
}

// Options control rendering.
type Options struct {
	// Color adds ANSI colors to text output: growth red, shrinkage blue.
	Color bool
	// Top is how many rows the HTML page lists (--top): the first Top of
	// the rows it can show, at most HTMLMaxRows, the others summed in its
	// last row; 0 lists up to HTMLMaxRows. Text and Markdown are cut by
	// TopShown instead; JSON and CSV by diff.Options.Top.
	Top int
}

// Render writes c in format f.
func Render(w io.Writer, f Format, c *diff.Comparison, opts Options) error {
	switch f {
	case FormatText:
		return Text(w, c, opts)
	case FormatJSON:
		return JSON(w, c)
	case FormatCSV:
		return CSV(w, c)
	case FormatMarkdown:
		return Markdown(w, c)
	case FormatHTML:
		return htmlPage(w, c, opts.Top)
	}
	return fmt.Errorf("unknown format %q", f)
}

// Noise is what every renderer shows in place of a percentage when a change
// is within sampling noise, as benchstat does.
const Noise = "~"

// percentCell shows a change's relative size: "new", "gone", "~" within noise,
// or a signed percentage.
func percentCell(c diff.Change) string {
	switch c.Status() {
	case diff.Same:
		return "0%"
	case diff.New:
		if !c.Significant {
			return Noise + " new"
		}
		return "new"
	case diff.Gone:
		if !c.Significant {
			return Noise + " gone"
		}
		return "gone"
	}
	if !c.Significant {
		return Noise
	}
	pct, _ := c.Percent()
	return signedPercent(pct)
}

func signedPercent(pct float64) string {
	s := strconv.FormatFloat(pct, 'f', 1, 64) + "%"
	if pct > 0 {
		s = "+" + s
	}
	return s
}

// rateCell shows a change per hour, or "" when the interval is unknown.
func rateCell(c *diff.Comparison, ch diff.Change, unit string) string {
	r, ok := c.RatePerHour(ch)
	if !ok {
		return ""
	}
	return units.Format(r, unit, true) + "/h"
}

// keptCell shows the share of what a row allocated that it still holds,
// as a percentage with its noise ("98%±16"), or "" when the profiles carry
// no allocations or the row allocated nothing significant.
func keptCell(k diff.Kept, ok bool) string {
	if !ok {
		return ""
	}
	// As fmt's "%.0f%%±%.0f" writes it, without its reflection: a table
	// has a kept cell a row.
	return strconv.FormatFloat(100*k.Share, 'f', 0, 64) + "%±" + strconv.FormatFloat(100*k.Noise, 'f', 0, 64)
}

// hasKept reports whether a comparison can say what its rows kept: its
// profiles carry allocations beside live values (Go heap profiles).
func hasKept(c *diff.Comparison) bool {
	_, ok := c.Kept(c.Total)
	return ok
}

// isVisible says whether a human-facing table shows row r: it has a value of
// the shown type on either side (flat or cum). Rows that only have other
// types' values stay in JSON and CSV.
func isVisible(c *diff.Comparison, r *diff.Row) bool { return hasValue(r, c.Index) }

// hasValue says whether row r has a value of sample type t on either side,
// flat or cum: whether a table of type t shows it.
func hasValue(r *diff.Row, t int) bool {
	f := r.Flat[t]
	return f.Base != 0 || f.Target != 0 || r.Cum != nil && (r.Cum[t].Base != 0 || r.Cum[t].Target != 0)
}
