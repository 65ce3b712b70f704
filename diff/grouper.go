package diff

import (
	"encoding/binary"
	"hash/maphash"
	"regexp"
	"slices"
	"strings"

	"github.com/heapdiff/heapdiff/profile"
)

// grouper assigns stacks to groups (the rows of a comparison, the series of
// a trend) under Options' grouping and filters, and reduces a profile to
// per-group values and sampling variances. Group keys are interned across
// every profile a grouper reduces, so a site has the same index in all of
// them; the grouper keeps only the keys and the groups' names and frames.
type grouper struct {
	opts Options
	keys map[string]int32 // line, function and package groups
	// stacks finds stack groups by a hash of their lines' groups (see
	// stackGroup); moreStacks holds the groups whose hash an earlier one
	// already had. A map keyed by the lines themselves cost a hundred bytes
	// and more a stack, for every stack of --by stack.
	stacks     map[uint64]int32
	moreStacks map[uint64][]int32
	// shareStacks lets a stack group keep the profile's own frame slice
	// instead of a copy: set when the profiles outlive the groups
	// (Compare), not for a trend, which reads one profile at a time.
	shareStacks bool
	infos       []groupInfo
	seen        []int32 // per group: the stack that last added to its cum
	stamp       int32
}

type groupInfo struct {
	// label names a line, function or package group; nil for a stack group.
	label *groupLabel
	// A stack group keeps its frames as indexes until its row is shown
	// (resolve): named, a deep stack costs kilobytes, and --by stack makes
	// a group of every stack, most of which --top or the HTML table cut.
	pf    *profileFrames
	stack []int32
}

// groupLabel is a named group's name and frames.
type groupLabel struct {
	name   string
	frames []profile.Frame
}

func labelled(name string, frames []profile.Frame) groupInfo {
	return groupInfo{label: &groupLabel{name: name, frames: frames}}
}

// resolve returns the group's name and frames, building a stack group's
// (without keeping them: the caller keeps what it shows).
func (gi *groupInfo) resolve() (string, []profile.Frame) {
	if gi.label != nil {
		return gi.label.name, gi.label.frames
	}
	fs := make([]profile.Frame, len(gi.stack))
	names := make([]string, len(gi.stack))
	for i, f := range gi.stack {
		fs[i] = gi.pf.frames[f]
		names[i] = fs[i].String()
	}
	return strings.Join(names, " < "), fs
}

func newGrouper(opts Options) *grouper {
	return &grouper{opts: opts, keys: map[string]int32{}, stacks: map[uint64]int32{}}
}

// forget drops the maps that find groups by key, once no stack is left to
// group: the groups themselves stay.
func (g *grouper) forget() {
	g.keys, g.stacks, g.moreStacks = nil, nil, nil
}

// group returns the index of the group with the given key, creating it.
func (g *grouper) group(key string, info func() groupInfo) int32 {
	if k, ok := g.keys[key]; ok {
		return k
	}
	k := int32(len(g.infos))
	g.keys[key] = k
	g.infos = append(g.infos, info())
	g.seen = append(g.seen, -1)
	return k
}

// reduction is one profile reduced by a grouper. Values are stored flat:
// group k, type t is at k*nTypes+t. Cum values are present when the
// grouper's options ask for them, and the grouping is not by stack (where
// they equal the flat values).
type reduction struct {
	nTypes          int
	hasCum          bool
	flat, cum       []int64
	flatVar, cumVar []float64
	total           []int64
	totalVar        []float64
}

// pad extends the reduction with zeros to cover groups groups.
func (r *reduction) pad(groups int) {
	n := groups * r.nTypes
	if len(r.flat) >= n {
		return
	}
	grow := n - len(r.flat)
	r.flat = append(r.flat, make([]int64, grow)...)
	r.flatVar = append(r.flatVar, make([]float64, grow)...)
	if r.hasCum {
		r.cum = append(r.cum, make([]int64, grow)...)
		r.cumVar = append(r.cumVar, make([]float64, grow)...)
	}
}

// reserve makes room for groups groups without growing the arrays.
func (r *reduction) reserve(groups int) {
	n := groups * r.nTypes
	r.flat, r.flatVar = make([]int64, 0, n), make([]float64, 0, n)
	if r.hasCum {
		r.cum, r.cumVar = make([]int64, 0, n), make([]float64, 0, n)
	}
}

// addTo adds a stack's values to group k of vals and vars (flat or cum).
func (r *reduction) addTo(vals []int64, vars []float64, k int32, v []int64, vr []float64) {
	base := int(k) * r.nTypes
	for t := range v {
		vals[base+t] += v[t]
		vars[base+t] += vr[t]
	}
}

// stackVisitor is told of every stack with frames that a reduction adds
// to a group: its index in the profile's stacks, its frames after Hide
// (eachStack's, reused between calls), and the group its flat values went
// to.
type stackVisitor func(stack int, frames []int32, group int32)

// reduce sums the stacks of p into groups. idx maps the reduction's types to
// the profile's values. The result covers every group the grouper knows.
func (g *grouper) reduce(p *profile.Profile, idx []int) *reduction {
	return g.reduceVisiting(p, newProfileFrames(p, g.opts), idx, nil)
}

// reduceVisiting is reduce over the frames pf marks, telling visit (when
// not nil) of every stack it groups, so that a comparison's detail is
// collected in the same pass.
func (g *grouper) reduceVisiting(p *profile.Profile, pf *profileFrames, idx []int, visit stackVisitor) *reduction {
	nt := len(idx)
	// A stack's cum goes to its own group, as its flat does: stack
	// groups' cum is their flat, and is not summed twice.
	hasCum := g.opts.Cum && g.opts.By != ByStack
	r := &reduction{nTypes: nt, hasCum: hasCum, total: make([]int64, nt), totalVar: make([]float64, nt)}
	// The groups known already cover most of the next profile's stacks:
	// room for them at once spares copying arrays of millions as they grow.
	r.reserve(len(g.infos))
	var scratch []byte
	eachStack(p, pf, idx, func(si int, frames []int32, vals []int64, vars []float64) {
		for t := 0; t < nt; t++ {
			r.total[t] += vals[t]
			r.totalVar[t] += vars[t]
		}
		if len(frames) == 0 {
			// A stack without frames still counts in the totals; it has
			// nothing to be grouped by.
			return
		}
		var k int32
		k, scratch = g.rowGroup(pf, frames, scratch)
		r.pad(len(g.infos))
		r.addTo(r.flat, r.flatVar, k, vals, vars)
		if visit != nil {
			visit(si, frames, k)
		}

		if !r.hasCum {
			return
		}
		g.stamp++
		for _, f := range frames {
			k := g.frameGroup(pf, f)
			if g.seen[k] == g.stamp {
				continue
			}
			g.seen[k] = g.stamp
			r.pad(len(g.infos))
			r.addTo(r.cum, r.cumVar, k, vals, vars)
		}
	})
	r.pad(len(g.infos))
	return r
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
	agent   []bool  // frames of heapdiff's agent; nil when kept (Options.KeepAgent)
	key     []int32 // group of the frame for flat/cum; -1 until computed
	lineKey []int32 // group of the frame's line, for stack keys
}

// agentPackage is the import path of heapdiff's capture agent. Its own
// work (writing a snapshot costs a couple of MiB of allocations, sampling
// memory a little) is not the service's, so stacks through it are left out
// of comparisons and trends unless Options.KeepAgent.
const agentPackage = "github.com/heapdiff/heapdiff/agent"

// agentFrames marks the frames of the agent's packages, or returns nil when
// the profile has none.
func agentFrames(frames []profile.Frame) []bool {
	var m []bool
	for i, f := range frames {
		if fn := f.Function; strings.HasPrefix(fn, agentPackage) && len(fn) > len(agentPackage) && (fn[len(agentPackage)] == '.' || fn[len(agentPackage)] == '/') {
			if m == nil {
				m = make([]bool, len(frames))
			}
			m[i] = true
		}
	}
	return m
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
	if !opts.KeepAgent {
		pf.agent = agentFrames(p.Frames)
	}
	for i, f := range p.Frames {
		pf.std[i] = notOwnCode(f)
		pf.rt[i] = isGoRuntime(f)
		pf.key[i] = -1
		pf.lineKey[i] = -1
	}
	return pf
}

// lineGroup returns the group of a frame's source line (site and line rows).
func (g *grouper) lineGroup(pf *profileFrames, i int32) int32 {
	if k := pf.lineKey[i]; k >= 0 {
		return k
	}
	k := g.lineGroupOf(pf.frames[i])
	pf.lineKey[i] = k
	return k
}

// lineGroupOf returns the group of a frame's source line, for a frame that
// is not in a profile's table: a named row's.
func (g *grouper) lineGroupOf(f profile.Frame) int32 {
	key := "L" + f.Function + "\x00" + f.File + "\x00" + itoa(f.Line) + "\x00" + f.Module + "\x00" + itoa(int64(f.Address))
	return g.group(key, func() groupInfo { return labelled(f.String(), []profile.Frame{f}) })
}

// frameGroup returns the group a frame belongs to under the grouping (for
// stack grouping, its line: cum is not defined per frame there).
func (g *grouper) frameGroup(pf *profileFrames, i int32) int32 {
	if k := pf.key[i]; k >= 0 {
		return k
	}
	f := pf.frames[i]
	var k int32
	switch g.opts.By {
	case ByFunc, ByClass:
		name := f.FunctionName()
		k = g.group("F"+name, func() groupInfo {
			return labelled(name, []profile.Frame{{Function: f.Function, File: f.File, Address: f.Address, Module: f.Module}})
		})
	case ByPackage:
		pkg := f.Package()
		k = g.group("P"+pkg, func() groupInfo { return labelled(pkg, nil) })
	default:
		k = g.lineGroup(pf, i)
	}
	pf.key[i] = k
	return k
}

// stackGroup returns the group of a whole stack: stacks are the same when
// their frames are the same lines (lineGroup), in whichever profile. scratch
// is reused for the stack's key, its lines' groups.
func (g *grouper) stackGroup(pf *profileFrames, frames []int32, scratch []byte) (int32, []byte) {
	scratch = scratch[:0]
	for _, f := range frames {
		scratch = binary.LittleEndian.AppendUint32(scratch, uint32(g.lineGroup(pf, f)))
	}
	h := stackHash(scratch)
	first, ok := g.stacks[h]
	if ok {
		if g.sameStack(first, scratch) {
			return first, scratch
		}
		for _, k := range g.moreStacks[h] {
			if g.sameStack(k, scratch) {
				return k, scratch
			}
		}
	}
	stack := frames
	if !g.shareStacks || pf.hide != nil { // Hide's frames are eachStack's scratch
		stack = slices.Clone(frames)
	}
	k := int32(len(g.infos))
	g.infos = append(g.infos, groupInfo{pf: pf, stack: stack})
	g.seen = append(g.seen, -1)
	if !ok {
		g.stacks[h] = k
	} else {
		if g.moreStacks == nil {
			g.moreStacks = map[uint64][]int32{}
		}
		g.moreStacks[h] = append(g.moreStacks[h], k)
	}
	return k, scratch
}

// stackSeed seeds stackHash; any seed will do, since equal hashes are checked.
var stackSeed = maphash.MakeSeed()

// stackHash hashes a stack's key. A variable, so that a test can make every
// stack collide.
var stackHash = func(key []byte) uint64 { return maphash.Bytes(stackSeed, key) }

// sameStack reports whether stack group k's lines have the groups key lists.
// A stack group's frames all had their line group computed when it was made.
func (g *grouper) sameStack(k int32, key []byte) bool {
	gi := &g.infos[k]
	if gi.label != nil || 4*len(gi.stack) != len(key) {
		return false
	}
	for j, f := range gi.stack {
		if uint32(gi.pf.lineKey[f]) != binary.LittleEndian.Uint32(key[4*j:]) {
			return false
		}
	}
	return true
}

// eachStack calls fn for every stack of p that the filters keep (see
// keep), with its index in p.Stacks, its frames after Hide (innermost
// first; empty for a stack that had no frames to begin with, which only
// happens when no filter is set), its values of the compared types (idx
// maps them to the profile's) and their sampling variances. Stacks that Hide empties are skipped. The slices
// are reused between calls.
func eachStack(p *profile.Profile, pf *profileFrames, idx []int, fn func(stack int, frames []int32, vals []int64, vars []float64)) {
	noise := newNoiseModel(p, idx)
	vals := make([]int64, len(idx))
	vars := make([]float64, len(idx))
	var kept []int32
	for si := range p.Stacks {
		st := &p.Stacks[si]
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
		fn(si, frames, vals, vars)
	}
}

// rowGroup returns the group (row) a non-empty stack's flat values go to.
func (g *grouper) rowGroup(pf *profileFrames, frames []int32, scratch []byte) (int32, []byte) {
	switch g.opts.By {
	case ByStack:
		return g.stackGroup(pf, frames, scratch)
	case ByFunc, ByLine, ByClass:
		return g.frameGroup(pf, frames[0]), scratch
	default: // site, package
		return g.frameGroup(pf, siteFrame(frames, pf.std, pf.rt)), scratch
	}
}

// keep applies Focus and Ignore with pprof's precedence: a stack is dropped
// if any frame matches Ignore, kept if any frame matches Focus. As in pprof,
// any filter (Hide too) drops a stack that has no frames.
func (pf *profileFrames) keep(frames []int32) bool {
	if len(frames) == 0 {
		return pf.focus == nil && pf.ignore == nil && pf.hide == nil
	}
	if pf.agent != nil {
		for _, f := range frames {
			if pf.agent[f] {
				return false
			}
		}
	}
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
