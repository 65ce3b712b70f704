package report

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	pprof "github.com/google/pprof/profile"

	"github.com/heapdiff/heapdiff/diff"
	"github.com/heapdiff/heapdiff/internal/heapgen"
	"github.com/heapdiff/heapdiff/profile"
)

// chromiumPath is Debian's Chromium, which the browser tests drive.
const chromiumPath = "/usr/bin/chromium"

// browserInfo is what a failing browser test reports about the browser: its
// version and the DevTools protocol calls it refused, so that the next
// breakage caused by a browser update is diagnosed in one read.
type browserInfo struct {
	mu       sync.Mutex
	version  string
	sent     map[int64]string // id → method of calls still waiting for their answer
	refusals []string         // "Method: message (code)", oldest first
}

type browserInfoKey struct{}

// record watches the protocol messages chromedp sends and receives ("-> {…}"
// and "<- {…}") and keeps the calls the browser answered with an error.
func (b *browserInfo) record(format string, args ...any) {
	if len(args) != 1 || (format != "-> %s" && format != "<- %s") {
		return
	}
	raw := fmt.Sprintf("%s", args[0]) // the message, as []byte
	var msg struct {
		ID     int64  `json:"id"`
		Method string `json:"method"`
		Error  *struct {
			Code    int64  `json:"code"`
			Message string `json:"message"`
			Data    string `json:"data"`
		} `json:"error"`
	}
	outgoing := format == "-> %s"
	if !outgoing && !strings.Contains(raw, `"error":`) {
		// Answers without an error only retire their call; skip decoding
		// large payloads such as screenshots.
		if i := strings.Index(raw, `"id":`); i >= 0 && i < 16 {
			var id int64
			fmt.Sscanf(raw[i+len(`"id":`):], "%d", &id)
			b.mu.Lock()
			delete(b.sent, id)
			b.mu.Unlock()
		}
		return
	}
	if err := json.Unmarshal([]byte(raw), &msg); err != nil || msg.ID == 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if outgoing {
		b.sent[msg.ID] = msg.Method
		return
	}
	method := b.sent[msg.ID]
	delete(b.sent, msg.ID)
	if msg.Error != nil {
		r := fmt.Sprintf("%s: %s (%d)", method, msg.Error.Message, msg.Error.Code)
		if msg.Error.Data != "" {
			r += ": " + msg.Error.Data
		}
		b.refusals = append(b.refusals, r)
	}
}

// describe names the browser and the protocol calls it refused so far.
func (b *browserInfo) describe() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := "browser " + b.version
	if n := len(b.refusals); n > 0 {
		last := b.refusals[max(0, n-3):]
		s += "; it refused " + strings.Join(last, "; ")
	}
	return s
}

// browserOf returns the browserInfo of a context made by startBrowser.
func browserOf(ctx context.Context) *browserInfo {
	if b, ok := ctx.Value(browserInfoKey{}).(*browserInfo); ok {
		return b
	}
	return &browserInfo{version: "(unknown)"}
}

// startBrowser starts a headless Chromium with a fresh profile and no way to
// reach the network: every host name resolves to nothing and every
// connection goes through a proxy on a closed port. This depends on no
// DevTools protocol call, so a new Chromium cannot quietly put the page back
// online; the tests also record every request the page makes (checkClean).
// Without Chromium the test skips, except in CI, where .ci/run installs it
// and a skip would hide a broken report.
func startBrowser(t testing.TB) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if ci := os.Getenv("CI"); ci != "" && ci != "false" {
			t.Fatalf("CI=%s but %s is missing: .ci/run installs it with apt-get install -y chromium", ci, chromiumPath)
		}
		t.Skipf("no %s: install Debian's Chromium (apt-get install -y chromium) to run the browser tests", chromiumPath)
	}
	info := &browserInfo{version: "(version not yet known)", sent: map[int64]string{}}
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
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("hide-scrollbars", true),
		// No network: every name resolves to nothing, every connection goes
		// to a closed port.
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND"),
		chromedp.ProxyServer("http://127.0.0.1:9"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1440, 1000),
	)
	ctx, cancel := chromedp.NewContext(alloc, chromedp.WithBrowserOption(chromedp.WithBrowserDebugf(info.record)))
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	ctx = context.WithValue(ctx, browserInfoKey{}, info)
	t.Cleanup(func() { cancelTimeout(); cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start %s: %v (%s)", chromiumPath, err, info.describe())
	}
	v, err := chromedp.CallBrowser(ctx, browser.GetVersion, cdp.Empty{})
	if err != nil {
		t.Fatalf("Browser.getVersion: %v (%s)", err, info.describe())
	}
	info.mu.Lock()
	info.version = v.Product + " (protocol " + v.ProtocolVersion + ")"
	info.mu.Unlock()
	return ctx
}

// browserPage is one report open in a tab, with what went wrong while it
// was loaded and used.
type browserPage struct {
	t       testing.TB
	ctx     context.Context
	browser *browserInfo
	url     string // the page itself

	mu       sync.Mutex
	problems []string // console errors, exceptions, failed requests
	requests []string // every URL the page asked for
}

// fatalf fails the test, naming the browser's version and the protocol
// calls it refused.
func (p *browserPage) fatalf(format string, args ...any) {
	p.t.Helper()
	p.t.Fatalf("%s (%s)", fmt.Sprintf(format, args...), p.browser.describe())
}

// do runs chromedp actions in the page; what names them in a failure.
func (p *browserPage) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, actions...); err != nil {
		p.fatalf("%s: %v", what, err)
	}
}

// openHTML writes a report into a temporary file and opens it in a new tab
// of the browser, waiting until its script has drawn everything.
func openHTML(t testing.TB, browser context.Context, name string, html []byte) *browserPage {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, html, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := chromedp.NewContext(browser)
	t.Cleanup(cancel)
	p := &browserPage{t: t, ctx: ctx, browser: browserOf(browser), url: "file://" + path}
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
		p.fatalf("listen to the tab's events: %v", err)
	}
	p.do("Page.navigate to "+p.url, chromedp.Navigate(p.url))
	p.waitFor(`document.documentElement.getAttribute('data-ready') === '1'`)
	return p
}

// eval runs JavaScript in the page and decodes its result.
func eval[T any](p *browserPage, js string) T {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[T](js))
	if err != nil {
		p.fatalf("Runtime.evaluate %s: %v", js, err)
	}
	return v
}

// waitFor polls a JavaScript condition for up to 10 seconds.
func (p *browserPage) waitFor(cond string) {
	p.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !eval[bool](p, cond) {
		if time.Now().After(deadline) {
			p.fatalf("timed out waiting for %s; problems so far: %v", cond, p.findings())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// findings lists what went wrong in the page: console errors, exceptions,
// failed requests, and every request for something other than the page
// itself or a data: or blob: URL (the report must be self-contained).
func (p *browserPage) findings() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := append([]string(nil), p.problems...)
	for _, u := range p.requests {
		if u != p.url && !strings.HasPrefix(u, "data:") && !strings.HasPrefix(u, "blob:") {
			out = append(out, "the page requested "+u+": it must be self-contained")
		}
	}
	return out
}

// checkClean fails the test on each of the page's findings.
func (p *browserPage) checkClean() {
	p.t.Helper()
	for _, f := range p.findings() {
		p.t.Errorf("browser: %s", f)
	}
}

// screenshot saves the whole page as a PNG under the test's temporary
// directory and logs where: a look at what a failing test saw.
func (p *browserPage) screenshot(name string) {
	p.t.Helper()
	png, err := chromedp.Run(p.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.fatalf("screenshot: %v", err)
	}
	path := filepath.Join(p.t.TempDir(), name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		p.t.Fatal(err)
	}
	p.t.Logf("screenshot: %s", path)
}

// screenshotsEnv names the directory the browser tests keep their pictures
// of the pages in, for the README: HEAPDIFF_SCREENSHOTS=docs go test ./report
// refreshes docs/*.png (bench/screenshots.sh does, with the large pair's).
// A relative path is from the repository's root.
const screenshotsEnv = "HEAPDIFF_SCREENSHOTS"

// The pictures' size: a laptop's browser window.
const pictureWidth, pictureHeight = 1280, 900

// picture takes what a reader of the page first sees, a 1280×900 window,
// as a PNG: under the test's temporary directory, and in $HEAPDIFF_SCREENSHOTS
// when it is set. The page is drawn again at that size first, as a browser
// window of that size would draw it, then at the test's size again.
func (p *browserPage) picture(name string) {
	p.t.Helper()
	p.do("Emulation.setDeviceMetricsOverride 1280×900", chromedp.EmulateViewport(pictureWidth, pictureHeight))
	defer p.do("Emulation.clearDeviceMetricsOverride", chromedp.EmulateReset())
	// The pages redraw their charts on resize; wait for a frame after it.
	p.evalVoid(`window.__framed = false; window.dispatchEvent(new Event('resize'));
		requestAnimationFrame(function () { requestAnimationFrame(function () { window.__framed = true; }); })`)
	p.waitFor(`window.__framed === true`)
	png, err := chromedp.Run(p.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		p.fatalf("Page.captureScreenshot: %v", err)
	}
	paths := []string{filepath.Join(p.t.TempDir(), name)}
	if dir := os.Getenv(screenshotsEnv); dir != "" {
		if !filepath.IsAbs(dir) {
			dir = filepath.Join("..", dir) // the tests run in report/
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			p.t.Fatal(err)
		}
		paths = append(paths, filepath.Join(dir, name))
	}
	for _, path := range paths {
		if err := os.WriteFile(path, png, 0o644); err != nil {
			p.t.Fatal(err)
		}
		p.t.Logf("picture: %s", path)
	}
}

// wordBreaks finds, in the elements selector matches, every line of text
// that ends between two letters or digits: a word cut in two, as
// "Method104|1" or "exact val|ues". It reads where the browser laid out
// each character, so it holds whatever the page does to wrap names. It
// also counts the elements whose text takes more than one line, so that a
// test can tell it looked at text that wraps.
func (p *browserPage) wordBreaks(selector string) (breaks []string, wrapped int) {
	p.t.Helper()
	sel, err := json.Marshal(selector)
	if err != nil {
		p.t.Fatal(err)
	}
	type result struct {
		Breaks  []string
		Wrapped int
	}
	r := eval[result](p, `(function (sel) {
		var out = { breaks: [], wrapped: 0 }, word = /[A-Za-z0-9_]/, range = document.createRange();
		/* the box a text node's lines belong to: a block, a chip */
		function boxOf(n) {
			var e = n.parentElement;
			while (e && getComputedStyle(e).display === 'inline') { e = e.parentElement; }
			return e;
		}
		document.querySelectorAll(sel).forEach(function (e) {
			var walk = document.createTreeWalker(e, NodeFilter.SHOW_TEXT), n, prev = null, lines = 0, text = '', owner = null;
			while ((n = walk.nextNode())) {
				/* a new box starts a line of its own: no word goes on across it */
				if (boxOf(n) !== owner) { owner = boxOf(n); prev = prev && { ch: ' ', bottom: prev.bottom }; }
				for (var i = 0; i < n.data.length; i++) {
					range.setStart(n, i);
					range.setEnd(n, i + 1);
					var box = range.getBoundingClientRect(), ch = n.data.charAt(i);
					if (box.width === 0 && box.height === 0) { text += ch; continue; }
					if (!prev || box.top >= prev.bottom - 1) {
						lines++;
						if (prev && word.test(prev.ch) && word.test(ch)) {
							out.breaks.push(JSON.stringify(text + '|' + n.data.slice(i, i + 12)) + ' in ' + JSON.stringify(e.textContent));
						}
					}
					prev = { ch: ch, bottom: box.bottom };
					text = (text + ch).slice(-24);
				}
			}
			if (lines > 1) { out.wrapped++; }
		});
		return out;
	})(`+string(sel)+`)`)
	return r.Breaks, r.Wrapped
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

// renderHTML writes base and target's page as heapdiff compare -o
// report.html does: opts.Top is the page's --top.
func renderHTML(t *testing.T, base, target *profile.Profile, opts diff.Options) []byte {
	t.Helper()
	c, err := diff.Compare(base, target, HTMLOptions(opts))
	if err != nil {
		t.Fatal(err)
	}
	var buf strings.Builder
	if err := Render(&buf, FormatHTML, c, Options{Top: opts.Top}); err != nil {
		t.Fatal(err)
	}
	return []byte(buf.String())
}

// asFromRoot names profiles loaded from ../testdata as heapdiff run in the
// repository's root names them: the pictures in docs/ show what the
// README's commands show.
func asFromRoot(ps ...*profile.Profile) {
	for _, p := range ps {
		p.Name = strings.TrimPrefix(p.Name, "../")
	}
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
	asFromRoot(a, b)
	p := openHTML(t, browser, "leaky.html", renderHTML(t, a, b, diff.Options{}))
	// The page as it opens, README's picture of the HTML report.
	p.picture("report.png")

	t.Run("every chart drew", func(t *testing.T) {
		for id, n := range p.inkedPixels() {
			if n < 500 {
				t.Errorf("chart %s has %d drawn pixels", id, n)
			}
		}
	})
	if got := eval[string](p, `document.getElementById('row-count').textContent`); got != "7 rows" {
		t.Errorf("the row count reads %q, want \"7 rows\"", got)
	}

	t.Run("the treemap labels its boxes with whole names", func(t *testing.T) {
		bad, drawn := badTreemapLabels(p)
		if drawn < 4 {
			t.Errorf("the treemap drew %d lines of labels", drawn)
		}
		for _, l := range bad {
			t.Errorf("the treemap drew %q, not a whole part of a name", l)
		}
		const want = "area = growth: 6 sites grew +118.7MiB; click to zoom in"
		if note := eval[string](p, `document.getElementById('sites-note').textContent`); note != want {
			t.Errorf("the treemap's note reads %q, want %q", note, want)
		}
	})

	rowCount := func() int { return eval[int](p, `document.querySelectorAll('#rows-body tr.row').length`) }
	t.Run("filter reduces the rows", func(t *testing.T) {
		before := rowCount()
		p.do("SendKeys(ID('filter'), 'SessionStore')", chromedp.SendKeys(chromedp.ID("filter"), "SessionStore"))
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
		p.do("Click(CSS('#rows-body tr.row'))", chromedp.Click(chromedp.CSS("#rows-body tr.row")))
		frames := eval[[]string](p, `Array.from(document.querySelectorAll('#rows-body tr.stacks li')).map(function (li) { return li.textContent; })`)
		if len(frames) < 2 || !strings.HasPrefix(frames[0], "main.(*SessionStore).Open") {
			t.Errorf("the opened row shows frames %q", frames)
		}
		p.evalVoid(`var f = document.getElementById('filter'); f.value = ''; f.dispatchEvent(new Event('input'))`)
		if n := rowCount(); n != before {
			t.Errorf("clearing the filter shows %d rows, want %d", n, before)
		}
	})

	t.Run("kept column", func(t *testing.T) {
		// The session leak keeps what it allocates; its row shows it.
		cell := eval[string](p, `(function () {
			var ths = Array.from(document.querySelectorAll('#rows-head th')), k = ths.findIndex(function (th) { return th.textContent.indexOf('kept') === 0; });
			if (k < 0) { return 'no kept column'; }
			var row = Array.from(document.querySelectorAll('#rows-body tr.row')).find(function (tr) { return tr.textContent.indexOf('SessionStore).Open') >= 0; });
			return row ? row.children[k].textContent : 'no SessionStore row';
		})()`)
		if !regexp.MustCompile(`^(9\d|1\d\d)%±\d+$`).MatchString(cell) {
			t.Errorf("the session leak's kept cell reads %q", cell)
		}
	})

	t.Run("sample type switch changes the numbers", func(t *testing.T) {
		const cells = `Array.from(document.querySelectorAll('#totals .v, #rows-body tr.row td:nth-child(2)')).map(function (e) { return e.textContent; }).join('|')`
		before := eval[string](p, cells)
		idx := eval[int](p, `(function () { var o = Array.from(document.querySelectorAll('#type option')); return o.findIndex(function (x) { return x.textContent.indexOf('inuse_objects') === 0; }); })()`)
		if idx < 0 {
			t.Fatal("no inuse_objects option")
		}
		p.do("choose inuse_objects", chromedp.SetValue(chromedp.ID("type"), fmt.Sprint(idx)),
			chromedp.Evaluate[chromedp.Void](`document.getElementById('type').dispatchEvent(new Event('change'))`))
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
			// The session leak's frame: its share of the heap grew the
			// most from the base to the target.
			if f.Node != 0 && strings.Contains(f.Name, "SessionStore).Open") && f.Width > 40 && f.Width < full*0.9 && (pick == nil || f.Width > pick.Width) {
				pick = &frames[i]
			}
		}
		if pick == nil {
			t.Fatalf("no frame to click among %d", len(frames))
		}
		p.do("ScrollIntoView(ID('flame'))", chromedp.ScrollIntoView(chromedp.ID("flame")))
		type rect struct{ Left, Top float64 }
		r := eval[rect](p, `(function () { var b = document.getElementById('flame').getBoundingClientRect(); return {left: b.left, top: b.top}; })()`)
		p.do("MouseClickXY(r.Left+pick.X+pick.Width/2, r.Top+pick.Y+pick.Height/2)", chromedp.MouseClickXY(r.Left+pick.X+pick.Width/2, r.Top+pick.Y+pick.Height/2))
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
		p.do("Click(ID('flame-reset'))", chromedp.Click(chromedp.ID("flame-reset")))
		if z := eval[int](p, `heapdiff.state.zoom`); z != 0 {
			t.Errorf("reset left the zoom at node %d", z)
		}
		// Widths from the base: the leaks were smaller there, so the
		// frame just clicked takes less room.
		p.do("Click(ID('flame-base'))", chromedp.Click(chromedp.ID("flame-base")))
		for _, f := range eval[[]frame](p, `heapdiff.flameFrames()`) {
			if f.Node == pick.Node && f.Width >= pick.Width {
				t.Errorf("with widths from the base, %q is %.0fpx wide, as wide as from the target (%.0f)", f.Name, f.Width, pick.Width)
			}
		}
		p.do("Click(ID('flame-target'))", chromedp.Click(chromedp.ID("flame-target")))
	})

	p.checkClean()
}

// checkWordBreaks narrows the page to 800px, where long names wrap, and
// checks that the elements selector matches wrap between words only. It
// also shows the check can fail: with word-break: break-all on the element
// whose id is control, names wrap inside words.
func checkWordBreaks(t *testing.T, p *browserPage, selector, control string) {
	t.Helper()
	p.do("Emulation.setDeviceMetricsOverride 800×900", chromedp.EmulateViewport(800, 900))
	defer p.do("Emulation.clearDeviceMetricsOverride", chromedp.EmulateReset())
	breaks, wrapped := p.wordBreaks(selector)
	if wrapped < 10 {
		t.Fatalf("only %d names wrap at 800px: nothing to check", wrapped)
	}
	for _, b := range breaks {
		t.Errorf("a line ends inside a word: %s", b)
	}
	p.evalVoid(`document.getElementById(` + "'" + control + "'" + `).style.wordBreak = 'break-all'`)
	defer p.evalVoid(`document.getElementById(` + "'" + control + "'" + `).style.wordBreak = ''`)
	if breaks, _ := p.wordBreaks(selector); len(breaks) == 0 {
		t.Error("with word-break: break-all, the check finds no word cut in two: it sees nothing")
	}
}

// TestHTMLNamesWrapInBrowser checks, on a pair with long Go names
// (heapgen.Small: github.com/example/svc3/internal/pkg17.(*Type5).Method42),
// that the comparison page's names wrap between their parts, never inside a
// word: in the table, in a row's call stacks and in the header.
func TestHTMLNamesWrapInBrowser(t *testing.T) {
	a, b := generatedPair(t, heapgen.Small)
	a.Name, b.Name = "/var/lib/heapdiff/snapshots/base.pb.gz", "/var/lib/heapdiff/snapshots/target.pb.gz"
	ps := []*profile.Profile{a, b}
	p := openHTML(t, startBrowser(t), "small.html", renderHTML(t, ps[0], ps[1], diff.Options{}))
	p.do("Click(first row)", chromedp.Click(chromedp.CSS("#rows-body tr.row")))
	checkWordBreaks(t, p, `#subtitle, #sources dd, #rows-body tr.row:nth-child(-n+40) td.name, #rows-body tr.stacks li`, "rows")
	p.checkClean()
}

func (p *browserPage) evalVoid(js string) {
	p.t.Helper()
	p.do("Runtime.evaluate "+js, chromedp.Evaluate[chromedp.Void](js))
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
	p.do("ScrollIntoView(ID('growers'))", chromedp.ScrollIntoView(chromedp.ID("growers")))
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
	p.screenshot("malicious.png")
	p.checkClean()
}

// TestBrowserHarnessSeesProblems shows that the checks above can fail, each
// for its own reason: a page that logs an error, throws, and asks the
// network for an image and a script is caught on every count, and the
// requests fail because the browser has no network, not because of a
// protocol call that a browser version may change.
func TestBrowserHarnessSeesProblems(t *testing.T) {
	page := `<!DOCTYPE html><html><body><img src="http://example.com/x.png">
<script src="https://cdn.example.org/lib.js"></script>
<script>console.error("boom"); document.documentElement.setAttribute('data-ready', '1'); null.x;</script></body></html>`
	p := openHTML(t, startBrowser(t), "bad.html", []byte(page))
	p.waitFor(`document.readyState === 'complete'`)
	deadline := time.Now().Add(5 * time.Second)
	var findings string
	for {
		findings = strings.Join(p.findings(), "\n")
		if strings.Count(findings, "request failed") >= 2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, want := range []string{
		`console.error: "boom"`,
		"exception",
		"the page requested http://example.com/x.png",
		"the page requested https://cdn.example.org/lib.js",
	} {
		if !strings.Contains(findings, want) {
			t.Errorf("the harness missed %q; it found:\n%s", want, findings)
		}
	}
	// Both requests failed in the network stack: no name resolves and the
	// only proxy is a closed port.
	if n := strings.Count(findings, "request failed: net::ERR_"); n < 2 {
		t.Errorf("%d requests failed for want of a network, want 2; the harness found:\n%s", n, findings)
	}
	// The page itself is no finding.
	if strings.Contains(findings, "requested "+p.url) {
		t.Errorf("the page itself counted as a request:\n%s", findings)
	}
}

// TestBrowserFailureNamesVersionAndCall shows that a call the browser refuses
// fails with the browser's version and the protocol method that was refused.
func TestBrowserFailureNamesVersionAndCall(t *testing.T) {
	ctx := startBrowser(t)
	info := browserOf(ctx)
	// A protocol method no Chromium has: the browser must refuse it.
	bogus := cdp.Command[cdp.Empty, cdp.Empty]{Method: "HeapdiffNoSuchDomain.noSuchMethod"}
	if _, err := chromedp.CallBrowser(ctx, bogus, cdp.Empty{}); err == nil {
		t.Fatal("the browser accepted a method that does not exist")
	}
	got := info.describe()
	for _, want := range []string{"Chrome/", "HeapdiffNoSuchDomain.noSuchMethod", "-32601"} {
		if !strings.Contains(got, want) {
			t.Errorf("the failure report %q does not name %q", got, want)
		}
	}
}
