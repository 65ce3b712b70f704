package report

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/heapdiff/heapdiff/agent/snapshot"
	"github.com/heapdiff/heapdiff/diff"
	"github.com/heapdiff/heapdiff/internal/units"
)

// ANSI colors: growth red, shrinkage blue, noise dim. The same meaning as
// Brendan Gregg's differential flame graphs.
const (
	colorRed    = "\x1b[31m"
	colorYellow = "\x1b[33m" // faint growth: maybe a leak
	colorBlue   = "\x1b[34m"
	colorDim    = "\x1b[2m"
	colorBold   = "\x1b[1m"
	colorReset  = "\x1b[0m"
)

// painter returns what every text renderer colors with: a function that
// wraps text in an ANSI color, or leaves it alone when color is off
// (Options.Color), when there is no color to give or no text to paint.
func painter(color bool) func(c, s string) string {
	return func(c, s string) string {
		if !color || c == "" || s == "" {
			return s
		}
		return c + s + colorReset
	}
}

// Text writes c as an aligned table for a terminal: a header naming both
// profiles, their times and the totals, then one row per group with the
// sorted-by sample type's base, target, delta, percent (or "~" within
// noise) and growth per hour.
func Text(w io.Writer, c *diff.Comparison, opts Options) error {
	if count, shallow, retained, ok := snapshotColumns(c); ok {
		return snapshotText(w, c, opts, count, shallow, retained)
	}
	bw := bufio.NewWriter(w)
	paint := painter(opts.Color)
	unit := c.Shown().Unit
	t := c.Index

	fmt.Fprintf(bw, "%s  %s%s\n", paint(colorBold, "base  "), c.Base.Name, timeSuffix(c.Base.Time))
	writeComments(bw, c.Base.Comments)
	fmt.Fprintf(bw, "%s  %s%s%s\n", paint(colorBold, "target"), c.Target.Name, timeSuffix(c.Target.Time), intervalSuffix(c.Interval))
	writeComments(bw, c.Target.Comments)
	fmt.Fprintf(bw, "%s  %s, by %s%s\n", paint(colorBold, "type  "), c.Shown(), c.By, samplingNote(c))
	total := c.Total[t]
	fmt.Fprintf(bw, "%s  %s → %s  %s  %s", paint(colorBold, "total "),
		units.Format(float64(total.Base), unit, false), units.Format(float64(total.Target), unit, false),
		paint(changeColor(total), units.Format(float64(total.Delta()), unit, true)), paint(changeColor(total), percentCell(total)))
	if r := rateCell(c, total, unit); r != "" {
		fmt.Fprintf(bw, "  %s", paint(changeColor(total), r))
	}
	fmt.Fprintln(bw)
	for _, warning := range c.Warnings {
		fmt.Fprintf(bw, "%s %s\n", paint(colorBold, "warning:"), warning)
	}
	fmt.Fprintln(bw)

	header := []string{"base", "target", "delta", "%", "per hour"}
	kept := hasKept(c)
	if kept {
		header = append(header, "kept")
	}
	if c.Cum {
		header = append(header, "cum base", "cum target", "cum delta")
	}
	header = append(header, c.By.String())
	head := headerCells(header)
	var rest []cell
	if c.Rest.Rows > 0 {
		name := fmt.Sprintf("(%d more rows)", c.Rest.Rows)
		rest = rowCells(c, name, c.Rest.Flat, nil, unit, kept)
	}
	// Rows are written as they are made, each named only then: --by stack
	// can have millions, of kilobytes each. A first pass sizes the number
	// columns; the name column, the last, is never padded.
	widths := cellWidths(nil, head)
	shown := 0
	for i := range c.Rows {
		if r := &c.Rows[i]; isVisible(c, r) {
			widths = cellWidths(widths, rowCells(c, "", r.Flat, cumOf(*r, t), unit, kept))
			shown++
		}
	}
	if rest != nil {
		widths = cellWidths(widths, rest)
	}
	writeRow(bw, widths, head, paint)
	for i := range c.Rows {
		if r := &c.Rows[i]; isVisible(c, r) {
			writeRow(bw, widths, rowCells(c, r.Named().Name, r.Flat, cumOf(*r, t), unit, kept), paint)
		}
	}
	if rest != nil {
		writeRow(bw, widths, rest, paint)
	}
	if shown == 0 {
		fmt.Fprintln(bw, "(no rows: nothing matched, or both profiles are empty)")
	}
	fmt.Fprintf(bw, "\n%s = within sampling noise (|delta| ≤ %g standard deviations)\n", Noise, diff.NoiseThreshold)
	if kept {
		fmt.Fprintln(bw, keptNote)
	}
	writeHoldersText(bw, c.Holders, paint)
	return bw.Flush()
}

// keptNote explains the kept column, where it is shown.
const keptNote = "kept = share of what the row allocated between the profiles that is still live (Δinuse/Δalloc, ± its noise): about 100% for a leak of separate objects, 0% for churn; a full cache keeps part, and so does a leak grown by append, so read it beside the growth, not alone"

type cell struct {
	text  string
	color string
	left  bool // left-aligned (names); numbers are right-aligned
}

func headerCells(names []string) []cell {
	cells := make([]cell, len(names))
	for i, n := range names {
		cells[i] = cell{text: n, left: i == len(names)-1}
	}
	return cells
}

func cumOf(r diff.Row, t int) *diff.Change {
	if r.Cum == nil {
		return nil
	}
	return &r.Cum[t]
}

func rowCells(c *diff.Comparison, name string, flat []diff.Change, cum *diff.Change, unit string, kept bool) []cell {
	ch := flat[c.Index]
	color := changeColor(ch)
	cells := make([]cell, 0, 9) // room for every column
	cells = append(cells,
		cell{text: units.Format(float64(ch.Base), unit, false)},
		cell{text: units.Format(float64(ch.Target), unit, false)},
		cell{text: units.Format(float64(ch.Delta()), unit, true), color: color},
		cell{text: percentCell(ch), color: color},
		cell{text: rateCell(c, ch, unit), color: color})
	if kept {
		cells = append(cells, cell{text: keptCell(c.Kept(flat))})
	}
	if c.Cum {
		if cum == nil {
			cells = append(cells, cell{}, cell{}, cell{})
		} else {
			cells = append(cells,
				cell{text: units.Format(float64(cum.Base), unit, false)},
				cell{text: units.Format(float64(cum.Target), unit, false)},
				cell{text: units.Format(float64(cum.Delta()), unit, true), color: changeColor(*cum)})
		}
	}
	return append(cells, cell{text: name, left: true})
}

// changeColor picks the color of a change: red for significant growth, blue
// for significant shrinkage, dim within noise.
func changeColor(ch diff.Change) string {
	switch {
	case ch.Delta() == 0:
		return ""
	case !ch.Significant:
		return colorDim
	case ch.Delta() > 0:
		return colorRed
	default:
		return colorBlue
	}
}

// writeTable pads cells to their column's width (counted in runes, before
// colors are added) and separates columns by two spaces.
func writeTable(w io.Writer, table [][]cell, paint func(color, s string) string) {
	var widths []int
	for _, row := range table {
		widths = cellWidths(widths, row)
	}
	for _, row := range table {
		writeRow(w, widths, row, paint)
	}
}

// cellWidths widens widths, one per column, to fit row's cells.
func cellWidths(widths []int, row []cell) []int {
	for i, c := range row {
		if i >= len(widths) {
			widths = append(widths, 0)
		}
		if n := utf8.RuneCountInString(c.text); n > widths[i] {
			widths[i] = n
		}
	}
	return widths
}

// writeRow writes one row of a table whose columns have the given widths:
// numbers right-aligned, text left-aligned, the last column unpadded.
func writeRow(w io.Writer, widths []int, row []cell, paint func(color, s string) string) {
	var b strings.Builder
	for i, c := range row {
		if i > 0 {
			b.WriteString("  ")
		}
		pad := strings.Repeat(" ", max(0, widths[i]-utf8.RuneCountInString(c.text)))
		if c.left {
			b.WriteString(paint(c.color, c.text))
			if i < len(row)-1 {
				b.WriteString(pad)
			}
		} else {
			b.WriteString(pad)
			b.WriteString(paint(c.color, c.text))
		}
	}
	fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
}

func timeSuffix(t time.Time) string {
	if t.IsZero() {
		return "  (no time)"
	}
	return "  " + units.Time(t)
}

func intervalSuffix(d time.Duration) string {
	switch {
	case d == 0:
		return ""
	case d < 0: // given in the wrong order, which a warning says
		return "  (" + formatDuration(-d) + " earlier)"
	}
	return "  (" + formatDuration(d) + " later)"
}

// formatDuration writes a duration without trailing zero units: "1h50m".
func formatDuration(d time.Duration) string {
	s := d.Round(time.Second).String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// writeComments prints a profile's comments under its name. The metadata
// heapdiff's agent writes, one "heapdiff.key=value" comment per figure, is
// folded into a few lines of key=value pairs (see commentPairs); other
// comments print one per line.
func writeComments(w io.Writer, comments []string) {
	text, pairs := commentPairs(comments)
	for _, c := range text {
		fmt.Fprintf(w, "        # %s\n", c)
	}
	const width = 96
	line := ""
	for _, p := range pairs {
		if line != "" && len(line)+2+len(p) > width {
			fmt.Fprintf(w, "        # %s\n", line)
			line = ""
		}
		if line != "" {
			line += "  "
		}
		line += p
	}
	if line != "" {
		fmt.Fprintf(w, "        # %s\n", line)
	}
}

// commentPairs splits a profile's comments for people: the comments other
// producers wrote, as they are, and the metadata heapdiff's agent writes
// ("heapdiff.key=value") as key=value pairs, sizes in IEC units as every
// other figure is shown ("heap_inuse=1.2GiB", "growth=+3.0MiB/h"), without
// the time the header already shows.
func commentPairs(comments []string) (text, pairs []string) {
	for _, f := range snapshot.ParseComments(comments) {
		key, value := f.Key, f.Value
		if !f.Heapdiff {
			text = append(text, f.Text)
			continue
		}
		if key == "time" {
			continue
		}
		n, err := strconv.ParseFloat(value, 64)
		switch {
		case strings.HasSuffix(key, "_bytes_per_hour"):
			key = strings.TrimSuffix(key, "_bytes_per_hour")
			if err == nil {
				value = units.Format(n, "bytes", true) + "/h"
			}
		case strings.HasSuffix(key, "_bytes"):
			key = strings.TrimSuffix(key, "_bytes")
			if err == nil {
				value = units.Format(n, "bytes", false)
			}
		}
		pairs = append(pairs, key+"="+value)
	}
	return text, pairs
}

// shownComments is a profile's comments as the HTML pages show them: as
// the text header does (commentPairs), one per chip.
func shownComments(comments []string) []string {
	text, pairs := commentPairs(comments)
	return append(append([]string{}, text...), pairs...)
}

// samplingNote describes how the values were sampled, which bounds their noise.
func samplingNote(c *diff.Comparison) string {
	pt := c.Target.PeriodType
	if c.Target.Period <= 0 || !pt.IsBytes() {
		return ", exact values"
	}
	return fmt.Sprintf(", sampled every %s", units.Format(float64(c.Target.Period), "bytes", false))
}

// TopShown cuts c to the rows the text and Markdown views show, keeping the
// first top of them (all, when top is 0) and summing the others into c.Rest.
// Those views leave out rows that have nothing to show (no value of the
// shown type, flat or cum; for heap snapshots, classes that did not
// change), which diff.Options.Top counts: cut there, "--top 3" could show
// two rows, and "(12 more rows)" count rows the full view never shows.
// Cut here, the rows shown are the rows asked for, and the rest counts and
// sums exactly the rows the full view shows after them. c must come from
// diff.Compare without Options.Top.
func TopShown(c *diff.Comparison, top int) {
	var rows []diff.Row
	if _, _, _, ok := snapshotColumns(c); ok {
		rows = snapshotRows(c)
	} else {
		rows = c.Rows[:0] // in place: --by stack can have millions
		for i := range c.Rows {
			if isVisible(c, &c.Rows[i]) {
				rows = append(rows, c.Rows[i])
			}
		}
		clear(c.Rows[len(rows):]) // let the rows left out go
	}
	if top > 0 && len(rows) > top {
		c.Rest = diff.SumRows(rows[top:], len(c.Types))
		clear(rows[top:])
		rows = rows[:top:top]
	}
	c.Rows = rows
}
