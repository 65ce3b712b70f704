package v8

import (
	"cmp"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
)

// Grouping a heap snapshot's objects. Objects are grouped by class as
// DevTools' Summary and Comparison views group them (see classNames in
// classkeys.go), or by the stack that allocated them. Objects of self size 0
// are left out, as there. Each group has three exact values (its objects,
// their shallow size, their retained size) and the sorted ids of its
// objects.
//
// A group's retained size, as in DevTools, adds up the retained sizes of its
// objects that no other object of the group dominates, so nested objects of
// one class are not counted twice. Retained sizes of different groups do
// overlap (a Map retains its entries), so they do not add up to the heap.

// Analysis is what the dominator tree gives for a snapshot (DevTools'
// shallow sizes, every node's retained size, the tree itself) and its
// objects' groups.
type Analysis struct {
	g    *Snapshot
	self []uint32 // shallow sizes, after DevTools' transfer of owned arrays
	// Node v retains retainedHi[v]<<32 | retainedLo[v] bytes.
	retainedLo, retainedHi []uint32
	children               []uint32 // dominator tree: node v's children are children[childPos[v]:childPos[v+1]]
	childPos               []uint32
	// The groups, as AnalyzeOptions.By asked: one of the two.
	classes []Class
	stacks  *AllocationStacks
	// What AnalyzeOptions.Retainers and Collections asked for; nil
	// otherwise.
	retainers   *Retainers
	collections *Collections
	// scratchMade is how many node-length arrays the analysis allocated.
	scratchMade int
}

// collectAfterDrop is the size of a snapshot above which an analysis for
// retainers that drops the snapshot's names collects them before it builds
// the dominator tree. Below it, the 64 MiB of slack the memory rule allows
// covers what the collector leaves.
const collectAfterDrop = 64 << 20

// Grouping is how Analyze groups a snapshot's objects.
type Grouping uint8

const (
	// ByClass groups objects by class, as DevTools' Summary and
	// Comparison views do (see Analysis.Classes).
	ByClass Grouping = iota
	// ByAllocationStack groups them by the stack that allocated them,
	// for snapshots taken with allocation tracking (see
	// Analysis.AllocationStacks).
	ByAllocationStack
)

// AnalyzeOptions say how to analyse a snapshot.
type AnalyzeOptions struct {
	// By is how to group the objects.
	By Grouping
	// Drop lets the analysis drop what it has no more use for as soon as
	// it can: the snapshot's names, types, ids, strings and locations once
	// the groups are known, before the dominator tree is built (the
	// analysis's peak: it then holds a third less), and its edges after.
	// The snapshot keeps its counts and size, and cannot be walked or
	// analysed again.
	Drop bool
	// Retainers finds, for every object, who holds it as Chrome DevTools'
	// Retainers view shows it (Analysis.Retainers), and lists the
	// snapshot's collections (Analysis.Collections). Collections lists
	// the collections alone. Both need a snapshot read with
	// ReadOptions.Names; they are found before the dominator tree is
	// built, so that Drop still drops the graph before its peak.
	Retainers, Collections bool
}

// Analyze computes shallow sizes, the dominator tree and retained sizes,
// and groups the snapshot's objects as opts.By says. Shallow sizes are
// DevTools': an array or hidden object that exactly one other object owns
// gives its size to its owner (so an Array's size includes its backing
// store), in the snapshot's own column, which Snapshot.SelfSize reads from
// then on; analysing a snapshot again gives the same sizes, as what moved
// is not moved twice.
//
// Grouping by allocation stack returns ErrNoTraces for a snapshot taken
// without allocation tracking, and ErrMalformed for one whose stacks would
// hold more than MaxFramesPerByte frames per byte of it (see
// Analysis.AllocationStacks).
//
// Beside the snapshot, the analysis takes 40 bytes a node and 4 an edge at
// most, in arrays that each step borrows from the one before (see scratch),
// and 12 bytes an object for the groups' ids and sizes. Retainers keep about
// 32 bytes a node more, and the strings their paths show.
func (g *Snapshot) Analyze(opts AnalyzeOptions) (*Analysis, error) {
	g.mustBeWhole()
	if opts.By == ByAllocationStack && !g.HasAllocationTraces() {
		return nil, ErrNoTraces
	}
	if (opts.Retainers || opts.Collections) && !g.keepNames {
		return nil, errors.New("v8: retainers and collections need a snapshot read with ReadOptions.Names")
	}
	n := g.nodes
	s := newScratch(n)
	a := &Analysis{g: g, self: g.self}
	// Retainers and collections are found first: they read every edge's
	// name, the largest part of what a snapshot keeps for them, which can
	// then go before the analysis's own arrays are made.
	var key []uint32
	var work *retainerWork
	if opts.Retainers || opts.Collections {
		key = s.get(n)
		class, classes := key, []Class(nil)
		if opts.By == ByClass {
			a.classes = g.classNames(key)
			classes = a.classes
		} else {
			class = s.get(n)
			classes = g.classNames(class)
		}
		// Every class's label, as the key numbers them: Analyze cuts
		// a.classes to those with objects.
		labels := make([]string, len(classes))
		for k, c := range classes {
			labels[k] = c.Label
		}
		work = g.startRetainers(s, class, labels, opts.Retainers, opts.Drop)
		if !opts.Retainers && opts.By != ByClass {
			s.put(class)
		}
	}
	pageOwned := g.pageOwned(s)
	essential := g.essentialEdges(pageOwned)
	pageOwned = nil
	if work != nil && opts.Drop {
		g.ename = nil // the last to read them was essentialEdges
		if g.size >= collectAfterDrop {
			// They were most of the heap the collector last paced itself
			// by: without a collection now, the analysis's arrays would
			// pile onto them (the synthetic pair of bench/v8snapshot.sh,
			// with --retainers, peaked at 320 MiB without).
			runtime.GC()
		}
	}
	if g.hasUserRoots() {
		g.transferOwnedSizes(s)
	}

	// The groups, but for their retained sizes: those need the dominator
	// tree, and what names the groups is not needed to build it.
	if key == nil {
		key = s.get(n)
	}
	var totals []Totals
	switch opts.By {
	case ByClass:
		if a.classes == nil {
			a.classes = g.classNames(key)
		}
		totals = a.count(key, len(a.classes))
	case ByAllocationStack:
		var err error
		if totals, err = a.allocationStacks(key); err != nil {
			return nil, err
		}
	}
	if opts.Drop {
		g.dropNaming()
	}

	dg := &domGraph{firstEdge: g.firstEdge, to: g.eto, essential: essential, root: g.root}
	idom, order := dg.dominators(s)
	if opts.Drop {
		g.dropEdges()
	}
	a.retainedLo, a.retainedHi = retainedSizes(s, g.self, idom, order)
	// The dominator tree as lists of children.
	a.childPos = s.get(n + 1)
	for v, d := range idom {
		if uint32(v) != g.root {
			a.childPos[d+1]++
		}
	}
	for i := 1; i <= n; i++ {
		a.childPos[i] += a.childPos[i-1]
	}
	a.children = s.get(int(a.childPos[n]))
	fill := order // reuse: no longer needed
	copy(fill, a.childPos[:n])
	for v, d := range idom {
		if uint32(v) != g.root {
			a.children[fill[d]] = uint32(v)
			fill[d]++
		}
	}
	s.put(idom, order)
	a.addRetained(s, key, totals)
	if work != nil {
		work.finish(a, s)
		a.collections = &work.collections
		if work.x != nil {
			a.retainers = &Retainers{x: work.x}
		}
	}
	if !opts.Retainers || opts.By != ByClass {
		s.put(key) // unless the retainers keep it as their classes
	}

	switch opts.By {
	case ByClass:
		out := a.classes[:0]
		for k, t := range totals {
			if t.Objects > 0 {
				c := a.classes[k]
				c.Totals = t
				out = append(out, c)
			}
		}
		a.classes = slices.Clip(out)
	case ByAllocationStack:
		for i := range a.stacks.Stacks {
			st := &a.stacks.Stacks[i]
			st.Totals = totals[st.group]
		}
	}
	a.scratchMade = s.made
	return a, nil
}

// Retainers returns who holds the snapshot's objects, for an analysis
// asked for them (AnalyzeOptions.Retainers); nil otherwise.
func (a *Analysis) Retainers() *Retainers { return a.retainers }

// Collections returns the snapshot's collections, for an analysis asked
// for them (AnalyzeOptions.Retainers or Collections); nil otherwise.
func (a *Analysis) Collections() *Collections { return a.collections }

// Snapshot returns the snapshot analysed.
func (a *Analysis) Snapshot() *Snapshot { return a.g }

// ReachableSize returns what the root retains: the size of the reachable
// heap, with DevTools' shallow sizes.
func (a *Analysis) ReachableSize() uint64 { return a.RetainedSize(a.g.root) }

// RetainedSize returns what would be freed with node v: the shallow sizes
// of the nodes it dominates, its own included.
func (a *Analysis) RetainedSize(v uint32) uint64 {
	return uint64(a.retainedHi[v])<<32 | uint64(a.retainedLo[v])
}

// hasUserRoots reports whether the root holds a non-synthetic object (the
// global object, in Node.js and browsers). Without one the snapshot exposes
// V8's internals and DevTools keeps sizes as they are.
func (g *Snapshot) hasUserRoots() bool {
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
func (g *Snapshot) pageOwned(s *scratch) bitset {
	n := len(g.typ)
	shortcut, element, weak := g.edgeType("shortcut"), g.edgeType("element"), g.edgeType("weak")
	synthetic := indexOf(g.nodeTypes, "synthetic")
	owned := newBitset(n)
	todo := s.get(0)
	defer func() { s.put(todo) }()
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
func (g *Snapshot) edgeType(name string) int { return indexOf(g.edgeTypes, name) }

// essentialEdges applies DevTools' computeIsEssentialEdge to every edge.
func (g *Snapshot) essentialEdges(pageOwned bitset) bitset {
	weak, shortcut, internal := g.edgeType("weak"), g.edgeType("shortcut"), g.edgeType("internal")
	ess := newBitset(len(g.eto))
	k := 0 // the internal edges before e
	for v := uint32(0); int(v) < len(g.typ); v++ {
		for e := g.firstEdge[v]; e < g.firstEdge[v+1]; e++ {
			t, to := int(g.etype[e]), g.eto[e]
			if t == internal {
				name, _ := g.internalName(e, k)
				k++
				if table, ok := g.weakMapTable[name]; ok && table == g.nodeID(v) {
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
func (g *Snapshot) transferOwnedSizes(s *scratch) {
	const unvisited, multiple = ^uint32(0), ^uint32(0) - 1
	n := len(g.typ)
	if uint64(n) >= uint64(multiple) {
		return
	}
	hidden, array, synthetic := indexOf(g.nodeTypes, "hidden"), indexOf(g.nodeTypes, "array"), indexOf(g.nodeTypes, "synthetic")
	weak := g.edgeType("weak")
	owners := s.get(n)
	work := s.get(0)
	defer func() { s.put(owners, work) }()
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

// Totals is what a group of objects holds.
type Totals struct {
	// Objects counts the group's objects of a non-zero shallow size.
	Objects int64
	// ShallowSize adds up their shallow sizes; RetainedSize the retained
	// sizes of those no other object of the group dominates.
	ShallowSize, RetainedSize int64
	// IDs lists the objects' ids in increasing order, and Sizes their
	// shallow sizes, in the same order: what DevTools' Comparison view
	// needs to sum the sizes of the objects only one snapshot has. Every
	// group's IDs are slices of one array, and its Sizes of another.
	IDs   []uint64
	Sizes []uint32
}

// count sums the objects of each group (key[v]) with a non-zero self size,
// and lists their ids and sizes.
func (a *Analysis) count(key []uint32, groups int) []Totals {
	t := make([]Totals, groups)
	for v, k := range key {
		if a.self[v] > 0 {
			t[k].Objects++
			t[k].ShallowSize += int64(a.self[v])
		}
	}
	// One array holds every group's ids, in groups' order.
	start := make([]int, groups+1)
	for k := range groups {
		start[k+1] = start[k] + int(t[k].Objects)
	}
	all := make([]uint64, start[groups])
	sizes := make([]uint32, start[groups])
	pos := slices.Clone(start[:groups])
	for v, k := range key {
		if a.self[v] > 0 {
			all[pos[k]] = a.g.nodeID(uint32(v))
			sizes[pos[k]] = a.self[v]
			pos[k]++
		}
	}
	for k := range groups {
		end := start[k+1]
		ids, sz := all[start[k]:end:end], sizes[start[k]:end:end]
		sortByID(ids, sz, a.g.id64 != nil)
		t[k].IDs, t[k].Sizes = ids, sz
	}
	return t
}

// sortByID sorts ids in increasing order, and sizes with them.
// While ids fit in 32 bits (V8's do: wide is false) each id and its size
// are sorted as one number, in ids' own memory.
func sortByID(ids []uint64, sizes []uint32, wide bool) {
	if !wide {
		for i, id := range ids {
			ids[i] = id<<32 | uint64(sizes[i])
		}
		slices.Sort(ids)
		for i, v := range ids {
			ids[i], sizes[i] = v>>32, uint32(v)
		}
		return
	}
	order := make([]int, len(ids))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(x, y int) int { return cmp.Compare(ids[x], ids[y]) })
	sortedIDs, sortedSizes := make([]uint64, len(ids)), make([]uint32, len(ids))
	for i, j := range order {
		sortedIDs[i], sortedSizes[i] = ids[j], sizes[j]
	}
	copy(ids, sortedIDs)
	copy(sizes, sortedSizes)
}

// addRetained adds up, for each group (key[v]), the retained sizes of its
// objects with a non-zero self size that no object of the same group
// dominates (DevTools' calculateClassesRetainedSize).
func (a *Analysis) addRetained(s *scratch, key []uint32, t []Totals) {
	// Walk the dominator tree; active[k] counts the ancestors of the
	// current node that belong to group k and have a size.
	const exit = 1 << 31
	active := make([]int32, len(t))
	stack := append(s.get(0), a.g.root)
	defer func() { s.put(stack) }()
	for len(stack) > 0 {
		x := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if x&exit != 0 {
			active[key[x&^exit]]--
			continue
		}
		k := key[x]
		if a.self[x] > 0 {
			if active[k] == 0 {
				t[k].RetainedSize += int64(a.RetainedSize(x))
			}
			if a.childPos[x] < a.childPos[x+1] {
				active[k]++
				stack = append(stack, x|exit)
			}
		}
		stack = append(stack, a.children[a.childPos[x]:a.childPos[x+1]]...)
	}
}

// Class is a class of objects as DevTools keys and labels it (see
// classkeys.go), with what its objects hold.
type Class struct {
	// Label names the class as DevTools' rows do: Name alone, or with
	// where its constructor is defined when Name has other definitions
	// ("Session (session-a.js:6)"). Labels of two classes can coincide
	// only if a name mimics a label.
	Label string
	// Key tells the class apart from every other class of any snapshot of
	// the same program: Label for a class keyed by its name alone; for
	// one keyed by location, the name with the whole path of its script,
	// the line and the column ("Session (/app/session-a.js:6:3)"), and
	// the script id when the snapshot needs it to tell two apart. Unlike
	// Label it does not depend on which other classes the snapshot has,
	// so comparisons match classes by it (see classkeys.go).
	Key string
	// Name is the class's name: the constructor's name of an object
	// ("<div id=x>" shortened to "<div>", "Detached " before a DOM node
	// cut from its document), "Function" for closures, "(system)",
	// "(compiled code)", "(string)", ...
	Name string
	// Located says that the class is keyed by where its constructor is
	// defined, Location, as well as by its name: two modules that each
	// define class Session give two classes.
	Located  bool
	Location Location
	Totals
}

// Location is where a JavaScript function is defined, as a snapshot gives
// it: a script id and a 0-based line and column.
type Location struct {
	ScriptID, Line, Column uint32
}

// Classes returns the snapshot's objects grouped by class (ByClass), as
// DevTools' Summary and Comparison views group them: the classes that have
// objects of a non-zero size, those of node types first (in the order of
// the header's types), then the others in the order the snapshot's nodes
// first name them. It returns nil for an analysis by allocation stack.
func (a *Analysis) Classes() []Class { return a.classes }

// AllocationStacks is a snapshot's objects grouped by the stack that
// allocated them, from the allocation traces of node --track-heap-objects.
type AllocationStacks struct {
	// Functions lists the functions the stacks name, in the order the
	// stacks first name them.
	Functions []Function
	// Stacks holds one group per distinct stack with objects of a non-zero
	// size, in the order the objects first name it.
	Stacks []AllocationStack
}

// Function is a function of an allocation trace.
type Function struct {
	// Name is the function's name, AnonymousFunction when it has none.
	Name string
	// Script is its script's URL or path; ScriptID V8's id of the script,
	// 0 when the snapshot does not give it.
	Script   string
	ScriptID uint32
	// Line is the line the function starts on, as the snapshot gives it
	// (V8 writes it 1-based).
	Line uint32
}

// AllocationStack is one stack of allocation traces and what the objects
// it allocated hold.
type AllocationStack struct {
	// Frames indexes AllocationStacks.Functions, innermost call first.
	// Objects allocated before tracking began, or whose trace the snapshot
	// does not hold, have the single frame NoTrace. Every stack's Frames
	// are slices of one array, which the caller may rewrite in place (to
	// its own frame numbers, say) rather than copy.
	Frames []int32
	Totals
	group uint32 // its key while grouping
}

// NoTrace is the frame of objects without an allocation trace.
const NoTrace = -1

// AllocationStacks returns the snapshot's objects grouped by the stack that
// allocated them (ByAllocationStack): one group per trace node, whose stack
// is that node and its callers up to the top of the trace tree (which is
// not a frame). It returns nil for an analysis by class.
//
// The trace tree shares callers between callees, but each stack lists all
// of its frames: a chain of n calls allocating at every level expands to
// n²/2 frames. The frames are counted before any is written, and a snapshot
// whose stacks would hold more than MaxFramesPerByte frames per byte of it
// is refused with ErrMalformed.
func (a *Analysis) AllocationStacks() *AllocationStacks { return a.stacks }

// allocationStacks sets each node's group, the trace node that allocated
// it, in key, makes the stacks of the groups with objects, and counts them
// (see count).
func (a *Analysis) allocationStacks(key []uint32) ([]Totals, error) {
	g := a.g
	// One group per trace node id, in the order the objects name them.
	groupOf := map[uint32]uint32{}
	var groupNode []int32 // the trace node of each group; -1 if unknown
	for v, tid := range g.trace {
		k, ok := groupOf[tid]
		if !ok {
			k = uint32(len(groupNode))
			groupOf[tid] = k
			groupNode = append(groupNode, g.traceNodeIndex(tid))
		}
		key[v] = k
	}
	totals := a.count(key, len(groupNode))

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
		return 1 // NoTrace
	}
	var total int64
	stacks := 0
	for k := range groupNode {
		if totals[k].Objects > 0 {
			total += stackLen(k)
			stacks++
		}
	}
	if limit := frameBudget(g.size); total > limit {
		return nil, fmt.Errorf("%w: its allocation stacks expand to more than %d frames, %d per byte of snapshot, which no real snapshot comes near", ErrMalformed, limit, MaxFramesPerByte)
	}

	// Functions are listed once, as stacks first name them, and every
	// stack is a slice of one pool.
	out := &AllocationStacks{Stacks: make([]AllocationStack, 0, stacks)}
	pool := make([]int32, 0, total)
	index := make([]int32, len(g.traceFuncs)) // in out.Functions, or -1
	for i := range index {
		index[i] = -1
	}
	for k, n := range groupNode {
		if totals[k].Objects == 0 {
			continue
		}
		start := len(pool)
		if n < 0 || depth[n] == 0 {
			pool = append(pool, NoTrace)
		}
		for ; n >= 0 && depth[n] > 0; n = g.traceNodes[n].parent {
			fi := g.traceNodes[n].function
			if index[fi] < 0 {
				f := g.traceFuncs[fi]
				name := g.strings.at(f.name)
				if name == "" {
					name = AnonymousFunction
				}
				index[fi] = int32(len(out.Functions))
				out.Functions = append(out.Functions, Function{Name: name, Script: g.strings.at(f.script), ScriptID: f.scriptID, Line: f.line})
			}
			pool = append(pool, index[fi])
		}
		out.Stacks = append(out.Stacks, AllocationStack{Frames: pool[start:len(pool):len(pool)], group: uint32(k)})
	}
	a.stacks = out
	return totals, nil
}
