package v8

import (
	"cmp"
	"hash/maphash"
	"slices"
	"strings"
)

// What an analysis keeps to answer "who holds these objects?" once the
// snapshot's graph is gone: for every node, its first retainer (see
// retainers.go) and the edge from it, the node's type, name, class, id and
// retained size, and whether the node is one of its class's counted
// objects. About 32 bytes a node: the edges (nine bytes each, four or five
// per node) are not kept, nor are the strings no path shows.

// reach says where a node's path starts.
type reach uint8

const (
	reachUser        reach = iota // held from a user root (the global object)
	reachUserRoot                 // a user root itself (DevTools' distance 1)
	reachSystem                   // held only from V8's own roots
	reachUnreachable              // held by nothing that is reached
)

// retainerIndex is a snapshot's first retainers and what paths show.
type retainerIndex struct {
	nodeTypes, edgeTypes []string
	object, closure      int // node types
	property, context    int // edge types
	element, hiddenEdge  int
	internal             int

	typ []uint8
	// name is an index in strs; 0 ("") for strings.
	name  []uint32
	class []uint32 // index in classNames
	// id and id64 are the snapshot's columns of ids: see Snapshot.nodeID.
	id                     []uint32
	id64                   []uint64
	retainedLo, retainedHi []uint32 // see Analysis
	parent                 []uint32 // noRetainer for none
	ptype                  []uint8  // type of the edge from parent
	pname                  []uint32 // its name: an index in strs, or the element index
	reach                  []reach
	counted                bitset // a counted object of its class (self size > 0)
	top                    bitset // counted, and dominated by no counted object of its class
	user                   bitset // a closure defined in user code (not node:..., not V8's)

	classNames []string
	strs       []string
}

// nodeID returns node v's id.
func (x *retainerIndex) nodeID(v uint32) uint64 {
	if x.id64 != nil {
		return x.id64[v]
	}
	return uint64(x.id[v])
}

// retained returns what node v retains.
func (x *retainerIndex) retained(v uint32) uint64 {
	return uint64(x.retainedHi[v])<<32 | uint64(x.retainedLo[v])
}

// maxPathSteps bounds a path: a linked list of a million nodes would
// otherwise be a path of a million steps. The root end of a longer path is
// left out, and the path says so.
const maxPathSteps = 100

// retainerWork is what an analysis asked for retainers or collections finds
// while the snapshot still has its names (before the dominator tree is
// built, when the analysis may drop them): the first retainers and the
// collections, and what the index keeps of the graph. finish completes it
// with what the dominator tree gives.
type retainerWork struct {
	x           *retainerIndex // nil when only collections are asked for
	class       []uint32
	classNames  []string
	collections Collections // sizes filled by finish
	ordinals    []uint32    // each collection's node
}

// startRetainers finds, for every node, its first retainer (when paths is
// set) and lists the collections, while the snapshot has its names. class
// gives each node's class among classNames. drop says the snapshot is
// about to drop its names: the index then takes its name column over
// rather than copy it.
func (g *Snapshot) startRetainers(s *scratch, class []uint32, classNames []string, paths, drop bool) *retainerWork {
	r := newRetainerNames(g, g.ename)
	w := &retainerWork{class: class, classNames: classNames}
	w.collections.List, w.ordinals, w.collections.Least = r.collections(class, classNames)
	if !paths {
		return w
	}
	dist := r.distances(s)
	parent, via := r.firstRetainers(dist)
	n := g.nodes
	x := &retainerIndex{
		nodeTypes: g.nodeTypes, edgeTypes: g.edgeTypes,
		object: r.object, closure: indexOf(g.nodeTypes, "closure"),
		property: r.property, context: g.edgeType("context"), element: r.element, hiddenEdge: r.hiddenEdge,
		internal: r.internal,
		typ:      g.typ, id: g.id, id64: g.id64, class: class, classNames: classNames,
		parent: parent,
		ptype:  make([]uint8, n),
		pname:  via, // reused: via[v] is read before pname[v] is written
		reach:  make([]reach, n),
	}
	// The strings paths show, renumbered: node names (not strings') and
	// the names of first retainers' edges.
	renumber := map[uint32]uint32{}
	x.strs = []string{""}
	keep := func(i uint32) uint32 {
		if j, ok := renumber[i]; ok {
			return j
		}
		s := g.strings.at(i)
		if s == "" {
			return 0
		}
		j := uint32(len(x.strs))
		x.strs = append(x.strs, s)
		renumber[i] = j
		return j
	}
	for v := 0; v < n; v++ {
		if parent[v] != noRetainer {
			e := via[v]
			x.ptype[v] = g.etype[e]
			if r.hasStringName(e) {
				x.pname[v] = keep(r.ename[e])
			} else {
				x.pname[v] = r.ename[e]
			}
		}
		switch d := dist[v]; {
		case d == noDistance:
			x.reach[v] = reachUnreachable
		case d >= baseSystemDistance:
			x.reach[v] = reachSystem
		case d <= 1:
			x.reach[v] = reachUserRoot
		}
	}
	s.put(dist)
	x.user = r.userClosures()
	// Node names last. A snapshot about to drop its names gives its name
	// column, renumbered in place; one that is kept keeps its own.
	x.name = g.name
	if !drop {
		x.name = make([]uint32, n)
	}
	for v := range n {
		if r.isString(uint32(v)) {
			x.name[v] = 0
		} else {
			x.name[v] = keep(g.name[v])
		}
	}
	w.x = x
	return w
}

// finish completes the work with what the analysis found since: shallow
// and retained sizes and the dominator tree.
func (w *retainerWork) finish(a *Analysis, s *scratch) {
	for i, v := range w.ordinals {
		c := &w.collections.List[i]
		c.Size, c.Retained = int64(a.self[v]), int64(a.RetainedSize(v))
	}
	w.ordinals = nil
	if x := w.x; x != nil {
		x.retainedLo, x.retainedHi = a.retainedLo, a.retainedHi
		x.counted, x.top = a.classMembers(s, w.class, len(w.classNames))
	}
}

// classMembers marks the counted objects of each class (those with a self
// size) and those no other counted object of their class dominates, whose
// retained sizes add up without counting any twice (DevTools'
// calculateClassesRetainedSize, as addRetained does).
func (a *Analysis) classMembers(s *scratch, class []uint32, classes int) (counted, top bitset) {
	n := len(class)
	counted, top = newBitset(n), newBitset(n)
	for v, k := range class {
		if a.self[v] > 0 && int(k) < classes {
			counted.set(uint32(v))
		}
	}
	const exit = 1 << 31
	active := make([]int32, classes)
	stack := append(s.get(0), a.g.root)
	defer func() { s.put(stack) }()
	for len(stack) > 0 {
		x := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if x&exit != 0 {
			active[class[x&^exit]]--
			continue
		}
		if counted.has(x) {
			k := class[x]
			if active[k] == 0 {
				top.set(x)
			}
			if a.childPos[x] < a.childPos[x+1] {
				active[k]++
				stack = append(stack, x|exit)
			}
		}
		stack = append(stack, a.children[a.childPos[x]:a.childPos[x+1]]...)
	}
	return counted, top
}

// userClosures marks the closures defined in user code: in a script with a
// name that is not one of Node.js's own (node:...), Bun's or V8's.
func (r *retainerNames) userClosures() bitset {
	g := r.g
	user := newBitset(g.nodes)
	names := g.scriptNames()
	closure := indexOf(g.nodeTypes, "closure")
	for _, l := range g.locations {
		if int(g.typ[l.node]) != closure {
			continue
		}
		if name, ok := names[l.script]; ok && isUserScript(name) {
			user.set(l.node)
		}
	}
	return user
}

// isUserScript reports whether a script is the program's rather than the
// runtime's.
func isUserScript(name string) bool {
	for _, p := range []string{"node:", "internal/", "builtin://", "bun:", "native ", "extensions::", "v8/"} {
		if strings.HasPrefix(name, p) {
			return false
		}
	}
	return name != ""
}

// RetainerStep is one object on a retainer path and the edge into it.
type retainerStep struct {
	node     uint32
	edgeType uint8 // of the edge from the step before; meaningless on the first
	edgeName uint32
}

// pathTo returns the path to node v, from its root end, the object last,
// and whether its root end was cut (maxPathSteps, or a cycle of first
// retainers, which DevTools' order allows only through unreached nodes).
func (x *retainerIndex) pathTo(v uint32, buf []retainerStep) (steps []retainerStep, cut bool) {
	steps = buf[:0]
	steps = append(steps, retainerStep{node: v})
	for len(steps) < maxPathSteps {
		u := x.parent[v]
		if u == noRetainer {
			break
		}
		steps[len(steps)-1].edgeType, steps[len(steps)-1].edgeName = x.ptype[v], x.pname[v]
		steps = append(steps, retainerStep{node: u})
		if rc := x.reach[u]; rc == reachUserRoot || rc == reachUnreachable {
			break
		}
		v = u
	}
	if end := steps[len(steps)-1].node; len(steps) == maxPathSteps && x.parent[end] != noRetainer && x.reach[end] != reachUserRoot {
		// Cut short: by the length, or by a cycle of first retainers
		// (which only unreached nodes can form); a cycle is cut where it
		// closes, so the path holds no object twice.
		cut = true
		seen := make(map[uint32]bool, len(steps))
		for i, s := range steps {
			if seen[s.node] {
				steps = steps[:i]
				break
			}
			seen[s.node] = true
		}
	}
	// Each step holds the edge into it; the root end has none.
	slices.Reverse(steps)
	steps[0].edgeType, steps[0].edgeName = 0, 0
	return steps, cut
}

// edgeName is a step's edge name as DevTools shows it.
func (x *retainerIndex) edgeName(s retainerStep) string {
	if t := int(s.edgeType); t == x.element || t == x.hiddenEdge {
		return uitoa(uint64(s.edgeName))
	}
	return x.strs[s.edgeName]
}

// stepKey is a step as clustering compares it: element indexes, hash
// table slots and the numbers of WeakMap entries are left out (a Map's
// entries are all held the same way), and property names are compared
// separately (see clusterPaths).
func (x *retainerIndex) stepKey(b []byte, s retainerStep, first bool) []byte {
	if !first {
		b = append(b, s.edgeType)
		switch t := int(s.edgeType); {
		case t == x.element || t == x.hiddenEdge:
		case t == x.internal:
			name := x.strs[s.edgeName]
			if _, ok := weakMapTableID(name); ok {
				b = append(b, "WeakMap entry"...)
			} else if strings.Trim(name, "0123456789") != "" {
				b = append(b, name...)
			}
		case t == x.property:
			// compared in clusterPaths
		default:
			b = append(b, x.strs[s.edgeName]...)
		}
		b = append(b, 0)
	}
	b = append(b, x.typ[s.node])
	if c := x.class[s.node]; int(x.typ[s.node]) == x.object || x.counted.has(s.node) {
		b = append(b, x.classNames[c]...)
	} else {
		b = append(b, x.strs[x.name[s.node]]...)
	}
	return append(b, 0)
}

// pathCluster is the objects held the same way.
type pathCluster struct {
	objects, retained int64
	first             uint32 // the object with the smallest id: its path is shown
	steps             int
	// names holds, for each step of first's path reached by a property
	// edge from an object every object of the cluster shares (a
	// dictionary), the distinct names the objects take there (at most
	// maxNamesKept+1).
	names []stepNames
}

// stepNames is the distinct property names a cluster's objects take at one
// step: first, and the others once there is a second.
type stepNames struct {
	run   int // the step's place among the runs of the key (see clusterKey)
	step  int // the step's index in the cluster's first path
	first string
	names map[string]struct{} // nil until a second name
}

// add counts a name, up to maxNamesKept+1 of them.
func (n *stepNames) add(name string) {
	switch {
	case n.names == nil && name == n.first:
	case n.names == nil:
		n.names = map[string]struct{}{n.first: {}, name: {}}
	case len(n.names) <= maxNamesKept:
		n.names[name] = struct{}{}
	}
}

// count is how many distinct names were counted.
func (n *stepNames) count() int {
	if n.names == nil {
		return 1
	}
	return len(n.names)
}

// maxNamesKept bounds the names a cluster remembers for one step.
const maxNamesKept = 1000

// pathKey is a path's key for clustering, hashed: 128 bits, so that
// millions of distinct paths cost 16 bytes each, not their length, and
// collide with a chance below 2^-80.
type pathKey struct{ a, b uint64 }

var pathSeedA, pathSeedB = maphash.MakeSeed(), maphash.MakeSeed()

func hashKey(key []byte) pathKey {
	return pathKey{maphash.Bytes(pathSeedA, key), maphash.Bytes(pathSeedB, key)}
}

// clusterKey builds the key clustering compares paths by: their steps
// (stepKey), where a run of more than maxDistinctRun of the same link (a
// linked list's next, next, next...) counts as maxDistinctRun, as the
// objects deep in a list are held the same way whatever their place in it,
// while an object one or two links from its holder is told apart (the
// three places in a ring of three). kept receives the index of each step
// the key keeps.
func (x *retainerIndex) clusterKey(key []byte, kept []int, steps []retainerStep, cut bool) ([]byte, []int) {
	key, kept = key[:0], kept[:0]
	if cut {
		key = append(key, 1)
	}
	prev, run := -1, 0
	for i, s := range steps {
		start := len(key)
		key = x.stepKey(key, s, i == 0)
		if prev >= 0 && string(key[prev:start]) == string(key[start:]) {
			run++
			if run >= maxDistinctRun {
				key = key[:start]
				continue
			}
		} else {
			run = 0
		}
		prev = start
		kept = append(kept, i)
	}
	return key, kept
}

// maxDistinctRun is the longest run of one link clustering tells apart.
const maxDistinctRun = 3

// sharedHolder is, for a group of paths, a step reached by a property edge
// and the retainer all the group's objects share there (noRetainer once
// they differ).
type sharedHolder struct {
	run    int
	holder uint32
}

// clusterPaths groups the paths of the given nodes (sorted by id) by the
// way they are held: the same steps (types of edges and their names, the
// classes of the objects on the way), where property names may differ at a
// step whose retainer every object shares: the keys of an object used as a
// dictionary hold its values the same way. It returns the clusters, most
// retained bytes first, then most objects, then shortest.
func (x *retainerIndex) clusterPaths(nodes []uint32) []*pathCluster {
	buf := make([]retainerStep, 0, maxPathSteps)
	var key []byte
	var kept []int
	// Pass 1: group by the steps without property names, and find, for
	// each group and property edge, whether all its objects share its
	// retainer.
	groups := map[pathKey][]sharedHolder{}
	for _, v := range nodes {
		steps, cut := x.pathTo(v, buf)
		key, kept = x.clusterKey(key, kept, steps, cut)
		k := hashKey(key)
		holders, ok := groups[k]
		if !ok {
			holders = []sharedHolder{}
			for j, i := range kept {
				if i > 0 && int(steps[i].edgeType) == x.property {
					holders = append(holders, sharedHolder{run: j, holder: steps[i-1].node})
				}
			}
			groups[k] = holders
			continue
		}
		for n, h := range holders {
			if h.holder != noRetainer && h.holder != steps[kept[h.run]-1].node {
				holders[n].holder = noRetainer
			}
		}
	}
	// Pass 2: the property names where retainers differ are part of the
	// key; where they are shared, they are counted.
	byKey := map[pathKey]*pathCluster{}
	var out []*pathCluster
	for _, v := range nodes {
		steps, cut := x.pathTo(v, buf)
		key, kept = x.clusterKey(key, kept, steps, cut)
		holders := groups[hashKey(key)]
		for _, h := range holders {
			if h.holder == noRetainer {
				key = append(key, x.strs[steps[kept[h.run]].edgeName]...)
				key = append(key, 0)
			}
		}
		k := hashKey(key)
		c, ok := byKey[k]
		if !ok {
			c = &pathCluster{first: v, steps: len(steps)}
			for _, h := range holders {
				if h.holder != noRetainer {
					c.names = append(c.names, stepNames{run: h.run, step: kept[h.run], first: x.strs[steps[kept[h.run]].edgeName]})
				}
			}
			byKey[k] = c
			out = append(out, c)
		}
		c.objects++
		if x.top.has(v) {
			c.retained += int64(x.retained(v))
		}
		for i := range c.names {
			c.names[i].add(x.strs[steps[kept[c.names[i].run]].edgeName])
		}
	}
	slices.SortStableFunc(out, func(a, b *pathCluster) int {
		if c := cmp.Compare(b.retained, a.retained); c != 0 {
			return c
		}
		if c := cmp.Compare(b.objects, a.objects); c != 0 {
			return c
		}
		return cmp.Compare(a.steps, b.steps)
	})
	return out
}
