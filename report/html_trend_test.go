package report

import (
	"bytes"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/heapdiff/heapdiff/diff"
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
	tr := leakyTrend(t, diff.TrendOptions{})
	p := openHTML(t, browser, "trend.html", renderTrendHTML(t, tr))
	// The page as it opens; with -update it is also README's screenshot.
	var also string
	if *update {
		also = "../docs/trend.png"
	}
	p.screenshot("trend.png", also)

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
	p.screenshot("malicious-trend.png", "")
	p.checkClean()
}
