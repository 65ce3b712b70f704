package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/heapdiff/heapdiff/diff"
	"github.com/heapdiff/heapdiff/profile"
)

// The Node.js and Bun test data (see testdata/node/README.md).
const (
	leakyBefore   = "../testdata/node/leaky-before.heapsnapshot.gz"
	leakyAfter    = "../testdata/node/leaky-after.heapsnapshot.gz"
	bunBefore     = "../testdata/node/bun-before.heapsnapshot.gz"
	bunAfter      = "../testdata/node/bun-after.heapsnapshot.gz"
	trackedBefore = "../testdata/node/tracked-before.heapsnapshot.gz"
	trackedAfter  = "../testdata/node/tracked-after.heapsnapshot.gz"
	sampledBefore = "../testdata/node/before.heapprofile.gz"
	sampledAfter  = "../testdata/node/after.heapprofile.gz"
)

// snapshotPage is the part of a page's data the snapshot tests read.
type snapshotPage struct {
	Strings  []string          `json:"strings"`
	Snapshot *htmlSnapshotView `json:"snapshot"`
	Tree     json.RawMessage   `json:"tree"`
	Rows     []struct {
		Name    int             `json:"n"`
		Flat    []decodedChange `json:"v"`
		Objects *[4]int64       `json:"o"`
	} `json:"rows"`
}

// row returns the page's row called name, or nil.
func (d *snapshotPage) row(name string) (flat []decodedChange, objects *[4]int64, ok bool) {
	for _, r := range d.Rows {
		if d.Strings[r.Name] == name {
			return r.Flat, r.Objects, true
		}
	}
	return nil, nil, false
}

// loadNodePair loads a pair of Node.js or Bun files; allocation groups
// traced snapshots by allocation stack, as heapdiff compare --by does.
func loadNodePair(t *testing.T, base, target string, allocation bool) (*profile.Profile, *profile.Profile) {
	t.Helper()
	ps, err := profile.LoadAll([]string{base, target}, profile.Options{AllocationStacks: allocation})
	if err != nil {
		t.Fatal(err)
	}
	return ps[0], ps[1]
}

// TestSnapshotHTMLLayout checks which comparisons get the snapshot layout
// (DevTools' Comparison columns, no call tree) and what their rows carry.
func TestSnapshotHTMLLayout(t *testing.T) {
	t.Run("leaky Node pair by class", func(t *testing.T) {
		a, b := loadNodePair(t, leakyBefore, leakyAfter, false)
		c, err := diff.Compare(a, b, diff.Options{})
		if err != nil {
			t.Fatal(err)
		}
		page := renderHTML(t, a, b, diff.Options{})
		var d snapshotPage
		decodePage(t, page, &d)
		v := d.Snapshot
		if v == nil || !v.IDs || v.Classes != len(c.Rows) || d.Tree != nil {
			t.Fatalf("snapshot view %+v, tree %s; want ids matched, %d classes and no tree", v, d.Tree, len(c.Rows))
		}
		flat, objects, ok := d.row("LeakySession")
		if !ok || objects == nil || *objects != [4]int64{1000, 0, 40000, 0} || flat[v.Count].delta() != 1000 {
			t.Errorf("LeakySession: %v objects %v; want 1000 new, 0 deleted, of 40000 and 0 bytes, # delta 1000", flat, objects)
		}
		if _, _, ok := d.row("StableRecord"); ok {
			t.Error("StableRecord did not change, yet it is a row")
		}
		if want := len(snapshotRows(c)); len(d.Rows) != want {
			t.Errorf("%d rows, want the %d that changed", len(d.Rows), want)
		}
		for _, absent := range []string{`id="flame"`, `id="type"`, "Differential flame graph"} {
			if bytes.Contains(page, []byte(absent)) {
				t.Errorf("the snapshot page has %s", absent)
			}
		}
		for _, want := range []string{"Heap snapshot comparison", "Retained size growth by class", "do not add up"} {
			if !bytes.Contains(page, []byte(want)) {
				t.Errorf("the snapshot page lacks %q", want)
			}
		}
	})
	t.Run("Bun ids do not match", func(t *testing.T) {
		a, b := loadNodePair(t, bunBefore, bunAfter, false)
		var d snapshotPage
		decodePage(t, renderHTML(t, a, b, diff.Options{}), &d)
		if d.Snapshot == nil || d.Snapshot.IDs {
			t.Fatalf("snapshot view %+v, want one without ids", d.Snapshot)
		}
		for _, r := range d.Rows {
			if r.Objects != nil {
				t.Errorf("row %s has new and deleted objects %v", d.Strings[r.Name], *r.Objects)
			}
		}
		if flat, _, ok := d.row("LeakySession"); !ok || flat[d.Snapshot.Count].delta() != 1000 {
			t.Errorf("LeakySession: %v, want # delta 1000", flat)
		}
	})
	// Allocation stacks have call stacks: the call-tree page.
	for _, tc := range []struct {
		name         string
		base, target string
		allocation   bool
		opts         diff.Options
		snapshot     bool
	}{
		{"traced pair by class", trackedBefore, trackedAfter, false, diff.Options{}, true},
		{"traced pair by allocation stack", trackedBefore, trackedAfter, true, diff.Options{By: diff.ByStack}, false},
		{"traced pair by allocation site", trackedBefore, trackedAfter, true, diff.Options{By: diff.BySite}, false},
		{"sampling heap profiles", sampledBefore, sampledAfter, false, diff.Options{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := loadNodePair(t, tc.base, tc.target, tc.allocation)
			page := renderHTML(t, a, b, tc.opts)
			var d snapshotPage
			decodePage(t, page, &d)
			if got := d.Snapshot != nil; got != tc.snapshot || (d.Tree == nil) != tc.snapshot {
				t.Errorf("snapshot view %+v, tree present %v; want the snapshot layout: %v", d.Snapshot, d.Tree != nil, tc.snapshot)
			}
			if hasFlame := bytes.Contains(page, []byte(`id="flame"`)); hasFlame == tc.snapshot {
				t.Errorf("flame graph present: %v", hasFlame)
			}
		})
	}
}

// TestSnapshotHTMLInBrowser opens the leaky Node pair's page and the Bun
// pair's in Chromium: DevTools' columns, as text, for the leaky class.
func TestSnapshotHTMLInBrowser(t *testing.T) {
	browser := startBrowser(t)
	a, b := loadNodePair(t, leakyBefore, leakyAfter, false)
	asFromRoot(a, b)
	c, err := diff.Compare(a, b, diff.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p := openHTML(t, browser, "snapshot.html", renderHTML(t, a, b, diff.Options{}))
	p.picture("snapshot.png")

	t.Run("the treemap labels its boxes with whole names", func(t *testing.T) {
		bad, drawn := badTreemapLabels(p)
		if drawn < 4 {
			t.Errorf("the treemap drew %d lines of labels", drawn)
		}
		for _, l := range bad {
			t.Errorf("the treemap drew %q, not a whole class name", l)
		}
	})

	t.Run("charts drew, and only these", func(t *testing.T) {
		for id, n := range p.inkedPixels(chartGrowers, chartSites) {
			if n < 500 {
				t.Errorf("chart %s has %d drawn pixels", id, n)
			}
		}
		if n := eval[int](p, `document.querySelectorAll('#flame, #type, tr.stacks').length`); n != 0 {
			t.Errorf("%d elements of the call-tree page (flame graph, sample type switch, stacks)", n)
		}
		// The treemap draws retained growth: LeakySession's tile is there.
		names := eval[[]string](p, `echarts.getInstanceByDom(document.getElementById('sites')).getOption().series[0].data.map(function (d) { return d.name; })`)
		if !strings.Contains(strings.Join(names, "\n"), "LeakySession") {
			t.Errorf("the treemap has no LeakySession tile: %q", names)
		}
	})

	const rowCells = `(function (name) {
		var tr = Array.from(document.querySelectorAll('#rows-body tr.row')).find(function (tr) { return tr.cells[0].textContent === name; });
		return tr ? Array.from(tr.cells).map(function (td) { return td.textContent; }) : null;
	})`
	t.Run("LeakySession row", func(t *testing.T) {
		head := eval[[]string](p, `Array.from(document.querySelectorAll('#rows-head th')).map(function (th) { return th.textContent; })`)
		if want := []string{"class", "# new", "# deleted", "# delta", "alloc. size", "freed size", "size delta", "shallow delta", "retained delta"}; fmt.Sprint(head) != fmt.Sprint(want) {
			t.Errorf("columns %q, want %q", head, want)
		}
		cells := eval[[]string](p, rowCells+`('LeakySession')`)
		if want := []string{"LeakySession", "1000", "0", "+1000", "39.1KiB", "0B", "+39.1KiB", "+39.1KiB"}; len(cells) != 9 || fmt.Sprint(cells[:8]) != fmt.Sprint(want) || !strings.HasPrefix(cells[8], "+") {
			t.Errorf("LeakySession reads %q; want %q and retained growth", cells, want)
		}
		// A delta's cell tells its base and target.
		title := eval[string](p, `Array.from(document.querySelectorAll('#rows-body tr.row')).find(function (tr) { return tr.cells[0].textContent === 'LeakySession'; }).cells[3].title`)
		if title != "100 → 1100" {
			t.Errorf("# delta cell title %q, want 100 → 1100", title)
		}
		if n := eval[int](p, `document.querySelectorAll('#rows-body tr.row').length`); n != len(snapshotRows(c)) {
			t.Errorf("%d rows, want the %d classes that changed", n, len(snapshotRows(c)))
		}
	})

	rowNames := func() []string {
		return eval[[]string](p, `Array.from(document.querySelectorAll('#rows-body tr.row td.name')).map(function (td) { return td.textContent; })`)
	}
	t.Run("filter", func(t *testing.T) {
		before := len(rowNames())
		p.do("SendKeys(ID('filter'), 'session')", chromedp.SendKeys(chromedp.ID("filter"), "session"))
		names := rowNames()
		if len(names) == 0 || len(names) >= before {
			t.Fatalf("%d rows before the filter, %d after", before, len(names))
		}
		for _, n := range names {
			if !strings.Contains(strings.ToLower(n), "session") {
				t.Errorf("row %q does not match the filter", n)
			}
		}
		if got := eval[string](p, `document.getElementById('row-count').textContent`); !strings.HasPrefix(got, fmt.Sprintf("%d of %d changed classes", len(names), before)) {
			t.Errorf("row count reads %q", got)
		}
		p.evalVoid(`var f = document.getElementById('filter'); f.value = ''; f.dispatchEvent(new Event('input'))`)
		if n := len(rowNames()); n != before {
			t.Errorf("clearing the filter shows %d rows, want %d", n, before)
		}
	})

	t.Run("sort by retained delta", func(t *testing.T) {
		_, _, retained, _ := snapshotColumns(c)
		var most, least diff.Row
		for i, r := range snapshotRows(c) {
			d := r.Flat[retained].Delta()
			if i == 0 || d > most.Flat[retained].Delta() || d == most.Flat[retained].Delta() && r.Name < most.Name {
				most = r
			}
			if i == 0 || d < least.Flat[retained].Delta() || d == least.Flat[retained].Delta() && r.Name < least.Name {
				least = r
			}
		}
		p.do("Click(CSS(`#rows-head th[data-key='retained']`))", chromedp.Click(chromedp.CSS(`#rows-head th[data-key="retained"]`)))
		if names := rowNames(); names[0] != most.Name {
			t.Errorf("sorted by retained delta, the first row is %q, want %q", names[0], most.Name)
		}
		p.do("Click(CSS(`#rows-head th[data-key='retained']`))", chromedp.Click(chromedp.CSS(`#rows-head th[data-key="retained"]`)))
		if names := rowNames(); names[0] != least.Name {
			t.Errorf("sorted by retained delta, ascending, the first row is %q, want %q", names[0], least.Name)
		}
	})

	t.Run("tooltip shows every column", func(t *testing.T) {
		p.do("ScrollIntoView(ID('growers'))", chromedp.ScrollIntoView(chromedp.ID("growers")))
		p.evalVoid(`(function () {
			var ch = echarts.getInstanceByDom(document.getElementById('growers'));
			var i = ch.getOption().series[0].data.findIndex(function (d) { return d.row.name === 'LeakySession'; });
			ch.dispatchAction({type: 'showTip', seriesIndex: 0, dataIndex: i});
		})()`)
		p.waitFor(`Array.from(document.querySelectorAll('.tip .tname')).some(function (e) { return e.textContent === 'LeakySession'; })`)
		text := eval[string](p, `Array.from(document.querySelectorAll('.tip')).find(function (e) { return e.querySelector('.tname').textContent === 'LeakySession'; }).textContent`)
		for _, want := range []string{"# new1000", "# deleted0", "alloc. size39.1KiB", "freed size0B", "size delta+39.1KiB", "objects100 → 1100", "shallow", "retained"} {
			if !strings.Contains(text, want) {
				t.Errorf("the tooltip %q lacks %q", text, want)
			}
		}
	})
	p.checkClean()

	t.Run("rows cut by --top are summed, retained sizes not", func(t *testing.T) {
		p := openHTML(t, browser, "top.html", renderHTML(t, a, b, diff.Options{Top: 5}))
		if n := eval[int](p, `document.querySelectorAll('#rows-body tr.row').length`); n != 5 {
			t.Errorf("%d rows, want 5", n)
		}
		cells := eval[[]string](p, `Array.from(document.querySelector('#rows-body tr.other').cells).map(function (td) { return td.textContent; })`)
		if len(cells) != 9 || !strings.HasPrefix(cells[0], "(") || !strings.Contains(cells[0], "more rows, summed") || cells[3] == "" || cells[7] == "" || cells[8] != "" {
			t.Errorf("the summed row reads %q; want a count and shallow size, no retained size", cells)
		}
		p.checkClean()
	})

	t.Run("nothing matches", func(t *testing.T) {
		p := openHTML(t, browser, "empty.html", renderHTML(t, a, b, diff.Options{Focus: regexp.MustCompile("^no such class$")}))
		if shown := eval[[]bool](p, `['growers-empty', 'sites-empty'].map(function (id) { return !document.getElementById(id).hidden; })`); !shown[0] || !shown[1] {
			t.Errorf("the charts' empty notes shown: %v", shown)
		}
		if n := eval[int](p, `document.querySelectorAll('#rows-body tr.row').length`); n != 0 {
			t.Errorf("%d rows", n)
		}
		p.checkClean()
	})

	t.Run("Bun: no new or deleted", func(t *testing.T) {
		a, b := loadNodePair(t, bunBefore, bunAfter, false)
		p := openHTML(t, browser, "bun.html", renderHTML(t, a, b, diff.Options{}))
		p.screenshot("bun.png")
		cells := eval[[]string](p, rowCells+`('LeakySession')`)
		if len(cells) != 9 || fmt.Sprint(cells[1:7]) != fmt.Sprint([]string{"", "", "+1000", "", "", ""}) {
			t.Errorf("LeakySession reads %q; want no # new, # deleted, alloc. size, freed size or size delta, and # delta +1000", cells)
		}
		if w := eval[string](p, `document.getElementById('warnings').textContent`); !strings.Contains(w, "do not match") {
			t.Errorf("the warnings %q do not say the ids do not match", w)
		}
		for id, n := range p.inkedPixels(chartGrowers, chartSites) {
			if n < 500 {
				t.Errorf("chart %s has %d drawn pixels", id, n)
			}
		}
		p.checkClean()
	})
}

// TestHeapProfileHTMLInBrowser opens the page of the sampling heap profile
// pair (node --heap-prof) in Chromium: the call-tree page, reading well for
// JavaScript.
func TestHeapProfileHTMLInBrowser(t *testing.T) {
	a, b := loadNodePair(t, sampledBefore, sampledAfter, false)
	browser := startBrowser(t)
	p := openHTML(t, browser, "heapprofile.html", renderHTML(t, a, b, diff.Options{}))
	p.screenshot("heapprofile.png")

	t.Run("every chart drew", func(t *testing.T) {
		for id, n := range p.inkedPixels() {
			if n < 500 {
				t.Errorf("chart %s has %d drawn pixels", id, n)
			}
		}
	})

	t.Run("the leak leads the table and opens to its stack", func(t *testing.T) {
		first := `document.querySelector('#rows-body tr.row')`
		if name := eval[string](p, first+`.cells[0].textContent`); name != "leak leaky.js:41" {
			t.Fatalf("the first row is %q, want the leaky function's site, leak leaky.js:41", name)
		}
		p.do("Click(CSS(`#rows-body tr.row`))", chromedp.Click(chromedp.CSS(`#rows-body tr.row`)))
		frames := eval[[]string](p, `Array.from(document.querySelector('#rows-body tr.stacks .stack').querySelectorAll('li')).map(function (li) { return li.textContent; })`)
		if len(frames) < 3 || frames[0] != "leak  leaky.js:41" || !slices.Contains(frames, "(anonymous)  leaky.js:1") {
			t.Errorf("the leak's stack reads %q", frames)
		}
		// Node's own frames keep their module's name as the file's title.
		titles := eval[[]string](p, `Array.from(document.querySelectorAll('#rows-body tr.stacks li .file')).map(function (e) { return e.title; })`)
		if !slices.ContainsFunc(titles, func(s string) bool { return strings.HasPrefix(s, "node:internal/") }) {
			t.Errorf("no frame of Node's internals among %q", titles)
		}
	})

	t.Run("treemap by npm package, Node and the app", func(t *testing.T) {
		type node struct {
			Name     string
			Children []node
		}
		tops := eval[[]node](p, `echarts.getInstanceByDom(document.getElementById('sites')).getOption().series[0].data`)
		var names []string
		var app *node
		for i, n := range tops {
			names = append(names, n.Name)
			if n.Name == profile.JSAppPackage {
				app = &tops[i]
			}
		}
		if app == nil || !slices.Contains(names, profile.JSNodePackage) {
			t.Fatalf("the treemap's packages are %q, want %s and %s", names, profile.JSAppPackage, profile.JSNodePackage)
		}
		// A JavaScript function is its name, script and line.
		if app.Children[0].Name != "leak leaky.js:41" {
			t.Errorf("the app's largest function is %q, want leak leaky.js:41", app.Children[0].Name)
		}
	})

	t.Run("anonymous functions are told apart in the flame graph", func(t *testing.T) {
		type frame struct{ Name string }
		var names []string
		for _, f := range eval[[]frame](p, `heapdiff.flameFrames()`) {
			names = append(names, f.Name)
		}
		if !slices.Contains(names, "(anonymous) leaky.js:1") || !slices.Contains(names, "leak leaky.js:41") {
			t.Errorf("the flame graph's frames %q lack leak leaky.js:41 and the module function (anonymous) leaky.js:1", names)
		}
	})

	t.Run("the size axis steps by binary units", func(t *testing.T) {
		step := eval[float64](p, `echarts.getInstanceByDom(document.getElementById('growers')).getOption().xAxis[0].interval`)
		if s := int64(step); s <= 0 || float64(s) != step || s&(s-1) != 0 {
			t.Errorf("the axis steps by %v bytes, not a power of two", step)
		}
		labels := eval[[]string](p, `(function () {
			var ax = echarts.getInstanceByDom(document.getElementById('growers')).getOption().xAxis[0];
			return ax.axisLabel.customValues.map(function (v) { return ax.axisLabel.formatter(v); });
		})()`)
		for _, l := range labels {
			if !strings.HasSuffix(l, ".0MiB") && !strings.HasSuffix(l, ".0KiB") && l != "0B" {
				t.Errorf("axis label %q is not a round size", l)
			}
		}
		// Counts get ECharts' own steps back.
		idx := eval[int](p, `Array.from(document.querySelectorAll('#type option')).findIndex(function (o) { return o.textContent.indexOf('objects') === 0; })`)
		p.evalVoid(fmt.Sprintf(`var s = document.getElementById('type'); s.value = '%d'; s.dispatchEvent(new Event('change'))`, idx))
		if v := eval[any](p, `echarts.getInstanceByDom(document.getElementById('growers')).getOption().xAxis[0].interval`); v != nil {
			t.Errorf("switched to objects, the axis still steps by %v", v)
		}
		for id, n := range p.inkedPixels() {
			if n < 500 {
				t.Errorf("switched to objects, chart %s has %d drawn pixels", id, n)
			}
		}
	})
	p.checkClean()

	t.Run("nothing matches", func(t *testing.T) {
		p := openHTML(t, browser, "empty.html", renderHTML(t, a, b, diff.Options{Focus: regexp.MustCompile("^no such function$")}))
		if n := eval[int](p, `document.querySelectorAll('#rows-body tr.row').length`); n != 0 {
			t.Errorf("%d rows", n)
		}
		p.checkClean()
	})
}
