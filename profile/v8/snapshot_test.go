package v8

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"testing"
)

// referenceGraph is a snapshot decoded by encoding/json, the plain way:
// its header and its flat nodes and edges arrays.
type referenceGraph struct {
	Snapshot struct {
		Meta struct {
			NodeFields []string          `json:"node_fields"`
			NodeTypes  []json.RawMessage `json:"node_types"`
			EdgeFields []string          `json:"edge_fields"`
			EdgeTypes  []json.RawMessage `json:"edge_types"`
		} `json:"meta"`
		RootIndex int `json:"root_index"`
	} `json:"snapshot"`
	Nodes []uint64 `json:"nodes"`
	Edges []uint64 `json:"edges"`
}

// TestSnapshotGraphMatchesJSON reads real Node.js and Bun snapshots, from
// memory and as a stream, and checks every node and edge the graph gives
// (ids, types, sizes, edges and their targets) against encoding/json's
// reading of the same file.
func TestSnapshotGraphMatchesJSON(t *testing.T) {
	for _, name := range []string{"leaky-before.heapsnapshot.gz", "tracked-after.heapsnapshot.gz", "bun-after.heapsnapshot.gz"} {
		t.Run(name, func(t *testing.T) {
			data := gunzipFile(t, nodeData+name)
			var ref referenceGraph
			if err := json.Unmarshal(data, &ref); err != nil {
				t.Fatal(err)
			}
			m := ref.Snapshot.Meta
			var nodeTypes, edgeTypes []string
			if err := json.Unmarshal(m.NodeTypes[slices.Index(m.NodeFields, "type")], &nodeTypes); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(m.EdgeTypes[slices.Index(m.EdgeFields, "type")], &edgeTypes); err != nil {
				t.Fatal(err)
			}
			nf, ef := len(m.NodeFields), len(m.EdgeFields)
			field := func(fields []string, name string) int { return slices.Index(fields, name) }
			typ, id, self, count := field(m.NodeFields, "type"), field(m.NodeFields, "id"), field(m.NodeFields, "self_size"), field(m.NodeFields, "edge_count")
			etyp, eto := field(m.EdgeFields, "type"), field(m.EdgeFields, "to_node")

			g, err := ParseSnapshot(data)
			if err != nil {
				t.Fatal(err)
			}
			streamed, err := ReadSnapshot(bytes.NewReader(data), 0)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(g, streamed) {
				t.Error("the snapshot read as a stream differs from the one read from memory")
			}
			if g.NodeCount() != len(ref.Nodes)/nf || g.EdgeCount() != len(ref.Edges)/ef || g.Size() != int64(len(data)) {
				t.Fatalf("%d nodes, %d edges, %d bytes; want %d, %d, %d", g.NodeCount(), g.EdgeCount(), g.Size(), len(ref.Nodes)/nf, len(ref.Edges)/ef, len(data))
			}
			if int(g.Root()) != ref.Snapshot.RootIndex/nf {
				t.Errorf("root %d, want %d", g.Root(), ref.Snapshot.RootIndex/nf)
			}
			e := uint32(0)
			for v := range uint32(g.NodeCount()) {
				n := ref.Nodes[int(v)*nf:]
				if g.NodeID(v) != n[id] || g.NodeType(v) != nodeTypes[n[typ]] || uint64(g.SelfSize(v)) != n[self] {
					t.Fatalf("node %d: id %d, type %q, size %d; want %d, %q, %d", v, g.NodeID(v), g.NodeType(v), g.SelfSize(v), n[id], nodeTypes[n[typ]], n[self])
				}
				first, end := g.Edges(v)
				if first != e || uint64(end-first) != n[count] {
					t.Fatalf("node %d: edges [%d, %d), want %d from %d", v, first, end, n[count], e)
				}
				for ; e < end; e++ {
					r := ref.Edges[int(e)*ef:]
					if uint64(g.EdgeTarget(e))*uint64(nf) != r[eto] || g.EdgeType(e) != edgeTypes[r[etyp]] {
						t.Fatalf("edge %d: to node %d, type %q; want node index %d, %q", e, g.EdgeTarget(e), g.EdgeType(e), r[eto], edgeTypes[r[etyp]])
					}
				}
			}
		})
	}
}

// TestAnalyzeAgain: a snapshot kept after its analysis (see package
// profile's Options.KeepSnapshot) can be analysed again, with the same
// classes, sizes and retained sizes, although the first analysis moved
// owned arrays' sizes to their owners.
func TestAnalyzeAgain(t *testing.T) {
	g, err := ParseSnapshot(gunzipFile(t, nodeData+"leaky-after.heapsnapshot.gz"))
	if err != nil {
		t.Fatal(err)
	}
	first := g.Analyze()
	once := first.Classes()
	moved := 0
	for v := range uint32(g.NodeCount()) {
		if g.SelfSize(v) == 0 && g.NodeType(v) == "array" {
			moved++
		}
	}
	if moved == 0 {
		t.Fatal("no array gave its size to an owner: the test shows nothing")
	}
	again := g.Analyze()
	if twice := again.Classes(); !reflect.DeepEqual(once, twice) || first.ReachableSize() != again.ReachableSize() {
		t.Errorf("a second analysis gives other classes or sizes (reachable %d, then %d)", first.ReachableSize(), again.ReachableSize())
	}
}

// TestAnalysisReusesArrays: the analysis and the grouping of a real
// snapshot go through a dozen arrays of a node's length but allocate nine,
// the most the dominator tree's construction holds at once: the others are
// borrowed back from steps that are done with theirs.
func TestAnalysisReusesArrays(t *testing.T) {
	g, err := ParseSnapshot(gunzipFile(t, nodeData+"tracked-after.heapsnapshot.gz"))
	if err != nil {
		t.Fatal(err)
	}
	a := g.Analyze()
	a.Classes()
	if _, err := a.AllocationStacks(); err != nil {
		t.Fatal(err)
	}
	if a.scratch.made > 9 {
		t.Errorf("%d arrays of a node each allocated, want 9 at most", a.scratch.made)
	}
}
