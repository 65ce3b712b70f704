package report

import (
	"runtime/debug"
	"testing"

	"github.com/heapdiff/heapdiff/diff"
)

// BenchmarkHTMLOpen measures the report of the largest benchmark pair
// (internal/heapgen.Large) in headless Chromium, in a 1440×1000 window: its
// size, and how long after the start of navigation the browser has drawn
// and painted the first screen (ms-to-first-screen: the header and the
// charts; the table, below the screen, is drawn next) and then everything
// (ms-to-drawn: the table too). Painted means the browser's frame after the
// drawing has been laid out and painted (afterPaint in report.js), not just
// that the script returned. ms-script is the page's own script, of which
// ms-data parses the data, ms-charts draws the charts and ms-table the
// table; the call stacks, which the page inflates after it is drawn, are
// not in these figures. The target is under 5 MB and under 1 s.
// bench/html.sh runs it.
func BenchmarkHTMLOpen(b *testing.B) {
	page := largeHTML(b, diff.Options{})
	// Making the page leaves much garbage: collect it now, not while the
	// browser opens the page on the same two cores.
	debug.FreeOSMemory()
	browser := startBrowser(b)
	// One load first, untimed: the first page a new browser opens pays for
	// starting its parts (about 0.2 s more here); the figures are for a
	// page opened in a running browser.
	openHTML(b, browser, "large.html", page).checkClean()
	sums := map[string]float64{}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := openHTML(b, browser, "large.html", page)
		t := eval[map[string]float64](p, `heapdiff.timing`)
		// The first screen leaves out only what it does not show.
		if t["tableLater"] == 1 && t["tableTop"] < t["screen"] {
			b.Fatalf("the table was drawn after the first screen, but its top (%.0f px) is on it (%.0f px high)", t["tableTop"], t["screen"])
		}
		for _, k := range []string{"firstScreen", "drawn", "script", "data", "table"} {
			sums[k] += t[k]
		}
		sums["charts"] += t["header"] + t["growers"] + t["sites"] + t["flame"]
		p.checkClean()
	}
	for _, m := range []struct{ key, unit string }{
		{"firstScreen", "ms-to-first-screen"}, {"drawn", "ms-to-drawn"},
		{"script", "ms-script"}, {"data", "ms-data"}, {"charts", "ms-charts"}, {"table", "ms-table"},
	} {
		b.ReportMetric(sums[m.key]/float64(b.N), m.unit)
	}
	// After the loop: ResetTimer deletes the metrics reported before it.
	b.ReportMetric(float64(len(page)), "bytes")
}
