package diff

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/heapdiff/heapdiff/profile"
)

const mib = 1 << 20

func TestCheckComparison(t *testing.T) {
	c := compare(t, load(t, "heap-01.pb.gz"), load(t, "heap-12.pb.gz"), Options{})
	total := c.Total[c.Index]
	bc, err := CheckComparison(c, []Budget{
		{TotalGrowth, 20 * mib}, {TotalGrowth, 300 * mib}, {GroupGrowth, 25 * mib},
		{TotalRate, 10 * mib}, {TotalPercent, 100}, {GroupRate, 1000 * mib},
	})
	if err != nil {
		t.Fatal(err)
	}
	r := bc.Results
	if !bc.Over || bc.Type.Type != "inuse_space" || bc.Series {
		t.Fatalf("over %v, type %v, series %v", bc.Over, bc.Type, bc.Series)
	}
	if !r[0].Over || r[0].Value != float64(total.Delta()) || r[0].Noise != total.Noise {
		t.Errorf("total growth: %+v, total %+v", r[0], total)
	}
	if r[1].Over {
		t.Errorf("total growth within 300MiB is over: %+v", r[1])
	}
	if len(r[2].Groups) != 2 || !strings.HasPrefix(r[2].Groups[0].Name, "main.(*SessionStore).Open") ||
		!strings.HasPrefix(r[2].Groups[1].Name, "main.(*JobQueue).Finish") || r[2].Value != r[2].Groups[0].Value {
		t.Errorf("sites over 25MiB: %+v", r[2].Groups)
	}
	if want := float64(total.Delta()) / (110.0 / 60); !r[3].Over || math.Abs(r[3].Value-want) > 1 {
		t.Errorf("total rate %+v, want %v", r[3], want)
	}
	if pct, _ := total.Percent(); !r[4].Over || math.Abs(r[4].Value-pct) > 1e-9 {
		t.Errorf("total percent %+v, want %v", r[4], pct)
	}
	if r[5].Over || len(r[5].Groups) != 0 {
		t.Errorf("site rate within 1000MiB/h: %+v", r[5])
	}
}

// TestNoiseNeverFailsABudget checks that a change larger than the limit
// but within sampling noise passes.
func TestNoiseNeverFailsABudget(t *testing.T) {
	c := compare(t, load(t, "heap-05.pb.gz"), load(t, "heap-12.pb.gz"), Options{By: ByFunc})
	var noisy Row
	for _, r := range c.Rows {
		if ch := r.Flat[c.Index]; ch.Delta() > 0 && !ch.Significant {
			noisy = r
			break
		}
	}
	if noisy.Name == "" {
		t.Fatal("no growth within noise between heap-05 and heap-12")
	}
	delta := noisy.Flat[c.Index].Delta()
	bc, err := CheckComparison(c, []Budget{{GroupGrowth, float64(delta) / 2}})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range bc.Results[0].Groups {
		if s.Name == noisy.Name {
			t.Errorf("%s grew %d within noise %.0f, and fails a budget of %d", noisy.Name, delta, noisy.Flat[c.Index].Noise, delta/2)
		}
	}
	// A total within noise passes too.
	small := *c
	small.Total = []Change{{Base: 100 * mib, Target: 101 * mib, Noise: 1 * mib}}
	small.Index = 0
	bc, _ = CheckComparison(&small, []Budget{{TotalGrowth, 0.5 * mib}})
	if r := bc.Results[0]; bc.Over || r.Value != mib || r.Significant {
		t.Errorf("1MiB of growth with 1MiB of noise: %+v", r)
	}
}

func TestCheckTrend(t *testing.T) {
	tr := trendOf(t, leakyProfiles(t), TrendOptions{Options: Options{By: ByFunc}})
	bc, err := CheckTrend(tr, []Budget{{TotalRate, 10 * mib}, {GroupRate, 28 * mib}, {TotalRate, 100 * mib}, {GroupGrowth, 50 * mib}})
	if err != nil {
		t.Fatal(err)
	}
	r := bc.Results
	if !bc.Series || !r[0].Over || r[0].Value != tr.Total.Fit.Slope {
		t.Errorf("total rate on the trend: %+v, slope %v", r[0], tr.Total.Fit.Slope)
	}
	if len(r[1].Groups) != 1 || r[1].Groups[0].Name != "main.(*SessionStore).Open" {
		t.Errorf("sites over 28MiB/h: %+v", r[1].Groups)
	}
	if r[2].Over {
		t.Errorf("a total rate of 100MiB/h is over: %+v", r[2])
	}
	// Growth on the trend line: slope × span.
	want := tr.Series[0].Fit.Slope * tr.Span.Hours()
	if len(r[3].Groups) != 1 || math.Abs(r[3].Groups[0].Value-want) > 1e-6 {
		t.Errorf("sites over 50MiB of growth: %+v, want %s at %v", r[3].Groups, tr.Series[0].Name, want)
	}
}

func TestRateBudgetNeedsTimes(t *testing.T) {
	a := load(t, "heap-01.pb.gz")
	untimed := *a
	untimed.Time = time.Time{}
	c := compare(t, &untimed, load(t, "heap-12.pb.gz"), Options{})
	if _, err := CheckComparison(c, []Budget{{GroupRate, mib}}); !errors.Is(err, ErrNoTimes) {
		t.Errorf("a rate without times: %v", err)
	}
	if _, err := CheckComparison(c, []Budget{{GroupGrowth, mib}}); err != nil {
		t.Errorf("a growth budget without times: %v", err)
	}
	tr := trendOf(t, []*profile.Profile{&untimed, load(t, "heap-06.pb.gz"), load(t, "heap-12.pb.gz")}, TrendOptions{})
	if _, err := CheckTrend(tr, []Budget{{TotalRate, mib}}); !errors.Is(err, ErrNoTimes) {
		t.Errorf("a rate on an untimed trend: %v", err)
	}
}

// TestCheckTrendFailsOnlyLeakSuspects checks that check agrees with trend: a
// per-site budget on a trend fails the sites trend calls steady growth and
// excuses the others, however fast they grew (the cache of testdata/leaky
// filled over its first snapshots, then held: a plateau).
func TestCheckTrendFailsOnlyLeakSuspects(t *testing.T) {
	tr := trendOf(t, leakyProfiles(t), TrendOptions{Options: Options{By: ByFunc}})
	var cache *Series
	for i := range tr.Series {
		if tr.Series[i].Name == "main.(*Cache).Put" {
			cache = &tr.Series[i]
		}
	}
	if cache == nil || cache.Shape != Plateau || cache.Fit.Slope < mib || !cache.Fit.Significant() {
		t.Fatalf("the cache's series is %+v; the test needs a plateau growing over 1MiB/h", cache)
	}
	bc, err := CheckTrend(tr, []Budget{{GroupRate, mib}})
	if err != nil {
		t.Fatal(err)
	}
	r := bc.Results[0]
	for _, s := range r.Groups {
		if s.Shape != SteadyGrowth {
			t.Errorf("site %s (%s) fails the budget", s.Name, s.Shape)
		}
	}
	if !slices.ContainsFunc(r.Excused, func(s GroupOver) bool { return s.Name == cache.Name && s.Shape == Plateau }) {
		t.Errorf("the cache is not excused: sites %+v, excused %+v", r.Groups, r.Excused)
	}
	if len(r.Groups) != 2 || !r.Over || r.Value != r.Groups[0].Value {
		t.Errorf("want the two leaks over 1MiB/h, worst first as the value: %+v", r)
	}
	// A comparison has no shapes: every significant growth counts.
	c := compare(t, load(t, "heap-01.pb.gz"), load(t, "heap-12.pb.gz"), Options{By: ByFunc})
	bc, err = CheckComparison(c, []Budget{{GroupGrowth, mib}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(bc.Results[0].Groups, func(s GroupOver) bool { return s.Name == cache.Name }) || len(bc.Results[0].Excused) != 0 {
		t.Errorf("the comparison's verdict: %+v", bc.Results[0])
	}
}
