package v8

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// devtoolsRetainers is what testdata/node/gen/devtools-retainers.mjs wrote:
// for each snapshot, the retainer DevTools' Retainers view lists first for
// every object on the chains of the classes retainers.js holds.
type devtoolsRetainers struct {
	Snapshots []struct {
		File     string                        `json:"file"`
		Classes  map[string][]uint64           `json:"classes"`
		First    map[string][3]json.RawMessage `json:"first"`
		Distance map[string]int64              `json:"distance"`
		Name     map[string]string             `json:"name"`
	} `json:"snapshots"`
}

// devtoolsEdge is one entry of devtoolsRetainers.First: the edge into an
// object that DevTools lists first.
type devtoolsEdge struct {
	typ, name string
	from      uint64
}

func (d *devtoolsRetainers) first(snapshot int) map[uint64]devtoolsEdge {
	out := map[uint64]devtoolsEdge{}
	for id, e := range d.Snapshots[snapshot].First {
		var de devtoolsEdge
		if json.Unmarshal(e[0], &de.typ) != nil || json.Unmarshal(e[1], &de.name) != nil || json.Unmarshal(e[2], &de.from) != nil {
			panic("bad devtools-retainers entry " + id)
		}
		out[mustUint(id)] = de
	}
	return out
}

func mustUint(s string) uint64 {
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		panic(err)
	}
	return v
}

func readDevtoolsRetainers(t testing.TB) *devtoolsRetainers {
	t.Helper()
	var d devtoolsRetainers
	if err := json.Unmarshal(gunzipFile(t, nodeData+"retainers/devtools-retainers.json.gz"), &d); err != nil {
		t.Fatal(err)
	}
	return &d
}

// fullGraph decodes a snapshot with encoding/json, every string and every
// edge's name kept: a reader independent of the streaming one.
func fullGraph(t testing.TB, path string) *Snapshot {
	t.Helper()
	var raw struct {
		Snapshot  snapshotHeader `json:"snapshot"`
		Nodes     []uint64       `json:"nodes"`
		Edges     []uint64       `json:"edges"`
		Strings   []string       `json:"strings"`
		Locations []uint64       `json:"locations"`
	}
	if err := json.Unmarshal(gunzipFile(t, path), &raw); err != nil {
		t.Fatal(err)
	}
	m := raw.Snapshot.Meta
	g := &Snapshot{nodeFieldCount: len(m.NodeFields), keepNames: true}
	var err error
	if g.nodeTypes, err = typeNames(m.NodeTypes, indexOf(m.NodeFields, "type"), "node_types"); err != nil {
		t.Fatal(err)
	}
	if g.edgeTypes, err = typeNames(m.EdgeTypes, indexOf(m.EdgeFields, "type"), "edge_types"); err != nil {
		t.Fatal(err)
	}
	nf, ef := len(m.NodeFields), len(m.EdgeFields)
	ft, fn, fi, fs, fe := indexOf(m.NodeFields, "type"), indexOf(m.NodeFields, "name"), indexOf(m.NodeFields, "id"), indexOf(m.NodeFields, "self_size"), indexOf(m.NodeFields, "edge_count")
	g.firstEdge = []uint32{0}
	for i := 0; i < len(raw.Nodes); i += nf {
		g.typ = append(g.typ, uint8(raw.Nodes[i+ft]))
		g.name = append(g.name, uint32(raw.Nodes[i+fn]))
		g.appendID(raw.Nodes[i+fi])
		g.self = append(g.self, uint32(raw.Nodes[i+fs]))
		g.firstEdge = append(g.firstEdge, g.firstEdge[len(g.firstEdge)-1]+uint32(raw.Nodes[i+fe]))
		if fd := indexOf(m.NodeFields, "detachedness"); fd >= 0 {
			g.detached = append(g.detached, uint8(raw.Nodes[i+fd]))
		}
	}
	if !slices.ContainsFunc(g.detached, func(d uint8) bool { return d != 0 }) {
		g.detached = nil
	}
	et, en, eto := indexOf(m.EdgeFields, "type"), indexOf(m.EdgeFields, "name_or_index"), indexOf(m.EdgeFields, "to_node")
	for i := 0; i < len(raw.Edges); i += ef {
		g.etype = append(g.etype, uint8(raw.Edges[i+et]))
		g.eto = append(g.eto, uint32(raw.Edges[i+eto]/uint64(nf)))
		g.ename = append(g.ename, uint32(raw.Edges[i+en]))
	}
	lf := m.LocationFields
	lo, ls, ll, lc := indexOf(lf, "object_index"), indexOf(lf, "script_id"), indexOf(lf, "line"), indexOf(lf, "column")
	for i := 0; i+len(lf) <= len(raw.Locations); i += len(lf) {
		v := uint32(raw.Locations[i+lo] / uint64(nf))
		if t := g.nodeTypes[g.typ[v]]; t != "object" && t != "closure" {
			continue
		}
		g.locations = append(g.locations, location{node: v, script: uint32(raw.Locations[i+ls]), line: uint32(raw.Locations[i+ll]), column: uint32(raw.Locations[i+lc]), seq: uint32(len(g.locations))})
	}
	g.locations.sortByNode()
	for i, s := range raw.Strings {
		g.strings.data = append(g.strings.data, s...)
		g.strings.end = append(g.strings.end, uint32(len(g.strings.data)))
		if table, ok := weakMapTableID(s); ok {
			if g.weakMapTable == nil {
				g.weakMapTable = map[uint32]uint64{}
			}
			g.weakMapTable[uint32(i)] = table
		}
	}
	g.strings.count = len(raw.Strings)
	g.root = uint32(raw.Snapshot.RootIndex / int64(nf))
	g.nodes, g.edges = len(g.typ), len(g.eto)
	g.maxHeapID = g.maxHeapObjectID()
	return g
}

// TestRetainersAsDevTools checks distances and first retainers against
// DevTools' own, on the snapshots of testdata/node/gen/retainers.js, for
// every object on the chains of the classes it holds and every fifth node:
// the same distance, and the same first retainer (edge type, name and
// retaining object), but for a WeakMap's value, whose retainer is its key
// where DevTools lists the WeakMap's table, and where a string ties with
// another retainer (strings' names are not kept).
func TestRetainersAsDevTools(t *testing.T) {
	dt := readDevtoolsRetainers(t)
	for k, snap := range dt.Snapshots {
		t.Run(snap.File, func(t *testing.T) {
			g := fullGraph(t, filepath.Join(nodeData+"retainers", snap.File+".gz"))
			r := newRetainerNames(g, g.ename)
			dist := r.distances(newScratch(g.nodes))
			parent, via := r.firstRetainers(dist)
			ordinal := map[uint64]uint32{}
			for v := range uint32(g.nodes) {
				ordinal[g.nodeID(v)] = v
			}
			for ids, want := range snap.Distance {
				v, ok := ordinal[mustUint(ids)]
				if !ok {
					t.Fatalf("no object @%s", ids)
				}
				if got := int64(viewDistance(dist, v)); got != want {
					t.Errorf("@%s: distance %d, DevTools %d", ids, got, want)
				}
			}
			var same, weakMap, strs int
			for id, want := range dt.first(k) {
				v := ordinal[id]
				if parent[v] == noRetainer {
					t.Errorf("@%d: no retainer, DevTools gives %v", id, want)
					continue
				}
				got := devtoolsEdge{typ: g.edgeTypes[g.etype[via[v]]], name: r.edgeName(via[v]), from: g.nodeID(parent[v])}
				if got == want {
					same++
					continue
				}
				// The one allowed difference: DevTools lists the WeakMap's
				// table, heapdiff the key.
				pair := func(s string) string { return strings.TrimLeft(s, "0123456789") }
				if _, isWeakMap := weakMapTableID(want.name); isWeakMap && want.typ == "internal" && got.typ == "internal" && pair(got.name) == pair(want.name) {
					if table, _ := weakMapTableID(want.name); table == want.from && got.from != table {
						weakMap++
						continue
					}
				}
				// Strings' names (their contents) are not kept: where a
				// string ties with another retainer, the order may differ.
				// Strings retain only strings, so only paths to strings
				// can differ.
				if w, ok := ordinal[want.from]; ok && (r.isString(w) || r.isString(parent[v])) && viewDistance(dist, w) == viewDistance(dist, parent[v]) {
					strs++
					continue
				}
				t.Errorf("@%d (%s): first retainer %s %q from @%d (%s), DevTools %s %q from @%d (%s)", id, snap.Name[fmt.Sprint(id)],
					got.typ, got.name, got.from, r.nodeName(parent[v]), want.typ, want.name, want.from, snap.Name[fmt.Sprint(want.from)])
			}
			t.Logf("%d first retainers as DevTools, %d WeakMap values by their key, %d ties with strings", same, weakMap, strs)
			if same < 5000 || strs > same/100 {
				t.Errorf("only %d first retainers compared", same)
			}
			if k > 0 && weakMap != int(dtCount(snap.Classes["SessionMeta"])) {
				t.Errorf("%d WeakMap values given by their key, want every SessionMeta (%d)", weakMap, len(snap.Classes["SessionMeta"]))
			}
		})
	}
}

func dtCount(ids []uint64) int64 { return int64(len(ids)) }

// retainersOf analyses a snapshot for its retainers.
func retainersOf(t testing.TB, g *Snapshot, drop bool) (*Retainers, *Analysis) {
	t.Helper()
	a, err := g.Analyze(AnalyzeOptions{Retainers: true, Drop: drop})
	if err != nil {
		t.Fatal(err)
	}
	return a.Retainers(), a
}

// pathString writes a path for test messages.
func pathString(p RetainerPath) string {
	var b strings.Builder
	for i, s := range p.Steps {
		if i == p.UserStart {
			b.WriteString("| ")
		}
		if i > 0 {
			fmt.Fprintf(&b, " -%s:%s-> ", s.EdgeType, s.EdgeName)
		}
		fmt.Fprintf(&b, "%s/%s@%d", s.Class, s.Name, s.ID)
	}
	return b.String()
}

// classIndex returns the index of a class label in r.Classes().
func classIndex(t testing.TB, r *Retainers, label string) int {
	t.Helper()
	i := slices.Index(r.Classes(), label)
	if i < 0 {
		t.Fatalf("no class %q", label)
	}
	return i
}

// TestRetainerIndexStreamed checks that the streaming reader keeps what
// retainer paths need (ReadOptions.Names), and that an analysis that drops
// the snapshot as it goes keeps it too: its index gives every node the same
// first retainer, edge, name and class as one built from a graph read whole
// with encoding/json and kept whole, which the analysis leaves as it was.
func TestRetainerIndexStreamed(t *testing.T) {
	for _, f := range []string{"retainers/retainers-1.heapsnapshot.gz", "sessions/Heap.20261201.032358.6773.0.001.heapsnapshot.gz", "chromium/page.heapsnapshot.gz"} {
		t.Run(f, func(t *testing.T) {
			streamed, err := ReadSnapshot(bytes.NewReader(gunzipFile(t, nodeData+f)), 0, ReadOptions{Names: true})
			if err != nil {
				t.Fatal(err)
			}
			r, _ := retainersOf(t, streamed, true)
			got := r.x
			g := fullGraph(t, nodeData+f)
			names := slices.Clone(g.name)
			r, _ = retainersOf(t, g, false)
			want := r.x
			if !slices.Equal(g.name, names) {
				t.Error("an analysis for retainers changed the names of a snapshot it was not to drop")
			}
			if len(got.parent) != len(want.parent) {
				t.Fatalf("%d nodes, want %d", len(got.parent), len(want.parent))
			}
			diffs := 0
			for v := range want.parent {
				s := retainerStep{node: uint32(v), edgeType: got.ptype[v], edgeName: got.pname[v]}
				w := retainerStep{node: uint32(v), edgeType: want.ptype[v], edgeName: want.pname[v]}
				if got.parent[v] != want.parent[v] || got.reach[v] != want.reach[v] ||
					want.parent[v] != noRetainer && (s.edgeType != w.edgeType || got.edgeName(s) != want.edgeName(w)) ||
					got.strs[got.name[v]] != want.strs[want.name[v]] || got.classNames[got.class[v]] != want.classNames[want.class[v]] ||
					got.retained(uint32(v)) != want.retained(uint32(v)) || got.counted.has(uint32(v)) != want.counted.has(uint32(v)) || got.top.has(uint32(v)) != want.top.has(uint32(v)) {
					if diffs++; diffs < 10 {
						t.Errorf("node %d (@%d): retainer %d %q, want %d %q; reach %d, want %d; name %q, want %q; class %d, want %d", v, got.nodeID(uint32(v)), got.parent[v], got.edgeName(s), want.parent[v], want.edgeName(w),
							got.reach[v], want.reach[v], got.strs[got.name[v]], want.strs[want.name[v]], got.class[v], want.class[v])
					}
				}
			}
			if diffs > 0 {
				t.Errorf("%d of %d nodes differ", diffs, len(want.parent))
			}
		})
	}
}

// chainSnapshot is a V8 heap snapshot of a linked list of n objects of
// class Link hung from the global object, and a cycle of two Orphan
// objects that nothing reached holds.
func chainSnapshot(n int) []byte {
	var nodes, edges []string
	node := func(typ, name, id, edgeCount int) {
		nodes = append(nodes, fmt.Sprintf("%d,%d,%d,32,%d", typ, name, id, edgeCount))
	}
	edge := func(typ, name, to int) { edges = append(edges, fmt.Sprintf("%d,%d,%d", typ, name, to*5)) }
	// strings: 0 "", 1 global, 2 head, 3 Link, 4 next, 5 Orphan, 6 peer
	node(9, 0, 1, 1)
	edge(5, 1, 1)
	node(3, 1, 3, 1)
	edge(2, 2, 2)
	for i := range n {
		if i < n-1 {
			node(3, 3, 5+2*i, 1)
			edge(2, 4, 3+i)
		} else {
			node(3, 3, 5+2*i, 0)
		}
	}
	orphan := 2 + n
	node(3, 5, 5+2*n, 1)
	edge(2, 6, orphan+1)
	node(3, 5, 7+2*n, 1)
	edge(2, 6, orphan)
	return []byte(`{"snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count"],` +
		`"node_types":[["hidden","array","string","object","code","closure","regexp","number","native","synthetic"],"string","number","number","number"],` +
		`"edge_fields":["type","name_or_index","to_node"],"edge_types":[["context","element","property","internal","hidden","shortcut","weak"],"string_or_number","node"]},` +
		fmt.Sprintf(`"node_count":%d,"edge_count":%d},`, len(nodes), len(edges)) +
		`"nodes":[` + strings.Join(nodes, ",") + `],"edges":[` + strings.Join(edges, ",") + `],"strings":["","global","head","Link","next","Orphan","peer"]}`)
}

// TestRetainerPathsBounded: a linked list of 20,000 objects gives paths of
// at most 100 steps, said to be cut, in a handful of clusters (a run of
// one link counts once past three); a cycle nothing reached holds gives a
// path that ends where the cycle closes.
func TestRetainerPathsBounded(t *testing.T) {
	const n = 20000
	g, err := ParseSnapshot(chainSnapshot(n), ReadOptions{Names: true})
	if err != nil {
		t.Fatal(err)
	}
	r, _ := retainersOf(t, g, true)
	res := r.Paths(classIndex(t, r, "Link"), nil, 0)
	if res.Objects != n {
		t.Fatalf("%d Link objects, want %d", res.Objects, n)
	}
	if len(res.Paths) > 6 {
		t.Errorf("%d clusters for one list", len(res.Paths))
	}
	var cut, total int64
	for _, c := range res.Paths {
		total += c.Objects
		if len(c.Steps) > MaxPathSteps {
			t.Errorf("a path of %d steps", len(c.Steps))
		}
		if c.Cut {
			cut += c.Objects
			if len(c.Steps) != MaxPathSteps {
				t.Errorf("a cut path of %d steps", len(c.Steps))
			}
		}
	}
	if total != n || cut != n-(MaxPathSteps-1) { // Link i has i+2 steps
		t.Errorf("%d objects in the clusters, %d of them cut; want %d and %d", total, cut, n, n-(MaxPathSteps-1))
	}
	orphans := r.Paths(classIndex(t, r, "Orphan"), nil, 0)
	if orphans.Objects != 2 {
		t.Fatalf("%d Orphan objects", orphans.Objects)
	}
	for _, c := range orphans.Paths {
		if c.Root != RootUnreachable || len(c.Steps) != 2 || c.Steps[0].ID == c.Steps[1].ID {
			t.Errorf("an orphan's path: %+v", c)
		}
	}
}

// TestNamesKeepTheAnalysis: a snapshot read with ReadOptions.Names, whose
// internal edges' names are then read from the column of every edge's
// name, and analysed for retainers, has the same classes, sizes, retained
// sizes and allocation stacks as one read without: WeakMap entries, which
// the dominator tree reads by name, and constructors' initial maps, which
// class labels do, included.
func TestNamesKeepTheAnalysis(t *testing.T) {
	for _, f := range []string{"retainers/retainers-2.heapsnapshot.gz", "sessions/Heap.20261201.032358.6773.0.001.heapsnapshot.gz", "chromium/page.heapsnapshot.gz", "tracked-after.heapsnapshot.gz", "bun-after.heapsnapshot.gz"} {
		t.Run(f, func(t *testing.T) {
			data := gunzipFile(t, nodeData+f)
			for _, by := range []Grouping{ByClass, ByAllocationStack} {
				plain, err := ParseSnapshot(data, ReadOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if by == ByAllocationStack && !plain.HasAllocationTraces() {
					continue
				}
				named, err := ParseSnapshot(data, ReadOptions{Names: true})
				if err != nil {
					t.Fatal(err)
				}
				want, err := plain.Analyze(AnalyzeOptions{By: by, Drop: true})
				if err != nil {
					t.Fatal(err)
				}
				got, err := named.Analyze(AnalyzeOptions{By: by, Drop: true, Retainers: true})
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got.Classes(), want.Classes()) || !reflect.DeepEqual(got.AllocationStacks(), want.AllocationStacks()) || got.ReachableSize() != want.ReachableSize() {
					t.Errorf("by %d: the analysis of the snapshot read with its names differs", by)
				}
				if got.Retainers() == nil || got.Collections() == nil || want.Retainers() != nil || want.Collections() != nil {
					t.Errorf("by %d: retainers %v and collections %v asked for, %v and %v not", by, got.Retainers() != nil, got.Collections() != nil, want.Retainers() != nil, want.Collections() != nil)
				}
			}
		})
	}
}

// TestRetainersNeedNames: an analysis asked for retainers or collections
// of a snapshot read without its names says so, rather than give paths
// without names.
func TestRetainersNeedNames(t *testing.T) {
	g, err := ParseSnapshot(gunzipFile(t, nodeData+"leaky-after.heapsnapshot.gz"), ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, opts := range []AnalyzeOptions{{Retainers: true}, {Collections: true}} {
		if _, err := g.Analyze(opts); err == nil || !strings.Contains(err.Error(), "ReadOptions.Names") {
			t.Errorf("%+v: %v, want an error naming ReadOptions.Names", opts, err)
		}
	}
}
