package report

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/heapdiff/heapdiff/diff"
	"github.com/heapdiff/heapdiff/internal/heapgen"
	"github.com/heapdiff/heapdiff/profile"
)

// treemapPage is the part of a comparison page's data the treemap tests
// read.
type treemapPage struct {
	Strings []string      `json:"strings"`
	Growth  []treemapData `json:"growth"`
}

// treemapData is an htmlGrowth as the page reads it.
type treemapData struct {
	Grew   int           `json:"grew"`
	Growth int64         `json:"growth"`
	Shrank int           `json:"shrank"`
	Shrink int64         `json:"shrink"`
	Nodes  []treemapNode `json:"nodes"`
}

type treemapNode struct {
	htmlGrowthNode
	Change *decodedChange `json:"c"`
}

// hasParts says whether n has boxes inside it.
func hasParts(g treemapData, n treemapNode) bool {
	i := slices.IndexFunc(g.Nodes, func(m treemapNode) bool { return m == n })
	return slices.ContainsFunc(g.Nodes, func(m treemapNode) bool { return int(m.Parent) == i })
}

// TestHTMLTreemapAddsUp checks the treemap of every sample type: its areas
// are the growth of the sites that grew, which with what the others shrank
// makes the comparison's total change; every box holds what its parts hold;
// no two parts of a group are under 1% of the growth, nor does a box only
// frame another; and every label is drawn from the box's whole name.
func TestHTMLTreemapAddsUp(t *testing.T) {
	small, smallTarget := generatedPair(t, heapgen.Small)
	leaky, leakyTarget := loadPair(t, "../testdata/leaky/heap-01.pb.gz", "../testdata/leaky/heap-12.pb.gz")
	for _, tc := range []struct {
		name         string
		base, target *profile.Profile
		sums         bool // whether some box must sum small parts
	}{
		{"leaky", leaky, leakyTarget, false},
		// 2,000 stacks over 500 functions: every site under 1%.
		{"heapgen.Small", small, smallTarget, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := diff.Compare(tc.base, tc.target, HTMLOptions(diff.Options{}))
			if err != nil {
				t.Fatal(err)
			}
			var d treemapPage
			decodePage(t, renderHTML(t, tc.base, tc.target, diff.Options{}), &d)
			if len(d.Growth) != len(c.Types) {
				t.Fatalf("%d treemaps for %d sample types", len(d.Growth), len(c.Types))
			}
			for ti, g := range d.Growth {
				checkTreemap(t, c.Types[ti].Type, g, d.Strings, c.Total[ti].Delta())
				// A box's change, its color, is diff's sum of its sites',
				// with diff's verdict on its noise.
				var grew []diff.Row
				for _, r := range c.Detail.Sites {
					if r.Flat[ti].Delta() > 0 {
						grew = append(grew, r)
					}
				}
				ch := diff.SumRows(grew, len(c.Types)).Flat[ti]
				want := decodedChange{ch.Base, ch.Target, int64(ch.Noise + 0.5), 0}
				if ch.Significant {
					want[3] = 1
				}
				if got := g.Nodes[0].Change; got == nil || *got != want {
					t.Errorf("%s: the root's change is %v, diff sums the sites that grew to %v", c.Types[ti].Type, got, want)
				}
				summed := slices.ContainsFunc(g.Nodes, func(n treemapNode) bool { return n.More > 0 || n.Sites > 1 && !hasParts(g, n) })
				if tc.sums && !summed {
					t.Errorf("%s: no box sums small parts", c.Types[ti].Type)
				}
			}
		})
	}
}

func checkTreemap(t *testing.T, typ string, g treemapData, strs []string, total int64) {
	t.Helper()
	if g.Growth+g.Shrink != total {
		t.Errorf("%s: the sites grew %d and shrank %d, which is not the total's change %d", typ, g.Growth, g.Shrink, total)
	}
	if len(g.Nodes) == 0 || g.Nodes[0].Parent != -1 || g.Nodes[0].Value != g.Growth || g.Nodes[0].Sites != g.Grew {
		t.Fatalf("%s: the root is %+v; want all the growth, %d of %d sites", typ, g.Nodes[:min(1, len(g.Nodes))], g.Growth, g.Grew)
	}
	minimum := int64(treemapMinShare * float64(g.Growth))
	kids := make([][]int, len(g.Nodes))
	for i, n := range g.Nodes[1:] {
		if n.Parent < 0 || int(n.Parent) > i {
			t.Fatalf("%s: node %d's parent %d does not come before it", typ, i+1, n.Parent)
		}
		kids[n.Parent] = append(kids[n.Parent], i+1)
	}
	for i, n := range g.Nodes {
		label, short, full := strs[n.Label], strs[n.Short], strs[n.Full]
		if len(kids[i]) > 0 {
			var value int64
			var sites, small int
			for _, k := range kids[i] {
				value += g.Nodes[k].Value
				sites += g.Nodes[k].Sites
				if g.Nodes[k].More == 0 && g.Nodes[k].Value < minimum {
					small++
				}
			}
			if value != n.Value || sites != n.Sites {
				t.Errorf("%s: box %q holds %d in %d sites, its parts %d in %d", typ, full, n.Value, n.Sites, value, sites)
			}
			if small > 1 {
				t.Errorf("%s: box %q has %d parts under 1%% of the growth, not summed", typ, full, small)
			}
			if i > 0 && len(kids[i]) == 1 {
				t.Errorf("%s: box %q only frames %q", typ, full, strs[g.Nodes[kids[i][0]].Full])
			}
		}
		if n.More > 0 {
			if n.More < 2 || len(kids[i]) > 0 {
				t.Errorf("%s: a box summing %d parts has %d parts of its own", typ, n.More, len(kids[i]))
			}
			continue
		}
		if i == 0 {
			continue
		}
		if n.Value <= 0 || label == "" {
			t.Errorf("%s: box %q grew %d, labelled %q", typ, full, n.Value, label)
		}
		for _, line := range append(strings.Split(label, "\n"), short) {
			if !strings.Contains(full, line) {
				t.Errorf("%s: box %q is labelled %q: not drawn from its name", typ, full, line)
			}
		}
		if n.Change == nil || n.Change.delta() != n.Value {
			t.Errorf("%s: box %q grew %d, its change is %v", typ, full, n.Value, n.Change)
		}
	}
}

// TestHTMLTreemapOfTheLeakyDemo checks the boxes of testdata/leaky's
// treemap: one package, so its functions are the top boxes, labelled as Go
// names are read; a function with one site is one box naming both.
func TestHTMLTreemapOfTheLeakyDemo(t *testing.T) {
	a, b := loadPair(t, "../testdata/leaky/heap-01.pb.gz", "../testdata/leaky/heap-12.pb.gz")
	var d treemapPage
	decodePage(t, renderHTML(t, a, b, diff.Options{}), &d)
	var inuse treemapData
	types := []string{"alloc_objects", "alloc_space", "inuse_objects", "inuse_space"}
	inuse = d.Growth[slices.Index(types, "inuse_space")]
	var got []string
	for _, n := range inuse.Nodes[1:] {
		indent := ""
		for p := n.Parent; p > 0; p = inuse.Nodes[p].Parent {
			indent += "  "
		}
		got = append(got, indent+strings.ReplaceAll(d.Strings[n.Label], "\n", " | ")+" / "+d.Strings[n.Short])
	}
	want := []string{
		"main.(*SessionStore).Open / (*SessionStore).Open",
		"  main.go:50 / main.go:50",
		"  main.go:51 / main.go:51",
		"main.(*JobQueue).Finish / (*JobQueue).Finish",
		"  main.go:66 / main.go:66",
		"  main.go:68 / main.go:68",
		"main.(*Cache).Put | main.go:80 / (*Cache).Put",
		"main.(*Batcher).Grow | main.go:90 / (*Batcher).Grow",
	}
	if !slices.Equal(got, want) {
		t.Errorf("the boxes are\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// badTreemapLabels returns the lines of text the comparison page's treemap
// drew that are not whole parts of a box's name (its label's lines, its
// short name, "(N more)"), with an ellipsis where more parts follow: what
// ECharts would cut to "git", "gi", "g" or "pkg13…" (of pkg138). Parts are
// those heapdiffDOM.nameParts splits names into. It also counts the lines
// drawn.
func badTreemapLabels(p *browserPage) (bad []string, drawn int) {
	type result struct {
		Bad   []string
		Drawn int
	}
	r := eval[result](p, `(function () {
		var c = echarts.getInstanceByDom(document.getElementById('sites'));
		var D = JSON.parse(document.getElementById('heapdiff-data').textContent), names = ['growth'];
		(D.snapshot ? [] : D.growth[heapdiff.state.type].nodes).forEach(function (n) {
			if (n.m) { names.push('(' + n.m.toLocaleString('en-US') + ' more)'); return; }
			names = names.concat(D.strings[n.n].split('\n'), [D.strings[n.a]]);
		});
		(D.snapshot ? D.rows : []).forEach(function (r) { names.push(D.strings[r.n]); });
		/* where each name may be cut: between its parts, after a space */
		function whole(t) {
			return names.some(function (name) {
				var at = [0], i = 0;
				heapdiffDOM.nameParts(name).forEach(function (part) {
					i += part.length;
					at.push(i);
					if (part.charAt(0) === ' ') { at.push(i - part.length + 1); }
				});
				for (var k = 0; k < at.length; k++) {
					if (name.substr(at[k], t.length) === t && at.indexOf(at[k] + t.length) >= 0) { return true; }
				}
				return false;
			});
		}
		var out = { bad: [], drawn: 0 };
		c.getZr().storage.getDisplayList().forEach(function (e) {
			var s = e.style && e.style.text;
			if (typeof s !== 'string' || !s) { return; }
			s.split('\n').forEach(function (t) {
				out.drawn++;
				var cut = t.slice(-1) === '…';
				if (cut ? t.length < 2 || !whole(t.slice(0, -1)) : !whole(t)) { out.bad.push(t); }
			});
		});
		return out;
	})()`)
	return r.Bad, r.Drawn
}

// TestHTMLTreemapInBrowser opens the page of a pair whose growth is spread
// over some 1,700 sites (seriesConfig) and checks its treemap as a reader sees
// it: labels that are whole parts of names, never stubs, on every sample
// type; a note whose numbers make the total's change; and a click that
// zooms into a box. The page also says how many rows there are, beyond the
// table's cap.
func TestHTMLTreemapInBrowser(t *testing.T) {
	a, b := generatedPair(t, seriesConfig)
	p := openHTML(t, startBrowser(t), "treemap.html", renderHTML(t, a, b, diff.Options{}))

	// More rows than the table holds: the page says how many there are.
	c, err := diff.Compare(a, b, diff.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Rows) <= HTMLMaxRows {
		t.Fatalf("%d rows: too few to test the table's cap", len(c.Rows))
	}
	want := fmt.Sprintf("%s rows: the first %s in the table, the other %s summed in its last row", thousands(len(c.Rows)), thousands(HTMLMaxRows), thousands(len(c.Rows)-HTMLMaxRows))
	if got := eval[string](p, `document.getElementById('row-count').textContent`); got != want {
		t.Errorf("the row count reads %q, want %q", got, want)
	}
	types := eval[int](p, `document.querySelectorAll('#type option').length`)
	for ti := range types {
		p.evalVoid(fmt.Sprintf(`var s = document.getElementById('type'); s.value = '%d'; s.dispatchEvent(new Event('change'))`, ti))
		name := eval[string](p, `document.querySelector('#type option:checked').textContent`)
		bad, drawn := badTreemapLabels(p)
		if drawn < 10 {
			t.Errorf("%s: the treemap drew %d lines of labels", name, drawn)
		}
		for _, l := range bad {
			t.Errorf("%s: the treemap drew %q, not a whole part of a name", name, l)
		}
		note := eval[string](p, `document.getElementById('sites-note').textContent`)
		delta := eval[string](p, `document.querySelectorAll('#totals .v')[2].textContent`)
		if !regexp.MustCompile(`^area = growth: [\d,]+ sites grew \+\S+, [\d,]+ shrank -\S+, net ` + regexp.QuoteMeta(delta) + `; parts under 1% of the growth are summed; click to zoom in$`).MatchString(note) {
			t.Errorf("%s: the treemap's note reads %q; the total's change is %s", name, note, delta)
		}
	}

	// A click on the largest box's header zooms into it: its parts,
	// labelled alike.
	type box struct{ X, Y float64 }
	p.do("ScrollIntoView(#sites)", chromedp.ScrollIntoView(chromedp.ID("sites")))
	at := eval[box](p, `(function () {
		var c = echarts.getInstanceByDom(document.getElementById('sites')), l = c.getModel().getSeriesByIndex(0).getData().getItemLayout(1);
		var r = document.getElementById('sites').getBoundingClientRect();
		return { x: r.left + l.x + l.width / 2, y: r.top + l.y + 10 };
	})()`)
	p.do("click the largest box", chromedp.MouseClickXY(at.X, at.Y))
	bad, drawn := badTreemapLabels(p)
	for _, l := range bad {
		t.Errorf("zoomed in, the treemap drew %q, not a whole part of a name", l)
	}
	// Zoomed, the box fills the chart.
	share := eval[float64](p, `(function () {
		var c = echarts.getInstanceByDom(document.getElementById('sites')), l = c.getModel().getSeriesByIndex(0).getData().getItemLayout(1);
		return Math.max(l.width / c.getWidth(), l.height / c.getHeight());
	})()`)
	if share < 0.9 || drawn < 3 {
		t.Errorf("after a click on the largest box it spans %.0f%% of the chart, with %d lines of labels", 100*share, drawn)
	}
	p.checkClean()
}
