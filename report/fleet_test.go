package report

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	pprofile "github.com/google/pprof/profile"

	"github.com/heapdiff/heapdiff/diff"
	"github.com/heapdiff/heapdiff/internal/heapgen"
	"github.com/heapdiff/heapdiff/profile"
)

// testFleet follows a simulated fleet of 8 processes (one with a name
// made to break markup) plus one too short to judge.
func testFleet(t *testing.T) *diff.Fleet {
	t.Helper()
	cfg := heapgen.FleetConfig{Processes: 8, Snapshots: 12, Interval: 10 * time.Minute, Seed: 2}
	var procs []diff.ProcessSummary
	var b *diff.TrendBuilder
	err := heapgen.Fleet(cfg, func(i, k int, at time.Time, pp *pprofile.Profile) error {
		if k == 0 {
			b = diff.NewTrend(diff.TrendOptions{MinSnapshots: 3})
		}
		var buf bytes.Buffer
		if err := pp.Write(&buf); err != nil {
			return err
		}
		p, err := profile.Parse("p", buf.Bytes(), profile.Options{})
		if err != nil {
			return err
		}
		if err := b.Add(p); err != nil {
			return err
		}
		if k == cfg.Snapshots-1 {
			tr, err := b.Trend()
			if err != nil {
				return err
			}
			host, pid := heapgen.FleetProcess(i)
			name := "api/" + host + "/" + strconv.Itoa(pid)
			if i == 3 {
				name = `api/<img src=x onerror="document.title='pwned'">/1003`
			}
			procs = append(procs, diff.SummarizeProcess(name, tr))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	procs = append(procs, diff.UnjudgedProcess("api/web-short/7", 2, "2 snapshot(s): a trend needs 3"))
	return diff.NewFleet(procs)
}

// The text and Markdown views are kept byte for byte.
func TestFleetGolden(t *testing.T) {
	f := testFleet(t)
	for _, tc := range []struct {
		file   string
		format Format
	}{{"fleet.txt", FormatText}, {"fleet.md", FormatMarkdown}, {"fleet.json", FormatJSON}} {
		var buf bytes.Buffer
		if err := RenderFleet(&buf, tc.format, f, "s3://snaps/prod/api/", Options{}); err != nil {
			t.Fatal(err)
		}
		golden(t, tc.file, buf.Bytes())
	}
	var buf bytes.Buffer
	if err := RenderFleet(&buf, FormatCSV, f, "x", Options{}); err == nil {
		t.Error("the fleet rendered as CSV")
	}
}

// The JSON says what the fleet says.
func TestFleetJSON(t *testing.T) {
	f := testFleet(t)
	var buf bytes.Buffer
	if err := FleetJSON(&buf, f, "s3://snaps/prod/api/"); err != nil {
		t.Fatal(err)
	}
	var j JSONFleet
	if err := json.Unmarshal(buf.Bytes(), &j); err != nil {
		t.Fatal(err)
	}
	if j.Judged != 8 || len(j.Processes) != 9 || j.Processes[8].Judged || j.Processes[8].Problem == "" || j.Type.Type != "inuse_space" {
		t.Fatalf("%+v", j)
	}
	if len(j.Suspects) == 0 || j.Suspects[0].Name != heapgen.FleetCodeLeak+" main.go:50" || j.Suspects[0].Spread != "most" || j.Suspects[0].Of != 8 {
		t.Errorf("first suspect %+v", j.Suspects[0])
	}
	for i, p := range j.Processes[:8] {
		if p.Leaking != f.Processes[i].Leaking() || p.Total.Slope != f.Processes[i].Total.Fit.Slope {
			t.Errorf("process %d: %+v", i, p)
		}
	}
}

func TestFleetHTMLInBrowser(t *testing.T) {
	browser := startBrowser(t)
	f := testFleet(t)
	var buf bytes.Buffer
	if err := FleetHTML(&buf, f, "s3://snaps/prod/api/"); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(buf.Bytes(), []byte("<img src=x")) {
		t.Fatal("a process name went into the page as markup")
	}
	p := openHTML(t, browser, "fleet.html", buf.Bytes())
	p.screenshot("fleet.png")

	bars := eval[[][]any](p, `heapdiff.bars()`)
	if len(bars) != f.Judged {
		t.Fatalf("%d bars for %d judged processes", len(bars), f.Judged)
	}
	for i, b := range bars {
		if b[0] != f.Processes[i].Name || b[1].(float64) != f.Processes[i].Total.Fit.Slope {
			t.Errorf("bar %d: %v, want %s %v", i, b, f.Processes[i].Name, f.Processes[i].Total.Fit.Slope)
		}
	}
	if n := eval[int](p, `(function () {
			var c = document.querySelector('#fleet canvas'), d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data, n = 0;
			for (var i = 3; i < d.length; i += 4) { if (d[i] !== 0) { n++; } }
			return n;
		})()`); n < 2000 {
		t.Errorf("the chart has %d drawn pixels", n)
	}
	spreads := eval[[]string](p, `Array.from(document.querySelectorAll('#suspects-body tr.row')).map(function (tr) { return tr.getAttribute('data-spread') + ' ' + tr.children[7].textContent; })`)
	if len(spreads) != len(f.Suspects) || spreads[0] != "most "+heapgen.FleetCodeLeak+" main.go:50" {
		t.Errorf("suspect rows %q", spreads)
	}
	names := eval[[]string](p, `Array.from(document.querySelectorAll('#procs-body tr td.name')).map(function (td) { return td.textContent; })`)
	if len(names) != len(f.Processes) || !strings.Contains(strings.Join(names, "\n"), `<img src=x onerror="document.title='pwned'">`) {
		t.Errorf("process rows %q", names)
	}
	if title := eval[string](p, `document.title`); strings.Contains(title, "pwned") {
		t.Error("markup from a process name ran")
	}
	p.evalVoid(`(function () { var i = document.getElementById('filter'); i.value = 'web-short'; i.dispatchEvent(new Event('input')); })()`)
	if shown := eval[int](p, `document.querySelectorAll('#procs-body tr').length`); shown != 1 {
		t.Errorf("the filter left %d rows, want 1", shown)
	}
}
