package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"time"

	"github.com/heapdiff/heapdiff/diff"
)

// JSONSchema identifies the version of the JSON document JSON writes. A
// change that removes or renames a field gets a new version; new fields may
// be added within a version.
const JSONSchema = "heapdiff.compare/v1"

// JSONComparison is the document JSON writes, documented in README.md.
type JSONComparison struct {
	Schema string     `json:"schema"`
	Base   JSONSource `json:"base"`
	Target JSONSource `json:"target"`
	// IntervalSeconds is the time between the profiles; null when unknown.
	IntervalSeconds *float64 `json:"interval_seconds"`
	By              string   `json:"by"`
	Cum             bool     `json:"cum"`
	Normalized      bool     `json:"normalized"`
	// SampleTypes lists every compared type; rows carry a value for each.
	SampleTypes []JSONType `json:"sample_types"`
	// SampleIndex is the type the rows are sorted by.
	SampleIndex    string  `json:"sample_index"`
	NoiseThreshold float64 `json:"noise_threshold"`
	// Total maps each sample type to the change of the whole profile.
	Total map[string]JSONChange `json:"total"`
	Rows  []JSONRow             `json:"rows"`
	// Rest sums the rows cut by --top; absent when none were cut.
	Rest     *JSONRest `json:"rest,omitempty"`
	Warnings []string  `json:"warnings"`
	// Retainers says who holds what grew (--retainers); absent when not
	// asked.
	Retainers *JSONHolders `json:"retainers,omitempty"`
}

// JSONSource describes one compared profile.
type JSONSource struct {
	Name string `json:"name"`
	// Time is RFC 3339, or null when the profile has none.
	Time       *time.Time `json:"time"`
	Format     string     `json:"format"`
	Period     int64      `json:"period"`
	PeriodType JSONType   `json:"period_type"`
	Comments   []string   `json:"comments"`
	Symbolized bool       `json:"symbolized"`
}

// JSONType is a sample type.
type JSONType struct {
	Type string `json:"type"`
	Unit string `json:"unit"`
}

// JSONChange is one compared value.
type JSONChange struct {
	Base   int64 `json:"base"`
	Target int64 `json:"target"`
	Delta  int64 `json:"delta"`
	// Percent is Delta relative to Base; null when Base is 0.
	Percent *float64 `json:"percent"`
	// RatePerHour is Delta per hour; null when the interval is unknown.
	RatePerHour *float64 `json:"rate_per_hour"`
	// Noise is the standard deviation of Delta from sampling alone.
	Noise       float64 `json:"noise"`
	Significant bool    `json:"significant"`
	// Status is one of same, grew, shrank, new, gone.
	Status string `json:"status"`
}

// JSONFrame is one frame of a row.
type JSONFrame struct {
	Function string `json:"function,omitempty"`
	File     string `json:"file,omitempty"`
	Line     int64  `json:"line,omitempty"`
	Address  uint64 `json:"address,omitempty"`
	Module   string `json:"module,omitempty"`
}

// JSONRow is one group: its flat (and, with --cum, cumulative) change for
// every sample type.
type JSONRow struct {
	Name   string                `json:"name"`
	Frames []JSONFrame           `json:"frames,omitempty"`
	Flat   map[string]JSONChange `json:"flat"`
	Cum    map[string]JSONChange `json:"cum,omitempty"`
	// Objects counts new and deleted objects of heap snapshots by id.
	Objects *JSONObjects `json:"objects,omitempty"`
	// Kept is the share of what the row allocated between the profiles
	// that is still live (diff.Kept); absent when the profiles carry no
	// allocations or the row allocated nothing significant.
	Kept *JSONKept `json:"kept,omitempty"`
}

// JSONKept is a share kept and its noise (standard deviation).
type JSONKept struct {
	Share float64 `json:"share"`
	Noise float64 `json:"noise"`
}

func jsonKept(k diff.Kept, ok bool) *JSONKept {
	if !ok {
		return nil
	}
	return &JSONKept{Share: k.Share, Noise: k.Noise}
}

// JSONObjects counts a heap snapshot row's objects only in the target (new)
// and only in the base (deleted), and adds up their shallow sizes
// (DevTools' Alloc. Size and Freed Size; its Size Delta is their
// difference).
type JSONObjects struct {
	New         int64 `json:"new"`
	Deleted     int64 `json:"deleted"`
	NewSize     int64 `json:"new_size"`
	DeletedSize int64 `json:"deleted_size"`
}

// JSONRest sums the rows cut by --top.
type JSONRest struct {
	Rows int                   `json:"rows"`
	Flat map[string]JSONChange `json:"flat"`
}

// NewJSONComparison converts a comparison to its JSON document, every row
// included. JSON writes the same document without holding it.
func NewJSONComparison(c *diff.Comparison) *JSONComparison {
	doc := jsonHead(c)
	doc.Rows = make([]JSONRow, 0, len(c.Rows))
	for _, r := range c.Rows {
		doc.Rows = append(doc.Rows, jsonRow(c, r))
	}
	return doc
}

// jsonHead returns c's document without its rows.
func jsonHead(c *diff.Comparison) *JSONComparison {
	doc := &JSONComparison{
		Schema:         JSONSchema,
		Base:           jsonSource(c.Base),
		Target:         jsonSource(c.Target),
		By:             c.By.String(),
		Cum:            c.Cum,
		Normalized:     c.Normalized,
		SampleIndex:    c.Shown().Type,
		NoiseThreshold: diff.NoiseThreshold,
		Rows:           []JSONRow{},
		Warnings:       []string{},
	}
	if c.Interval > 0 {
		s := c.Interval.Seconds()
		doc.IntervalSeconds = &s
	}
	for _, t := range c.Types {
		doc.SampleTypes = append(doc.SampleTypes, JSONType{t.Type, t.Unit})
	}
	doc.Total = jsonChanges(c, c.Total)
	if c.Rest.Rows > 0 {
		doc.Rest = &JSONRest{Rows: c.Rest.Rows, Flat: jsonChanges(c, c.Rest.Flat)}
	}
	for _, w := range c.Warnings {
		doc.Warnings = append(doc.Warnings, w.Error())
	}
	doc.Retainers = jsonHolders(c.Holders)
	return doc
}

// jsonRow converts one row, naming it if the comparison left it unnamed.
func jsonRow(c *diff.Comparison, r diff.Row) JSONRow {
	r = r.Named()
	row := JSONRow{Name: r.Name, Flat: jsonChanges(c, r.Flat), Kept: jsonKept(c.Kept(r.Flat))}
	if r.Cum != nil {
		row.Cum = jsonChanges(c, r.Cum)
	}
	if o := r.Objects; o != nil {
		row.Objects = &JSONObjects{New: o.New, Deleted: o.Deleted, NewSize: o.NewSize, DeletedSize: o.DeletedSize}
	}
	for _, f := range r.Frames {
		row.Frames = append(row.Frames, JSONFrame{f.Function, f.File, f.Line, f.Address, f.Module})
	}
	return row
}

func jsonSource(s diff.Source) JSONSource {
	js := JSONSource{
		Name:       s.Name,
		Format:     s.Format.String(),
		Period:     s.Period,
		PeriodType: JSONType{s.PeriodType.Type, s.PeriodType.Unit},
		Comments:   s.Comments,
		Symbolized: s.Symbolized,
	}
	if js.Comments == nil {
		js.Comments = []string{}
	}
	if !s.Time.IsZero() {
		t := s.Time
		js.Time = &t
	}
	return js
}

func jsonChanges(c *diff.Comparison, changes []diff.Change) map[string]JSONChange {
	m := make(map[string]JSONChange, len(changes))
	for i, ch := range changes {
		m[c.Types[i].Type] = jsonChange(c, ch)
	}
	return m
}

func jsonChange(c *diff.Comparison, ch diff.Change) JSONChange {
	j := JSONChange{
		Base:        ch.Base,
		Target:      ch.Target,
		Delta:       ch.Delta(),
		Noise:       ch.Noise,
		Significant: ch.Significant,
		Status:      ch.Status().String(),
	}
	if pct, ok := ch.Percent(); ok {
		j.Percent = &pct
	}
	if r, ok := c.RatePerHour(ch); ok {
		j.RatePerHour = &r
	}
	return j
}

// JSON writes c as an indented JSON document (see JSONComparison), the
// bytes encoding/json's Encoder with two-space indentation writes for it.
// Rows are converted and written one at a time, so that memory does not
// grow with their number: --by stack can make millions, of kilobytes each.
func JSON(w io.Writer, c *diff.Comparison) error {
	var head bytes.Buffer
	enc := json.NewEncoder(&head)
	enc.SetIndent("", "  ")
	if err := enc.Encode(jsonHead(c)); err != nil {
		return err
	}
	// The rows go where the head has none. A string holds no raw newline,
	// so this is the field itself, not text in a name.
	if len(c.Rows) == 0 {
		_, err := w.Write(head.Bytes())
		return err
	}
	before, after, ok := bytes.Cut(head.Bytes(), []byte(jsonNoRows))
	if !ok {
		return errors.New("encode JSON: the document has no rows field") // a renamed field
	}
	bw := bufio.NewWriter(w)
	bw.Write(before)
	bw.WriteString("\n  \"rows\": [")
	for i, r := range c.Rows {
		b, err := json.MarshalIndent(jsonRow(c, r), "    ", "  ")
		if err != nil {
			return err
		}
		if i > 0 {
			bw.WriteByte(',')
		}
		bw.WriteString("\n    ")
		bw.Write(b)
	}
	bw.WriteString("\n  ]")
	bw.Write(after)
	return bw.Flush()
}

// jsonNoRows is how an indented JSONComparison without rows says so.
const jsonNoRows = "\n  \"rows\": []"
