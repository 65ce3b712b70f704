package report

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/heapdiff/heapdiff/diff"
	"github.com/heapdiff/heapdiff/internal/units"
	"github.com/heapdiff/heapdiff/profile"
)

// RenderTrend writes t in format f.
func RenderTrend(w io.Writer, f Format, t *diff.Trend, opts Options) error {
	switch f {
	case FormatText:
		return TrendText(w, t, opts)
	case FormatJSON:
		return TrendJSON(w, t)
	case FormatCSV:
		return TrendCSV(w, t)
	case FormatMarkdown:
		return TrendMarkdown(w, t)
	case FormatHTML:
		return TrendHTML(w, t)
	}
	return fmt.Errorf("format %q is not available for trends", f)
}

// TrendKeepValues returns how many of a trend's ranked series must keep
// their values (diff.TrendOptions.KeepValues) for RenderTrend to write it
// in format f: JSON and CSV write every site's values (0: all), the HTML
// page draws those of the sites it lists (HTMLMaxRows) and sums the others
// (diff.Trend.Unkept), and text and Markdown show verdicts and sparklines,
// which need none (diff.NoValues). A series without its values costs
// memory by site, not by snapshot.
func TrendKeepValues(f Format) int {
	switch f {
	case FormatText, FormatMarkdown:
		return diff.NoValues
	case FormatHTML:
		return HTMLMaxRows
	}
	return 0
}

// sparkBlocks are the eight heights of a sparkline.
var sparkBlocks = []rune("▁▂▃▄▅▆▇█")

// sparklineWidth is the most characters a sparkline takes: one per point
// of a series' outline, the mean of its values over a run of snapshots.
const sparklineWidth = diff.OutlineWidth

// sparkline draws a series' outline (diff.Series.Outline) as a line of
// block characters scaled from its smallest to its largest point; a series
// that does not vary is drawn low. It needs no values: a series that did
// not keep them kept its outline.
func sparkline(s *diff.Series) string {
	buckets := s.Outline()
	width := len(buckets)
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range buckets {
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	out := make([]rune, width)
	for i, v := range buckets {
		level := 0
		if hi > lo {
			level = int(math.Round((v - lo) / (hi - lo) * float64(len(sparkBlocks)-1)))
		}
		out[i] = sparkBlocks[level]
	}
	return string(out)
}

// slopeCell shows a series' slope per hour (per snapshot when untimed),
// prefixed with "~" when it is within noise.
func slopeCell(t *diff.Trend, s *diff.Series) string {
	unit := "/h"
	if !t.Timed {
		unit = "/snap"
	}
	v := units.Format(s.Fit.Slope, t.Type.Unit, true) + unit
	if !s.Fit.Significant() {
		v = Noise + v
	}
	return v
}

// shapeCell names a series' shape, with when a plateau stopped growing.
func shapeCell(t *diff.Trend, s *diff.Series) string {
	if s.Shape != diff.Plateau || s.StoppedAt < 0 {
		return s.Shape.String()
	}
	if t.Timed {
		return "plateau since " + t.Snapshots[s.StoppedAt].Time.UTC().Format("15:04")
	}
	return fmt.Sprintf("plateau since #%d", s.StoppedAt+1)
}

// stepsCell shows how many of the steps that changed the value were growth.
func stepsCell(s *diff.Series) string {
	if s.Up+s.Down == 0 {
		return "-"
	}
	return fmt.Sprintf("%d/%d", s.Up, s.Up+s.Down)
}

// shapeColor paints a shape: leaks red, shrinking blue, flat dim.
func shapeColor(s diff.Shape) string {
	switch s {
	case diff.SteadyGrowth:
		return colorRed
	case diff.FaintGrowth:
		return colorYellow
	case diff.Shrinking:
		return colorBlue
	case diff.Flat:
		return colorDim
	}
	return ""
}

// jsonFrames converts frames for JSON documents.
func jsonFrames(frames []profile.Frame) []JSONFrame {
	var out []JSONFrame
	for _, f := range frames {
		out = append(out, JSONFrame{f.Function, f.File, f.Line, f.Address, f.Module})
	}
	return out
}

// TrendText writes t for a terminal: the series' span and total, then one
// row per site, ranked, with its shape, slope, growth, R², steps that grew
// and a sparkline.
func TrendText(w io.Writer, t *diff.Trend, opts Options) error {
	bw := bufio.NewWriter(w)
	paint := painter(opts.Color)
	unit := t.Type.Unit
	first, last := t.Snapshots[0], t.Snapshots[len(t.Snapshots)-1]
	fmt.Fprintf(bw, "%s  %d, %s … %s", paint(colorBold, "snapshots"), len(t.Snapshots), first.Name, last.Name)
	if t.Skipped > 0 {
		fmt.Fprintf(bw, "  (%d before left out as warm-up)", t.Skipped)
	}
	fmt.Fprintln(bw)
	if t.Timed {
		fmt.Fprintf(bw, "%s  %s → %s  (%s)\n", paint(colorBold, "time     "), units.Time(first.Time), units.Time(last.Time), formatDuration(t.Span))
	}
	fmt.Fprintf(bw, "%s  %s, by %s%s\n", paint(colorBold, "type     "), t.Type, t.By, periodNote(last))
	tot := &t.Total
	fmt.Fprintf(bw, "%s  %s → %s  %s  %s  R² %.2f  %s  %s\n", paint(colorBold, "total    "),
		units.Format(float64(tot.Growth.Base), unit, false), units.Format(float64(tot.Growth.Target), unit, false),
		paint(changeColor(tot.Growth), units.Format(float64(tot.Growth.Delta()), unit, true)),
		slopeCell(t, tot), tot.Fit.R2, paint(shapeColor(tot.Shape), shapeCell(t, tot)), sparkline(tot))
	for _, warning := range t.Warnings {
		fmt.Fprintf(bw, "%s %s\n", paint(colorBold, "warning:"), warning)
	}
	fmt.Fprintln(bw)

	slopeHeader := "per hour"
	if !t.Timed {
		slopeHeader = "per snapshot"
	}
	kept := trendHasKept(t)
	names := []string{"#", "shape", slopeHeader, "growth", "last", "R²", "grew", "trend", t.By.String()}
	if kept {
		names = slices.Insert(names, 4, "kept")
	}
	header := headerCells(names)
	header[1].left, header[len(names)-2].left = true, true
	table := [][]cell{header}
	row := func(rank string, s *diff.Series) {
		color := shapeColor(s.Shape)
		cells := []cell{
			{text: rank},
			{text: shapeCell(t, s), color: color, left: true},
			{text: slopeCell(t, s), color: color},
			{text: units.Format(float64(s.Growth.Delta()), unit, true), color: changeColor(s.Growth)},
			{text: units.Format(float64(s.Growth.Target), unit, false)},
			{text: strconv.FormatFloat(s.Fit.R2, 'f', 2, 64)},
			{text: stepsCell(s)},
			{text: sparkline(s), left: true},
			{text: s.Name, left: true},
		}
		if kept {
			cells = slices.Insert(cells, 4, cell{text: keptCell(s.Kept())})
		}
		table = append(table, cells)
	}
	for i := range t.Series {
		row(strconv.Itoa(i+1), &t.Series[i])
	}
	if t.Rest != nil {
		row("", t.Rest)
	}
	writeTable(bw, table, paint)
	if len(t.Series) == 0 {
		fmt.Fprintln(bw, "(no sites: nothing matched, or every snapshot is empty)")
	}
	fmt.Fprintf(bw, "\n%s = slope within sampling noise (≤ %g standard deviations); grew = steps that grew / steps that changed\n", Noise, diff.NoiseThreshold)
	if kept {
		fmt.Fprintln(bw, strings.Replace(keptNote, "between the profiles", "from the first snapshot to the last", 1))
	}
	writeGrowingCollections(bw, t.Collections, paint)
	return bw.Flush()
}

// trendHasKept reports whether a trend's profiles carry allocations, so
// that its sites can say what they kept.
func trendHasKept(t *diff.Trend) bool {
	return t.Total.Alloc != nil
}

// periodNote describes how a snapshot was sampled.
func periodNote(s diff.Source) string {
	if s.Period <= 0 || !s.PeriodType.IsBytes() {
		return ", exact values"
	}
	return fmt.Sprintf(", sampled every %s", units.Format(float64(s.Period), "bytes", false))
}

// TrendJSONSchema identifies the version of the JSON document TrendJSON
// writes; fields may be added within a version, none removed or renamed.
const TrendJSONSchema = "heapdiff.trend/v1"

// JSONTrend is the document TrendJSON writes, documented in README.md.
type JSONTrend struct {
	Schema     string   `json:"schema"`
	By         string   `json:"by"`
	SampleType JSONType `json:"sample_type"`
	// Timed says every snapshot has a time: slopes are per hour, else per
	// snapshot.
	Timed bool `json:"timed"`
	// SpanSeconds is the time from the first snapshot to the last; null
	// when untimed.
	SpanSeconds    *float64     `json:"span_seconds"`
	NoiseThreshold float64      `json:"noise_threshold"`
	Snapshots      []JSONSource `json:"snapshots"`
	Total          JSONSeries   `json:"total"`
	// Sites are ranked: steady growth first.
	Sites []JSONSeries `json:"sites"`
	// Skipped counts the first snapshots left out as warm-up (--skip,
	// --since); they are not in Snapshots.
	Skipped int `json:"skipped,omitempty"`
	// Rest sums the sites cut by --top; absent when none were.
	Rest      *JSONSeries `json:"rest,omitempty"`
	RestCount int         `json:"rest_count,omitempty"`
	Warnings  []string    `json:"warnings"`
	// Collections lists the collections that grew at every step
	// (--retainers); absent when not asked.
	Collections []JSONCollection `json:"collections,omitempty"`
}

// JSONSeries is one site's (or the total's) series and verdict.
type JSONSeries struct {
	Name   string      `json:"name"`
	Frames []JSONFrame `json:"frames,omitempty"`
	// Shape is steady_growth, faint_growth, plateau, sawtooth, flat or
	// shrinking.
	Shape string `json:"shape"`
	// StoppedAt is, for a plateau, the index of the snapshot from which
	// the value stopped growing; null otherwise.
	StoppedAt *int `json:"stopped_at"`
	// Values and Noise hold one entry per snapshot: the value and its
	// standard deviation from sampling alone.
	Values []int64   `json:"values"`
	Noise  []float64 `json:"noise"`
	// Slope is the least-squares slope, per hour when timed, else per
	// snapshot; SlopeNoise its standard deviation from sampling.
	Slope            float64 `json:"slope"`
	SlopeNoise       float64 `json:"slope_noise"`
	SlopeSignificant bool    `json:"slope_significant"`
	// RatePerHour is Slope when timed; null otherwise.
	RatePerHour *float64 `json:"rate_per_hour"`
	R2          float64  `json:"r2"`
	// Growth compares the first snapshot with the last.
	Growth    JSONGrowth `json:"growth"`
	StepsUp   int        `json:"steps_up"`
	StepsDown int        `json:"steps_down"`
	// Kept is the share of what the site allocated from the first
	// snapshot to the last that is still live (diff.Kept); absent when the
	// profiles carry no allocations.
	Kept *JSONKept `json:"kept,omitempty"`
}

// JSONGrowth is a series' change from its first snapshot to its last.
type JSONGrowth struct {
	First       int64   `json:"first"`
	Last        int64   `json:"last"`
	Delta       int64   `json:"delta"`
	Noise       float64 `json:"noise"`
	Significant bool    `json:"significant"`
}

// NewJSONTrend converts a trend to its JSON document.
func NewJSONTrend(t *diff.Trend) *JSONTrend {
	doc := &JSONTrend{
		Schema:         TrendJSONSchema,
		By:             t.By.String(),
		SampleType:     JSONType{t.Type.Type, t.Type.Unit},
		Timed:          t.Timed,
		NoiseThreshold: diff.NoiseThreshold,
		Total:          jsonSeries(t, &t.Total),
		Sites:          make([]JSONSeries, 0, len(t.Series)),
		RestCount:      t.RestCount,
		Skipped:        t.Skipped,
		Warnings:       []string{},
	}
	if t.Timed {
		s := t.Span.Seconds()
		doc.SpanSeconds = &s
	}
	for _, s := range t.Snapshots {
		doc.Snapshots = append(doc.Snapshots, jsonSource(s))
	}
	for i := range t.Series {
		doc.Sites = append(doc.Sites, jsonSeries(t, &t.Series[i]))
	}
	if t.Rest != nil {
		r := jsonSeries(t, t.Rest)
		doc.Rest = &r
	}
	for _, w := range t.Warnings {
		doc.Warnings = append(doc.Warnings, w.Error())
	}
	if len(t.Collections) > 0 {
		doc.Collections = jsonCollections(t.Collections)
	}
	return doc
}

func jsonSeries(t *diff.Trend, s *diff.Series) JSONSeries {
	j := JSONSeries{
		Name:             s.Name,
		Shape:            s.Shape.Key(),
		Values:           s.Values,
		Noise:            s.Noise,
		Slope:            s.Fit.Slope,
		SlopeNoise:       s.Fit.SlopeNoise,
		SlopeSignificant: s.Fit.Significant(),
		R2:               s.Fit.R2,
		Kept:             jsonKept(s.Kept()),
		Growth: JSONGrowth{First: s.Growth.Base, Last: s.Growth.Target, Delta: s.Growth.Delta(),
			Noise: s.Growth.Noise, Significant: s.Growth.Significant},
		StepsUp:   s.Up,
		StepsDown: s.Down,
	}
	if s.StoppedAt >= 0 {
		k := s.StoppedAt
		j.StoppedAt = &k
	}
	if r, ok := t.RatePerHour(s); ok {
		j.RatePerHour = &r
	}
	j.Frames = jsonFrames(s.Frames)
	return j
}

// TrendJSON writes t as an indented JSON document (see JSONTrend).
func TrendJSON(w io.Writer, t *diff.Trend) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(NewJSONTrend(t))
}

// TrendCSV writes one record for the total, one per site (ranked) and one
// for the sites cut by --top, with the verdict, the fit, and the value at
// every snapshot in columns v1, v2, ... (snapshot order, oldest first).
func TrendCSV(w io.Writer, t *diff.Trend) error {
	cw := csv.NewWriter(w)
	header := []string{"rank", "name", "function", "file", "line", "shape", "stopped_at", "slope", "slope_noise",
		"slope_significant", "rate_per_hour", "r2", "first", "last", "growth", "growth_noise", "growth_significant",
		"steps_up", "steps_down", "kept", "kept_noise"}
	for i := range t.Snapshots {
		header = append(header, "v"+strconv.Itoa(i+1))
	}
	if err := cw.Write(header); err != nil {
		return err
	}
	write := func(rank string, s *diff.Series) error {
		var function, file, line, stopped, rate string
		if len(s.Frames) > 0 {
			f := s.Frames[0]
			function, file = f.Function, f.File
			if f.Line != 0 {
				line = strconv.FormatInt(f.Line, 10)
			}
		}
		if s.StoppedAt >= 0 {
			stopped = strconv.Itoa(s.StoppedAt)
		}
		if r, ok := t.RatePerHour(s); ok {
			rate = formatFloat(r)
		}
		rec := []string{rank, csvText(s.Name), csvText(function), csvText(file), line, s.Shape.Key(), stopped,
			formatFloat(s.Fit.Slope), formatFloat(s.Fit.SlopeNoise), strconv.FormatBool(s.Fit.Significant()), rate,
			formatFloat(s.Fit.R2), strconv.FormatInt(s.Growth.Base, 10), strconv.FormatInt(s.Growth.Target, 10),
			strconv.FormatInt(s.Growth.Delta(), 10), formatFloat(s.Growth.Noise), strconv.FormatBool(s.Growth.Significant),
			strconv.Itoa(s.Up), strconv.Itoa(s.Down), "", ""}
		if k, ok := s.Kept(); ok {
			rec[len(rec)-2], rec[len(rec)-1] = formatFloat(k.Share), formatFloat(k.Noise)
		}
		for _, v := range s.Values {
			rec = append(rec, strconv.FormatInt(v, 10))
		}
		return cw.Write(rec)
	}
	if err := write("", &t.Total); err != nil {
		return err
	}
	for i := range t.Series {
		if err := write(strconv.Itoa(i+1), &t.Series[i]); err != nil {
			return err
		}
	}
	if t.Rest != nil {
		if err := write("", t.Rest); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func formatFloat(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// TrendMarkdown writes t as a GitHub-flavoured Markdown summary: a heading,
// the span and total, warnings as a quote, and the ranked table with
// sparklines.
func TrendMarkdown(w io.Writer, t *diff.Trend) error {
	bw := bufio.NewWriter(w)
	unit := t.Type.Unit
	first, last := t.Snapshots[0], t.Snapshots[len(t.Snapshots)-1]
	fmt.Fprintf(bw, "### heapdiff trend: %s by %s\n\n", mdCode(t.Type.Type), t.By)
	fmt.Fprintf(bw, "**%d snapshots** %s%s … %s%s", len(t.Snapshots), mdCode(first.Name), mdTime(first), mdCode(last.Name), mdTime(last))
	if t.Timed {
		fmt.Fprintf(bw, ", %s", formatDuration(t.Span))
	}
	tot := &t.Total
	fmt.Fprintf(bw, "\n\n**total** %s → %s: **%s**, %s, R² %.2f, %s `%s`\n\n",
		units.Format(float64(tot.Growth.Base), unit, false), units.Format(float64(tot.Growth.Target), unit, false),
		units.Format(float64(tot.Growth.Delta()), unit, true), slopeCell(t, tot), tot.Fit.R2, shapeCell(t, tot), sparkline(tot))
	for _, warning := range t.Warnings {
		fmt.Fprintf(bw, "> **Warning:** %s\n>\n", mdText(warning.Error()))
	}
	if len(t.Warnings) > 0 {
		fmt.Fprintln(bw)
	}
	slopeHeader := "per hour"
	if !t.Timed {
		slopeHeader = "per snapshot"
	}
	kept := trendHasKept(t)
	keptHead, keptRule := "", ""
	if kept {
		keptHead, keptRule = " kept |", "--:|"
	}
	fmt.Fprintf(bw, "| # | %s | shape | %s | growth |%s last | R² | trend |\n|--:|---|---|--:|--:|%s--:|--:|---|\n", t.By, slopeHeader, keptHead, keptRule)
	row := func(rank string, name string, s *diff.Series) {
		keptCol := ""
		if kept {
			keptCol = " " + keptCell(s.Kept()) + " |"
		}
		fmt.Fprintf(bw, "| %s | %s | %s | %s | %s |%s %s | %.2f | `%s` |\n", rank, name, shapeCell(t, s), slopeCell(t, s),
			units.Format(float64(s.Growth.Delta()), unit, true), keptCol, units.Format(float64(s.Growth.Target), unit, false),
			s.Fit.R2, sparkline(s))
	}
	for i := range t.Series {
		row(strconv.Itoa(i+1), mdCode(t.Series[i].Name), &t.Series[i])
	}
	if t.Rest != nil {
		row("", fmt.Sprintf("*%d more*", t.RestCount), t.Rest)
	}
	fmt.Fprintf(bw, "\n`%s` = slope within sampling noise (≤ %g standard deviations).\n", Noise, diff.NoiseThreshold)
	return bw.Flush()
}
