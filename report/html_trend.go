package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"

	"github.com/heapdiff/heapdiff/diff"
)

// The trend page's own parts; it shares report.css and the ECharts bundle
// with the comparison page.
var (
	//go:embed html/trend.js
	trendJS string
	//go:embed html/trend.css
	trendCSS string
	//go:embed html/trend.tmpl
	trendPageSource string
)

var trendTemplate = template.Must(template.New("trend").Parse(trendPageSource))

// chartTrend is the ID of the trend page's line chart.
const chartTrend = "trend"

// TrendHTML writes t as one self-contained HTML page, in the comparison
// page's style: the snapshots and the total's verdict, a line chart of the
// total heap and of the top suspects over time, and the ranked table of
// sites (sortable, filterable; a click charts a row). Like HTML, it needs no
// network, and every string from a profile travels as JSON data and is shown
// as text. It draws the values of the first HTMLMaxRows series, which must
// have kept them (diff.TrendOptions.KeepValues), and sums the others'.
func TrendHTML(w io.Writer, t *diff.Trend) error {
	data, err := newHTMLTrendData(t)
	if err != nil {
		return err
	}
	return renderPage(w, trendTemplate, "trend script", trendJS, data, map[string]string{chartTrend: trendChart(t.Timed)}, map[string]any{
		"Title":    fmt.Sprintf("heapdiff trend: %d snapshots, %s … %s", len(t.Snapshots), t.Snapshots[0].Name, t.Snapshots[len(t.Snapshots)-1].Name),
		"TrendCSS": template.CSS(trendCSS),
	})
}

// The trend chart's two panels, one above the other on a shared time axis:
// the total heap, then the charted sites on a scale of their own. On one
// axis, sites of a few hundred MiB lie flat at 0 under a total of hundreds
// of GiB.
const (
	trendTotalTop    = 28   // px: the total's panel, below its title
	trendTotalHeight = 96   // px
	trendSitesTop    = 162  // px: the sites' panel, below the total's axis and its title
	trendAxisWidth   = "80" // px left of both panels, for labels such as -512.0MiB
)

// trendChart declares the line chart, empty: the page's script fills it
// from the data (go-echarts does not HTML-escape options, so no profile
// string may go into them). Its legend is the page's own list above the
// chart (#trend-legend): a canvas legend cuts long names short.
func trendChart(timed bool) string {
	// Snapshots without times are numbered: 1, 2, 3...
	xType := "value"
	if timed {
		xType = "time"
	}
	axisValue := &opts.AxisLabel{Formatter: opts.FuncOpts("function (v) { return heapdiff.axisValue(v); }")}
	line := charts.NewLine()
	line.SetGlobalOptions(append(chartBasics(chartTrend, "480px"),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(false)}),
		charts.WithGridOpts(
			// The panels' left edges are fixed, not fitted to their labels,
			// so that their times line up.
			opts.Grid{Left: trendAxisWidth, Right: "24", Top: fmt.Sprint(trendTotalTop), Height: fmt.Sprint(trendTotalHeight)},
			opts.Grid{Left: trendAxisWidth, Right: "24", Top: fmt.Sprint(trendSitesTop), Bottom: "28"}),
		// The total's time axis draws no labels: the sites' axis below
		// has the same times.
		charts.WithXAxisOpts(opts.XAxis{Type: xType, GridIndex: 0, AxisLabel: &opts.AxisLabel{Show: opts.Bool(false)}}),
		charts.WithYAxisOpts(opts.YAxis{Type: "value", GridIndex: 0, SplitNumber: 2, AxisLabel: axisValue}),
	)...)
	line.ExtendXAxis(opts.XAxis{Type: xType, GridIndex: 1})
	line.ExtendYAxis(opts.YAxis{Type: "value", GridIndex: 1, AxisLabel: axisValue})
	assets := line.GetAssets()
	assets.ClearPresetJSAssets()
	snippet := line.RenderSnippet()
	return snippet.Element + "\n" + snippet.Script
}

// htmlTrendData is the JSON the trend page's script reads.
type htmlTrendData struct {
	Type      JSONType       `json:"type"`
	By        string         `json:"by"`
	Timed     bool           `json:"timed"`
	Span      float64        `json:"span"` // seconds; 0 when untimed
	Sampling  string         `json:"sampling"`
	Threshold float64        `json:"threshold"`
	Snapshots []htmlSnapshot `json:"snapshots"`
	Total     htmlSeries     `json:"total"`
	Sites     []htmlSeries   `json:"sites"`
	// Count is how many sites the trend has in all: Sites, and those
	// Other sums.
	Count int `json:"count"`
	// Other sums the sites beyond the table's cap and those cut by --top.
	Other    *htmlSeries `json:"other"`
	Warnings []string    `json:"warnings"`
	// Shapes lists every shape as [key, name], in rank order.
	Shapes [][2]string `json:"shapes"`
	// Layout places the chart's panel titles.
	Layout struct {
		SitesTop int `json:"sitesTop"` // px: where the sites' panel starts
	} `json:"layout"`
}

type htmlSnapshot struct {
	Name     string   `json:"name"`
	Time     *int64   `json:"time"` // milliseconds since 1970; null when unknown
	Comments []string `json:"comments"`
}

// htmlSeries is a series with its verdict; an Other series has no shape.
type htmlSeries struct {
	Name      string  `json:"n"`
	Shape     string  `json:"shape"`
	Label     string  `json:"label"`
	Slope     float64 `json:"slope"`
	Noise     float64 `json:"noise"`
	Sig       bool    `json:"sig"`
	R2        float64 `json:"r2"`
	Up        int     `json:"up"`
	Down      int     `json:"down"`
	Growth    int64   `json:"growth"`
	GrowthSig bool    `json:"gsig"`
	Count     int     `json:"count,omitempty"` // sites summed, for Other, which has no name
	Values    []int64 `json:"v"`
	// Kept is [share, noise] of what the site allocated that it still
	// holds (diff.Kept), where the profiles carry allocations.
	Kept *[2]float64 `json:"k,omitempty"`
}

func htmlSeriesOf(t *diff.Trend, s *diff.Series) htmlSeries {
	return htmlSeries{Name: s.Name, Shape: s.Shape.Key(), Label: shapeCell(t, s), Slope: s.Fit.Slope, Noise: s.Fit.SlopeNoise,
		Sig: s.Fit.Significant(), R2: s.Fit.R2, Up: s.Up, Down: s.Down, Growth: s.Growth.Delta(), GrowthSig: s.Growth.Significant,
		Values: s.Values, Kept: seriesKept(s)}
}

func seriesKept(s *diff.Series) *[2]float64 {
	if k, ok := s.Kept(); ok {
		return &[2]float64{k.Share, k.Noise}
	}
	return nil
}

func newHTMLTrendData(t *diff.Trend) (*htmlTrendData, error) {
	last := t.Snapshots[len(t.Snapshots)-1]
	data := &htmlTrendData{
		Type:      JSONType{t.Type.Type, t.Type.Unit},
		By:        t.By.String(),
		Timed:     t.Timed,
		Span:      t.Span.Seconds(),
		Sampling:  periodNote(last)[2:],
		Threshold: diff.NoiseThreshold,
		Total:     htmlSeriesOf(t, &t.Total),
		Sites:     []htmlSeries{},
		Warnings:  []string{},
	}
	data.Layout.SitesTop = trendSitesTop
	for s := diff.SteadyGrowth; s <= diff.Shrinking; s++ {
		data.Shapes = append(data.Shapes, [2]string{s.Key(), s.String()})
	}
	for _, s := range t.Snapshots {
		hs := htmlSnapshot{Name: s.Name, Comments: shownComments(s.Comments)}
		if t.Timed {
			ms := s.Time.UnixMilli()
			hs.Time = &ms
		}
		data.Snapshots = append(data.Snapshots, hs)
	}
	shown := t.Series
	if len(shown) > HTMLMaxRows {
		shown = shown[:HTMLMaxRows]
	}
	for i := range shown {
		if shown[i].Values == nil {
			return nil, fmt.Errorf("the trend page draws the values of its first %d sites, but site %d (%s) has none: make the trend with diff.TrendOptions.KeepValues of 0 or at least %[1]d", HTMLMaxRows, i+1, shown[i].Name)
		}
		data.Sites = append(data.Sites, htmlSeriesOf(t, &shown[i]))
	}
	// What the table leaves out is summed, values only: its shape would
	// describe no one group. The series that kept no values are summed in
	// t.Unkept.
	cut := t.Series[len(shown):]
	if len(cut) > 0 || t.Rest != nil {
		other := &htmlSeries{Values: make([]int64, len(t.Snapshots)), Count: len(cut) + t.RestCount}
		add := func(s *diff.Series) {
			for i, v := range s.Values {
				other.Values[i] += v
			}
		}
		for i := range cut {
			add(&cut[i])
		}
		if t.Unkept != nil {
			add(t.Unkept)
		}
		if t.Rest != nil {
			add(t.Rest)
		}
		other.Growth = other.Values[len(other.Values)-1] - other.Values[0]
		data.Other = other
	}
	data.Count = len(data.Sites)
	if data.Other != nil {
		data.Count += data.Other.Count
	}
	for _, w := range t.Warnings {
		data.Warnings = append(data.Warnings, w.Error())
	}
	return data, nil
}
