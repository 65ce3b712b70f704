package report

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	pprof "github.com/google/pprof/profile"

	"github.com/heapdiff/heapdiff/diff"
	"github.com/heapdiff/heapdiff/profile"
)

// chromiumPath is Debian's Chromium, which the browser tests drive.
const chromiumPath = "/usr/bin/chromium"

// startBrowser starts a headless Chromium with a fresh profile and no way to
// reach the network. Without Chromium the test skips, except in CI, where
// .ci/run installs it and a skip would hide a broken report.
func startBrowser(t testing.TB) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if ci := os.Getenv("CI"); ci != "" && ci != "false" {
			t.Fatalf("CI=%s but %s is missing: .ci/run installs it with apt-get install -y chromium", ci, chromiumPath)
		}
		t.Skipf("no %s: install Debian's Chromium (apt-get install -y chromium) to run the browser tests", chromiumPath)
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("hide-scrollbars", true),
		// No network: every name resolves to nothing, every connection goes
		// to a closed port.
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND"),
		chromedp.ProxyServer("http://127.0.0.1:9"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1440, 1000),
	)
	ctx, cancel := chromedp.NewContext(alloc)
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start %s: %v", chromiumPath, err)
	}
	return ctx
}

// browserPage is one report open in a tab, with what went wrong while it
// was loaded and used.
type browserPage struct {
	t   testing.TB
	ctx context.Context

	mu       sync.Mutex
	problems []string // console errors, exceptions, failed requests
	requests []string // every URL the page asked for
}

// openHTML writes a report into a temporary file and opens it in a new tab
// of the browser, offline, waiting until its script has drawn everything.
func openHTML(t testing.TB, browser context.Context, name string, html []byte) *browserPage {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, html, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := chromedp.NewContext(browser)
	t.Cleanup(cancel)
	p := &browserPage{t: t, ctx: ctx}
	err := chromedp.Listen(ctx, func(ev any) {
		p.mu.Lock()
		defer p.mu.Unlock()
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
				var args []string
				for _, a := range ev.Args {
					args = append(args, string(a.Value)+a.Description)
				}
				p.problems = append(p.problems, "console."+string(ev.Type)+": "+strings.Join(args, " "))
			}
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			msg := d.Text
			if d.Exception != nil {
				msg += " " + d.Exception.Description
			}
			p.problems = append(p.problems, fmt.Sprintf("exception at %d:%d: %s", d.LineNumber, d.ColumnNumber, msg))
		case *log.EventEntryAdded:
			if ev.Entry.Level == log.EntryLevelError {
				p.problems = append(p.problems, "log: "+ev.Entry.Text+" "+ev.Entry.URL)
			}
		case *network.EventRequestWillBeSent:
			p.requests = append(p.requests, ev.Request.URL)
		case *network.EventLoadingFailed:
			p.problems = append(p.problems, "request failed: "+ev.ErrorText)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	offline := []*network.Conditions{{Offline: true, DownloadThroughput: -1, UploadThroughput: -1}}
	if _, err := chromedp.Call(ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{MatchedNetworkConditions: offline}); err != nil {
		t.Fatalf("take the tab offline: %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate("file://"+path)); err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	p.waitFor(`document.documentElement.getAttribute('data-ready') === '1'`)
	return p
}

// eval runs JavaScript in the page and decodes its result.
func eval[T any](p *browserPage, js string) T {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[T](js))
	if err != nil {
		p.t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

// waitFor polls a JavaScript condition for up to 10 seconds.
func (p *browserPage) waitFor(cond string) {
	p.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !eval[bool](p, cond) {
		if time.Now().After(deadline) {
			p.t.Fatalf("timed out waiting for %s; problems so far: %v", cond, p.problemList())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (p *browserPage) problemList() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.problems...)
}

// checkClean fails on any console error, exception or failed request, and
// on any request for something other than the page itself.
func (p *browserPage) checkClean() {
	p.t.Helper()
	for _, pr := range p.problemList() {
		p.t.Errorf("browser: %s", pr)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, u := range p.requests {
		if !strings.HasPrefix(u, "file://") {
			p.t.Errorf("the page requested %s: it must be self-contained", u)
		}
	}
}

// screenshot saves the whole page as a PNG under the test's temporary
// directory (and at also, when not empty) and logs where.
func (p *browserPage) screenshot(name, also string) {
	p.t.Helper()
	png, err := chromedp.Run(p.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.t.Fatalf("screenshot: %v", err)
	}
	for _, path := range []string{filepath.Join(p.t.TempDir(), name), also} {
		if path == "" {
			continue
		}
		if err := os.WriteFile(path, png, 0o644); err != nil {
			p.t.Fatal(err)
		}
		p.t.Logf("screenshot: %s", path)
	}
}

// inkedPixels counts the pixels each chart has drawn on its canvas: the
// charts named, or the comparison page's three.
func (p *browserPage) inkedPixels(ids ...string) map[string]int {
	if len(ids) == 0 {
		ids = []string{chartGrowers, chartSites, chartFlame}
	}
	list, err := json.Marshal(ids)
	if err != nil {
		p.t.Fatal(err)
	}
	return eval[map[string]int](p, `(function () {
		var out = {};
		`+string(list)+`.forEach(function (id) {
			var c = document.querySelector('#' + id + ' canvas');
			if (!c) { out[id] = -1; return; }
			var d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data, n = 0;
			for (var i = 3; i < d.length; i += 4) { if (d[i] !== 0) { n++; } }
			out[id] = n;
		});
		return out;
	})()`)
}

func renderHTML(t *testing.T, base, target *profile.Profile, opts diff.Options) []byte {
	t.Helper()
	c, err := diff.Compare(base, target, opts)
	if err != nil {
		t.Fatal(err)
	}
	d, err := diff.Explain(base, target, c, opts, diff.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	var buf strings.Builder
	if err := HTML(&buf, c, d); err != nil {
		t.Fatal(err)
	}
	return []byte(buf.String())
}

func loadPair(t *testing.T, base, target string) (*profile.Profile, *profile.Profile) {
	t.Helper()
	ps, err := profile.LoadAll([]string{base, target}, profile.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return ps[0], ps[1]
}

func TestHTMLInBrowser(t *testing.T) {
	browser := startBrowser(t)
	a, b := loadPair(t, "../testdata/leaky/heap-01.pb.gz", "../testdata/leaky/heap-12.pb.gz")
	p := openHTML(t, browser, "leaky.html", renderHTML(t, a, b, diff.Options{}))
	// The page as it opens; with -update it is also README's screenshot.
	var also string
	if *update {
		also = "../docs/report.png"
		if err := os.MkdirAll(filepath.Dir(also), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	p.screenshot("leaky.png", also)

	t.Run("every chart drew", func(t *testing.T) {
		for id, n := range p.inkedPixels() {
			if n < 500 {
				t.Errorf("chart %s has %d drawn pixels", id, n)
			}
		}
	})

	rowCount := func() int { return eval[int](p, `document.querySelectorAll('#rows-body tr.row').length`) }
	t.Run("filter reduces the rows", func(t *testing.T) {
		before := rowCount()
		if err := chromedp.Do(p.ctx, chromedp.SendKeys(chromedp.ID("filter"), "SessionStore")); err != nil {
			t.Fatal(err)
		}
		after := rowCount()
		names := eval[[]string](p, `Array.from(document.querySelectorAll('#rows-body tr.row td.name')).map(function (td) { return td.textContent; })`)
		if after == 0 || after >= before {
			t.Fatalf("%d rows before the filter, %d after", before, after)
		}
		for _, n := range names {
			if !strings.Contains(n, "SessionStore") {
				t.Errorf("row %q does not match the filter", n)
			}
		}
		// A row opens to its call stacks, innermost frame first.
		if err := chromedp.Do(p.ctx, chromedp.Click(chromedp.CSS("#rows-body tr.row"))); err != nil {
			t.Fatal(err)
		}
		frames := eval[[]string](p, `Array.from(document.querySelectorAll('#rows-body tr.stacks li')).map(function (li) { return li.textContent; })`)
		if len(frames) < 2 || !strings.HasPrefix(frames[0], "main.(*SessionStore).Open") {
			t.Errorf("the opened row shows frames %q", frames)
		}
		p.evalVoid(`var f = document.getElementById('filter'); f.value = ''; f.dispatchEvent(new Event('input'))`)
		if n := rowCount(); n != before {
			t.Errorf("clearing the filter shows %d rows, want %d", n, before)
		}
	})

	t.Run("sample type switch changes the numbers", func(t *testing.T) {
		const cells = `Array.from(document.querySelectorAll('#totals .v, #rows-body tr.row td:nth-child(2)')).map(function (e) { return e.textContent; }).join('|')`
		before := eval[string](p, cells)
		idx := eval[int](p, `(function () { var o = Array.from(document.querySelectorAll('#type option')); return o.findIndex(function (x) { return x.textContent.indexOf('inuse_objects') === 0; }); })()`)
		if idx < 0 {
			t.Fatal("no inuse_objects option")
		}
		if err := chromedp.Do(p.ctx, chromedp.SetValue(chromedp.ID("type"), fmt.Sprint(idx)),
			chromedp.Evaluate[chromedp.Void](`document.getElementById('type').dispatchEvent(new Event('change'))`)); err != nil {
			t.Fatal(err)
		}
		after := eval[string](p, cells)
		if after == before || strings.Contains(after, "MiB") {
			t.Errorf("after switching to objects the numbers read %q (before %q)", after, before)
		}
		for id, n := range p.inkedPixels() {
			if n < 500 {
				t.Errorf("after the switch, chart %s has %d drawn pixels", id, n)
			}
		}
	})

	t.Run("clicking a flame frame zooms", func(t *testing.T) {
		type frame struct {
			Node                    int
			Name                    string
			X, Y, Width, Height, Ok float64
		}
		frames := eval[[]frame](p, `heapdiff.flameFrames()`)
		full := eval[float64](p, `document.getElementById('flame').clientWidth`)
		var pick *frame
		for i, f := range frames {
			if f.Node != 0 && f.Width > 40 && f.Width < full*0.9 && (pick == nil || f.Width > pick.Width) {
				pick = &frames[i]
			}
		}
		if pick == nil {
			t.Fatalf("no frame to click among %d", len(frames))
		}
		if err := chromedp.Do(p.ctx, chromedp.ScrollIntoView(chromedp.ID("flame"))); err != nil {
			t.Fatal(err)
		}
		type rect struct{ Left, Top float64 }
		r := eval[rect](p, `(function () { var b = document.getElementById('flame').getBoundingClientRect(); return {left: b.left, top: b.top}; })()`)
		if err := chromedp.Do(p.ctx, chromedp.MouseClickXY(r.Left+pick.X+pick.Width/2, r.Top+pick.Y+pick.Height/2)); err != nil {
			t.Fatal(err)
		}
		if z := eval[int](p, `heapdiff.state.zoom`); z != pick.Node {
			t.Fatalf("clicked %q (node %d), zoomed to node %d", pick.Name, pick.Node, z)
		}
		for _, f := range eval[[]frame](p, `heapdiff.flameFrames()`) {
			if f.Node == pick.Node && f.Width < full*0.99 {
				t.Errorf("zoomed frame %q is %.0fpx wide of %.0f", f.Name, f.Width, full)
			}
		}
		if crumbs := eval[string](p, `document.getElementById('flame-crumbs').textContent`); !strings.Contains(crumbs, shortFrameName(pick.Name)) {
			t.Errorf("breadcrumbs %q do not name the zoomed frame %q", crumbs, pick.Name)
		}
		if err := chromedp.Do(p.ctx, chromedp.Click(chromedp.ID("flame-reset"))); err != nil {
			t.Fatal(err)
		}
		if z := eval[int](p, `heapdiff.state.zoom`); z != 0 {
			t.Errorf("reset left the zoom at node %d", z)
		}
		// Widths from the base: the leaks were smaller there, so the
		// frame just clicked takes less room.
		if err := chromedp.Do(p.ctx, chromedp.Click(chromedp.ID("flame-base"))); err != nil {
			t.Fatal(err)
		}
		for _, f := range eval[[]frame](p, `heapdiff.flameFrames()`) {
			if f.Node == pick.Node && f.Width >= pick.Width {
				t.Errorf("with widths from the base, %q is %.0fpx wide, as wide as from the target (%.0f)", f.Name, f.Width, pick.Width)
			}
		}
		if err := chromedp.Do(p.ctx, chromedp.Click(chromedp.ID("flame-target"))); err != nil {
			t.Fatal(err)
		}
	})

	p.checkClean()
}

func (p *browserPage) evalVoid(js string) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, chromedp.Evaluate[chromedp.Void](js)); err != nil {
		p.t.Fatalf("evaluate %s: %v", js, err)
	}
}

// shortFrameName drops a function's import path, as the page does.
func shortFrameName(name string) string {
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		return name[i+1:]
	}
	return name
}

// maliciousPayload would run script if the page ever treated a profile
// string as markup: it closes the script element that holds the data, and
// its image's error handler sets a flag.
const maliciousPayload = `</script><img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>`

// writeMaliciousProfiles writes two pprof heap profiles whose function and
// file names, and comments, carry maliciousPayload; the target grows.
func writeMaliciousProfiles(t *testing.T) (base, target string) {
	t.Helper()
	dir := t.TempDir()
	for i, name := range []string{"base.pb.gz", "target.pb.gz"} {
		fns := []*pprof.Function{
			{ID: 1, Name: "main.leak" + maliciousPayload, Filename: "/src/" + maliciousPayload + ".go"},
			{ID: 2, Name: "main.main", Filename: "/src/main.go"},
			{ID: 3, Name: "<b>bold</b>.(*T).Run", Filename: "/src/<i>.go"},
		}
		locs := []*pprof.Location{
			{ID: 1, Line: []pprof.Line{{Function: fns[0], Line: 7}}},
			{ID: 2, Line: []pprof.Line{{Function: fns[1], Line: 3}}},
			{ID: 3, Line: []pprof.Line{{Function: fns[2], Line: 9}}},
		}
		grow := int64(1 + 9*i)
		p := &pprof.Profile{
			SampleType: []*pprof.ValueType{{Type: "inuse_objects", Unit: "count"}, {Type: "inuse_space", Unit: "bytes"}},
			PeriodType: &pprof.ValueType{Type: "space", Unit: "bytes"},
			Period:     int64(1 + i), // differently sampled: a warning
			TimeNanos:  time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).Add(time.Duration(i) * time.Hour).UnixNano(),
			Comments:   []string{"host=" + maliciousPayload},
			Function:   fns,
			Location:   locs,
			Sample: []*pprof.Sample{
				{Location: []*pprof.Location{locs[0], locs[1]}, Value: []int64{grow * 100, grow << 20}},
				{Location: []*pprof.Location{locs[2], locs[1]}, Value: []int64{50, 4 << 20}},
			},
		}
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Write(f); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "base.pb.gz"), filepath.Join(dir, "target.pb.gz")
}

func TestHTMLMaliciousNamesAreText(t *testing.T) {
	basePath, targetPath := writeMaliciousProfiles(t)
	a, b := loadPair(t, basePath, targetPath)
	html := renderHTML(t, a, b, diff.Options{By: diff.ByFunc})
	if strings.Contains(string(html), "<img") || strings.Contains(string(html), "<b>bold") {
		t.Fatal("a profile string reached the page as markup")
	}

	p := openHTML(t, startBrowser(t), "malicious.html", html)
	if pwned := eval[any](p, `window.__pwned === undefined ? null : window.__pwned`); pwned != nil {
		t.Errorf("the payload ran: window.__pwned = %v", pwned)
	}
	const injected = `document.querySelectorAll('img').length + Array.from(document.querySelectorAll('b, i')).filter(function (e) { return e.textContent === 'bold' || e.className === ''; }).length`
	if n := eval[int](p, injected); n != 0 {
		t.Errorf("%d elements were injected", n)
	}
	// The names show, as text, where names belong.
	names := eval[string](p, `Array.from(document.querySelectorAll('#rows-body td.name')).map(function (e) { return e.textContent; }).join('\n')`)
	if !strings.Contains(names, "main.leak"+maliciousPayload) || !strings.Contains(names, "<b>bold</b>.(*T).Run") {
		t.Errorf("the table does not show the names as text:\n%s", names)
	}
	if s := eval[string](p, `document.getElementById('sources').textContent`); !strings.Contains(s, "host="+maliciousPayload) {
		t.Errorf("the comments do not show as text: %q", s)
	}
	if w := eval[string](p, `(function () { var w = document.getElementById('warnings'); return w.hidden ? '' : w.textContent; })()`); !strings.Contains(w, "sampled differently") {
		t.Errorf("the warnings shown are %q", w)
	}
	// Hovering shows a tooltip built from the name, still as text.
	if err := chromedp.Do(p.ctx, chromedp.ScrollIntoView(chromedp.ID("growers"))); err != nil {
		t.Fatal(err)
	}
	p.evalVoid(`echarts.getInstanceByDom(document.getElementById('growers')).dispatchAction({type: 'showTip', seriesIndex: 0, dataIndex: 0})`)
	p.waitFor(`Array.from(document.querySelectorAll('.tip .tname')).some(function (e) { return e.textContent.indexOf('main.leak') === 0; })`)
	if n := eval[int](p, injected); n != 0 {
		t.Errorf("the tooltip injected %d elements", n)
	}
	for id, n := range p.inkedPixels() {
		if n < 100 {
			t.Errorf("chart %s has %d drawn pixels", id, n)
		}
	}
	p.screenshot("malicious.png", "")
	p.checkClean()
}

// TestBrowserHarnessSeesProblems shows that the checks above can fail: a
// page that logs an error, throws and asks the network for an image is
// caught.
func TestBrowserHarnessSeesProblems(t *testing.T) {
	page := `<!DOCTYPE html><html><body><img src="http://example.com/x.png">
<script>console.error("boom"); document.documentElement.setAttribute('data-ready', '1'); null.x;</script></body></html>`
	p := openHTML(t, startBrowser(t), "bad.html", []byte(page))
	p.waitFor(`document.readyState === 'complete'`)
	time.Sleep(200 * time.Millisecond)
	problems := strings.Join(p.problemList(), "\n")
	for _, want := range []string{"console.error", "exception", "request failed"} {
		if !strings.Contains(problems, want) {
			t.Errorf("the harness missed a %s; it saw:\n%s", want, problems)
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !slices.ContainsFunc(p.requests, func(u string) bool { return strings.HasPrefix(u, "http://example.com") }) {
		t.Errorf("the harness missed the request for the image: %v", p.requests)
	}
}
