package diff

import (
	"cmp"
	"errors"
	"math"
	"slices"
	"time"

	"github.com/heapdiff/heapdiff/profile"
)

// Measure names what a Budget bounds.
type Measure int

// The measures a budget can bound.
const (
	// TotalGrowth is the whole profile's growth, in the sample type's unit.
	TotalGrowth Measure = iota
	// TotalPercent is the whole profile's growth as a percentage of its
	// starting value.
	TotalPercent
	// GroupGrowth is any one group's growth (a row of a comparison, a
	// series of a trend), whatever the grouping; people and the CLI call it
	// "site growth" (--max-site-growth), after the default grouping.
	GroupGrowth
	// TotalRate is the whole profile's growth per hour.
	TotalRate
	// GroupRate is any one group's growth per hour ("site rate").
	GroupRate
)

var measureNames = []string{"total growth", "total growth %", "site growth", "total rate", "site rate"}
var measureKeys = []string{"total_growth", "total_percent", "site_growth", "total_rate", "site_rate"}

// String returns the measure as people read it, such as "site growth".
func (m Measure) String() string { return measureNames[m] }

// Key returns the measure as machines read it, such as "site_growth".
func (m Measure) Key() string { return measureKeys[m] }

// PerGroup reports whether the measure applies to every group rather than to
// the total.
func (m Measure) PerGroup() bool { return m == GroupGrowth || m == GroupRate }

// Budget is one bound that check enforces: Measure may be at most Max.
type Budget struct {
	Measure Measure
	Max     float64
}

// ErrNoTimes is returned when a rate is budgeted but the profiles carry no
// times.
var ErrNoTimes = errors.New("a rate budget needs profiles that carry their time, taken at least 10s apart")

// BudgetCheck is the verdict of a set of budgets on a comparison or a trend.
type BudgetCheck struct {
	// Type is the sample type judged.
	Type profile.ValueType
	// Series is set when the verdict was taken on a trend: growth is then
	// the trend line's (slope × span), and rates its slope.
	Series bool
	// From and To are the first and last profiles judged: a comparison's
	// base and target, or a series' first and last snapshots.
	From, To Source
	// Snapshots counts the profiles judged: 2 for a comparison.
	Snapshots int
	// Interval is the time from From to To; 0 when unknown.
	Interval time.Duration
	// Results holds one result per budget, in the order given.
	Results []BudgetResult
	// Over is set when any budget is over.
	Over bool
	// Warnings are the comparison's or the trend's (Comparison.Warnings,
	// Trend.Warnings): profiles given in the wrong order, from different
	// processes, snapshots left out. A verdict is read with them.
	Warnings []error
}

// BudgetResult is the verdict of one budget.
type BudgetResult struct {
	Budget
	// Value is what was measured: the total's, or for a per-group budget
	// the largest group's. It is +Inf for a percentage of a zero start.
	Value float64
	// Noise is Value's standard deviation from sampling alone.
	Noise float64
	// Significant says Value is beyond noise (NoiseThreshold deviations).
	Significant bool
	// Over is set when Value exceeds Max and is significant: a change
	// within noise never fails a budget.
	Over bool
	// Groups lists, for a per-group budget, every group over it, worst
	// first.
	Groups []GroupOver
	// Excused lists, for a per-group budget on a trend, the groups whose
	// growth exceeds it but whose shape is not steady growth (a cache that
	// filled, a sawtooth): they do not fail the budget, so that check fails
	// only the groups trend calls leak suspects.
	Excused []GroupOver
}

// GroupOver is a group (a row of a comparison, a series of a trend) over a
// per-group budget.
type GroupOver struct {
	Name   string
	Frames []profile.Frame
	Value  float64
	Noise  float64
	// Shape is the group's shape on a trend; on a comparison it is
	// SteadyGrowth, the shape every growth of a pair is taken to have.
	Shape Shape
	// Kept is the share of what the group allocated that it still holds
	// (see Kept), nil where the profiles carry no allocations.
	Kept *Kept
}

// measured is what the budgets are checked against, for the total or a group.
type measured struct {
	name        string
	frames      []profile.Frame
	start       float64
	growth      float64
	noise       float64
	significant bool
	hours       float64 // the span the growth took; 0 when unknown
	shape       Shape   // a trend's verdict; SteadyGrowth for a comparison
	kept        *Kept
}

func (m measured) value(by Measure) (v, noise float64) {
	switch by {
	case TotalPercent:
		if m.start <= 0 {
			if m.growth > 0 {
				return math.Inf(1), 0
			}
			return 0, 0
		}
		return m.growth / m.start * 100, m.noise / m.start * 100
	case TotalRate, GroupRate:
		return m.growth / m.hours, m.noise / m.hours
	}
	return m.growth, m.noise
}

// CheckComparison judges a comparison against budgets, on its shown sample
// type: growth is each row's delta, rates are deltas per hour of the
// interval. It fails with ErrNoTimes when a rate is budgeted and the
// interval is unknown.
func CheckComparison(c *Comparison, budgets []Budget) (*BudgetCheck, error) {
	var hours float64 // 0: no rate (see Comparison.RatePerHour)
	if c.Interval >= MinRateInterval {
		hours = c.Interval.Hours()
	}
	of := func(name string, frames []profile.Frame, ch Change) measured {
		return measured{name: name, frames: frames, start: float64(ch.Base), growth: float64(ch.Delta()),
			noise: ch.Noise, significant: ch.Significant, hours: hours}
	}
	total := of("total", nil, c.Total[c.Index])
	groups := make([]measured, 0, len(c.Rows))
	for _, r := range c.Rows {
		m := of(r.Name, r.Frames, r.Flat[c.Index])
		if k, ok := c.Kept(r.Flat); ok {
			m.kept = &k
		}
		groups = append(groups, m)
	}
	bc, err := checkBudgets(c.Shown(), false, total, groups, budgets)
	if err != nil {
		return nil, err
	}
	bc.From, bc.To, bc.Snapshots, bc.Interval = c.Base, c.Target, 2, c.Interval
	bc.Warnings = c.Warnings
	return bc, nil
}

// CheckTrend judges a trend against budgets on its least-squares lines:
// growth is the slope times the span from the first snapshot to the last,
// rates are slopes, and significance is the slope's. A per-group budget
// fails only for groups whose shape is steady growth, the leak suspects of
// the trend: a cache that filled and holds, a sawtooth or faint growth over
// the budget is listed in BudgetResult.Excused instead. It fails with
// ErrNoTimes when a rate is budgeted and the snapshots have no times.
func CheckTrend(t *Trend, budgets []Budget) (*BudgetCheck, error) {
	var span, hours float64
	if n := len(t.Snapshots); t.Timed {
		hours = t.Span.Hours()
		span = hours
	} else {
		span = float64(n - 1)
	}
	of := func(s *Series) measured {
		m := measured{name: s.Name, frames: s.Frames, start: s.Fit.Start, growth: s.Fit.Slope * span,
			noise: s.Fit.SlopeNoise * span, significant: s.Fit.Significant(), hours: hours, shape: s.Shape}
		if k, ok := s.Kept(); ok {
			m.kept = &k
		}
		return m
	}
	groups := make([]measured, 0, len(t.Series))
	for i := range t.Series {
		groups = append(groups, of(&t.Series[i]))
	}
	bc, err := checkBudgets(t.Type, true, of(&t.Total), groups, budgets)
	if err != nil {
		return nil, err
	}
	bc.From, bc.To, bc.Snapshots, bc.Interval = t.Snapshots[0], t.Snapshots[len(t.Snapshots)-1], len(t.Snapshots), t.Span
	bc.Warnings = t.Warnings
	return bc, nil
}

func checkBudgets(typ profile.ValueType, series bool, total measured, groups []measured, budgets []Budget) (*BudgetCheck, error) {
	bc := &BudgetCheck{Type: typ, Series: series}
	for _, l := range budgets {
		if (l.Measure == TotalRate || l.Measure == GroupRate) && total.hours <= 0 {
			return nil, ErrNoTimes
		}
		r := BudgetResult{Budget: l}
		if !l.Measure.PerGroup() {
			r.Value, r.Noise = total.value(l.Measure)
			r.Significant = total.significant
			r.Over = r.Significant && r.Value > l.Max
		} else {
			// Value is the largest suspect's, or failing any, the
			// largest group's.
			first, suspect := true, false
			for _, s := range groups {
				v, noise := s.value(l.Measure)
				isSuspect := s.shape == SteadyGrowth
				if first || isSuspect && !suspect || isSuspect == suspect && v > r.Value {
					r.Value, r.Noise, r.Significant, first, suspect = v, noise, s.significant, false, isSuspect
				}
				if s.significant && v > l.Max {
					over := GroupOver{Name: s.name, Frames: s.frames, Value: v, Noise: noise, Shape: s.shape, Kept: s.kept}
					if s.shape == SteadyGrowth {
						r.Groups = append(r.Groups, over)
					} else {
						r.Excused = append(r.Excused, over)
					}
				}
			}
			worstFirst := func(a, b GroupOver) int { return cmp.Compare(b.Value, a.Value) }
			slices.SortStableFunc(r.Groups, worstFirst)
			slices.SortStableFunc(r.Excused, worstFirst)
			r.Over = len(r.Groups) > 0
		}
		bc.Over = bc.Over || r.Over
		bc.Results = append(bc.Results, r)
	}
	return bc, nil
}
