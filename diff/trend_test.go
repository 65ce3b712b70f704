package diff

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"math/rand"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/heapdiff/heapdiff/profile"
)

func leakyProfiles(t testing.TB) []*profile.Profile {
	t.Helper()
	names, err := filepath.Glob("../testdata/leaky/heap-*.pb.gz")
	if err != nil || len(names) != 12 {
		t.Fatalf("testdata/leaky: %d snapshots, %v", len(names), err)
	}
	ps, err := profile.LoadAll(names, profile.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

func trendOf(t testing.TB, ps []*profile.Profile, opts TrendOptions) *Trend {
	t.Helper()
	b := NewTrend(opts)
	for _, p := range ps {
		if err := b.Add(p); err != nil {
			t.Fatal(err)
		}
	}
	tr, err := b.Trend()
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// planted says what testdata/leakyapp planted, by function.
var planted = map[string]Shape{
	"main.(*SessionStore).Open": SteadyGrowth,
	"main.(*JobQueue).Finish":   SteadyGrowth,
	"main.(*Cache).Put":         Plateau,
	"main.(*Batcher).Grow":      Sawtooth,
	"main.loadConfig":           Flat,
}

// TestTrendFindsPlantedBehaviour checks the verdicts against the ground
// truth of testdata/leakyapp: every planted leak ranks above every site that
// is not one, the cache is a plateau that stopped after it filled (ticks
// 1-4), the batcher a sawtooth, the configuration flat, and the churn never
// shows in use.
func TestTrendFindsPlantedBehaviour(t *testing.T) {
	ps := leakyProfiles(t)
	for _, by := range []Grouping{ByFunc, BySite} {
		t.Run(by.String(), func(t *testing.T) {
			tr := trendOf(t, ps, TrendOptions{Options: Options{By: by}})
			if !tr.Timed || tr.Span != 110*time.Minute || tr.Type.Type != "inuse_space" {
				t.Fatalf("timed %v, span %v, type %v", tr.Timed, tr.Span, tr.Type)
			}
			fn := func(s Series) string { return s.Frames[0].Function }
			lastLeak, firstOther := -1, len(tr.Series)
			found := map[string]bool{}
			for i, s := range tr.Series {
				f := fn(s)
				if strings.HasPrefix(f, "main.handleRequest") && s.Shape != Flat {
					t.Errorf("churn %s is %s", s.Name, s.Shape)
				}
				want, ok := planted[f]
				if !ok {
					if !strings.HasPrefix(f, "main.(*SessionStore)") && !strings.HasPrefix(f, "main.(*JobQueue)") {
						firstOther = min(firstOther, i)
					}
					continue
				}
				// By site, the leaking functions have secondary sites (map
				// and slice growth) that move in steps; the planted
				// behaviour is at the first, largest site of each function.
				if found[f] {
					continue
				}
				found[f] = true
				if s.Shape != want {
					t.Errorf("%s is %s, planted %s (R² %.2f, slope %.0f±%.0f)", s.Name, s.Shape, want, s.Fit.R2, s.Fit.Slope, s.Fit.SlopeNoise)
				}
				if want == SteadyGrowth {
					lastLeak = i
				} else {
					firstOther = min(firstOther, i)
				}
			}
			if by == ByFunc {
				// By function, the configuration is charged to the
				// standard library function that allocates it.
				found["main.loadConfig"] = true
			}
			if len(found) != len(planted) {
				t.Fatalf("found %v of the planted functions", found)
			}
			if lastLeak != 1 || lastLeak >= firstOther {
				t.Errorf("the two leaks rank at most %d, the first other site at %d", lastLeak, firstOther)
			}
			for _, s := range tr.Series {
				// Sampling can put the stop a snapshot early or late.
				if fn(s) == "main.(*Cache).Put" && (s.StoppedAt < 2 || s.StoppedAt > 4) {
					t.Errorf("the cache stopped growing at snapshot %d, want 3 (the last tick that fills it), give or take one", s.StoppedAt)
				}
			}
			if tr.Total.Shape != SteadyGrowth {
				t.Errorf("the total is %s", tr.Total.Shape)
			}
		})
	}
}

// TestTrendAgreesWithCompare checks that a trend groups, filters and
// measures noise exactly as Compare: its growth from the first snapshot to
// the last is Compare's change, row by row.
func TestTrendAgreesWithCompare(t *testing.T) {
	ps := leakyProfiles(t)
	first, last := ps[0], ps[len(ps)-1]
	for _, opts := range []Options{
		{By: BySite},
		{By: ByStack, SampleIndex: "alloc_space"},
		{By: ByPackage, Hide: regexp.MustCompile(`^main\.\(\*`)},
		{By: ByLine, Focus: regexp.MustCompile(`main\.`), Ignore: regexp.MustCompile(`Batcher`), SampleIndex: "inuse_objects"},
	} {
		tr := trendOf(t, ps, TrendOptions{Options: opts})
		c := compare(t, first, last, opts)
		rows := rowsByName(c)
		if tr.Type != c.Shown() {
			t.Fatalf("%+v: trend follows %v, compare shows %v", opts, tr.Type, c.Shown())
		}
		if tr.Total.Growth != c.Total[c.Index] {
			t.Errorf("%+v: total growth %+v, compare %+v", opts, tr.Total.Growth, c.Total[c.Index])
		}
		for _, s := range tr.Series {
			r, ok := rows[s.Name]
			want := Change{}
			if ok {
				want = r.Flat[c.Index]
			}
			if s.Growth != want {
				t.Errorf("%+v: %s growth %+v, compare %+v", opts, s.Name, s.Growth, want)
			}
		}
	}
}

// TestPreparedTrendIsTheReducedOne checks that a trend of profiles
// prepared where they were loaded (summed by row frame, PrepareTrend) is
// the trend the grouper's own reduction makes, to the last bit of every
// value and variance, with and without filters, on the real series of
// testdata/leaky and on generated snapshots.
func TestPreparedTrendIsTheReducedOne(t *testing.T) {
	generated := make([]*profile.Profile, 6)
	for i := range generated {
		generated[i] = snapshotProfile(i, 40, 5, 12)
	}
	for _, tc := range []struct {
		name string
		ps   []*profile.Profile
	}{{"leaky", leakyProfiles(t)}, {"generated", generated}} {
		for _, opts := range []Options{
			{By: BySite},
			{By: ByLine, SampleIndex: "inuse_objects"},
			{By: BySite, Focus: regexp.MustCompile(`main\.|site1`), Ignore: regexp.MustCompile(`Batcher|site12$`)},
			{By: BySite, KeepAgent: true},
		} {
			topts := TrendOptions{Options: opts}
			prepared, reduced := NewTrend(topts), NewTrend(topts)
			for _, p := range tc.ps {
				pp := PrepareTrend(p, topts)
				if pp.sums == nil {
					t.Fatalf("%s %+v: not summed by row frame", tc.name, opts)
				}
				if err := prepared.AddPrepared(pp); err != nil {
					t.Fatal(err)
				}
				ref := PrepareTrend(p, topts)
				ref.sums = nil // the grouper's reduction
				if err := reduced.AddPrepared(ref); err != nil {
					t.Fatal(err)
				}
			}
			got, err := prepared.Trend()
			if err != nil {
				t.Fatal(err)
			}
			want, err := reduced.Trend()
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Series) == 0 || !reflect.DeepEqual(got, want) {
				t.Errorf("%s %+v: the prepared trend differs from the reduced one (%d and %d series)", tc.name, opts,
					len(got.Series), len(want.Series))
			}
		}
	}
	// Prepared under another grouping than the builder's, a profile is
	// reduced again: the trend is the builder's.
	ps := leakyProfiles(t)
	byLine, bySite := NewTrend(TrendOptions{Options: Options{By: ByLine}}), NewTrend(TrendOptions{Options: Options{By: ByLine}})
	for _, p := range ps {
		if err := byLine.Add(p); err != nil {
			t.Fatal(err)
		}
		if err := bySite.AddPrepared(PrepareTrend(p, TrendOptions{Options: Options{By: BySite}})); err != nil {
			t.Fatal(err)
		}
	}
	a, _ := byLine.Trend()
	b, _ := bySite.Trend()
	if !reflect.DeepEqual(a, b) {
		t.Error("a profile prepared by site and added to a trend by line is not reduced by line")
	}
}

func TestTrendOrdersByTime(t *testing.T) {
	ps := leakyProfiles(t)
	shuffled := append([]*profile.Profile(nil), ps...)
	rand.New(rand.NewSource(1)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	a, b := trendOf(t, ps, TrendOptions{}), trendOf(t, shuffled, TrendOptions{})
	for i := range a.Snapshots {
		if a.Snapshots[i].Name != b.Snapshots[i].Name {
			t.Fatalf("snapshot %d: %s in order, %s shuffled", i, a.Snapshots[i].Name, b.Snapshots[i].Name)
		}
	}
	if len(a.Series) != len(b.Series) {
		t.Fatalf("%d sites in order, %d shuffled", len(a.Series), len(b.Series))
	}
	for i := range a.Series {
		if a.Series[i].Name != b.Series[i].Name || a.Series[i].Fit != b.Series[i].Fit {
			t.Errorf("site %d: %s %+v vs %s %+v", i, a.Series[i].Name, a.Series[i].Fit, b.Series[i].Name, b.Series[i].Fit)
		}
	}
}

func TestTrendWithoutTimesUsesFileOrder(t *testing.T) {
	ps := leakyProfiles(t)
	untimed := make([]*profile.Profile, len(ps))
	for i, p := range ps {
		c := *p
		c.Time = time.Time{}
		untimed[i] = &c
	}
	tr := trendOf(t, untimed, TrendOptions{Options: Options{By: ByFunc}})
	if tr.Timed || tr.Span != 0 || len(tr.Warnings) == 0 || !strings.Contains(tr.Warnings[0].Error(), "carry no time") {
		t.Fatalf("timed %v, span %v, warnings %v", tr.Timed, tr.Span, tr.Warnings)
	}
	if _, ok := tr.RatePerHour(&tr.Total); ok {
		t.Error("a rate per hour without times")
	}
	// Snapshots are 10 minutes apart, so the slope per snapshot is a sixth
	// of the slope per hour.
	timed := trendOf(t, ps, TrendOptions{Options: Options{By: ByFunc}})
	if got, want := tr.Series[0].Fit.Slope, timed.Series[0].Fit.Slope/6; math.Abs(got-want) > 1e-6*want {
		t.Errorf("slope per snapshot %v, want %v", got, want)
	}
}

func TestTrendRefusesMixedSnapshots(t *testing.T) {
	ps := leakyProfiles(t)[:4]
	withComments := func(p *profile.Profile, comments ...string) *profile.Profile {
		c := *p
		c.Comments = comments
		return &c
	}
	restarted := *ps[0]
	restarted.Name, restarted.Time = "restarted.pb.gz", ps[3].Time.Add(time.Minute)
	fewer := *ps[3]
	fewer.Name, fewer.SampleTypes = "fewer.pb.gz", ps[3].SampleTypes[2:]
	fewer.Stacks = nil
	for _, tc := range []struct {
		name   string
		series []*profile.Profile
		msg    string
	}{
		{"other process", []*profile.Profile{withComments(ps[0], "heapdiff.host=a", "heapdiff.pid=1"), ps[1], withComments(ps[2], "heapdiff.host=a", "heapdiff.pid=2")},
			"heap-03.pb.gz from host=a pid=2"},
		{"restart", []*profile.Profile{ps[1], ps[2], &restarted}, "alloc_objects total falls from"},
		{"sample types", []*profile.Profile{ps[0], &fewer}, "has sample types"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := NewTrend(TrendOptions{})
			var err error
			for _, p := range tc.series {
				if err = b.Add(p); err != nil {
					break
				}
			}
			if err == nil {
				_, err = b.Trend()
			}
			if !errors.Is(err, ErrMixed) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("error %v, want ErrMixed saying %q", err, tc.msg)
			}
			tr := trendOf(t, tc.series, TrendOptions{AllowMixed: true})
			var warned bool
			for _, w := range tr.Warnings {
				warned = warned || errors.Is(w, ErrMixed)
			}
			if !warned {
				t.Errorf("AllowMixed gives no warning: %v", tr.Warnings)
			}
		})
	}
	allocOnly := fewer
	allocOnly.SampleTypes = ps[3].SampleTypes[:2]
	b := NewTrend(TrendOptions{Options: Options{SampleIndex: "inuse_space"}, AllowMixed: true})
	b.Add(ps[0])
	if err := b.Add(&allocOnly); err == nil || !strings.Contains(err.Error(), "no sample type inuse_space") {
		t.Errorf("a snapshot without the followed type: %v", err)
	}
	if _, err := NewTrend(TrendOptions{}).Trend(); !errors.Is(err, ErrTooFewSnapshots) || !strings.Contains(err.Error(), "at least 2, got 0") {
		t.Errorf("an empty trend: %v", err)
	}
	two := NewTrend(TrendOptions{MinSnapshots: 3})
	two.Add(ps[0])
	two.Add(ps[0])
	if _, err := two.Trend(); !errors.Is(err, ErrTooFewSnapshots) || !strings.Contains(err.Error(), "at least 3, got 2") {
		t.Errorf("two snapshots where three are needed: %v", err)
	}
}

func TestTrendTopSumsTheRest(t *testing.T) {
	ps := leakyProfiles(t)
	all := trendOf(t, ps, TrendOptions{Options: Options{By: ByLine}})
	top := trendOf(t, ps, TrendOptions{Options: Options{By: ByLine, Top: 3}})
	if len(top.Series) != 3 || top.RestCount != len(all.Series)-3 || top.Rest == nil {
		t.Fatalf("top 3 kept %d and %d in the rest of %d", len(top.Series), top.RestCount, len(all.Series))
	}
	for i := range ps {
		sum := top.Rest.Values[i]
		for _, s := range top.Series {
			sum += s.Values[i]
		}
		if sum != top.Total.Values[i] {
			t.Errorf("snapshot %d: sites sum to %d, total %d", i, sum, top.Total.Values[i])
		}
	}
}

func TestFitLine(t *testing.T) {
	x := []float64{0, 1, 2, 4}
	f := fitLine(samplingErrors{x: x, vals: []int64{10, 13, 16, 22}, vars: make([]float64, 4)})
	if f.Slope != 3 || f.Start != 10 || f.R2 != 1 || f.SlopeNoise != 0 || !f.Significant() {
		t.Errorf("exact line: %+v", f)
	}
	f = fitLine(samplingErrors{x: x, vals: []int64{5, 5, 5, 5}, vars: []float64{1, 1, 1, 1}})
	if f.Slope != 0 || f.R2 != 0 || f.Significant() {
		t.Errorf("constant: %+v", f)
	}
	// One sample gained and kept: the accumulating model alone makes the
	// slope exactly one standard deviation, however long it stays, and the
	// other models can only add to that.
	const s = 512 << 10
	v := []int64{0, 0, 0, 0, s, s, s, s, s, s, s, s}
	vars := make([]float64, len(v))
	xs := make([]float64, len(v))
	for i := range v {
		xs[i] = float64(i)
		vars[i] = float64(v[i]) * s
	}
	e := samplingErrors{x: xs, vals: v, vars: vars}
	f = fitLine(e)
	if w := slopeWeights(xs); math.Abs(f.Slope-math.Sqrt(e.accumulating(w))) > 1e-9*f.Slope || f.SlopeNoise < f.Slope || f.Significant() {
		t.Errorf("one sample kept: slope %v, noise %v", f.Slope, f.SlopeNoise)
	}
	if shape, _ := shapeOf(e, f); shape == SteadyGrowth || shape == Plateau {
		t.Errorf("one sample kept is %s", shape)
	}
}

// population simulates the objects of one allocation site as the Go runtime
// samples them: each new object of size bytes is sampled with probability
// p = 1-exp(-size/period) and weighs size/p in the profile, and stays
// sampled (or not) while it lives. Objects die oldest first, as in an LRU
// whose entries are rarely hit.
type population struct {
	rng     *rand.Rand
	p       float64
	scale   float64 // what one sampled object weighs: size/p
	sampled []bool  // live objects, oldest first
	alloc   float64 // the site's alloc_space: every sampled allocation, scaled
}

func (q *population) add(m int) {
	for range m {
		hit := q.rng.Float64() < q.p
		if hit {
			q.alloc += q.scale
		}
		q.sampled = append(q.sampled, hit)
	}
}

// step brings the population to live objects after replacing turnover of
// its oldest ones with new ones.
func (q *population) step(live, turnover int) {
	turnover = min(turnover, len(q.sampled))
	q.sampled = q.sampled[turnover:]
	q.add(turnover)
	if d := live - len(q.sampled); d > 0 {
		q.add(d)
	} else {
		q.sampled = q.sampled[-d:]
	}
}

func (q *population) inuse() int64 {
	n := 0
	for _, s := range q.sampled {
		if s {
			n++
		}
	}
	return int64(math.Round(float64(n) * q.scale))
}

// TestShapesUnderSampling simulates Go's heap sampling for series with known
// behaviour, and checks the verdicts over many seeds: noise, churn and full
// caches that turn over are never a leak (at most the false-positive rate
// of a 2-sigma test), caches that fill and then hold are a plateau, and
// leaks that gather enough samples are found. Every case runs twice: with
// the site's cumulative allocations (alloc_space), as Go heap profiles
// carry them, and without, as formats without them are judged.
func TestShapesUnderSampling(t *testing.T) {
	if raceDetector {
		// 7 s without the race detector, over 2 min with it: pure
		// arithmetic in one goroutine, which it has nothing to find in.
		t.Skip("without -race only: .ci/run runs it so")
	}
	const period, size = 512 << 10, 4 << 10
	p := -math.Expm1(-float64(size) / period)
	const seeds = 200
	// falsePositive is the most steady growth a series that does not grow
	// may get: the one-sided rate of a 2-sigma test, about 2.3%.
	const falsePositive = 0.025
	notLeak := func(s Shape) bool { return s != SteadyGrowth }
	notGrowth := func(s Shape) bool { return s != SteadyGrowth && s != FaintGrowth && s != Plateau }
	// live returns how many objects are live at snapshot i, and turnover
	// how many of the oldest are replaced by new ones before it; n is the
	// number of snapshots, 24 when 0.
	type tcase struct {
		name     string
		live     func(i int) int
		turnover func(i int) int
		want     func(Shape) bool
		rate     float64 // least share of seeds with a wanted verdict
		noAlloc  float64 // the same without allocations, when lower
		n        int
	}
	none := func(int) int { return 0 }
	every := func(m int) func(int) int { return func(int) int { return m } }
	cases := []tcase{
		{"flat", every(3000), none, func(s Shape) bool { return s == Flat }, 1, 0, 0},
		{"churn", every(3000), every(3000), notGrowth, 1 - falsePositive, 0, 0},
		{"few objects", every(200), every(200), notGrowth, 1 - falsePositive, 0, 0},
		{"leak", func(i int) int { return 250 * i }, none, func(s Shape) bool { return s == SteadyGrowth }, 0.95, 0, 0},
		{"one sample", every(128), every(128), func(s Shape) bool { return s == Flat || s == Sawtooth }, 1 - falsePositive, 0, 0},
		// About 9 samples in all, 3 in the last third: a leak at the noise
		// floor, growth but often (rightly) too faint at the end to tell
		// from a cache that filled.
		{"slow leak", func(i int) int { return 50 * i }, none, func(s Shape) bool { return s == SteadyGrowth || s == FaintGrowth }, 0.8, 0.7, 0},
		{"cache", func(i int) int { return 500 * min(i, 8) }, none, func(s Shape) bool { return s == Plateau }, 0.9, 0, 0},
		{"sawtooth", func(i int) int { return 500 + 1000*(i%2) }, every(2000), func(s Shape) bool { return s == Sawtooth }, 0.95, 0, 0},
		// Full LRUs of 2000 entries (8 MiB, about 16 samples) that replace
		// from 1% to all of their entries between snapshots: a constant
		// population whose sampled value wanders in long runs.
		{"full LRU, slow turnover", every(2000), every(20), notLeak, 1 - falsePositive, 0, 30},
		{"full LRU", every(2000), every(60), notLeak, 1 - falsePositive, 0, 30},
		{"full LRU, fast turnover", every(2000), every(200), notLeak, 1 - falsePositive, 0, 30},
		{"full LRU, churning", every(2000), every(2000), notLeak, 1 - falsePositive, 0, 30},
		// The same LRU filling over the first third of the window, then
		// holding: never a leak, mostly a plateau. Without allocations
		// to say what the snapshots share, the end of a leak cannot be
		// told from the wandering of a full cache, and steady growth
		// needs no growth at the end: about one seed in ten comes out
		// steady growth (README, "Limits of the verdicts").
		{"LRU fills then holds", func(i int) int { return min(2000, 200+180*i) }, every(60), notLeak, 1 - falsePositive, 0.85, 30},
		{"LRU fills then holds: plateau", func(i int) int { return min(2000, 200+180*i) }, every(60), func(s Shape) bool { return s == Plateau }, 0.6, 0.5, 30},
		// Long series: extremes of pure noise must not read as movement.
		{"long churn", every(3000), every(3000), func(s Shape) bool { return s == Flat }, 0.9, 0, 200},
		{"long cache", func(i int) int { return 500 * min(i, 40) }, none, func(s Shape) bool { return s == Plateau }, 0.9, 0, 200},
		{"long leak", func(i int) int { return 25 * i }, none, func(s Shape) bool { return s == SteadyGrowth }, 0.95, 0, 200},
	}
	noise := newNoiseModel(&profile.Profile{PeriodType: profile.ValueType{Type: "space", Unit: "bytes"}, Period: period,
		SampleTypes: []profile.ValueType{{Type: "inuse_objects", Unit: "count"}, {Type: "inuse_space", Unit: "bytes"}}}, []int{0, 1})
	out := make([]float64, 2)
	for _, withAlloc := range []bool{true, false} {
		for _, tc := range cases {
			name := tc.name
			if !withAlloc {
				name += ", no alloc_space"
			}
			t.Run(name, func(t *testing.T) {
				n := cmp.Or(tc.n, 24)
				xs := make([]float64, n)
				for i := range xs {
					xs[i] = float64(i) / 6 // every 10 minutes
				}
				good := 0
				counts := map[Shape]int{}
				for seed := int64(0); seed < seeds; seed++ {
					q := &population{rng: rand.New(rand.NewSource(seed)), p: p, scale: size / p}
					e := samplingErrors{x: xs, vals: make([]int64, n), vars: make([]float64, n), alloc: make([]int64, n)}
					for i := range n {
						q.step(tc.live(i), tc.turnover(i))
						e.vals[i] = q.inuse()
						noise.variances([]int64{e.vals[i] / size, e.vals[i]}, out)
						e.vars[i] = out[1]
						e.alloc[i] = int64(q.alloc)
					}
					if !withAlloc {
						e.alloc = nil
					}
					shape, _ := shapeOf(e, fitLine(e))
					counts[shape]++
					if tc.want(shape) {
						good++
					}
				}
				want := tc.rate
				if !withAlloc && tc.noAlloc > 0 {
					want = tc.noAlloc
				}
				if rate := float64(good) / seeds; rate < want {
					t.Errorf("%d of %d seeds as wanted (%.0f%%, want %.0f%%): %v", good, seeds, 100*rate, 100*want, counts)
				}
				t.Logf("%v", counts)
			})
		}
	}
}

// snapshotProfile builds a profile of sites sites, each reached through stacks
// of depth frames with fresh strings, so that keeping any of it alive would
// show in the heap.
func snapshotProfile(i, sites, stacksPerSite, depth int) *profile.Profile {
	p := &profile.Profile{
		Name:        fmt.Sprintf("snap-%03d.pb.gz", i),
		SampleTypes: []profile.ValueType{{Type: "inuse_objects", Unit: "count"}, {Type: "inuse_space", Unit: "bytes"}},
		PeriodType:  profile.ValueType{Type: "space", Unit: "bytes"},
		Period:      512 << 10,
		Time:        time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Minute),
	}
	for s := 0; s < sites; s++ {
		for k := 0; k < stacksPerSite; k++ {
			frames := make([]int32, depth)
			for d := range frames {
				frames[d] = int32(len(p.Frames))
				fn := fmt.Sprintf("example.com/app.caller%d", d)
				if d == 0 {
					fn = fmt.Sprintf("example.com/app.site%d", s)
				}
				p.Frames = append(p.Frames, profile.Frame{Function: fn, File: fmt.Sprintf("/src/app/f%d.go", d), Line: int64(k + 1)})
			}
			p.Stacks = append(p.Stacks, profile.Stack{Frames: frames, Values: []int64{int64(100 * (1 + i)), int64(100 * (1 + i) << 16)}})
		}
	}
	return p
}

// TestTrendMemoryIsBoundedBySites adds many large snapshots and checks that
// the builder keeps per snapshot about what its groups' values take, not
// the profiles: keeping them would cost their whole size each.
func TestTrendMemoryIsBoundedBySites(t *testing.T) {
	const snapshots, sites = 40, 40
	b := NewTrend(TrendOptions{Options: Options{By: ByFunc}})
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	// The first snapshot interns every group; later ones add only values.
	b.Add(snapshotProfile(0, sites, 20, 10))
	before := heap()
	var profileBytes int64
	for i := 1; i < snapshots; i++ {
		p := snapshotProfile(i, sites, 20, 10)
		if i == 1 {
			profileBytes = int64(heap()) - int64(before)
		}
		if err := b.Add(p); err != nil {
			t.Fatal(err)
		}
	}
	grew := int64(heap()) - int64(before)
	runtime.KeepAlive(b)
	perSnapshot := max(0, grew) / (snapshots - 1)
	// Groups by function: the 40 sites and 9 callers, 16 bytes of value
	// and variance each, plus slack for slice growth and bookkeeping.
	if limit := int64(4096); perSnapshot > limit {
		t.Errorf("the builder keeps %d bytes per snapshot (a profile is %d bytes); want at most %d", perSnapshot, profileBytes, limit)
	}
	if profileBytes < 100*perSnapshot {
		t.Errorf("a profile (%d bytes) is not much larger than what is kept of it (%d): the test proves nothing", profileBytes, perSnapshot)
	}
	tr, err := b.Trend()
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Snapshots) != snapshots || tr.Series[0].Shape != SteadyGrowth {
		t.Errorf("%d snapshots, first site %s", len(tr.Snapshots), tr.Series[0].Shape)
	}
}

// BenchmarkTrendAdd measures reducing one snapshot into a trend, and
// reports what the trend keeps of each snapshot next to the size of the
// profile it was reduced from.
func BenchmarkTrendAdd(b *testing.B) {
	heap := func() int64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return int64(m.HeapAlloc)
	}
	start := heap()
	p := snapshotProfile(1, 200, 20, 30)
	profileBytes := heap() - start
	tb := NewTrend(TrendOptions{})
	tb.Add(p)
	before := heap()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := tb.Add(p); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	kept := heap() - before
	runtime.KeepAlive(tb)
	runtime.KeepAlive(p)
	b.ReportMetric(float64(kept)/float64(b.N), "kept-B/snapshot")
	b.ReportMetric(float64(profileBytes), "profile-B")
}

// TestTrendTotalOfRetainedSizes checks that a trend of heap snapshots
// following retained_size takes each snapshot's total from its whole heap,
// as Compare does, not from the sum of overlapping retained sizes; and that
// under a filter, which leaves no whole value, it says so.
func TestTrendTotalOfRetainedSizes(t *testing.T) {
	ps := loadNode(t, "leaky-before.heapsnapshot.gz", "leaky-after.heapsnapshot.gz")
	opts := Options{SampleIndex: profile.SnapshotRetainedSize.Type}
	c := compare(t, ps[0], ps[1], opts)
	tr := trendOf(t, []*profile.Profile{ps[0], ps[1], ps[1]}, TrendOptions{Options: opts})
	if tr.Total.Growth != c.Total[c.Index] {
		t.Errorf("total growth %+v, compare %+v", tr.Total.Growth, c.Total[c.Index])
	}
	if w := ps[0].Whole[opts.SampleIndex]; tr.Total.Values[0] != w {
		t.Errorf("first total %d, the snapshot's whole retained size %d", tr.Total.Values[0], w)
	}
	for _, w := range tr.Warnings {
		if strings.Contains(w.Error(), "overlap") {
			t.Errorf("unfiltered trend warns: %v", w)
		}
	}

	opts.Focus = regexp.MustCompile(`Session`)
	tr = trendOf(t, ps, TrendOptions{Options: opts})
	var warned int
	for _, w := range tr.Warnings {
		if strings.Contains(w.Error(), "overlap") {
			warned++
		}
	}
	if warned != 1 {
		t.Errorf("filtered trend: %d overlap warnings, want 1: %v", warned, tr.Warnings)
	}
}

// TestTrendLeavesOutTheWarmUp checks Skip, Since and SinceStart: the
// snapshots left out are not in the trend, the verdicts are taken on the
// rest, and leaving out too many is an error that says so.
func TestTrendLeavesOutTheWarmUp(t *testing.T) {
	ps := leakyProfiles(t)
	all := trendOf(t, ps, TrendOptions{Options: Options{By: ByFunc}, MinSnapshots: 3})
	first := all.Snapshots[0].Time
	for _, tc := range []struct {
		name string
		opts TrendOptions
		left int
	}{
		{"skip", TrendOptions{Skip: 4}, 8},
		{"since a time", TrendOptions{Since: first.Add(35 * time.Minute)}, 8},
		{"since the start", TrendOptions{SinceStart: 40 * time.Minute}, 8},
		{"both", TrendOptions{Skip: 2, SinceStart: 60 * time.Minute}, 6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := tc.opts
			opts.By, opts.MinSnapshots = ByFunc, 3
			tr := trendOf(t, ps, opts)
			if len(tr.Snapshots) != tc.left || tr.Skipped != 12-tc.left {
				t.Fatalf("%d snapshots, %d skipped; want %d left", len(tr.Snapshots), tr.Skipped, tc.left)
			}
			if want := all.Snapshots[12-tc.left]; tr.Snapshots[0].Name != want.Name {
				t.Errorf("the trend starts at %s, want %s", tr.Snapshots[0].Name, want.Name)
			}
			for _, s := range tr.Series {
				if len(s.Values) != tc.left {
					t.Fatalf("site %s has %d values", s.Name, len(s.Values))
				}
			}
		})
	}
	b := NewTrend(TrendOptions{Skip: 10, MinSnapshots: 3})
	for _, p := range ps {
		if err := b.Add(p); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := b.Trend(); !errors.Is(err, ErrNoneLeft) || !strings.Contains(err.Error(), "2 of 12 snapshots") {
		t.Errorf("skipping 10 of 12 for a trend of 3: %v", err)
	}
	// Since on snapshots whose times cannot order them (here, none) is its
	// own error: no number of snapshots left out would help.
	b = NewTrend(TrendOptions{SinceStart: time.Minute, MinSnapshots: 3})
	for _, p := range ps[:4] {
		untimed := *p
		untimed.Time = time.Time{}
		if err := b.Add(&untimed); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := b.Trend(); !errors.Is(err, ErrSinceNeedsTimes) || errors.Is(err, ErrNoneLeft) {
		t.Errorf("since the start, on snapshots without times: %v", err)
	}
}

// TestTrendSeriesAliasNothingTheyShouldNot checks the series Trend reads
// from the builder's store: snapshots added out of time order, or with
// the warm-up left out, give the same trend as in order, and a trend made
// before more snapshots are added is not changed by them. The leaky
// profiles carry allocations, and later snapshots have sites the first
// lacks.
func TestTrendSeriesAliasNothingTheyShouldNot(t *testing.T) {
	var ps []*profile.Profile
	for i := 1; i <= 12; i++ {
		ps = append(ps, load(t, fmt.Sprintf("heap-%02d.pb.gz", i)))
	}
	build := func(opts TrendOptions, order []int) *Trend {
		t.Helper()
		b := NewTrend(opts)
		for _, i := range order {
			if err := b.Add(ps[i]); err != nil {
				t.Fatal(err)
			}
		}
		tr, err := b.Trend()
		if err != nil {
			t.Fatal(err)
		}
		return tr
	}
	inOrder := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}
	shuffled := []int{7, 2, 11, 0, 5, 9, 1, 10, 3, 8, 6, 4}
	for _, opts := range []TrendOptions{{}, {Options: Options{By: ByFunc}}, {Skip: 3}, {Options: Options{SampleIndex: "alloc_space"}}} {
		want, got := build(opts, inOrder), build(opts, shuffled)
		if !reflect.DeepEqual(got.Series, want.Series) || !reflect.DeepEqual(got.Total, want.Total) {
			t.Errorf("%+v: added out of order, the trend differs", opts)
		}
		if len(want.Series) < 2 || opts.SampleIndex == "" && want.Series[0].Alloc == nil {
			t.Fatalf("%+v: %d series, allocations %v: the test tests nothing", opts, len(want.Series), want.Series[0].Alloc)
		}
	}
	b := NewTrend(TrendOptions{})
	for _, i := range inOrder[:6] {
		b.Add(ps[i])
	}
	first, err := b.Trend()
	if err != nil {
		t.Fatal(err)
	}
	kept := make([][]int64, len(first.Series))
	for i, s := range first.Series {
		kept[i] = slices.Clone(s.Values)
	}
	for _, i := range inOrder[6:] {
		b.Add(ps[i])
	}
	if _, err := b.Trend(); err != nil {
		t.Fatal(err)
	}
	for i, s := range first.Series {
		if !slices.Equal(s.Values, kept[i]) || len(s.Values) != 6 {
			t.Fatalf("series %q changed after more snapshots were added: %v, was %v", s.Name, s.Values, kept[i])
		}
	}
}

// TestTrendLeavesOutRepeatedSnapshots checks that a snapshot given twice
// (one file named twice, or a copy under another name) counts once, with
// a warning naming it: counted twice, the cache that fills in the first
// snapshots of testdata/leaky and then holds read as steady growth.
func TestTrendLeavesOutRepeatedSnapshots(t *testing.T) {
	ps := leakyProfiles(t)
	copyOf := func(p *profile.Profile) *profile.Profile {
		c := *p
		c.Name = "copy-of-" + filepath.Base(p.Name)
		return &c
	}
	once := trendOf(t, []*profile.Profile{ps[0], ps[11], ps[5]}, TrendOptions{})
	twice := trendOf(t, []*profile.Profile{ps[0], ps[5], ps[11], copyOf(ps[11]), ps[11]}, TrendOptions{})
	if len(twice.Snapshots) != 3 || twice.Snapshots[2].Name != ps[11].Name {
		t.Fatalf("snapshots %v: want the three different ones", twice.Snapshots)
	}
	var warned bool
	for _, w := range twice.Warnings {
		warned = warned || strings.Contains(w.Error(), "copy-of-heap-12.pb.gz repeats") && strings.Contains(w.Error(), "left out")
	}
	if !warned {
		t.Errorf("no warning names the repeat: %v", twice.Warnings)
	}
	for i := range once.Series {
		if a, b := once.Series[i], twice.Series[i]; a.Name != b.Name || a.Shape != b.Shape || a.Fit != b.Fit {
			t.Errorf("series %d: %s %s %+v with the repeats, want %s %s %+v", i, b.Name, b.Shape, b.Fit, a.Name, a.Shape, a.Fit)
		}
	}
	// Too few left: the error says why.
	b := NewTrend(TrendOptions{MinSnapshots: 3})
	for _, p := range []*profile.Profile{ps[0], ps[1], copyOf(ps[1])} {
		if err := b.Add(p); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := b.Trend(); !errors.Is(err, ErrTooFewSnapshots) || !strings.Contains(err.Error(), "got 2 different ones") {
		t.Errorf("two different snapshots of three: %v", err)
	}
}
