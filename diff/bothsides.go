package diff

import (
	"github.com/heapdiff/heapdiff/internal/fanout"
	"github.com/heapdiff/heapdiff/profile"
)

// frameSums is one profile's stacks summed by the frame that names their
// row: the site, or the line. Summing needs nothing of the grouper, which
// numbers groups across both profiles of a comparison and so takes one
// profile after the other; summed first, the two profiles are summed at
// once, one a core, and the grouper only numbers their row frames.
type frameSums struct {
	total    []int64
	totalVar []float64
	// order lists the row frames in the order of their first stacks, the
	// order in which the grouper would have met them; vals and vars hold
	// their sums, nt a frame, each summed in the order of its stacks, so
	// the sums are those the grouper would have made, to the last bit.
	order []int32
	vals  []int64
	vars  []float64
	// With a detail: the stacks summed, in order, the index in order of
	// each one's row frame, and each one's variances, nt a stack, written
	// where the detail keeps them (detailer.varsOfSides).
	stacks    []int32
	rows      []int32
	stackVars []float64
	// filtered is what the filters left out (eachStack).
	filtered []int64
}

// sumsByFrame tells whether a comparison under opts may sum each side by
// row frame (sumByFrame) instead of by group: when each row frame of a
// profile is a group of its own (site and line groupings; not functions,
// packages or a heap snapshot's classes, whose groups take many frames and
// would sum their frames' sums in another order, nor stacks), and every
// stack gives its values to one row only (no cum, no Hide, which makes
// stacks eachStack's scratch).
func sumsByFrame(opts Options, p *profile.Profile) bool {
	return (opts.By == BySite || opts.By == ByLine) && !opts.Cum && opts.Hide == nil && len(p.ClassKeys) == 0
}

// sumByFrame sums p's stacks by row frame. It reads and writes nothing but
// p and pf, which must have no kinds shared with another profile (see
// reducePair), and vars. With vars not nil, room for the variances of every
// stack of p, it keeps each stack's row and its variances, in vars.
func sumByFrame(p *profile.Profile, pf *profileFrames, idx []int, by Grouping, vars []float64) *frameSums {
	nt := len(idx)
	s := &frameSums{total: make([]int64, nt), totalVar: make([]float64, nt)}
	slot := make([]int32, len(p.Frames)) // a frame's index in s.order, plus one
	detail := vars != nil
	if detail {
		s.stacks = make([]int32, 0, len(p.Stacks))
		s.rows = make([]int32, 0, len(p.Stacks))
		s.stackVars = vars[:0]
	}
	s.filtered = eachStack(p, pf, idx, func(si int, frames []int32, vals []int64, vars []float64) {
		for t := range nt {
			s.total[t] += vals[t]
			s.totalVar[t] += vars[t]
		}
		if len(frames) == 0 {
			return
		}
		f := frames[0]
		if by == BySite {
			f = pf.site(frames)
		}
		i := slot[f] - 1
		if i < 0 {
			i = int32(len(s.order))
			slot[f] = i + 1
			s.order = append(s.order, f)
			s.vals = append(s.vals, make([]int64, nt)...)
			s.vars = append(s.vars, make([]float64, nt)...)
		}
		at := int(i) * nt
		for t := range nt {
			s.vals[at+t] += vals[t]
			s.vars[at+t] += vars[t]
		}
		if detail {
			s.stacks = append(s.stacks, int32(si))
			s.rows = append(s.rows, i)
			s.stackVars = append(s.stackVars, vars...)
		}
	})
	return s
}

// reducePair reduces base (side 0) and target (side 1) as add does one
// after the other, summing both by row frame at once (see sumsByFrame,
// which must allow it for both). Groups are numbered, and the detail told
// of every stack, in the order add would have.
func (a *accumulator) reducePair(ps [2]*profile.Profile, idx [2][]int, d *detailer) {
	var pfs [2]*profileFrames
	var sums [2]*frameSums
	var vars [2][]float64
	if d != nil {
		vars = d.varsOfSides(len(ps[0].Stacks), len(ps[1].Stacks))
	}
	var sides fanout.Group
	for s := range ps {
		// Each side finds its frames' kinds on its own: the map that
		// shares them across profiles cannot be written by two at once.
		pfs[s] = newProfileFrames(ps[s], a.opts)
		sides.Go(func() { sums[s] = sumByFrame(ps[s], pfs[s], idx[s], a.opts.By, vars[s]) })
	}
	sides.Wait()
	if d != nil {
		d.joinVars(sums[0].stackVars, sums[1].stackVars)
	}
	nt := a.nTypes
	for s, fs := range sums {
		pf := pfs[s]
		groups := make([]int32, len(fs.order))
		r := a.fromFrameSums(pf, fs, nt, groups)
		if d != nil {
			d.begin(s, ps[s], pf, idx[s])
			for j, si := range fs.stacks {
				d.addPath(s, si, groups[fs.rows[j]], nil)
			}
		}
		r.pad(len(a.infos))
		a.side[s] = r
		if d != nil {
			d.end(s, r)
		}
		sums[s] = nil // its per-stack arrays can go before the other side's
	}
	for _, r := range a.side {
		r.pad(len(a.infos))
	}
}
