package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"runtime"
	"testing"

	pprof "github.com/google/pprof/profile"

	"github.com/heapdiff/heapdiff/diff"
	"github.com/heapdiff/heapdiff/internal/heapgen"
	"github.com/heapdiff/heapdiff/profile"
)

// TestJSONStreamsTheDocument checks that JSON, which writes rows one at a
// time, writes exactly what encoding/json writes for the whole document.
func TestJSONStreamsTheDocument(t *testing.T) {
	for _, opts := range []diff.Options{
		{Top: 3},
		{By: diff.ByLine, Cum: true, Top: 7},
		{By: diff.ByStack, Cum: true, DeferNames: true},
		{By: diff.ByFunc, Normalize: true, SampleIndex: "alloc_space"},
		{Focus: regexp.MustCompile(`nothing matches this`)}, // no rows
	} {
		c := comparison(t, opts)
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetIndent("", "  ")
		if err := enc.Encode(NewJSONComparison(c)); err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		if err := JSON(&got, c); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Errorf("%+v: JSON wrote %d bytes, the whole document encodes to %d, or they differ", opts, got.Len(), want.Len())
		}
		if len(c.Rows) > 0 && !bytes.Contains(got.Bytes(), []byte(`"rows": [`+"\n")) {
			t.Errorf("%+v: no rows written", opts)
		}
	}
}

// TestRenderersNameDeferredRows checks every format on a comparison whose
// stack rows are named on demand (diff.Options.DeferNames): each renderer
// must write what it writes when Compare names every row.
func TestRenderersNameDeferredRows(t *testing.T) {
	leaky, err := profile.LoadAll([]string{"../testdata/leaky/heap-01.pb.gz", "../testdata/leaky/heap-12.pb.gz"}, profile.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Heap snapshots with allocation stacks, grouped by stack, take the
	// snapshot layout.
	tracked, err := profile.LoadAll([]string{"../testdata/node/tracked-before.heapsnapshot.gz", "../testdata/node/tracked-after.heapsnapshot.gz"}, profile.Options{AllocationStacks: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, ps := range [][]*profile.Profile{leaky, tracked} {
		for _, opts := range []diff.Options{{By: diff.ByStack}, {By: diff.ByStack, Cum: true, Top: 4}} {
			render := func(f Format, opts diff.Options) []byte {
				if f == FormatHTML {
					opts = HTMLOptions(opts)
				}
				c, err := diff.Compare(ps[0], ps[1], opts)
				if err != nil {
					t.Fatal(err)
				}
				var out bytes.Buffer
				if err := Render(&out, f, c, Options{}); err != nil {
					t.Fatal(err)
				}
				return out.Bytes()
			}
			for _, f := range Formats {
				want := render(f, opts)
				deferred := opts
				deferred.DeferNames = true
				if got := render(f, deferred); !bytes.Equal(got, want) {
					t.Errorf("%s, %s, %+v: the deferred comparison renders differently", ps[0].Name, f, opts)
				}
				// JSON escapes <.
				if !bytes.Contains(want, []byte(" < ")) && !bytes.Contains(want, []byte(` \u003c `)) {
					t.Errorf("%s, %s, %+v: no stack row named", ps[0].Name, f, opts)
				}
			}
		}
	}
}

// heapWatch is a writer that discards what it gets and, after every MiB,
// collects garbage and notes the live heap, so that a test can bound what a
// renderer holds while it writes.
type heapWatch struct {
	written, next int64
	peak          uint64
}

func (w *heapWatch) Write(p []byte) (int, error) {
	w.written += int64(len(p))
	if w.written >= w.next {
		w.next = w.written + 1<<20
		w.peak = max(w.peak, liveHeap())
	}
	return len(p), nil
}

func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestRenderersHoldOneRowAtATime bounds the memory text and JSON output of
// thousands of deep stack rows take beyond the comparison's own: rows are
// named and converted as they are written, so what the renderer holds is
// one row, a small fraction of what it writes. Building the output or the
// names first would hold all of it (tens of MiB here).
func TestRenderersHoldOneRowAtATime(t *testing.T) {
	if raceDetector {
		t.Skip("the generated pair is too slow to compare under the race detector")
	}
	// Deep stacks, as real ones are: each row's name and frames are
	// kilobytes.
	base, target := generatedPair(t, heapgen.Config{Stacks: 5_000, Functions: 1_000, MinDepth: 10, MaxDepth: 40, Seed: 1})
	c, err := diff.Compare(base, target, diff.Options{By: diff.ByStack, DeferNames: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []Format{FormatText, FormatJSON, FormatCSV, FormatMarkdown} {
		before := liveHeap()
		w := &heapWatch{}
		if err := Render(w, f, c, Options{}); err != nil {
			t.Fatal(err)
		}
		held := int64(w.peak) - int64(before)
		t.Logf("%s: %d rows, %.1f MiB written, %.2f MiB held", f, len(c.Rows), float64(w.written)/(1<<20), float64(held)/(1<<20))
		if w.written < 8<<20 {
			t.Fatalf("%s: only %d bytes written: the test needs more to mean anything", f, w.written)
		}
		if held > 1<<20 {
			t.Errorf("%s: rendering held %.1f MiB beyond the comparison while writing %.1f MiB; want under 1 MiB", f, float64(held)/(1<<20), float64(w.written)/(1<<20))
		}
	}
}

// generatedPair returns a pair of internal/heapgen profiles, as heapdiff reads
// them.
func generatedPair(t *testing.T, cfg heapgen.Config) (base, target *profile.Profile) {
	t.Helper()
	b, tg := heapgen.Pair(cfg)
	var out [2]*profile.Profile
	for i, p := range []*pprof.Profile{b, tg} {
		var buf bytes.Buffer
		if err := p.Write(&buf); err != nil {
			t.Fatal(err)
		}
		var err error
		if out[i], err = profile.Parse(fmt.Sprintf("generated-%d.pb.gz", i), buf.Bytes(), profile.Options{}); err != nil {
			t.Fatal(err)
		}
	}
	return out[0], out[1]
}

// TestKeptCellIsPrintfs checks keptCell's strconv against the fmt verbs it
// replaces, on shares and noises of every kind.
func TestKeptCellIsPrintfs(t *testing.T) {
	for _, share := range []float64{0, -0.0, 0.004, 0.005, 0.015, 0.5, 0.995, 1, 1.2, -0.3, math.Inf(1), math.NaN()} {
		for _, noise := range []float64{0, 0.0049, 0.16, 2, math.Inf(1)} {
			want := fmt.Sprintf("%.0f%%±%.0f", 100*share, 100*noise)
			if got := keptCell(diff.Kept{Share: share, Noise: noise}, true); got != want {
				t.Errorf("keptCell(%v, %v) = %q, want %q", share, noise, got, want)
			}
		}
	}
}
