package profile

import (
	"cmp"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
)

// What a snapshot's retainer index answers, in neutral terms.

// paths clusters the paths of the counted objects of a class whose ids
// keep accepts (all when keep is nil): at most limit clusters (all when
// limit is 0), the most retained bytes first.
func (x *retainerIndex) paths(className string, keep func(uint64) bool, limit int) RetainerPaths {
	var res RetainerPaths
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
	v := slices.Index(x.id, id)
	if v < 0 {
		return RetainerPath{}, false
	}
	steps, cut := x.pathTo(uint32(v), nil)
	p := x.describe(steps, cut)
	p.Objects, p.Retained = 1, int64(x.retained[v])
	return p, true
}

// describe names a path's steps and finds where its user part starts.
func (x *retainerIndex) describe(steps []retainerStep, cut bool) RetainerPath {
	p := RetainerPath{Cut: cut, Steps: make([]RetainerStep, len(steps))}
	module := -1
	for i, s := range steps {
		st := RetainerStep{NodeType: x.nodeTypes[x.typ[s.node]], ID: x.id[s.node]}
		if i > 0 {
			st.EdgeType, st.EdgeName = x.edgeTypes[s.edgeType], printable(x.edgeName(s))
		}
		if c := x.class[s.node]; c >= 0 {
			st.Class = x.classNames[c]
		}
		if name := printable(x.strs[x.name[s.node]]); int(x.typ[s.node]) != x.object && name != st.Class {
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

// minCollectionEntries is the fewest entries a collection is listed with;
// maxCollections, how many are listed at most (the largest).
const (
	minCollectionEntries = 8
	maxCollections       = 100_000
)

// collections lists the snapshot's collections by id, and the fewest
// entries a listed one has (more than minCollectionEntries when the list
// was cut to maxCollections).
func (r *retainerNames) collections(a *v8Analysis, class []int32, classNames []string) (list []Collection, least int64) {
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
			list = append(list, Collection{ID: g.id[v], Class: printable(name), Entries: entries, Size: int64(a.self[v]), Retained: int64(a.retained[v])})
		}
	}
	least = minCollectionEntries
	if len(list) > maxCollections {
		slices.SortFunc(list, func(a, b Collection) int { return cmp.Compare(b.Entries, a.Entries) })
		list = list[:maxCollections]
		least = list[len(list)-1].Entries
	}
	slices.SortFunc(list, func(a, b Collection) int { return cmp.Compare(a.ID, b.ID) })
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

// Label names what a path leads to in the program's words: the variable
// and property names of its user part, joined by dots ("sessions",
// "bus._events.broadcast"); "" when it has none.
func (p RetainerPath) Label() string {
	var parts []string
	for _, s := range p.Steps[min(p.UserStart, len(p.Steps)):] {
		switch s.EdgeType {
		case "context", "property", "shortcut":
			parts = append(parts, s.EdgeName)
		}
	}
	return strings.Join(parts, ".")
}

// snapshotRetainers is a heap snapshot's Retainers.
type snapshotRetainers struct{ x *retainerIndex }

func (s *snapshotRetainers) Paths(class string, keep func(uint64) bool, limit int) RetainerPaths {
	// As while loading (see parseV8Snapshot): clustering the paths of a
	// class with hundreds of thousands of new objects held in as many ways
	// makes garbage of the order of the index, which collecting often
	// keeps from adding to the peak.
	snapshotMu.Lock()
	defer snapshotMu.Unlock()
	defer debug.SetGCPercent(debug.SetGCPercent(snapshotGCPercent))
	return s.x.paths(class, keep, limit)
}

func (s *snapshotRetainers) PathOf(id uint64) (RetainerPath, bool) { return s.x.pathOf(id) }
