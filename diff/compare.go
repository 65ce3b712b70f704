package diff

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/heapdiff/heapdiff/internal/units"
	"github.com/heapdiff/heapdiff/profile"
)

// NoiseThreshold is how many standard deviations of sampling noise a delta
// must exceed to be Significant (see the package documentation).
const NoiseThreshold = 2.0

// Options control a comparison. The zero value groups by site, shows the
// profiles' default sample type and keeps every row.
type Options struct {
	// By chooses how stacks are grouped into rows.
	By Grouping
	// Cum adds cumulative values to every row.
	Cum bool
	// SampleIndex names the sample type rows are sorted by, with pprof's rules
	// ("" is the profile's default, then the last type; "inuse_space" also
	// matches "space"; a number is an index).
	SampleIndex string
	// Focus keeps only stacks with a frame whose function or file matches.
	Focus *regexp.Regexp
	// Ignore drops stacks with a frame whose function or file matches.
	Ignore *regexp.Regexp
	// Hide removes matching frames from stacks, keeping their values; a stack
	// left with no frame is dropped.
	Hide *regexp.Regexp
	// Normalize scales the base profile so that each sample type's total
	// equals the target's. Off by default: a leak grows the total.
	Normalize bool
	// Top keeps only the first Top rows after sorting (0 keeps all); the
	// rest are summed into Comparison.Rest.
	Top int
	// DeferNames leaves stack rows (ByStack) without their Name and Frames,
	// which Row.Named builds for one row when it is used, keeping nothing.
	// --by stack makes a row of every distinct stack, millions in a large
	// profile, and a named row costs kilobytes: a renderer that names rows
	// one at a time as it writes them then holds one name at a time.
	DeferNames bool
	// KeepAgent keeps the stacks that run through heapdiff's capture agent
	// (package github.com/heapdiff/heapdiff/agent and below), which are
	// left out by default: writing a snapshot allocates a couple of MiB
	// that are the agent's, not the service's.
	KeepAgent bool
	// AllowMixed compares profiles whose metadata names different programs
	// (main_module), with a warning, where Compare would refuse them.
	AllowMixed bool
	// Detail, when set, has Compare keep what the rows leave out
	// (Comparison.Detail: the call tree, each row's stacks, the changes by
	// allocation site), as much as it allows, in the same pass over the
	// profiles. Nil keeps none, which costs nothing.
	Detail *DetailOptions
}

// Source describes one of the compared profiles.
type Source struct {
	Name       string
	Format     profile.Format
	Time       time.Time // zero when the profile has no time
	Duration   time.Duration
	PeriodType profile.ValueType
	Period     int64
	Comments   []string
	Notes      []string // the loader's notes (profile.Profile.Notes), also given as warnings
	Symbolized bool
	Stacks     int // distinct stacks in the profile
}

// Change is one value compared: in one row (or the total), for one sample type.
type Change struct {
	Base   int64
	Target int64
	// Noise is the standard deviation of Delta expected from sampling alone;
	// 0 for exact profiles.
	Noise float64
	// Significant is set when Delta is beyond NoiseThreshold standard
	// deviations of Noise. Renderers show "~" when it is not.
	Significant bool
}

// Delta returns Target - Base.
func (c Change) Delta() int64 { return c.Target - c.Base }

// Percent returns Delta as a percentage of Base; ok is false when Base is 0.
func (c Change) Percent() (pct float64, ok bool) {
	if c.Base == 0 {
		return 0, false
	}
	return float64(c.Delta()) / math.Abs(float64(c.Base)) * 100, true
}

// Status classifies a change.
type Status int

// The statuses of a change.
const (
	Same   Status = iota // Delta is 0
	Grew                 // Delta > 0, both sides non-zero
	Shrank               // Delta < 0, both sides non-zero
	New                  // Base is 0, Target is not
	Gone                 // Target is 0, Base is not
)

var statusNames = []string{"same", "grew", "shrank", "new", "gone"}

// String returns the status's name, such as "new".
func (s Status) String() string { return statusNames[s] }

// Status says whether the value is new, gone, grew, shrank or stayed.
func (c Change) Status() Status {
	switch {
	case c.Base == c.Target:
		return Same
	case c.Base == 0:
		return New
	case c.Target == 0:
		return Gone
	case c.Target > c.Base:
		return Grew
	default:
		return Shrank
	}
}

// Row is one group of stacks with its changes for every sample type.
type Row struct {
	// Name identifies the group for people, e.g. "main.(*Store).Add store.go:42".
	// A stack row of a comparison made with Options.DeferNames has none
	// until Named gives it one.
	Name string
	// Frames holds the group's frame (site, func, line) or its whole stack,
	// innermost first (stack); it is empty for package rows, and for stack
	// rows left unnamed by Options.DeferNames.
	Frames []profile.Frame
	// Flat holds one Change per Comparison.Types entry.
	Flat []Change
	// Cum holds cumulative changes, when Options.Cum was set.
	Cum []Change

	// pending, until Compare names the row, is the stack group whose name
	// and frames are built only for the rows kept (see groupInfo).
	pending *groupInfo
	// order is the group's index, to sort rows of equal change and name.
	order int32
	// classKey is, for a heap snapshot's class row, the key of its class
	// (see profile.Profile.ClassKeys), which labels may not tell apart.
	classKey string
	// Objects counts new and deleted objects by id, for heap snapshots
	// compared by class whose ids match; nil otherwise.
	Objects *ObjectChange
}

// Named returns the row with its Name and Frames: r itself, unless r is a
// stack row that Options.DeferNames left unnamed, whose name and frames it
// builds. It keeps nothing, so naming rows one at a time as they are written
// holds one row's name at a time. Every renderer takes a row's name from here.
func (r Row) Named() Row {
	if r.pending != nil {
		r.Name, r.Frames = r.pending.resolve()
		r.pending = nil
	}
	return r
}

// Rest sums the rows that Options.Top cut off.
type Rest struct {
	Rows int
	Flat []Change
}

// Comparison is the result of comparing two profiles.
type Comparison struct {
	Base, Target Source
	By           Grouping
	Cum          bool
	Normalized   bool
	// Types lists the sample types both profiles have, in the target's order.
	Types []profile.ValueType
	// Index is the position in Types of the type rows are sorted by.
	Index int
	// Interval is Target.Time - Base.Time; 0 when either is unknown.
	Interval time.Duration
	// Total holds the whole profile's change for every type.
	Total []Change
	// Rows are sorted: significant growth first (largest first), then
	// significant shrinkage, then changes within noise, then unchanged rows.
	Rows []Row
	// Rest sums the rows beyond Options.Top; Rest.Rows is 0 when none were cut.
	Rest Rest
	// Warnings say what the reader should know to trust the numbers:
	// missing symbols, normalization, mismatched periods, missing times.
	Warnings []error
	// Detail holds what the rows leave out, when Options.Detail asked for
	// it; nil otherwise.
	Detail *Detail
	// Holders says who keeps what grew alive (FindHolders); nil when not
	// asked.
	Holders *Holders
}

// Shown returns the sample type rows are sorted by.
func (c *Comparison) Shown() profile.ValueType { return c.Types[c.Index] }

// RatePerHour returns a change's delta per hour of the interval between the
// two profiles; ok is false when the interval is unknown, negative or
// shorter than MinRateInterval.
func (c *Comparison) RatePerHour(ch Change) (rate float64, ok bool) {
	if c.Interval < MinRateInterval {
		return 0, false
	}
	return float64(ch.Delta()) / c.Interval.Hours(), true
}

// filteredWarning says when Ignore and Hide left out nine tenths or more of
// a profile's value of the shown type (out, against the in that was kept):
// its total, the rows and check's budgets then count a sliver of the heap,
// and a filter that matched more than meant, such as a --hide that empties
// whole stacks, would pass a budget unseen. What a --focus did not match is
// what it means to leave out, and is not counted (see eachStack).
func filteredWarning(name string, typ profile.ValueType, out, in int64) error {
	whole := out + in
	if whole <= 0 || 10*out < 9*whole {
		return nil
	}
	return fmt.Errorf("--ignore and --hide left out %s of the %s %s of %s (%.0f%%): totals, rows and budgets count only the rest",
		units.Format(float64(out), typ.Unit, false), units.Format(float64(whole), typ.Unit, false), typ.Type, name, 100*float64(out)/float64(whole))
}

// Compare compares target against base. It fails when the profiles share no
// sample type, when a shared type has different units, or when SampleIndex
// names no shared type.
func Compare(base, target *profile.Profile, opts Options) (*Comparison, error) {
	if err := sameKind(base, target); err != nil {
		return nil, err
	}
	mixed, err := sameProgram(base, target, opts.AllowMixed)
	if err != nil {
		return nil, err
	}
	if opts.By == ByClass {
		for _, p := range []*profile.Profile{base, target} {
			if err := classesOnly(p); err != nil {
				return nil, err
			}
		}
	}
	types, baseIdx, targetIdx, warnings, err := commonTypes(base, target)
	if err != nil {
		return nil, err
	}
	defaultType := target.DefaultSampleType
	if defaultType == "" {
		defaultType = base.DefaultSampleType
	}
	index, err := profile.SampleIndex(types, defaultType, opts.SampleIndex)
	if err != nil {
		return nil, err
	}
	c := &Comparison{
		Base:       source(base),
		Target:     source(target),
		By:         opts.By,
		Cum:        opts.Cum,
		Normalized: opts.Normalize,
		Types:      types,
		Index:      index,
		Warnings:   warnings,
	}
	c.Warnings = append(c.Warnings, mixed...)
	c.Warnings = append(c.Warnings, sourceWarnings(c.Base, c.Target)...)
	if !c.Base.Time.IsZero() && !c.Target.Time.IsZero() {
		c.Interval = c.Target.Time.Sub(c.Base.Time)
		if c.Interval.Abs() < MinRateInterval {
			c.Warnings = append(c.Warnings, fmt.Errorf("the profiles were taken %v apart, less than %v: too close for a rate per hour", c.Interval, MinRateInterval))
		}
	}

	acc := newAccumulator(opts, len(types))
	var det *detailer
	if opts.Detail != nil {
		det = newDetailer(*opts.Detail, len(types), opts.Hide != nil, len(base.Stacks)+len(target.Stacks))
	}
	if sumsByFrame(opts, base) && sumsByFrame(opts, target) {
		acc.reducePair([2]*profile.Profile{base, target}, [2][]int{baseIdx, targetIdx}, det)
	} else {
		acc.add(0, base, baseIdx, det)
		acc.add(1, target, targetIdx, det)
	}
	acc.forget() // every stack is grouped: the maps that found groups can go
	acc.settleClassLabels()
	for s, p := range []*profile.Profile{base, target} {
		if r := acc.side[s]; r.filtered != nil {
			if w := filteredWarning(p.Name, types[index], r.filtered[index], r.total[index]); w != nil {
				c.Warnings = append(c.Warnings, w)
			}
		}
	}
	if opts.Normalize {
		if w := acc.normalize(); w != nil {
			c.Warnings = append(c.Warnings, w)
		}
	}
	c.Total = acc.totalChanges()
	c.Warnings = append(c.Warnings, wholeTotals(c, base, target, opts)...)
	var sites []Row
	if det != nil && opts.By == BySite && !opts.Cum {
		// Every row is a site of the detail: sorted once, all of them
		// are the detail's, and the first Top the comparison's (a copy:
		// a caller may cut its rows in place, as report.TopShown does).
		sites, _ = acc.rows(index, 0)
		n := len(sites)
		if opts.Top > 0 && n > opts.Top {
			n = opts.Top
			c.Rest = sumRows(sites[n:], len(types))
		}
		c.Rows = slices.Clone(sites[:n])
	} else {
		c.Rows, c.Rest = acc.rows(index, opts.Top)
	}
	if det != nil {
		c.Detail = det.detail(c.Rows, sites, index, opts.Normalize)
	}
	c.Warnings = append(c.Warnings, addObjectChanges(c.Rows, base, target, acc.classKey)...)
	if base.IsHeapSnapshot() && target.IsClassView() {
		for i := range c.Rows {
			if len(c.Rows[i].Frames) == 1 {
				c.Rows[i].classKey = acc.classKey(c.Rows[i])
			}
		}
	}
	if !opts.DeferNames {
		for i := range c.Rows {
			c.Rows[i] = c.Rows[i].Named()
		}
	}
	return c, nil
}

func source(p *profile.Profile) Source {
	return Source{
		Name:       p.Name,
		Format:     p.Format,
		Time:       p.Time,
		Duration:   p.Duration,
		PeriodType: p.PeriodType,
		Period:     p.Period,
		Comments:   p.Comments,
		Notes:      p.Notes,
		Symbolized: p.Symbolized(),
		Stacks:     len(p.Stacks),
	}
}

// commonTypes lists the sample types of target that base also has, with each
// profile's index for each of them.
func commonTypes(base, target *profile.Profile) (types []profile.ValueType, baseIdx, targetIdx []int, warnings []error, err error) {
	inBase := map[string]int{}
	for i, t := range base.SampleTypes {
		inBase[t.Type] = i
	}
	var onlyTarget []string
	for i, t := range target.SampleTypes {
		j, ok := inBase[t.Type]
		if !ok {
			onlyTarget = append(onlyTarget, t.Type)
			continue
		}
		if u := base.SampleTypes[j].Unit; u != t.Unit {
			return nil, nil, nil, nil, fmt.Errorf("sample type %s is in %s in %s but in %s in %s", t.Type, u, base.Name, t.Unit, target.Name)
		}
		types = append(types, t)
		baseIdx = append(baseIdx, j)
		targetIdx = append(targetIdx, i)
		delete(inBase, t.Type)
	}
	if len(types) == 0 {
		return nil, nil, nil, nil, fmt.Errorf("%s and %s cannot be compared: they share no sample type (%s has %s; %s has %s)",
			base.Name, target.Name, base.Name, typeList(base.SampleTypes), target.Name, typeList(target.SampleTypes))
	}
	if len(onlyTarget) > 0 {
		warnings = append(warnings, fmt.Errorf("sample types only in %s are not compared: %s", target.Name, strings.Join(onlyTarget, ", ")))
	}
	if len(inBase) > 0 {
		var only []string
		for _, t := range base.SampleTypes {
			if _, ok := inBase[t.Type]; ok {
				only = append(only, t.Type)
			}
		}
		warnings = append(warnings, fmt.Errorf("sample types only in %s are not compared: %s", base.Name, strings.Join(only, ", ")))
	}
	return types, baseIdx, targetIdx, warnings, nil
}

func typeList(types []profile.ValueType) string {
	s := make([]string, len(types))
	for i, t := range types {
		s[i] = t.String()
	}
	return strings.Join(s, ", ")
}

func sourceWarnings(base, target Source) []error {
	var w []error
	sides := []Source{base, target}
	if base.Name == target.Name {
		sides = sides[:1] // one file against itself: say things once
	}
	for _, s := range sides {
		for _, n := range s.Notes {
			w = append(w, fmt.Errorf("%s: %s", s.Name, n))
		}
		if !s.Symbolized {
			w = append(w, fmt.Errorf("%s has no symbols, so frames are compared by address; capture the protobuf format (debug=0, the default of net/http/pprof and runtime/pprof) or symbolize it with: go tool pprof -proto BINARY %s > symbolized.pb.gz", s.Name, s.Name))
		}
	}
	if base.Period != target.Period || base.PeriodType != target.PeriodType {
		w = append(w, fmt.Errorf("the profiles were sampled differently (%s every %d %s, %s every %d %s); values are comparable, but their noise differs",
			base.Name, base.Period, base.PeriodType.Unit, target.Name, target.Period, target.PeriodType.Unit))
	}
	switch {
	case base.Time.IsZero() || target.Time.IsZero():
		w = append(w, fmt.Errorf("growth per hour is unknown: %s", missingTime(base, target)))
	case target.Time.Before(base.Time):
		w = append(w, fmt.Errorf("the target %s (%s) is older than the base %s (%s): did you swap them?",
			target.Name, units.Time(target.Time), base.Name, units.Time(base.Time)))
	case target.Time.Equal(base.Time):
		w = append(w, fmt.Errorf("both profiles carry the same time, so growth per hour is unknown"))
	}
	return w
}

func missingTime(base, target Source) string {
	switch {
	case base.Time.IsZero() && target.Time.IsZero() && base.Name == target.Name:
		return base.Name + " carries no time"
	case base.Time.IsZero() && target.Time.IsZero():
		return "neither " + base.Name + " nor " + target.Name + " carries a time"
	case base.Time.IsZero():
		return base.Name + " carries no time"
	default:
		return target.Name + " carries no time"
	}
}

// wholeTotals replaces the total of each type whose values overlap between
// stacks (profile.Profile.Whole: a heap snapshot's retained sizes) by the
// profiles' whole values, since the sum of the rows counts memory twice. A
// filter or normalization leaves no whole value to take: the total is then
// the rows' sum, and a warning says what it is.
func wholeTotals(c *Comparison, base, target *profile.Profile, opts Options) []error {
	var warnings []error
	for t, typ := range c.Types {
		bw, inBase, bOK := wholeTotal(base, typ.Type, opts)
		tw, inTarget, tOK := wholeTotal(target, typ.Type, opts)
		if !inBase && !inTarget {
			continue
		}
		if bOK && tOK && !opts.Normalize {
			c.Total[t] = change(bw, tw, 0, 0)
			continue
		}
		warnings = append(warnings, overlapWarning(typ.Type))
	}
	return warnings
}

// wholeTotal says whether the values of sample type typ overlap between p's
// stacks (profile.Profile.Whole), and if so gives p's whole value of it,
// with ok set when opts filter nothing, so that the whole value is the
// total of what is compared. Compare and TrendBuilder both take totals
// through it.
func wholeTotal(p *profile.Profile, typ string, opts Options) (whole int64, overlaps, ok bool) {
	whole, overlaps = p.Whole[typ]
	ok = overlaps && opts.Focus == nil && opts.Ignore == nil && opts.Hide == nil
	return whole, overlaps, ok
}

// overlapWarning says that a total is the sum of rows whose values overlap.
func overlapWarning(typ string) error {
	return fmt.Errorf("the %s total is the sum of rows whose values overlap (each counts what it retains), not the size of the heap", typ)
}
