package report

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	pprof "github.com/google/pprof/profile"

	"github.com/heapdiff/heapdiff/diff"
	"github.com/heapdiff/heapdiff/internal/heapgen"
	"github.com/heapdiff/heapdiff/profile"
)

// maxHTMLSize is the largest report the page may be for the largest
// benchmark pair: small enough to mail.
const maxHTMLSize = 5 << 20

// TestHTMLGolden keeps the page byte for byte: its layout, its data and
// the charts' options. The vendored ECharts bundle (which has its script and
// version) and the report's own script and style (which the browser tests
// exercise) are replaced by placeholders.
func TestHTMLGolden(t *testing.T) {
	const goBase, goTarget = "../testdata/leaky/heap-01.pb.gz", "../testdata/leaky/heap-12.pb.gz"
	for _, tc := range []struct {
		file         string
		base, target string
		opts         diff.Options
	}{
		{"site.html", goBase, goTarget, diff.Options{}},
		{"func-cum.html", goBase, goTarget, diff.Options{By: diff.ByFunc, Cum: true, Top: 4, SampleIndex: "alloc_space"}},
		// Heap snapshots by class: DevTools' Comparison columns.
		{"snapshot.html", "../testdata/node/leaky-before.heapsnapshot.gz", "../testdata/node/leaky-after.heapsnapshot.gz", diff.Options{}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			a, b := loadPair(t, tc.base, tc.target)
			page := renderHTML(t, a, b, tc.opts)
			if again := renderHTML(t, a, b, tc.opts); !bytes.Equal(page, again) {
				t.Fatal("two renderings of the same comparison differ")
			}
			for _, part := range []struct{ text, placeholder string }{
				{echartsJS, "/* ECharts " + EChartsVersion + " */"},
				{domJS, "/* dom.js */"},
				{reportJS, "/* report.js */"},
				{reportCSS, "/* report.css */"},
			} {
				if !bytes.Contains(page, []byte(part.text)) {
					t.Fatalf("the page does not inline %s", part.placeholder)
				}
				page = bytes.Replace(page, []byte(part.text), []byte(part.placeholder), 1)
				// Its hash in the page's Content-Security-Policy changes with it.
				page = bytes.Replace(page, []byte(cspHash(part.text)), []byte("'sha256-"+part.placeholder+"'"), 1)
			}
			golden(t, tc.file, page)
		})
	}
}

// decodedChange is a change as the page's data holds it: base, target,
// noise, significant.
type decodedChange [4]int64

func (c decodedChange) delta() int64 { return c[1] - c[0] }

// decodedData is the part of the page's data the tests read.
type decodedData struct {
	Strings []string        `json:"strings"`
	Base    JSONSource      `json:"base"`
	Total   []decodedChange `json:"total"`
	Rows    []struct {
		Name int             `json:"n"`
		Flat []decodedChange `json:"v"`
	} `json:"rows"`
	Other *struct {
		Rows int             `json:"rows"`
		Flat []decodedChange `json:"v"`
	} `json:"other"`
}

// pageData extracts and decodes the JSON a page carries.
func pageData(t *testing.T, page []byte) *decodedData {
	t.Helper()
	var d decodedData
	decodePage(t, page, &d)
	return &d
}

// decodePage decodes the JSON a page carries into v.
func decodePage(t *testing.T, page []byte, v any) {
	t.Helper()
	m := regexp.MustCompile(`(?s)<script type="application/json" id="heapdiff-data">(.*?)</script>`).FindSubmatch(page)
	if m == nil {
		t.Fatal("no data in the page")
	}
	if err := json.Unmarshal(m[1], v); err != nil {
		t.Fatalf("the page's data: %v", err)
	}
}

func TestHTMLIsSelfContained(t *testing.T) {
	a, b := loadPair(t, "../testdata/leaky/heap-01.pb.gz", "../testdata/leaky/heap-12.pb.gz")
	page := string(renderHTML(t, a, b, diff.Options{}))
	for _, bad := range []string{"<script src", "<link", "@import", "go-echarts.github.io", "url("} {
		if strings.Contains(page, bad) {
			t.Errorf("the page has %q: it must need no other file", bad)
		}
	}
	// Exactly the scripts the page is made of: ECharts, the page helpers,
	// the report script, the data, the three charts, the start and the
	// call stacks' data.
	if n := strings.Count(page, "<script"); n != 9 || strings.Count(page, "</script>") != n {
		t.Errorf("%d <script> and %d </script>, want 9 of each", n, strings.Count(page, "</script>"))
	}
	for _, id := range []string{chartGrowers, chartSites, chartFlame} {
		if !strings.Contains(page, `id="`+id+`"`) {
			t.Errorf("no element for chart %s", id)
		}
	}
}

// TestHTMLStacksArePacked checks that a page holds its rows' call stacks
// apart from its data, packed (encodePacked): base64 of gzipped JSON that
// gives back each row's stacks, and that the data keeps none of the names
// only the stacks use.
func TestHTMLStacksArePacked(t *testing.T) {
	a, b := loadPair(t, "../testdata/leaky/heap-01.pb.gz", "../testdata/leaky/heap-12.pb.gz")
	page := renderHTML(t, a, b, diff.Options{})
	m := regexp.MustCompile(`<script type="application/json" id="heapdiff-stacks">("[A-Za-z0-9+/=]+")</script>`).FindSubmatch(page)
	if m == nil {
		t.Fatal("no packed call stacks in the page")
	}
	var packed string
	if err := json.Unmarshal(m[1], &packed); err != nil {
		t.Fatal(err)
	}
	raw, err := base64.StdEncoding.DecodeString(packed)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	var stacks struct {
		Strings []string   `json:"strings"`
		Frames  [][3]int64 `json:"frames"`
		Rows    []struct {
			Stacks []struct {
				Frames []int `json:"f"`
			} `json:"s"`
		} `json:"rows"`
	}
	if err := json.NewDecoder(zr).Decode(&stacks); err != nil {
		t.Fatalf("the packed call stacks: %v", err)
	}
	d := pageData(t, page)
	if len(stacks.Rows) == 0 || len(stacks.Rows) > len(d.Rows) {
		t.Fatalf("call stacks for %d rows of %d", len(stacks.Rows), len(d.Rows))
	}
	// A site's stacks pass through its function: main.(*SessionStore).Open
	// main.go:50's through main.(*SessionStore).Open.
	for i, r := range stacks.Rows {
		row := d.Strings[d.Rows[i].Name]
		for _, s := range r.Stacks {
			var fns []string
			for _, f := range s.Frames {
				fns = append(fns, stacks.Strings[stacks.Frames[f][0]])
			}
			if !slices.ContainsFunc(fns, func(fn string) bool { return strings.HasPrefix(row, fn+" ") }) {
				t.Errorf("row %q has a stack through %q", row, fns)
			}
		}
	}
	files := map[string]bool{}
	for _, f := range stacks.Frames {
		files[stacks.Strings[f[1]]] = true
	}
	for _, s := range d.Strings {
		if files[s] {
			t.Errorf("the page's data holds %q, a file name only the call stacks use", s)
		}
	}
}

// TestHTMLChartsWaitToDraw checks that no chart's set-up script draws it
// (waitToDraw): the report script draws it once, with its data.
func TestHTMLChartsWaitToDraw(t *testing.T) {
	for id, snippet := range htmlCharts() {
		_, _, js, err := splitChart(id, snippet)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(js, "heapdiff.setup('"+id+"', option_"+id+");") || strings.Contains(js, "setOption(") {
			t.Errorf("chart %s's set-up script does not hand its options to heapdiff.setup:\n%s", id, js)
		}
	}
}

func TestHTMLDataEscapesMarkup(t *testing.T) {
	basePath, targetPath := writeMaliciousProfiles(t)
	a, b := loadPair(t, basePath, targetPath)
	page := renderHTML(t, a, b, diff.Options{By: diff.ByFunc})
	for _, bad := range []string{"<img", "onerror=\"window", "<b>bold", "<i>.go"} {
		if bytes.Contains(page, []byte(bad)) {
			t.Errorf("%q reached the page unescaped", bad)
		}
	}
	// The names are intact in the data: escaped, not mangled.
	d := pageData(t, page)
	found := false
	for _, s := range d.Strings {
		found = found || s == "main.leak"+maliciousPayload
	}
	if !found {
		t.Errorf("the data lacks the function name; strings: %q", d.Strings)
	}
	if len(d.Base.Comments) != 1 || d.Base.Comments[0] != "host="+maliciousPayload {
		t.Errorf("comments: %q", d.Base.Comments)
	}
}

func TestInlineable(t *testing.T) {
	for js, ok := range map[string]bool{
		`var a = "x";`:                   true,
		`var a = "</script>";`:           false,
		`var a = "</SCRIPT >";`:          false,
		`var a = "<!-- <script>";`:       false,
		`var a = "\u003c/script\u003e";`: true,
	} {
		if err := inlineable(js); (err == nil) != ok {
			t.Errorf("inlineable(%q) = %v", js, err)
		}
	}
}

// TestReportScriptWritesNoMarkup keeps the pages' scripts to textContent:
// they must never turn a string into markup.
func TestReportScriptWritesNoMarkup(t *testing.T) {
	for name, js := range map[string]string{"dom.js": domJS, "report.js": reportJS, "trend.js": trendJS} {
		for _, api := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "DOMParser", "createContextualFragment", "eval(", "new Function"} {
			if strings.Contains(js, api) {
				t.Errorf("%s uses %s", name, api)
			}
		}
	}
}

func TestHTMLTableIsCapped(t *testing.T) {
	// A profile with more sites than the table holds: one stack per site.
	dir := t.TempDir()
	var paths []string
	for i, name := range []string{"a.pb.gz", "b.pb.gz"} {
		p := &pprof.Profile{
			SampleType: []*pprof.ValueType{{Type: "inuse_space", Unit: "bytes"}},
			PeriodType: &pprof.ValueType{Type: "space", Unit: "bytes"},
			Period:     1,
		}
		root := &pprof.Function{ID: 1, Name: "main.main", Filename: "main.go"}
		p.Function = append(p.Function, root)
		p.Location = append(p.Location, &pprof.Location{ID: 1, Line: []pprof.Line{{Function: root, Line: 1}}})
		for s := 0; s < HTMLMaxRows+50; s++ {
			f := &pprof.Function{ID: uint64(s + 2), Name: "main.f" + strings.Repeat("x", s%7) + string(rune('a'+s%26)), Filename: "f.go"}
			l := &pprof.Location{ID: uint64(s + 2), Line: []pprof.Line{{Function: f, Line: int64(s + 1)}}}
			p.Function = append(p.Function, f)
			p.Location = append(p.Location, l)
			p.Sample = append(p.Sample, &pprof.Sample{Location: []*pprof.Location{l, p.Location[0]}, Value: []int64{int64((s + 1) * (i + 1))}})
		}
		path := filepath.Join(dir, name)
		var buf bytes.Buffer
		if err := p.Write(&buf); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, path)
	}
	a, b := loadPair(t, paths[0], paths[1])
	c, err := diff.Compare(a, b, diff.Options{})
	if err != nil {
		t.Fatal(err)
	}
	d := pageData(t, renderHTML(t, a, b, diff.Options{}))
	if len(d.Rows) != HTMLMaxRows || d.Other == nil || d.Other.Rows != len(c.Rows)-HTMLMaxRows {
		t.Fatalf("%d rows and other %+v for %d rows", len(d.Rows), d.Other, len(c.Rows))
	}
	var sum int64
	for _, r := range d.Rows {
		sum += r.Flat[0].delta()
	}
	sum += d.Other.Flat[0].delta()
	if want := c.Total[0].Delta(); sum != want {
		t.Errorf("rows and other sum to %d, the total is %d", sum, want)
	}
}

// TestHTMLSizeOfTheLargestPair checks the size bound on the largest
// benchmark pair (internal/heapgen.Large). The size is deterministic, so a test
// can hold it; how long the page takes to open is measured by
// BenchmarkHTMLOpen.
func TestHTMLSizeOfTheLargestPair(t *testing.T) {
	if testing.Short() || raceDetector {
		t.Skip("skipped with -short and with -race (the large pair takes minutes under the race detector); run: go test -run TestHTMLSizeOfTheLargestPair ./report")
	}
	page := largeHTML(t, diff.Options{})
	t.Logf("report of the large pair: %d bytes", len(page))
	if len(page) > maxHTMLSize {
		t.Errorf("the report of the large pair is %d bytes, more than %d", len(page), maxHTMLSize)
	}
}

// largeHTML renders the report of the large benchmark pair.
func largeHTML(tb testing.TB, opts diff.Options) []byte {
	tb.Helper()
	pb, pt := heapgen.Pair(heapgen.Large)
	var ps []*profile.Profile
	for _, p := range []*pprof.Profile{pb, pt} {
		var buf bytes.Buffer
		if err := p.Write(&buf); err != nil {
			tb.Fatal(err)
		}
		q, err := profile.Parse("large", buf.Bytes(), profile.Options{})
		if err != nil {
			tb.Fatal(err)
		}
		ps = append(ps, q)
	}
	c, err := diff.Compare(ps[0], ps[1], HTMLOptions(opts))
	if err != nil {
		tb.Fatal(err)
	}
	var buf bytes.Buffer
	if err := HTML(&buf, c); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// TestHTMLHeadersShowSizesAsTextDoes checks that both pages show the
// agent's metadata comments as the text output does (TestTextFoldsAgentComments):
// sizes in IEC units, no "heapdiff." keys, no time; other comments as
// written.
func TestHTMLHeadersShowSizesAsTextDoes(t *testing.T) {
	comments := []string{"heapdiff.trigger=signal", "heapdiff.time=2026-11-27T00:10:25Z", "heapdiff.host=bot1",
		"heapdiff.pid=4242", "heapdiff.rss_bytes=10907648", "heapdiff.live_heap_bytes=4513272",
		"heapdiff.gomemlimit_bytes=unlimited", "heapdiff.growth_bytes_per_hour=1048576", "note=kept as written"}
	want := []string{"note=kept as written", "trigger=signal", "host=bot1", "pid=4242", "rss=10.4MiB", "live_heap=4.3MiB",
		"gomemlimit=unlimited", "growth=+1.0MiB/h"}
	p := &profile.Profile{
		Name:        "a",
		SampleTypes: []profile.ValueType{{Type: "inuse_space", Unit: "bytes"}},
		Comments:    comments,
		Frames:      []profile.Frame{{Function: "main.f", File: "main.go", Line: 1}},
		Stacks:      []profile.Stack{{Frames: []int32{0}, Values: []int64{1}}},
	}

	var compare struct{ Base, Target JSONSource }
	decodePage(t, renderHTML(t, p, p, diff.Options{}), &compare)
	for _, s := range []JSONSource{compare.Base, compare.Target} {
		if !slices.Equal(s.Comments, want) {
			t.Errorf("the comparison page shows comments %q, want %q", s.Comments, want)
		}
	}

	b := diff.NewTrend(diff.TrendOptions{})
	for range 3 {
		if err := b.Add(p); err != nil {
			t.Fatal(err)
		}
	}
	tr, err := b.Trend()
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range trendPageData(t, renderTrendHTML(t, tr)).Snapshots {
		if !slices.Equal(s.Comments, want) {
			t.Errorf("the trend page shows snapshot %d's comments %q, want %q", i+1, s.Comments, want)
		}
	}
}

// TestHTMLOptions checks what a comparison meant for a page asks of
// Compare: the page's detail, and every row, named only when listed (the
// page cuts its rows itself: TestHTMLTopCountsWhatThePageShows).
func TestHTMLOptions(t *testing.T) {
	for _, top := range []int{0, 5, HTMLMaxRows + 1} {
		opts := diff.Options{By: diff.ByFunc, Top: top}
		got := HTMLOptions(opts)
		if got.Top != 0 || !got.DeferNames || got.By != diff.ByFunc || got.Detail == nil || *got.Detail != htmlDetail {
			t.Errorf("Top %d: %+v", top, got)
		}
		if opts.Detail != nil {
			t.Errorf("HTMLOptions changed the caller's options")
		}
	}
}

// TestHTMLNeedsTheDetail checks that a page whose charts need the detail
// is refused, with a message saying how to get it, when the comparison has
// none; the heap snapshots' page, which draws none, renders as well without.
func TestHTMLNeedsTheDetail(t *testing.T) {
	a, b := loadPair(t, "../testdata/leaky/heap-01.pb.gz", "../testdata/leaky/heap-12.pb.gz")
	c, err := diff.Compare(a, b, diff.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var page bytes.Buffer
	if err := HTML(&page, c); err == nil || !strings.Contains(err.Error(), "HTMLOptions") || page.Len() != 0 {
		t.Errorf("no detail: %v, %d bytes written", err, page.Len())
	}
	a, b = loadPair(t, "../testdata/node/leaky-before.heapsnapshot.gz", "../testdata/node/leaky-after.heapsnapshot.gz")
	if c, err = diff.Compare(a, b, diff.Options{Top: HTMLMaxRows}); err != nil {
		t.Fatal(err)
	}
	if err := HTML(&page, c); err != nil {
		t.Fatal(err)
	}
	if want := renderHTML(t, a, b, diff.Options{}); !bytes.Equal(page.Bytes(), want) {
		t.Error("the snapshot page without a detail differs from the one with")
	}
}

// TestHTMLTopCountsWhatThePageShows checks --top on the page: it lists the
// rows asked for, and its last row counts, for each sample type, the rows
// that type's table would show, as the text output counts them (TopShown):
// not the rows of no value in the shown type, nor unchanged heap snapshot
// classes.
func TestHTMLTopCountsWhatThePageShows(t *testing.T) {
	type page struct {
		Rows  []json.RawMessage `json:"rows"`
		Other *struct {
			Rows  int   `json:"rows"`
			Shown []int `json:"shown"`
		} `json:"other"`
	}
	for _, tc := range []struct {
		name         string
		base, target string
		top          int
	}{
		{"Go heap profiles", "../testdata/leaky/heap-01.pb.gz", "../testdata/leaky/heap-12.pb.gz", 3},
		{"heap snapshots by class", leakyBefore, leakyAfter, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := loadPair(t, tc.base, tc.target)
			var d page
			decodePage(t, renderHTML(t, a, b, diff.Options{Top: tc.top}), &d)
			if len(d.Rows) != tc.top || d.Other == nil {
				t.Fatalf("the page lists %d rows, other %+v; want %d and the rest summed", len(d.Rows), d.Other, tc.top)
			}
			for ti := range d.Other.Shown {
				c, err := diff.Compare(a, b, diff.Options{})
				if err != nil {
					t.Fatal(err)
				}
				c.Index = ti // the page's type switch
				TopShown(c, tc.top)
				shown := d.Other.Shown[ti]
				if _, _, _, snapshot := snapshotColumns(c); snapshot {
					shown = d.Other.Rows
				}
				if shown != c.Rest.Rows {
					t.Errorf("%s: the page's last row counts %d rows, the text output's %d", c.Types[ti].Type, shown, c.Rest.Rows)
				}
			}
		})
	}
}
