package v8

import (
	"cmp"
	"slices"
	"strconv"
)

// What a snapshot's retainer index answers: Retainers, and the
// collections.

// Retainers answers who holds the objects of a snapshot analysed with
// AnalyzeOptions.Retainers: for every object, the chain of retainers
// Chrome DevTools' Retainers view expands (see the package doc), kept as
// its first retainer, so that a path is read in as many steps as it is
// long. It holds about 32 bytes a node of the snapshot and the strings its
// paths show, not the snapshot's graph. Its methods may be called from
// several goroutines at once.
type Retainers struct{ x *retainerIndex }

// Classes returns the labels of the snapshot's classes, as Analysis.Classes
// labels them, every class with or without objects: Paths takes a class by
// its index here.
func (r *Retainers) Classes() []string { return r.x.classNames }

// RetainerPaths is who holds a set of objects: their paths, clustered.
type RetainerPaths struct {
	Objects  int64 // the objects asked for
	Retained int64 // the bytes they retain, none counted twice
	// Paths holds one path per way of holding the objects, with how many
	// objects are held that way and what they retain.
	Paths   []RetainerPath
	Omitted int // ways left out by the limit
}

// PathRoot says where a retainer path starts.
type PathRoot uint8

const (
	// RootGlobal is a user root: the global object.
	RootGlobal PathRoot = iota
	// RootModule is a user root, then the runtime's module system
	// (Node.js's require cache, a module's exports).
	RootModule
	// RootSystem is V8's own roots only (handles, the stack, compiled
	// code): no path from the global object holds the object.
	RootSystem
	// RootUnreachable says nothing reached holds the object (V8 had not
	// yet collected it).
	RootUnreachable
)

// RetainerPath is a path from a root to an object: the chain Chrome
// DevTools' Retainers view expands, and how many objects are held the same
// way.
type RetainerPath struct {
	Objects  int64 // objects held this way (1 for one object's path)
	Retained int64 // the bytes they retain, none counted twice
	// Steps run from the root end (Steps[0]) to the object (the last).
	Steps []RetainerStep
	// Cut is set when the path's root end is left out: it was longer than
	// MaxPathSteps, or (for an object nothing reached holds) it closed a
	// cycle.
	Cut bool
	// Root says where the path starts.
	Root PathRoot
	// UserStart is the index of the first step of the part of the path the
	// program made, after the runtime's own objects (its globals, module
	// system, timers) and the closure whose scope holds it.
	UserStart int
}

// RetainerStep is an object on a retainer path and the edge into it. Its
// strings are as the snapshot gives them: names come from the program,
// and are untrusted text.
type RetainerStep struct {
	// EdgeType is V8's type of the edge from the previous step's object:
	// "property", "element", "context" (a variable of a closure's scope),
	// "internal", "hidden" or "shortcut"; "" on the first step. Weak edges
	// are never on a path.
	EdgeType string
	// EdgeName is the edge's name: a property or variable name, an element
	// index, an internal field (a Map's "table").
	EdgeName string
	// Names counts the distinct names the clustered paths' objects take at
	// this step when they are the keys of one object used as a dictionary
	// (0 or 1 otherwise; counting stops past 1000).
	Names int
	// NodeType is V8's type of the object: "object", "closure", "array",
	// "hidden", "native", "synthetic", "string"...
	NodeType string
	// Class is the label of the object's class (see Analysis.Classes).
	Class string
	// Name is the object's own name where it says more than its class: a
	// function's name, "system / Context" for a scope; "" otherwise.
	Name string
	// ID is the object's id in the snapshot.
	ID uint64
}

// MaxPathSteps is the most steps a path has: the root end of a longer one
// (a linked list's) is left out, and the path says it is Cut.
const MaxPathSteps = maxPathSteps

// Paths clusters the paths of the objects of a class (an index in Classes)
// that have a size (those Analysis.Classes counts) and whose ids keep
// accepts (all when keep is nil), by the way they are held: the same steps
// (types of edges and their names, the classes of the objects on the way),
// where the names of a dictionary's keys may differ and a long run of one
// link (a linked list's next, next...) counts as three. It returns at most
// limit clusters (all when limit is 0), the most retained bytes first, each
// with the path of its object of the smallest id. Clustering the paths of
// n objects takes time in n times their length and memory in n; nothing of
// the snapshot is walked.
func (r *Retainers) Paths(class int, keep func(id uint64) bool, limit int) RetainerPaths {
	return r.x.paths(class, keep, limit)
}

// PathOf returns the retainer path of the object with the given id; ok is
// false when the snapshot has no such object. It looks for the id among
// every node.
func (r *Retainers) PathOf(id uint64) (path RetainerPath, ok bool) { return r.x.pathOf(id) }

// paths clusters the paths of the counted objects of a class whose ids
// keep accepts (all when keep is nil): at most limit clusters (all when
// limit is 0), the most retained bytes first.
func (x *retainerIndex) paths(class int, keep func(uint64) bool, limit int) RetainerPaths {
	var res RetainerPaths
	if class < 0 || class >= len(x.classNames) {
		return res
	}
	c := uint32(class)
	// Counted first, so that the list of a class of millions of objects
	// leaves no garbage growing.
	count := 0
	for v, k := range x.class {
		if k == c && x.counted.has(uint32(v)) {
			count++
		}
	}
	nodes := make([]uint32, 0, count)
	for v, k := range x.class {
		if k == c && x.counted.has(uint32(v)) && (keep == nil || keep(x.nodeID(uint32(v)))) {
			nodes = append(nodes, uint32(v))
		}
	}
	slices.SortFunc(nodes, func(a, b uint32) int { return cmp.Compare(x.nodeID(a), x.nodeID(b)) })
	res.Objects = int64(len(nodes))
	for _, v := range nodes {
		if x.top.has(v) {
			res.Retained += int64(x.retained(v))
		}
	}
	clusters := x.clusterPaths(nodes)
	if limit > 0 && len(clusters) > limit {
		res.Omitted = len(clusters) - limit
		clusters = clusters[:limit]
	}
	buf := make([]retainerStep, 0, maxPathSteps)
	for _, cl := range clusters {
		steps, cut := x.pathTo(cl.first, buf)
		p := x.describe(steps, cut)
		p.Objects, p.Retained = cl.objects, cl.retained
		for _, n := range cl.names {
			if n.count() > 1 {
				p.Steps[n.step].Names = n.count()
			}
		}
		res.Paths = append(res.Paths, p)
	}
	return res
}

// pathOf returns the path of the object with the given id.
func (x *retainerIndex) pathOf(id uint64) (RetainerPath, bool) {
	n := max(len(x.id), len(x.id64))
	for v := range uint32(n) {
		if x.nodeID(v) == id {
			steps, cut := x.pathTo(v, nil)
			p := x.describe(steps, cut)
			p.Objects, p.Retained = 1, int64(x.retained(v))
			return p, true
		}
	}
	return RetainerPath{}, false
}

// describe names a path's steps and finds where its user part starts.
func (x *retainerIndex) describe(steps []retainerStep, cut bool) RetainerPath {
	p := RetainerPath{Cut: cut, Steps: make([]RetainerStep, len(steps))}
	module := -1
	for i, s := range steps {
		st := RetainerStep{NodeType: typeName(x.nodeTypes, x.typ[s.node]), ID: x.nodeID(s.node), Class: x.classNames[x.class[s.node]]}
		if i > 0 {
			st.EdgeType, st.EdgeName = typeName(x.edgeTypes, s.edgeType), x.edgeName(s)
		}
		if name := x.strs[x.name[s.node]]; int(x.typ[s.node]) != x.object && name != st.Class {
			st.Name = name
		}
		if int(x.typ[s.node]) == x.object && st.Class == "Module" {
			module = i
		}
		p.Steps[i] = st
	}
	last := steps[len(steps)-1].node
	switch x.reach[last] {
	case reachSystem:
		p.Root = RootSystem
	case reachUnreachable:
		p.Root = RootUnreachable
	default:
		p.Root = RootGlobal
	}
	p.UserStart = min(1, len(steps)-1)
	if module >= 0 && p.Root == RootGlobal {
		p.Root = RootModule
		p.UserStart = min(module+2, len(steps)-1)
	}
	// The first closure of the program's own code: its scope's variables
	// are where the program's part begins.
	for i, s := range steps {
		if x.user.has(s.node) {
			p.UserStart = i
			if i+2 < len(steps) && int(steps[i+1].edgeType) == x.internal && x.strs[steps[i+1].edgeName] == "context" {
				p.UserStart = i + 2
			}
			break
		}
	}
	return p
}

// typeName is the name of a node or edge type, "" for one the snapshot's
// header does not name.
func typeName(names []string, t uint8) string {
	if int(t) < len(names) {
		return names[t]
	}
	return ""
}

// Collections lists a snapshot's collections: its Maps, Sets, Arrays and
// other objects holding at least Least objects, by id.
type Collections struct {
	List []Collection
	// Least is the fewest entries a listed collection has:
	// MinCollectionEntries, or more when the snapshot has more than
	// MaxCollections and only the largest are listed. A collection not
	// listed has fewer.
	Least int64
}

// Collection is an object holding many others: a Map, a Set, an Array, or
// any other object by its properties and elements (an object used as a
// dictionary, an EventEmitter's _events). WeakMaps and WeakSets, which
// hold nothing alive, are not collections.
type Collection struct {
	ID uint64
	// Class is the label of its class (see Analysis.Classes).
	Class string
	// Entries counts the objects it references: a Map's entry counts once
	// whether its key, its value or both are objects; an object's
	// properties and elements count, but its __proto__.
	Entries int64
	// Size is its shallow size, with its backing store (as DevTools
	// counts); Retained what it retains.
	Size, Retained int64
}

// MinCollectionEntries is the fewest entries a collection is listed with;
// MaxCollections, how many are listed at most (the largest).
const (
	MinCollectionEntries = 8
	MaxCollections       = 100_000
)

// collections lists the snapshot's collections by id, the node of each,
// and the fewest entries a listed one has. Their sizes are left to the
// caller (see retainerWork.finish).
func (r *retainerNames) collections(class []uint32, classNames []string) (list []Collection, ordinals []uint32, least int64) {
	g := r.g
	type found struct {
		Collection
		v uint32
	}
	var all []found
	for v := uint32(0); int(v) < g.nodes; v++ {
		if int(g.typ[v]) != r.object {
			continue
		}
		name := classNames[class[v]]
		var entries int64
		switch name {
		case "WeakMap", "WeakSet":
			continue
		case "Map", "Set":
			entries = r.tableEntries(v)
		default:
			for e := g.firstEdge[v]; e < g.firstEdge[v+1]; e++ {
				switch t := int(g.etype[e]); {
				case t == r.element:
					entries++
				case t == r.property && !r.edgeNameIs(e, "__proto__"):
					entries++
				}
			}
		}
		if entries >= MinCollectionEntries {
			all = append(all, found{Collection{ID: g.nodeID(v), Class: name, Entries: entries}, v})
		}
	}
	least = MinCollectionEntries
	if len(all) > MaxCollections {
		slices.SortFunc(all, func(a, b found) int { return cmp.Compare(b.Entries, a.Entries) })
		all = all[:MaxCollections]
		least = all[len(all)-1].Entries
	}
	slices.SortFunc(all, func(a, b found) int { return cmp.Compare(a.ID, b.ID) })
	list, ordinals = make([]Collection, len(all)), make([]uint32, len(all))
	for i, f := range all {
		list[i], ordinals[i] = f.Collection, f.v
	}
	return list, ordinals, least
}

// tableEntries counts the entries of a Map or Set: the objects its hash
// table (its internal edge "table") references, by slot. V8's ordered hash
// tables keep an entry's key and value in consecutive slots (then a chain
// link, a number), so two referenced slots next to each other are one
// entry; entries are never closer than two slots apart.
func (r *retainerNames) tableEntries(v uint32) int64 {
	g := r.g
	var table uint32
	found := false
	for e := g.firstEdge[v]; e < g.firstEdge[v+1]; e++ {
		if int(g.etype[e]) == r.internal && r.edgeNameIs(e, "table") {
			table, found = g.eto[e], true
			break
		}
	}
	if !found {
		return 0
	}
	var slots []int64
	for e := g.firstEdge[table]; e < g.firstEdge[table+1]; e++ {
		if int(g.etype[e]) != r.internal {
			continue
		}
		if i, err := strconv.ParseInt(r.edgeName(e), 10, 64); err == nil {
			slots = append(slots, i)
		}
	}
	slices.Sort(slots)
	slots = slices.Compact(slots)
	entries := int64(len(slots))
	for i := 1; i < len(slots); i++ {
		if slots[i] == slots[i-1]+1 {
			entries--
			i++ // a slot pairs once
		}
	}
	return entries
}
