package profile

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
)

// What a snapshot's retainer index answers, in neutral terms.

// snapshotPaths is who holds a set of objects of a snapshot: their paths,
// clustered.
type snapshotPaths struct {
	Objects  int64 // objects asked for
	Retained int64 // what they retain, none counted twice
	Clusters []snapshotPath
	Omitted  int // clusters left out by the limit
}

// snapshotPath is one path from a root to an object, and how many objects
// are held the same way.
type snapshotPath struct {
	Objects  int64
	Retained int64
	Steps    []snapshotStep // root end first, the object last
	// Cut is set when the path's root end is left out: it was longer than
	// maxPathSteps.
	Cut bool
	// Root says where the path starts: "global" (a user root, the global
	// object), "module" (a user root, then Node.js's module system),
	// "system" (V8's own roots only) or "unreachable".
	Root string
	// UserStart is the index of the first step of the part of the path the
	// program made: after the runtime's own objects (its globals, its
	// module system, its timers) and the closure whose scope holds it.
	UserStart int
}

// snapshotStep is an object on a path and the edge into it.
type snapshotStep struct {
	EdgeType string // "" for the first step
	EdgeName string // a property or variable name, an element index, an internal field
	// Names counts the names the path's objects take at this step when they
	// are the keys of one object used as a dictionary (more than 1000: 1001).
	Names    int
	NodeType string // V8's type: object, closure, array, hidden, native, synthetic...
	Class    string // the class the class view puts it in
	Name     string // its name where it says more than its class: a function's, "system / Context"
	ID       uint64
}

// paths clusters the paths of the counted objects of a class whose ids
// keep accepts (all when keep is nil): at most limit clusters (all when
// limit is 0), the most retained bytes first.
func (x *retainerIndex) paths(className string, keep func(uint64) bool, limit int) snapshotPaths {
	var res snapshotPaths
	c := int32(slices.Index(x.classNames, className))
	if c < 0 {
		return res
	}
	var nodes []uint32
	for v, k := range x.class {
		if k == c && x.counted.has(uint32(v)) && (keep == nil || keep(x.id[v])) {
			nodes = append(nodes, uint32(v))
		}
	}
	slices.SortFunc(nodes, func(a, b uint32) int { return cmp.Compare(x.id[a], x.id[b]) })
	res.Objects = int64(len(nodes))
	for _, v := range nodes {
		if x.top.has(v) {
			res.Retained += int64(x.retained[v])
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
		for i, names := range cl.names {
			if len(names) > 1 {
				p.Steps[i].Names = len(names)
			}
		}
		res.Clusters = append(res.Clusters, p)
	}
	return res
}

// pathOf returns the path of the object with the given id.
func (x *retainerIndex) pathOf(id uint64) (snapshotPath, bool) {
	v := slices.Index(x.id, id)
	if v < 0 {
		return snapshotPath{}, false
	}
	steps, cut := x.pathTo(uint32(v), nil)
	p := x.describe(steps, cut)
	p.Objects, p.Retained = 1, int64(x.retained[v])
	return p, true
}

// describe names a path's steps and finds where its user part starts.
func (x *retainerIndex) describe(steps []retainerStep, cut bool) snapshotPath {
	p := snapshotPath{Cut: cut, Steps: make([]snapshotStep, len(steps))}
	module := -1
	for i, s := range steps {
		st := snapshotStep{NodeType: x.nodeTypes[x.typ[s.node]], ID: x.id[s.node]}
		if i > 0 {
			st.EdgeType, st.EdgeName = x.edgeTypes[s.edgeType], x.edgeName(s)
		}
		if c := x.class[s.node]; c >= 0 {
			st.Class = x.classNames[c]
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
		p.Root = "system"
	case reachUnreachable:
		p.Root = "unreachable"
	default:
		p.Root = "global"
	}
	p.UserStart = min(1, len(steps)-1)
	if module >= 0 && p.Root == "global" {
		p.Root = "module"
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

// snapshotCollection is an object holding many others: a Map, a Set, an
// Array, or any other object by its properties and elements (an object
// used as a dictionary).
type snapshotCollection struct {
	ID       uint64
	Class    string
	Entries  int64 // the objects it references (a Map's keys and values count as one entry)
	Size     int64 // its shallow size, with its backing store (DevTools')
	Retained int64
}

// minCollectionEntries is the fewest entries a collection is listed with;
// maxCollections, how many are listed at most (the largest).
const (
	minCollectionEntries = 8
	maxCollections       = 100_000
)

// collections lists the snapshot's collections by id, and the fewest
// entries a listed one has (more than minCollectionEntries when the list
// was cut to maxCollections).
func (r *retainerNames) collections(a *v8Analysis, class []int32, classNames []string) (list []snapshotCollection, least int64) {
	g := r.g
	for v := uint32(0); int(v) < len(g.typ); v++ {
		if int(g.typ[v]) != r.object || class[v] < 0 {
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
				case t == r.property && r.edgeName(e) != "__proto__":
					entries++
				}
			}
		}
		if entries >= minCollectionEntries {
			list = append(list, snapshotCollection{ID: g.id[v], Class: name, Entries: entries, Size: int64(a.self[v]), Retained: int64(a.retained[v])})
		}
	}
	least = minCollectionEntries
	if len(list) > maxCollections {
		slices.SortFunc(list, func(a, b snapshotCollection) int { return cmp.Compare(b.Entries, a.Entries) })
		list = list[:maxCollections]
		least = list[len(list)-1].Entries
	}
	slices.SortFunc(list, func(a, b snapshotCollection) int { return cmp.Compare(a.ID, b.ID) })
	return list, least
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
		if int(g.etype[e]) == r.internal && r.edgeName(e) == "table" {
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

// label is a collection's name in a path's words: the variable or
// property names of the path's user part, joined by dots.
func (p snapshotPath) label() string {
	var parts []string
	for _, s := range p.Steps[min(p.UserStart, len(p.Steps)):] {
		switch s.EdgeType {
		case "context", "property", "shortcut":
			parts = append(parts, s.EdgeName)
		}
	}
	return strings.Join(parts, ".")
}
