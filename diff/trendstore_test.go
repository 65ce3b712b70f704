package diff

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/heapdiff/heapdiff/profile"
)

// memSpill is a SpillFile in memory that counts what goes through it, and
// fails as told.
type memSpill struct {
	data             []byte
	written, read    int
	closed           bool
	failWrite        error
	failRead         error
	shortRead        bool // ReadAt gives one byte less, and no error
	opened, reopened bool
}

func (m *memSpill) WriteAt(b []byte, off int64) (int, error) {
	if m.failWrite != nil {
		return 0, m.failWrite
	}
	if end := int(off) + len(b); end > len(m.data) {
		m.data = append(m.data, make([]byte, end-len(m.data))...)
	}
	m.written += copy(m.data[off:], b)
	return len(b), nil
}

func (m *memSpill) ReadAt(b []byte, off int64) (int, error) {
	if m.failRead != nil {
		return 0, m.failRead
	}
	if off >= int64(len(m.data)) {
		return 0, io.EOF
	}
	n := copy(b, m.data[off:])
	if m.shortRead && n > 0 {
		n--
	}
	m.read += n
	if n < len(b) && !m.shortRead {
		return n, io.EOF
	}
	return n, nil
}

func (m *memSpill) Close() error {
	m.closed = true
	return nil
}

// spillTo returns a TrendOptions.Spill that gives m, and notes a second
// call, which the builder should never make.
func spillTo(m *memSpill) func() (SpillFile, error) {
	return func() (SpillFile, error) {
		m.reopened = m.opened
		m.opened = true
		return m, nil
	}
}

// lateSites returns snapshot i of a generated series whose every snapshot
// adds sites the earlier ones lack, some sites vanishing later, with Go's
// four sample types (so the noise model has allocations to go on) and the
// variety of shapes a trend ranks: steady growth, plateaus, sawtooths,
// flat and shrinking sites.
func lateSites(i int) *profile.Profile {
	p := &profile.Profile{
		Name: fmt.Sprintf("late-%02d.pb.gz", i),
		SampleTypes: []profile.ValueType{{Type: "alloc_objects", Unit: "count"}, {Type: "alloc_space", Unit: "bytes"},
			{Type: "inuse_objects", Unit: "count"}, {Type: "inuse_space", Unit: "bytes"}},
		DefaultSampleType: "inuse_space",
		PeriodType:        profile.ValueType{Type: "space", Unit: "bytes"},
		Period:            512 << 10,
		Time:              time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC).Add(time.Duration(i) * 10 * time.Minute),
		Comments:          []string{"host=test", "pid=7"},
	}
	rng := rand.New(rand.NewSource(int64(i)))
	for s := range 3 + 2*i {
		var objects int64
		switch s % 5 {
		case 0: // a leak from the snapshot it appears in
			objects = int64(10 * (1 + i - s/2))
		case 1: // a cache that fills, then holds
			objects = int64(40 * min(1+i-s/2, 4))
		case 2: // a sawtooth
			objects = int64(20 + 30*(i%3))
		case 3: // flat, with sampling jitter
			objects = int64(50 + rng.Intn(3))
		case 4: // shrinking, then gone
			objects = max(0, int64(200-25*(i-s/2)))
		}
		size := int64(64 << (s % 4))
		alloc := objects + int64(i*(s+1))
		fn := fmt.Sprintf("example.com/app.site%d", s)
		p.Frames = append(p.Frames, profile.Frame{Function: fn, File: "/src/app/app.go", Line: int64(s + 1)})
		p.Stacks = append(p.Stacks, profile.Stack{Frames: []int32{int32(len(p.Frames) - 1)},
			Values: []int64{alloc, alloc * size, objects, objects * size}})
	}
	return p
}

// spillCases are the series the store must give the same trend from,
// whether its values stay in memory or go to a spill.
func spillCases(t *testing.T) map[string][]*profile.Profile {
	leaky := leakyProfiles(t)
	var late []*profile.Profile
	for i := range 16 {
		late = append(late, lateSites(i))
	}
	shuffle := func(ps []*profile.Profile) []*profile.Profile {
		out := slices.Clone(ps)
		rand.New(rand.NewSource(3)).Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
		return out
	}
	untimed := make([]*profile.Profile, len(late))
	for i, p := range late {
		c := *p
		c.Time = time.Time{}
		untimed[i] = &c
	}
	return map[string][]*profile.Profile{
		"leaky":                     leaky,
		"leaky, added out of order": shuffle(leaky),
		"late sites":                late,
		"late sites, out of order":  shuffle(late),
		"late sites, untimed":       untimed,
	}
}

// spillOptions are the options each case is tried with.
var spillOptions = []TrendOptions{
	{},
	{Options: Options{By: ByFunc}},
	{Skip: 3},
	{Options: Options{SampleIndex: "alloc_space"}},
	{Options: Options{Top: 3}},
	{Options: Options{Top: 4}, Skip: 2},
	{Options: Options{By: ByStack, Top: 2}},
}

// TestTrendIsTheSameFromASpill checks that a trend whose values went to a
// spill, every snapshot's as it came or some of them, is the trend whose
// values stayed in memory, down to the last bit of every series, the total
// and the rest Top cut: over the leaky app's snapshots and a generated
// series whose sites appear late, in time order or not, with and without
// times, warm-up left out, and Top.
func TestTrendIsTheSameFromASpill(t *testing.T) {
	usualBlock := trendBlockBytes
	t.Cleanup(func() { trendBlockBytes = usualBlock })
	for name, ps := range spillCases(t) {
		for _, opts := range spillOptions {
			if opts.Skip > 0 && strings.Contains(name, "untimed") {
				continue // a count works without times, but needs no second test
			}
			want := trendOf(t, ps, opts)
			if len(want.Series) < 2 {
				t.Fatalf("%s %+v: %d series: the test tests nothing", name, opts, len(want.Series))
			}
			// Every column spilled as it comes, then a third of them held
			// in memory at a time.
			all := &memSpill{}
			o := opts
			o.Spill, o.SpillAfter = spillTo(all), 1
			trendOf(t, ps, o)
			// Blocks of one group and of a few, as well as the usual one
			// block for so few groups.
			oneGroup, fewGroups := 1, 7*recordSize*len(ps)
			for _, v := range []struct {
				after int64
				block int
			}{{1, oneGroup}, {int64(all.written / 3), fewGroups}, {int64(all.written / 3), usualBlock}, {1, usualBlock}} {
				m := &memSpill{}
				o := opts
				o.Spill, o.SpillAfter = spillTo(m), v.after
				trendBlockBytes = v.block
				got := trendOf(t, ps, o)
				trendBlockBytes = usualBlock
				if !reflect.DeepEqual(got, want) {
					t.Errorf("%s %+v, spill after %d bytes, blocks of %d bytes: the trend differs from the one held in memory", name, opts, v.after, v.block)
				}
				if m.written == 0 || m.read == 0 || m.reopened {
					t.Errorf("%s %+v, spill after %d bytes: %d bytes written, %d read, opened twice %v: the spill was not used as it should be",
						name, opts, v.after, m.written, m.read, m.reopened)
				}
			}
		}
	}
}

// sumSeriesAsBefore is how Trend summed the series Top cut before the
// values went to a store: the Rest it makes now must be the same.
func sumSeriesAsBefore(x []float64, all []Series) Series {
	n := len(x)
	e := samplingErrors{x: x, vals: make([]int64, n), vars: make([]float64, n)}
	if len(all) > 0 && all[0].Alloc != nil {
		e.alloc = make([]int64, n)
	}
	for _, s := range all {
		for i := range e.vals {
			e.vals[i] += s.Values[i]
			e.vars[i] += s.Noise[i] * s.Noise[i]
			if e.alloc != nil {
				e.alloc[i] += s.Alloc[i]
			}
		}
	}
	return newSeries(fmt.Sprintf("(%d more)", len(all)), nil, e)
}

// positions returns a trend's x: hours from the first snapshot, or
// snapshot indexes when untimed.
func positions(tr *Trend) []float64 {
	x := make([]float64, len(tr.Snapshots))
	for i, s := range tr.Snapshots {
		if tr.Timed {
			x[i] = s.Time.Sub(tr.Snapshots[0].Time).Hours()
		} else {
			x[i] = float64(i)
		}
	}
	return x
}

// TestTrendTopSumsTheRestAsBefore checks that the series Top cuts are
// summed, in rank order, exactly as they were when every series kept its
// values, so Rest's noise and verdict do not change by a bit.
func TestTrendTopSumsTheRestAsBefore(t *testing.T) {
	for name, ps := range spillCases(t) {
		for _, top := range []int{1, 3, 6} {
			all := trendOf(t, ps, TrendOptions{})
			cut := trendOf(t, ps, TrendOptions{Options: Options{Top: top}, KeepValues: NoValues})
			if len(all.Series) <= top {
				t.Fatalf("%s: %d series, none for Top %d to cut", name, len(all.Series), top)
			}
			want := sumSeriesAsBefore(positions(all), all.Series[top:])
			if !reflect.DeepEqual(*cut.Rest, want) || cut.RestCount != len(all.Series)-top {
				t.Errorf("%s, top %d: the rest of %d is %+v, want %+v", name, top, cut.RestCount, *cut.Rest, want)
			}
		}
	}
}

// TestKeepValues checks what TrendOptions.KeepValues keeps: the values of
// the first n ranked series, of all (0), or of none (NoValues); every series
// keeps its verdict, its Kept and its Outline either way; and Unkept sums
// the values of those that did not keep them.
func TestKeepValues(t *testing.T) {
	for name, ps := range spillCases(t) {
		for _, opts := range []TrendOptions{{}, {Options: Options{Top: 5}}} {
			full := trendOf(t, ps, opts)
			n := len(full.Series)
			for _, keep := range []int{1, 3, n, n + 5, NoValues} {
				for _, spill := range []bool{false, true} {
					o := opts
					o.KeepValues = keep
					if spill {
						o.Spill, o.SpillAfter = spillTo(&memSpill{}), 1
					}
					got := trendOf(t, ps, o)
					what := fmt.Sprintf("%s %+v, keep %d, spill %v", name, opts, keep, spill)
					checkKept(t, what, full, got, max(0, min(keep, n)))
				}
			}
		}
	}
}

func checkKept(t *testing.T, what string, full, got *Trend, kept int) {
	t.Helper()
	if len(got.Series) != len(full.Series) {
		t.Fatalf("%s: %d series, want %d", what, len(got.Series), len(full.Series))
	}
	if !reflect.DeepEqual(got.Total, full.Total) || !reflect.DeepEqual(got.Rest, full.Rest) || got.RestCount != full.RestCount {
		t.Errorf("%s: the total or the rest differ", what)
	}
	verdict := func(s Series) Series {
		s.Values, s.Noise, s.Alloc, s.digest = nil, nil, nil, nil
		return s
	}
	for i := range full.Series {
		f, g := &full.Series[i], &got.Series[i]
		if !reflect.DeepEqual(verdict(*g), verdict(*f)) {
			t.Errorf("%s: series %d: verdict %+v, want %+v", what, i, verdict(*g), verdict(*f))
		}
		fk, fok := f.Kept()
		gk, gok := g.Kept()
		if fk != gk || fok != gok || !slices.Equal(g.Outline(), f.Outline()) {
			t.Errorf("%s: series %d: kept %v %v, outline %v; want %v %v, %v", what, i, gk, gok, g.Outline(), fk, fok, f.Outline())
		}
		if i < kept {
			if !slices.Equal(g.Values, f.Values) || !slices.Equal(g.Noise, f.Noise) || !slices.Equal(g.Alloc, f.Alloc) {
				t.Errorf("%s: series %d kept other values", what, i)
			}
		} else if g.Values != nil || g.Noise != nil || g.Alloc != nil {
			t.Errorf("%s: series %d beyond %d kept its values", what, i, kept)
		}
	}
	if kept == len(full.Series) {
		if got.Unkept != nil || got.UnkeptCount != 0 {
			t.Errorf("%s: every series kept its values, but Unkept sums %d", what, got.UnkeptCount)
		}
		return
	}
	if got.Unkept == nil || got.UnkeptCount != len(full.Series)-kept {
		t.Fatalf("%s: Unkept %v sums %d series, want %d", what, got.Unkept, got.UnkeptCount, len(full.Series)-kept)
	}
	want := sumSeriesAsBefore(positions(full), full.Series[kept:])
	if !reflect.DeepEqual(*got.Unkept, want) {
		t.Errorf("%s: Unkept is %+v, want %+v", what, *got.Unkept, want)
	}
}

// TestOutline checks a series' outline against means worked out by hand.
func TestOutline(t *testing.T) {
	long := make([]int64, 48)
	for i := range long {
		long[i] = int64(i)
	}
	for _, tc := range []struct {
		values []int64
		want   []float64
	}{
		{nil, []float64{}},
		{[]int64{3, -1, 4}, []float64{3, -1, 4}},
		{long, []float64{0.5, 2.5, 4.5, 6.5, 8.5, 10.5, 12.5, 14.5, 16.5, 18.5, 20.5, 22.5, 24.5, 26.5, 28.5, 30.5, 32.5, 34.5, 36.5, 38.5, 40.5, 42.5, 44.5, 46.5}},
		// 25 values in 24 runs: the last run holds two.
		{append(make([]int64, 23), 2, 4), append(make([]float64, 23), 3)},
	} {
		s := Series{Values: tc.values}
		if got := s.Outline(); !slices.Equal(got, tc.want) {
			t.Errorf("outline of %v = %v, want %v", tc.values, got, tc.want)
		}
	}
}

// TestSpillFailures checks that a spill that cannot be made, written or
// read back makes Add or Trend fail with an error that wraps ErrSpill and
// says what went wrong, and that the builder fails the same way after.
func TestSpillFailures(t *testing.T) {
	ps := leakyProfiles(t)
	boom := errors.New("no space left on device")
	build := func(spill func() (SpillFile, error)) (addErr, trendErr error) {
		b := NewTrend(TrendOptions{Spill: spill, SpillAfter: 1})
		for _, p := range ps {
			if err := b.Add(p); err != nil && addErr == nil {
				addErr = err
			}
		}
		_, trendErr = b.Trend()
		return addErr, trendErr
	}
	for _, tc := range []struct {
		name          string
		spill         func() (SpillFile, error)
		failsAdd      bool
		wantSomewhere string
	}{
		{"cannot be made", func() (SpillFile, error) { return nil, boom }, true, "making it: no space left on device"},
		{"no file", func() (SpillFile, error) { return nil, nil }, true, "returned no file"},
		{"write fails", spillTo(&memSpill{failWrite: boom}), true, "writing"},
		{"read fails", spillTo(&memSpill{failRead: boom}), false, "reading back"},
		{"short read", spillTo(&memSpill{shortRead: true}), false, io.ErrUnexpectedEOF.Error()},
	} {
		addErr, trendErr := build(tc.spill)
		if tc.failsAdd != (addErr != nil) {
			t.Errorf("%s: Add gave %v", tc.name, addErr)
		}
		for _, err := range []error{addErr, trendErr} {
			if err == nil {
				continue
			}
			if !errors.Is(err, ErrSpill) || !strings.Contains(err.Error(), tc.wantSomewhere) {
				t.Errorf("%s: %v; want an error wrapping ErrSpill that says %q", tc.name, err, tc.wantSomewhere)
			}
			if tc.name != "short read" && tc.name != "no file" && !errors.Is(err, boom) {
				t.Errorf("%s: %v does not wrap the spill's own error", tc.name, err)
			}
		}
		if trendErr == nil {
			t.Errorf("%s: Trend succeeded on values it could not keep or read back", tc.name)
		}
	}
}

// TestTrendBuilderClose checks that Close closes the spill, that a trend
// made before stays whole, and that the builder refuses work after.
func TestTrendBuilderClose(t *testing.T) {
	ps := leakyProfiles(t)
	m := &memSpill{}
	b := NewTrend(TrendOptions{Spill: spillTo(m), SpillAfter: 1})
	for _, p := range ps[:6] {
		if err := b.Add(p); err != nil {
			t.Fatal(err)
		}
	}
	tr, err := b.Trend()
	if err != nil {
		t.Fatal(err)
	}
	want := trendOf(t, ps[:6], TrendOptions{})
	if err := b.Close(); err != nil || !m.closed {
		t.Fatalf("Close: %v, spill closed %v", err, m.closed)
	}
	if !reflect.DeepEqual(tr, want) {
		t.Error("the trend made before Close changed")
	}
	if err := b.Add(ps[6]); err == nil {
		t.Error("Add after Close succeeded")
	}
	if _, err := b.Trend(); err == nil {
		t.Error("Trend after Close succeeded")
	}
	if err := NewTrend(TrendOptions{}).Close(); err != nil {
		t.Errorf("closing a builder without a spill: %v", err)
	}
}

// TestTrendRanksAsBefore checks the ranking, which no longer reads the
// values, against the rule as it was written when it did: flat series by
// their last value, faint growth by the slope's standard deviations, the
// others by slope, then by name.
func TestTrendRanksAsBefore(t *testing.T) {
	before := func(a, b *Series) int {
		if r := cmp.Compare(a.Shape, b.Shape); r != 0 {
			return r
		}
		var r int
		switch a.Shape {
		case Flat:
			r = cmp.Compare(abs64(b.Values[len(b.Values)-1]), abs64(a.Values[len(a.Values)-1]))
		case FaintGrowth:
			r = cmp.Compare(zScore(b.Fit), zScore(a.Fit))
		default:
			r = cmp.Compare(b.Fit.Slope, a.Fit.Slope)
		}
		return cmp.Or(r, cmp.Compare(a.Name, b.Name))
	}
	flats := 0
	for name, ps := range spillCases(t) {
		for _, opts := range spillOptions {
			opts.Top = 0
			tr := trendOf(t, ps, opts)
			for i := 1; i < len(tr.Series); i++ {
				if a, b := &tr.Series[i-1], &tr.Series[i]; before(a, b) > 0 {
					t.Errorf("%s %+v: %s (%s, last %d) ranks before %s (%s, last %d)", name, opts, a.Name, a.Shape, a.Growth.Target, b.Name, b.Shape, b.Growth.Target)
				}
				if tr.Series[i].Shape == Flat && tr.Series[i-1].Shape == Flat {
					flats++
				}
			}
		}
	}
	if flats == 0 {
		t.Error("no two flat series ranked: the test tests nothing")
	}
}
