package diff

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/heapdiff/heapdiff/profile"
)

// accumulator reduces the two profiles of a comparison with one grouper, so
// their groups line up. Side 0 is the base, side 1 the target.
type accumulator struct {
	*grouper
	nTypes int
	hasCum bool
	// cumIsFlat is set for stack groups with cum: a stack's cum is its
	// flat, which the reductions do not hold twice, nor the rows.
	cumIsFlat bool
	side      [2]*reduction
}

func newAccumulator(opts Options, nTypes int) *accumulator {
	g := newGrouper(opts)
	g.shareStacks = true // both profiles outlive the comparison's groups
	return &accumulator{grouper: g, nTypes: nTypes, hasCum: opts.Cum, cumIsFlat: opts.Cum && opts.By == ByStack}
}

// add reduces one profile into side s. idx maps the comparison's types to
// the profile's values. Both sides then cover every group. A detailer, when
// not nil, collects the comparison's detail in the same pass.
func (a *accumulator) add(s int, p *profile.Profile, idx []int, d *detailer) {
	pf := a.profileFrames(p)
	var visit stackVisitor
	if d != nil {
		visit = d.begin(s, p, pf, idx)
	}
	a.side[s] = a.reduceVisiting(p, pf, idx, visit)
	if d != nil {
		d.end(s, a.side[s])
	}
	for _, r := range a.side {
		if r != nil {
			r.pad(len(a.infos))
		}
	}
}

// normalize scales the base side so each type's total equals the target's,
// and says by how much.
func (a *accumulator) normalize() error {
	var notes []string
	for t := 0; t < a.nTypes; t++ {
		f, ok := normalizeFactor(a.side[0].total[t], a.side[1].total[t])
		if !ok {
			continue
		}
		// Stacks without frames count in the total but in no row: scale
		// that remainder too, and add the scaled rows to it, so the rows
		// still add up and the totals end equal.
		base := a.side[0]
		var sum, scaled int64
		for i := t; i < len(base.flat); i += a.nTypes {
			sum += base.flat[i]
			base.flat[i] = int64(math.Round(float64(base.flat[i]) * f))
			base.flatVar[i] *= f * f
			scaled += base.flat[i]
		}
		if a.hasCum && !a.cumIsFlat {
			for i := t; i < len(base.cum); i += a.nTypes {
				base.cum[i] = int64(math.Round(float64(base.cum[i]) * f))
				base.cumVar[i] *= f * f
			}
		}
		base.total[t] = int64(math.Round(float64(base.total[t]-sum)*f)) + scaled
		base.totalVar[t] *= f * f
		notes = append(notes, fmt.Sprintf("×%.4g", f))
	}
	if len(notes) == 0 {
		return nil
	}
	return fmt.Errorf("base values were scaled so each sample type's total equals the target's (%s); growth of the whole heap is hidden", strings.Join(notes, ", "))
}

// normalizeFactor returns the factor --normalize scales a type's base values
// by, target/base, with ok false when it leaves them alone (an empty base,
// or totals already equal). Compare scales its rows and its detail by it.
func normalizeFactor(base, target int64) (f float64, ok bool) {
	if base == 0 || base == target {
		return 1, false
	}
	return float64(target) / float64(base), true
}

func change(base, target int64, varBase, varTarget float64) Change {
	c := Change{Base: base, Target: target, Noise: math.Sqrt(varBase + varTarget)}
	c.Significant = significant(c.Delta(), c.Noise)
	return c
}

func significant(delta int64, noise float64) bool {
	return delta != 0 && math.Abs(float64(delta)) > NoiseThreshold*noise
}

func (a *accumulator) totalChanges() []Change {
	out := make([]Change, a.nTypes)
	for t := range out {
		out[t] = change(a.side[0].total[t], a.side[1].total[t], a.side[0].totalVar[t], a.side[1].totalVar[t])
	}
	return out
}

// rows builds the comparison's rows, one for every group with a non-zero
// value, sorted by the change of type t (see compareRows); with top > 0 it
// builds only the first top, and sums the others into rest. Rows are
// sorted before they are built, so that --top and the HTML report, which
// keep a few rows of millions of --by stack, never hold the rest. It drops
// both sides' sums: call it last.
func (a *accumulator) rows(t, top int) (rows []Row, rest Rest) {
	nt := a.nTypes
	keys := make([]sortKey, 0, len(a.infos))
	for g := range int32(len(a.infos)) {
		if !a.zero(g) {
			keys = append(keys, sortKey{a.change(false, g, t), g})
		}
	}
	name := func(g int32) string {
		if l := a.infos[g].label; l != nil {
			return l.name
		}
		return "" // stack rows are not named yet: the order they were seen decides
	}
	slices.SortFunc(keys, func(x, y sortKey) int {
		return compareRows(x.shown, y.shown, name(x.g), name(y.g), x.g, y.g)
	})
	if top > 0 && len(keys) > top {
		sum := newRowSum(nt)
		flat := make([]Change, nt)
		for _, k := range keys[top:] {
			a.changes(false, k.g, flat)
			sum.add(flat)
		}
		rest = sum.rest(len(keys) - top)
		keys = keys[:top]
	}
	// The order alone, so that the keys can go before the rows are made.
	order := make([]int32, len(keys))
	for i, k := range keys {
		order[i] = k.g
	}
	keys = nil
	// Every row's changes in one array (two with cum), in the rows' order,
	// so that both sides' sums can go before the rows are made.
	flat := make([]Change, len(order)*nt)
	var cum []Change
	if a.hasCum && !a.cumIsFlat {
		cum = make([]Change, len(order)*nt)
	}
	for i, g := range order {
		a.changes(false, g, flat[i*nt:(i+1)*nt])
		if cum != nil {
			a.changes(true, g, cum[i*nt:(i+1)*nt])
		}
	}
	a.side = [2]*reduction{}
	rows = make([]Row, len(order))
	for i, g := range order {
		info := &a.infos[g]
		lo, hi := i*nt, (i+1)*nt
		r := Row{Flat: flat[lo:hi:hi], order: g}
		switch {
		case cum != nil:
			r.Cum = cum[lo:hi:hi]
		case a.cumIsFlat:
			r.Cum = r.Flat
		}
		switch {
		case info.label != nil:
			r.Name, r.Frames = info.label.name, info.label.frames
		case top > 0:
			// A copy, so that the groups of every stack can go.
			pending := *info
			r.pending = &pending
		default:
			r.pending = info
		}
		rows[i] = r
	}
	return rows, rest
}

// sortKey is what rows are sorted by: the change of the type shown, and the
// group.
type sortKey struct {
	shown Change
	g     int32
}

// zero reports whether group g has no value, flat or cum, on either side.
func (a *accumulator) zero(g int32) bool {
	lo, hi := int(g)*a.nTypes, int(g+1)*a.nTypes
	return allZero(a.side[0].flat[lo:hi]) && allZero(a.side[1].flat[lo:hi]) &&
		(!a.hasCum || a.cumIsFlat || allZero(a.side[0].cum[lo:hi]) && allZero(a.side[1].cum[lo:hi]))
}

// change returns group g's change of type t, flat or cum.
func (a *accumulator) change(cum bool, g int32, t int) Change {
	i := int(g)*a.nTypes + t
	b, tg := a.side[0], a.side[1]
	if cum && !a.cumIsFlat {
		return change(b.cum[i], tg.cum[i], b.cumVar[i], tg.cumVar[i])
	}
	return change(b.flat[i], tg.flat[i], b.flatVar[i], tg.flatVar[i])
}

// changes writes group g's changes of every type, flat or cum, into out.
func (a *accumulator) changes(cum bool, g int32, out []Change) {
	for t := range out {
		out[t] = a.change(cum, g, t)
	}
}

func allZero(v []int64) bool {
	for _, x := range v {
		if x != 0 {
			return false
		}
	}
	return true
}

// sumRows adds rows up, for the rows cut by Options.Top.
func sumRows(rows []Row, nTypes int) Rest {
	sum := newRowSum(nTypes)
	for _, r := range rows {
		sum.add(r.Flat)
	}
	return sum.rest(len(rows))
}

// AddChanges adds flat's changes to sum's, in place, as SumRows of the two
// rows would: values add, noises add in quadrature, and whether the sum is
// beyond noise is decided again. A renderer that sums rows up a tree (the
// HTML report's treemap) adds them one at a time with it, allocating
// nothing.
func AddChanges(sum, flat []Change) {
	for t, c := range flat {
		s := &sum[t]
		s.Base += c.Base
		s.Target += c.Target
		s.Noise = math.Sqrt(s.Noise*s.Noise + c.Noise*c.Noise)
		s.Significant = significant(s.Delta(), s.Noise)
	}
}

// rowSum adds rows' flat changes up, with their noise.
type rowSum struct {
	flat []Change
	vars []float64
}

func newRowSum(nTypes int) *rowSum {
	return &rowSum{flat: make([]Change, nTypes), vars: make([]float64, nTypes)}
}

func (s *rowSum) add(flat []Change) {
	for t, c := range flat {
		s.flat[t].Base += c.Base
		s.flat[t].Target += c.Target
		s.vars[t] += c.Noise * c.Noise
	}
}

// rest returns the sum of n rows.
func (s *rowSum) rest(n int) Rest {
	for t := range s.flat {
		s.flat[t].Noise = math.Sqrt(s.vars[t])
		s.flat[t].Significant = significant(s.flat[t].Delta(), s.flat[t].Noise)
	}
	return Rest{Rows: n, Flat: s.flat}
}
