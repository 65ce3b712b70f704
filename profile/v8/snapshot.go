package v8

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// snapshotHeader is the "snapshot" header of a V8 heap snapshot.
type snapshotHeader struct {
	Meta struct {
		NodeFields              []string          `json:"node_fields"`
		NodeTypes               []json.RawMessage `json:"node_types"`
		EdgeFields              []string          `json:"edge_fields"`
		EdgeTypes               []json.RawMessage `json:"edge_types"`
		TraceFunctionInfoFields []string          `json:"trace_function_info_fields"`
		TraceNodeFields         []string          `json:"trace_node_fields"`
		LocationFields          []string          `json:"location_fields"`
	} `json:"meta"`
	NodeCount          int64 `json:"node_count"`
	EdgeCount          int64 `json:"edge_count"`
	TraceFunctionCount int64 `json:"trace_function_count"`
	RootIndex          int64 `json:"root_index"`
}

// Roles of node and edge fields.
const (
	fieldIgnored = iota
	fieldType
	fieldName
	fieldID
	fieldSelfSize
	fieldEdgeCount
	fieldTraceNode
	fieldToNode
	fieldDetachedness
)

// Snapshot is a heap snapshot decoded into compact columns: one entry per
// node, indexed by its ordinal (its position in the file's nodes array), and
// one per edge, in the file's order, so that node v's edges are the range
// Edges(v) gives. It keeps what the analysis reads, not the whole file: of
// the string table, only the names of objects, of internal edges and of
// allocation trace functions. An analysis asked to (AnalyzeOptions.Drop)
// drops the columns as it goes, leaving the counts.
type Snapshot struct {
	nodeTypes, edgeTypes []string
	nodeFieldCount       int
	// comments is what heapdiff capture wrote in its "heapdiff" member.
	comments []string

	typ  []uint8
	name []uint32
	// id holds the nodes' ids while they fit in 32 bits, as V8's do (its
	// SnapshotObjectId is a uint32); id64 holds them all, and id none, once
	// one does not. See nodeID.
	id        []uint32
	id64      []uint64
	self      []uint32
	firstEdge []uint32 // len(typ)+1: node i's edges are firstEdge[i]:firstEdge[i+1]
	trace     []uint32 // allocation trace node id per node; nil without traces
	// detached is each node's DOM state as the snapshot gives it (0
	// unknown, 1 attached, 2 detached); nil when the snapshot has no
	// detachedness field or marks no node.
	detached []uint8

	etype []uint8
	eto   []uint32 // target ordinal
	// eintName holds the names of the internal edges, in edge order; ename
	// every edge's name_or_index instead, for a snapshot read with
	// ReadOptions.Names, which Retainers and Collections read (nil
	// otherwise). See internalName.
	eintName chunkedColumn
	ename    []uint32
	// keepNames says the snapshot is read with ReadOptions.Names.
	keepNames bool

	// strings holds the strings the analysis needs (class names, trace
	// function names); the others read as "".
	strings stringTable
	// weakMapTable maps the string index of a WeakMap ephemeron edge name to
	// the id of its table (see isEssential).
	weakMapTable map[uint32]uint64

	root uint32

	traceFuncs []traceFunction
	// traceNodes is the allocation trace tree in the order of the file,
	// callers before their callees.
	traceNodes []traceNode
	// traceIndex finds a trace node by id: the node's index in traceNodes
	// is its id minus traceFirstID when the ids are consecutive, as V8
	// writes them; otherwise traceIndex maps them.
	traceIndex   map[uint32]int32
	traceFirstID uint32

	// locations says where closures and objects' constructors are defined.
	locations locationTable

	// size is how many bytes the snapshot's JSON takes: the budget for
	// what allocation stacks may expand to is a multiple of it.
	size int64

	// What the snapshot answers once Analyze has dropped its columns
	// (AnalyzeOptions.Drop), set when it is read.
	nodes, edges int
	maxHeapID    uint64
	traced       bool
	// dropped names what Analyze dropped, "" while the snapshot is whole.
	dropped string
}

type traceFunction struct {
	name, script uint32 // string indexes
	line         uint32 // as the snapshot gives it
	scriptID     uint32 // 0 when not given (V8's script ids start at 1)
}

type traceNode struct {
	id       uint32
	function uint32 // index in traceFuncs
	parent   int32  // index in traceNodes of the caller; -1 at the top
}

// indexOf returns the index of name in list, or -1.
func indexOf(list []string, name string) int {
	for i, s := range list {
		if s == name {
			return i
		}
	}
	return -1
}

// Kind is a JSON format Sniff recognises.
type Kind uint8

// Kinds of JSON files V8 and its runtimes write.
const (
	// KindUnknown is none of them.
	KindUnknown Kind = iota
	// KindSnapshot is a V8 heap snapshot (.heapsnapshot), as written by
	// Node.js, Chrome DevTools and Bun's generateHeapSnapshot("v8").
	KindSnapshot
	// KindHeapProfile is a V8 sampling heap profile (.heapprofile), as
	// written by node --heap-prof and DevTools' "Allocation sampling".
	KindHeapProfile
	// KindJSCSnapshot is JavaScriptCore's heap snapshot ("type":
	// "Inspector"), Bun's default, which this package does not read.
	KindJSCSnapshot
)

// Sniff reports which JSON format data starts with: a heap snapshot
// (`{"snapshot":`), a sampling heap profile (`{"head":`), or JSC's
// Inspector snapshot (`{"version":..,"type":"Inspector"`). It looks at the
// first key only (and, for JSC, the first few hundred bytes), so the first
// 512 bytes of a file are enough.
func Sniff(data []byte) Kind {
	i := 0
	skip := func() {
		for i < len(data) && (data[i] == ' ' || data[i] == '\n' || data[i] == '\r' || data[i] == '\t') {
			i++
		}
	}
	skip()
	if i >= len(data) || data[i] != '{' {
		return KindUnknown
	}
	i++
	skip()
	rest := data[i:]
	switch {
	case hasPrefix(rest, `"snapshot"`):
		return KindSnapshot
	case hasPrefix(rest, `"head"`):
		return KindHeapProfile
	}
	head := rest
	if len(head) > 512 {
		head = head[:512]
	}
	if strings.Contains(string(head), `"type":"Inspector"`) || strings.Contains(string(head), `"type": "Inspector"`) {
		return KindJSCSnapshot
	}
	return KindUnknown
}

func hasPrefix(b []byte, p string) bool { return len(b) >= len(p) && string(b[:len(p)]) == p }

// ReadOptions say what a snapshot keeps of its file beyond what Analyze
// needs to group its objects and build its dominator tree.
type ReadOptions struct {
	// Names keeps every edge's name and every object's name but strings'
	// (their contents), which AnalyzeOptions.Retainers and Collections
	// read: four bytes an edge, and the strings they name, until the
	// analysis has found the retainers.
	Names bool
}

// ReadSnapshot decodes a V8 heap snapshot as it streams from r, so that its
// bytes are never all in memory. sizeHint, r's size when known (0
// otherwise), bounds how much is allocated up front from the counts in the
// snapshot's header; without it the columns grow with what is read. r is
// read to its end or its first error: the caller bounds its size.
func ReadSnapshot(r io.Reader, sizeHint int64, opts ReadOptions) (*Snapshot, error) {
	return parseSnapshot(newReaderScanner(r), sizeHint, opts)
}

// ParseSnapshot decodes a V8 heap snapshot held in data, without copying
// it.
func ParseSnapshot(data []byte, opts ReadOptions) (*Snapshot, error) {
	return parseSnapshot(newBytesScanner(data), int64(len(data)), opts)
}

// parseSnapshot decodes a V8 heap snapshot. sizeHint, the input's size when
// known, bounds how much is allocated up front from the header's counts.
func parseSnapshot(s *jsonScanner, sizeHint int64, opts ReadOptions) (*Snapshot, error) {
	g := &Snapshot{keepNames: opts.Names}
	var (
		meta                       *snapshotHeader
		nodeRoles, edgeRoles       []int
		nodesDone, edgesDone       bool
		needString                 *stringSet // nil: keep them all
		internalType               = -1
		stringsSeen                bool
		traceFuncFields, traceNode []string
		locationFields             []string
		seen                       = map[string]bool{}
	)
	err := s.object(func(key string) error {
		switch key {
		case "snapshot", "nodes", "edges", "trace_function_infos", "trace_tree", "locations", "strings", heapdiffMember:
			// A second header would renumber the types of what was read
			// under the first; a second array would be read on top of the
			// first. No writer repeats a member.
			if seen[key] {
				return fmt.Errorf("%w: the snapshot has a second %q member", ErrMalformed, key)
			}
			seen[key] = true
		}
		switch key {
		case "snapshot":
			raw, err := s.raw(1 << 20)
			if err != nil {
				return err
			}
			meta = &snapshotHeader{}
			if err := json.Unmarshal(raw, meta); err != nil {
				return fmt.Errorf("%w: snapshot header: %v", ErrMalformed, err)
			}
			nodeRoles, edgeRoles, err = g.readMeta(meta)
			if err != nil {
				return err
			}
			internalType = indexOf(g.edgeTypes, "internal")
			traceFuncFields, traceNode = meta.Meta.TraceFunctionInfoFields, meta.Meta.TraceNodeFields
			locationFields = meta.Meta.LocationFields
			return nil
		case "nodes":
			if meta == nil {
				return fmt.Errorf("%w: the nodes array comes before the snapshot header", ErrMalformed)
			}
			nodesDone = true
			return g.readNodes(s, nodeRoles, meta, sizeHint)
		case "edges":
			if meta == nil {
				return fmt.Errorf("%w: the edges array comes before the snapshot header", ErrMalformed)
			}
			edgesDone = true
			return g.readEdges(s, edgeRoles, meta, sizeHint, internalType)
		case "trace_function_infos":
			if meta == nil || meta.TraceFunctionCount == 0 {
				return s.skip()
			}
			return g.readTraceFunctions(s, traceFuncFields, meta.TraceFunctionCount)
		case "trace_tree":
			if meta == nil || meta.TraceFunctionCount == 0 {
				return s.skip()
			}
			return g.readTraceTree(s, traceNode)
		case "locations":
			if meta == nil || !nodesDone {
				return s.skip()
			}
			return g.readLocations(s, locationFields)
		case heapdiffMember:
			var err error
			g.comments, err = readHeapdiffMember(s)
			return err
		case "strings":
			stringsSeen = true
			if nodesDone && edgesDone {
				needString = g.neededStrings(s.offset())
			}
			return g.readStrings(s, needString)
		}
		return s.skip()
	})
	if err != nil {
		return nil, err
	}
	if s.skipWS() != 0 || s.err != nil {
		// Data past the end, or a read error at the end of the input (a
		// gzip stream whose checksum fails).
		return nil, s.syntaxError("data after the end of the snapshot")
	}
	g.size = s.offset()
	switch {
	case meta == nil:
		return nil, fmt.Errorf("%w: no snapshot header", ErrMalformed)
	case !nodesDone:
		return nil, fmt.Errorf("%w: no nodes array", ErrMalformed)
	case !edgesDone:
		return nil, fmt.Errorf("%w: no edges array", ErrMalformed)
	case !stringsSeen:
		return nil, fmt.Errorf("%w: no strings array", ErrMalformed)
	}
	return g, g.check(meta)
}

// readMeta reads the field layout, which differs between producers (Bun's
// order is not Node's), and returns the role of each node and edge field.
func (g *Snapshot) readMeta(m *snapshotHeader) (nodeRoles, edgeRoles []int, err error) {
	nf, ef := m.Meta.NodeFields, m.Meta.EdgeFields
	// A field listed twice would give a node two values for one role and
	// leave the columns of different lengths.
	for _, fields := range []struct {
		what  string
		names []string
	}{{"node_fields", nf}, {"edge_fields", ef}} {
		seen := make(map[string]bool, len(fields.names))
		for _, f := range fields.names {
			if seen[f] {
				return nil, nil, fmt.Errorf("%w: snapshot.meta.%s lists %q twice", ErrMalformed, fields.what, f)
			}
			seen[f] = true
		}
	}
	nodeRoles = make([]int, len(nf))
	for i, f := range nf {
		switch f {
		case "type":
			nodeRoles[i] = fieldType
		case "name":
			nodeRoles[i] = fieldName
		case "id":
			nodeRoles[i] = fieldID
		case "self_size":
			nodeRoles[i] = fieldSelfSize
		case "edge_count":
			nodeRoles[i] = fieldEdgeCount
		case "trace_node_id":
			if m.TraceFunctionCount > 0 {
				nodeRoles[i] = fieldTraceNode
			}
		case "detachedness":
			nodeRoles[i] = fieldDetachedness
		}
	}
	for _, want := range []struct {
		role int
		name string
	}{{fieldType, "type"}, {fieldName, "name"}, {fieldID, "id"}, {fieldSelfSize, "self_size"}, {fieldEdgeCount, "edge_count"}} {
		if indexOfInt(nodeRoles, want.role) < 0 {
			return nil, nil, fmt.Errorf("%w: snapshot.meta.node_fields has no %q", ErrMalformed, want.name)
		}
	}
	edgeRoles = make([]int, len(ef))
	for i, f := range ef {
		switch f {
		case "type":
			edgeRoles[i] = fieldType
		case "name_or_index":
			edgeRoles[i] = fieldName
		case "to_node":
			edgeRoles[i] = fieldToNode
		}
	}
	if indexOfInt(edgeRoles, fieldType) < 0 || indexOfInt(edgeRoles, fieldToNode) < 0 {
		return nil, nil, fmt.Errorf("%w: snapshot.meta.edge_fields needs \"type\" and \"to_node\"", ErrMalformed)
	}
	g.nodeFieldCount = len(nf)
	g.nodeTypes, err = typeNames(m.Meta.NodeTypes, indexOf(nf, "type"), "node_types")
	if err != nil {
		return nil, nil, err
	}
	g.edgeTypes, err = typeNames(m.Meta.EdgeTypes, indexOf(ef, "type"), "edge_types")
	if err != nil {
		return nil, nil, err
	}
	if m.RootIndex < 0 || m.RootIndex%int64(len(nf)) != 0 {
		return nil, nil, fmt.Errorf("%w: root_index %d is not a node index", ErrMalformed, m.RootIndex)
	}
	g.root = uint32(min(m.RootIndex/int64(len(nf)), math.MaxUint32))
	return nodeRoles, edgeRoles, nil
}

func indexOfInt(list []int, v int) int {
	for i, x := range list {
		if x == v {
			return i
		}
	}
	return -1
}

// typeNames reads the list of type names that meta.node_types (or edge_types)
// holds at the position of the "type" field.
func typeNames(types []json.RawMessage, at int, what string) ([]string, error) {
	if at < 0 || at >= len(types) {
		return nil, fmt.Errorf("%w: snapshot.meta.%s has no list of type names", ErrMalformed, what)
	}
	var names []string
	if err := json.Unmarshal(types[at], &names); err != nil {
		return nil, fmt.Errorf("%w: snapshot.meta.%s: %v", ErrMalformed, what, err)
	}
	return names, nil
}

// capHint bounds an up-front allocation by what the input could hold: each
// value takes at least two bytes ("0,"). sizeHint is the input's exact size,
// or 0 when it is not known; then the columns start small and grow as the
// values come (see grownCap).
func capHint(count int64, fields int, sizeHint int64) int {
	if count <= 0 || fields <= 0 {
		return 0
	}
	if sizeHint <= 0 {
		return int(min(count, minColumnCap))
	}
	return int(min(count, sizeHint/int64(2*fields)+1, 1<<26))
}

// minColumnCap is the capacity a column starts with when the input's size
// is not known.
const minColumnCap = 4096

// grownCap is the capacity to give a full column of n values: twice n, but
// no more than want, the count the header announces, while n is below it.
// An honest header thus gets columns of exactly its size, and one that lies
// costs at most twice what the input holds.
func grownCap(n int, want int64) int {
	c := max(2*n, minColumnCap)
	if want > int64(n) && want < int64(c) {
		c = int(want)
	}
	return c
}

// regrow returns s with capacity c.
func regrow[T any](s []T, c int) []T {
	t := make([]T, len(s), c)
	copy(t, s)
	return t
}

// appendDoubling appends v to s, doubling s's capacity when it is full.
// append grows a large slice by a quarter at a time, which leaves four
// times its final size to the garbage collector on the way; doubling
// leaves once.
func appendDoubling[T any](s []T, v T) []T {
	if len(s) == cap(s) {
		s = regrow(s, grownCap(len(s), 0))
	}
	return append(s, v)
}

// growNodes makes room in every node column for more nodes.
func (g *Snapshot) growNodes(want int64) {
	c := grownCap(len(g.typ), want)
	g.typ, g.name, g.self = regrow(g.typ, c), regrow(g.name, c), regrow(g.self, c)
	if g.id64 != nil {
		g.id64 = regrow(g.id64, c)
	} else {
		g.id = regrow(g.id, c)
	}
	g.firstEdge = regrow(g.firstEdge, c+1)
	if g.trace != nil {
		g.trace = regrow(g.trace, c)
	}
	if g.detached != nil {
		g.detached = regrow(g.detached, c)
	}
}

func (g *Snapshot) readNodes(s *jsonScanner, roles []int, m *snapshotHeader, sizeHint int64) error {
	n := capHint(m.NodeCount, len(roles), sizeHint)
	g.typ = make([]uint8, 0, n)
	g.name = make([]uint32, 0, n)
	g.id = make([]uint32, 0, n)
	g.self = make([]uint32, 0, n)
	g.firstEdge = make([]uint32, 1, n+1)
	if indexOfInt(roles, fieldTraceNode) >= 0 {
		g.trace = make([]uint32, 0, n)
	}
	if indexOfInt(roles, fieldDetachedness) >= 0 {
		g.detached = make([]uint8, 0, n)
	}
	k := 0
	var edges uint64
	err := s.uints(func(v uint64) error {
		// Every field of a node has one column (readMeta refuses a field
		// listed twice), so the columns fill up together.
		if k == 0 && len(g.typ) == cap(g.typ) {
			g.growNodes(m.NodeCount)
		}
		switch roles[k] {
		case fieldType:
			// Types are stored in a byte; clamping would alias a larger
			// one to type 255.
			if v > math.MaxUint8 {
				return s.syntaxError("node type %d is out of range (at most 255)", v)
			}
			g.typ = append(g.typ, uint8(v))
		case fieldName:
			if v > math.MaxUint32 {
				return s.syntaxError("node name index %d out of range", v)
			}
			g.name = append(g.name, uint32(v))
		case fieldID:
			g.appendID(v)
		case fieldSelfSize:
			if v > math.MaxUint32 {
				return s.syntaxError("node self_size %d is too large", v)
			}
			g.self = append(g.self, uint32(v))
		case fieldEdgeCount:
			edges += v
			if edges > math.MaxUint32 {
				return s.syntaxError("too many edges")
			}
			g.firstEdge = append(g.firstEdge, uint32(edges))
		case fieldTraceNode:
			g.trace = append(g.trace, uint32(min(v, math.MaxUint32)))
		case fieldDetachedness:
			g.detached = append(g.detached, uint8(min(v, math.MaxUint8)))
		}
		k++
		if k == len(roles) {
			k = 0
		}
		return nil
	})
	if err != nil {
		return err
	}
	if k != 0 {
		return fmt.Errorf("%w: the nodes array ends inside a node (%d values are not a multiple of %d fields)", ErrMalformed, len(g.typ)*len(roles)+k, len(roles))
	}
	if len(g.typ) == 0 {
		return fmt.Errorf("%w: the snapshot has no nodes", ErrMalformed)
	}
	if err := g.checkColumns(); err != nil {
		return err
	}
	if !slices.ContainsFunc(g.detached, func(d uint8) bool { return d != 0 }) {
		g.detached = nil // Node.js marks none: no column to keep
	}
	return nil
}

// checkColumns verifies that every node has exactly one value in each
// column, which neededStrings and the analysis index by ordinal.
func (g *Snapshot) checkColumns() error {
	n := len(g.typ)
	if len(g.name) != n || g.idCount() != n || len(g.self) != n || len(g.firstEdge) != n+1 || g.trace != nil && len(g.trace) != n || g.detached != nil && len(g.detached) != n {
		return fmt.Errorf("%w: the nodes' fields do not line up (%d types, %d names, %d ids, %d sizes, %d edge counts)",
			ErrMalformed, n, len(g.name), g.idCount(), len(g.self), len(g.firstEdge)-1)
	}
	return nil
}

func (g *Snapshot) readEdges(s *jsonScanner, roles []int, m *snapshotHeader, sizeHint int64, internalType int) error {
	n := capHint(m.EdgeCount, len(roles), sizeHint)
	g.etype = make([]uint8, 0, n)
	g.eto = make([]uint32, 0, n)
	if g.keepNames {
		g.ename = make([]uint32, 0, n)
	}
	nf := uint64(g.nodeFieldCount)
	k := 0
	var typ, name, to uint64
	err := s.uints(func(v uint64) error {
		switch roles[k] {
		case fieldType:
			typ = v
		case fieldName:
			name = v
		case fieldToNode:
			to = v
		}
		k++
		if k < len(roles) {
			return nil
		}
		k = 0
		if to%nf != 0 || to/nf > math.MaxUint32 {
			return s.syntaxError("edge to_node %d is not a node index", to)
		}
		if typ > math.MaxUint8 {
			return s.syntaxError("edge type %d is out of range (at most 255)", typ)
		}
		if len(g.eto) == cap(g.eto) {
			c := grownCap(len(g.eto), m.EdgeCount)
			g.etype, g.eto = regrow(g.etype, c), regrow(g.eto, c)
			if g.keepNames {
				g.ename = regrow(g.ename, c)
			}
		}
		g.etype = append(g.etype, uint8(typ))
		g.eto = append(g.eto, uint32(to/nf))
		if g.keepNames {
			g.ename = append(g.ename, uint32(min(name, math.MaxUint32)))
		}
		if int(typ) == internalType && !g.keepNames {
			g.eintName.append(uint32(min(name, math.MaxUint32)))
		}
		return nil
	})
	if err != nil {
		return err
	}
	if k != 0 {
		return fmt.Errorf("%w: the edges array ends inside an edge", ErrMalformed)
	}
	return nil
}

// internalName returns the name of edge e, the k-th internal edge of the
// snapshot: from ename when the snapshot keeps every edge's name, from
// eintName otherwise. ok is false past the end of eintName.
func (g *Snapshot) internalName(e uint32, k int) (name uint32, ok bool) {
	if g.ename != nil {
		return g.ename[e], true
	}
	if k < g.eintName.len() {
		return g.eintName.at(k), true
	}
	return 0, false
}

// stringSet is the set of string indexes the analysis reads. Indexes below
// len(dense)*64 are kept in a bitset; the few past it, in far, sorted. The
// bitset is sized by what has been read, not by the largest index: a
// snapshot cannot name string 4,294,967,295 unless it holds four billion
// strings, and one that does pays for them as it reads them.
type stringSet struct {
	dense bitset
	far   []uint32
	last  uint32 // the largest index in the set
}

// neededStrings marks the strings the analysis reads: the names of object and
// native nodes (their class), the names of internal edges (WeakMap entries,
// the path to a script), the names in allocation traces, and the nodes that
// may name a script (see scriptNames). read is how many bytes of the input
// came before the string table: the bitset takes at most an eighth of it.
func (g *Snapshot) neededStrings(read int64) *stringSet {
	var largest uint32
	object, native := indexOf(g.nodeTypes, "object"), indexOf(g.nodeTypes, "native")
	isObject := func(t uint8) bool { return int(t) == object || int(t) == native }
	for i, n := range g.name {
		if isObject(g.typ[i]) {
			largest = max(largest, n)
		}
	}
	for i := range g.eintName.len() {
		largest = max(largest, g.eintName.at(i))
	}
	for _, f := range g.traceFuncs {
		largest = max(largest, f.name, f.script)
	}
	reps := g.scriptRepresentatives()
	largest = max(largest, g.largestScriptNameCandidate(reps))
	if g.keepNames {
		g.markRetainerStrings(func(i uint32) { largest = max(largest, i) })
	}
	need := &stringSet{
		dense: newBitset(int(min(uint64(largest)+1, uint64(max(read, 0))+1<<16))),
		last:  largest,
	}
	mark := func(i uint32) {
		if uint64(i) < uint64(len(need.dense))*64 {
			need.dense.set(i)
		} else {
			need.far = append(need.far, i)
		}
	}
	for i, t := range g.typ {
		if isObject(t) {
			mark(g.name[i])
		}
	}
	for i := range g.eintName.len() {
		mark(g.eintName.at(i))
	}
	for _, f := range g.traceFuncs {
		mark(f.name)
		mark(f.script)
	}
	g.markScriptNameCandidates(reps, mark)
	if g.keepNames {
		g.markRetainerStrings(mark)
	}
	slices.Sort(need.far)
	need.far = slices.Compact(need.far)
	return need
}

// stringTable is a snapshot's string table as far as the analysis reads it:
// the bytes of the strings it needs, one after the other, and where each
// string up to the last needed one ends. The strings past it are only
// counted, so a table of millions of strings the analysis never reads costs
// nothing but the time to skip them, and one it reads costs no more than
// the bytes of the table.
type stringTable struct {
	count int      // strings in the table
	data  []byte   // the kept strings
	end   []uint32 // string i is data[end[i-1]:end[i]] (from 0 for i = 0); "" when not kept
}

// at returns string i, or "" if it was not kept.
func (t *stringTable) at(i uint32) string {
	if int(i) >= len(t.end) {
		return ""
	}
	var start uint32
	if i > 0 {
		start = t.end[i-1]
	}
	return string(t.data[start:t.end[i]])
}

// is reports whether string i is s, without making a string of it: the
// walks for retainers ask this of millions of edges.
func (t *stringTable) is(i uint32, s string) bool {
	if int(i) >= len(t.end) {
		return s == ""
	}
	var start uint32
	if i > 0 {
		start = t.end[i-1]
	}
	return string(t.data[start:t.end[i]]) == s
}

// readStrings reads the string table, keeping the strings need marks (all of
// them when need is nil) and recording WeakMap ephemeron edge names.
func (g *Snapshot) readStrings(s *jsonScanner, need *stringSet) error {
	far := 0 // the next index in need.far
	t := &g.strings
	return s.array(func(i int) error {
		t.count = i + 1
		if uint64(i) > math.MaxUint32 {
			return s.syntaxError("more than 4294967296 strings")
		}
		keep := need == nil
		if need != nil && uint64(i) <= uint64(need.last) {
			if uint64(i) < uint64(len(need.dense))*64 {
				keep = need.dense.has(uint32(i))
			} else {
				for far < len(need.far) && need.far[far] < uint32(i) {
					far++
				}
				keep = far < len(need.far) && need.far[far] == uint32(i)
			}
		}
		str, err := s.str(keep)
		if err != nil {
			return err
		}
		if keep {
			if table, ok := weakMapTableID(str); ok {
				if g.weakMapTable == nil {
					g.weakMapTable = map[uint32]uint64{}
				}
				g.weakMapTable[uint32(i)] = table
			}
			if uint64(len(t.data))+uint64(len(str)) > math.MaxUint32 {
				return s.syntaxError("the strings the analysis reads take more than 4 GiB")
			}
			t.data = append(t.data, str...)
		}
		if need == nil || uint64(i) <= uint64(need.last) {
			if len(t.end) == cap(t.end) {
				t.end = regrow(t.end, grownCap(len(t.end), 0))
			}
			t.end = append(t.end, uint32(len(t.data)))
		}
		return nil
	})
}

// weakMapTableID recognises the name V8 gives the edges of a WeakMap entry,
// "N / part of key (K @id) -> value (V @id) pair in WeakMap (table @ID)", and
// returns the table's id. DevTools skips the edge from the table when it
// computes dominators, so the value is charged to its key.
func weakMapTableID(name string) (uint64, bool) {
	const marker = " pair in WeakMap (table @"
	if !strings.HasSuffix(name, ")") || !strings.Contains(name, " / part of key (") {
		return 0, false
	}
	i := strings.LastIndex(name, marker)
	if i < 0 {
		return 0, false
	}
	for _, c := range name[:strings.IndexByte(name, ' ')] {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	id, err := strconv.ParseUint(name[i+len(marker):len(name)-1], 10, 64)
	return id, err == nil
}

// readTraceFunctions reads trace_function_infos, a flat array of
// trace_function_info_fields tuples. V8 writes six fields; the three an
// allocation stack shows (name, script_name and line) must be there, which
// keeps a function's sixteen bytes here within three times what it takes in
// the file. The script id, when given, names the script of class locations.
func (g *Snapshot) readTraceFunctions(s *jsonScanner, fields []string, want int64) error {
	name, script, line := indexOf(fields, "name"), indexOf(fields, "script_name"), indexOf(fields, "line")
	scriptID := indexOf(fields, "script_id")
	if name < 0 || script < 0 || line < 0 {
		return fmt.Errorf("%w: trace_function_info_fields needs \"name\", \"script_name\" and \"line\"", ErrMalformed)
	}
	k := 0
	var cur traceFunction
	err := s.uints(func(v uint64) error {
		v32 := uint32(min(v, math.MaxUint32))
		switch k {
		case name:
			cur.name = v32
		case script:
			cur.script = v32
		case line:
			cur.line = v32
		case scriptID:
			cur.scriptID = v32
		}
		k++
		if k == len(fields) {
			if len(g.traceFuncs) == cap(g.traceFuncs) {
				g.traceFuncs = regrow(g.traceFuncs, grownCap(len(g.traceFuncs), want))
			}
			g.traceFuncs = append(g.traceFuncs, cur)
			cur, k = traceFunction{}, 0
		}
		return nil
	})
	if err == nil && k != 0 {
		return fmt.Errorf("%w: trace_function_infos ends inside a function", ErrMalformed)
	}
	return err
}

// readTraceTree reads trace_tree: a list of trace_node_fields tuples laid
// end to end, whose "children" field is again such a list. It records, for
// each trace node, its id, its function and its caller.
func (g *Snapshot) readTraceTree(s *jsonScanner, fields []string) error {
	idField, fnField, childField := indexOf(fields, "id"), indexOf(fields, "function_info_index"), indexOf(fields, "children")
	if idField < 0 || fnField < 0 || childField < 0 {
		return fmt.Errorf("%w: trace_node_fields needs id, function_info_index and children", ErrMalformed)
	}
	// Each level is one list being read: the caller of its nodes, the
	// position of the next field in the current tuple, and the tuple's id
	// and function so far.
	type level struct {
		parent int32
		id, fn uint32
		k      int
	}
	if err := s.expect('['); err != nil {
		return err
	}
	consecutive := true
	stack := []level{{parent: -1}}
	for len(stack) > 0 {
		top := &stack[len(stack)-1]
		switch c := s.skipWS(); {
		case c == 0:
			return s.syntaxError("unexpected end of input in the trace tree")
		case c == ',':
			s.pos++
			continue
		case c == ']':
			if top.k != 0 {
				return s.syntaxError("a trace node ends early")
			}
			s.pos++
			stack = stack[:len(stack)-1]
			if len(stack) > 0 {
				stack[len(stack)-1].k = (stack[len(stack)-1].k + 1) % len(fields)
			}
			continue
		case top.k == childField:
			if c != '[' {
				return s.syntaxError("trace node children must be an array")
			}
			s.pos++
			if len(g.traceNodes) >= math.MaxInt32 {
				return s.syntaxError("too many trace nodes")
			}
			if len(g.traceNodes) == 0 {
				g.traceFirstID = top.id
			}
			consecutive = consecutive && uint64(top.id) == uint64(g.traceFirstID)+uint64(len(g.traceNodes))
			g.traceNodes = append(g.traceNodes, traceNode{id: top.id, function: top.fn, parent: top.parent})
			if len(stack) > 1<<20 {
				return s.syntaxError("trace tree too deep")
			}
			stack = append(stack, level{parent: int32(len(g.traceNodes) - 1)})
			continue
		}
		v, err := s.uint()
		if err != nil {
			return err
		}
		if top.k == 0 {
			top.id, top.fn = 0, 0
		}
		switch top.k {
		case idField:
			top.id = uint32(min(v, math.MaxUint32))
		case fnField:
			top.fn = uint32(min(v, math.MaxUint32))
		}
		top.k = (top.k + 1) % len(fields)
	}
	if consecutive {
		return nil
	}
	// Ids are not 1, 2, 3... in the order of the file: map them, and refuse
	// one given twice, which could make a node its own caller.
	g.traceIndex = make(map[uint32]int32, len(g.traceNodes))
	for i, tn := range g.traceNodes {
		if _, dup := g.traceIndex[tn.id]; dup {
			return fmt.Errorf("%w: trace node id %d appears twice", ErrMalformed, tn.id)
		}
		g.traceIndex[tn.id] = int32(i)
	}
	return nil
}

// traceNodeIndex returns the index in traceNodes of the trace node with the
// given id, or -1.
func (g *Snapshot) traceNodeIndex(id uint32) int32 {
	if g.traceIndex != nil {
		if i, ok := g.traceIndex[id]; ok {
			return i
		}
		return -1
	}
	if i := uint64(id) - uint64(g.traceFirstID); id >= g.traceFirstID && i < uint64(len(g.traceNodes)) {
		return int32(i)
	}
	return -1
}

// check validates the decoded graph: edge counts match the edges, every
// edge points at a node, the root exists.
func (g *Snapshot) check(m *snapshotHeader) error {
	if err := g.checkColumns(); err != nil {
		return err
	}
	n := len(g.typ)
	if got := g.firstEdge[n]; int(got) != len(g.eto) {
		return fmt.Errorf("%w: the nodes' edge counts add up to %d, but the edges array holds %d edges", ErrMalformed, got, len(g.eto))
	}
	for _, to := range g.eto {
		if int(to) >= n {
			return fmt.Errorf("%w: an edge points at node %d of %d", ErrMalformed, to, n)
		}
	}
	if int(g.root) >= n {
		return fmt.Errorf("%w: root_index points past the last node", ErrMalformed)
	}
	strs := uint64(g.strings.count)
	if strs == 0 {
		return fmt.Errorf("%w: empty strings table", ErrMalformed)
	}
	for i, name := range g.name {
		if uint64(name) >= strs {
			return fmt.Errorf("%w: node %d names string %d of %d", ErrMalformed, i, name, strs)
		}
	}
	for _, f := range g.traceFuncs {
		if uint64(f.name) >= strs || uint64(f.script) >= strs {
			return fmt.Errorf("%w: a trace function names a string past the table", ErrMalformed)
		}
	}
	for _, tn := range g.traceNodes {
		if uint64(tn.function) >= uint64(len(g.traceFuncs)) {
			return fmt.Errorf("%w: trace node %d names function %d of %d", ErrMalformed, tn.id, tn.function, len(g.traceFuncs))
		}
	}
	if g.trace != nil && len(g.traceFuncs) == 0 {
		g.trace = nil
	}
	g.nodes, g.edges = len(g.typ), len(g.eto)
	g.maxHeapID = g.maxHeapObjectID()
	g.traced = g.trace != nil && len(g.traceNodes) > 0
	return nil
}

// dropNaming lets go of what the analysis needs only to group the objects
// (names, types, ids, strings, locations, allocation traces), keeping the
// edges and shallow sizes the dominator tree needs. See
// AnalyzeOptions.Drop.
func (g *Snapshot) dropNaming() {
	g.typ, g.name, g.id, g.id64, g.trace, g.detached = nil, nil, nil, nil, nil, nil
	g.etype, g.ename, g.eintName, g.strings, g.weakMapTable = nil, nil, chunkedColumn{}, stringTable{}, nil
	g.traceFuncs, g.traceNodes, g.traceIndex, g.locations = nil, nil, nil, nil
	g.dropped = "its names, types and ids"
}

// dropEdges lets go of the edges, once the dominator tree is built.
func (g *Snapshot) dropEdges() {
	g.firstEdge, g.eto = nil, nil
	g.dropped = "its names, types, ids and edges"
}

// mustBeWhole panics when Analyze has dropped parts of the snapshot: a
// caller that asked it to (AnalyzeOptions.Drop) and reads them after.
func (g *Snapshot) mustBeWhole() {
	if g.dropped != "" {
		panic("v8: the snapshot was analysed with AnalyzeOptions.Drop, which dropped " + g.dropped)
	}
}

// NodeCount returns the number of nodes.
func (g *Snapshot) NodeCount() int { return g.nodes }

// EdgeCount returns the number of edges.
func (g *Snapshot) EdgeCount() int { return g.edges }

// Size returns how many bytes the snapshot's JSON takes.
func (g *Snapshot) Size() int64 { return g.size }

// Root returns the ordinal of the root node, which holds the GC roots and,
// in Node.js and browsers, the global objects.
func (g *Snapshot) Root() uint32 { return g.root }

// HasAllocationTraces reports whether the snapshot records where its
// objects were allocated (node --track-heap-objects), so that
// Analysis.AllocationStacks can group them by stack.
func (g *Snapshot) HasAllocationTraces() bool { return g.traced }

// NodeID returns node v's id: V8 gives an object the same id in every
// snapshot of a process for its life (Bun renumbers them).
func (g *Snapshot) NodeID(v uint32) uint64 {
	g.mustBeWhole()
	return g.nodeID(v)
}

// nodeID returns node v's id.
func (g *Snapshot) nodeID(v uint32) uint64 {
	if g.id64 != nil {
		return g.id64[v]
	}
	return uint64(g.id[v])
}

// appendID adds the next node's id, moving every id to 64 bits at the first
// that needs them: half the column's memory for V8's ids, at no risk for a
// producer whose ids are larger.
func (g *Snapshot) appendID(v uint64) {
	if g.id64 == nil && v > math.MaxUint32 {
		g.id64 = make([]uint64, len(g.id), cap(g.id))
		for i, id := range g.id {
			g.id64[i] = uint64(id)
		}
		g.id = nil
	}
	if g.id64 != nil {
		g.id64 = append(g.id64, v)
	} else {
		g.id = append(g.id, uint32(v))
	}
}

// idCount returns how many ids were read.
func (g *Snapshot) idCount() int { return max(len(g.id), len(g.id64)) }

// NodeType returns node v's type name ("object", "closure", "string", ...),
// or "" for a type the snapshot's header does not name.
func (g *Snapshot) NodeType(v uint32) string {
	g.mustBeWhole()
	if int(g.typ[v]) < len(g.nodeTypes) {
		return g.nodeTypes[g.typ[v]]
	}
	return ""
}

// SelfSize returns node v's shallow size: once the snapshot is analysed,
// the size DevTools shows, which moves the size of arrays an object alone
// owns to it (see Analyze).
func (g *Snapshot) SelfSize(v uint32) uint32 { return g.self[v] }

// Edges returns the range of node v's edges, [first, end).
func (g *Snapshot) Edges(v uint32) (first, end uint32) {
	g.mustBeWhole()
	return g.firstEdge[v], g.firstEdge[v+1]
}

// EdgeTarget returns the ordinal of the node edge e points at.
func (g *Snapshot) EdgeTarget(e uint32) uint32 {
	g.mustBeWhole()
	return g.eto[e]
}

// EdgeType returns edge e's type name ("property", "element", "internal",
// "weak", "shortcut", ...), or "" for a type the header does not name.
func (g *Snapshot) EdgeType(e uint32) string {
	g.mustBeWhole()
	if int(g.etype[e]) < len(g.edgeTypes) {
		return g.edgeTypes[g.etype[e]]
	}
	return ""
}

// ErrNoTraces is what Analysis.AllocationStacks returns for a snapshot
// taken without allocation tracking.
var ErrNoTraces = errors.New("the snapshot has no allocation traces")

// Comments returns the "heapdiff.key=value" strings heapdiff capture wrote
// in the snapshot's "heapdiff" member (see [MetadataMember]): trigger, host,
// pid, RSS, heap used. A snapshot V8 wrote alone has none.
func (g *Snapshot) Comments() []string { return g.comments }
