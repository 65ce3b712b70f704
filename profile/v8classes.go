package profile

import (
	"fmt"
	"slices"
	"strings"
)

// Reducing a heap snapshot to the model. Objects are grouped by class as
// DevTools' Summary and Comparison views group them (see classNames in
// v8classkeys.go). Objects of self size 0 are left out, as there. Each class
// becomes one stack of one frame named after it, with three exact values:
// objects/count, shallow_size/bytes and retained_size/bytes, and the sorted
// ids of its objects (Stack.IDs).
//
// A class's retained size, as in DevTools, adds up the retained sizes of its
// objects that no other object of the class dominates, so nested objects of
// one class are not counted twice. Retained sizes of different classes do
// overlap (a Map retains its entries), so they do not add up to the heap.

// v8Analysis holds what the dominator tree gives for a snapshot.
type v8Analysis struct {
	g        *v8Graph
	self     []uint32 // shallow sizes, after DevTools' transfer of owned arrays
	retained []uint64
	children []uint32 // dominator tree: node v's children are children[childStart[v]:childStart[v+1]]
	childPos []uint32
}

// analyze computes shallow sizes, the dominator tree and retained sizes.
func (g *v8Graph) analyze() *v8Analysis {
	pageOwned := g.pageOwned()
	essential := g.essentialEdges(pageOwned)
	pageOwned = nil
	a := &v8Analysis{g: g, self: g.self}
	if g.hasUserRoots() {
		g.transferOwnedSizes()
	}
	dg := &domGraph{firstEdge: g.firstEdge, to: g.eto, essential: essential, root: g.root}
	idom, order := dg.dominators()
	a.retained = retainedSizes(g.self, idom, order)
	// The dominator tree as lists of children.
	n := len(g.typ)
	a.childPos = make([]uint32, n+1)
	for v, d := range idom {
		if uint32(v) != g.root {
			a.childPos[d+1]++
		}
	}
	for i := 1; i <= n; i++ {
		a.childPos[i] += a.childPos[i-1]
	}
	a.children = make([]uint32, a.childPos[n])
	fill := order // reuse: no longer needed
	copy(fill, a.childPos[:n])
	for v, d := range idom {
		if uint32(v) != g.root {
			a.children[fill[d]] = uint32(v)
			fill[d]++
		}
	}
	return a
}

// hasUserRoots reports whether the root holds a non-synthetic object (the
// global object, in Node.js and browsers). Without one the snapshot exposes
// V8's internals and DevTools keeps sizes as they are.
func (g *v8Graph) hasUserRoots() bool {
	synthetic := indexOf(g.nodeTypes, "synthetic")
	for e := g.firstEdge[g.root]; e < g.firstEdge[g.root+1]; e++ {
		if int(g.typ[g.eto[e]]) != synthetic {
			return true
		}
	}
	return false
}

// pageOwned marks what the root's shortcut edges (user globals) and the
// "(Document DOM trees)" root reach without weak edges (markPageOwnedNodes).
func (g *v8Graph) pageOwned() bitset {
	n := len(g.typ)
	shortcut, element, weak := g.edgeType("shortcut"), g.edgeType("element"), g.edgeType("weak")
	synthetic := indexOf(g.nodeTypes, "synthetic")
	owned := newBitset(n)
	var todo []uint32
	for e := g.firstEdge[g.root]; e < g.firstEdge[g.root+1]; e++ {
		t, to := int(g.etype[e]), g.eto[e]
		switch {
		case t == shortcut:
		case t == element && int(g.typ[to]) == synthetic && g.strings.at(g.name[to]) == "(Document DOM trees)":
		default:
			continue
		}
		if !owned.has(to) {
			owned.set(to)
			todo = append(todo, to)
		}
	}
	for len(todo) > 0 {
		v := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		for e := g.firstEdge[v]; e < g.firstEdge[v+1]; e++ {
			if to := g.eto[e]; int(g.etype[e]) != weak && !owned.has(to) {
				owned.set(to)
				todo = append(todo, to)
			}
		}
	}
	return owned
}

// edgeType returns the index of an edge type name, or -1 (never matching).
func (g *v8Graph) edgeType(name string) int { return indexOf(g.edgeTypes, name) }

// essentialEdges applies DevTools' computeIsEssentialEdge to every edge.
func (g *v8Graph) essentialEdges(pageOwned bitset) bitset {
	weak, shortcut, internal := g.edgeType("weak"), g.edgeType("shortcut"), g.edgeType("internal")
	ess := newBitset(len(g.eto))
	k := 0 // position in eintName
	for v := uint32(0); int(v) < len(g.typ); v++ {
		for e := g.firstEdge[v]; e < g.firstEdge[v+1]; e++ {
			t, to := int(g.etype[e]), g.eto[e]
			if t == internal {
				name := g.eintName[k]
				k++
				if table, ok := g.weakMapTable[name]; ok && table == g.id[v] {
					continue
				}
			}
			if t == weak || to == v {
				continue
			}
			if v != g.root && (t == shortcut || pageOwned.has(to) && !pageOwned.has(v)) {
				continue
			}
			ess.set(e)
		}
	}
	return ess
}

// transferOwnedSizes moves the shallow size of arrays and hidden objects that
// exactly one other object owns (reaches without weak edges, through other
// owned arrays and hidden objects) to that owner, as DevTools'
// calculateShallowSizes does, so an Array's size includes its backing store.
func (g *v8Graph) transferOwnedSizes() {
	const unvisited, multiple = ^uint32(0), ^uint32(0) - 1
	n := len(g.typ)
	if uint64(n) >= uint64(multiple) {
		return
	}
	hidden, array, synthetic := indexOf(g.nodeTypes, "hidden"), indexOf(g.nodeTypes, "array"), indexOf(g.nodeTypes, "synthetic")
	weak := g.edgeType("weak")
	owners := make([]uint32, n)
	var work []uint32
	for i, t := range g.typ {
		if int(t) == hidden || int(t) == array {
			owners[i] = unvisited
		} else {
			owners[i] = uint32(i)
			work = append(work, uint32(i))
		}
	}
	for len(work) > 0 {
		v := work[len(work)-1]
		work = work[:len(work)-1]
		owner := owners[v]
		for e := g.firstEdge[v]; e < g.firstEdge[v+1]; e++ {
			if int(g.etype[e]) == weak {
				continue
			}
			to := g.eto[e]
			switch owners[to] {
			case unvisited:
				owners[to] = owner
				work = append(work, to)
			case to, owner, multiple:
			default:
				owners[to] = multiple
				work = append(work, to)
			}
		}
	}
	for i, owner := range owners {
		if owner == unvisited || owner == multiple || owner == uint32(i) {
			continue
		}
		if owner == g.root || int(g.typ[owner]) == synthetic {
			continue
		}
		g.self[owner] += g.self[i]
		g.self[i] = 0
	}
}

// objectClassName shortens DOM element names as DevTools does:
// `<div id="a">` is class `<div>`, `Detached <div id="a">` is `Detached <div>`.
func objectClassName(name string) string {
	switch {
	case strings.HasPrefix(name, "<"):
		if i := strings.IndexByte(name, ' '); i >= 0 {
			return name[:i] + ">"
		}
	case strings.HasPrefix(name, "Detached <"):
		if i := strings.IndexByte(name[10:], ' '); i >= 0 {
			return name[:10+i] + ">"
		}
	}
	return name
}

// groupTotals is what aggregate returns for each group of objects.
type groupTotals struct {
	count, shallow, retained []int64
	ids                      [][]uint64
}

// aggregate sums the objects of each group (key[v], -1 for none) with a
// non-zero self size, and the retained sizes of the group's objects that no
// object of the same group dominates (DevTools' calculateClassesRetainedSize).
func (a *v8Analysis) aggregate(key []int32, groups int) groupTotals {
	t := groupTotals{
		count:    make([]int64, groups),
		shallow:  make([]int64, groups),
		retained: make([]int64, groups),
		ids:      make([][]uint64, groups),
	}
	for v, k := range key {
		if k >= 0 && a.self[v] > 0 {
			t.count[k]++
			t.shallow[k] += int64(a.self[v])
		}
	}
	// One array holds every group's ids, in groups' order.
	all := make([]uint64, 0, sumInt64(t.count))
	start := make([]int, groups+1)
	for k := range groups {
		start[k+1] = start[k] + int(t.count[k])
	}
	all = all[:start[groups]]
	pos := slices.Clone(start[:groups])
	for v, k := range key {
		if k >= 0 && a.self[v] > 0 {
			all[pos[k]] = a.g.id[v]
			pos[k]++
		}
	}
	for k := range groups {
		ids := all[start[k]:start[k+1]:start[k+1]]
		slices.Sort(ids)
		t.ids[k] = ids
	}

	// Walk the dominator tree; active[k] counts the ancestors of the
	// current node that belong to group k and have a size.
	const exit = 1 << 31
	active := make([]int32, groups)
	stack := []uint32{a.g.root}
	for len(stack) > 0 {
		x := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if x&exit != 0 {
			active[key[x&^exit]]--
			continue
		}
		k := key[x]
		counted := k >= 0 && a.self[x] > 0
		if counted {
			if active[k] == 0 {
				t.retained[k] += int64(a.retained[x])
			}
			if a.childPos[x] < a.childPos[x+1] {
				active[k]++
				stack = append(stack, x|exit)
			}
		}
		stack = append(stack, a.children[a.childPos[x]:a.childPos[x+1]]...)
	}
	return t
}

func sumInt64(v []int64) int64 {
	var s int64
	for _, x := range v {
		s += x
	}
	return s
}

// snapshotProfile builds the model from the groups: one stack per group that
// has objects, in the order of the groups, whose frames frames(k) gives.
// distinct is how many distinct frames there can be; whole is what the
// snapshot's root retains: the reachable heap.
func snapshotProfile(g *v8Graph, t groupTotals, frames func(k int, table *frameTable) []int32, distinct int, whole uint64) *Profile {
	p := &Profile{
		Whole:             map[string]int64{SnapshotRetainedSize.Type: int64(whole)},
		Format:            FormatV8Snapshot,
		SampleTypes:       []ValueType{SnapshotObjects, SnapshotShallowSize, SnapshotRetainedSize},
		DefaultSampleType: SnapshotShallowSize.Type,
		PeriodType:        ValueType{"space", "bytes"},
		Comments:          []string{describeV8(g)},
		MaxObjectID:       g.maxHeapObjectID(),
	}
	table := newFrameTable(p, distinct)
	for k := range t.count {
		if t.count[k] == 0 {
			continue
		}
		p.Stacks = append(p.Stacks, Stack{
			Frames: frames(k, table),
			Values: []int64{t.count[k], t.shallow[k], t.retained[k]},
			IDs:    t.ids[k],
		})
	}
	return p
}

// classProfile groups the snapshot's objects by class.
func (a *v8Analysis) classProfile() *Profile {
	class, names := a.g.classNames()
	t := a.aggregate(class, len(names))
	frames := func(k int, table *frameTable) []int32 {
		return []int32{table.add(Frame{Function: names[k]})}
	}
	return snapshotProfile(a.g, t, frames, len(names), a.retained[a.g.root])
}

// allocationProfile groups the snapshot's objects by the stack that allocated
// them, from the allocation traces of --track-heap-objects: one group per
// trace node, whose stack is that node and its callers up to the top of the
// trace tree (which is not a frame). Objects without a trace (allocated
// before tracking began) get the one frame "(no allocation trace)".
//
// The trace tree shares callers between callees, but each stack of the
// model lists all of its frames: a chain of n calls allocating at every
// level expands to n²/2 frames. The frames are counted before any is
// written, and a snapshot whose stacks would hold more than maxFramesPerByte
// frames per byte of it (as for pprof profiles, see maxFrames) is refused.
func (a *v8Analysis) allocationProfile() (*Profile, error) {
	g := a.g
	if g.trace == nil || len(g.traceNodes) == 0 {
		return nil, errNoTraces
	}
	// One group per trace node id, in the order the objects name them.
	groupOf := map[uint32]int32{}
	var groupNode []int32 // the trace node of each group; -1 if unknown
	key := make([]int32, len(g.typ))
	for v, tid := range g.trace {
		k, ok := groupOf[tid]
		if !ok {
			k = int32(len(groupNode))
			groupOf[tid] = k
			groupNode = append(groupNode, g.traceNodeIndex(tid))
		}
		key[v] = k
	}
	t := a.aggregate(key, len(groupNode))

	// depth[i] is how many frames trace node i's stack holds; callers come
	// before their callees in traceNodes.
	depth := make([]uint32, len(g.traceNodes))
	for i, tn := range g.traceNodes {
		if tn.parent >= 0 {
			depth[i] = depth[tn.parent] + 1
		}
	}
	stackLen := func(k int) int64 {
		if n := groupNode[k]; n >= 0 && depth[n] > 0 {
			return int64(depth[n])
		}
		return 1 // (no allocation trace)
	}
	var total int64
	for k := range groupNode {
		if t.count[k] > 0 {
			total += stackLen(k)
		}
	}
	if limit := frameBudget(g.size); total > limit {
		return nil, fmt.Errorf("%w: its allocation stacks expand to more than %d frames, %d per byte of snapshot, which no real snapshot comes near", ErrMalformed, limit, maxFramesPerByte)
	}

	// Frames are interned once per trace function, and every stack is a
	// slice of one pool.
	pool := make([]int32, 0, total)
	funcFrame := make([]int32, len(g.traceFuncs))
	for i := range funcFrame {
		funcFrame[i] = -1
	}
	frames := func(k int, table *frameTable) []int32 {
		start := len(pool)
		n := groupNode[k]
		if n < 0 || depth[n] == 0 {
			pool = append(pool, table.add(Frame{Function: "(no allocation trace)"}))
			return pool[start:len(pool):len(pool)]
		}
		for ; depth[n] > 0; n = g.traceNodes[n].parent {
			fi := g.traceNodes[n].function
			if funcFrame[fi] < 0 {
				f := g.traceFuncs[fi]
				name := g.strings.at(f.name)
				if name == "" {
					name = AnonymousFunction
				}
				funcFrame[fi] = table.add(Frame{Function: name, File: g.strings.at(f.script), Line: int64(f.line)})
			}
			pool = append(pool, funcFrame[fi])
		}
		return pool[start:len(pool):len(pool)]
	}
	// One frame per trace function at most, and "(no allocation trace)".
	p := snapshotProfile(g, t, frames, min(len(g.traceFuncs), len(groupNode))+1, a.retained[g.root])
	p.Notes = append(p.Notes, "grouped by allocation stack (--track-heap-objects)")
	return p, nil
}

// frameBudget is how many frames the stacks of a V8 profile of size bytes
// may hold in all: maxFramesPerByte per byte, as for pprof profiles, and
// 65,536 for any profile.
func frameBudget(size int64) int64 {
	return max(size, 0)*maxFramesPerByte + 1<<16
}
