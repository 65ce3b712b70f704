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
	// lines finds line groups by their frame (every field of it), keys
	// function and package groups by name. A frame is its own key: a key
	// string built of its fields cost an allocation and a copy for every
	// frame of every profile.
	lines map[profile.Frame]int32
	keys  map[string]int32
	// kinds keeps what the site rule found of each frame (frameKind)
	// across the profiles the grouper reduces: a trend's snapshots have
	// the same frames, each in a table of its own.
	kinds map[profile.Frame]uint8
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

// groupLabel is a named group's name and frames, and for a class of heap
// snapshots its key (profile.Profile.ClassKeys), by which it was grouped.
type groupLabel struct {
	name   string
	frames []profile.Frame
	key    string
}

// classLabel takes, for a class, the label another snapshot gives it, when
// it is longer: snapshots label a class by what tells it from their other
// classes of that name, and the one that knows more definitions needs, and
// gives, more words ("Session (session-a.js:6)" rather than "Session").
func (l *groupLabel) classLabel(name string) {
	if len(name) > len(l.name) {
		l.name, l.frames[0].Function = name, name
	}
}

// settleClassLabels gives the classes grouped by key labels that tell them
// apart across every snapshot grouped: each snapshot's labels tell its own
// classes apart, but two classes each in one snapshot only can share a
// label. Those keyed by location are then labelled by their keys (the
// class's name with its script's path, line and column).
func (g *grouper) settleClassLabels() {
	byName := map[string][]*groupLabel{}
	for _, gi := range g.infos {
		if l := gi.label; l != nil && l.key != "" {
			byName[l.name] = append(byName[l.name], l)
		}
	}
	for _, ls := range byName {
		if len(ls) < 2 {
			continue
		}
		for _, l := range ls {
			if l.key != l.name {
				l.name, l.frames[0].Function = l.key, l.key
			}
		}
	}
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
	return &grouper{opts: opts, lines: map[profile.Frame]int32{}, keys: map[string]int32{}, kinds: map[profile.Frame]uint8{}, stacks: map[uint64]int32{}}
}

// forget drops the maps that find groups by key, once no stack is left to
// group: the groups themselves stay.
func (g *grouper) forget() {
	g.lines, g.keys, g.kinds, g.stacks, g.moreStacks = nil, nil, nil, nil, nil
}

// group returns the index of the group with the given key, creating it.
func (g *grouper) group(key string, info func() groupInfo) int32 {
	if k, ok := g.keys[key]; ok {
		return k
	}
	k := g.newGroup(info())
	g.keys[key] = k
	return k
}

// newGroup adds a group and returns its index.
func (g *grouper) newGroup(info groupInfo) int32 {
	k := int32(len(g.infos))
	g.infos = append(g.infos, info)
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
	// filtered holds, per type, what Focus, Ignore and Hide left out of the
	// profile's stacks; nil without those filters.
	filtered []int64
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
// (eachStack's, reused between calls), the group its flat values went to,
// and the sampling variances of its values (reused too).
type stackVisitor func(stack int, frames []int32, group int32, vars []float64)

// reduce sums the stacks of p into groups. idx maps the reduction's types to
// the profile's values. The result covers every group the grouper knows.
func (g *grouper) reduce(p *profile.Profile, idx []int) *reduction {
	return g.reduceVisiting(p, g.profileFrames(p), idx, nil)
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
	r.filtered = eachStack(p, pf, idx, func(si int, frames []int32, vals []int64, vars []float64) {
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
			visit(si, frames, k, vars)
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
	kind    []uint8                 // what the site rule asks (frameKind); 0 until computed
	kinds   map[profile.Frame]uint8 // frameKind of frames met in other profiles, or nil
	focus   []bool
	ignore  []bool
	hide    []bool
	agent   []bool  // frames of heapdiff's agent; nil when kept (Options.KeepAgent)
	key     []int32 // group of the frame for flat/cum; -1 until computed
	lineKey []int32 // group of the frame's line, for stack keys

	// classKeys are the keys of a heap snapshot's classes, one a frame
	// (profile.Profile.ClassKeys); nil for other profiles.
	classKeys []string
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

// profileFrames returns p's frames for this grouper, sharing what is
// known of them from the profiles it reduced before.
func (g *grouper) profileFrames(p *profile.Profile) *profileFrames {
	pf := newProfileFrames(p, g.opts)
	pf.kinds = g.kinds
	return pf
}

func newProfileFrames(p *profile.Profile, opts Options) *profileFrames {
	n := len(p.Frames)
	pf := &profileFrames{
		frames:  p.Frames,
		kind:    make([]uint8, n),
		focus:   matcher(opts.Focus, p.Frames),
		ignore:  matcher(opts.Ignore, p.Frames),
		hide:    matcher(opts.Hide, p.Frames),
		key:     make([]int32, n),
		lineKey: make([]int32, n),
	}
	if len(p.ClassKeys) == n {
		pf.classKeys = p.ClassKeys
	}
	if !opts.KeepAgent {
		pf.agent = agentFrames(p.Frames)
	}
	for i := range p.Frames {
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
	if k, ok := g.lines[f]; ok {
		return k
	}
	k := g.newGroup(labelled(f.String(), []profile.Frame{f}))
	g.lines[f] = k
	return k
}

// frameGroup returns the group a frame belongs to under the grouping (for
// stack grouping, its line: cum is not defined per frame there).
func (g *grouper) frameGroup(pf *profileFrames, i int32) int32 {
	if k := pf.key[i]; k >= 0 {
		return k
	}
	f := pf.frames[i]
	var k int32
	switch by := g.opts.By; {
	case pf.classKeys != nil && by != ByPackage:
		// A heap snapshot's class (whichever of function, line or site
		// is asked for: it is all three): grouped by its key, labelled
		// by the most telling label a snapshot gives it.
		name, key := f.Function, pf.classKeys[i]
		k = g.group("K"+key, func() groupInfo {
			gi := labelled(name, []profile.Frame{{Function: name}})
			gi.label.key = key
			return gi
		})
		g.infos[k].label.classLabel(name)
	case by == ByFunc || by == ByClass:
		name := f.FunctionName()
		k = g.group("F"+name, func() groupInfo {
			return labelled(name, []profile.Frame{{Function: f.Function, File: f.File, Address: f.Address, Module: f.Module}})
		})
	case by == ByPackage:
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
// maps them to the profile's) and their sampling variances. Stacks that
// Hide empties are skipped. The slices are reused between calls. It returns
// the values, of the compared types, of the stacks Ignore and Hide left out
// (not those Focus did not match, which a focus means to leave out, nor
// those through the agent), or nil without filters.
func eachStack(p *profile.Profile, pf *profileFrames, idx []int, fn func(stack int, frames []int32, vals []int64, vars []float64)) (filtered []int64) {
	noise := newNoiseModel(p, idx)
	vals := make([]int64, len(idx))
	vars := make([]float64, len(idx))
	if pf.focus != nil || pf.ignore != nil || pf.hide != nil {
		filtered = make([]int64, len(idx))
	}
	leaveOut := func(st *profile.Stack) {
		for t, i := range idx {
			filtered[t] += st.Values[i]
		}
	}
	var kept []int32
	for si := range p.Stacks {
		st := &p.Stacks[si]
		frames := st.Frames
		if pf.throughAgent(frames) {
			continue
		}
		if kept, unfocused := pf.keep(frames); !kept {
			if !unfocused {
				leaveOut(st)
			}
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
				leaveOut(st)
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
	return filtered
}

// rowGroup returns the group (row) a non-empty stack's flat values go to.
func (g *grouper) rowGroup(pf *profileFrames, frames []int32, scratch []byte) (int32, []byte) {
	switch g.opts.By {
	case ByStack:
		return g.stackGroup(pf, frames, scratch)
	case ByFunc, ByLine, ByClass:
		return g.frameGroup(pf, frames[0]), scratch
	default: // site, package
		return g.frameGroup(pf, pf.site(frames)), scratch
	}
}

// throughAgent reports whether a stack passes through heapdiff's agent,
// whose work is not the service's (see agentPackage).
func (pf *profileFrames) throughAgent(frames []int32) bool {
	if pf.agent != nil {
		for _, f := range frames {
			if pf.agent[f] {
				return true
			}
		}
	}
	return false
}

// keep applies Focus and Ignore with pprof's precedence: a stack is dropped
// if any frame matches Ignore, kept if any frame matches Focus. As in pprof,
// any filter (Hide too) drops a stack that has no frames. unfocused tells
// a stack left out only because Focus matched none of its frames: what a
// --focus on one part of a service means to leave out.
func (pf *profileFrames) keep(frames []int32) (kept, unfocused bool) {
	if len(frames) == 0 {
		return pf.focus == nil && pf.ignore == nil && pf.hide == nil, false
	}
	if pf.ignore != nil {
		for _, f := range frames {
			if pf.ignore[f] {
				return false, false
			}
		}
	}
	if pf.focus == nil {
		return true, false
	}
	for _, f := range frames {
		if pf.focus[f] {
			return true, false
		}
	}
	return false, true
}
