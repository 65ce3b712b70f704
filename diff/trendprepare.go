package diff

import (
	"github.com/heapdiff/heapdiff/profile"
)

// TrendPrepared is a profile with the part of TrendBuilder.Add done that
// needs nothing of the builder: its stacks summed by the frame that names
// their row (for the site and line groupings, see sumsByFrame) and its
// cumulative types' totals. That part is most of adding a profile, and
// the builder, which numbers groups across the snapshots, must take them
// one after the other: prepared where each was loaded (PrepareTrend), many
// at once, the profiles are added in order by AddPrepared, which then only
// numbers their rows.
type TrendPrepared struct {
	p        *profile.Profile
	opts     Options // those it was summed under
	pf       *profileFrames
	sums     *frameSums // nil: the grouping sums by group (Add reduces it then)
	counters []counter
}

// PrepareTrend prepares p for TrendBuilder.AddPrepared under opts, the
// builder's options with its grouping (GroupingFor): a profile prepared
// under other options is reduced again when it is added. It reads p and
// writes nothing else, so profiles may be prepared at once on as many
// goroutines; the builder keeps p until it is added.
func PrepareTrend(p *profile.Profile, opts TrendOptions) *TrendPrepared {
	o := opts.Options
	o.Cum, o.Normalize = false, false // as NewTrend
	pp := &TrendPrepared{p: p, opts: o, counters: counters(p)}
	if sumsByFrame(o, p) {
		// Its own frames' kinds, found here: the grouper's map that
		// shares them across snapshots cannot be written by two at once.
		pp.pf = newProfileFrames(p, o)
		pp.sums = sumByFrame(p, pp.pf, allTypes(p), o.By, nil)
	}
	return pp
}

// Profile returns the profile prepared.
func (pp *TrendPrepared) Profile() *profile.Profile { return pp.p }

// fits reports whether the profile was summed under the options that
// matter to summing it as opts would: the grouping, the filters and the
// agent's frames.
func (pp *TrendPrepared) fits(opts Options) bool {
	o := pp.opts
	return o.By == opts.By && o.Focus == opts.Focus && o.Ignore == opts.Ignore && o.Hide == opts.Hide &&
		o.KeepAgent == opts.KeepAgent
}

// allTypes maps every sample type of p to itself: what a trend reduces.
func allTypes(p *profile.Profile) []int {
	idx := make([]int, len(p.SampleTypes))
	for i := range idx {
		idx[i] = i
	}
	return idx
}

// fromFrameSums numbers the row frames of a profile summed by sumByFrame
// (fs, over pf) in the order the profile's stacks met them, as reduce
// would have, and returns the reduction their sums make, with nt types.
// With groups not nil (room for every row frame) it writes each one's
// group there.
func (g *grouper) fromFrameSums(pf *profileFrames, fs *frameSums, nt int, groups []int32) *reduction {
	r := &reduction{nTypes: nt, total: fs.total, totalVar: fs.totalVar, filtered: fs.filtered}
	r.reserve(len(g.infos) + len(fs.order))
	for i, f := range fs.order {
		k := g.frameGroup(pf, f)
		if groups != nil {
			groups[i] = k
		}
		r.pad(len(g.infos))
		r.addTo(r.flat, r.flatVar, k, fs.vals[i*nt:(i+1)*nt], fs.vars[i*nt:(i+1)*nt])
	}
	r.pad(len(g.infos))
	return r
}
