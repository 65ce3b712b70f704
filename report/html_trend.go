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
// as text.
func TrendHTML(w io.Writer, t *diff.Trend) error {
	return renderPage(w, trendTemplate, "trend script", trendJS, newHTMLTrendData(t), map[string]string{chartTrend: trendChart()}, map[string]any{
		"Title":    fmt.Sprintf("heapdiff trend: %d snapshots, %s … %s", len(t.Snapshots), t.Snapshots[0].Name, t.Snapshots[len(t.Snapshots)-1].Name),
		"TrendCSS": template.CSS(trendCSS),
	})
}

// trendChart declares the line chart, empty: the page's script fills it
// from the data (go-echarts does not HTML-escape options, so no profile
// string may go into them).
func trendChart() string {
	line := charts.NewLine()
	line.SetGlobalOptions(append(chartBasics(chartTrend, "440px"),
		charts.WithGridOpts(opts.Grid{Left: "8", Right: "24", Top: "48", Bottom: "8", ContainLabel: opts.Bool(true)}),
		charts.WithYAxisOpts(opts.YAxis{Type: "value",
			AxisLabel: &opts.AxisLabel{Formatter: opts.FuncOpts("function (v) { return heapdiff.axisValue(v); }")}}),
	)...)
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
	// Other sums the sites beyond the table's cap and those cut by --top.
	Other    *htmlSeries `json:"other"`
	Warnings []string    `json:"warnings"`
	// Shapes lists every shape as [key, name], in rank order.
	Shapes [][2]string `json:"shapes"`
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
	Count     int     `json:"count,omitempty"` // sites summed, for Other
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

func newHTMLTrendData(t *diff.Trend) *htmlTrendData {
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
	for s := diff.SteadyGrowth; s <= diff.Shrinking; s++ {
		data.Shapes = append(data.Shapes, [2]string{s.Key(), s.String()})
	}
	for _, s := range t.Snapshots {
		hs := htmlSnapshot{Name: s.Name, Comments: s.Comments}
		if hs.Comments == nil {
			hs.Comments = []string{}
		}
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
		data.Sites = append(data.Sites, htmlSeriesOf(t, &shown[i]))
	}
	// What the table leaves out is summed, values only: its shape would
	// describe no one group.
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
		if t.Rest != nil {
			add(t.Rest)
		}
		other.Name = fmt.Sprintf("(%d more)", other.Count)
		other.Growth = other.Values[len(other.Values)-1] - other.Values[0]
		data.Other = other
	}
	for _, w := range t.Warnings {
		data.Warnings = append(data.Warnings, w.Error())
	}
	return data
}
