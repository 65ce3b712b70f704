package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/heapdiff/heapdiff/diff"
	"github.com/heapdiff/heapdiff/profile"
)

func leakyTrend(t *testing.T, opts diff.TrendOptions) *diff.Trend {
	t.Helper()
	names, _ := filepath.Glob("../testdata/leaky/heap-*.pb.gz")
	return trendOfFiles(t, names, opts)
}

// trendOfFiles loads profiles into a trend.
func trendOfFiles(t *testing.T, names []string, opts diff.TrendOptions) *diff.Trend {
	t.Helper()
	var ps []*profile.Profile
	for _, name := range names {
		p, err := profile.Load(name, profile.Options{})
		if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	return trendOf(t, ps, opts)
}

// trendOf adds profiles to a trend, in order, and makes it.
func trendOf(t *testing.T, ps []*profile.Profile, opts diff.TrendOptions) *diff.Trend {
	t.Helper()
	b := diff.NewTrend(opts)
	defer b.Close()
	for _, p := range ps {
		if err := b.Add(p); err != nil {
			t.Fatal(err)
		}
	}
	tr, err := b.Trend()
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func TestTrendGoldenOutputs(t *testing.T) {
	for _, tc := range []struct {
		file   string
		format Format
		opts   diff.Options
		color  bool
	}{
		{"trend.txt", FormatText, diff.Options{}, false},
		{"trend-func-color.txt", FormatText, diff.Options{By: diff.ByFunc, Top: 5}, true},
		{"trend.md", FormatMarkdown, diff.Options{Top: 6}, false},
		{"trend.csv", FormatCSV, diff.Options{By: diff.ByFunc, Top: 4}, false},
		{"trend.json", FormatJSON, diff.Options{Top: 2}, false},
	} {
		t.Run(tc.file, func(t *testing.T) {
			var buf bytes.Buffer
			if err := RenderTrend(&buf, tc.format, leakyTrend(t, diff.TrendOptions{Options: tc.opts}), Options{Color: tc.color}); err != nil {
				t.Fatal(err)
			}
			golden(t, tc.file, buf.Bytes())
		})
	}
}

func TestTrendTextColorsKeepAlignment(t *testing.T) {
	tr := leakyTrend(t, diff.TrendOptions{})
	var plain, colored bytes.Buffer
	TrendText(&plain, tr, Options{})
	TrendText(&colored, tr, Options{Color: true})
	if ansi.Match(plain.Bytes()) || !strings.Contains(colored.String(), colorRed+"steady growth") {
		t.Error("colors missing where wanted, or present where not")
	}
	if ansi.ReplaceAllString(colored.String(), "") != plain.String() {
		t.Error("colors change the text or its alignment")
	}
}

func TestTrendJSONRoundTrips(t *testing.T) {
	tr := leakyTrend(t, diff.TrendOptions{Options: diff.Options{By: diff.ByFunc, Top: 3}})
	var buf bytes.Buffer
	if err := TrendJSON(&buf, tr); err != nil {
		t.Fatal(err)
	}
	var doc JSONTrend
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Schema != TrendJSONSchema || len(doc.Snapshots) != 12 || len(doc.Sites) != 3 || doc.Rest == nil || doc.RestCount != tr.RestCount {
		t.Fatalf("schema %q, %d snapshots, %d sites, rest %v (%d)", doc.Schema, len(doc.Snapshots), len(doc.Sites), doc.Rest != nil, doc.RestCount)
	}
	if doc.SpanSeconds == nil || *doc.SpanSeconds != 6600 || !doc.Timed {
		t.Errorf("span %v, timed %v", doc.SpanSeconds, doc.Timed)
	}
	for i, s := range doc.Sites {
		want := tr.Series[i]
		if s.Name != want.Name || s.Shape != want.Shape.Key() || s.Slope != want.Fit.Slope || *s.RatePerHour != want.Fit.Slope ||
			s.Growth.Delta != want.Growth.Delta() || len(s.Values) != 12 {
			t.Errorf("site %d: %+v, want %+v", i, s, want)
		}
	}
	// The sites and the rest add up to the total at every snapshot.
	for j := range doc.Snapshots {
		sum := doc.Rest.Values[j]
		for _, s := range doc.Sites {
			sum += s.Values[j]
		}
		if sum != doc.Total.Values[j] {
			t.Errorf("snapshot %d: %d summed, total %d", j, sum, doc.Total.Values[j])
		}
	}
	cache := slices.IndexFunc(doc.Sites, func(s JSONSeries) bool { return strings.HasPrefix(s.Name, "main.(*Cache).Put") })
	if cache < 0 || doc.Sites[cache].Shape != "plateau" || doc.Sites[cache].StoppedAt == nil || *doc.Sites[cache].StoppedAt < 2 || *doc.Sites[cache].StoppedAt > 4 {
		t.Errorf("the cache's series is not a plateau from snapshot 3, give or take one: %+v", doc.Sites)
	}
}

func TestTrendCSVValues(t *testing.T) {
	tr := leakyTrend(t, diff.TrendOptions{Options: diff.Options{By: diff.ByFunc}})
	var buf bytes.Buffer
	if err := TrendCSV(&buf, tr); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != len(tr.Series)+2 || recs[1][1] != "total" || recs[2][5] != "steady_growth" {
		t.Fatalf("%d records for %d sites; first rows %v %v", len(recs), len(tr.Series), recs[1][:6], recs[2][:6])
	}
	first := len(recs[0]) - 12
	if recs[0][first] != "v1" {
		t.Fatalf("value columns start with %q", recs[0][first])
	}
	for j := 0; j < 12; j++ {
		var sum int64
		for _, rec := range recs[2:] {
			v, err := strconv.ParseInt(rec[first+j], 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			sum += v
		}
		if total, _ := strconv.ParseInt(recs[1][first+j], 10, 64); sum != total {
			t.Errorf("v%d: sites sum to %d, total %d", j+1, sum, total)
		}
	}
}

func TestSparkline(t *testing.T) {
	for _, tc := range []struct {
		values []int64
		want   string
	}{
		{[]int64{0, 1, 2, 3, 4, 5, 6, 7}, "▁▂▃▄▅▆▇█"},
		{[]int64{5, 5, 5}, "▁▁▁"},
		{[]int64{0, 70, 0, 70}, "▁█▁█"},
		{[]int64{-7, 0}, "▁█"},
	} {
		if got := sparkline(&diff.Series{Values: tc.values}); got != tc.want {
			t.Errorf("sparkline(%v) = %q, want %q", tc.values, got, tc.want)
		}
	}
	long := make([]int64, 200)
	for i := range long {
		long[i] = int64(i)
	}
	if got := []rune(sparkline(&diff.Series{Values: long})); len(got) != sparklineWidth || got[0] != '▁' || got[len(got)-1] != '█' {
		t.Errorf("a long series: %q", string(got))
	}
}

func TestCheckOutputs(t *testing.T) {
	ps, err := profile.LoadAll([]string{"../testdata/leaky/heap-01.pb.gz", "../testdata/leaky/heap-12.pb.gz"}, profile.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := diff.Compare(ps[0], ps[1], diff.Options{})
	if err != nil {
		t.Fatal(err)
	}
	over, err := diff.CheckComparison(c, []diff.Budget{{Measure: diff.TotalGrowth, Max: 20 << 20}, {Measure: diff.GroupGrowth, Max: 20 << 20},
		{Measure: diff.TotalRate, Max: 10 << 20}, {Measure: diff.TotalPercent, Max: 1000}})
	if err != nil {
		t.Fatal(err)
	}
	pass, err := diff.CheckTrend(leakyTrend(t, diff.TrendOptions{}), []diff.Budget{{Measure: diff.TotalRate, Max: 80 << 20}, {Measure: diff.GroupGrowth, Max: 100 << 20}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		file   string
		format Format
		bc     *diff.BudgetCheck
	}{
		{"check-over.txt", FormatText, over},
		{"check-over.md", FormatMarkdown, over},
		{"check-over.json", FormatJSON, over},
		{"check-over.csv", FormatCSV, over},
		{"check-pass.txt", FormatText, pass},
	} {
		t.Run(tc.file, func(t *testing.T) {
			var buf bytes.Buffer
			if err := RenderCheck(&buf, tc.format, tc.bc, Options{}); err != nil {
				t.Fatal(err)
			}
			golden(t, tc.file, buf.Bytes())
		})
	}
	want := "over budget: total growth +118.7MiB > 20.0MiB; 2 site(s) over site growth 20.0MiB: main.(*SessionStore).Open main.go:50 +57.1MiB, main.(*JobQueue).Finish main.go:66 +39.0MiB; total rate +64.8MiB/h > 10.0MiB/h"
	if got := CheckSummary(over); got != want {
		t.Errorf("summary:\n%s\nwant\n%s", got, want)
	}
	if got := CheckSummary(pass); got != "within budget" {
		t.Errorf("summary %q", got)
	}
	var doc JSONCheck
	var buf bytes.Buffer
	CheckJSON(&buf, over)
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil || doc.Schema != CheckJSONSchema || !doc.Over || len(doc.Limits) != 4 ||
		len(doc.Limits[1].Sites) != 2 || doc.Limits[3].Over {
		t.Errorf("JSON %+v (%v)", doc, err)
	}
}
