package profile

import (
	"encoding/json"
	"fmt"
	"path/filepath"
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
	if err := json.Unmarshal(gunzipFile(t, "../testdata/node/retainers/devtools-retainers.json.gz"), &d); err != nil {
		t.Fatal(err)
	}
	return &d
}

// fullGraph decodes a snapshot with encoding/json, every string and every
// edge's name kept: a reader independent of the streaming one.
func fullGraph(t testing.TB, path string) (*v8Graph, []uint32) {
	t.Helper()
	var raw struct {
		Snapshot v8Meta   `json:"snapshot"`
		Nodes    []uint64 `json:"nodes"`
		Edges    []uint64 `json:"edges"`
		Strings  []string `json:"strings"`
	}
	if err := json.Unmarshal(gunzipFile(t, path), &raw); err != nil {
		t.Fatal(err)
	}
	m := raw.Snapshot.Meta
	g := &v8Graph{nodeFieldCount: len(m.NodeFields)}
	var err error
	if g.nodeTypes, err = v8TypeNames(m.NodeTypes, indexOf(m.NodeFields, "type"), "node_types"); err != nil {
		t.Fatal(err)
	}
	if g.edgeTypes, err = v8TypeNames(m.EdgeTypes, indexOf(m.EdgeFields, "type"), "edge_types"); err != nil {
		t.Fatal(err)
	}
	nf, ef := len(m.NodeFields), len(m.EdgeFields)
	ft, fn, fi, fs, fe := indexOf(m.NodeFields, "type"), indexOf(m.NodeFields, "name"), indexOf(m.NodeFields, "id"), indexOf(m.NodeFields, "self_size"), indexOf(m.NodeFields, "edge_count")
	g.firstEdge = []uint32{0}
	for i := 0; i < len(raw.Nodes); i += nf {
		g.typ = append(g.typ, uint8(raw.Nodes[i+ft]))
		g.name = append(g.name, uint32(raw.Nodes[i+fn]))
		g.id = append(g.id, raw.Nodes[i+fi])
		g.self = append(g.self, uint32(raw.Nodes[i+fs]))
		g.firstEdge = append(g.firstEdge, g.firstEdge[len(g.firstEdge)-1]+uint32(raw.Nodes[i+fe]))
	}
	et, en, eto := indexOf(m.EdgeFields, "type"), indexOf(m.EdgeFields, "name_or_index"), indexOf(m.EdgeFields, "to_node")
	var ename []uint32
	for i := 0; i < len(raw.Edges); i += ef {
		g.etype = append(g.etype, uint8(raw.Edges[i+et]))
		g.eto = append(g.eto, uint32(raw.Edges[i+eto]/uint64(nf)))
		ename = append(ename, uint32(raw.Edges[i+en]))
	}
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
	return g, ename
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
			g, ename := fullGraph(t, filepath.Join("../testdata/node/retainers", snap.File+".gz"))
			r := newRetainerNames(g, ename)
			dist := r.distances()
			parent, via := r.firstRetainers(dist)
			ordinal := map[uint64]uint32{}
			for v, id := range g.id {
				ordinal[id] = uint32(v)
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
				got := devtoolsEdge{typ: g.edgeTypes[g.etype[via[v]]], name: r.edgeName(via[v]), from: g.id[parent[v]]}
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
