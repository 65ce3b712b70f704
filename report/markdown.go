package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/heapdiff/heapdiff/diff"
	"github.com/heapdiff/heapdiff/internal/units"
)

// Markdown writes c as a GitHub-flavoured Markdown summary for a pull-request
// comment: a heading, the totals, warnings as a quote, and a table.
func Markdown(w io.Writer, c *diff.Comparison) error {
	bw := bufio.NewWriter(w)
	if count, shallow, retained, ok := snapshotColumns(c); ok {
		return snapshotMarkdown(bw, c, count, shallow, retained)
	}
	unit := c.Shown().Unit
	t := c.Index
	fmt.Fprintf(bw, "### heapdiff: %s by %s\n\n", mdCode(c.Shown().Type), c.By)
	fmt.Fprintf(bw, "**base** %s%s → **target** %s%s%s\n\n",
		mdCode(c.Base.Name), mdTime(c.Base), mdCode(c.Target.Name), mdTime(c.Target), mdInterval(c))
	total := c.Total[t]
	fmt.Fprintf(bw, "**total** %s → %s: **%s** (%s)", units.Format(float64(total.Base), unit, false),
		units.Format(float64(total.Target), unit, false), units.Format(float64(total.Delta()), unit, true), percentCell(total))
	if r := rateCell(c, total, unit); r != "" {
		fmt.Fprintf(bw, ", %s", r)
	}
	fmt.Fprint(bw, "\n\n")
	for _, warning := range c.Warnings {
		fmt.Fprintf(bw, "> **Warning:** %s\n>\n", mdText(warning.Error()))
	}
	if len(c.Warnings) > 0 {
		fmt.Fprintln(bw)
	}
	kept := hasKept(c)
	keptHead, keptRule := "", ""
	if kept {
		keptHead, keptRule = " kept |", "--:|"
	}
	fmt.Fprintf(bw, "| %s | base | target | delta | %% | per hour |%s\n|---|--:|--:|--:|--:|--:|%s\n", c.By, keptHead, keptRule)
	row := func(name string, flat []diff.Change) {
		ch := flat[t]
		fmt.Fprintf(bw, "| %s | %s | %s | %s | %s | %s |", name,
			units.Format(float64(ch.Base), unit, false), units.Format(float64(ch.Target), unit, false),
			units.Format(float64(ch.Delta()), unit, true), percentCell(ch), rateCell(c, ch, unit))
		if kept {
			fmt.Fprintf(bw, " %s |", keptCell(c.Kept(flat)))
		}
		fmt.Fprintln(bw)
	}
	for i := range c.Rows {
		if r := &c.Rows[i]; isVisible(c, r) {
			row(mdCode(r.Named().Name), r.Flat)
		}
	}
	if c.Rest.Rows > 0 {
		row(fmt.Sprintf("*%d more rows*", c.Rest.Rows), c.Rest.Flat)
	}
	fmt.Fprintf(bw, "\n`%s` = within sampling noise (|delta| ≤ %g standard deviations).\n", Noise, diff.NoiseThreshold)
	if kept {
		fmt.Fprintf(bw, "\n%s.\n", mdText(keptNote))
	}
	writeHoldersMarkdown(bw, c.Holders)
	return bw.Flush()
}

func mdTime(s diff.Source) string {
	if s.Time.IsZero() {
		return ""
	}
	return " (" + units.Time(s.Time) + ")"
}

// mdCode shows s as inline code inside a table cell: pipes are escaped, line
// breaks folded, and the fence made longer than any backtick run inside.
func mdCode(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	s = strings.ReplaceAll(s, "|", `\|`)
	fence := "`"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	if strings.Contains(s, "`") {
		return fence + " " + s + " " + fence
	}
	return fence + s + fence
}

// mdText escapes text so it cannot open markup or break a line.
func mdText(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	r := strings.NewReplacer(`\`, `\\`, "*", `\*`, "_", `\_`, "`", "\\`", "<", "&lt;", ">", "&gt;", "|", `\|`, "[", `\[`, "]", `\]`)
	return r.Replace(s)
}

func mdInterval(c *diff.Comparison) string {
	if c.Interval == 0 {
		return ""
	}
	return ", " + formatDuration(c.Interval) + " later"
}

// snapshotMarkdown writes a heap snapshot comparison with DevTools'
// Comparison columns (see snapshotTable).
func snapshotMarkdown(bw *bufio.Writer, c *diff.Comparison, count, shallow, retained int) error {
	name := snapshotGroupName(c)
	fmt.Fprintf(bw, "### heapdiff: heap snapshots by %s\n\n", name)
	fmt.Fprintf(bw, "**base** %s → **target** %s\n\n", mdCode(c.Base.Name), mdCode(c.Target.Name))
	for _, warning := range c.Warnings {
		fmt.Fprintf(bw, "> **Warning:** %s\n>\n", mdText(warning.Error()))
	}
	if len(c.Warnings) > 0 {
		fmt.Fprintln(bw)
	}
	cols := snapshotTable(c, count, shallow, retained)
	fmt.Fprintf(bw, "| %s | %s |\n|---|%s\n", name, strings.Join(snapshotTitles(cols), " | "), strings.Repeat("--:|", len(cols)))
	for _, r := range snapshotRows(c) {
		fmt.Fprintf(bw, "| %s | %s |\n", mdCode(r.Named().Name), strings.Join(snapshotCells(r, cols), " | "))
	}
	for _, line := range strings.Split(snapshotFooter(c), "\n") {
		fmt.Fprintf(bw, "\n_%s_\n", mdText(line))
	}
	writeHoldersMarkdown(bw, c.Holders)
	return bw.Flush()
}
