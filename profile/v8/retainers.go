package v8

import (
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Retainer paths: who keeps an object alive. For every object of a heap
// snapshot, its path is the chain Chrome DevTools' Retainers view expands
// when the object is selected (HeapSnapshotRetainingObjectNode.
// expandRetainersChain): the object's retainers (the edges into it) sorted
// by the retainer's distance from the roots, then by the retainer's name,
// then by DevTools' retainer order (the reverse of the edges' order in the
// file), and the first one taken, level after level, until an object at
// distance 1 (a user root: the global object) or one with no retainer.
//
// Distances are DevTools' (calculateDistances): breadth first from the user
// roots (what the snapshot's root holds that is not synthetic, and the
// "(Document DOM trees)" root), which are at distance 1, without weak edges,
// without the links of V8's descriptor arrays that maps share, without the
// native context's sloppy_function_map, and counting each WeakMap entry
// only on its second edge (from the key or the table, whichever comes
// later); then breadth first from the snapshot's root, at 100,000,000, for
// what only V8's own roots hold ("system" distances).
//
// Retainers are the edges DevTools lists (not weak, not from the snapshot's
// root, not "invisible"), less one: the edge from a WeakMap's table to a
// value. A WeakMap holds its values only while their keys live, so the key
// is what keeps a value alive, and DevTools' own retained sizes charge the
// value to its key for that reason (computeIsEssentialEdge). Its Retainers
// view still lists the table, often first; this package gives the key.
//
// Why this way, and not from the dominator tree: see the package doc.

// DevTools' distances (HeapSnapshotModel.ts, HeapSnapshot.ts). DevTools
// marks a node no walk reached with -5; here it is noDistance, the largest
// uint32, which no distance comes near.
const (
	baseSystemDistance      = 100_000_000
	baseUnreachableDistance = 2 * baseSystemDistance
	noDistance              = ^uint32(0)
)

// noRetainer marks a node without a retainer in firstRetainers' result.
const noRetainer = ^uint32(0)

// retainerNames reads what DevTools' distances and retainer order need by
// name: each edge's name or index (ename, which the snapshot keeps only
// when read with ReadOptions.Names), the strings, and node names as DevTools
// gives them.
type retainerNames struct {
	g     *Snapshot
	ename []uint32 // every edge's name_or_index, in edge order

	object, hidden, array, str, cons, sliced, synthetic int
	property, element, hiddenEdge, internal, weak       int
	invisible, shortcut                                 int
}

func newRetainerNames(g *Snapshot, ename []uint32) *retainerNames {
	return &retainerNames{
		g: g, ename: ename,
		object: indexOf(g.nodeTypes, "object"), hidden: indexOf(g.nodeTypes, "hidden"),
		array: indexOf(g.nodeTypes, "array"), str: indexOf(g.nodeTypes, "string"),
		cons: indexOf(g.nodeTypes, "concatenated string"), sliced: indexOf(g.nodeTypes, "sliced string"),
		synthetic: indexOf(g.nodeTypes, "synthetic"),
		property:  g.edgeType("property"), element: g.edgeType("element"), hiddenEdge: g.edgeType("hidden"),
		internal: g.edgeType("internal"), weak: g.edgeType("weak"), invisible: g.edgeType("invisible"),
		shortcut: g.edgeType("shortcut"),
	}
}

// hasStringName reports whether edge e's name_or_index is a string index
// (every type but element and hidden).
func (r *retainerNames) hasStringName(e uint32) bool {
	t := int(r.g.etype[e])
	return t != r.element && t != r.hiddenEdge
}

// edgeName is edge e's name as DevTools gives it: the string, or the index
// in decimal.
func (r *retainerNames) edgeName(e uint32) string {
	if r.hasStringName(e) {
		return r.g.strings.at(r.ename[e])
	}
	return uitoa(uint64(r.ename[e]))
}

// edgeNameIs reports whether edge e's name is name, without making a
// string of it.
func (r *retainerNames) edgeNameIs(e uint32, name string) bool {
	if r.hasStringName(e) {
		return r.g.strings.is(r.ename[e], name)
	}
	return r.edgeName(e) == name
}

// isString reports whether node v is a string, whose name is its content.
func (r *retainerNames) isString(v uint32) bool {
	t := int(r.g.typ[v])
	return t == r.str || t == r.cons || t == r.sliced
}

// compareNames compares the names of nodes u and v as DevTools orders
// retainers (nodeName, in JavaScript's order), without building the names
// unless one is a plain object's.
func (r *retainerNames) compareNames(u, v uint32) int {
	nu, nv := r.rawName(u), r.rawName(v)
	if !r.isPlainObject(u, nu) && !r.isPlainObject(v, nv) {
		return jsCompare(nu, nv)
	}
	return jsCompare(r.nodeName(u), r.nodeName(v))
}

// rawName is node v's name in the snapshot, as the table's bytes (nil for
// a string, whose name is not kept).
func (r *retainerNames) rawName(v uint32) []byte {
	if r.isString(v) {
		return nil
	}
	t := &r.g.strings
	i := r.g.name[v]
	if int(i) >= len(t.end) {
		return nil
	}
	var start uint32
	if i > 0 {
		start = t.end[i-1]
	}
	return t.data[start:t.end[i]]
}

func (r *retainerNames) isPlainObject(v uint32, name []byte) bool {
	return int(r.g.typ[v]) == r.object && string(name) == "Object"
}

// nodeName is node v's name as DevTools' JSHeapSnapshotNode.name() gives
// it: a plain object ("Object") is named by its properties, "{a, b}"; any
// other node by its name in the snapshot. Strings, whose names are their
// contents, are not kept: they read as "" (see firstRetainers).
func (r *retainerNames) nodeName(v uint32) string {
	if r.isString(v) {
		return ""
	}
	name := r.g.strings.at(r.g.name[v])
	if int(r.g.typ[v]) == r.object && name == "Object" {
		return r.plainObjectName(v)
	}
	return name
}

// plainObjectName is DevTools' #plainObjectName: the object's property
// names, taken alternately from the first and the last, "__proto__" left
// out, as many as fit in about 100 characters (at least one), "…" for the
// ones left out.
func (r *retainerNames) plainObjectName(v uint32) string {
	g := r.g
	start, end := "{", "}"
	from, to := int64(g.firstEdge[v]), int64(g.firstEdge[v+1])-1
	fromEnd := false
	for from <= to {
		e := uint32(from)
		if fromEnd {
			e = uint32(to)
		}
		name := ""
		isProperty := int(g.etype[e]) == r.property
		if isProperty {
			name = r.edgeName(e)
		}
		if !isProperty || name == "__proto__" {
			if fromEnd {
				to--
			} else {
				from++
			}
			continue
		}
		formatted := formatPropertyName(name)
		if jsLen(start) > 1 && jsLen(start)+jsLen(end)+jsLen(formatted) > 100 {
			break
		}
		if fromEnd {
			to--
			if jsLen(end) > 1 {
				end = ", " + end
			}
			end = formatted + end
		} else {
			from++
			if jsLen(start) > 1 {
				start += ", "
			}
			start += formatted
		}
		fromEnd = !fromEnd
	}
	if from <= to {
		start += ", …"
	}
	if jsLen(end) > 1 {
		start += ", "
	}
	return start + end
}

// formatPropertyName quotes a property name holding a comma, a quote or a
// brace as JavaScript's JSON.stringify would (DevTools' formatPropertyName).
func formatPropertyName(name string) string {
	if !strings.ContainsAny(name, `,'"{}`) {
		return name
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, c := range name {
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteRune(c)
		case c == '\b':
			b.WriteString(`\b`)
		case c == '\f':
			b.WriteString(`\f`)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c == '\t':
			b.WriteString(`\t`)
		case c < 0x20:
			b.WriteString(`\u00`)
			b.WriteByte("0123456789abcdef"[c>>4])
			b.WriteByte("0123456789abcdef"[c&15])
		default:
			b.WriteRune(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// jsLen is a string's length as JavaScript counts it, in UTF-16 code units.
func jsLen(s string) int {
	n := 0
	for _, c := range s {
		n += utf16.RuneLen(c)
	}
	return n
}

// jsCompare compares two strings as JavaScript's < does, by UTF-16 code
// units. It differs from Go's byte order only where a character past
// U+FFFF meets one from U+E000 to U+FFFF.
func jsCompare[T string | []byte](a, b T) int {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	if i == len(a) || i == len(b) {
		return len(a) - len(b) // one is a prefix of the other (or equal)
	}
	if a[i] < utf8.RuneSelf && b[i] < utf8.RuneSelf {
		return int(a[i]) - int(b[i])
	}
	// Back up to the start of the character the difference is in.
	for i > 0 && !utf8.RuneStart(a[i]) {
		i--
	}
	ra, _ := utf8.DecodeRuneInString(string(a[i:min(len(a), i+utf8.UTFMax)]))
	rb, _ := utf8.DecodeRuneInString(string(b[i:min(len(b), i+utf8.UTFMax)]))
	ua, ub := firstUnit(ra), firstUnit(rb)
	switch {
	case ua < ub:
		return -1
	case ua > ub:
		return 1
	case ra < rb: // two surrogate pairs with the same high half
		return -1
	case ra > rb:
		return 1
	}
	return 0
}

// firstUnit is the first UTF-16 code unit of a character.
func firstUnit(r rune) rune {
	if r >= 0x10000 {
		hi, _ := utf16.EncodeRune(r)
		return hi
	}
	return r
}

func uitoa(v uint64) string {
	var buf [20]byte
	i := len(buf)
	for {
		i--
		buf[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			break
		}
	}
	return string(buf[i:])
}

// jsParseInt is JavaScript's parseInt(s, 10) for what DevTools gives it:
// the leading decimal digits (after white space and a sign), ok false when
// there are none (NaN).
func jsParseInt(s string) (v int64, ok bool) {
	s = strings.TrimLeft(s, " \t\n\r\v\f")
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		if v < 1<<53 {
			v = v*10 + int64(s[i]-'0')
		}
		i++
	}
	if i == 0 {
		return 0, false
	}
	if neg {
		v = -v
	}
	return v, true
}

// distances computes DevTools' distance of every node (calculateDistances
// with JSHeapSnapshot's filter): see the comment at the top of the file.
// The distances and the walk's queue are borrowed from s; the caller gives
// the distances back.
func (r *retainerNames) distances(s *scratch) []uint32 {
	g := r.g
	n := g.nodes
	dist := s.get(n)
	for i := range dist {
		dist[i] = noDistance
	}
	queue := s.get(0)
	for e := g.firstEdge[g.root]; e < g.firstEdge[g.root+1]; e++ {
		to := g.eto[e]
		if int(g.typ[to]) != r.synthetic || g.strings.is(g.name[to], "(Document DOM trees)") {
			dist[to] = 1
			queue = append(queue, to)
		}
	}
	userRoots := len(queue) > 0
	f := r.newDistanceFilter()
	queue = r.bfs(queue, dist, f)
	dist[g.root] = 0
	if userRoots {
		dist[g.root] = baseSystemDistance
	}
	queue = r.bfs(append(queue[:0], g.root), dist, f)
	s.put(queue)
	return dist
}

// bfs visits the nodes breadth first from those in queue, giving each node
// it reaches for the first time its distance, as DevTools' bfs does.
func (r *retainerNames) bfs(queue []uint32, dist []uint32, f *distanceFilter) []uint32 {
	g := r.g
	for i := 0; i < len(queue); i++ {
		u := queue[i]
		d := dist[u] + 1
		for e := g.firstEdge[u]; e < g.firstEdge[u+1]; e++ {
			if int(g.etype[e]) == r.weak {
				continue
			}
			v := g.eto[e]
			if dist[v] != noDistance || !f.allows(u, e) {
				continue
			}
			dist[v] = d
			queue = append(queue, v)
		}
	}
	return queue
}

// distanceFilter is JSHeapSnapshot.calculateDistances' filter. Its state,
// the WeakMap entries whose first edge has been seen, lasts across both
// walks, as in DevTools.
type distanceFilter struct {
	r       *retainerNames
	pending map[string]struct{}
}

func (r *retainerNames) newDistanceFilter() *distanceFilter {
	return &distanceFilter{r: r, pending: map[string]struct{}{}}
}

// allows reports whether the walk may follow edge e of node u.
func (f *distanceFilter) allows(u, e uint32) bool {
	r := f.r
	g := r.g
	t := int(g.typ[u])
	if t == r.hidden && r.hasStringName(e) && r.edgeNameIs(e, "sloppy_function_map") && g.strings.is(g.name[u], "system / NativeContext") {
		return false
	}
	if t == r.array && g.strings.is(g.name[u], "(map descriptors)") {
		// Descriptor arrays: [0] count, [1] enum cache, then key, details,
		// value for each descriptor; maps share them, so their links are
		// not followed (crbug.com/413608).
		i, ok := int64(r.ename[e]), true // an element's or hidden edge's index
		if r.hasStringName(e) {
			i, ok = jsParseInt(r.edgeName(e))
		}
		return !ok || i < 2 || i%3 != 1
	}
	if int(g.etype[e]) == r.internal {
		if _, ok := g.weakMapTable[r.ename[e]]; ok {
			// The part after the entry's number names the pair: the same
			// for the key's edge and the table's.
			name := g.strings.at(r.ename[e])
			pair := strings.TrimLeft(name, "0123456789")
			if _, seen := f.pending[pair]; !seen {
				f.pending[pair] = struct{}{}
				return false
			}
			delete(f.pending, pair)
		}
	}
	return true
}

// viewDistance is a node's distance as the Retainers view sorts by it
// (getDistanceForRetainersView): unreached nodes sort last.
func viewDistance(dist []uint32, v uint32) uint32 {
	if d := dist[v]; d != noDistance {
		return d
	}
	return baseUnreachableDistance
}

// isWeakMapTableEdge reports whether edge e of node u is the edge from a
// WeakMap's table to a value, which heapdiff never gives as a retainer.
func (r *retainerNames) isWeakMapTableEdge(u, e uint32) bool {
	if int(r.g.etype[e]) != r.internal {
		return false
	}
	table, ok := r.g.weakMapTable[r.ename[e]]
	return ok && table == r.g.nodeID(u)
}

// firstRetainers returns, for every node, the edge (and its node) that
// DevTools' Retainers view lists first among its retainers, with the
// exception of WeakMap tables (see the top of the file); noRetainer for a
// node with none. One pass over the edges: a candidate replaces the node's
// current one when its retainer is nearer the roots, or as near and named
// before it (JavaScript's string order), or the same or as named and later
// in the file (DevTools lists retainers in the reverse of the edges'
// order). String nodes, whose names are not kept, tie as "": a string
// retains only other strings, so only paths to strings can differ from
// DevTools' there.
func (r *retainerNames) firstRetainers(dist []uint32) (parent, via []uint32) {
	g := r.g
	n := g.nodes
	parent = make([]uint32, n)
	via = make([]uint32, n)
	for i := range parent {
		parent[i] = noRetainer
	}
	for u := uint32(0); int(u) < n; u++ {
		if u == g.root {
			continue
		}
		du := viewDistance(dist, u)
		for e := g.firstEdge[u]; e < g.firstEdge[u+1]; e++ {
			t := int(g.etype[e])
			if t == r.weak || t == r.invisible || r.isWeakMapTableEdge(u, e) {
				continue
			}
			v := g.eto[e]
			if p := parent[v]; p != noRetainer && p != u {
				dp := viewDistance(dist, p)
				if du > dp || du == dp && r.compareNames(u, p) > 0 {
					continue
				}
			}
			// Nearer, or named before, or the same retainer or name and
			// later in the file: this edge comes first.
			parent[v], via[v] = u, e
		}
	}
	return parent, via
}

// markRetainerStrings marks the strings retainer paths and collections
// read, for a snapshot read with ReadOptions.Names: the names of
// every edge that has one (not elements' and hidden edges' indexes, not
// weak edges', never on a path), and the names of every node but strings
// (whose names are their contents): DevTools orders retainers by name.
func (g *Snapshot) markRetainerStrings(mark func(uint32)) {
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
