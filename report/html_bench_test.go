package report

import (
	"testing"

	"github.com/heapdiff/heapdiff/diff"
)

// BenchmarkHTMLOpen measures the report of the largest benchmark pair
// (internal/heapgen.Large) in headless Chromium, in a 1440×1000 window: its
// size, and how long after the start of navigation the browser has drawn
// and painted every chart and the table (ms-to-drawn). Painted means the
// browser's frame after the drawing has been laid out and painted
// (afterPaint in report.js), not just that the script returned: laying out
// the table of 1,000 rows takes the browser about as long as the script.
// ms-script is the page's own script, of which ms-data parses the data,
// ms-charts draws the charts and ms-table the table. The target is under
// 5 MB and under 1 s. bench/html.sh runs it.
func BenchmarkHTMLOpen(b *testing.B) {
	page := largeHTML(b, diff.Options{})
	browser := startBrowser(b)
	sums := map[string]float64{}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := openHTML(b, browser, "large.html", page)
		t := eval[map[string]float64](p, `heapdiff.timing`)
		for _, k := range []string{"drawn", "script", "data", "table"} {
			sums[k] += t[k]
		}
		sums["charts"] += t["header"] + t["growers"] + t["sites"] + t["flame"]
		p.checkClean()
	}
	for _, m := range []struct{ key, unit string }{
		{"drawn", "ms-to-drawn"},
		{"script", "ms-script"}, {"data", "ms-data"}, {"charts", "ms-charts"}, {"table", "ms-table"},
	} {
		b.ReportMetric(sums[m.key]/float64(b.N), m.unit)
	}
	// After the loop: ResetTimer deletes the metrics reported before it.
	b.ReportMetric(float64(len(page)), "bytes")
}
