package report

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/heapdiff/heapdiff/diff"
)

// The page's parts: the vendored ECharts bundle (see assets/update-echarts.sh)
// and the report's own script, style and layout.
var (
	//go:embed assets/echarts.min.js
	echartsJS string
	//go:embed assets/ECHARTS-VERSION
	echartsVersion string
	//go:embed html/dom.js
	domJS string
	//go:embed html/report.js
	reportJS string
	//go:embed html/report.css
	reportCSS string
	//go:embed html/page.tmpl
	pageSource string
)

var pageTemplate = template.Must(template.New("page").Parse(pageSource))

// EChartsVersion is the version of Apache ECharts inlined in HTML reports.
var EChartsVersion = strings.TrimSpace(echartsVersion)

// The page's size bounds: a report of two huge profiles must stay small
// enough to mail and quick to open.
const (
	// HTMLMaxRows is how many rows the page's table shows; the rows beyond
	// are summed in one row.
	HTMLMaxRows = 1000
)

// htmlDetail is as much of a comparison's detail as the page draws: a few
// thousand call-tree nodes, and a few stacks for each of its first rows.
var htmlDetail = diff.DetailOptions{MinFraction: 0.0005, MaxNodes: 6000, StacksPerRow: 4, StackRows: 400}

// HTMLOptions returns opts for a comparison meant for an HTML page: it
// keeps the detail the page draws (diff.Options.Detail: the flame graph,
// the treemap, each row's call stacks), and every row, named only when the
// page lists it (diff.Options.DeferNames), so the page can say how many
// rows there are beyond those it lists. The page cuts the rows itself
// (Options.Top): diff.Options.Top would count rows the page does not show
// (heap snapshots' unchanged classes), so --top 5 could say "142 more" of
// 37 changed classes.
func HTMLOptions(opts diff.Options) diff.Options {
	detail := htmlDetail
	opts.Detail = &detail
	opts.Top = 0
	opts.DeferNames = true
	return opts
}

// HTML writes c as one self-contained HTML page: header, charts of the top
// changes, a treemap of growth by package, function and site, a
// differential flame graph, and a table of every row with its call stacks.
// Heap snapshots compared by class get DevTools' Comparison columns instead
// (class, # new, # deleted, # delta, alloc. size, freed size, size delta,
// then shallow and retained delta: see snapshotTable), the top growers by
// size and a treemap of retained-size growth by class, which leaves out,
// unless the reader asks, the classes that only count again what others
// retain (treemapAside) and says which, with their growth.
// All but the snapshot layout draw c's detail (c.Detail): compare with
// HTMLOptions. The page carries every sample type, so the reader can switch
// between them, and needs no network: ECharts is inlined. Every string that
// comes from a profile travels as JSON data and is shown as text, never as
// markup.
func HTML(w io.Writer, c *diff.Comparison) error { return htmlPage(w, c, 0) }

// htmlPage writes c's page, its table listing the first top rows it can
// show (up to HTMLMaxRows for 0).
func htmlPage(w io.Writer, c *diff.Comparison, top int) error {
	if c.Detail == nil && snapshotView(c) == nil {
		return errors.New("an HTML report needs a comparison made with its detail (diff.Options.Detail; see report.HTMLOptions)")
	}
	hd := newHTMLData(c, top)
	charts := htmlCharts()
	if hd.Snapshot != nil {
		// No call tree, so no flame graph: its script is left out of the
		// page's policy too.
		delete(charts, chartFlame)
	}
	fields := map[string]any{
		"Title":    "heapdiff: " + c.Base.Name + " → " + c.Target.Name,
		"Snapshot": hd.Snapshot != nil,
		"Holders":  hd.Holders != nil,
	}
	if hd.stacks != nil {
		fields["Stacks"] = packedData{hd.stacks}
	}
	return renderPage(w, pageTemplate, "report script", reportJS, hd, charts, fields)
}

// startScript is the page's last script: it draws the page once the
// elements and charts above it exist.
const startScript = "heapdiff.start();"

// renderPage writes one of heapdiff's HTML pages: tmpl filled with the shared
// styles, ECharts, the page helpers, the page's own script, its data as JSON
// and its chart snippets (by chart ID), plus the page's own fields. Each
// piece is checked first to be safe inside its element, so nothing a
// profile holds can end one, and the page gets a Content-Security-Policy
// (Policy, for the template's head) that allows exactly these scripts and
// styles (see pagePolicy); the fields' template.JS and template.CSS values
// are allowed too, as scripts and styles, and their packedData values are
// packed (encodePacked) for data elements.
func renderPage(w io.Writer, tmpl *template.Template, scriptName, script string, data any, snippets map[string]string, fields map[string]any) error {
	encoded, err := encodeData("report data", data)
	if err != nil {
		return err
	}
	var policy pagePolicy
	for _, s := range []struct{ name, text string }{{"report.css", reportCSS}} {
		if err := policy.style(s.name, s.text); err != nil {
			return err
		}
	}
	for _, s := range []struct{ name, text string }{{"ECharts", echartsJS}, {"page helpers", domJS}, {scriptName, script}, {"start", startScript}} {
		if err := policy.script(s.name, s.text); err != nil {
			return err
		}
	}
	// The charts' set-up scripts are allowed; their elements' sizes move
	// from style attributes to a style element.
	charts := map[string]template.HTML{}
	var chartCSS strings.Builder
	for _, id := range slices.Sorted(maps.Keys(snippets)) {
		html, css, js, err := splitChart(id, snippets[id])
		if err != nil {
			return err
		}
		if err := policy.script("chart "+id, js); err != nil {
			return err
		}
		charts[id] = template.HTML(html)
		chartCSS.WriteString(css)
	}
	if err := policy.style("chart sizes", chartCSS.String()); err != nil {
		return err
	}
	packed := map[string]any{}
	for _, k := range slices.Sorted(maps.Keys(fields)) {
		switch v := fields[k].(type) {
		case template.JS:
			err = policy.script(k, string(v))
		case template.CSS:
			err = policy.style(k, string(v))
		case packedData:
			packed[k], err = encodePacked(k, v.v)
		}
		if err != nil {
			return err
		}
	}
	values := map[string]any{
		"Policy":   policy.meta(),
		"CSS":      template.CSS(reportCSS),
		"ChartCSS": template.CSS(chartCSS.String()),
		"ECharts":  template.JS(echartsJS),
		"DOM":      template.JS(domJS),
		"Report":   template.JS(script),
		"Start":    template.JS(startScript),
		"Data":     encoded,
		"Charts":   charts,
		"Version":  EChartsVersion,
	}
	maps.Copy(values, fields)
	maps.Copy(values, packed) // packed fields as the page holds them
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, values); err != nil {
		return fmt.Errorf("render HTML: %w", err)
	}
	_, err = w.Write(buf.Bytes())
	return err
}

// packedData is a field of renderPage's that the page holds in a data
// element of its own, packed (see encodePacked), for its script to unpack
// when it needs it.
type packedData struct{ v any }

// encodeData encodes v as JSON that can sit in a data element
// (<script type="application/json">) as is. encoding/json escapes <, > and &
// and U+2028/2029, so the data cannot end its element; it is checked anyway,
// as it is cheap. The data is not run, so the page's policy need not allow
// it.
func encodeData(name string, v any) (template.JS, error) {
	encoded, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encode %s: %w", name, err)
	}
	if err := inlineable(string(encoded)); err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	return template.JS(encoded), nil
}

// encodePacked encodes v as JSON, gzipped and written in base64 as a JSON
// string, for a data element: the browser reads a third of the bytes, and
// the page's script inflates them with the browser's DecompressionStream.
// gzip.BestSpeed packs the large benchmark pair's call stacks, 2.6 MB of
// JSON, to 0.62 MB in 31 ms; the default level to 0.53 MB in 0.2 s. The same
// v gives the same bytes.
func encodePacked(name string, v any) (template.JS, error) {
	encoded, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encode %s: %w", name, err)
	}
	var packed bytes.Buffer
	zw, err := gzip.NewWriterLevel(&packed, gzip.BestSpeed)
	if err != nil {
		return "", fmt.Errorf("pack %s: %w", name, err)
	}
	if _, err := zw.Write(encoded); err != nil {
		return "", fmt.Errorf("pack %s: %w", name, err)
	}
	if err := zw.Close(); err != nil {
		return "", fmt.Errorf("pack %s: %w", name, err)
	}
	return template.JS(`"` + base64.StdEncoding.EncodeToString(packed.Bytes()) + `"`), nil
}

// htmlData is the JSON the page's script reads. Changes are compact arrays
// (see htmlChange) and strings are interned in Strings.
type htmlData struct {
	Types      []JSONType   `json:"types"`
	Index      int          `json:"index"`
	By         string       `json:"by"`
	Cum        bool         `json:"cum"`
	Normalized bool         `json:"normalized"`
	Threshold  float64      `json:"threshold"`
	Interval   float64      `json:"interval"` // seconds; 0 when unknown
	Base       JSONSource   `json:"base"`
	Target     JSONSource   `json:"target"`
	Total      []htmlChange `json:"total"`
	Warnings   []string     `json:"warnings"`
	// Strings holds every name the rest refers to by index.
	Strings []string   `json:"strings"`
	Rows    []htmlRow  `json:"rows"`
	Other   *htmlOther `json:"other"`
	Limits  htmlLimits `json:"limits"`
	Tree    *htmlTree  `json:"tree,omitempty"`
	// Growth is, for every sample type, the treemap of growth by package,
	// function and site.
	Growth []htmlGrowth `json:"growth"`
	// Snapshot is set for heap snapshots compared by class: the page then
	// shows DevTools' Comparison columns instead of a call tree.
	Snapshot *htmlSnapshotView `json:"snapshot,omitempty"`
	// Holders says who holds what grew (diff.Holders), when asked.
	Holders *htmlHolders `json:"holders,omitempty"`

	// stacks are the rows' call stacks, which the page holds apart; nil
	// when no row has any.
	stacks *htmlStacks
}

// htmlStacks are the call stacks of the table's first rows. They are most
// of a large comparison's data, mostly names no other part of the page
// holds, and the page shows them only when a row is opened: they sit at the
// end of the page, packed (encodePacked) in a data element of their own
// (#heapdiff-stacks), which the script inflates once the page is drawn.
type htmlStacks struct {
	// Strings holds the frames' function and file names.
	Strings []string `json:"strings"`
	// Frames are [function, file, line]: two string indexes and a number.
	Frames [][3]int64 `json:"frames"`
	// Rows are the stacks of the rows, in the order of htmlData.Rows, up to
	// the last that has any.
	Rows []htmlRowStacks `json:"rows"`
}

// htmlRowStacks are a row's call stacks: the largest, and how many
// smaller ones were left out.
type htmlRowStacks struct {
	Stacks []htmlStack `json:"s,omitempty"`
	More   int         `json:"m,omitempty"`
}

// htmlChange is a diff.Change as [base, target, noise, significant (0/1)].
type htmlChange diff.Change

func (c htmlChange) MarshalJSON() ([]byte, error) {
	sig := 0
	if c.Significant {
		sig = 1
	}
	return fmt.Appendf(nil, "[%d,%d,%d,%d]", c.Base, c.Target, int64(c.Noise+0.5), sig), nil
}

func htmlChanges(cs []diff.Change) []htmlChange {
	out := make([]htmlChange, len(cs))
	for i, c := range cs {
		out[i] = htmlChange(c)
	}
	return out
}

type htmlRow struct {
	Name int          `json:"n"`
	Flat []htmlChange `json:"v"`
	Cum  []htmlChange `json:"c,omitempty"`
	// Objects is [new, deleted, new size, deleted size] by object id, for
	// heap snapshots whose ids match.
	Objects *[4]int64 `json:"o,omitempty"`
	// Kept is [share, noise] of what the row allocated that is still live
	// (diff.Kept), where the profiles carry allocations.
	Kept *[2]float64 `json:"k,omitempty"`
	// Aside says why the snapshot page's treemap leaves the class out
	// unless asked to show all (treemapAside); 0 for the others.
	Aside treemapAside `json:"a,omitempty"`
}

type htmlStack struct {
	Frames []int        `json:"f"` // innermost first
	Values []htmlChange `json:"v"`
}

type htmlOther struct {
	Rows int `json:"rows"`
	// Shown counts, for each sample type, the rows summed that have a
	// value of it: the rows its table would show.
	Shown   []int        `json:"shown"`
	Flat    []htmlChange `json:"v"`
	Objects *[4]int64    `json:"o,omitempty"`
}

type htmlLimits struct {
	StackRows int `json:"stackRows"` // rows that carry stacks
	Rows      int `json:"rows"`      // rows in the comparison, with those the table's cap and --top left out
}

// htmlTree is the call tree in columns: node i is Name[i], Parent[i], and
// for type t Values[t].Base[i], Values[t].Target[i], Values[t].Sig[i].
type htmlTree struct {
	Name   []int          `json:"name"`
	Parent []int32        `json:"parent"`
	Folded []int          `json:"folded"` // indexes of folded nodes
	Values []htmlTreeType `json:"values"`
}

type htmlTreeType struct {
	Base   []int64 `json:"b"`
	Target []int64 `json:"t"`
	Sig    []int   `json:"s"`
}

type interner struct {
	index map[string]int
	list  []string
}

func (in *interner) id(s string) int {
	if i, ok := in.index[s]; ok {
		return i
	}
	if in.index == nil {
		in.index = map[string]int{}
	}
	in.index[s] = len(in.list)
	in.list = append(in.list, s)
	return len(in.list) - 1
}

func newHTMLData(c *diff.Comparison, top int) *htmlData {
	d := c.Detail
	var strs, frameStrs interner
	frames := map[[3]int64]int{}
	stacks := &htmlStacks{Frames: [][3]int64{}}
	data := &htmlData{
		Index:      c.Index,
		By:         c.By.String(),
		Cum:        c.Cum,
		Normalized: c.Normalized,
		Threshold:  diff.NoiseThreshold,
		Interval:   c.Interval.Seconds(),
		Base:       jsonSource(c.Base),
		Target:     jsonSource(c.Target),
		Total:      htmlChanges(c.Total),
		Warnings:   []string{},
		Rows:       []htmlRow{}, // a filter can match nothing
	}
	// The header shows comments as the text output does: sizes readable.
	data.Base.Comments, data.Target.Comments = shownComments(c.Base.Comments), shownComments(c.Target.Comments)
	for _, t := range c.Types {
		data.Types = append(data.Types, JSONType{t.Type, t.Unit})
	}
	for _, w := range c.Warnings {
		data.Warnings = append(data.Warnings, w.Error())
	}

	view := snapshotView(c)
	// The treemaps are built while the rows and the call tree are laid out.
	var trees *growthTrees
	if view == nil {
		trees = startGrowthTrees(d.Sites, len(c.Types))
	}
	src := c.Rows
	var asides []treemapAside
	// The rows the page can show: those with a value of some sample type
	// (the type switch shows each type's), or for heap snapshots the
	// classes that changed, as DevTools' Comparison view and the text
	// report list them; they have no call stacks.
	shows := func(r *diff.Row) bool {
		for t := range r.Flat {
			if hasValue(r, t) {
				return true
			}
		}
		return false
	}
	if view != nil {
		src = snapshotRows(c)
		d = &diff.Detail{}
		shows = func(*diff.Row) bool { return true }
		asides = treemapAsides(src, view.Retained)
	}
	listed := HTMLMaxRows
	if top > 0 && top < listed {
		listed = top
	}
	var n int       // rows listed
	end := len(src) // where the rows not listed start
	for i := range src {
		r := &src[i]
		if !shows(r) {
			continue
		}
		if n == listed {
			end = i
			break
		}
		n++
		hr := htmlRow{Name: strs.id(r.Named().Name), Flat: htmlChanges(r.Flat), Objects: objectPair(r.Objects)}
		if k, ok := c.Kept(r.Flat); ok {
			hr.Kept = &[2]float64{k.Share, k.Noise}
		}
		if asides != nil {
			hr.Aside = asides[i]
		}
		if r.Cum != nil {
			hr.Cum = htmlChanges(r.Cum)
		}
		if i < len(d.Stacks) && d.Stacks[i] != nil {
			data.Limits.StackRows = n
			rs := htmlRowStacks{More: d.MoreStacks[i]}
			for _, s := range d.Stacks[i] {
				hs := htmlStack{Values: htmlChanges(s.Values)}
				for _, f := range s.Frames {
					fn := f.Function
					if !f.Symbolized() {
						fn = f.String()
					}
					key := [3]int64{int64(frameStrs.id(fn)), int64(frameStrs.id(f.File)), f.Line}
					id, ok := frames[key]
					if !ok {
						id = len(stacks.Frames)
						frames[key] = id
						stacks.Frames = append(stacks.Frames, key)
					}
					hs.Frames = append(hs.Frames, id)
				}
				rs.Stacks = append(rs.Stacks, hs)
			}
			stacks.Rows = append(stacks.Rows, make([]htmlRowStacks, n-1-len(stacks.Rows))...)
			stacks.Rows = append(stacks.Rows, rs)
		}
		data.Rows = append(data.Rows, hr)
	}
	// The rows not listed are summed in one, counted by the sample types
	// that show them; rows Compare cut (diff.Options.Top) count for every
	// type. A row of no value adds nothing to the sums.
	cut := src[end:]
	other := &htmlOther{Rows: c.Rest.Rows, Shown: make([]int, len(c.Types))}
	for i := range cut {
		r := &cut[i]
		if !shows(r) {
			continue
		}
		other.Rows++
		for t := range other.Shown {
			if view != nil || hasValue(r, t) {
				other.Shown[t]++
			}
		}
	}
	data.Limits.Rows = n + other.Rows
	if other.Rows > 0 {
		for t := range other.Shown {
			other.Shown[t] += c.Rest.Rows
		}
		rest := cut
		if c.Rest.Rows > 0 {
			rest = append(slices.Clone(cut), diff.Row{Flat: c.Rest.Flat})
		}
		other.Flat = htmlChanges(diff.SumRows(rest, len(c.Types)).Flat)
		// Rows Compare cut carry no object counts: only the page's own
		// cut can be summed.
		if view != nil && view.IDs && c.Rest.Rows == 0 {
			var o [4]int64
			for _, r := range cut {
				if r.Objects != nil {
					o[0] += r.Objects.New
					o[1] += r.Objects.Deleted
					o[2] += r.Objects.NewSize
					o[3] += r.Objects.DeletedSize
				}
			}
			other.Objects = &o
		}
		data.Other = other
	}

	if view != nil {
		data.Snapshot = view
		data.Growth = []htmlGrowth{}
	} else {
		tree := htmlTreeOf(d.Tree, &strs, len(c.Types))
		data.Tree = &tree
		data.Growth = trees.layout(&strs)
	}
	data.Strings = strs.list
	if len(stacks.Rows) > 0 {
		stacks.Strings = frameStrs.list
		data.stacks = stacks
	}
	data.Holders = newHTMLHolders(c.Holders)
	return data
}

// htmlSnapshotView is what the page needs to show a comparison of heap
// snapshots by class with DevTools' Comparison columns.
type htmlSnapshotView struct {
	// Count, Shallow and Retained are the indexes of the sample types
	// behind # delta, shallow delta and retained delta.
	Count    int `json:"count"`
	Shallow  int `json:"shallow"`
	Retained int `json:"retained"`
	// IDs is set when the snapshots' object ids match, so rows have # new,
	// # deleted and their sizes.
	IDs bool `json:"ids"`
	// Classes counts the classes compared, changed or not.
	Classes int `json:"classes"`
}

// snapshotView returns the snapshot layout's parameters when c compares
// heap snapshots grouped by class, nil otherwise. Snapshots grouped by
// allocation stack (taken with --track-heap-objects, compared with --by)
// have call stacks, and get the call-tree page.
func snapshotView(c *diff.Comparison) *htmlSnapshotView {
	count, shallow, retained, ok := snapshotColumns(c)
	if !ok || !byClass(c) {
		return nil
	}
	v := &htmlSnapshotView{Count: count, Shallow: shallow, Retained: retained, Classes: len(c.Rows) + c.Rest.Rows}
	for _, r := range c.Rows {
		v.IDs = v.IDs || r.Objects != nil
	}
	return v
}

// objectPair is o as [new, deleted, new size, deleted size], nil when o
// is.
func objectPair(o *diff.ObjectChange) *[4]int64 {
	if o == nil {
		return nil
	}
	return &[4]int64{o.New, o.Deleted, o.NewSize, o.DeletedSize}
}

func htmlTreeOf(nodes []diff.Node, strs *interner, nTypes int) htmlTree {
	t := htmlTree{Folded: []int{}, Values: make([]htmlTreeType, nTypes)}
	for i, n := range nodes {
		t.Name = append(t.Name, strs.id(n.Name))
		t.Parent = append(t.Parent, n.Parent)
		if n.Folded > 0 {
			t.Folded = append(t.Folded, i)
		}
		for ti, v := range n.Values {
			tv := &t.Values[ti]
			tv.Base = append(tv.Base, v.Base)
			tv.Target = append(tv.Target, v.Target)
			sig := 0
			if v.Significant {
				sig = 1
			}
			tv.Sig = append(tv.Sig, sig)
		}
	}
	return t
}
