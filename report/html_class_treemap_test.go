package report

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/heapdiff/heapdiff/diff"
	"github.com/heapdiff/heapdiff/internal/units"
)

// The usersessions pair (testdata/node/README.md): 1000 leaked UserSession
// of user-session.js, each with 3 KiB of its own, and 26 MiB of uploads
// that the module's scope retains, and the Buffers, ArrayBuffers and
// backing stores over them each retain again.
const (
	userSessionsBefore = "../testdata/node/usersessions/before.heapsnapshot.gz"
	userSessionsAfter  = "../testdata/node/usersessions/after.heapsnapshot.gz"
	leakedClass        = "UserSession (user-session.js:6)"
)

// TestTreemapAsides: the classes the treemap leaves out by default are the
// scopes and V8's own objects, and the ArrayBuffers that the Buffers viewing
// them count already; the leaked class, the Buffers and the strings stay.
func TestTreemapAsides(t *testing.T) {
	c := nodeComparison(t, "usersessions/before.heapsnapshot.gz", "usersessions/after.heapsnapshot.gz")
	_, _, retained, _ := snapshotColumns(c)
	rows := snapshotRows(c)
	asides := treemapAsides(rows, retained)
	got := map[string]treemapAside{}
	for i, r := range rows {
		got[r.Name] = asides[i]
	}
	for name, want := range map[string]treemapAside{
		"system / Context": asideInternal, "system / JSArrayBufferData": asideInternal, "(compiled code)": asideInternal,
		"(object shape)": asideInternal, "ArrayBuffer": asideView,
		leakedClass: inTreemap, "Buffer": inTreemap, "(string)": inTreemap, "Map": inTreemap, "Array": inTreemap,
	} {
		if g, ok := got[name]; !ok || g != want {
			t.Errorf("%s: aside %d (a row: %v), want %d", name, g, ok, want)
		}
	}
	// Without the Buffers that view them, ArrayBuffers are what grew.
	var noViews []diff.Row
	for _, r := range rows {
		if r.Name != "Buffer" {
			noViews = append(noViews, r)
		}
	}
	for i, a := range treemapAsides(noViews, retained) {
		if noViews[i].Name == "ArrayBuffer" && a != inTreemap {
			t.Errorf("ArrayBuffer is left out with no view of it: %d", a)
		}
	}
}

// TestTreemapShowsLeakedClass opens the usersessions pair's page: the
// module's scope and three views of the same 26 MiB of uploads would fill
// the treemap of retained growth, and the leaked UserSession, retaining 3
// MiB of its own, would have a tile too small to read. By default they are
// left out, the leaked class has a tile of its own with its name on it, and
// the note under the map names what was left out with its growth; the sums
// it gives add up to the growth of every class. Ticking "show every class"
// brings them back.
func TestTreemapShowsLeakedClass(t *testing.T) {
	browser := startBrowser(t)
	a, b := loadNodePair(t, userSessionsBefore, userSessionsAfter, false)
	c, err := diff.Compare(a, b, HTMLOptions(diff.Options{}))
	if err != nil {
		t.Fatal(err)
	}
	_, _, retained, _ := snapshotColumns(c)
	rows := snapshotRows(c)
	asides := treemapAsides(rows, retained)
	var grew, leftOut, shown int64
	var nGrew, nLeftOut int
	for i, r := range rows {
		d := r.Flat[retained].Delta()
		if d <= 0 {
			continue
		}
		grew += d
		nGrew++
		if asides[i] != inTreemap {
			leftOut += d
			nLeftOut++
		} else {
			shown += d
		}
	}
	p := openHTML(t, browser, "usersessions.html", renderHTML(t, a, b, diff.Options{}))
	p.screenshot("usersessions.png")

	// The tiles: each's name, value and share of the map's area.
	type tile struct {
		Name         string
		Share, Width float64
	}
	tiles := func() map[string]tile {
		list := eval[[]tile](p, `(function () {
			var ch = echarts.getInstanceByDom(document.getElementById('sites'));
			var data = ch.getModel().getSeriesByIndex(0).getData(), area = ch.getWidth() * ch.getHeight(), out = [];
			data.each(function (i) {
				var l = data.getItemLayout(i);
				/* the leaves: the root (depth 0) sums them */
				if (l && data.tree.getNodeByDataIndex(i).depth === 1) {
					out.push({Name: data.getName(i), Share: l.width * l.height / area, Width: l.width});
				}
			});
			return out;
		})()`)
		m := map[string]tile{}
		for _, tl := range list {
			m[tl.Name] = tl
		}
		return m
	}
	note := func() string { return eval[string](p, `document.getElementById('sites-aside-text').textContent`) }

	byDefault := tiles()
	leaked, ok := byDefault[leakedClass]
	if !ok || leaked.Share < 0.05 || leaked.Width < 80 {
		t.Errorf("the leaked class's tile: %+v (present %v); want at least 5%% of the map and 80 px wide", leaked, ok)
	}
	for name := range byDefault {
		for _, out := range []string{"system / Context", "system / JSArrayBufferData", "ArrayBuffer"} {
			if name == out {
				t.Errorf("the treemap shows %s by default", name)
			}
		}
	}
	// Every class shown, drawn or too small to draw.
	if sum := eval[float64](p, `echarts.getInstanceByDom(document.getElementById('sites')).getOption().series[0].data.reduce(function (t, d) { return t + d.value; }, 0)`); int64(sum) != shown {
		t.Errorf("the tiles add up to %v, want the %d bytes of growth of the classes shown", sum, shown)
	}
	text := note()
	for _, want := range []string{
		fmt.Sprintf("Shown: %d classes, %s.", nGrew-nLeftOut, units.Format(float64(shown), "bytes", true)),
		fmt.Sprintf("Left out: %d classes, %s:", nLeftOut, units.Format(float64(leftOut), "bytes", true)),
		fmt.Sprintf("Together %s.", units.Format(float64(grew), "bytes", true)),
		"scopes and V8's own objects, which retain again", "ArrayBuffers, which the Buffers and typed arrays shown retain",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the note %q lacks %q", text, want)
		}
	}
	for i, r := range rows {
		if d := r.Flat[retained].Delta(); asides[i] != inTreemap && d > 0 {
			if got, ok := noteBytes(text, r.Name); !ok || math.Abs(got-float64(d)) > 0.051*unitOf(got) {
				t.Errorf("the note %q gives %s %v (found: %v), want %d bytes", text, r.Name, got, ok, d)
			}
		}
	}

	p.do("Click(ID('sites-all'))", chromedp.Click(chromedp.ID("sites-all")))
	all := tiles()
	if n := eval[int](p, `echarts.getInstanceByDom(document.getElementById('sites')).getOption().series[0].data.length`); n != nGrew {
		t.Errorf("with every class shown: %d classes in the treemap, want %d", n, nGrew)
	}
	if _, ok := all["system / Context"]; !ok {
		t.Error("with every class shown, the scope has no tile")
	}
	if l := all[leakedClass]; l.Share >= leaked.Share/2 {
		t.Errorf("the leaked class has %.3f of the map with every class, %.3f without them: the classes left out did not crowd it", l.Share, leaked.Share)
	}
	if text := note(); !strings.HasPrefix(text, fmt.Sprintf("Every class that grew is shown (%d, %s together)", nGrew, units.Format(float64(grew), "bytes", true))) {
		t.Errorf("with every class shown, the note reads %q", text)
	}
	p.checkClean()
}

// noteBytes finds "NAME +1.5MiB" in a note and returns the size in bytes.
func noteBytes(note, name string) (float64, bool) {
	m := regexp.MustCompile(regexp.QuoteMeta(name) + ` \+([0-9.]+)(B|KiB|MiB|GiB)\b`).FindStringSubmatch(note)
	if m == nil {
		return 0, false
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return 0, false
	}
	return v * map[string]float64{"B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30}[m[2]], true
}

// unitOf is the unit a size of v bytes is written in: the precision of its
// one decimal.
func unitOf(v float64) float64 {
	for _, u := range []float64{1 << 30, 1 << 20, 1 << 10} {
		if v >= u {
			return u
		}
	}
	return 1
}
