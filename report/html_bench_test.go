package report

import (
	"testing"

	"github.com/heapdiff/heapdiff/diff"
)

// BenchmarkHTMLOpen measures the report of the largest benchmark pair
// (internal/heapgen.Large) in headless Chromium: its size, and how long the page
// takes from the start of navigation until every chart and the table are
// drawn (ms-to-drawn), of which ms-script is the report's own script. The
// target is under 5 MB and under 2 s. bench/html.sh runs it.
func BenchmarkHTMLOpen(b *testing.B) {
	page := largeHTML(b, diff.Options{})
	browser := startBrowser(b)
	b.ReportMetric(float64(len(page)), "bytes")
	var drawn, script float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := openHTML(b, browser, "large.html", page)
		drawn += eval[float64](p, `heapdiff.readyMs`)
		script += eval[float64](p, `heapdiff.drawnMs`)
		p.checkClean()
	}
	b.ReportMetric(drawn/float64(b.N), "ms-to-drawn")
	b.ReportMetric(script/float64(b.N), "ms-script")
}
