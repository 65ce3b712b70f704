package diff

import (
	"fmt"
	"math"
	"strings"

	"github.com/heapdiff/heapdiff/profile"
)

// accumulator reduces the two profiles of a comparison with one grouper, so
// their groups line up. Side 0 is the base, side 1 the target.
type accumulator struct {
	*grouper
	nTypes int
	hasCum bool
	side   [2]*reduction
}

func newAccumulator(opts Options, nTypes int) *accumulator {
	return &accumulator{grouper: newGrouper(opts), nTypes: nTypes, hasCum: opts.Cum}
}

// add reduces one profile into side s. idx maps the comparison's types to
// the profile's values. Both sides then cover every group.
func (a *accumulator) add(s int, p *profile.Profile, idx []int) {
	a.side[s] = a.reduce(p, idx)
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
		if a.hasCum {
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
// or totals already equal). Compare and Explain both take it from here.
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

// rows builds a Row for every group with a non-zero value.
func (a *accumulator) rows() []Row {
	nt := a.nTypes
	rows := make([]Row, 0, len(a.infos))
	for g, info := range a.infos {
		lo, hi := g*nt, (g+1)*nt
		if allZero(a.side[0].flat[lo:hi]) && allZero(a.side[1].flat[lo:hi]) &&
			(!a.hasCum || allZero(a.side[0].cum[lo:hi]) && allZero(a.side[1].cum[lo:hi])) {
			continue
		}
		r := Row{Name: info.name, Frames: info.frames, Flat: make([]Change, nt), order: int32(g)}
		if info.pf != nil {
			r.pending = &a.infos[g] // named once it is known to be shown
		}
		for t := 0; t < nt; t++ {
			r.Flat[t] = change(a.side[0].flat[lo+t], a.side[1].flat[lo+t], a.side[0].flatVar[lo+t], a.side[1].flatVar[lo+t])
		}
		if a.hasCum {
			r.Cum = make([]Change, nt)
			for t := 0; t < nt; t++ {
				r.Cum[t] = change(a.side[0].cum[lo+t], a.side[1].cum[lo+t], a.side[0].cumVar[lo+t], a.side[1].cumVar[lo+t])
			}
		}
		rows = append(rows, r)
	}
	return rows
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
	rest := Rest{Rows: len(rows), Flat: make([]Change, nTypes)}
	vars := make([]float64, nTypes)
	for _, r := range rows {
		for t, c := range r.Flat {
			rest.Flat[t].Base += c.Base
			rest.Flat[t].Target += c.Target
			vars[t] += c.Noise * c.Noise
		}
	}
	for t := range rest.Flat {
		rest.Flat[t].Noise = math.Sqrt(vars[t])
		rest.Flat[t].Significant = significant(rest.Flat[t].Delta(), rest.Flat[t].Noise)
	}
	return rest
}
