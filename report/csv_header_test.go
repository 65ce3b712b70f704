package report

import (
	"bytes"
	"encoding/csv"
	"strconv"
	"strings"
	"testing"

	"github.com/heapdiff/heapdiff/diff"
	"github.com/heapdiff/heapdiff/profile"
)

// TestCSVHeaderIsNotAFormula checks that a sample type named like a
// spreadsheet formula stays text in the header row, with and without
// cumulative columns, as names do in the body: no cell of the file starts
// a formula, except negative numbers.
func TestCSVHeaderIsNotAFormula(t *testing.T) {
	const evil = `=HYPERLINK("http://x")`
	mk := func(name string, v int64) *profile.Profile {
		return &profile.Profile{
			Name:        name,
			SampleTypes: []profile.ValueType{{Type: evil, Unit: "bytes"}, {Type: "@count", Unit: "count"}},
			Frames:      []profile.Frame{{Function: "main.f", File: "main.go", Line: 1}},
			Stacks:      []profile.Stack{{Frames: []int32{0}, Values: []int64{v, 1}}},
		}
	}
	for _, cum := range []bool{false, true} {
		c, err := diff.Compare(mk("a", 20), mk("b", 10), diff.Options{Cum: cum})
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := CSV(&buf, c); err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(&buf).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		header := strings.Join(recs[0], ",")
		if !strings.Contains(header, "'"+evil+"_base") || !strings.Contains(header, "'@count_delta") {
			t.Errorf("cum=%v: header %q lacks the escaped sample type names", cum, header)
		}
		if cum && !strings.Contains(header, "cum_"+evil+"_base") {
			t.Errorf("header %q lacks the cumulative columns", header)
		}
		for _, rec := range recs {
			for _, cell := range rec {
				if cell == "" || !strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
					continue
				}
				if _, err := strconv.ParseFloat(cell, 64); cell[0] != '-' || err != nil {
					t.Errorf("cum=%v: cell %q starts a formula", cum, cell)
				}
			}
		}
	}
}
