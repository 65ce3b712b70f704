package v8

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
)

// Where JavaScript is defined. A V8 heap snapshot's "locations" array gives,
// for each closure, the script, line and column its function starts at, and
// for each object, those of its constructor (V8's ExtractLocation). DevTools
// keys an object's class by that location as well as by its name
// (classKeyInternal), so two modules that each define a class Session are
// two rows. The array holds script ids only; a script's name is read from
// the graph: a closure's "shared" edge leads to its SharedFunctionInfo, whose
// "script" (or "script_or_debug_info") edge leads to the Script, a "code"
// node named after the script's URL or path. Allocation traces
// (trace_function_infos) name scripts too.

// locationTable holds the locations of a snapshot's objects and closures,
// sorted by node ordinal, one per node.
type locationTable []location

// location is where a node's function (or constructor) is defined.
type location struct {
	node                 uint32 // ordinal
	script, line, column uint32 // script id; line and column 0-based, as the snapshot gives them
	// seq is the location's position in the snapshot's array: the last
	// one given for a node wins, as in DevTools.
	seq uint32
}

func (l locationTable) len() int { return len(l) }

// readLocations reads the "locations" array, a flat list of location_fields
// tuples. Only the locations of object and closure nodes are kept, the only
// ones the analysis reads; so at most one per node is kept (the last, as in
// DevTools), and what they take is bounded by the nodes already read. A
// snapshot whose locations come before its nodes (V8 writes them after) is
// read without them.
func (g *Snapshot) readLocations(s *jsonScanner, fields []string) error {
	nodeField, scriptField, lineField, colField := indexOf(fields, "object_index"), indexOf(fields, "script_id"), indexOf(fields, "line"), indexOf(fields, "column")
	if nodeField < 0 || scriptField < 0 || lineField < 0 || colField < 0 || len(g.typ) == 0 {
		return s.skip()
	}
	object, closure := indexOf(g.nodeTypes, "object"), indexOf(g.nodeTypes, "closure")
	nf := uint64(g.nodeFieldCount)
	l := &g.locations
	var at, script, line, column uint64
	k := 0
	sorted := true
	err := s.uints(func(v uint64) error {
		switch k {
		case nodeField:
			at = v
		case scriptField:
			script = v
		case lineField:
			line = v
		case colField:
			column = v
		}
		k++
		if k < len(fields) {
			return nil
		}
		k = 0
		if at%nf != 0 || at/nf >= uint64(len(g.typ)) {
			return s.syntaxError("location object_index %d is not a node index", at)
		}
		v32 := uint32(at / nf)
		if t := int(g.typ[v32]); t != object && t != closure {
			return nil
		}
		loc := location{node: v32, script: clamp32(script), line: clamp32(line), column: clamp32(column), seq: uint32(l.len())}
		if n := l.len(); n > 0 && (*l)[n-1].node >= v32 {
			if (*l)[n-1].node == v32 {
				loc.seq = (*l)[n-1].seq
				(*l)[n-1] = loc
				return nil
			}
			sorted = false
		}
		if l.len() >= len(g.typ) {
			return s.syntaxError("more locations than nodes")
		}
		if l.len() == cap(*l) {
			*l = regrow(*l, grownCap(l.len(), int64(len(g.typ))))
		}
		*l = append(*l, loc)
		return nil
	})
	if err != nil {
		return err
	}
	if k != 0 {
		return fmt.Errorf("%w: the locations array ends inside a location", ErrMalformed)
	}
	if !sorted {
		l.sortByNode()
	}
	return nil
}

func clamp32(v uint64) uint32 { return uint32(min(v, math.MaxUint32)) }

// sortByNode orders the locations by node, in place, keeping the last one
// given for each node, as DevTools' location map does.
func (l *locationTable) sortByNode() {
	slices.SortFunc(*l, func(a, b location) int {
		return cmp.Or(cmp.Compare(a.node, b.node), cmp.Compare(a.seq, b.seq))
	})
	kept := (*l)[:0]
	for i, loc := range *l {
		if i+1 < l.len() && (*l)[i+1].node == loc.node {
			continue // a later one for the same node wins
		}
		kept = append(kept, loc)
	}
	*l = kept
}

// scriptRepresentatives returns, for each script id, up to maxScriptProbes
// closures defined in it: the graph paths from them to the script's name
// are what scriptNames follows.
func (g *Snapshot) scriptRepresentatives() map[uint32][]uint32 {
	closure := indexOf(g.nodeTypes, "closure")
	reps := map[uint32][]uint32{}
	for _, loc := range g.locations {
		if int(g.typ[loc.node]) != closure {
			continue
		}
		if r := reps[loc.script]; len(r) < maxScriptProbes {
			reps[loc.script] = append(r, loc.node)
		}
	}
	return reps
}

// maxScriptProbes is how many closures of a script are tried to find its
// name: the first may have lost its path to the script (a function being
// debugged has DebugInfo there instead).
const maxScriptProbes = 3

// markScriptNameCandidates marks, for the string table still to be read,
// the names of the nodes a script's name may be read from: the "code" nodes
// two internal edges away from each script's representative closures.
func (g *Snapshot) markScriptNameCandidates(reps map[uint32][]uint32, mark func(uint32)) {
	code, internal := indexOf(g.nodeTypes, "code"), g.edgeType("internal")
	for _, closures := range reps {
		for _, c := range closures {
			for e := g.firstEdge[c]; e < g.firstEdge[c+1]; e++ {
				if int(g.etype[e]) != internal || int(g.typ[g.eto[e]]) != code {
					continue
				}
				t := g.eto[e]
				for f := g.firstEdge[t]; f < g.firstEdge[t+1]; f++ {
					if u := g.eto[f]; int(g.etype[f]) == internal && int(g.typ[u]) == code {
						mark(g.name[u])
					}
				}
			}
		}
	}
}

// largestScriptNameCandidate returns the largest string index
// markScriptNameCandidates would mark.
func (g *Snapshot) largestScriptNameCandidate(reps map[uint32][]uint32) uint32 {
	var largest uint32
	g.markScriptNameCandidates(reps, func(i uint32) { largest = max(largest, i) })
	return largest
}

// internalEdgeNames returns, for each of the given nodes, the position in
// eintName of its first internal edge: eintName lists the names of internal
// edges only, in edge order, so a node's names start after those of the
// internal edges of all nodes before it (see internalName). One pass over
// the edges.
func (g *Snapshot) internalEdgeNames(nodes []uint32) map[uint32]int {
	want := slices.Clone(nodes)
	slices.Sort(want)
	want = slices.Compact(want)
	internal := g.edgeType("internal")
	at := make(map[uint32]int, len(want))
	k, w := 0, 0
	for v := uint32(0); int(v) < len(g.typ) && w < len(want); v++ {
		if v == want[w] {
			at[v] = k
			w++
		}
		for e := g.firstEdge[v]; e < g.firstEdge[v+1]; e++ {
			if int(g.etype[e]) == internal {
				k++
			}
		}
	}
	return at
}

// internalEdge returns the target of v's first internal edge named one of
// names; start is the position of v's first internal edge name in eintName.
func (g *Snapshot) internalEdge(v uint32, start int, names ...string) (uint32, bool) {
	internal := g.edgeType("internal")
	k := start
	for e := g.firstEdge[v]; e < g.firstEdge[v+1]; e++ {
		if int(g.etype[e]) != internal {
			continue
		}
		if name, ok := g.internalName(e, k); ok && slices.Contains(names, g.strings.at(name)) {
			return g.eto[e], true
		}
		k++
	}
	return 0, false
}

// scriptNames maps script ids to script names (URLs or paths): from the
// allocation traces' functions, then from the graph, closure →
// SharedFunctionInfo → Script. A script whose name is found nowhere is
// left out.
func (g *Snapshot) scriptNames() map[uint32]string {
	names := map[uint32]string{}
	for _, f := range g.traceFuncs {
		if name := g.strings.at(f.script); name != "" && f.scriptID != 0 {
			names[f.scriptID] = name
		}
	}
	reps := g.scriptRepresentatives()
	var closures []uint32
	for id, r := range reps {
		if _, ok := names[id]; !ok {
			closures = append(closures, r...)
		}
	}
	if len(closures) == 0 {
		return names
	}
	code := indexOf(g.nodeTypes, "code")
	at := g.internalEdgeNames(closures)
	shared := map[uint32]uint32{} // closure → its SharedFunctionInfo
	var sfis []uint32
	for _, c := range closures {
		if t, ok := g.internalEdge(c, at[c], "shared"); ok && int(g.typ[t]) == code {
			shared[c] = t
			sfis = append(sfis, t)
		}
	}
	sfiAt := g.internalEdgeNames(sfis)
	for id, r := range reps {
		if _, ok := names[id]; ok {
			continue
		}
		for _, c := range r {
			t, ok := shared[c]
			if !ok {
				continue
			}
			u, ok := g.internalEdge(t, sfiAt[t], "script", "script_or_debug_info")
			if !ok || int(g.typ[u]) != code {
				continue
			}
			if name := g.strings.at(g.name[u]); name != "" && !strings.HasPrefix(name, "system / ") {
				names[id] = name
				break
			}
		}
	}
	return names
}

// hasInternalEdge reports whether v has an internal edge named name; start
// is the position of v's first internal edge name in eintName.
func (g *Snapshot) hasInternalEdge(v uint32, start int, name string) bool {
	_, ok := g.internalEdge(v, start, name)
	return ok
}
