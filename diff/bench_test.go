package diff

import (
	"bytes"
	"sync"
	"testing"

	pprof "github.com/google/pprof/profile"

	"github.com/heapdiff/heapdiff/internal/heapgen"
	"github.com/heapdiff/heapdiff/profile"
)

var (
	pairOnce           sync.Once
	benchBase, benchTg *profile.Profile
)

// largeModels loads the benchmark pair (internal/heapgen.Large) into the model once.
func largeModels(b *testing.B) (*profile.Profile, *profile.Profile) {
	pairOnce.Do(func() { benchBase, benchTg = generatedModels(b, heapgen.Large) })
	return benchBase, benchTg
}

// generatedModels returns a pair of internal/heapgen profiles, written and
// read back as heapdiff reads them.
func generatedModels(tb testing.TB, cfg heapgen.Config) (base, target *profile.Profile) {
	tb.Helper()
	bp, tp := heapgen.Pair(cfg)
	var out [2]*profile.Profile
	for i, p := range []*pprof.Profile{bp, tp} {
		var buf bytes.Buffer
		if err := p.Write(&buf); err != nil {
			tb.Fatal(err)
		}
		var err error
		if out[i], err = profile.Parse([]string{"base", "target"}[i], buf.Bytes(), profile.Options{}); err != nil {
			tb.Fatal(err)
		}
	}
	return out[0], out[1]
}

// BenchmarkCompare measures the diff engine alone on the large pair, for
// every grouping, with cumulative values.
func BenchmarkCompare(b *testing.B) {
	base, target := largeModels(b)
	for _, by := range allGroupings {
		b.Run(by.String(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Compare(base, target, Options{By: by, Cum: true}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCompareWithDetail measures a comparison that keeps the detail an
// HTML page draws (the call tree, the stacks of the first rows, the rows by
// site), in the one pass that also makes the rows, for the groupings the
// page is most often asked for.
func BenchmarkCompareWithDetail(b *testing.B) {
	base, target := largeModels(b)
	for _, by := range []Grouping{BySite, ByFunc, ByStack} {
		b.Run(by.String(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				detail := pageDetail
				if _, err := Compare(base, target, Options{By: by, Top: 1000, DeferNames: true, Detail: &detail}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
