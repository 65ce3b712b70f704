package profile

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// FormatV8Snapshot names V8 heap snapshots (.heapsnapshot), as written by
// Node.js, Chrome DevTools and Bun's generateHeapSnapshot("v8").
const FormatV8Snapshot = "v8 heap snapshot"

// Sample types of a heap snapshot's profile, by class. Values are exact (Period 0).
var (
	SnapshotObjects      = ValueType{"objects", "count"}
	SnapshotShallowSize  = ValueType{"shallow_size", "bytes"}
	SnapshotRetainedSize = ValueType{"retained_size", "bytes"}
)

// IsHeapSnapshot reports whether the profile was read from a heap snapshot:
// its values are counts and sizes of live objects, not sampled allocations.
func (p *Profile) IsHeapSnapshot() bool { return p.Format == FormatV8Snapshot }

// IsClassView reports whether the profile is a heap snapshot grouped by
// class: one stack per class, each a single frame naming the class with no
// source file (allocation-stack views have files and deeper stacks).
func (p *Profile) IsClassView() bool {
	if !p.IsHeapSnapshot() {
		return false
	}
	for _, s := range p.Stacks {
		if len(s.Frames) != 1 || p.Frames[s.Frames[0]].File != "" {
			return false
		}
	}
	return true
}

// v8Meta is the "snapshot" header of a V8 heap snapshot.
type v8Meta struct {
	Meta struct {
		NodeFields              []string          `json:"node_fields"`
		NodeTypes               []json.RawMessage `json:"node_types"`
		EdgeFields              []string          `json:"edge_fields"`
		EdgeTypes               []json.RawMessage `json:"edge_types"`
		TraceFunctionInfoFields []string          `json:"trace_function_info_fields"`
		TraceNodeFields         []string          `json:"trace_node_fields"`
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
)

// v8Graph is a heap snapshot decoded into compact columns: one entry per node
// (indexed by ordinal, the node's position in the nodes array) and per edge.
type v8Graph struct {
	nodeTypes, edgeTypes []string
	nodeFieldCount       int

	typ       []uint8
	name      []uint32
	id        []uint64
	self      []uint32
	firstEdge []uint32 // len(typ)+1: node i's edges are firstEdge[i]:firstEdge[i+1]
	trace     []uint32 // allocation trace node id per node; nil without traces

	etype    []uint8
	eto      []uint32 // target ordinal
	eintName []uint32 // names of the internal edges, in edge order

	// strings holds the strings the analysis needs (class names, trace
	// function names); the others are left empty to save memory.
	strings []string
	// weakMapTable maps the string index of a WeakMap ephemeron edge name to
	// the id of its table (see isEssential).
	weakMapTable map[uint32]uint64

	root uint32

	traceFuncs []traceFunction
	traceNodes map[uint32]traceNode
}

type traceFunction struct {
	name, script uint32 // string indexes
	line, column int64  // 0-based; -1 when unknown
}

type traceNode struct {
	function uint32 // index in traceFuncs
	parent   uint32 // trace node id of the caller; 0 at the top
}

// nodeTypeIndex returns the index of a node type name, or -1.
func indexOf(list []string, name string) int {
	for i, s := range list {
		if s == name {
			return i
		}
	}
	return -1
}

// looksLikeV8JSON reports which V8 JSON format data starts with: a heap
// snapshot (`{"snapshot":`), a sampling heap profile (`{"head":`), or JSC's
// Inspector snapshot (`{"version":..,"type":"Inspector"`). It looks at the
// first key only (and, for JSC, the first few hundred bytes).
func looksLikeV8JSON(data []byte) string {
	i := 0
	skip := func() {
		for i < len(data) && (data[i] == ' ' || data[i] == '\n' || data[i] == '\r' || data[i] == '\t') {
			i++
		}
	}
	skip()
	if i >= len(data) || data[i] != '{' {
		return ""
	}
	i++
	skip()
	rest := data[i:]
	switch {
	case hasPrefix(rest, `"snapshot"`):
		return FormatV8Snapshot
	case hasPrefix(rest, `"head"`):
		return FormatV8HeapProfile
	}
	head := rest
	if len(head) > 512 {
		head = head[:512]
	}
	if strings.Contains(string(head), `"type":"Inspector"`) || strings.Contains(string(head), `"type": "Inspector"`) {
		return formatJSCSnapshot
	}
	return ""
}

func hasPrefix(b []byte, p string) bool { return len(b) >= len(p) && string(b[:len(p)]) == p }

// parseV8Graph decodes a V8 heap snapshot. sizeHint, the input's size when
// known, bounds how much is allocated up front from the header's counts.
func parseV8Graph(s *jsonScanner, sizeHint int64) (*v8Graph, error) {
	g := &v8Graph{}
	var (
		meta                       *v8Meta
		nodeRoles, edgeRoles       []int
		nodesDone, edgesDone       bool
		needString                 []bool // per string index: keep it
		internalType               = -1
		stringsSeen                bool
		traceFuncFields, traceNode []string
	)
	err := s.object(func(key string) error {
		switch key {
		case "snapshot":
			raw, err := s.raw(1 << 20)
			if err != nil {
				return err
			}
			meta = &v8Meta{}
			if err := json.Unmarshal(raw, meta); err != nil {
				return fmt.Errorf("%w: snapshot header: %v", ErrMalformed, err)
			}
			nodeRoles, edgeRoles, err = g.readMeta(meta)
			if err != nil {
				return err
			}
			internalType = indexOf(g.edgeTypes, "internal")
			traceFuncFields, traceNode = meta.Meta.TraceFunctionInfoFields, meta.Meta.TraceNodeFields
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
			return g.readTraceFunctions(s, traceFuncFields)
		case "trace_tree":
			if meta == nil || meta.TraceFunctionCount == 0 {
				return s.skip()
			}
			return g.readTraceTree(s, traceNode)
		case "strings":
			stringsSeen = true
			if nodesDone && edgesDone {
				needString = g.neededStrings()
			}
			return g.readStrings(s, needString)
		}
		return s.skip()
	})
	if err != nil {
		return nil, err
	}
	if s.skipWS() != 0 {
		return nil, s.syntaxError("data after the end of the snapshot")
	}
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
func (g *v8Graph) readMeta(m *v8Meta) (nodeRoles, edgeRoles []int, err error) {
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
	g.nodeTypes, err = v8TypeNames(m.Meta.NodeTypes, indexOf(nf, "type"), "node_types")
	if err != nil {
		return nil, nil, err
	}
	g.edgeTypes, err = v8TypeNames(m.Meta.EdgeTypes, indexOf(ef, "type"), "edge_types")
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

// v8TypeNames reads the list of type names that meta.node_types (or edge_types)
// holds at the position of the "type" field.
func v8TypeNames(types []json.RawMessage, at int, what string) ([]string, error) {
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
// value takes at least two bytes ("0,").
func capHint(count int64, fields int, sizeHint int64) int {
	if count <= 0 || fields <= 0 {
		return 0
	}
	if sizeHint > 0 {
		count = min(count, sizeHint/int64(2*fields)+1)
	}
	return int(min(count, 1<<26))
}

func (g *v8Graph) readNodes(s *jsonScanner, roles []int, m *v8Meta, sizeHint int64) error {
	n := capHint(m.NodeCount, len(roles), sizeHint)
	g.typ = make([]uint8, 0, n)
	g.name = make([]uint32, 0, n)
	g.id = make([]uint64, 0, n)
	g.self = make([]uint32, 0, n)
	g.firstEdge = make([]uint32, 1, n+1)
	if indexOfInt(roles, fieldTraceNode) >= 0 {
		g.trace = make([]uint32, 0, n)
	}
	k := 0
	var edges uint64
	err := s.uints(func(v uint64) error {
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
			g.id = append(g.id, v)
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
	return g.checkColumns()
}

// checkColumns verifies that every node has exactly one value in each
// column, which neededStrings and the analysis index by ordinal.
func (g *v8Graph) checkColumns() error {
	n := len(g.typ)
	if len(g.name) != n || len(g.id) != n || len(g.self) != n || len(g.firstEdge) != n+1 || g.trace != nil && len(g.trace) != n {
		return fmt.Errorf("%w: the nodes' fields do not line up (%d types, %d names, %d ids, %d sizes, %d edge counts)",
			ErrMalformed, n, len(g.name), len(g.id), len(g.self), len(g.firstEdge)-1)
	}
	return nil
}

func (g *v8Graph) readEdges(s *jsonScanner, roles []int, m *v8Meta, sizeHint int64, internalType int) error {
	n := capHint(m.EdgeCount, len(roles), sizeHint)
	g.etype = make([]uint8, 0, n)
	g.eto = make([]uint32, 0, n)
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
		g.etype = append(g.etype, uint8(typ))
		g.eto = append(g.eto, uint32(to/nf))
		if int(typ) == internalType {
			g.eintName = append(g.eintName, uint32(min(name, math.MaxUint32)))
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

// neededStrings marks the strings the analysis reads: the names of object and
// native nodes (their class), the names of internal edges (WeakMap entries)
// and the names in allocation traces.
func (g *v8Graph) neededStrings() []bool {
	var max uint32
	for _, n := range g.name {
		max = maxU32(max, n)
	}
	for _, n := range g.eintName {
		max = maxU32(max, n)
	}
	for _, f := range g.traceFuncs {
		max = maxU32(max, maxU32(f.name, f.script))
	}
	need := make([]bool, int(max)+1)
	object, native := indexOf(g.nodeTypes, "object"), indexOf(g.nodeTypes, "native")
	for i, t := range g.typ {
		if int(t) == object || int(t) == native {
			need[g.name[i]] = true
		}
	}
	for _, n := range g.eintName {
		need[n] = true
	}
	for _, f := range g.traceFuncs {
		need[f.name], need[f.script] = true, true
	}
	return need
}

func maxU32(a, b uint32) uint32 {
	if a > b {
		return a
	}
	return b
}

// readStrings reads the string table, keeping the strings need marks (all of
// them when need is nil) and recording WeakMap ephemeron edge names.
func (g *v8Graph) readStrings(s *jsonScanner, need []bool) error {
	return s.array(func(i int) error {
		keep := need == nil || i < len(need) && need[i]
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
		}
		g.strings = append(g.strings, str)
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
// trace_function_info_fields tuples.
func (g *v8Graph) readTraceFunctions(s *jsonScanner, fields []string) error {
	name, script := indexOf(fields, "name"), indexOf(fields, "script_name")
	line, col := indexOf(fields, "line"), indexOf(fields, "column")
	if name < 0 || len(fields) == 0 {
		return fmt.Errorf("%w: trace_function_info_fields has no \"name\"", ErrMalformed)
	}
	k := 0
	var cur traceFunction
	return s.uints(func(v uint64) error {
		v32 := uint32(min(v, math.MaxUint32))
		switch k {
		case name:
			cur.name = v32
		case script:
			cur.script = v32
		case line:
			cur.line = int64(v32)
		case col:
			cur.column = int64(v32)
		}
		k++
		if k == len(fields) {
			g.traceFuncs = append(g.traceFuncs, cur)
			cur, k = traceFunction{}, 0
		}
		return nil
	})
}

// readTraceTree reads trace_tree: a list of trace_node_fields tuples laid
// end to end, whose "children" field is again such a list. It records, for
// each trace node id, its function and its caller.
func (g *v8Graph) readTraceTree(s *jsonScanner, fields []string) error {
	idField, fnField, childField := indexOf(fields, "id"), indexOf(fields, "function_info_index"), indexOf(fields, "children")
	if idField < 0 || fnField < 0 || childField < 0 {
		return fmt.Errorf("%w: trace_node_fields needs id, function_info_index and children", ErrMalformed)
	}
	g.traceNodes = map[uint32]traceNode{}
	// Each level is one list being read: the caller of its nodes, the
	// position of the next field in the current tuple, and the tuple's id
	// and function so far.
	type level struct {
		parent, id, fn uint32
		k              int
	}
	if err := s.expect('['); err != nil {
		return err
	}
	stack := []level{{}}
	for len(stack) > 0 {
		top := &stack[len(stack)-1]
		switch c := s.skipWS(); {
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
			g.traceNodes[top.id] = traceNode{function: top.fn, parent: top.parent}
			if len(stack) > 1<<20 {
				return s.syntaxError("trace tree too deep")
			}
			stack = append(stack, level{parent: top.id})
			continue
		}
		v, err := s.uint()
		if err != nil {
			return err
		}
		switch top.k {
		case idField:
			top.id = uint32(min(v, math.MaxUint32))
		case fnField:
			top.fn = uint32(min(v, math.MaxUint32))
		}
		top.k = (top.k + 1) % len(fields)
	}
	return nil
}

// check validates the decoded graph: edge counts match the edges, every
// edge points at a node, the root exists.
func (g *v8Graph) check(m *v8Meta) error {
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
	if len(g.strings) == 0 {
		return fmt.Errorf("%w: empty strings table", ErrMalformed)
	}
	for i, name := range g.name {
		if int(name) >= len(g.strings) {
			return fmt.Errorf("%w: node %d names string %d of %d", ErrMalformed, i, name, len(g.strings))
		}
	}
	for _, f := range g.traceFuncs {
		if int(f.name) >= len(g.strings) || int(f.script) >= len(g.strings) {
			return fmt.Errorf("%w: a trace function names a string past the table", ErrMalformed)
		}
	}
	for id, tn := range g.traceNodes {
		if int(tn.function) >= len(g.traceFuncs) {
			return fmt.Errorf("%w: trace node %d names function %d of %d", ErrMalformed, id, tn.function, len(g.traceFuncs))
		}
	}
	if g.trace != nil && len(g.traceFuncs) == 0 {
		g.trace = nil
	}
	return nil
}

var errNoTraces = errors.New("the snapshot has no allocation traces")
