package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	pprof "github.com/google/pprof/profile"

	"github.com/heapdiff/heapdiff/diff"
	"github.com/heapdiff/heapdiff/internal/heapgen"
	"github.com/heapdiff/heapdiff/profile"
)

func renderTrendHTML(t *testing.T, tr *diff.Trend) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := TrendHTML(&buf, tr); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestTrendHTMLGolden keeps the trend page byte for byte: its layout, data
// and chart options. The inlined ECharts bundle, scripts and styles are
// replaced by placeholders (the browser test exercises them).
func TestTrendHTMLGolden(t *testing.T) {
	tr := leakyTrend(t, diff.TrendOptions{Options: diff.Options{Top: 6}})
	page := renderTrendHTML(t, tr)
	if again := renderTrendHTML(t, tr); !bytes.Equal(page, again) {
		t.Fatal("two renderings of the same trend differ")
	}
	for _, part := range []struct{ text, placeholder string }{
		{echartsJS, "/* ECharts " + EChartsVersion + " */"},
		{domJS, "/* dom.js */"},
		{trendJS, "/* trend.js */"},
		{reportCSS, "/* report.css */"},
		{trendCSS, "/* trend.css */"},
	} {
		if !bytes.Contains(page, []byte(part.text)) {
			t.Fatalf("the page does not inline %s", part.placeholder)
		}
		page = bytes.Replace(page, []byte(part.text), []byte(part.placeholder), 1)
		// Its hash in the page's Content-Security-Policy changes with it.
		page = bytes.Replace(page, []byte(cspHash(part.text)), []byte("'sha256-"+part.placeholder+"'"), 1)
	}
	golden(t, "trend.html", page)

	// The data adds up: the table's sites and the rest make the total.
	m := regexp.MustCompile(`(?s)<script type="application/json" id="heapdiff-data">(.*?)</script>`).FindSubmatch(page)
	var data htmlTrendData
	if m == nil || json.Unmarshal(m[1], &data) != nil {
		t.Fatal("no data in the page")
	}
	if len(data.Sites) != 6 || data.Other == nil || data.Other.Count != tr.RestCount {
		t.Fatalf("%d sites, other %+v", len(data.Sites), data.Other)
	}
	for j := range data.Snapshots {
		sum := data.Other.Values[j]
		for _, s := range data.Sites {
			sum += s.Values[j]
		}
		if sum != data.Total.Values[j] {
			t.Errorf("snapshot %d: %d summed, total %d", j, sum, data.Total.Values[j])
		}
	}
}

func TestTrendHTMLInBrowser(t *testing.T) {
	browser := startBrowser(t)
	names, _ := filepath.Glob("../testdata/leaky/heap-*.pb.gz")
	b := diff.NewTrend(diff.TrendOptions{})
	for _, name := range names {
		p, err := profile.Load(name, profile.Options{})
		if err != nil {
			t.Fatal(err)
		}
		asFromRoot(p)
		if err := b.Add(p); err != nil {
			t.Fatal(err)
		}
	}
	tr, err := b.Trend()
	if err != nil {
		t.Fatal(err)
	}
	p := openHTML(t, browser, "trend.html", renderTrendHTML(t, tr))
	// The page as it opens, README's picture of the trend report.
	p.picture("trend.png")

	inked := func() int {
		return eval[int](p, `(function () {
			var c = document.querySelector('#trend canvas');
			if (!c) { return -1; }
			var d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data, n = 0;
			for (var i = 3; i < d.length; i += 4) { if (d[i] !== 0) { n++; } }
			return n;
		})()`)
	}
	charted := func() []string { return eval[[]string](p, `heapdiff.chartedNames()`) }
	rowNames := func() []string {
		return eval[[]string](p, `Array.from(document.querySelectorAll('#rows-body tr.row td.name')).map(function (td) { return td.textContent; })`)
	}

	t.Run("the chart drew the total and the top suspects", func(t *testing.T) {
		if n := inked(); n < 2000 {
			t.Errorf("the chart has %d drawn pixels", n)
		}
		names := charted()
		if len(names) != 6 || names[0] != "total" || !strings.Contains(names[1], "main.(*SessionStore).Open") || !strings.Contains(names[2], "main.(*JobQueue).Finish") {
			t.Errorf("charted series %q", names)
		}
	})

	t.Run("the table ranks the leaks first", func(t *testing.T) {
		names := rowNames()
		if len(names) != len(tr.Series) {
			t.Fatalf("%d rows for %d sites", len(names), len(tr.Series))
		}
		shapes := eval[[]string](p, `Array.from(document.querySelectorAll('#rows-body tr.row .shape')).map(function (e) { return e.textContent; })`)
		for i := range tr.Series {
			if names[i] != tr.Series[i].Name || shapes[i] != shapeCell(tr, &tr.Series[i]) {
				t.Errorf("row %d: %q %q, want %q %q", i, names[i], shapes[i], tr.Series[i].Name, shapeCell(tr, &tr.Series[i]))
			}
		}
		cache := slices.IndexFunc(names, func(n string) bool { return strings.HasPrefix(n, "main.(*Cache).Put") })
		if shapes[0] != "steady growth" || cache < 0 || !strings.HasPrefix(shapes[cache], "plateau since 10:") {
			t.Errorf("shapes %q", shapes)
		}
	})

	t.Run("clicking a row charts it", func(t *testing.T) {
		before := charted()
		const batcher = `Array.from(document.querySelectorAll('#rows-body tr.row')).filter(function (tr) { return tr.textContent.indexOf('Batcher') >= 0; })[0]`
		p.evalVoid(batcher + `.scrollIntoView()`)
		p.do("Click(`//tr[contains(@class,'row')][contains(., 'Batcher')]`)", chromedp.Click(`//tr[contains(@class,'row')][contains(., 'Batcher')]`))
		after := charted()
		if len(after) != len(before)+1 || !strings.Contains(after[len(after)-1], "main.(*Batcher).Grow") {
			t.Fatalf("charted %q after the click, %q before", after, before)
		}
		if !eval[bool](p, batcher+`.classList.contains('charted')`) {
			t.Error("the charted row is not marked")
		}
		p.do("Click(`//tr[contains(@class,'row')][contains(., 'Batcher')]`)", chromedp.Click(`//tr[contains(@class,'row')][contains(., 'Batcher')]`))
		if again := charted(); len(again) != len(before) {
			t.Errorf("a second click leaves %q charted", again)
		}
	})

	t.Run("kept column", func(t *testing.T) {
		cell := eval[string](p, `(function () {
			var k = Array.from(document.querySelectorAll('#rows-head th')).findIndex(function (th) { return th.textContent.indexOf('kept') === 0; });
			var row = Array.from(document.querySelectorAll('#rows-body tr.row')).find(function (tr) { return tr.textContent.indexOf('SessionStore).Open main.go:50') >= 0; });
			return k < 0 ? 'no kept column' : row ? row.children[k].textContent : 'no SessionStore row';
		})()`)
		if !strings.HasPrefix(cell, "100%±") && !strings.HasPrefix(cell, "9") {
			t.Errorf("the session leak's kept cell reads %q", cell)
		}
	})

	t.Run("filter and sort", func(t *testing.T) {
		p.do("SendKeys(ID('filter'), 'Cache')", chromedp.SendKeys(chromedp.ID("filter"), "Cache"))
		if names := rowNames(); len(names) != 1 || !strings.HasPrefix(names[0], "main.(*Cache).Put") {
			t.Errorf("filtered rows %q", names)
		}
		p.evalVoid(`var f = document.getElementById('filter'); f.value = ''; f.dispatchEvent(new Event('input'))`)
		// R², largest first.
		p.do("Click(`//th[text()='R²']`)", chromedp.Click(`//th[text()='R²']`))
		// The R² column's place, whatever columns come before it.
		r2 := eval[[]string](p, `(function () {
			var k = Array.from(document.querySelectorAll('#rows-head th')).findIndex(function (th) { return th.textContent.indexOf('R²') === 0; });
			return Array.from(document.querySelectorAll('#rows-body tr.row')).map(function (tr) { return tr.children[k].textContent; });
		})()`)
		for i := 1; i < len(r2); i++ {
			if r2[i] > r2[i-1] {
				t.Errorf("sorted by R², %s comes after %s", r2[i], r2[i-1])
			}
		}
		if n := inked(); n < 2000 {
			t.Errorf("after sorting, the chart has %d drawn pixels", n)
		}
	})
	p.checkClean()
}

func TestTrendHTMLMaliciousNamesAreText(t *testing.T) {
	basePath, targetPath := writeMaliciousProfiles(t)
	tr := trendOfFiles(t, []string{basePath, targetPath}, diff.TrendOptions{Options: diff.Options{By: diff.ByFunc}})
	html := renderTrendHTML(t, tr)
	if strings.Contains(string(html), "<img") || strings.Contains(string(html), "<b>bold") {
		t.Fatal("a profile string reached the page as markup")
	}
	p := openHTML(t, startBrowser(t), "malicious-trend.html", html)
	if pwned := eval[any](p, `window.__pwned === undefined ? null : window.__pwned`); pwned != nil {
		t.Errorf("the payload ran: window.__pwned = %v", pwned)
	}
	const injected = `document.querySelectorAll('img').length + Array.from(document.querySelectorAll('b, i')).length`
	if n := eval[int](p, injected); n != 0 {
		t.Errorf("%d elements were injected", n)
	}
	names := eval[string](p, `Array.from(document.querySelectorAll('#rows-body td.name')).map(function (e) { return e.textContent; }).join('\n')`)
	if !strings.Contains(names, "main.leak"+maliciousPayload) || !strings.Contains(names, "<b>bold</b>.(*T).Run") {
		t.Errorf("the table does not show the names as text:\n%s", names)
	}
	if s := eval[string](p, `document.getElementById('sources').textContent`); !strings.Contains(s, "host="+maliciousPayload) {
		t.Errorf("the comments do not show as text: %q", s)
	}
	// The legend and a tooltip carry the names too, drawn on the canvas or
	// built from elements.
	p.do("ScrollIntoView(ID('trend'))", chromedp.ScrollIntoView(chromedp.ID("trend")))
	p.evalVoid(`echarts.getInstanceByDom(document.getElementById('trend')).dispatchAction({type: 'showTip', seriesIndex: 1, dataIndex: 1})`)
	p.waitFor(`Array.from(document.querySelectorAll('.tip .tname')).some(function (e) { return e.textContent.indexOf('main.leak') >= 0; })`)
	if n := eval[int](p, injected); n != 0 {
		t.Errorf("the tooltip injected %d elements", n)
	}
	p.screenshot("malicious-trend.png")
	p.checkClean()
}

// seriesConfig makes a series like the trend benchmark's (bench/genseries),
// small enough for a test: 30 snapshots ten minutes apart, 1,718 sites, a
// total some 80 times the largest site, more sites than the page's table
// holds.
var seriesConfig = heapgen.Config{Stacks: 3000, Functions: 1000, MinDepth: 5, MaxDepth: 20, Seed: 1}

// generatedTrend is the trend of seriesConfig's 30 snapshots, made once.
var generatedTrend = sync.OnceValues(func() (*diff.Trend, error) {
	return seriesTrend(seriesConfig, 30)
})

// seriesTrend follows n snapshots of heapgen.Series(cfg), each written and
// loaded as heapdiff trend loads a file, and named as bench/genseries
// names its files.
func seriesTrend(cfg heapgen.Config, n int) (*diff.Trend, error) {
	b := diff.NewTrend(diff.TrendOptions{})
	err := seriesProfiles(cfg, n, b.Add)
	if err != nil {
		return nil, err
	}
	return b.Trend()
}

// seriesProfiles hands each of n snapshots of heapgen.Series(cfg) to add,
// written and loaded as heapdiff trend loads a file, and named as
// bench/genseries names its files.
func seriesProfiles(cfg heapgen.Config, n int, add func(*profile.Profile) error) error {
	return heapgen.Series(cfg, n, 10*time.Minute, func(i int, p *pprof.Profile) error {
		var buf bytes.Buffer
		if err := p.Write(&buf); err != nil {
			return err
		}
		q, err := profile.Parse(fmt.Sprintf("bench/out/series/heap-%03d.pb.gz", i+1), buf.Bytes(), profile.Options{})
		if err != nil {
			return err
		}
		return add(q)
	})
}

func trendPageData(t *testing.T, page []byte) *htmlTrendData {
	t.Helper()
	var data htmlTrendData
	decodePage(t, page, &data)
	return &data
}

// TestTrendHTMLCounts checks that the page knows how many sites the trend
// has, beyond those its table holds (the first HTMLMaxRows) and those
// --top keeps, so that it can say so.
func TestTrendHTMLCounts(t *testing.T) {
	big, err := generatedTrend()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name        string
		tr          *diff.Trend
		all, listed int
	}{
		{"more sites than the table holds", big, len(big.Series), HTMLMaxRows},
		{"--top 3", leakyTrend(t, diff.TrendOptions{Options: diff.Options{Top: 3}}), 7, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.all <= tc.listed {
				t.Fatalf("the trend has %d sites: too few to test the cut", tc.all)
			}
			d := trendPageData(t, renderTrendHTML(t, tc.tr))
			if d.Count != tc.all || len(d.Sites) != tc.listed || d.Other == nil || d.Other.Count != tc.all-tc.listed {
				t.Errorf("count %d, %d sites listed, other %+v; want %d, %d and the other %d summed", d.Count, len(d.Sites), d.Other, tc.all, tc.listed, tc.all-tc.listed)
			}
		})
	}
}

// thousands writes n as the pages do: 1,718.
func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// TestTrendHTMLAtScaleInBrowser opens the page of a 30-snapshot series whose
// total is some 80 times its largest site, and checks what a reader sees:
// the suspects drawn on a scale of their own, whole names in the legend,
// how many sites there are, and names that wrap between their parts.
func TestTrendHTMLAtScaleInBrowser(t *testing.T) {
	tr, err := generatedTrend()
	if err != nil {
		t.Fatal(err)
	}
	p := openHTML(t, startBrowser(t), "series.html", renderTrendHTML(t, tr))

	t.Run("the suspects have a scale of their own", func(t *testing.T) {
		type scale struct {
			Axes        []int   // each series' value axis: the total's first
			Rise        float64 // px the top suspect rises on its own axis, first snapshot to last
			RiseOnTotal float64 // px it would rise on the total's axis
			PanelHeight float64 // px of the suspects' panel
		}
		got := eval[scale](p, `(function () {
			var c = echarts.getInstanceByDom(document.getElementById('trend')), o = c.getOption(), s = o.series[1].data;
			var first = s[0], last = s[s.length - 1];
			function y(axis, v) { return c.convertToPixel({ xAxisIndex: axis, yAxisIndex: axis }, v)[1]; }
			return { axes: o.series.map(function (x) { return x.yAxisIndex; }),
				rise: y(1, first) - y(1, last), riseOnTotal: y(0, first) - y(0, last),
				panelHeight: y(1, [first[0], o.yAxis[1].min]) - y(1, [first[0], o.yAxis[1].max]) };
		})()`)
		if len(got.Axes) < 2 || got.Axes[0] != 0 || slices.ContainsFunc(got.Axes[1:], func(a int) bool { return a != 1 }) {
			t.Fatalf("the series' value axes are %v: want the total's (0), then the suspects' own (1)", got.Axes)
		}
		// On the total's axis the suspect lies flat: the test data shows
		// the problem. On its own it climbs most of its panel.
		if got.RiseOnTotal > 4 {
			t.Fatalf("on the total's axis the top suspect rises %.1fpx: the series does not dwarf its sites", got.RiseOnTotal)
		}
		if got.Rise < got.PanelHeight/3 {
			t.Errorf("the top suspect rises %.0fpx of its %.0fpx panel", got.Rise, got.PanelHeight)
		}
	})

	t.Run("the legend shows whole names", func(t *testing.T) {
		var want []string
		for i := range tr.Series {
			if len(want) < 5 && tr.Series[i].Shape != diff.Flat {
				want = append(want, fmt.Sprintf("#%d %s", i+1, tr.Series[i].Name))
			}
		}
		type item struct {
			Text            string
			Inside, Clipped bool
		}
		items := eval[[]item](p, `Array.from(document.querySelectorAll('#trend-legend li')).map(function (li) {
			var r = li.getBoundingClientRect(), panel = li.closest('.panel').getBoundingClientRect();
			return { text: li.textContent, inside: r.left >= panel.left && r.right <= panel.right, clipped: li.scrollWidth > li.clientWidth + 1 };
		})`)
		var got []string
		for _, it := range items {
			got = append(got, it.Text)
			if !it.Inside || it.Clipped {
				t.Errorf("legend entry %q: inside its panel %v, clipped %v", it.Text, it.Inside, it.Clipped)
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("the legend reads %q, want %q", got, want)
		}
		// Its names are the chart's series.
		if names := eval[[]string](p, `heapdiff.chartedNames()`); !slices.Equal(names[1:], want) {
			t.Errorf("the chart draws %q, the legend lists %q", names[1:], want)
		}
		// A click on an entry takes it off the chart.
		p.do("Click(#trend-legend li)", chromedp.Click(chromedp.CSS("#trend-legend li")))
		if names := eval[[]string](p, `heapdiff.chartedNames()`); len(names) != len(want) || slices.Contains(names, want[0]) {
			t.Errorf("after a click on %q the chart draws %q", want[0], names)
		}
		p.do("Click(first row)", chromedp.Click(chromedp.CSS("#rows-body tr.row")))
	})

	t.Run("the row count says how many sites there are", func(t *testing.T) {
		n, rest := len(tr.Series), len(tr.Series)-HTMLMaxRows
		want := fmt.Sprintf("%s sites: the first %s in the table, the other %s summed in its last row", thousands(n), thousands(HTMLMaxRows), thousands(rest))
		if got := eval[string](p, `document.getElementById('row-count').textContent`); got != want {
			t.Errorf("the row count reads %q, want %q", got, want)
		}
		if got, want := eval[string](p, `document.querySelector('#rows-body tr.other td.name').textContent`), fmt.Sprintf("(%s more sites, summed)", thousands(rest)); got != want {
			t.Errorf("the last row reads %q, want %q", got, want)
		}
		p.evalVoid(`var f = document.getElementById('filter'); f.value = 'svc1/'; f.dispatchEvent(new Event('input'))`)
		matched := eval[int](p, `document.querySelectorAll('#rows-body tr.row').length`)
		want = fmt.Sprintf("%s of the first %s of %s sites match", thousands(matched), thousands(HTMLMaxRows), thousands(n))
		if got := eval[string](p, `document.getElementById('row-count').textContent`); matched == 0 || got != want {
			t.Errorf("filtered, the row count reads %q, want %q", got, want)
		}
		p.evalVoid(`var f = document.getElementById('filter'); f.value = ''; f.dispatchEvent(new Event('input'))`)
	})

	t.Run("names wrap between their parts, never inside a word", func(t *testing.T) {
		checkWordBreaks(t, p, `#sources dd, #trend-legend li, #rows-body tr.row:nth-child(-n+40) td.name`, `rows`)
	})
	p.checkClean()
}
