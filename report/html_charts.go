package report

import (
	"strings"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
	"github.com/go-echarts/go-echarts/v2/render"
)

// The charts' element IDs: fixed, so the page is the same bytes every time.
// go-echarts also makes JavaScript names of them (goecharts_ID), so they
// must be identifiers.
const (
	chartGrowers = "growers"
	chartSites   = "sites"
	chartFlame   = "flame"
)

// htmlCharts declares the page's charts with go-echarts and returns their
// elements and set-up scripts. The charts are declared empty: the options
// go-echarts writes are not HTML-escaped, so no profile string may go into
// them. The report script fills them from the page's JSON data, and the
// functions the options name (formatters, the flame graph's renderItem) are
// defined by that script.
func htmlCharts() map[string]string {
	noAnimation := opts.Bool(false)
	// Each chart has one series, named for no one: ECharts would draw its
	// name as a legend over the chart.
	noLegend := charts.WithLegendOpts(opts.Legend{Show: opts.Bool(false)})

	growers := charts.NewBar()
	growers.SetGlobalOptions(append(chartBasics(chartGrowers, "460px"), noLegend,
		charts.WithGridOpts(opts.Grid{Left: "8", Right: "120", Top: "8", Bottom: "8", ContainLabel: opts.Bool(true)}),
		charts.WithXAxisOpts(opts.XAxis{Type: "value",
			AxisLabel: &opts.AxisLabel{Formatter: opts.FuncOpts("function (v) { return heapdiff.axisValue(v); }")}}),
		charts.WithYAxisOpts(opts.YAxis{Type: "category", Inverse: opts.Bool(true),
			AxisLabel: &opts.AxisLabel{Width: 260, Overflow: "truncate"}}),
	)...)
	growers.AddSeries("delta", nil, charts.WithBarChartOpts(opts.BarChart{BarCategoryGap: "25%"}),
		charts.WithLabelOpts(opts.Label{Show: opts.Bool(true), Position: "right"}))

	sites := charts.NewTreeMap()
	sites.SetGlobalOptions(append(chartBasics(chartSites, "460px"), noLegend)...)
	sites.AddSeries("growth", nil, charts.WithTreeMapOpts(opts.TreeMapChart{
		Animation: noAnimation, Roam: opts.Bool(false),
		Left: "0", Right: "0", Top: "0", Bottom: "28",
		UpperLabel: &opts.UpperLabel{Show: opts.Bool(true), Color: "#fff"},
		Levels: &[]opts.TreeMapLevel{
			{ItemStyle: &opts.ItemStyle{BorderColor: "#fff", BorderWidth: 0, GapWidth: 3}, UpperLabel: &opts.UpperLabel{Show: opts.Bool(false)}},
			{ItemStyle: &opts.ItemStyle{BorderColor: "#455a64", BorderWidth: 3, GapWidth: 1}},
			{ItemStyle: &opts.ItemStyle{BorderColor: "#90a4ae", BorderWidth: 2, GapWidth: 1}},
			{ItemStyle: &opts.ItemStyle{BorderColor: "#fff", BorderWidth: 1}},
		},
	}))

	flame := charts.NewCustom()
	flame.SetGlobalOptions(append(chartBasics(chartFlame, "360px"), noLegend,
		charts.WithXAxisOpts(opts.XAxis{Show: opts.Bool(false)}),
		charts.WithYAxisOpts(opts.YAxis{Show: opts.Bool(false)}),
	)...)
	flame.AddSeries("frames", nil, charts.WithCoordinateSystem("none"), charts.WithCustomChartOpts(opts.CustomChart{
		RenderItem: opts.FuncOpts("function (params, api) { return heapdiff.flameItem(params, api); }"),
	}), charts.WithSeriesAnimation(false))

	out := map[string]string{}
	for id, c := range map[string]interface {
		GetAssets() opts.Assets
		RenderSnippet() render.ChartSnippet
	}{chartGrowers: growers, chartSites: sites, chartFlame: flame} {
		// The page is self-contained: drop go-echarts' remote ECharts URL.
		assets := c.GetAssets()
		assets.ClearPresetJSAssets()
		snippet := c.RenderSnippet()
		out[id] = snippet.Element + "\n" + waitToDraw(id, snippet.Script)
	}
	return out
}

// waitToDraw hands a chart's set-up options to the report script
// (heapdiff.setup) instead of giving them to ECharts, which would draw the
// empty chart at once: the script gives them to the chart with its data, and
// the chart is drawn once. A go-echarts that writes the call differently
// leaves the script as it is (TestHTMLChartsWaitToDraw fails), and the chart
// is drawn twice.
func waitToDraw(id, script string) string {
	call := "goecharts_" + id + ".setOption(option_" + id + ");"
	return strings.Replace(script, call, "heapdiff.setup('"+id+"', option_"+id+");", 1)
}

// chartBasics are the options every chart shares: its fixed ID, full width,
// no animation (the page draws at once, and screenshots are stable), and a
// tooltip built by the report script's heapdiff.tooltip[id], placed by
// heapdiffDOM.tipPosition.
func chartBasics(id, height string) []charts.GlobalOpts {
	return []charts.GlobalOpts{
		charts.WithInitializationOpts(opts.Initialization{ChartID: id, Width: "100%", Height: height, Renderer: "canvas"}),
		charts.WithAnimation(false),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "item",
			Formatter: opts.FuncOpts("function (p) { return heapdiff.tooltip." + id + "(p); }"),
			Position:  opts.FuncOpts("function (point, params, dom, rect, size) { return heapdiffDOM.tipPosition(point, size); }")}),
	}
}
