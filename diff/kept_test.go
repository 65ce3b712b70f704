package diff

import (
	"math"
	"testing"
)

// TestKeptTellsLeaksFromChurnAndCaches checks the share kept on the planted
// behaviour of testdata/leaky, first snapshot to last, in a comparison and
// in a trend: the session leak keeps about all it allocated, the request
// churn about nothing, and both agree within noise.
func TestKeptTellsLeaksFromChurnAndCaches(t *testing.T) {
	ps := leakyProfiles(t)
	c := compare(t, ps[0], ps[len(ps)-1], Options{By: ByFunc})
	tr := trendOf(t, ps, TrendOptions{Options: Options{By: ByFunc}})
	want := map[string]struct{ lo, hi float64 }{
		"main.(*SessionStore).Open": {0.8, 1.1},
		"main.handleRequest":        {-0.05, 0.05},
	}
	for name, w := range want {
		var got Kept
		found := false
		for _, r := range c.Rows {
			if r.Name == name {
				got, found = c.Kept(r.Flat)
			}
		}
		if !found {
			t.Fatalf("%s: no share kept in the comparison", name)
		}
		if got.Share < w.lo || got.Share > w.hi || got.Noise <= 0 || got.Noise > 0.5 {
			t.Errorf("%s keeps %.2f ± %.2f in the comparison, want within [%.2f, %.2f]", name, got.Share, got.Noise, w.lo, w.hi)
		}
		for i := range tr.Series {
			s := &tr.Series[i]
			if s.Name != name {
				continue
			}
			k, ok := s.Kept()
			if !ok || math.Abs(k.Share-got.Share) > 1e-9 || k.Noise <= 0 {
				t.Errorf("%s keeps %.3f ± %.3f (ok %v) in the trend, %.3f in the comparison", name, k.Share, k.Noise, ok, got.Share)
			}
		}
	}
	// A heap snapshot has no allocations to measure against.
	snaps := loadNode(t, "leaky-before.heapsnapshot.gz", "leaky-after.heapsnapshot.gz")
	sc := compare(t, snaps[0], snaps[1], Options{})
	if _, ok := sc.Kept(sc.Total); ok {
		t.Error("a heap snapshot comparison has a share kept")
	}
}
