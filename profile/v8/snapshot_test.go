package v8

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
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

			g, err := ParseSnapshot(data, ReadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			streamed, err := ReadSnapshot(bytes.NewReader(data), 0, ReadOptions{})
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
	g, err := ParseSnapshot(gunzipFile(t, nodeData+"leaky-after.heapsnapshot.gz"), ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	first := mustAnalyze(t, g, ByClass)
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
	again := mustAnalyze(t, g, ByClass)
	if twice := again.Classes(); !reflect.DeepEqual(once, twice) || first.ReachableSize() != again.ReachableSize() {
		t.Errorf("a second analysis gives other classes or sizes (reachable %d, then %d)", first.ReachableSize(), again.ReachableSize())
	}
}

// TestAnalysisReusesArrays: the analysis of a real snapshot goes through a
// dozen arrays of a node's length but allocates ten, the most it holds at
// once (the dominator tree's construction, beside the groups' keys): the
// others are borrowed back from steps that are done with theirs.
func TestAnalysisReusesArrays(t *testing.T) {
	data := gunzipFile(t, nodeData+"tracked-after.heapsnapshot.gz")
	for _, by := range []Grouping{ByClass, ByAllocationStack} {
		g, err := ParseSnapshot(data, ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if a := mustAnalyze(t, g, by); a.scratchMade > 10 {
			t.Errorf("grouping %d: %d arrays of a node each allocated, want 10 at most", by, a.scratchMade)
		}
	}
}

// TestAnalyzeAndDrop: an analysis that drops the snapshot as it goes gives
// the groups one that keeps it gives, by class and by allocation stack; the
// dropped snapshot still says how large it was, and refuses, with a panic
// that says why, to be walked.
func TestAnalyzeAndDrop(t *testing.T) {
	data := gunzipFile(t, nodeData+"tracked-after.heapsnapshot.gz")
	for _, by := range []Grouping{ByClass, ByAllocationStack} {
		whole, err := ParseSnapshot(data, ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		dropped, err := ParseSnapshot(data, ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		want := mustAnalyze(t, whole, by)
		got, err := dropped.Analyze(AnalyzeOptions{By: by, Drop: true})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got.Classes(), want.Classes()) || !reflect.DeepEqual(got.AllocationStacks(), want.AllocationStacks()) || got.ReachableSize() != want.ReachableSize() {
			t.Errorf("grouping %d: dropping the snapshot changed the groups", by)
		}
		if dropped.NodeCount() != whole.NodeCount() || dropped.EdgeCount() != whole.EdgeCount() || dropped.MaxHeapObjectID() != whole.MaxHeapObjectID() || !dropped.HasAllocationTraces() {
			t.Errorf("grouping %d: the dropped snapshot forgot its counts", by)
		}
		func() {
			defer func() {
				if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "AnalyzeOptions.Drop") {
					t.Errorf("NodeID of a dropped snapshot: recovered %v, want a panic naming AnalyzeOptions.Drop", r)
				}
			}()
			dropped.NodeID(0)
		}()
	}
	untracked, err := ParseSnapshot(gunzipFile(t, nodeData+"leaky-after.heapsnapshot.gz"), ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := untracked.Analyze(AnalyzeOptions{By: ByAllocationStack}); !errors.Is(err, ErrNoTraces) {
		t.Errorf("allocation stacks of a snapshot without traces: %v, want ErrNoTraces", err)
	}
}

// TestIDsPast32Bits: V8's ids fit in 32 bits and are kept so; a producer's
// id past them moves every id to 64 bits, losing none.
func TestIDsPast32Bits(t *testing.T) {
	const big = 1<<33 + 1
	data := `{"snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count"],` +
		`"node_types":[["object","synthetic"],"string","number","number","number"],` +
		`"edge_fields":["type","name_or_index","to_node"],"edge_types":[["property"],"string_or_number","node"]},` +
		`"node_count":4,"edge_count":3},` +
		`"nodes":[1,0,1,0,3, 0,1,4294967295,10,0, 0,1,8589934593,20,0, 0,1,7,30,0],"edges":[0,1,5,0,1,10,0,1,15],"strings":["","A"]}`
	g, err := ParseSnapshot([]byte(data), ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if g.id != nil || g.NodeID(1) != 1<<32-1 || g.NodeID(2) != big || g.NodeID(3) != 7 || g.MaxHeapObjectID() != big {
		t.Errorf("ids %d, %d, %d (largest %d), want 4294967295, %d, 7 in 64 bits", g.NodeID(1), g.NodeID(2), g.NodeID(3), g.MaxHeapObjectID(), uint64(big))
	}
	classes := mustAnalyze(t, g, ByClass).Classes()
	if len(classes) != 1 || !slices.Equal(classes[0].IDs, []uint64{7, 1<<32 - 1, big}) || !slices.Equal(classes[0].Sizes, []uint32{30, 10, 20}) {
		t.Errorf("classes %+v, want A with ids 7, 4294967295, %d and their sizes 30, 10, 20", classes, uint64(big))
	}
	small, err := ParseSnapshot([]byte(strings.Replace(data, "8589934593", "9", 1)), ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if small.id64 != nil || small.NodeID(2) != 9 {
		t.Errorf("ids within 32 bits were not kept in 32 bits")
	}
	if c := mustAnalyze(t, small, ByClass).Classes(); len(c) != 1 || !slices.Equal(c[0].IDs, []uint64{7, 9, 1<<32 - 1}) || !slices.Equal(c[0].Sizes, []uint32{30, 20, 10}) {
		t.Errorf("classes %+v, want A with ids 7, 9, 4294967295 and their sizes 30, 20, 10", c)
	}
}
