package diff

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/heapdiff/heapdiff/agent/snapshot"
	"github.com/heapdiff/heapdiff/profile"
)

// ErrMixed is wrapped by the errors that refuse a series whose snapshots come
// from different processes or have different sample types (see
// TrendOptions.AllowMixed).
var ErrMixed = errors.New("snapshots do not belong to one series")

// TrendOptions control a trend.
type TrendOptions struct {
	// Options choose the grouping (By), the sample type (SampleIndex), the
	// filters (Focus, Ignore, Hide) and Top, exactly as for Compare. Cum and
	// Normalize do not apply to a trend and are ignored.
	Options
	// AllowMixed goes on, with a warning, when the snapshots come from
	// different processes or have different sample types; without it the
	// trend fails with an error wrapping ErrMixed.
	AllowMixed bool
	// MinSnapshots is the fewest snapshots Trend accepts: 2 (and never
	// less) is enough for a rate, as a budget check needs; judging a shape
	// needs 3, since two points always lie on a line.
	MinSnapshots int
	// Skip leaves out the first Skip snapshots (in time order), and Since
	// every snapshot taken before it; SinceStart every snapshot taken less
	// than SinceStart after the first one. They keep a service's warm-up
	// (caches filling, pools growing) out of the verdicts. Leaving out
	// snapshots by time needs snapshots that carry one.
	Skip       int
	Since      time.Time
	SinceStart time.Duration
	// KeepValues is how many of the ranked series keep their values
	// (Series.Values, Noise and Alloc): 0, the zero value, keeps every
	// series', n > 0 the first n's, NoValues none. The others carry their
	// verdict without them, and Trend.Unkept sums them. A renderer that
	// writes every value (JSON, CSV) needs them all; one that shows the
	// verdicts with a sparkline (Series.Outline) needs none, and one that
	// draws the first sites and sums the others (the HTML page) as many as
	// it draws. Series that keep their values cost 24 bytes per snapshot
	// each.
	KeepValues int
	// Spill, when set, makes the file where the builder writes the
	// snapshots' values once they pass SpillAfter bytes in memory, so that
	// the builder's memory grows with the groups, not with groups ×
	// snapshots: Trend reads them back a block of groups at a time. It is
	// called at most once, when the values first pass SpillAfter; Close
	// closes the file. Without it, every value stays in memory.
	Spill func() (SpillFile, error)
	// SpillAfter is how many bytes of values the builder holds in memory
	// before it writes them to Spill: 24 bytes per group per snapshot. 0
	// (or less) means DefaultSpillAfter.
	SpillAfter int64
	// Collections says that the caller asked for the collections that grew
	// (Trend.Collections) and loaded the snapshots with them: a trend of
	// profiles that have no object graph (Go's heap profiles) then says so
	// in its Warnings, as a comparison's Holders.Unavailable does.
	Collections bool
}

// NoValues, as TrendOptions.KeepValues, keeps no series' values: the series
// carry their verdicts only.
const NoValues = -1

// ErrNoneLeft is wrapped by Trend when Skip, Since or SinceStart leave out
// too many snapshots.
var ErrNoneLeft = errors.New("too few snapshots after the warm-up")

// ErrSinceNeedsTimes is returned by Trend when Since or SinceStart is asked
// of snapshots whose times cannot order them: some carry none, or all were
// taken within MinRateInterval.
var ErrSinceNeedsTimes = fmt.Errorf("leaving out snapshots by time needs snapshots that carry their times, at least %v apart", MinRateInterval)

// ErrTooFewSnapshots is wrapped by Trend when it has fewer snapshots than
// TrendOptions.MinSnapshots.
var ErrTooFewSnapshots = errors.New("too few snapshots")

// Series is one group's values across the snapshots of a trend, and what
// they say. A series beyond TrendOptions.KeepValues has no Values, Noise
// or Alloc (they are nil), but its verdict (Fit, Growth, Up, Down, Shape,
// StoppedAt) and its methods (Kept, Outline, UpShare) are those it would
// have with them.
type Series struct {
	// Name and Frames identify the group as in a Compare row.
	Name   string
	Frames []profile.Frame
	// Values holds one value per snapshot, in Trend.Snapshots order.
	Values []int64
	// Noise holds each value's standard deviation from sampling alone.
	Noise []float64
	// Alloc holds, where the profiles carry it, the group's cumulative
	// allocations at each snapshot in the values' unit (alloc_space for
	// inuse_space); nil otherwise.
	Alloc []int64
	// Fit is the least-squares line through Values.
	Fit Fit
	// Growth compares the first snapshot with the last, as Compare would.
	Growth Change
	// Up and Down count the steps between consecutive snapshots in which
	// the value grew and in which it shrank.
	Up, Down int
	// Shape is the verdict on the series.
	Shape Shape
	// StoppedAt is, for a Plateau, the index of the snapshot from which the
	// value stopped growing; -1 otherwise.
	StoppedAt int
	// digest holds what Kept and Outline need of the values of a series
	// that does not keep them; nil for one that does.
	digest *seriesDigest
}

// seriesDigest is what a series' methods need of its values, worked out
// before they are dropped.
type seriesDigest struct {
	kept    Kept
	keptOK  bool
	outline []float64
}

// digestOf works out what s's methods need of its values, which it has.
func digestOf(s *Series) *seriesDigest {
	d := &seriesDigest{outline: outline(s.Values)}
	d.kept, d.keptOK = s.Kept()
	return d
}

// dropValues drops s's values, keeping what its methods need of them.
func (s *Series) dropValues() {
	if s.digest == nil {
		s.digest = digestOf(s)
	}
	s.Values, s.Noise, s.Alloc = nil, nil, nil
}

// OutlineWidth is the most points a series' outline has (Series.Outline).
const OutlineWidth = 24

// Outline returns the series' values averaged over at most OutlineWidth
// runs of consecutive snapshots of equal length (within one), one point per
// snapshot when there are fewer: what a sparkline draws. A series without
// its values (TrendOptions.KeepValues) kept its outline.
func (s *Series) Outline() []float64 {
	if s.Values == nil && s.digest != nil {
		return s.digest.outline
	}
	return outline(s.Values)
}

// outline averages values over at most OutlineWidth runs (see Outline).
func outline(values []int64) []float64 {
	n := len(values)
	width := min(n, OutlineWidth)
	points := make([]float64, width)
	for b := range points {
		lo, hi := b*n/width, (b+1)*n/width
		var sum float64
		for _, v := range values[lo:hi] {
			sum += float64(v)
		}
		points[b] = sum / float64(hi-lo)
	}
	return points
}

// UpShare returns the share of the steps in which the value changed that
// were growth: 1 for a value that only ever grew, about 0.5 for a sawtooth.
func (s *Series) UpShare() float64 { return share(s.Up, s.Down) }

// Trend is the result of following a series of snapshots of one process.
type Trend struct {
	By Grouping
	// Type is the sample type followed.
	Type profile.ValueType
	// Snapshots describe the profiles, oldest first.
	Snapshots []Source
	// Skipped counts the snapshots left out as warm-up (TrendOptions.Skip,
	// Since, SinceStart); they are not in Snapshots.
	Skipped int
	// Timed is set when every snapshot has a time: slopes are per hour.
	// Otherwise snapshots are in the order they were added and slopes are
	// per snapshot.
	Timed bool
	// Span is the time from the first snapshot to the last (0 when untimed).
	Span time.Duration
	// Total is the series of the whole profile (after Focus and Ignore). For
	// a type whose values overlap (retained sizes, profile.Profile.Whole) it
	// is each snapshot's whole value when no filter is set, as in Compare.
	Total Series
	// Series holds a series for every group with a non-zero value in some
	// snapshot, ranked: steady growth first, then faint growth, plateau, sawtooth/noisy,
	// flat and shrinking; by slope within each (flat ones by their last
	// value).
	Series []Series
	// Rest sums the series that Options.Top cut; RestCount says how many.
	Rest      *Series
	RestCount int
	// Unkept sums the series in Series that have no values
	// (TrendOptions.KeepValues), for a renderer that draws some series and
	// sums the others; UnkeptCount says how many. Nil when every series
	// kept its values.
	Unkept      *Series
	UnkeptCount int
	// Warnings say what the reader should know to trust the numbers.
	Warnings []error
	// Collections lists the collections of heap snapshots that grew at
	// every step, when the snapshots were loaded with their collections
	// (profile.Options.Retainers or Collections) and their ids match.
	Collections []GrownCollection
}

// RatePerHour returns a series' slope per hour; ok is false when the trend
// has no times.
func (t *Trend) RatePerHour(s *Series) (rate float64, ok bool) {
	if !t.Timed {
		return 0, false
	}
	return s.Fit.Slope, true
}

// TrendBuilder builds a Trend from profiles added one at a time. It keeps
// only each profile's values of the followed sample type per group (and the
// groups' names), never the profiles: a caller can load a profile, Add it,
// and drop it. Those values take 24 bytes per group per snapshot; with a
// spill (TrendOptions.Spill) all but SpillAfter bytes of them go there, so
// that its memory grows with the groups and not with the snapshots. Close
// releases the spill.
type TrendBuilder struct {
	opts  TrendOptions
	g     *grouper
	typ   profile.ValueType
	types []profile.ValueType // the first snapshot's
	snaps []Source
	cols  []column
	// values holds each snapshot's groups' values, in the order the
	// snapshots were added.
	values *valueStore
	// noAlloc is set once a snapshot had no cumulative allocations.
	noAlloc bool
	warns   []error
	// overlapWarned is set once a snapshot's total had to be the sum of
	// overlapping values (see wholeTotal).
	overlapWarned bool
	// filteredWarned is set once the filters left out most of a snapshot
	// (see filteredWarning): one warning names the first.
	filteredWarned bool
}

// column is one snapshot reduced: what it says of the whole profile.
type column struct {
	allocSum int64 // the whole profile's cumulative allocations
	total    int64
	totalVar float64
	process  string    // "host=... pid=..." from its comments, or ""
	counters []counter // unfiltered totals of cumulative (alloc_*) types
	maxID    uint64    // a heap snapshot's largest object id (0: unknown)
	graph    bool      // a heap snapshot: it has an object graph
	// collections and retainers are a heap snapshot's, when it was loaded
	// with them (profile.Options.Retainers, Collections).
	collections *profile.Collections
	retainers   profile.Retainers
}

// NewTrend returns a builder for a trend with the given options.
func NewTrend(opts TrendOptions) *TrendBuilder {
	o := opts.Options
	o.Cum, o.Normalize = false, false
	opts.Options = o
	return &TrendBuilder{opts: opts, g: newGrouper(o), values: newValueStore(opts.Spill, opts.SpillAfter)}
}

// Close closes the builder's spill (TrendOptions.Spill), if it made one.
// Trends it made stay valid; the builder itself cannot be used after.
func (b *TrendBuilder) Close() error { return b.values.close() }

// Add reduces p to its groups' values and adds it to the series. It fails
// when p lacks the followed sample type, and (without AllowMixed) when its
// sample types differ from the first snapshot's.
func (b *TrendBuilder) Add(p *profile.Profile) error {
	return b.AddPrepared(PrepareTrend(p, b.opts))
}

// AddPrepared adds a profile PrepareTrend prepared, as Add adds the
// profile: the same checks, the same values to the last bit.
func (b *TrendBuilder) AddPrepared(pp *TrendPrepared) error {
	p := pp.p
	if b.opts.By == ByClass {
		if err := classesOnly(p); err != nil {
			return err
		}
	}
	if len(b.snaps) == 0 {
		i, err := profile.SampleIndex(p.SampleTypes, p.DefaultSampleType, b.opts.SampleIndex)
		if err != nil {
			return fmt.Errorf("%s: %w", p.Name, err)
		}
		b.typ = p.SampleTypes[i]
		b.types = p.SampleTypes
	} else if !slices.Equal(p.SampleTypes, b.types) {
		err := fmt.Errorf("%w: %s has sample types %s, but %s has %s", ErrMixed,
			b.snaps[0].Name, typeList(b.types), p.Name, typeList(p.SampleTypes))
		if !b.opts.AllowMixed {
			return err
		}
		b.warns = append(b.warns, err)
	}
	t := slices.IndexFunc(p.SampleTypes, func(v profile.ValueType) bool { return v.Type == b.typ.Type })
	if t < 0 {
		return fmt.Errorf("%s has no sample type %s, which the trend follows", p.Name, b.typ.Type)
	}
	if u := p.SampleTypes[t].Unit; u != b.typ.Unit {
		return fmt.Errorf("sample type %s is in %s in %s but in %s in %s", b.typ.Type, b.typ.Unit, b.snaps[0].Name, u, p.Name)
	}
	var r *reduction
	if pp.sums != nil && pp.fits(b.opts.Options) {
		r = b.g.fromFrameSums(pp.pf, pp.sums, len(p.SampleTypes), nil)
	} else {
		r = b.g.reduce(p, allTypes(p))
	}
	if r.filtered != nil && !b.filteredWarned {
		if w := filteredWarning(p.Name, p.SampleTypes[t], r.filtered[t], r.total[t]); w != nil {
			b.warns = append(b.warns, w)
			b.filteredWarned = true
		}
	}
	nt := len(p.SampleTypes)
	col := column{
		total:    r.total[t],
		totalVar: r.totalVar[t],
		process:  processOf(p.Comments),
		counters: pp.counters,
		maxID:    p.MaxObjectID,
		graph:    p.IsHeapSnapshot(),

		collections: p.Collections,
		retainers:   p.Retainers,
	}
	a := allocPartner(p.SampleTypes, t)
	if a >= 0 {
		col.allocSum = r.total[a]
	} else {
		b.noAlloc = true
	}
	groups := len(r.flat) / nt
	data := b.values.column(groups)
	for k := range groups {
		var alloc int64
		if a >= 0 {
			alloc = r.flat[k*nt+a]
		}
		putRecord(data[k*recordSize:], r.flat[k*nt+t], r.flatVar[k*nt+t], alloc)
	}
	if err := b.values.add(data); err != nil {
		return err // the spill's trouble, not p's
	}
	if whole, overlaps, ok := wholeTotal(p, b.typ.Type, b.opts.Options); ok {
		// The values overlap (retained sizes): their sum counts memory
		// more than once, so the total is the whole heap's, as in Compare.
		col.total, col.totalVar = whole, 0
	} else if overlaps && !b.overlapWarned {
		b.warns = append(b.warns, overlapWarning(b.typ.Type))
		b.overlapWarned = true
	}
	b.cols = append(b.cols, col)
	b.snaps = append(b.snaps, source(p))
	return nil
}

// Trend orders the snapshots, checks that they belong to one process, and
// computes every group's series, fit and shape.
func (b *TrendBuilder) Trend() (*Trend, error) {
	if b.values.err != nil {
		return nil, b.values.err // the spill failed, or the builder is closed
	}
	n := len(b.snaps)
	if least := max(2, b.opts.MinSnapshots); n < least {
		return nil, fmt.Errorf("%w: a trend needs at least %d, got %d", ErrTooFewSnapshots, least, n)
	}
	t := &Trend{By: b.opts.By, Type: b.typ, Warnings: slices.Clone(b.warns)}
	order, timed, warn := timeOrder(b.snaps)
	order, repeats := b.withoutRepeats(order)
	if len(repeats) > 0 {
		if least := max(2, b.opts.MinSnapshots); len(order) < least {
			return nil, fmt.Errorf("%w: a trend needs at least %d, got %d different ones (%s)", ErrTooFewSnapshots, least, len(order), repeatNote(repeats))
		}
		// The first and last times stay: the span, and so whether rates
		// are per hour, are the same without the repeats.
		t.Warnings = append(t.Warnings, errors.New(repeatNote(repeats)+": left out"))
	}
	if warn != nil {
		t.Warnings = append(t.Warnings, warn)
	}
	all := len(order)
	order, err := b.afterWarmUp(order, timed)
	if err != nil {
		return nil, err
	}
	n = len(order)
	t.Skipped = all - n
	t.Timed = timed
	for _, j := range order {
		t.Snapshots = append(t.Snapshots, b.snaps[j])
	}
	if err := b.checkOneProcess(order); err != nil {
		if !b.opts.AllowMixed {
			return nil, err
		}
		t.Warnings = append(t.Warnings, err)
	}
	t.Warnings = append(t.Warnings, seriesWarnings(t.Snapshots)...)
	if err == nil {
		t.Collections = b.growingCollections(order)
	}
	if b.opts.Collections && !b.cols[order[0]].graph {
		t.Warnings = append(t.Warnings, errors.New(noObjectGraphs))
	}

	x := make([]float64, n)
	for i, s := range t.Snapshots {
		if timed {
			x[i] = s.Time.Sub(t.Snapshots[0].Time).Hours()
		} else {
			x[i] = float64(i)
		}
	}
	if timed {
		t.Span = t.Snapshots[n-1].Time.Sub(t.Snapshots[0].Time)
	}

	vals := make([]int64, n)
	vars := make([]float64, n)
	// Cumulative allocations count only when every snapshot has them.
	var alloc []int64
	if !b.noAlloc {
		alloc = make([]int64, n)
	}
	for j, c := range order {
		vals[j], vars[j] = b.cols[c].total, b.cols[c].totalVar
		if alloc != nil {
			alloc[j] = b.cols[c].allocSum
		}
	}
	t.Total = newSeries("total", nil, samplingErrors{x: x, vals: vals, vars: vars, alloc: alloc})
	b.g.settleClassLabels()
	keepAll := b.opts.KeepValues == 0
	series, groups, err := b.verdicts(x, order, alloc != nil, !keepAll)
	if err != nil {
		return nil, err
	}
	rankSeries(series, groups)
	shown := len(series)
	if top := b.opts.Top; top > 0 && shown > top {
		shown = top
	}
	keep := shown
	if k := b.opts.KeepValues; k < 0 {
		keep = 0
	} else if k > 0 {
		keep = min(k, shown)
	}
	if err := b.gather(t, x, order, series, groups, shown, keep, alloc != nil); err != nil {
		return nil, err
	}
	if series != nil {
		t.Series = series[:shown:shown]
	}
	return t, nil
}

// trendBlockBytes is about how much memory Trend's block of values takes:
// each group's values, variances and allocations across the snapshots, for
// as many groups at a time as fit. (A variable, so that tests can make
// blocks of a few groups.)
var trendBlockBytes = 8 << 20

// verdicts returns the series of every group with a non-zero value in some
// snapshot of order, and the group each follows. It reads the values a
// block of groups at a time into arrays it uses again for the next block,
// so the series come without their values: with a digest of them (see
// Series.dropValues) when digest is set.
func (b *TrendBuilder) verdicts(x []float64, order []int, withAlloc, digest bool) ([]Series, []int, error) {
	n := len(order)
	groups := min(len(b.g.infos), b.values.groups) // a group no reduction reached has no values
	per := max(1, min(groups, trendBlockBytes/(n*recordSize)))
	vals, vars := make([]int64, per*n), make([]float64, per*n)
	var alloc []int64
	if withAlloc {
		alloc = make([]int64, per*n)
	}
	buf := make([]byte, per*recordSize)
	var series []Series
	var of []int
	for lo := 0; lo < groups; lo += per {
		hi := min(lo+per, groups)
		// A column made before a group was first seen lacks it: 0.
		clear(vals)
		clear(vars)
		clear(alloc)
		for j, c := range order {
			recs, err := b.values.records(c, lo, hi, buf)
			if err != nil {
				return nil, nil, err
			}
			for k := range len(recs) / recordSize {
				v, vr, a := record(recs[k*recordSize:])
				vals[k*n+j], vars[k*n+j] = v, vr
				if alloc != nil {
					alloc[k*n+j] = a
				}
			}
		}
		for k := range hi - lo {
			i, j := k*n, (k+1)*n
			e := samplingErrors{x: x, vals: vals[i:j:j], vars: vars[i:j:j]}
			if alloc != nil {
				e.alloc = alloc[i:j:j]
			}
			if !slices.ContainsFunc(e.vals, func(v int64) bool { return v != 0 }) {
				continue
			}
			name, frames := b.g.infos[lo+k].resolve()
			s := seriesOf(name, frames, e)
			if digest {
				s.dropValues()
			} else {
				s.Values, s.Noise, s.Alloc = nil, nil, nil // the block's, used again
			}
			series = append(series, s)
			of = append(of, lo+k)
		}
	}
	return series, of, nil
}

// gather reads the values back a snapshot at a time: the first keep series
// get theirs, and, in rank order as sumSeries did, those of the series from
// keep to shown are summed in t.Unkept and those after shown (cut by Top)
// in t.Rest.
func (b *TrendBuilder) gather(t *Trend, x []float64, order []int, series []Series, groups []int, shown, keep int, withAlloc bool) error {
	if len(series) == 0 {
		return nil
	}
	n := len(order)
	for i := range series[:keep] {
		s := &series[i]
		s.Values, s.Noise, s.digest = make([]int64, n), make([]float64, n), nil
		if withAlloc {
			s.Alloc = make([]int64, n)
		}
	}
	sum := func() samplingErrors {
		e := samplingErrors{x: x, vals: make([]int64, n), vars: make([]float64, n)}
		if withAlloc {
			e.alloc = make([]int64, n)
		}
		return e
	}
	var unkept, rest samplingErrors
	if keep < shown {
		unkept = sum()
	}
	if shown < len(series) {
		rest = sum()
	}
	buf := make([]byte, b.values.groups*recordSize)
	for j, c := range order {
		recs, err := b.values.records(c, 0, b.values.groups, buf)
		if err != nil {
			return err
		}
		// at returns group g's record; 0 in a column made before g was seen.
		at := func(g int) (int64, float64, int64) {
			if (g+1)*recordSize > len(recs) {
				return 0, 0, 0
			}
			return record(recs[g*recordSize:])
		}
		for i := range series[:keep] {
			s := &series[i]
			v, vr, a := at(groups[i])
			s.Values[j], s.Noise[j] = v, math.Sqrt(vr)
			if s.Alloc != nil {
				s.Alloc[j] = a
			}
		}
		add := func(e samplingErrors, i int) {
			v, vr, a := at(groups[i])
			noise := math.Sqrt(vr) // as the series' Noise: the sum's variance is its square
			e.vals[j] += v
			e.vars[j] += noise * noise
			if e.alloc != nil {
				e.alloc[j] += a
			}
		}
		for i := keep; i < shown; i++ {
			add(unkept, i)
		}
		for i := shown; i < len(series); i++ {
			add(rest, i)
		}
	}
	if keep < shown {
		u := seriesOf(fmt.Sprintf("(%d more)", shown-keep), nil, unkept)
		t.Unkept, t.UnkeptCount = &u, shown-keep
	}
	if shown < len(series) {
		r := seriesOf(fmt.Sprintf("(%d more)", len(series)-shown), nil, rest)
		t.Rest, t.RestCount = &r, len(series)-shown
	}
	return nil
}

// newSeries computes a series' fit, steps and shape. It copies the values,
// variances and allocations.
func newSeries(name string, frames []profile.Frame, e samplingErrors) Series {
	e.vals, e.vars, e.alloc = slices.Clone(e.vals), slices.Clone(e.vars), slices.Clone(e.alloc)
	return seriesOf(name, frames, e)
}

// seriesOf is newSeries on arrays it may keep: the series' values and
// allocations are e's own.
func seriesOf(name string, frames []profile.Frame, e samplingErrors) Series {
	n := len(e.vals)
	s := Series{Name: name, Frames: frames, Values: e.vals, Alloc: e.alloc, Noise: make([]float64, n)}
	for i, v := range e.vars {
		s.Noise[i] = math.Sqrt(v)
	}
	s.Fit = fitLine(e)
	s.Growth = change(e.vals[0], e.vals[n-1], e.vars[0], e.vars[n-1])
	s.Up, s.Down = steps(e.vals)
	s.Shape, s.StoppedAt = shapeOf(e, s.Fit)
	return s
}

// allocPartner returns the index of the cumulative type that counts what
// the followed type t keeps: alloc_space for inuse_space, alloc_objects for
// inuse_objects (same unit); -1 when there is none. Go heap profiles carry
// both, and the live samples are a subset of the allocated ones.
func allocPartner(types []profile.ValueType, t int) int {
	alloc, ok := types[t].Allocated()
	if !ok {
		return -1
	}
	return slices.Index(types, alloc)
}

// rankSeries sorts series by shape (SteadyGrowth first), then by slope,
// largest first (flat series by their last value, faint growth by the
// slope's standard deviations), then by name; groups, the group each
// follows, moves with them.
func rankSeries(all []Series, groups []int) {
	perm := make([]int, len(all))
	for i := range perm {
		perm[i] = i
	}
	slices.SortStableFunc(perm, func(i, j int) int { return compareRank(&all[i], &all[j]) })
	// Put all[perm[k]] at k, a cycle of the permutation at a time, rather
	// than in a copy of every series.
	for i := range perm {
		if perm[i] == i {
			continue
		}
		s, g := all[i], groups[i]
		k := i
		for perm[k] != i {
			next := perm[k]
			all[k], groups[k] = all[next], groups[next]
			perm[k], k = k, next
		}
		all[k], groups[k] = s, g
		perm[k] = k
	}
}

// compareRank orders two series as rankSeries does.
func compareRank(a, b *Series) int {
	if r := cmp.Compare(a.Shape, b.Shape); r != 0 {
		return r
	}
	var r int
	switch a.Shape {
	case Flat:
		// Growth.Target is the last value.
		r = cmp.Compare(abs64(b.Growth.Target), abs64(a.Growth.Target))
	case FaintGrowth:
		// By the strength of the evidence: a leak's growth adds up,
		// a cache's is bounded by what it holds.
		r = cmp.Compare(zScore(b.Fit), zScore(a.Fit))
	default:
		r = cmp.Compare(b.Fit.Slope, a.Fit.Slope)
	}
	if r != 0 {
		return r
	}
	return cmp.Compare(a.Name, b.Name)
}

// afterWarmUp drops from order (oldest first) the snapshots that Skip,
// Since and SinceStart leave out.
func (b *TrendBuilder) afterWarmUp(order []int, timed bool) ([]int, error) {
	o := b.opts
	if o.Skip <= 0 && o.Since.IsZero() && o.SinceStart <= 0 {
		return order, nil
	}
	if (!o.Since.IsZero() || o.SinceStart > 0) && !timed {
		return nil, fmt.Errorf("%w; leave out a number of them instead", ErrSinceNeedsTimes)
	}
	first := b.snaps[order[0]].Time
	kept := order[min(max(o.Skip, 0), len(order)):]
	kept = slices.DeleteFunc(slices.Clone(kept), func(j int) bool {
		t := b.snaps[j].Time
		return !o.Since.IsZero() && t.Before(o.Since) || o.SinceStart > 0 && t.Sub(first) < o.SinceStart
	})
	if least := max(2, o.MinSnapshots); len(kept) < least {
		return nil, fmt.Errorf("%w: %d of %d snapshots are left after the warm-up, and a trend needs at least %d", ErrNoneLeft, len(kept), len(order), least)
	}
	return kept, nil
}

// zScore returns the slope in standard deviations of its noise (+Inf for
// an exact, non-zero slope).
func zScore(f Fit) float64 {
	if f.SlopeNoise == 0 {
		return math.Copysign(math.Inf(1), f.Slope)
	}
	return f.Slope / f.SlopeNoise
}

// withoutRepeats leaves out of order (by time) each snapshot that repeats
// the one before it: the same process, the same time and the same totals,
// as the same file named twice, or a copy of it, would. Counted twice, a
// snapshot makes a step of zero that reads as a plateau, or a leak that
// grew at one step of one. It returns the names of those left out, each
// with the snapshot it repeats. Snapshots without a time are left alone:
// two of them cannot be told apart from a series that did not move.
func (b *TrendBuilder) withoutRepeats(order []int) ([]int, []string) {
	var repeats []string
	kept := order[:0:0]
	for _, j := range order {
		if len(kept) > 0 {
			i := kept[len(kept)-1]
			p, q := &b.cols[i], &b.cols[j]
			if s := b.snaps[j]; !s.Time.IsZero() && s.Time.Equal(b.snaps[i].Time) &&
				p.process == q.process && p.total == q.total && p.allocSum == q.allocSum {
				repeats = append(repeats, s.Name+" repeats "+b.snaps[i].Name)
				continue
			}
		}
		kept = append(kept, j)
	}
	return kept, repeats
}

// repeatNote says which snapshots repeat others (withoutRepeats).
func repeatNote(repeats []string) string {
	return nameList(repeats) + " (the same process, time and totals)"
}

// timeOrder returns the order of the snapshots by time, oldest first, when
// every snapshot has a time and they do not all share one; otherwise the
// order they were added in, with a warning.
func timeOrder(snaps []Source) (order []int, timed bool, warn error) {
	order = make([]int, len(snaps))
	for i := range order {
		order[i] = i
	}
	var untimed []string
	for _, s := range snaps {
		if s.Time.IsZero() {
			untimed = append(untimed, s.Name)
		}
	}
	if len(untimed) > 0 {
		verb := "carries"
		if len(untimed) > 1 {
			verb = "carry"
		}
		return order, false, fmt.Errorf("%s %s no time, so snapshots are taken in the order given and rates are per snapshot", nameList(untimed), verb)
	}
	slices.SortStableFunc(order, func(a, b int) int { return snaps[a].Time.Compare(snaps[b].Time) })
	if span := snaps[order[len(order)-1]].Time.Sub(snaps[order[0]].Time); span < MinRateInterval {
		return order, false, fmt.Errorf("the snapshots span %v, less than %v: too short for rates per hour, so rates are per snapshot", span, MinRateInterval)
	}
	return order, true, nil
}

// nameList names up to three items and counts the rest.
func nameList(names []string) string {
	if len(names) <= 3 {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:3], ", "), len(names)-3)
}

// checkOneProcess returns an error wrapping ErrMixed when the snapshots, in
// order, name different processes in their comments, or when a cumulative
// (alloc_*) total falls from one snapshot to the next, which only a restart
// does.
func (b *TrendBuilder) checkOneProcess(order []int) error {
	first := -1
	for _, c := range order {
		p := b.cols[c].process
		if p == "" {
			continue
		}
		if first < 0 {
			first = c
			continue
		}
		if p != b.cols[first].process {
			return fmt.Errorf("%w: %s comes from %s but %s from %s; a trend across processes mixes unrelated heaps",
				ErrMixed, b.snaps[first].Name, b.cols[first].process, b.snaps[c].Name, p)
		}
	}
	for i := 1; i < len(order); i++ {
		prev, cur := b.cols[order[i-1]], b.cols[order[i]]
		// A heap's object ids only grow while its process lives.
		if prev.maxID > 0 && cur.maxID > 0 && cur.maxID < prev.maxID {
			return fmt.Errorf("%w: the largest object id falls from %d in %s to %d in %s, so the process restarted in between",
				ErrMixed, prev.maxID, b.snaps[order[i-1]].Name, cur.maxID, b.snaps[order[i]].Name)
		}
		for _, before := range prev.counters {
			k := slices.IndexFunc(cur.counters, func(c counter) bool { return c.typ == before.typ })
			// A falling counter means a restart; allow a percent for
			// producers that round.
			slack := before.sum / 100
			if k >= 0 && cur.counters[k].sum < before.sum-slack {
				return fmt.Errorf("%w: the %s total falls from %d in %s to %d in %s, so the process restarted in between",
					ErrMixed, before.typ, before.sum, b.snaps[order[i-1]].Name, cur.counters[k].sum, b.snaps[order[i]].Name)
			}
		}
	}
	return nil
}

// seriesWarnings say what the snapshots' metadata casts doubt on.
func seriesWarnings(snaps []Source) []error {
	var w []error
	var unsymbolized []string
	// The loader's notes, each once, naming the snapshots it concerns.
	var notes []string
	noted := map[string][]string{}
	for _, s := range snaps {
		if !s.Symbolized {
			unsymbolized = append(unsymbolized, s.Name)
		}
		for _, n := range s.Notes {
			if _, ok := noted[n]; !ok {
				notes = append(notes, n)
			}
			noted[n] = append(noted[n], s.Name)
		}
	}
	for _, n := range notes {
		w = append(w, fmt.Errorf("%s: %s", nameList(noted[n]), n))
	}
	if len(unsymbolized) > 0 {
		w = append(w, fmt.Errorf("%s has no symbols, so frames are compared by address; capture the protobuf format (debug=0) or symbolize with go tool pprof -proto BINARY FILE", nameList(unsymbolized)))
	}
	for _, s := range snaps[1:] {
		if s.Period != snaps[0].Period || s.PeriodType != snaps[0].PeriodType {
			w = append(w, fmt.Errorf("the snapshots were sampled differently (%s every %d %s, %s every %d %s); values are comparable, but their noise differs",
				snaps[0].Name, snaps[0].Period, snaps[0].PeriodType.Unit, s.Name, s.Period, s.PeriodType.Unit))
			break
		}
	}
	return w
}

// processOf finds the process a profile names in its comments: the host and
// pid keys, as heapdiff's agent writes them ("heapdiff.pid=42") or bare
// ("pid=42"). It returns "" when the comments name no pid.
func processOf(comments []string) string {
	m := snapshot.ParseComments(comments)
	pid := m.Get("pid")
	if pid == "" {
		return ""
	}
	// A worker thread's heap (Node's file names carry its thread) is
	// another heap than the main thread's.
	if thread := m.Get("thread"); thread != "" && thread != "0" {
		pid += " thread=" + thread
	}
	if host := m.Get("host"); host != "" {
		return "host=" + host + " pid=" + pid
	}
	return "pid=" + pid // Node.js names its files with the pid alone
}

// counter is the total of a cumulative sample type.
type counter struct {
	typ string
	sum int64
}

// counters sums, over every stack, the values of p's cumulative sample types
// (those named alloc_*, which only grow while a process lives).
func counters(p *profile.Profile) []counter {
	var out []counter
	for i, t := range p.SampleTypes {
		if !t.Cumulative() {
			continue
		}
		c := counter{typ: t.Type}
		for _, st := range p.Stacks {
			c.sum += st.Values[i]
		}
		out = append(out, c)
	}
	return out
}
