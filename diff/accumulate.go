package diff

import (
	"fmt"
	"math"
	"regexp"
	"strings"

	"github.com/heapdiff/heapdiff/profile"
)

// accumulator sums the stacks of both profiles into groups. Side 0 is the
// base, side 1 the target. Values are stored flat: group k, type t is at
// k*nTypes+t.
type accumulator struct {
	opts   Options
	nTypes int

	keys  map[string]int32
	infos []groupInfo

	flat, cum       [2][]int64
	flatVar, cumVar [2][]float64
	total           [2][]int64
	totalVar        [2][]float64
	seen            []int32 // per group: the stack that last added to its cum
	stamp           int32
	hasCum          bool
}

type groupInfo struct {
	name   string
	frames []profile.Frame
}

func newAccumulator(opts Options, nTypes int) *accumulator {
	a := &accumulator{opts: opts, nTypes: nTypes, keys: map[string]int32{}, hasCum: opts.Cum}
	for s := 0; s < 2; s++ {
		a.total[s] = make([]int64, nTypes)
		a.totalVar[s] = make([]float64, nTypes)
	}
	return a
}

// group returns the index of the group with the given key, creating it.
func (a *accumulator) group(key string, info func() groupInfo) int32 {
	if k, ok := a.keys[key]; ok {
		return k
	}
	k := int32(len(a.infos))
	a.keys[key] = k
	a.infos = append(a.infos, info())
	zeros := make([]int64, a.nTypes)
	fzeros := make([]float64, a.nTypes)
	for s := 0; s < 2; s++ {
		a.flat[s] = append(a.flat[s], zeros...)
		a.flatVar[s] = append(a.flatVar[s], fzeros...)
		if a.hasCum {
			a.cum[s] = append(a.cum[s], zeros...)
			a.cumVar[s] = append(a.cumVar[s], fzeros...)
		}
	}
	a.seen = append(a.seen, -1)
	return k
}

// profileFrames caches, for one profile, what the comparison needs to know of
// each frame: its group, whether filters match it, whether it is runtime or
// standard library code.
type profileFrames struct {
	frames  []profile.Frame
	std, rt []bool
	focus   []bool
	ignore  []bool
	hide    []bool
	key     []int32 // group of the frame for flat/cum; -1 until computed
	lineKey []int32 // group of the frame's line, for stack keys
}

func matcher(re *regexp.Regexp, frames []profile.Frame) []bool {
	if re == nil {
		return nil
	}
	m := make([]bool, len(frames))
	for i, f := range frames {
		m[i] = re.MatchString(f.Function) || re.MatchString(f.File) ||
			(f.Module != "" && re.MatchString(f.Module)) ||
			(!f.Symbolized() && re.MatchString(f.String()))
	}
	return m
}

func newProfileFrames(p *profile.Profile, opts Options) *profileFrames {
	n := len(p.Frames)
	pf := &profileFrames{
		frames:  p.Frames,
		std:     make([]bool, n),
		rt:      make([]bool, n),
		focus:   matcher(opts.Focus, p.Frames),
		ignore:  matcher(opts.Ignore, p.Frames),
		hide:    matcher(opts.Hide, p.Frames),
		key:     make([]int32, n),
		lineKey: make([]int32, n),
	}
	for i, f := range p.Frames {
		pf.std[i] = isGoStd(f)
		pf.rt[i] = isGoRuntime(f)
		pf.key[i] = -1
		pf.lineKey[i] = -1
	}
	return pf
}

// lineGroup returns the group of a frame's source line (site and line rows).
func (a *accumulator) lineGroup(pf *profileFrames, i int32) int32 {
	if k := pf.lineKey[i]; k >= 0 {
		return k
	}
	f := pf.frames[i]
	key := "L" + f.Function + "\x00" + f.File + "\x00" + itoa(f.Line) + "\x00" + f.Module + "\x00" + itoa(int64(f.Address))
	k := a.group(key, func() groupInfo { return groupInfo{name: f.String(), frames: []profile.Frame{f}} })
	pf.lineKey[i] = k
	return k
}

// frameGroup returns the group a frame belongs to under the grouping (for
// stack grouping, its line: cum is not defined per frame there).
func (a *accumulator) frameGroup(pf *profileFrames, i int32) int32 {
	if k := pf.key[i]; k >= 0 {
		return k
	}
	f := pf.frames[i]
	var k int32
	switch a.opts.By {
	case ByFunc:
		name := f.FunctionName()
		k = a.group("F"+name, func() groupInfo {
			return groupInfo{name: name, frames: []profile.Frame{{Function: f.Function, File: f.File, Address: f.Address, Module: f.Module}}}
		})
	case ByPackage:
		pkg := f.Package()
		k = a.group("P"+pkg, func() groupInfo { return groupInfo{name: pkg} })
	default:
		k = a.lineGroup(pf, i)
	}
	pf.key[i] = k
	return k
}

// stackGroup returns the group of a whole stack.
func (a *accumulator) stackGroup(pf *profileFrames, frames []int32, scratch []byte) (int32, []byte) {
	scratch = append(scratch[:0], 'S')
	for _, f := range frames {
		k := a.lineGroup(pf, f)
		scratch = append(scratch, byte(k), byte(k>>8), byte(k>>16), byte(k>>24))
	}
	if k, ok := a.keys[string(scratch)]; ok {
		return k, scratch
	}
	k := a.group(string(scratch), func() groupInfo {
		fs := make([]profile.Frame, len(frames))
		names := make([]string, len(frames))
		for i, f := range frames {
			fs[i] = pf.frames[f]
			names[i] = fs[i].String()
		}
		return groupInfo{name: strings.Join(names, " < "), frames: fs}
	})
	return k, scratch
}

// add sums one profile's stacks into side s. idx maps the comparison's types
// to the profile's values.
func (a *accumulator) add(s int, p *profile.Profile, idx []int) {
	pf := newProfileFrames(p, a.opts)
	nt := a.nTypes
	var scratch []byte
	eachStack(p, pf, idx, func(frames []int32, vals []int64, vars []float64) {
		for t := 0; t < nt; t++ {
			a.total[s][t] += vals[t]
			a.totalVar[s][t] += vars[t]
		}
		if len(frames) == 0 {
			// A stack without frames still counts in the totals; it has
			// nothing to be grouped by.
			return
		}
		var g int32
		g, scratch = a.rowGroup(pf, frames, scratch)
		a.addTo(a.flat[s], a.flatVar[s], g, vals, vars)

		if !a.hasCum {
			return
		}
		a.stamp++
		if a.opts.By == ByStack {
			a.addTo(a.cum[s], a.cumVar[s], g, vals, vars)
			return
		}
		for _, f := range frames {
			g := a.frameGroup(pf, f)
			if a.seen[g] == a.stamp {
				continue
			}
			a.seen[g] = a.stamp
			a.addTo(a.cum[s], a.cumVar[s], g, vals, vars)
		}
	})
}

// eachStack calls fn for every stack of p that Focus and Ignore keep, with
// its frames after Hide (innermost first; empty for a stack that had no
// frames to begin with), its values of the compared types (idx maps them to
// the profile's) and their sampling variances. Stacks that Hide empties are
// skipped. The slices are reused between calls.
func eachStack(p *profile.Profile, pf *profileFrames, idx []int, fn func(frames []int32, vals []int64, vars []float64)) {
	noise := newNoiseModel(p, idx)
	vals := make([]int64, len(idx))
	vars := make([]float64, len(idx))
	var kept []int32
	for _, st := range p.Stacks {
		frames := st.Frames
		if !pf.keep(frames) {
			continue
		}
		if pf.hide != nil {
			kept = kept[:0]
			for _, f := range frames {
				if !pf.hide[f] {
					kept = append(kept, f)
				}
			}
			if len(kept) == 0 {
				continue
			}
			frames = kept
		}
		for t, i := range idx {
			vals[t] = st.Values[i]
		}
		noise.variances(vals, vars)
		fn(frames, vals, vars)
	}
}

// rowGroup returns the group (row) a non-empty stack's flat values go to.
func (a *accumulator) rowGroup(pf *profileFrames, frames []int32, scratch []byte) (int32, []byte) {
	switch a.opts.By {
	case ByStack:
		return a.stackGroup(pf, frames, scratch)
	case ByFunc, ByLine:
		return a.frameGroup(pf, frames[0]), scratch
	default: // site, package
		return a.frameGroup(pf, siteFrame(frames, pf.std, pf.rt)), scratch
	}
}

func (a *accumulator) addTo(vals []int64, vars []float64, g int32, v []int64, vr []float64) {
	base := int(g) * a.nTypes
	for t := range v {
		vals[base+t] += v[t]
		vars[base+t] += vr[t]
	}
}

// keep applies Focus and Ignore with pprof's precedence: a stack is dropped
// if any frame matches Ignore, kept if any frame matches Focus.
func (pf *profileFrames) keep(frames []int32) bool {
	if pf.ignore != nil {
		for _, f := range frames {
			if pf.ignore[f] {
				return false
			}
		}
	}
	if pf.focus == nil {
		return true
	}
	for _, f := range frames {
		if pf.focus[f] {
			return true
		}
	}
	return false
}

// normalize scales the base side so each type's total equals the target's,
// and says by how much.
func (a *accumulator) normalize() error {
	var notes []string
	for t := 0; t < a.nTypes; t++ {
		b, tg := a.total[0][t], a.total[1][t]
		if b == 0 || b == tg {
			continue
		}
		f := float64(tg) / float64(b)
		scale := func(vals []int64, vars []float64) {
			for i := t; i < len(vals); i += a.nTypes {
				vals[i] = int64(math.Round(float64(vals[i]) * f))
				vars[i] *= f * f
			}
		}
		scale(a.flat[0], a.flatVar[0])
		if a.hasCum {
			scale(a.cum[0], a.cumVar[0])
		}
		// The total is the sum of the scaled rows, so rows still add up.
		var sum int64
		for i := t; i < len(a.flat[0]); i += a.nTypes {
			sum += a.flat[0][i]
		}
		a.total[0][t] = sum
		a.totalVar[0][t] *= f * f
		notes = append(notes, fmt.Sprintf("×%.4g", f))
	}
	if len(notes) == 0 {
		return nil
	}
	return fmt.Errorf("base values were scaled so each sample type's total equals the target's (%s); growth of the whole heap is hidden", strings.Join(notes, ", "))
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
		out[t] = change(a.total[0][t], a.total[1][t], a.totalVar[0][t], a.totalVar[1][t])
	}
	return out
}

// rows builds a Row for every group with a non-zero value.
func (a *accumulator) rows() []Row {
	nt := a.nTypes
	rows := make([]Row, 0, len(a.infos))
	for g, info := range a.infos {
		lo, hi := g*nt, (g+1)*nt
		if allZero(a.flat[0][lo:hi]) && allZero(a.flat[1][lo:hi]) &&
			(!a.hasCum || allZero(a.cum[0][lo:hi]) && allZero(a.cum[1][lo:hi])) {
			continue
		}
		r := Row{Name: info.name, Frames: info.frames, Flat: make([]Change, nt)}
		for t := 0; t < nt; t++ {
			r.Flat[t] = change(a.flat[0][lo+t], a.flat[1][lo+t], a.flatVar[0][lo+t], a.flatVar[1][lo+t])
		}
		if a.hasCum {
			r.Cum = make([]Change, nt)
			for t := 0; t < nt; t++ {
				r.Cum[t] = change(a.cum[0][lo+t], a.cum[1][lo+t], a.cumVar[0][lo+t], a.cumVar[1][lo+t])
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
