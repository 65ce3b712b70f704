package v8

import (
	"slices"
	"strconv"
)

// Classes as DevTools names and keys them (HeapSnapshot.ts in
// chrome-devtools-frontend: calculateObjectNames, classKeyInternal,
// propagateDOMState).
//
// Names: hidden objects are "(system)", code "(compiled code)", closures
// "Function" (all of them, whatever the function's name: DevTools does not
// split closures by name or location, as most such rows would hold one
// object), regexps "RegExp", objects and native objects their constructor's
// name ("<div id=x>" shortened to "<div>"), and every other type "(type)".
// A native node the snapshot marks detached from the DOM, or that only
// detached native nodes reach, is named "Detached " + its name.
//
// Keys: an object (node type "object") whose constructor has a location is
// keyed by that location (script id, line, column) and its name; every
// other node by its name. So two modules that each define class Session give
// two classes.
//
// Labels: a class keyed by location is labelled by its name alone when the
// snapshot defines that name nowhere else (no other class of that name, no
// constructor of that name defined elsewhere: a class whose objects are all
// gone still has its constructor, a closure of that name with an initial
// map, which V8 gives a function once "new" has used it), so a snapshot of
// uniquely named classes keeps the names it always had. Otherwise the label
// adds where the constructor is defined, in the fewest words that tell the
// definitions apart:
// "Session (session-a.js:6)", then with the column, then with the whole
// path, then with the script id. Lines and columns are 1-based. Counting
// closures makes the label the same in two snapshots of a process even when
// one of them holds no object of a class; a module loaded between the two
// snapshots can still give a name a second definition in the second only.
// So each class also has a key that does not depend on the snapshot's other
// classes: its label with the whole path, line and column ("Session
// (/app/session-a.js:6:3)"), by which a comparison matches classes and
// then labels them from both snapshots' keys.

// classLocation is where a class's constructor is defined: a key of a class.
type classLocation struct {
	name                 uint32 // string index of the class name
	script, line, column uint32 // as the snapshot's locations give them
}

// classNames sets each node's class, an index into the classes it returns,
// in class, whose Totals are left for the caller to fill.
func (g *Snapshot) classNames(class []uint32) (classes []Class) {
	byName := map[string]uint32{}
	intern := func(s string) uint32 {
		if c, ok := byName[s]; ok {
			return c
		}
		c := uint32(len(classes))
		classes = append(classes, Class{Label: s, Name: s, Key: s})
		byName[s] = c
		return c
	}
	const none = ^uint32(0)
	typeClass := make([]uint32, 256)
	for i := range typeClass {
		typeClass[i] = none
	}
	object := indexOf(g.nodeTypes, "object")
	for t, name := range g.nodeTypes {
		if t > 255 {
			break
		}
		switch name {
		case "hidden":
			typeClass[t] = intern("(system)")
		case "code":
			typeClass[t] = intern("(compiled code)")
		case "closure":
			typeClass[t] = intern("Function")
		case "regexp":
			typeClass[t] = intern("RegExp")
		case "object", "native":
			// by name, below
		default:
			typeClass[t] = intern("(" + name + ")")
		}
	}
	detached := g.detachedNodes()
	unknown := none
	byString := make(map[uint32]uint32)
	byDetachedString := make(map[uint32]uint32)
	byLocation := map[classLocation]uint32{}
	var locatedKeys []classLocation // of the classes keyed by location, in order
	var locatedClass []uint32
	loc := g.locations
	next := 0 // the first location of a node at or after the current one
	for i, t := range g.typ {
		if c := typeClass[t]; c != none {
			class[i] = c
			continue
		}
		if int(t) >= len(g.nodeTypes) {
			if unknown == none {
				unknown = intern("(unknown)")
			}
			class[i] = unknown
			continue
		}
		if int(t) == object {
			for next < loc.len() && loc[next].node < uint32(i) {
				next++
			}
			if next < loc.len() && loc[next].node == uint32(i) {
				key := classLocation{g.name[i], loc[next].script, loc[next].line, loc[next].column}
				c, ok := byLocation[key]
				if !ok {
					// Labelled below, once every class is known.
					c = uint32(len(classes))
					classes = append(classes, Class{
						Name:     g.strings.at(key.name),
						Located:  true,
						Location: Location{ScriptID: key.script, Line: key.line, Column: key.column},
					})
					byLocation[key] = c
					locatedKeys = append(locatedKeys, key)
					locatedClass = append(locatedClass, c)
				}
				class[i] = c
				continue
			}
		}
		isDetached := detached != nil && detached.has(uint32(i))
		cache := byString
		if isDetached {
			cache = byDetachedString
		}
		c, ok := cache[g.name[i]]
		if !ok {
			name := g.strings.at(g.name[i])
			if isDetached {
				name = "Detached " + name
			}
			c = intern(objectClassName(name))
			cache[g.name[i]] = c
		}
		class[i] = c
	}
	if len(locatedKeys) > 0 {
		labels, keys := g.classLabels(locatedKeys, byName)
		for j, c := range locatedClass {
			classes[c].Label, classes[c].Key = labels[j], keys[j]
		}
	}
	return classes
}

// classLabels labels the classes keyed by location (see the rules above),
// and gives each the key that tells it apart in any snapshot: its label
// with the whole path and the column (and the script id, if the snapshot
// needs it). plain holds the names of the classes keyed by name alone.
func (g *Snapshot) classLabels(keys []classLocation, plain map[string]uint32) (labels, classKeys []string) {
	// Every definition of each name a located class has: its classes'
	// locations and those of the closures of that name.
	type site struct{ script, line, column uint32 }
	defs := map[uint32]map[site]bool{}
	for _, k := range keys {
		if defs[k.name] == nil {
			defs[k.name] = map[site]bool{}
		}
		defs[k.name][site{k.script, k.line, k.column}] = true
	}
	closure := indexOf(g.nodeTypes, "closure")
	var constructors []location // of closures named as a class
	for _, l := range g.locations {
		if int(g.typ[l.node]) == closure && defs[g.name[l.node]] != nil {
			constructors = append(constructors, l)
		}
	}
	nodes := make([]uint32, len(constructors))
	for j, l := range constructors {
		nodes[j] = l.node
	}
	at := g.internalEdgeNames(nodes)
	for _, l := range constructors {
		// Only a function "new" has made objects with has an initial map:
		// Node.js names many plain functions NodeError, say, beside its
		// class NodeError.
		if v := l.node; g.hasInternalEdge(v, at[v], "initial_map") {
			defs[g.name[v]][site{l.script, l.line, l.column}] = true
		}
	}
	scripts := g.scriptNames()
	label := func(k classLocation, level int) string {
		url, known := scripts[k.script]
		var where string
		switch {
		case !known:
			where = "script " + strconv.FormatUint(uint64(k.script), 10)
		case level >= 2:
			where = url
		default:
			where = ScriptLabel(url)
		}
		where += ":" + strconv.FormatUint(uint64(k.line)+1, 10)
		if level >= 1 {
			where += ":" + strconv.FormatUint(uint64(k.column)+1, 10)
		}
		if level >= 3 && known {
			where += " script " + strconv.FormatUint(uint64(k.script), 10)
		}
		return g.strings.at(k.name) + " (" + where + ")"
	}
	// The level each name needs: the least at which its definitions'
	// labels differ.
	levelOf := map[uint32]int{}
	for name, d := range defs {
		if _, clash := plain[g.strings.at(name)]; len(d) == 1 && !clash {
			levelOf[name] = -1 // one definition: the plain name
			continue
		}
		level := 0
		for ; level < 3; level++ {
			seen := make(map[string]bool, len(d))
			distinct := true
			for s := range d {
				l := label(classLocation{name, s.script, s.line, s.column}, level)
				if seen[l] {
					distinct = false
					break
				}
				seen[l] = true
			}
			if distinct {
				break
			}
		}
		levelOf[name] = level
	}
	labels = make([]string, len(keys))
	classKeys = make([]string, len(keys))
	for j, k := range keys {
		level := levelOf[k.name]
		if level < 0 {
			labels[j] = g.strings.at(k.name)
		} else {
			labels[j] = label(k, level)
		}
		classKeys[j] = label(k, max(level, 2))
	}
	return labels, classKeys
}

// detachedNodes returns the native nodes DevTools names "Detached ...", or
// nil when there are none to find, as
// its propagateDOMState does: those the snapshot marks detached, and the
// native nodes that native nodes marked detached reach (through edges that
// are not hidden, invisible or weak) and no attached native node reaches.
// State does not pass through JavaScript objects: every entry point from
// JavaScript into the embedder's objects knows its own state. A snapshot
// without a detachedness field (older V8) names its detached nodes itself.
func (g *Snapshot) detachedNodes() bitset {
	if g.detached == nil {
		return nil
	}
	const (
		unknown  = 0
		attached = 1
		isDetach = 2
	)
	native := indexOf(g.nodeTypes, "native")
	hidden, invisible, weak := g.edgeType("hidden"), g.edgeType("invisible"), g.edgeType("weak")
	n := len(g.typ)
	state := slices.Clone(g.detached)
	visited := newBitset(n)
	renamed := newBitset(n)
	var attachedQ, detachedQ []uint32
	process := func(v uint32, s uint8) {
		if visited.has(v) {
			return
		}
		visited.set(v)
		if int(g.typ[v]) != native {
			return
		}
		state[v] = s
		switch s {
		case attached:
			attachedQ = append(attachedQ, v)
		case isDetach:
			renamed.set(v)
			detachedQ = append(detachedQ, v)
		}
	}
	propagate := func(v uint32, s uint8) {
		for e := g.firstEdge[v]; e < g.firstEdge[v+1]; e++ {
			if t := int(g.etype[e]); t != hidden && t != invisible && t != weak {
				process(g.eto[e], s)
			}
		}
	}
	for v := range n {
		if s := state[v] & 3; s != unknown {
			process(uint32(v), s)
		}
	}
	for len(attachedQ) > 0 {
		v := attachedQ[len(attachedQ)-1]
		attachedQ = attachedQ[:len(attachedQ)-1]
		propagate(v, attached)
	}
	for len(detachedQ) > 0 {
		v := detachedQ[len(detachedQ)-1]
		detachedQ = detachedQ[:len(detachedQ)-1]
		if state[v]&3 == attached {
			continue
		}
		propagate(v, isDetach)
	}
	return renamed
}
