package profile

// Loading a snapshot for retainer paths: which strings to keep while the
// string table streams by, and what to keep once the graph is analysed.

// markRetainerStrings marks the strings retainer paths read: the names of
// every edge that has one (not elements' and hidden edges' indexes, not
// weak edges', never on a path), and the names of every node but strings
// (whose names are their contents): DevTools orders retainers by name.
func (g *v8Graph) markRetainerStrings(mark func(uint32)) {
	element, hidden, weak := g.edgeType("element"), g.edgeType("hidden"), g.edgeType("weak")
	for e, name := range g.ename {
		if t := int(g.etype[e]); t != element && t != hidden && t != weak {
			mark(name)
		}
	}
	str, cons, sliced := indexOf(g.nodeTypes, "string"), indexOf(g.nodeTypes, "concatenated string"), indexOf(g.nodeTypes, "sliced string")
	for v, t := range g.typ {
		if int(t) != str && int(t) != cons && int(t) != sliced {
			mark(g.name[v])
		}
	}
}

// attachRetainers gives p, the class view of the analysed snapshot, its
// Collections and, when paths is set, its Retainers. The graph's edge names
// are dropped: the graph is not used after this.
func (g *v8Graph) attachRetainers(p *Profile, a *v8Analysis, paths bool) {
	class, names := g.classNames()
	r := newRetainerNames(g, g.ename)
	list, least := r.collections(a, class, names)
	p.Collections = &Collections{List: list, Least: least}
	if paths {
		dist := r.distances()
		parent, via := r.firstRetainers(dist)
		p.Retainers = &snapshotRetainers{x: r.newRetainerIndex(a, dist, parent, via, class, names)}
	}
	g.ename = nil
}
