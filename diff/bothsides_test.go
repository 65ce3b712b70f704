package diff

import (
	"math"
	"regexp"
	"slices"
	"testing"

	"github.com/heapdiff/heapdiff/internal/heapgen"
	"github.com/heapdiff/heapdiff/profile"
)

// TestReducePairAgreesWithAdd reduces pairs of profiles both ways: one
// side after the other (add, as every grouping may), and both at once by
// row frame (reducePair). The groups, their order, every sum and variance
// to the last bit, and the detail's paths must be the same.
func TestReducePairAgreesWithAdd(t *testing.T) {
	leaky := leakyProfiles(t)
	gb, gt := generatedModels(t, heapgen.Small)
	pairs := [][2]*profile.Profile{{leaky[0], leaky[11]}, {leaky[3], leaky[4]}, {gb, gt}}

	for _, opts := range []Options{
		{By: BySite},
		{By: ByLine},
		{By: BySite, KeepAgent: true},
		{By: BySite, Focus: regexp.MustCompile(`main\.|svc1`)},
		{By: ByLine, Ignore: regexp.MustCompile(`Cache|svc2`)},
	} {
		for _, ps := range pairs {
			for _, detail := range []bool{false, true} {
				if !sumsByFrame(opts, ps[0]) || !sumsByFrame(opts, ps[1]) {
					t.Fatalf("%v: sumsByFrame refuses %s and %s", opts.By, ps[0].Name, ps[1].Name)
				}
				want, wantD := reduceBothWays(ps, opts, detail, false)
				got, gotD := reduceBothWays(ps, opts, detail, true)
				name := opts.By.String() + " " + ps[0].Name + " " + ps[1].Name
				sameReductions(t, name, want, got)
				if detail {
					if !slices.Equal(wantD.pathSide, gotD.pathSide) || !slices.Equal(wantD.pathStack, gotD.pathStack) ||
						!slices.Equal(wantD.pathGroup, gotD.pathGroup) || !sameFloats(wantD.pathVars, gotD.pathVars) {
						t.Errorf("%s: the detail's %d paths differ from add's %d", name, len(gotD.pathStack), len(wantD.pathStack))
					}
					if len(gotD.pathStack) == 0 {
						t.Errorf("%s: no paths", name)
					}
				}
			}
		}
	}
}

func reduceBothWays(ps [2]*profile.Profile, opts Options, detail, pair bool) (*accumulator, *detailer) {
	idx := func(p *profile.Profile) []int {
		out := make([]int, len(p.SampleTypes))
		for i := range out {
			out[i] = i
		}
		return out
	}
	acc := newAccumulator(opts, len(ps[0].SampleTypes))
	var det *detailer
	if detail {
		det = newDetailer(pageDetail, len(ps[0].SampleTypes), false, len(ps[0].Stacks)+len(ps[1].Stacks))
	}
	if pair {
		acc.reducePair(ps, [2][]int{idx(ps[0]), idx(ps[1])}, det)
	} else {
		acc.add(0, ps[0], idx(ps[0]), det)
		acc.add(1, ps[1], idx(ps[1]), det)
	}
	return acc, det
}

func sameReductions(t *testing.T, name string, want, got *accumulator) {
	t.Helper()
	if len(want.infos) != len(got.infos) {
		t.Fatalf("%s: %d groups, add made %d", name, len(got.infos), len(want.infos))
	}
	for k := range want.infos {
		wn, _ := want.infos[k].resolve()
		gn, _ := got.infos[k].resolve()
		if wn != gn {
			t.Fatalf("%s: group %d is %q, add's is %q", name, k, gn, wn)
		}
	}
	for s := range want.side {
		w, g := want.side[s], got.side[s]
		if !slices.Equal(w.flat, g.flat) || !sameFloats(w.flatVar, g.flatVar) ||
			!slices.Equal(w.total, g.total) || !sameFloats(w.totalVar, g.totalVar) {
			t.Errorf("%s: side %d's sums differ from add's", name, s)
		}
		if len(g.flat) == 0 {
			t.Errorf("%s: side %d has no sums", name, s)
		}
	}
}

// sameFloats compares bit for bit: a sum made in another order differs in
// its last bits, which Equal's tolerance of nothing would catch too, but
// this says what is meant.
func sameFloats(a, b []float64) bool {
	return slices.EqualFunc(a, b, func(x, y float64) bool { return math.Float64bits(x) == math.Float64bits(y) })
}
