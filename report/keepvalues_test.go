package report

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/heapdiff/heapdiff/diff"
	"github.com/heapdiff/heapdiff/profile"
)

// TestTrendKeepValuesIsEnough renders trends in every format from series
// that kept only the values TrendKeepValues says the format needs, every
// snapshot's values sent to a spill, and checks that each report is byte
// for byte the one written from a trend whose every series kept its
// values: over a generated series with more sites than the HTML page
// draws, whole and cut by --top, and the leaky app's.
func TestTrendKeepValuesIsEnough(t *testing.T) {
	var generated []*profile.Profile
	if err := seriesProfiles(seriesConfig, 30, func(p *profile.Profile) error {
		generated = append(generated, p)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	names, _ := filepath.Glob("../testdata/leaky/heap-*.pb.gz")
	leaky, err := profile.LoadAll(names, profile.Options{})
	if err != nil || len(leaky) != 12 {
		t.Fatalf("testdata/leaky: %d snapshots, %v", len(leaky), err)
	}
	for _, tc := range []struct {
		name string
		ps   []*profile.Profile
		top  int
	}{
		{"generated", generated, 0},
		{"generated, --top 20", generated, 20},
		{"generated, --top above the page's rows", generated, HTMLMaxRows + 100},
		{"leaky", leaky, 0},
		{"leaky, --top 3", leaky, 3},
	} {
		full := trendOf(t, tc.ps, diff.TrendOptions{Options: diff.Options{Top: tc.top}})
		if tc.name == "generated" && len(full.Series) <= HTMLMaxRows {
			t.Fatalf("%d sites: no more than the page draws", len(full.Series))
		}
		for _, f := range Formats {
			keep := TrendKeepValues(f)
			spill, err := os.CreateTemp(t.TempDir(), "spill")
			if err != nil {
				t.Fatal(err)
			}
			opts := diff.TrendOptions{Options: diff.Options{Top: tc.top}, KeepValues: keep, SpillAfter: 1,
				Spill: func() (diff.SpillFile, error) { return spill, nil }}
			lean := trendOf(t, tc.ps, opts)
			if keep != 0 && lean.Unkept == nil && len(lean.Series) > max(keep, 0) {
				t.Fatalf("%s, %s: the trend kept every series' values", tc.name, f)
			}
			var want, got bytes.Buffer
			if err := RenderTrend(&want, f, full, Options{}); err != nil {
				t.Fatal(err)
			}
			if err := RenderTrend(&got, f, lean, Options{}); err != nil {
				t.Fatalf("%s, %s, keeping %d series' values: %v", tc.name, f, keep, err)
			}
			if !bytes.Equal(got.Bytes(), want.Bytes()) {
				t.Errorf("%s, %s, keeping %d series' values: the report differs from the one with every value", tc.name, f, keep)
			}
		}
	}
}

// TestTrendHTMLNeedsTheValuesItDraws checks that the page refuses, with an
// error naming the site and what to do, a trend whose drawn sites kept no
// values, rather than drawing empty lines.
func TestTrendHTMLNeedsTheValuesItDraws(t *testing.T) {
	tr := leakyTrend(t, diff.TrendOptions{KeepValues: 2})
	err := TrendHTML(&bytes.Buffer{}, tr)
	if err == nil || !strings.Contains(err.Error(), "site 3 ("+tr.Series[2].Name+") has none") || !strings.Contains(err.Error(), "KeepValues") {
		t.Errorf("a page of sites without values: %v", err)
	}
}
