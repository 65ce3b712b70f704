package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/heapdiff/heapdiff/diff"
	"github.com/heapdiff/heapdiff/profile"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func comparison(t *testing.T, opts diff.Options) *diff.Comparison {
	t.Helper()
	ps, err := profile.LoadAll([]string{"../testdata/leaky/heap-01.pb.gz", "../testdata/leaky/heap-12.pb.gz"}, profile.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := diff.Compare(ps[0], ps[1], opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// golden compares got with testdata/name, or rewrites it with -update. On a
// mismatch it writes testdata/name.got for inspection.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./report -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		os.WriteFile(path+".got", got, 0o644)
		t.Errorf("output differs from %s; see %s.got (go test ./report -update accepts it)", path, path)
	}
}

func TestGoldenOutputs(t *testing.T) {
	for _, tc := range []struct {
		file   string
		format Format
		opts   diff.Options
		color  bool
	}{
		{"site.txt", FormatText, diff.Options{}, false},
		{"site-color.txt", FormatText, diff.Options{Top: 5}, true},
		{"func-cum.txt", FormatText, diff.Options{By: diff.ByFunc, Cum: true, Top: 10}, false},
		{"alloc.md", FormatMarkdown, diff.Options{SampleIndex: "alloc_space", Top: 6}, false},
		{"site.csv", FormatCSV, diff.Options{Top: 6}, false},
		{"site.json", FormatJSON, diff.Options{Top: 3}, false},
	} {
		t.Run(tc.file, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Render(&buf, tc.format, comparison(t, tc.opts), Options{Color: tc.color}); err != nil {
				t.Fatal(err)
			}
			golden(t, tc.file, buf.Bytes())
		})
	}
}

var ansi = regexp.MustCompile("\x1b\\[[0-9;]*m")

func TestTextColors(t *testing.T) {
	c := comparison(t, diff.Options{})
	var plain, colored bytes.Buffer
	Text(&plain, c, Options{})
	Text(&colored, c, Options{Color: true})
	if ansi.Match(plain.Bytes()) {
		t.Error("uncolored output has escape codes")
	}
	// The leak's row grows significantly: its delta is red.
	var leak string
	for _, line := range strings.Split(colored.String(), "\n") {
		if strings.HasSuffix(line, "main.(*SessionStore).Open main.go:50") {
			leak = line
		}
	}
	if !regexp.MustCompile(regexp.QuoteMeta(colorRed) + `\+[0-9.]+MiB` + regexp.QuoteMeta(colorReset)).MatchString(leak) {
		t.Errorf("significant growth is not red: %q", leak)
	}
	if got := ansi.ReplaceAllString(colored.String(), ""); got != plain.String() {
		t.Error("colors change the text or its alignment")
	}
}

func TestTextColumnsAlign(t *testing.T) {
	var buf bytes.Buffer
	Text(&buf, comparison(t, diff.Options{By: diff.ByFunc}), Options{})
	lines := strings.Split(buf.String(), "\n")
	start := -1
	for i, l := range lines {
		if strings.Contains(l, "per hour") {
			start = i
		}
	}
	if start < 0 {
		t.Fatal("no table header")
	}
	// Columns are counted in runes, as a terminal shows them ("±" is two
	// bytes).
	col := len([]rune(lines[start][:strings.Index(lines[start], "func")]))
	for _, l := range lines[start+1:] {
		if l == "" {
			break
		}
		r := []rune(l)
		if len(r) < col || string(r[col-2:col]) != "  " || r[col] == ' ' {
			t.Errorf("the name column does not start at %d in %q", col, l)
		}
	}
}

func TestJSONRoundTripsTheNumbers(t *testing.T) {
	c := comparison(t, diff.Options{By: diff.ByLine, Cum: true, Top: 7})
	var buf bytes.Buffer
	if err := JSON(&buf, c); err != nil {
		t.Fatal(err)
	}
	var doc JSONComparison
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Schema != JSONSchema || len(doc.Rows) != len(c.Rows) || doc.Rest == nil || doc.Rest.Rows != c.Rest.Rows {
		t.Fatalf("schema %q, %d rows (want %d), rest %+v", doc.Schema, len(doc.Rows), len(c.Rows), doc.Rest)
	}
	for i, r := range c.Rows {
		jr := doc.Rows[i]
		if jr.Name != r.Name || len(jr.Frames) != len(r.Frames) {
			t.Fatalf("row %d: %q vs %q", i, jr.Name, r.Name)
		}
		for ti, typ := range c.Types {
			for _, pair := range [][2]any{{jr.Flat[typ.Type], r.Flat[ti]}, {jr.Cum[typ.Type], r.Cum[ti]}} {
				j, ch := pair[0].(JSONChange), pair[1].(diff.Change)
				if j.Base != ch.Base || j.Target != ch.Target || j.Delta != ch.Delta() || j.Significant != ch.Significant || j.Status != ch.Status().String() {
					t.Fatalf("row %q %s: JSON %+v, comparison %+v", r.Name, typ.Type, j, ch)
				}
				if pct, ok := ch.Percent(); ok != (j.Percent != nil) || ok && *j.Percent != pct {
					t.Fatalf("row %q %s: percent %v vs %v", r.Name, typ.Type, j.Percent, pct)
				}
			}
		}
	}
	if doc.IntervalSeconds == nil || *doc.IntervalSeconds != 6600 {
		t.Errorf("interval = %v", doc.IntervalSeconds)
	}
}

func TestCSVHasEveryType(t *testing.T) {
	c := comparison(t, diff.Options{})
	var buf bytes.Buffer
	if err := CSV(&buf, c); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != len(c.Rows)+1 {
		t.Fatalf("%d records for %d rows", len(recs), len(c.Rows))
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	for ti, typ := range c.Types {
		i, ok := col[typ.Type+"_delta"]
		if !ok {
			t.Fatalf("no %s_delta column", typ.Type)
		}
		var sum int64
		for _, rec := range recs[1:] {
			v, err := strconv.ParseInt(rec[i], 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			sum += v
		}
		if sum != c.Total[ti].Delta() {
			t.Errorf("%s deltas in the CSV sum to %d, total is %d", typ.Type, sum, c.Total[ti].Delta())
		}
	}
}

func TestMarkdownEscapesNames(t *testing.T) {
	for in, want := range map[string]string{
		"a|b":    "`a\\|b`",
		"x`y":    "`` x`y ``",
		"p\nq":   "`p q`",
		"plain":  "`plain`",
		"<b>&co": "`<b>&co`",
	} {
		if got := mdCode(in); got != want {
			t.Errorf("mdCode(%q) = %q, want %q", in, got, want)
		}
	}
	if got := mdText("*bold* <img src=x> [link](y)"); strings.ContainsAny(strings.NewReplacer(`\*`, "", `\[`, "", `\]`, "").Replace(got), "*<>[]") {
		t.Errorf("mdText left markup: %q", got)
	}
}

func TestNoiseMark(t *testing.T) {
	for _, tc := range []struct {
		c    diff.Change
		want string
	}{
		{diff.Change{Base: 100, Target: 200, Significant: true}, "+100.0%"},
		{diff.Change{Base: 100, Target: 120}, Noise},
		{diff.Change{Base: 0, Target: 120, Significant: true}, "new"},
		{diff.Change{Base: 0, Target: 120}, Noise + " new"},
		{diff.Change{Base: 50, Target: 0, Significant: true}, "gone"},
		{diff.Change{Base: 50, Target: 50}, "0%"},
	} {
		if got := percentCell(tc.c); got != tc.want {
			t.Errorf("percentCell(%+v) = %q, want %q", tc.c, got, tc.want)
		}
	}
}

func TestFormatForPath(t *testing.T) {
	for path, want := range map[string]Format{"a.json": FormatJSON, "x/b.md": FormatMarkdown, "c.CSV": FormatCSV, "d.txt": FormatText} {
		if got, ok := FormatForPath(path); !ok || got != want {
			t.Errorf("FormatForPath(%q) = %q, %v", path, got, ok)
		}
	}
	if _, ok := FormatForPath("report"); ok {
		t.Error("a name without extension picked a format")
	}
}

// TestCSVCellsAreNotFormulas checks that a name crafted as a spreadsheet
// formula stays text in every CSV heapdiff writes.
func TestCSVCellsAreNotFormulas(t *testing.T) {
	evil := `=HYPERLINK("http://x","click")`
	mk := func(name string, v int64) *profile.Profile {
		return &profile.Profile{
			Name:        name,
			SampleTypes: []profile.ValueType{{Type: "inuse_space", Unit: "bytes"}},
			Frames:      []profile.Frame{{Function: evil, File: "@evil.go", Line: 1}},
			Stacks:      []profile.Stack{{Frames: []int32{0}, Values: []int64{v}}},
		}
	}
	c, err := diff.Compare(mk("a", 10), mk("b", 20), diff.Options{By: diff.ByFunc})
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
	for _, cell := range recs[1][:3] {
		if cell[0] != '\'' {
			t.Errorf("cell %q starts a formula", cell)
		}
	}
	if recs[1][1] != "'"+evil {
		t.Errorf("the function cell is %q, want the name behind a quote", recs[1][1])
	}
	if got := csvText("main.main"); got != "main.main" {
		t.Errorf("an ordinary name changed: %q", got)
	}
}

// TestTextFoldsAgentComments checks that the agent's metadata comments are
// folded into a few readable lines, and other comments kept as they are.
func TestTextFoldsAgentComments(t *testing.T) {
	comments := []string{"heapdiff.trigger=signal", "heapdiff.time=2026-11-27T00:10:25Z", "heapdiff.host=bot1",
		"heapdiff.pid=4242", "heapdiff.rss_bytes=10907648", "heapdiff.live_heap_bytes=4513272",
		"heapdiff.gomemlimit_bytes=unlimited", "heapdiff.growth_bytes_per_hour=1048576", "note=kept as written"}
	p := &profile.Profile{
		Name:        "a",
		SampleTypes: []profile.ValueType{{Type: "inuse_space", Unit: "bytes"}},
		Comments:    comments,
		Frames:      []profile.Frame{{Function: "main.f", File: "main.go", Line: 1}},
		Stacks:      []profile.Stack{{Frames: []int32{0}, Values: []int64{1}}},
	}
	c, err := diff.Compare(p, p, diff.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := Text(&buf, c, Options{}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"# trigger=signal  host=bot1  pid=4242  rss=10.4MiB  live_heap=4.3MiB", "gomemlimit=unlimited",
		"growth=+1.0MiB/h", "        # note=kept as written\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "        # ") && len(line) > len("        # ")+96 {
			t.Errorf("a folded line is wider than 96 columns: %q", line)
		}
	}
	if strings.Contains(out, "heapdiff.") || strings.Contains(out, "2026-11-27T00:10:25Z") {
		t.Errorf("agent keys or the time are shown raw:\n%s", out)
	}
}

// TestMarkdownSampleTypeIsNotMarkup checks that a sample type named like a
// link and an image cannot render as either in any Markdown heapdiff writes
// (a pull-request comment is where -f md goes).
func TestMarkdownSampleTypeIsNotMarkup(t *testing.T) {
	evil := `[click me](https://evil.example) <img src="https://evil.example/p.png">`
	mk := func(name string, v int64) *profile.Profile {
		return &profile.Profile{
			Name:        name,
			SampleTypes: []profile.ValueType{{Type: evil, Unit: "bytes"}},
			Frames:      []profile.Frame{{Function: "main.f", File: "main.go", Line: 1}},
			Stacks:      []profile.Stack{{Frames: []int32{0}, Values: []int64{v}}},
		}
	}
	c, err := diff.Compare(mk("a", 10), mk("b", 20<<20), diff.Options{})
	if err != nil {
		t.Fatal(err)
	}
	bc, err := diff.CheckComparison(c, []diff.Budget{{Measure: diff.TotalGrowth, Max: 1}})
	if err != nil {
		t.Fatal(err)
	}
	b := diff.NewTrend(diff.TrendOptions{})
	for i, v := range []int64{1, 2, 3} {
		p := mk(fmt.Sprint("s", i), v)
		if err := b.Add(p); err != nil {
			t.Fatal(err)
		}
	}
	tr, err := b.Trend()
	if err != nil {
		t.Fatal(err)
	}
	var outs [3]bytes.Buffer
	if err := Markdown(&outs[0], c); err != nil {
		t.Fatal(err)
	}
	if err := CheckMarkdown(&outs[1], bc); err != nil {
		t.Fatal(err)
	}
	if err := TrendMarkdown(&outs[2], tr); err != nil {
		t.Fatal(err)
	}
	for i, out := range outs {
		s := out.String()
		if !strings.Contains(s, "`"+evil+"`") {
			t.Errorf("output %d does not show the sample type as code:\n%s", i, s)
		}
		if strings.Count(s, evil) != strings.Count(s, "`"+evil+"`") {
			t.Errorf("output %d has the sample type outside a code span:\n%s", i, s)
		}
	}
}
