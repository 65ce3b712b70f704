package report

import (
	"bufio"
	"fmt"
	"io"
	"strconv"

	"github.com/heapdiff/heapdiff/diff"
	"github.com/heapdiff/heapdiff/internal/units"
	"github.com/heapdiff/heapdiff/profile"
)

// snapshotColumns finds the sample types of a heap snapshot comparison: ok
// is false for other comparisons.
func snapshotColumns(c *diff.Comparison) (count, shallow, retained int, ok bool) {
	count, shallow, retained = -1, -1, -1
	for i, t := range c.Types {
		switch t {
		case profile.SnapshotObjects:
			count = i
		case profile.SnapshotShallowSize:
			shallow = i
		case profile.SnapshotRetainedSize:
			retained = i
		}
	}
	ok = c.Base.Format.IsHeapSnapshot() && count >= 0 && shallow >= 0 && retained >= 0
	return count, shallow, retained, ok
}

// byClass reports whether c's rows are a heap snapshot's classes (a class
// is one frame with no source file), not allocation sites or stacks of
// snapshots taken with --track-heap-objects.
func byClass(c *diff.Comparison) bool {
	if c.By == diff.ByClass {
		return true
	}
	if c.By == diff.ByStack || c.By == diff.ByPackage {
		return false
	}
	for _, r := range c.Rows {
		if len(r.Frames) != 1 || r.Frames[0].File != "" {
			return false
		}
	}
	return true
}

// snapshotHeader names the columns of a heap snapshot table, after DevTools'
// Comparison view.
var snapshotHeader = []string{"# new", "# deleted", "# delta", "size delta", "retained delta"}

// snapshotCells formats a row of a heap snapshot comparison; new and deleted
// are empty when object ids could not be matched.
func snapshotCells(r diff.Row, count, shallow, retained int) []string {
	newCell, delCell := "", ""
	if o := r.Objects; o != nil {
		newCell, delCell = strconv.FormatInt(o.New, 10), strconv.FormatInt(o.Deleted, 10)
	}
	return []string{newCell, delCell,
		units.Format(float64(r.Flat[count].Delta()), "count", true),
		units.Format(float64(r.Flat[shallow].Delta()), "bytes", true),
		units.Format(float64(r.Flat[retained].Delta()), "bytes", true)}
}

// snapshotRows returns the rows a heap snapshot table shows: those whose
// count or sizes changed, or that have new or deleted objects.
func snapshotRows(c *diff.Comparison) []diff.Row {
	var rows []diff.Row
	for _, r := range c.Rows {
		changed := r.Objects != nil && (r.Objects.New != 0 || r.Objects.Deleted != 0)
		for _, ch := range r.Flat {
			changed = changed || ch.Delta() != 0
		}
		if changed {
			rows = append(rows, r)
		}
	}
	return rows
}

// snapshotText writes a comparison of two heap snapshots with DevTools'
// Comparison columns: class (or allocation stack), # new, # deleted,
// # delta, size delta, retained delta. Unchanged classes are left out.
func snapshotText(w io.Writer, c *diff.Comparison, opts Options, count, shallow, retained int) error {
	bw := bufio.NewWriter(w)
	paint := painter(opts.Color)
	fmt.Fprintf(bw, "%s  %s%s\n", paint(colorBold, "base  "), c.Base.Name, timeSuffix(c.Base.Time))
	writeComments(bw, c.Base.Comments)
	fmt.Fprintf(bw, "%s  %s%s%s\n", paint(colorBold, "target"), c.Target.Name, timeSuffix(c.Target.Time), intervalSuffix(c.Interval))
	writeComments(bw, c.Target.Comments)
	fmt.Fprintf(bw, "%s  heap snapshots, exact values, sorted by %s delta\n", paint(colorBold, "type  "), c.Shown().Type)
	tc, ts := c.Total[count], c.Total[shallow]
	fmt.Fprintf(bw, "%s  %s → %s objects (%s), %s → %s (%s)\n", paint(colorBold, "total "),
		units.Format(float64(tc.Base), "count", false), units.Format(float64(tc.Target), "count", false),
		paint(changeColor(tc), units.Format(float64(tc.Delta()), "count", true)),
		units.Format(float64(ts.Base), "bytes", false), units.Format(float64(ts.Target), "bytes", false),
		paint(changeColor(ts), units.Format(float64(ts.Delta()), "bytes", true)))
	for _, warning := range c.Warnings {
		fmt.Fprintf(bw, "%s %s\n", paint(colorBold, "warning:"), warning)
	}
	fmt.Fprintln(bw)
	name := "class"
	if !byClass(c) {
		name = c.By.String()
	}
	table := [][]cell{headerCells(append(snapshotHeader[:len(snapshotHeader):len(snapshotHeader)], name))}
	rows := snapshotRows(c)
	for _, r := range rows {
		var cells []cell
		for i, s := range snapshotCells(r, count, shallow, retained) {
			color := ""
			if i >= 2 {
				color = changeColor(r.Flat[[]int{count, shallow, retained}[i-2]])
			}
			cells = append(cells, cell{text: s, color: color})
		}
		table = append(table, append(cells, cell{text: r.Named().Name, left: true}))
	}
	writeTable(bw, table, paint)
	if len(rows) == 0 {
		fmt.Fprintln(bw, "(no class changed)")
	}
	if c.Rest.Rows > 0 {
		fmt.Fprintf(bw, "(%d more rows cut by --top)\n", c.Rest.Rows)
	}
	fmt.Fprintln(bw, "\nretained sizes of different classes overlap (a Map retains its entries), so they do not add up")
	writeHoldersText(bw, c.Holders, paint)
	return bw.Flush()
}
