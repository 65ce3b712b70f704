package profile

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"syscall"
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
		Snapshot  v8Meta   `json:"snapshot"`
		Nodes     []uint64 `json:"nodes"`
		Edges     []uint64 `json:"edges"`
		Strings   []string `json:"strings"`
		Locations []uint64 `json:"locations"`
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
		if fd := indexOf(m.NodeFields, "detachedness"); fd >= 0 {
			g.detached = append(g.detached, uint8(raw.Nodes[i+fd]))
		}
	}
	if !slices.ContainsFunc(g.detached, func(d uint8) bool { return d != 0 }) {
		g.detached = nil
	}
	et, en, eto := indexOf(m.EdgeFields, "type"), indexOf(m.EdgeFields, "name_or_index"), indexOf(m.EdgeFields, "to_node")
	var ename []uint32
	for i := 0; i < len(raw.Edges); i += ef {
		g.etype = append(g.etype, uint8(raw.Edges[i+et]))
		g.eto = append(g.eto, uint32(raw.Edges[i+eto]/uint64(nf)))
		ename = append(ename, uint32(raw.Edges[i+en]))
		if g.edgeTypes[raw.Edges[i+et]] == "internal" {
			g.eintName = append(g.eintName, uint32(raw.Edges[i+en]))
		}
	}
	lf := m.LocationFields
	lo, ls, ll, lc := indexOf(lf, "object_index"), indexOf(lf, "script_id"), indexOf(lf, "line"), indexOf(lf, "column")
	for i := 0; i+len(lf) <= len(raw.Locations); i += len(lf) {
		v := uint32(raw.Locations[i+lo] / uint64(nf))
		if t := g.nodeTypes[g.typ[v]]; t != "object" && t != "closure" {
			continue
		}
		l := &g.locations
		if n := l.len(); n > 0 && l.node[n-1] == v {
			l.script[n-1], l.line[n-1], l.column[n-1] = uint32(raw.Locations[i+ls]), uint32(raw.Locations[i+ll]), uint32(raw.Locations[i+lc])
			continue
		}
		l.node = append(l.node, v)
		l.script = append(l.script, uint32(raw.Locations[i+ls]))
		l.line = append(l.line, uint32(raw.Locations[i+ll]))
		l.column = append(l.column, uint32(raw.Locations[i+lc]))
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

// retainersFacts is testdata/node/retainers/facts.json: how retainers.js
// holds each class, and its collections' entries at each snapshot.
type retainersFacts struct {
	First, Step int64
	Holders     map[string][]struct {
		Count string            `json:"count"`
		Path  []json.RawMessage `json:"path"`
	} `json:"holders"`
	Snapshots []struct {
		File   string           `json:"file"`
		Counts map[string]int64 `json:"counts"`
	} `json:"snapshots"`
}

func readRetainersFacts(t testing.TB) *retainersFacts {
	t.Helper()
	var f retainersFacts
	data, err := os.ReadFile("../testdata/node/retainers/facts.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	return &f
}

// holderStep is one element of a holder's path in facts.json: an edge
// [type, name] or an object's name, with globs.
type holderStep struct {
	edge      bool
	typ, name string
}

func parseHolder(raw []json.RawMessage) []holderStep {
	var out []holderStep
	for _, r := range raw {
		var name string
		if json.Unmarshal(r, &name) == nil {
			out = append(out, holderStep{name: name})
			continue
		}
		var e [2]string
		if err := json.Unmarshal(r, &e); err != nil {
			panic(err)
		}
		out = append(out, holderStep{edge: true, typ: e[0], name: e[1]})
	}
	return out
}

// globMatch matches a facts.json name, where "*" stands for anything.
func globMatch(pattern, s string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == s
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return strings.HasSuffix(s, parts[len(parts)-1])
}

// matchesHolder reports whether a path ends as a holder says, and where
// the holder's part starts in the path's steps.
func matchesHolder(p RetainerPath, h []holderStep) (int, bool) {
	// The holder alternates objects and edges; a path's step is the edge
	// into an object, then the object.
	var flat []holderStep
	for i, s := range p.Steps {
		if i > 0 {
			flat = append(flat, holderStep{edge: true, typ: s.EdgeType, name: s.EdgeName})
		}
		name := s.Name
		if s.NodeType == "object" || s.NodeType == "native" {
			name = s.Class
		}
		flat = append(flat, holderStep{name: name})
	}
	if len(h) > len(flat) {
		return 0, false
	}
	tail := flat[len(flat)-len(h):]
	for i, want := range h {
		got := tail[i]
		if want.edge != got.edge || want.typ != got.typ {
			return 0, false
		}
		if want.edge {
			if !globMatch(want.name, got.name) {
				return 0, false
			}
			continue
		}
		// DevTools names a plain object by its properties, "{a, b}".
		if !globMatch(want.name, got.name) && !(strings.HasPrefix(want.name, "{") && got.name == "Object") {
			return 0, false
		}
	}
	// Where the holder starts, counted in steps: its first element is an
	// edge (into step k) or an object (step k).
	k := len(p.Steps) - (len(h)+1)/2
	if !h[0].edge {
		k = len(p.Steps) - (len(h)+2)/2
	}
	return k, true
}

// TestRetainerPathsAsBuilt checks the clustered paths of the objects each
// snapshot of retainers.js added against how the program holds them
// (facts.json): every holder is one cluster of the right number of
// objects, whose path ends as the holder says, whose user part starts
// where the program's holding starts, and which never passes a weak edge
// or a WeakMap's table.
func TestRetainerPathsAsBuilt(t *testing.T) {
	facts := readRetainersFacts(t)
	var prevMax uint64
	for k, snap := range facts.Snapshots {
		t.Run(snap.File, func(t *testing.T) {
			p := mustLoad(t, "retainers/"+snap.File+".gz", Options{Retainers: true})
			added := facts.First
			if k > 0 {
				added = facts.Step
			}
			for class, holders := range facts.Holders {
				if class == "RecentEntry" && k != 1 {
					continue // made only before the second snapshot
				}
				res := p.Retainers.Paths(class, func(id uint64) bool { return id > prevMax }, 0)
				for _, h := range holders {
					want := added
					switch h.Count {
					case "a third":
						want = added / 3
					}
					steps := parseHolder(h.Path)
					n := 0
					for _, c := range res.Paths {
						start, ok := matchesHolder(c, steps)
						if !ok {
							continue
						}
						n++
						if c.Objects != want {
							t.Errorf("%s: %d objects held as %s, want %d", class, c.Objects, pathString(c), want)
						}
						if steps[0].edge && start != c.UserStart && c.Root != RootSystem {
							t.Errorf("%s: user part starts at step %d of %s, the program's holding at %d", class, c.UserStart, pathString(c), start)
						}
					}
					if n != 1 {
						t.Errorf("%s: %d clusters held as %s, want 1; got:", class, n, h.Path)
						for _, c := range res.Paths {
							t.Logf("  %d objects: %s", c.Objects, pathString(c))
						}
					}
				}
				for _, c := range res.Paths {
					for _, s := range c.Steps {
						if s.EdgeType == "weak" || s.Class == "WeakMap" || s.Class == "WeakRef" && s != c.Steps[len(c.Steps)-1] {
							t.Errorf("%s: a path through a weak edge or a WeakMap: %s", class, pathString(c))
						}
					}
				}
			}
			prevMax = p.MaxObjectID
		})
	}
}

// buildTestIndex analyses a graph read by fullGraph and builds its
// retainer index.
func buildTestIndex(g *v8Graph, ename []uint32) (*retainerIndex, *retainerNames, *v8Analysis) {
	a := g.analyze()
	class, names := g.classNames()
	r := newRetainerNames(g, ename)
	dist := r.distances()
	parent, via := r.firstRetainers(dist)
	return r.newRetainerIndex(a, dist, parent, via, class, names), r, a
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

// TestCollectionsAsBuilt checks the collections each snapshot of
// retainers.js lists against the entries the program counted, finding each
// by the names on its path.
func TestCollectionsAsBuilt(t *testing.T) {
	facts := readRetainersFacts(t)
	for _, snap := range facts.Snapshots {
		t.Run(snap.File, func(t *testing.T) {
			p := mustLoad(t, "retainers/"+snap.File+".gz", Options{Retainers: true})
			list, least := p.Collections.List, p.Collections.Least
			if least != minCollectionEntries {
				t.Errorf("least %d, want %d", least, minCollectionEntries)
			}
			found := map[string]Collection{}
			for _, c := range list {
				path, ok := p.Retainers.PathOf(c.ID)
				if !ok {
					t.Fatalf("no path to collection @%d", c.ID)
				}
				if _, wanted := snap.Counts[path.Label()]; wanted {
					if prev, dup := found[path.Label()]; dup {
						t.Errorf("two collections %s: @%d and @%d", path.Label(), prev.ID, c.ID)
					}
					found[path.Label()] = c
				}
			}
			for label, want := range snap.Counts {
				got, ok := found[label]
				switch {
				case want < minCollectionEntries && ok:
					t.Errorf("%s: listed with %d entries, the program has %d (fewer than %d)", label, got.Entries, want, minCollectionEntries)
				case want >= minCollectionEntries && !ok:
					t.Errorf("%s: not listed; the program has %d entries", label, want)
				case ok && got.Entries != want:
					t.Errorf("%s (%s @%d): %d entries, the program has %d", label, got.Class, got.ID, got.Entries, want)
				}
			}
		})
	}
}

// TestRetainerIndexStreamed checks that the streaming loader keeps what
// retainer paths need: its index gives every node the same first retainer
// and edge as one built from a graph read whole with encoding/json.
func TestRetainerIndexStreamed(t *testing.T) {
	for _, f := range []string{"retainers/retainers-1.heapsnapshot.gz", "sessions/Heap.20261201.032358.6773.0.001.heapsnapshot.gz", "chromium/page.heapsnapshot.gz"} {
		t.Run(f, func(t *testing.T) {
			p := mustLoad(t, f, Options{Retainers: true})
			got := p.Retainers.(*snapshotRetainers).x
			g, ename := fullGraph(t, nodeData+f)
			want, _, _ := buildTestIndex(g, ename)
			if len(got.parent) != len(want.parent) {
				t.Fatalf("%d nodes, want %d", len(got.parent), len(want.parent))
			}
			diffs := 0
			for v := range want.parent {
				s := retainerStep{node: uint32(v), edgeType: got.ptype[v], edgeName: got.pname[v]}
				w := retainerStep{node: uint32(v), edgeType: want.ptype[v], edgeName: want.pname[v]}
				if got.parent[v] != want.parent[v] || got.reach[v] != want.reach[v] ||
					want.parent[v] != noRetainer && (s.edgeType != w.edgeType || got.edgeName(s) != want.edgeName(w)) ||
					got.strs[got.name[v]] != want.strs[want.name[v]] || got.classNames[got.class[v]] != want.classNames[want.class[v]] {
					if diffs++; diffs < 10 {
						t.Errorf("node %d (@%d): retainer %d %q, want %d %q; reach %d, want %d; name %q, want %q; class %d, want %d", v, got.id[v], got.parent[v], got.edgeName(s), want.parent[v], want.edgeName(w),
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
	p, err := Parse("chain.heapsnapshot", chainSnapshot(n), Options{Retainers: true})
	if err != nil {
		t.Fatal(err)
	}
	res := p.Retainers.Paths("Link", nil, 0)
	if res.Objects != n {
		t.Fatalf("%d Link objects, want %d", res.Objects, n)
	}
	if len(res.Paths) > 6 {
		t.Errorf("%d clusters for one list", len(res.Paths))
	}
	var cut, total int64
	for _, c := range res.Paths {
		total += c.Objects
		if len(c.Steps) > maxPathSteps {
			t.Errorf("a path of %d steps", len(c.Steps))
		}
		if c.Cut {
			cut += c.Objects
			if len(c.Steps) != maxPathSteps {
				t.Errorf("a cut path of %d steps", len(c.Steps))
			}
		}
	}
	if total != n || cut != n-(maxPathSteps-1) { // Link i has i+2 steps
		t.Errorf("%d objects in the clusters, %d of them cut; want %d and %d", total, cut, n, n-(maxPathSteps-1))
	}
	orphans := p.Retainers.Paths("Orphan", nil, 0)
	if orphans.Objects != 2 {
		t.Fatalf("%d Orphan objects", orphans.Objects)
	}
	for _, c := range orphans.Paths {
		if c.Root != RootUnreachable || len(c.Steps) != 2 || c.Steps[0].ID == c.Steps[1].ID {
			t.Errorf("an orphan's path: %+v", c)
		}
	}
}

// TestRetainersPeakMemory loads, in a child process and with
// Options.Retainers, the snapshots whose nodes cost the fewest bytes each
// (two million objects of one class, twelve bytes a node in the file),
// reached by nothing or each hung from the root, and checks the child's
// peak resident memory against V8's rule: ten times the input and 64 MiB.
func TestRetainersPeakMemory(t *testing.T) {
	if path := os.Getenv("HEAPDIFF_RETAINERS_PEAK_FILE"); path != "" {
		p, err := Load(path, Options{Retainers: true})
		if err != nil {
			t.Fatal(err)
		}
		if r := p.Retainers.Paths("A", nil, 5); r.Objects == 0 {
			t.Fatal("no paths")
		}
		return
	}
	if runtime.GOOS != "linux" {
		t.Skip("peak memory is read from the child's rusage, in kilobytes on Linux")
	}
	if testing.Short() {
		t.Skip("writes inputs of up to 60 MB and loads them")
	}
	if raceDetector {
		t.Skip("peak memory means nothing under -race; .ci/run runs this without it")
	}
	const n = 2_000_000
	for _, hung := range []bool{false, true} {
		t.Run(fmt.Sprintf("hung from the root %v", hung), func(t *testing.T) {
			var b strings.Builder
			if hung {
				b.WriteString(v8TestHeader(n, n-1, 0, ""))
				b.WriteString(`,"nodes":[9,0,0,0,` + strconv.Itoa(n-1) + `,0`)
			} else {
				b.WriteString(v8TestHeader(n, 1, 0, ""))
				b.WriteString(`,"nodes":[9,0,0,0,1,0`)
			}
			for range n - 1 {
				b.WriteString(`,3,1,1,1,0,0`)
			}
			b.WriteString(`],"edges":[`)
			if hung {
				for i := 1; i < n; i++ {
					if i > 1 {
						b.WriteString(",")
					}
					b.WriteString("1," + strconv.Itoa(i) + "," + strconv.Itoa(6*i))
				}
			} else {
				b.WriteString("5,1,6")
			}
			b.WriteString(`],"strings":["","A"]}`)
			size := b.Len()
			path := filepath.Join(t.TempDir(), "minimal.heapsnapshot")
			if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
				t.Fatal(err)
			}
			b = strings.Builder{}
			debug.FreeOSMemory()
			cmd := exec.Command(os.Args[0], "-test.run=^TestRetainersPeakMemory$", "-test.count=1")
			cmd.Env = append(os.Environ(), "HEAPDIFF_RETAINERS_PEAK_FILE="+path)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			peak := int64(cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss) << 10
			limit := int64(v8PeakRatio*size + v8PeakSlack)
			t.Logf("%d MB: peak %d MB (%.1fx)", size>>20, peak>>20, float64(peak)/float64(size))
			if peak > limit {
				t.Errorf("peak memory %d MB for %d MB of input, want at most %d MB", peak>>20, size>>20, limit>>20)
			}
		})
	}
}

// TestBadSnapshotsWithRetainers loads every broken snapshot of testdata/bad
// with Options.Retainers: each is refused as it is without (one line naming
// the file), never with a crash of the retainer code.
func TestBadSnapshotsWithRetainers(t *testing.T) {
	files, err := filepath.Glob("../testdata/bad/*heapsnapshot*")
	if err != nil || len(files) < 3 {
		t.Fatalf("%d bad snapshots (%v)", len(files), err)
	}
	for _, f := range files {
		_, plain := Load(f, Options{})
		_, with := Load(f, Options{Retainers: true})
		if fmt.Sprint(plain) != fmt.Sprint(with) || errors.Is(with, ErrInternal) {
			t.Errorf("%s: %v with retainers, %v without", f, with, plain)
		}
	}
}
