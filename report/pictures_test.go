package report

import (
	"os"
	"strings"
	"testing"

	"github.com/heapdiff/heapdiff/diff"
	"github.com/heapdiff/heapdiff/internal/heapgen"
	"github.com/heapdiff/heapdiff/profile"
)

// TestPicturesAtScale takes the README's pictures of the pages at the
// benchmarks' scale, when HEAPDIFF_SCREENSHOTS is set (bench/screenshots.sh
// sets it): the comparison of the large pair (internal/heapgen.Large, about
// 49,000 sites) as report-large.png, and the trend of 30 snapshots of the
// trend benchmark's size (internal/heapgen.SeriesSize, about 10,000 sites, a
// total of hundreds of GiB) as trend-large.png. Generating them takes a
// while, so other runs skip it; the behaviours the pictures show are tested
// on smaller inputs (TestTrendHTMLAtScaleInBrowser, ...). Here the pages
// must draw, say how many rows there are, and raise no error.
func TestPicturesAtScale(t *testing.T) {
	if os.Getenv(screenshotsEnv) == "" {
		t.Skip("set " + screenshotsEnv + "=DIR to take the pictures at scale (bash bench/screenshots.sh)")
	}
	browser := startBrowser(t)

	t.Run("compare", func(t *testing.T) {
		a, b := generatedPair(t, heapgen.Large)
		a.Name, b.Name = "bench/out/base.pb.gz", "bench/out/target.pb.gz" // as bench/genprofiles writes them
		ps := []*profile.Profile{a, b}
		p := openHTML(t, browser, "large.html", renderHTML(t, ps[0], ps[1], diff.Options{}))
		p.picture("report-large.png")
		for id, n := range p.inkedPixels() {
			if n < 5000 {
				t.Errorf("chart %s has %d drawn pixels", id, n)
			}
		}
		if got := eval[string](p, `document.getElementById('row-count').textContent`); !strings.Contains(got, "49,") {
			t.Errorf("the row count reads %q: it does not say how many of the ~49,000 rows there are", got)
		}
		p.checkClean()
	})

	t.Run("trend", func(t *testing.T) {
		tr, err := seriesTrend(heapgen.SeriesSize, 30)
		if err != nil {
			t.Fatal(err)
		}
		p := openHTML(t, browser, "trend-large.html", renderTrendHTML(t, tr))
		p.picture("trend-large.png")
		if n := p.inkedPixels(chartTrend)[chartTrend]; n < 5000 {
			t.Errorf("the trend chart has %d drawn pixels", n)
		}
		if want := thousands(len(tr.Series)) + " sites"; !strings.HasPrefix(eval[string](p, `document.getElementById('row-count').textContent`), want) {
			t.Errorf("the row count does not start %q", want)
		}
		p.checkClean()
	})
}
