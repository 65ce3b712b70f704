package diff

import (
	"bytes"
	"sync"
	"testing"

	"github.com/heapdiff/heapdiff/internal/heapgen"
	"github.com/heapdiff/heapdiff/profile"
)

var (
	pairOnce           sync.Once
	benchBase, benchTg *profile.Profile
)

// largeModels loads the benchmark pair (internal/heapgen.Large) into the model once.
func largeModels(b *testing.B) (*profile.Profile, *profile.Profile) {
	pairOnce.Do(func() {
		bp, tp := heapgen.Pair(heapgen.Large)
		var bb, tb bytes.Buffer
		if err := bp.Write(&bb); err != nil {
			b.Fatal(err)
		}
		if err := tp.Write(&tb); err != nil {
			b.Fatal(err)
		}
		var err error
		if benchBase, err = profile.Parse("base", bb.Bytes(), profile.Options{}); err != nil {
			b.Fatal(err)
		}
		if benchTg, err = profile.Parse("target", tb.Bytes(), profile.Options{}); err != nil {
			b.Fatal(err)
		}
	})
	return benchBase, benchTg
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
