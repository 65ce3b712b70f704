package report

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"

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

// snapshotColumn is a column of a heap snapshot table.
type snapshotColumn struct {
	title string
	// value is the row's cell and, for a change, the change that colours
	// it; ok is false for a blank cell (object ids that do not match).
	value func(r diff.Row) (text string, change diff.Change, ok bool)
}

// snapshotTable is the columns of a heap snapshot table, after DevTools'
// Comparison view: # new, # deleted, # delta, Alloc. Size, Freed Size and
// Size Delta (the sizes of new objects, of deleted ones, and their
// difference), then the change of the class's shallow size, which also
// counts objects in both snapshots that changed size (a Map whose table
// grew), and of its retained size. A comparison grouped by allocation
// stack has no new or deleted objects to count: it gets the last three
// columns only.
func snapshotTable(c *diff.Comparison, count, shallow, retained int) []snapshotColumn {
	objects := func(title string, f func(o *diff.ObjectChange) (int64, bool)) snapshotColumn {
		return snapshotColumn{title, func(r diff.Row) (string, diff.Change, bool) {
			if r.Objects == nil {
				return "", diff.Change{}, false
			}
			v, size := f(r.Objects)
			if !size {
				return strconv.FormatInt(v, 10), diff.Change{}, true
			}
			return units.Format(float64(v), "bytes", false), diff.Change{}, true
		}}
	}
	change := func(title string, t int, unit string) snapshotColumn {
		return snapshotColumn{title, func(r diff.Row) (string, diff.Change, bool) {
			return units.Format(float64(r.Flat[t].Delta()), unit, true), r.Flat[t], true
		}}
	}
	deltas := []snapshotColumn{change("# delta", count, "count"), change("shallow delta", shallow, "bytes"), change("retained delta", retained, "bytes")}
	if !byClass(c) {
		return deltas
	}
	return []snapshotColumn{
		objects("# new", func(o *diff.ObjectChange) (int64, bool) { return o.New, false }),
		objects("# deleted", func(o *diff.ObjectChange) (int64, bool) { return o.Deleted, false }),
		deltas[0],
		objects("alloc. size", func(o *diff.ObjectChange) (int64, bool) { return o.NewSize, true }),
		objects("freed size", func(o *diff.ObjectChange) (int64, bool) { return o.DeletedSize, true }),
		{"size delta", func(r diff.Row) (string, diff.Change, bool) {
			if r.Objects == nil {
				return "", diff.Change{}, false
			}
			// Exact, as every value of a snapshot is.
			ch := diff.Change{Base: r.Objects.DeletedSize, Target: r.Objects.NewSize, Significant: true}
			return units.Format(float64(ch.Delta()), "bytes", true), ch, true
		}},
		deltas[1], deltas[2],
	}
}

// snapshotTitles returns the titles of cols.
func snapshotTitles(cols []snapshotColumn) []string {
	titles := make([]string, len(cols))
	for i, col := range cols {
		titles[i] = col.title
	}
	return titles
}

// snapshotCells formats a row of a heap snapshot comparison; a column's
// cell is empty where object ids could not be matched.
func snapshotCells(r diff.Row, cols []snapshotColumn) []string {
	cells := make([]string, len(cols))
	for i, col := range cols {
		cells[i], _, _ = col.value(r)
	}
	return cells
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
// Comparison columns (see snapshotTable), then the class (or allocation
// stack). Unchanged classes are left out.
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
	cols := snapshotTable(c, count, shallow, retained)
	table := [][]cell{headerCells(append(snapshotTitles(cols), snapshotGroupName(c)))}
	rows := snapshotRows(c)
	for _, r := range rows {
		var cells []cell
		for _, col := range cols {
			text, ch, _ := col.value(r)
			cells = append(cells, cell{text: text, color: changeColor(ch)})
		}
		table = append(table, append(cells, cell{text: r.Named().Name, left: true}))
	}
	writeTable(bw, table, paint)
	if len(rows) == 0 {
		fmt.Fprintf(bw, "(no %s changed)\n", snapshotGroupName(c))
	}
	if c.Rest.Rows > 0 {
		fmt.Fprintf(bw, "(%d more rows cut by --top)\n", c.Rest.Rows)
	}
	fmt.Fprintf(bw, "\n%s\n", snapshotFooter(c))
	writeHoldersText(bw, c.Holders, paint)
	return bw.Flush()
}

// snapshotGroupName names what a heap snapshot table's rows are: classes,
// or the grouping of allocation stacks.
func snapshotGroupName(c *diff.Comparison) string {
	if byClass(c) {
		return "class"
	}
	return c.By.String()
}

// snapshotFooter says why a heap snapshot table's retained sizes do not
// add up, and, for classes, what its two size deltas are.
func snapshotFooter(c *diff.Comparison) string {
	if !byClass(c) {
		return "retained sizes of different rows overlap (objects allocated in one place can hold objects allocated in another), so they do not add up"
	}
	return "size delta is DevTools' (alloc. size - freed size: the objects only one snapshot has); shallow delta is the change of the class's whole size, objects that grew in place included\n" +
		"retained sizes of different classes overlap (a Map retains its entries), so they do not add up"
}

// Why the snapshot page's treemap of retained-size growth leaves a class
// out unless the reader asks for every class. Retained sizes overlap, and
// some classes only count again what others hold, or are nothing a program
// can act on: a module's scope (system / Context) retains all its
// variables hold, and a Buffer's bytes are counted by the Buffer, by its
// ArrayBuffer and by the backing store under it. Drawn side by side they
// fill the map, and a leaked class that holds a few MiB of its own has no
// room left.
type treemapAside uint8

const (
	// inTreemap: a class the treemap shows.
	inTreemap treemapAside = iota
	// asideInternal: scopes and V8's other objects of its own ("system /
	// Context", "system / JSArrayBufferData", "(system)", "(compiled
	// code)", "(array)", "(object shape)", "(synthetic)").
	asideInternal
	// asideView: ArrayBuffer or SharedArrayBuffer when the Buffers, typed
	// arrays and DataViews that view buffers grew by at least as much
	// retained size: those views retain their buffers, so the buffers'
	// growth is counted already.
	asideView
)

// typedArrayViews are the classes of objects that view an ArrayBuffer.
var typedArrayViews = map[string]bool{
	"Buffer": true, "DataView": true, "Uint8Array": true, "Int8Array": true, "Uint8ClampedArray": true,
	"Uint16Array": true, "Int16Array": true, "Uint32Array": true, "Int32Array": true, "Float16Array": true,
	"Float32Array": true, "Float64Array": true, "BigUint64Array": true, "BigInt64Array": true,
}

// v8Internal reports whether a class is a scope or another object V8 keeps
// for itself.
func v8Internal(name string) bool {
	switch name {
	case "(system)", "(compiled code)", "(array)", "(object shape)", "(synthetic)":
		return true
	}
	return strings.HasPrefix(name, "system / ")
}

// treemapAsides says, for each of rows (rows of a heap snapshot comparison
// by class), whether the treemap leaves it out by default and why.
func treemapAsides(rows []diff.Row, retained int) []treemapAside {
	var views, buffers int64
	for _, r := range rows {
		switch d := max(r.Flat[retained].Delta(), 0); {
		case typedArrayViews[r.Name]:
			views += d
		case r.Name == "ArrayBuffer" || r.Name == "SharedArrayBuffer":
			buffers += d
		}
	}
	out := make([]treemapAside, len(rows))
	for i, r := range rows {
		switch {
		case v8Internal(r.Name):
			out[i] = asideInternal
		case (r.Name == "ArrayBuffer" || r.Name == "SharedArrayBuffer") && buffers > 0 && views >= buffers:
			out[i] = asideView
		}
	}
	return out
}
