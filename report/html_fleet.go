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

// The fleet page's own parts; it shares report.css, the trend page's
// shapes and the ECharts bundle with the other pages.
var (
	//go:embed html/fleet.js
	fleetJS string
	//go:embed html/fleet.css
	fleetCSS string
	//go:embed html/fleet.tmpl
	fleetPageSource string
)

var fleetTemplate = template.Must(template.New("fleet").Parse(fleetPageSource))

// chartFleet is the ID of the fleet page's bar chart.
const chartFleet = "fleet"

// FleetHTML writes the fleet as one self-contained HTML page: a bar chart of
// each process's growth rate (red for those growing steadily), the suspects
// across processes and the ranked processes (filterable). Like the other
// pages it needs no network, and every string travels as JSON data (the
// JSON of FleetJSON) shown as text.
func FleetHTML(w io.Writer, f *diff.Fleet, source string) error {
	return renderPage(w, fleetTemplate, "fleet script", fleetJS, NewJSONFleet(f, source), map[string]string{chartFleet: fleetChart()}, map[string]any{
		"Title":    fmt.Sprintf("heapdiff fleet: %d of %d processes leaking", f.Leaking, f.Judged),
		"TrendCSS": template.CSS(trendCSS + "\n" + fleetCSS),
	})
}

// fleetChart declares the bar chart, empty: the page's script fills it.
func fleetChart() string {
	bar := charts.NewBar()
	bar.SetGlobalOptions(append(chartBasics(chartFleet, "360px"),
		charts.WithGridOpts(opts.Grid{Left: "8", Right: "24", Top: "24", Bottom: "8", ContainLabel: opts.Bool(true)}),
		charts.WithYAxisOpts(opts.YAxis{Type: "value",
			AxisLabel: &opts.AxisLabel{Formatter: opts.FuncOpts("function (v) { return heapdiff.axisValue(v); }")}}),
	)...)
	assets := bar.GetAssets()
	assets.ClearPresetJSAssets()
	snippet := bar.RenderSnippet()
	return snippet.Element + "\n" + snippet.Script
}
