package diff

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestAddChangesIsSumRowsOfTwo adds random changes up one at a time, in
// place, and checks each partial sum against SumRows of the previous sum
// and the next row, to the last bit of the noise.
func TestAddChangesIsSumRowsOfTwo(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const nTypes = 4
	change := func() Change {
		c := Change{Base: rng.Int64N(1 << 30), Target: rng.Int64N(1 << 30), Noise: rng.Float64() * float64(int64(1)<<rng.IntN(30))}
		c.Significant = rng.IntN(2) == 0
		return c
	}
	sum := make([]Change, nTypes)
	for i := range sum {
		sum[i] = change()
	}
	for range 1000 {
		flat := make([]Change, nTypes)
		for i := range flat {
			flat[i] = change()
		}
		want := SumRows([]Row{{Flat: sum}, {Flat: flat}}, nTypes).Flat
		AddChanges(sum, flat)
		for i := range sum {
			w, g := want[i], sum[i]
			if w.Base != g.Base || w.Target != g.Target || math.Float64bits(w.Noise) != math.Float64bits(g.Noise) || w.Significant != g.Significant {
				t.Fatalf("type %d: AddChanges gives %+v, SumRows %+v", i, g, w)
			}
		}
	}
	if !sum[0].Significant && sum[0].Noise == 0 {
		t.Fatal("the sums went nowhere")
	}
}
