package report

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/heapdiff/heapdiff/diff"
	"github.com/heapdiff/heapdiff/internal/units"
)

// FleetTop is how many processes a fleet's suspect lists by name in text
// and Markdown; JSON and HTML list them all.
const FleetTop = 3

// RenderFleet writes f in format: text, json, md or html. source names what
// was read (an s3:// prefix or a directory).
func RenderFleet(w io.Writer, format Format, f *diff.Fleet, source string, opts Options) error {
	switch format {
	case FormatText:
		return FleetText(w, f, source, opts)
	case FormatJSON:
		return FleetJSON(w, f, source)
	case FormatMarkdown:
		return FleetMarkdown(w, f, source)
	case FormatHTML:
		return FleetHTML(w, f, source)
	}
	return fmt.Errorf("the fleet view is written as text, json, md or html, not %s", format)
}

// fleetRate shows a process's or suspect's slope, "~" marking one within
// noise, per hour (or per snapshot when untimed).
func fleetRate(f *diff.Fleet, fit diff.Fit) string {
	per := "/h"
	if !f.Timed {
		per = "/snap"
	}
	s := units.Format(fit.Slope, f.Type.Unit, true) + per
	if !fit.Significant() {
		s = Noise + s
	}
	return s
}

func fleetSlope(f *diff.Fleet, v float64) string {
	per := "/h"
	if !f.Timed {
		per = "/snap"
	}
	return units.Format(v, f.Type.Unit, true) + per
}

// topSuspect names a process's first suspect.
func topSuspect(p *diff.ProcessSummary) string {
	if len(p.Suspects) == 0 {
		return ""
	}
	return p.Suspects[0].Name
}

// suspectProcesses lists the first FleetTop processes of a suspect.
func suspectProcesses(s *diff.SharedSuspect) string {
	names := s.Processes
	more := ""
	if len(names) > FleetTop {
		more = fmt.Sprintf(", … %d more", len(names)-FleetTop)
		names = names[:FleetTop]
	}
	return strings.Join(names, ", ") + more
}

func spreadColor(s diff.Spread) string {
	switch s {
	case diff.MostProcesses:
		return colorRed
	case diff.OneProcess, diff.SomeProcesses:
		return colorBold
	}
	return ""
}

// fleetSpan says when the fleet's snapshots were taken.
func fleetSpan(f *diff.Fleet) string {
	if f.First.IsZero() {
		return ""
	}
	return fmt.Sprintf("%s → %s  (%s)", units.Time(f.First), units.Time(f.Last), formatDuration(f.Last.Sub(f.First)))
}

const fleetNote = `code leak = a suspect in at least half of the judged processes (and two or more): every instance runs the code that leaks
some processes = in two or more, fewer than half: a leak that needs what only some instances see (input, configuration, a version)
one process = in one process only: a bad instance or bad input
suspect = a site whose growth is steady or faint and beyond sampling noise (~: a slope within noise)`

// FleetText writes the fleet for a terminal: the processes ranked by how
// fast their total grows, then the suspects, most widely shared first.
func FleetText(w io.Writer, f *diff.Fleet, source string, opts Options) error {
	bw := bufio.NewWriter(w)
	paint := painter(opts.Color)
	fmt.Fprintf(bw, "%s  %s  %s, %d judged, %d leaking; %d snapshots\n", paint(colorBold, "fleet"), source,
		counted(len(f.Processes), "process", "processes"), f.Judged, f.Leaking, f.Snapshots)
	if span := fleetSpan(f); span != "" {
		fmt.Fprintf(bw, "%s  %s\n", paint(colorBold, "time "), span)
	}
	if f.Judged > 0 {
		fmt.Fprintf(bw, "%s  %s\n", paint(colorBold, "type "), f.Type)
	}
	for _, w := range f.Warnings {
		fmt.Fprintf(bw, "%s %s\n", paint(colorBold, "warning:"), w)
	}
	fmt.Fprintln(bw)
	fmt.Fprintln(bw, paint(colorBold, "Processes, fastest growing first"))
	header := headerCells([]string{"#", "process", "snaps", "first", "last", "per hour", "R²", "shape", "suspects", "top suspect"})
	header[1].left, header[7].left = true, true
	if !f.Timed {
		header[5].text = "per snapshot"
	}
	table := [][]cell{header}
	unit := f.Type.Unit
	for i := range f.Processes {
		p := &f.Processes[i]
		if !p.Judged() {
			table = append(table, []cell{{text: "-"}, {text: p.Name, left: true}, {text: strconv.Itoa(p.Snapshots)}, {}, {}, {}, {},
				{text: "not judged", left: true, color: colorDim}, {}, {text: p.Problem, left: true, color: colorDim}})
			continue
		}
		color := shapeColor(p.Total.Shape)
		table = append(table, []cell{
			{text: strconv.Itoa(i + 1)},
			{text: p.Name, left: true},
			{text: strconv.Itoa(p.Snapshots)},
			{text: units.Format(float64(p.Total.First), unit, false)},
			{text: units.Format(float64(p.Total.Last), unit, false)},
			{text: fleetRate(f, p.Total.Fit), color: color},
			{text: strconv.FormatFloat(p.Total.Fit.R2, 'f', 2, 64)},
			{text: p.Total.Shape.String(), left: true, color: color},
			{text: strconv.Itoa(len(p.Suspects))},
			{text: topSuspect(p), left: true},
		})
	}
	writeTable(bw, table, paint)
	fmt.Fprintln(bw)
	fmt.Fprintln(bw, paint(colorBold, "Leak suspects across processes, most widely shared first"))
	if len(f.Suspects) == 0 {
		fmt.Fprintln(bw, "(none: no site grows steadily beyond noise in any process)")
	} else {
		header := headerCells([]string{"#", "spread", "processes", "share", "median", "max", "growth", "site", "in"})
		header[1].left, header[7].left = true, true
		table := [][]cell{header}
		for i := range f.Suspects {
			s := &f.Suspects[i]
			table = append(table, []cell{
				{text: strconv.Itoa(i + 1)},
				{text: s.Spread.String(), left: true, color: spreadColor(s.Spread)},
				{text: fmt.Sprintf("%d/%d", len(s.Processes), s.Of)},
				{text: fmt.Sprintf("%.0f%%", 100*s.Share())},
				{text: fleetSlope(f, s.MedianSlope)},
				{text: fleetSlope(f, s.MaxSlope)},
				{text: units.Format(float64(s.Growth), unit, true)},
				{text: s.Name, left: true},
				{text: suspectProcesses(s), left: true},
			})
		}
		writeTable(bw, table, paint)
	}
	fmt.Fprintln(bw)
	fmt.Fprintln(bw, fleetNote)
	return bw.Flush()
}

// JSONFleet is the fleet view as JSON, schema heapdiff.fleet/v1.
type JSONFleet struct {
	Schema    string              `json:"schema"`
	Source    string              `json:"source"`
	Type      *JSONType           `json:"type"` // null when no process was judged
	Timed     bool                `json:"timed"`
	First     *time.Time          `json:"first"`
	Last      *time.Time          `json:"last"`
	Judged    int                 `json:"judged"`
	Leaking   int                 `json:"leaking"`
	Snapshots int                 `json:"snapshots"`
	Majority  float64             `json:"majority"`
	Processes []JSONFleetProcess  `json:"processes"`
	Suspects  []JSONSharedSuspect `json:"suspects"`
	Warnings  []string            `json:"warnings"`
}

// JSONFleetProcess is one process: its total's series summary and its
// suspects, or the problem that kept it from being judged.
type JSONFleetProcess struct {
	Name      string        `json:"name"`
	Snapshots int           `json:"snapshots"`
	Judged    bool          `json:"judged"`
	Leaking   bool          `json:"leaking"`
	Problem   string        `json:"problem,omitempty"`
	First     *time.Time    `json:"first,omitempty"`
	Last      *time.Time    `json:"last,omitempty"`
	Total     *JSONSummary  `json:"total,omitempty"`
	Suspects  []JSONSummary `json:"suspects"`
	Warnings  []string      `json:"warnings"`
}

// JSONSummary is a series summarized: slope per hour (or per snapshot when
// the fleet is untimed), its noise and significance, R², shape, first and
// last values and growth.
type JSONSummary struct {
	Name        string  `json:"name"`
	Shape       string  `json:"shape"`
	Slope       float64 `json:"slope"`
	SlopeNoise  float64 `json:"slope_noise"`
	Significant bool    `json:"significant"`
	R2          float64 `json:"r2"`
	First       int64   `json:"first"`
	Last        int64   `json:"last"`
	Growth      int64   `json:"growth"`
}

// JSONSharedSuspect is one suspect across the fleet.
type JSONSharedSuspect struct {
	Name        string   `json:"name"`
	Spread      string   `json:"spread"` // most, some, one, only
	Processes   []string `json:"processes"`
	Of          int      `json:"of"`
	Share       float64  `json:"share"`
	MedianSlope float64  `json:"median_slope"`
	MaxSlope    float64  `json:"max_slope"`
	Growth      int64    `json:"growth"`
}

func jsonSummary(s diff.SeriesSummary) JSONSummary {
	return JSONSummary{Name: s.Name, Shape: s.Shape.Key(), Slope: s.Fit.Slope, SlopeNoise: s.Fit.SlopeNoise, Significant: s.Fit.Significant(),
		R2: s.Fit.R2, First: s.First, Last: s.Last, Growth: s.Growth.Delta()}
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// NewJSONFleet converts a fleet to its JSON form.
func NewJSONFleet(f *diff.Fleet, source string) *JSONFleet {
	j := &JSONFleet{Schema: "heapdiff.fleet/v1", Source: source, Timed: f.Timed, First: timePtr(f.First), Last: timePtr(f.Last),
		Judged: f.Judged, Leaking: f.Leaking, Snapshots: f.Snapshots, Majority: diff.Majority,
		Processes: []JSONFleetProcess{}, Suspects: []JSONSharedSuspect{}, Warnings: append([]string{}, f.Warnings...)}
	if f.Judged > 0 {
		j.Type = &JSONType{f.Type.Type, f.Type.Unit}
	}
	for i := range f.Processes {
		p := &f.Processes[i]
		jp := JSONFleetProcess{Name: p.Name, Snapshots: p.Snapshots, Judged: p.Judged(), Leaking: p.Leaking(), Problem: p.Problem,
			First: timePtr(p.First), Last: timePtr(p.Last), Suspects: []JSONSummary{}, Warnings: append([]string{}, p.Warnings...)}
		if p.Judged() {
			t := jsonSummary(p.Total)
			jp.Total = &t
		}
		for _, s := range p.Suspects {
			jp.Suspects = append(jp.Suspects, jsonSummary(s))
		}
		j.Processes = append(j.Processes, jp)
	}
	for i := range f.Suspects {
		s := &f.Suspects[i]
		j.Suspects = append(j.Suspects, JSONSharedSuspect{Name: s.Name, Spread: s.Spread.Key(), Processes: s.Processes, Of: s.Of,
			Share: s.Share(), MedianSlope: s.MedianSlope, MaxSlope: s.MaxSlope, Growth: s.Growth})
	}
	return j
}

// FleetJSON writes the fleet as one JSON document (see JSONFleet).
func FleetJSON(w io.Writer, f *diff.Fleet, source string) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(NewJSONFleet(f, source))
}

// FleetMarkdown writes the fleet as Markdown tables, for a ticket or a
// pull request.
func FleetMarkdown(w io.Writer, f *diff.Fleet, source string) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "### heapdiff fleet: %d of %d processes leaking\n\n", f.Leaking, f.Judged)
	fmt.Fprintf(bw, "%s: %s, %d judged, %d snapshots", mdCode(source), counted(len(f.Processes), "process", "processes"), f.Judged, f.Snapshots)
	if span := fleetSpan(f); span != "" {
		fmt.Fprintf(bw, ", %s", span)
	}
	if f.Judged > 0 {
		fmt.Fprintf(bw, "; %s", mdCode(f.Type.String()))
	}
	fmt.Fprint(bw, "\n\n")
	for _, warning := range f.Warnings {
		fmt.Fprintf(bw, "> **Warning:** %s\n>\n", mdText(warning))
	}
	fmt.Fprintln(bw, "#### Leak suspects across processes")
	fmt.Fprintln(bw)
	if len(f.Suspects) == 0 {
		fmt.Fprint(bw, "None: no site grows steadily beyond noise in any process.\n\n")
	} else {
		fmt.Fprintln(bw, "| # | spread | processes | median | max | growth | site | in |")
		fmt.Fprintln(bw, "|--:|---|--:|--:|--:|--:|---|---|")
		for i := range f.Suspects {
			s := &f.Suspects[i]
			fmt.Fprintf(bw, "| %d | %s | %d/%d (%.0f%%) | %s | %s | %s | %s | %s |\n", i+1, s.Spread, len(s.Processes), s.Of, 100*s.Share(),
				fleetSlope(f, s.MedianSlope), fleetSlope(f, s.MaxSlope), units.Format(float64(s.Growth), f.Type.Unit, true),
				mdCode(s.Name), mdText(suspectProcesses(s)))
		}
		fmt.Fprintln(bw)
	}
	fmt.Fprintln(bw, "#### Processes, fastest growing first")
	fmt.Fprintln(bw)
	fmt.Fprintln(bw, "| # | process | snapshots | first | last | rate | R² | shape | top suspect |")
	fmt.Fprintln(bw, "|--:|---|--:|--:|--:|--:|--:|---|---|")
	for i := range f.Processes {
		p := &f.Processes[i]
		if !p.Judged() {
			fmt.Fprintf(bw, "| - | %s | %d | | | | | not judged | %s |\n", mdCode(p.Name), p.Snapshots, mdText(p.Problem))
			continue
		}
		top := ""
		if s := topSuspect(p); s != "" {
			top = mdCode(s)
		}
		fmt.Fprintf(bw, "| %d | %s | %d | %s | %s | %s | %.2f | %s | %s |\n", i+1, mdCode(p.Name), p.Snapshots,
			units.Format(float64(p.Total.First), f.Type.Unit, false), units.Format(float64(p.Total.Last), f.Type.Unit, false),
			fleetRate(f, p.Total.Fit), p.Total.Fit.R2, p.Total.Shape, top)
	}
	fmt.Fprintln(bw)
	fmt.Fprintln(bw, "<sub>code leak = a suspect in at least half of the judged processes (and two or more); one process = a bad instance or bad input; ~ = a slope within sampling noise.</sub>")
	return bw.Flush()
}
