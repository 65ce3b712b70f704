package report

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/heapdiff/heapdiff/diff"
	"github.com/heapdiff/heapdiff/internal/units"
)

// RenderCheck writes a budget verdict in format f.
func RenderCheck(w io.Writer, f Format, bc *diff.BudgetCheck, opts Options) error {
	switch f {
	case FormatText:
		return CheckText(w, bc, opts)
	case FormatJSON:
		return CheckJSON(w, bc)
	case FormatCSV:
		return CheckCSV(w, bc)
	case FormatMarkdown:
		return CheckMarkdown(w, bc)
	}
	return fmt.Errorf("format %q is not available for budget checks", f)
}

// measureValue formats a measured value or a limit: sizes in the type's
// unit, percentages, rates per hour.
func measureValue(v float64, m diff.Measure, unit string, signed bool) string {
	switch m {
	case diff.TotalPercent:
		if math.IsInf(v, 1) {
			return "new"
		}
		if !signed {
			return strconv.FormatFloat(v, 'f', 1, 64) + "%"
		}
		return signedPercent(v)
	case diff.TotalRate, diff.GroupRate:
		return units.Format(v, unit, signed) + "/h"
	}
	return units.Format(v, unit, signed)
}

// counted is n with the noun in the number n takes: "1 site", "3 sites".
func counted(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// verdictCell says how a limit fared: "over", "ok", or "~ ok" when the value
// exceeds the limit within sampling noise.
func verdictCell(r diff.BudgetResult) string {
	switch {
	case r.Over:
		if r.Measure.PerGroup() {
			return fmt.Sprintf("over (%s)", counted(len(r.Groups), "site", "sites"))
		}
		return "over"
	case r.Value > r.Max:
		return Noise + " ok (within noise)"
	}
	return "ok"
}

// CheckSummary returns the verdict in one line: "within budget", or "over
// budget:" and each limit that is over, naming up to three sites.
func CheckSummary(bc *diff.BudgetCheck) string {
	if !bc.Over {
		return "within budget"
	}
	unit := bc.Type.Unit
	var parts []string
	for _, r := range bc.Results {
		if !r.Over {
			continue
		}
		limit := measureValue(r.Max, r.Measure, unit, false)
		if !r.Measure.PerGroup() {
			parts = append(parts, fmt.Sprintf("%s %s > %s", r.Measure, measureValue(r.Value, r.Measure, unit, true), limit))
			continue
		}
		var names []string
		for i, s := range r.Groups {
			if i == 3 {
				names = append(names, fmt.Sprintf("and %d more", len(r.Groups)-3))
				break
			}
			names = append(names, s.Name+" "+measureValue(s.Value, r.Measure, unit, true))
		}
		parts = append(parts, fmt.Sprintf("%d site(s) over %s %s: %s", len(r.Groups), r.Measure, limit, strings.Join(names, ", ")))
	}
	return "over budget: " + strings.Join(parts, "; ")
}

// checkSubject says what was judged, in one line.
func checkSubject(bc *diff.BudgetCheck) string {
	s := fmt.Sprintf("%s → %s", bc.From.Name, bc.To.Name)
	if bc.Series {
		s = fmt.Sprintf("%d snapshots, %s … %s", bc.Snapshots, bc.From.Name, bc.To.Name)
	}
	if bc.Interval > 0 {
		s += " (" + formatDuration(bc.Interval) + ")"
	}
	return s
}

// checkBasis says how growth was measured.
func checkBasis(bc *diff.BudgetCheck) string {
	if bc.Series {
		return "growth and rates from the least-squares line through the snapshots"
	}
	return "growth from base to target, rates per hour of the interval"
}

// CheckText writes the verdict for a terminal: the one-line verdict first,
// then every limit with what was measured, then the sites over budget.
func CheckText(w io.Writer, bc *diff.BudgetCheck, opts Options) error {
	bw := bufio.NewWriter(w)
	paint := painter(opts.Color)
	unit := bc.Type.Unit
	verdict := paint(colorBold, "PASS")
	if bc.Over {
		verdict = paint(colorRed, "FAIL")
	}
	fmt.Fprintf(bw, "%s %s\n", verdict, CheckSummary(bc))
	fmt.Fprintf(bw, "%s  %s\n", paint(colorBold, "profiles"), checkSubject(bc))
	fmt.Fprintf(bw, "%s  %s, %s\n", paint(colorBold, "type    "), bc.Type, checkBasis(bc))
	for _, warning := range bc.Warnings {
		fmt.Fprintf(bw, "%s %s\n", paint(colorBold, "warning:"), warning)
	}
	fmt.Fprintln(bw)

	table := [][]cell{headerCells([]string{"limit", "max", "measured", "noise", "verdict"})}
	table[0][0].left, table[0][4].left = true, true
	for _, r := range bc.Results {
		color := ""
		if r.Over {
			color = colorRed
		} else if r.Value > r.Max {
			color = colorDim
		}
		table = append(table, []cell{
			{text: r.Measure.String(), left: true},
			{text: measureValue(r.Max, r.Measure, unit, false)},
			{text: measureValue(r.Value, r.Measure, unit, true)},
			{text: "±" + measureValue(r.Noise, r.Measure, unit, false)},
			{text: verdictCell(r), color: color, left: true},
		})
	}
	writeTable(bw, table, paint)

	var over [][]cell
	for _, r := range bc.Results {
		for _, s := range r.Groups {
			over = append(over, []cell{
				{text: r.Measure.String(), left: true},
				{text: measureValue(s.Value, r.Measure, unit, true), color: colorRed},
				{text: "±" + measureValue(s.Noise, r.Measure, unit, false)},
				{text: groupKeptCell(s)},
				{text: s.Name, left: true},
			})
		}
	}
	if len(over) > 0 {
		fmt.Fprintf(bw, "\n%s\n", paint(colorBold, "sites over budget"))
		writeTable(bw, over, paint)
	}
	var excused [][]cell
	for _, r := range bc.Results {
		for _, s := range r.Excused {
			excused = append(excused, []cell{
				{text: r.Measure.String(), left: true},
				{text: measureValue(s.Value, r.Measure, unit, true)},
				{text: s.Shape.String(), left: true},
				{text: groupKeptCell(s)},
				{text: s.Name, left: true},
			})
		}
	}
	if len(excused) > 0 {
		fmt.Fprintf(bw, "\n%s\n", paint(colorBold, "over the limit but not leak suspects (not steady growth), excused"))
		writeTable(bw, excused, paint)
	}
	fmt.Fprintf(bw, "\na value over its limit fails only beyond sampling noise (%g standard deviations)\n", diff.NoiseThreshold)
	return bw.Flush()
}

// groupKeptCell shows what a group over budget kept of what it allocated,
// "kept 98%±16", or "" where the profiles carry no allocations.
func groupKeptCell(s diff.GroupOver) string {
	if s.Kept == nil {
		return ""
	}
	return "kept " + keptCell(*s.Kept, true)
}

// CheckMarkdown writes the verdict for a pull-request comment.
func CheckMarkdown(w io.Writer, bc *diff.BudgetCheck) error {
	bw := bufio.NewWriter(w)
	unit := bc.Type.Unit
	mark := "✅ within budget"
	if bc.Over {
		mark = "❌ over budget"
	}
	fmt.Fprintf(bw, "### heapdiff check: %s\n\n", mark)
	fmt.Fprintf(bw, "%s, %s: %s.\n\n", mdText(checkSubject(bc)), mdCode(bc.Type.Type), checkBasis(bc))
	for _, warning := range bc.Warnings {
		fmt.Fprintf(bw, "> **Warning:** %s\n>\n", mdText(warning.Error()))
	}
	if len(bc.Warnings) > 0 {
		fmt.Fprintln(bw)
	}
	fmt.Fprintf(bw, "| limit | max | measured | noise | verdict |\n|---|--:|--:|--:|---|\n")
	for _, r := range bc.Results {
		v := verdictCell(r)
		if r.Over {
			v = "**" + v + "**"
		}
		fmt.Fprintf(bw, "| %s | %s | %s | ±%s | %s |\n", r.Measure, measureValue(r.Max, r.Measure, unit, false),
			measureValue(r.Value, r.Measure, unit, true), measureValue(r.Noise, r.Measure, unit, false), v)
	}
	first := true
	for _, r := range bc.Results {
		for _, s := range r.Groups {
			if first {
				fmt.Fprintf(bw, "\n**Sites over budget**\n\n| limit | measured | kept | site |\n|---|--:|--:|---|\n")
				first = false
			}
			fmt.Fprintf(bw, "| %s | %s | %s | %s |\n", r.Measure, measureValue(s.Value, r.Measure, unit, true), strings.TrimPrefix(groupKeptCell(s), "kept "), mdCode(s.Name))
		}
	}
	first = true
	for _, r := range bc.Results {
		for _, s := range r.Excused {
			if first {
				fmt.Fprintf(bw, "\n**Over the limit but not leak suspects (excused)**\n\n| limit | measured | shape | site |\n|---|--:|---|---|\n")
				first = false
			}
			fmt.Fprintf(bw, "| %s | %s | %s | %s |\n", r.Measure, measureValue(s.Value, r.Measure, unit, true), s.Shape, mdCode(s.Name))
		}
	}
	fmt.Fprintf(bw, "\nA value over its limit fails only beyond sampling noise (%g standard deviations).\n", diff.NoiseThreshold)
	return bw.Flush()
}

// CheckJSONSchema identifies the version of the JSON document CheckJSON
// writes; fields may be added within a version, none removed or renamed.
const CheckJSONSchema = "heapdiff.check/v1"

// JSONCheck is the document CheckJSON writes, documented in README.md.
type JSONCheck struct {
	Schema string `json:"schema"`
	// Over is true when any limit is over; the exit status is then 3.
	Over    bool   `json:"over"`
	Summary string `json:"summary"`
	// Series is true when judged on a trend's least-squares lines.
	Series     bool     `json:"series"`
	SampleType JSONType `json:"sample_type"`
	From       string   `json:"from"`
	To         string   `json:"to"`
	Snapshots  int      `json:"snapshots"`
	// IntervalSeconds is the time from the first profile to the last;
	// null when unknown.
	IntervalSeconds *float64          `json:"interval_seconds"`
	NoiseThreshold  float64           `json:"noise_threshold"`
	Limits          []JSONLimitResult `json:"limits"`
	// Warnings are the comparison's or the trend's, as compare and trend
	// write them; empty when there are none.
	Warnings []string `json:"warnings"`
}

// JSONLimitResult is the verdict of one limit.
type JSONLimitResult struct {
	// Measure is total_growth, total_percent, site_growth, total_rate or
	// site_rate; rates are per hour.
	Measure string  `json:"measure"`
	Max     float64 `json:"max"`
	// Value is the total's, or the largest site's for site limits; null
	// for a percentage of a zero start.
	Value       *float64       `json:"value"`
	Noise       float64        `json:"noise"`
	Significant bool           `json:"significant"`
	Over        bool           `json:"over"`
	Sites       []JSONSiteOver `json:"sites,omitempty"`
	// Excused lists, on a series, the sites over a per-site limit whose
	// shape is not steady growth: they do not fail it.
	Excused []JSONSiteOver `json:"excused,omitempty"`
}

// JSONSiteOver is a site over a per-site limit.
type JSONSiteOver struct {
	Name   string      `json:"name"`
	Frames []JSONFrame `json:"frames,omitempty"`
	Value  float64     `json:"value"`
	Noise  float64     `json:"noise"`
	// Shape is the site's shape on a series (steady_growth for a site
	// that fails); absent on a pair.
	Shape string `json:"shape,omitempty"`
	// Kept is the share of what the site allocated that it still holds;
	// absent where the profiles carry no allocations.
	Kept *JSONKept `json:"kept,omitempty"`
}

// NewJSONCheck converts a verdict to its JSON document.
func NewJSONCheck(bc *diff.BudgetCheck) *JSONCheck {
	doc := &JSONCheck{
		Schema:         CheckJSONSchema,
		Over:           bc.Over,
		Summary:        CheckSummary(bc),
		Series:         bc.Series,
		SampleType:     JSONType{bc.Type.Type, bc.Type.Unit},
		From:           bc.From.Name,
		To:             bc.To.Name,
		Snapshots:      bc.Snapshots,
		NoiseThreshold: diff.NoiseThreshold,
		Limits:         []JSONLimitResult{},
		Warnings:       []string{},
	}
	for _, w := range bc.Warnings {
		doc.Warnings = append(doc.Warnings, w.Error())
	}
	if bc.Interval > 0 {
		s := bc.Interval.Seconds()
		doc.IntervalSeconds = &s
	}
	for _, r := range bc.Results {
		j := JSONLimitResult{Measure: r.Measure.Key(), Max: r.Max, Noise: r.Noise, Significant: r.Significant, Over: r.Over}
		if !math.IsInf(r.Value, 0) && !math.IsNaN(r.Value) {
			v := r.Value
			j.Value = &v
		}
		for _, s := range r.Groups {
			o := JSONSiteOver{Name: s.Name, Value: s.Value, Noise: s.Noise, Kept: groupKeptJSON(s)}
			if bc.Series {
				o.Shape = s.Shape.Key()
			}
			o.Frames = jsonFrames(s.Frames)
			j.Sites = append(j.Sites, o)
		}
		for _, s := range r.Excused {
			o := JSONSiteOver{Name: s.Name, Value: s.Value, Noise: s.Noise, Shape: s.Shape.Key(), Kept: groupKeptJSON(s)}
			o.Frames = jsonFrames(s.Frames)
			j.Excused = append(j.Excused, o)
		}
		doc.Limits = append(doc.Limits, j)
	}
	return doc
}

func groupKeptJSON(s diff.GroupOver) *JSONKept {
	if s.Kept == nil {
		return nil
	}
	return &JSONKept{Share: s.Kept.Share, Noise: s.Kept.Noise}
}

// CheckJSON writes the verdict as an indented JSON document (see JSONCheck).
func CheckJSON(w io.Writer, bc *diff.BudgetCheck) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(NewJSONCheck(bc))
}

// CheckCSV writes one record per limit (name "(total)" for total limits,
// "(largest site)" for site limits) and one per site over a site limit.
func CheckCSV(w io.Writer, bc *diff.BudgetCheck) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"measure", "max", "name", "value", "noise", "significant", "over", "kept", "kept_noise"})
	for _, r := range bc.Results {
		name := "(total)"
		if r.Measure.PerGroup() {
			name = "(largest site)"
		}
		cw.Write([]string{r.Measure.Key(), formatFloat(r.Max), name, formatFloat(r.Value), formatFloat(r.Noise),
			strconv.FormatBool(r.Significant), strconv.FormatBool(r.Over), "", ""})
		for _, s := range r.Groups {
			kept, keptNoise := "", ""
			if s.Kept != nil {
				kept, keptNoise = formatFloat(s.Kept.Share), formatFloat(s.Kept.Noise)
			}
			cw.Write([]string{r.Measure.Key(), formatFloat(r.Max), csvText(s.Name), formatFloat(s.Value), formatFloat(s.Noise), "true", "true", kept, keptNoise})
		}
	}
	cw.Flush()
	return cw.Error()
}
