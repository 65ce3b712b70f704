package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/heapdiff/heapdiff/diff"
	"github.com/heapdiff/heapdiff/internal/profiletest"
	"github.com/heapdiff/heapdiff/profile"
)

// awkwardProfile has names that Markdown, CSV, HTML and terminals each treat
// specially: pipes, backticks, quotes, commas, markup, escapes, line breaks.
func awkwardProfile(seed int64) []byte {
	p := profiletest.Generate(profiletest.Config{Seed: seed, Functions: 5, Samples: 6, MaxDepth: 3})
	names := []string{"a|b`c``d", "x,\"y\"\n=cmd", "<script>alert(1)</script>&amp;", "\x1b[2J\x1b]0;t\x07", " lead\ttab\r"}
	for i, f := range p.Function {
		f.Name += names[i%len(names)]
	}
	p.Comments = []string{"host=a|b", "line\nbreak"}
	return profiletest.EncodeUncompressed(p)
}

// sgr matches the color sequences Text writes itself.
var sgr = regexp.MustCompile("\x1b\\[[0-9;]*m")

// checkPrintable fails on invalid UTF-8 and on control characters other than
// the line feed.
func checkPrintable(t *testing.T, format string, out []byte) {
	t.Helper()
	if !utf8.Valid(out) {
		t.Fatalf("%s output is not valid UTF-8", format)
	}
	for _, r := range string(out) {
		if r != '\n' && (unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r)) {
			t.Fatalf("%s output holds the control character %U:\n%s", format, r, out)
		}
	}
}

// checkShape checks what every output of a kind must be in its format:
// text and Markdown printable, JSON valid, CSV parseable.
func checkShape(t *testing.T, kind string, format Format, out []byte) {
	t.Helper()
	switch format {
	case FormatText, FormatMarkdown:
		checkPrintable(t, kind+" "+string(format), out)
	case FormatJSON:
		if !json.Valid(out) {
			t.Fatalf("%s JSON is not valid", kind)
		}
	case FormatCSV:
		if _, err := csv.NewReader(bytes.NewReader(out)).ReadAll(); err != nil {
			t.Fatalf("%s CSV does not parse: %v", kind, err)
		}
	}
}

// FuzzRender renders comparisons of fuzzed profiles in every format and
// checks each output's shape: text and Markdown are printable, with exactly
// one line per row (a name cannot break or forge a row); JSON is valid and
// has every row; CSV parses back to one record per row, all of the header's
// width; the HTML page (with its detail) is valid UTF-8 and has
// exactly the script elements of any other page: no name became markup.
func FuzzRender(f *testing.F) {
	scripts := htmlScripts(f)
	for seed := int64(0); seed < 3; seed++ {
		a, b := awkwardProfile(2*seed), profiletest.EncodeUncompressed(profiletest.Generate(profiletest.Config{Seed: 2*seed + 1, Functions: 5, Samples: 6, MaxDepth: 3, Negative: 0.3}))
		f.Add(a, b, uint8(seed), uint8(seed*41))
	}
	for _, pair := range [][2]string{{"heap-01.pb.gz", "heap-12.pb.gz"}} {
		a, err := os.ReadFile("../testdata/leaky/" + pair[0])
		if err != nil {
			f.Fatal(err)
		}
		b, err := os.ReadFile("../testdata/leaky/" + pair[1])
		if err != nil {
			f.Fatal(err)
		}
		f.Add(a, b, uint8(0), uint8(1))
	}
	f.Fuzz(func(t *testing.T, a, b []byte, by, flags uint8) {
		opts := profile.Options{MaxSize: 1 << 20}
		base, err := profile.Parse("a.pb.gz", a, opts)
		if err != nil {
			return
		}
		target, err := profile.Parse("b.pb.gz", b, opts)
		if err != nil {
			return
		}
		// With the HTML page's detail, so that every renderer takes the one comparison.
		detail := htmlDetail
		o := diff.Options{By: diff.Grouping(by % 5), Cum: flags&1 != 0, Normalize: flags&2 != 0, Top: int(flags>>2) & 7, DeferNames: flags&32 != 0, Detail: &detail}
		c, err := diff.Compare(base, target, o)
		if err != nil {
			return
		}
		visible, rest := 0, 0
		for i := range c.Rows {
			if isVisible(c, &c.Rows[i]) {
				visible++
			}
		}
		if c.Rest.Rows > 0 {
			rest = 1
		}

		for _, color := range []bool{false, true} {
			var out bytes.Buffer
			if err := Text(&out, c, Options{Color: color}); err != nil {
				t.Fatal(err)
			}
			plain := out.Bytes()
			if color {
				plain = sgr.ReplaceAll(plain, nil)
			}
			checkPrintable(t, "text", plain)
			lines := 2 + len(c.Base.Comments) + len(c.Target.Comments) + 2 + len(c.Warnings) + 1 + 1 + visible + rest + 2
			if visible == 0 {
				lines++ // "(no rows: ...)"
			}
			if hasKept(c) {
				lines++ // what kept means
			}
			if got := bytes.Count(plain, []byte("\n")); got != lines {
				t.Fatalf("text output has %d lines, want %d for %d rows:\n%s", got, lines, visible, plain)
			}
		}

		var md bytes.Buffer
		if err := Markdown(&md, c); err != nil {
			t.Fatal(err)
		}
		checkPrintable(t, "markdown", md.Bytes())
		tableLines := 0
		for _, l := range strings.Split(md.String(), "\n") {
			if strings.HasPrefix(l, "|") {
				tableLines++
			}
		}
		if want := 2 + visible + rest; tableLines != want {
			t.Fatalf("markdown table has %d lines, want %d:\n%s", tableLines, want, md.String())
		}

		var js bytes.Buffer
		if err := JSON(&js, c); err != nil {
			t.Fatal(err)
		}
		var doc JSONComparison
		if err := json.Unmarshal(js.Bytes(), &doc); err != nil {
			t.Fatalf("JSON output does not decode: %v", err)
		}
		if len(doc.Rows) != len(c.Rows) || len(doc.Total) != len(c.Types) {
			t.Fatalf("JSON has %d rows and %d totals, want %d and %d", len(doc.Rows), len(doc.Total), len(c.Rows), len(c.Types))
		}

		var cs bytes.Buffer
		if err := CSV(&cs, c); err != nil {
			t.Fatal(err)
		}
		records, err := csv.NewReader(&cs).ReadAll() // also checks every record has the header's width
		if err != nil {
			t.Fatalf("CSV output does not parse: %v", err)
		}
		if want := 1 + len(c.Rows) + rest; len(records) != want {
			t.Fatalf("CSV has %d records, want %d", len(records), want)
		}

		var page bytes.Buffer
		if err := HTML(&page, c); err != nil {
			t.Fatal(err)
		}
		if !utf8.Valid(page.Bytes()) {
			t.Fatal("the HTML page is not valid UTF-8")
		}
		if got := bytes.Count(bytes.ToLower(page.Bytes()), []byte("<script")); got != scripts {
			t.Fatalf("the HTML page has %d script elements, want %d", got, scripts)
		}
	})
}

// htmlScripts counts the script elements of the HTML page of a plain
// comparison: every page has the same ones, whatever its profiles hold.
func htmlScripts(f *testing.F) int {
	f.Helper()
	var ps []*profile.Profile
	for seed := int64(0); seed < 2; seed++ {
		p, err := profile.Parse("plain.pb.gz", profiletest.Encode(profiletest.Generate(profiletest.Config{Seed: seed})), profile.Options{})
		if err != nil {
			f.Fatal(err)
		}
		ps = append(ps, p)
	}
	c, err := diff.Compare(ps[0], ps[1], HTMLOptions(diff.Options{}))
	if err != nil {
		f.Fatal(err)
	}
	var page bytes.Buffer
	if err := HTML(&page, c); err != nil {
		f.Fatal(err)
	}
	return bytes.Count(bytes.ToLower(page.Bytes()), []byte("<script"))
}

// FuzzTrend follows three fuzzed profiles as a series (diff.NewTrend) and
// renders the trend in every format. Nothing may panic; errors are one line;
// every series has a value per snapshot and a finite fit; text and Markdown
// are printable, JSON decodes, CSV parses, and the HTML page is valid UTF-8
// with the script elements of any other trend page.
func FuzzTrend(f *testing.F) {
	t0 := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	var gen [3][]byte
	for i := range gen {
		gen[i] = profiletest.EncodeUncompressed(profiletest.Generate(profiletest.Config{
			Seed: int64(i), Functions: 5, Samples: 6, MaxDepth: 3, Time: t0.Add(time.Duration(i) * time.Hour)}))
	}
	f.Add(gen[0], gen[1], gen[2], uint8(0), uint8(0))
	f.Add(gen[2], awkwardProfile(7), gen[0], uint8(3), uint8(9))
	var leaky [3][]byte
	for i, name := range []string{"heap-01.pb.gz", "heap-06.pb.gz", "heap-12.pb.gz"} {
		data, err := os.ReadFile("../testdata/leaky/" + name)
		if err != nil {
			f.Fatal(err)
		}
		leaky[i] = data
	}
	f.Add(leaky[0], leaky[1], leaky[2], uint8(1), uint8(2))
	scripts := trendHTMLScripts(f, gen[:])
	f.Fuzz(func(t *testing.T, a, b, c []byte, by, flags uint8) {
		oneLine := func(err error) {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error is not one line: %q", err)
			}
		}
		tb := diff.NewTrend(diff.TrendOptions{Options: diff.Options{By: diff.Grouping(by % 5), Top: int(flags & 7)}, AllowMixed: flags&8 != 0})
		for i, data := range [][]byte{a, b, c} {
			p, err := profile.Parse(fmt.Sprintf("snap-%d.pb.gz", i), data, profile.Options{MaxSize: 1 << 20})
			if err != nil {
				return
			}
			if err := tb.Add(p); err != nil {
				oneLine(err)
				return
			}
		}
		tr, err := tb.Trend()
		if err != nil {
			oneLine(err)
			return
		}
		all := append([]diff.Series{tr.Total}, tr.Series...)
		if tr.Rest != nil {
			all = append(all, *tr.Rest)
		}
		for _, s := range all {
			if len(s.Values) != len(tr.Snapshots) || len(s.Noise) != len(tr.Snapshots) {
				t.Fatalf("series %q has %d values and %d noises for %d snapshots", s.Name, len(s.Values), len(s.Noise), len(tr.Snapshots))
			}
			for _, v := range []float64{s.Fit.Slope, s.Fit.SlopeNoise, s.Fit.Start, s.Fit.R2} {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					t.Fatalf("series %q has a fit that is not finite: %+v (values %v)", s.Name, s.Fit, s.Values)
				}
			}
		}
		for _, format := range []Format{FormatText, FormatJSON, FormatCSV, FormatMarkdown, FormatHTML} {
			var out bytes.Buffer
			if err := RenderTrend(&out, format, tr, Options{}); err != nil {
				t.Fatalf("%s: %v", format, err)
			}
			if format != FormatHTML {
				checkShape(t, "trend", format, out.Bytes())
				continue
			}
			if !utf8.Valid(out.Bytes()) {
				t.Fatal("the trend page is not valid UTF-8")
			}
			if got := bytes.Count(bytes.ToLower(out.Bytes()), []byte("<script")); got != scripts {
				t.Fatalf("the trend page has %d script elements, want %d", got, scripts)
			}
		}
	})
}

// trendHTMLScripts counts the script elements of the HTML page of a plain
// trend over the given profiles.
func trendHTMLScripts(f *testing.F, snapshots [][]byte) int {
	f.Helper()
	tb := diff.NewTrend(diff.TrendOptions{AllowMixed: true})
	for i, data := range snapshots {
		p, err := profile.Parse(fmt.Sprintf("plain-%d.pb.gz", i), data, profile.Options{})
		if err != nil {
			f.Fatal(err)
		}
		if err := tb.Add(p); err != nil {
			f.Fatal(err)
		}
	}
	tr, err := tb.Trend()
	if err != nil {
		f.Fatal(err)
	}
	var page bytes.Buffer
	if err := TrendHTML(&page, tr); err != nil {
		f.Fatal(err)
	}
	return bytes.Count(bytes.ToLower(page.Bytes()), []byte("<script"))
}

// FuzzCheck judges comparisons of fuzzed profiles against a fuzzed budget
// (diff.CheckComparison, with a limit as the CLI accepts one: finite, not
// negative) and renders the verdict in every format it has: nothing may
// panic or fail to render; text and Markdown are printable, JSON valid, CSV
// parseable.
func FuzzCheck(f *testing.F) {
	for seed := int64(0); seed < 2; seed++ {
		a := awkwardProfile(seed)
		b := profiletest.EncodeUncompressed(profiletest.Generate(profiletest.Config{Seed: seed + 5, Functions: 5, Samples: 6, MaxDepth: 3}))
		f.Add(a, b, uint8(seed), 1024.0, uint8(0))
	}
	a, err := os.ReadFile("../testdata/leaky/heap-01.pb.gz")
	if err != nil {
		f.Fatal(err)
	}
	b, err := os.ReadFile("../testdata/leaky/heap-12.pb.gz")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(a, b, uint8(2), 1e6, uint8(1))
	f.Add(a, b, uint8(1), 50.0, uint8(0))
	f.Fuzz(func(t *testing.T, a, b []byte, measure uint8, max float64, by uint8) {
		if math.IsNaN(max) || math.IsInf(max, 0) {
			return // the CLI refuses such limits
		}
		opts := profile.Options{MaxSize: 1 << 20}
		base, err := profile.Parse("a.pb.gz", a, opts)
		if err != nil {
			return
		}
		target, err := profile.Parse("b.pb.gz", b, opts)
		if err != nil {
			return
		}
		c, err := diff.Compare(base, target, diff.Options{By: diff.Grouping(by % 5)})
		if err != nil {
			return
		}
		bc, err := diff.CheckComparison(c, []diff.Budget{{Measure: diff.Measure(measure % 5), Max: math.Abs(max)}})
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error is not one line: %q", err)
			}
			return
		}
		for _, format := range []Format{FormatText, FormatJSON, FormatCSV, FormatMarkdown} {
			var out bytes.Buffer
			if err := RenderCheck(&out, format, bc, Options{}); err != nil {
				t.Fatalf("%s: %v", format, err)
			}
			checkShape(t, "check", format, out.Bytes())
		}
	})
}
