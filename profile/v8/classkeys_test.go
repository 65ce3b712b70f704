package v8

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// Crafted snapshots for the rules that real ones exercise only in part:
// which definitions of a class name make its label carry a location, how a
// label grows until definitions differ, and how DevTools propagates
// detachedness.

type craftEdge struct {
	typ, name string // name: a string, or an index for element edges
	to        int
}

type craftNode struct {
	typ, name string
	self      int
	detached  int
	edges     []craftEdge
}

type craftLoc struct{ node, script, line, column int }

// craftSnapshot writes a V8 heap snapshot of nodes (node 0 is the root) in
// Node.js's layout, with the given locations, or with "locations" before
// "nodes" when locationsFirst is set.
func craftSnapshot(nodes []craftNode, locs []craftLoc, locationsFirst bool) []byte {
	nodeTypes := []string{"hidden", "array", "string", "object", "code", "closure", "regexp", "number", "native", "synthetic"}
	edgeTypes := []string{"context", "element", "property", "internal", "hidden", "shortcut", "weak"}
	var stringsTable []string
	index := map[string]int{}
	str := func(s string) int {
		if i, ok := index[s]; ok {
			return i
		}
		index[s] = len(stringsTable)
		stringsTable = append(stringsTable, s)
		return index[s]
	}
	str("")
	var ns, es, ls []string
	edges := 0
	for i, n := range nodes {
		ns = append(ns, fmt.Sprintf("%d,%d,%d,%d,%d,0,%d", indexOf(nodeTypes, n.typ), str(n.name), 2*i+1, n.self, len(n.edges), n.detached))
		for _, e := range n.edges {
			name := 0
			if e.typ == "element" || e.typ == "hidden" {
				name, _ = strconv.Atoi(e.name)
			} else {
				name = str(e.name)
			}
			es = append(es, fmt.Sprintf("%d,%d,%d", indexOf(edgeTypes, e.typ), name, 7*e.to))
			edges++
		}
	}
	for _, l := range locs {
		ls = append(ls, fmt.Sprintf("%d,%d,%d,%d", 7*l.node, l.script, l.line, l.column))
	}
	quoted := make([]string, len(stringsTable))
	for i, s := range stringsTable {
		quoted[i] = strconv.Quote(s)
	}
	header := `{"snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count","trace_node_id","detachedness"],` +
		`"node_types":[["` + strings.Join(nodeTypes, `","`) + `"],"string","number","number","number","number","number"],` +
		`"edge_fields":["type","name_or_index","to_node"],"edge_types":[["` + strings.Join(edgeTypes, `","`) + `"],"string_or_number","node"],` +
		`"location_fields":["object_index","script_id","line","column"]},` +
		`"node_count":` + strconv.Itoa(len(nodes)) + `,"edge_count":` + strconv.Itoa(edges) + `,"trace_function_count":0}`
	locations := `"locations":[` + strings.Join(ls, ",") + `]`
	body := `"nodes":[` + strings.Join(ns, ",") + `],"edges":[` + strings.Join(es, ",") + `]`
	if locationsFirst {
		return []byte(header + "," + locations + "," + body + `,"strings":[` + strings.Join(quoted, ",") + `]}`)
	}
	return []byte(header + "," + body + "," + locations + `,"strings":[` + strings.Join(quoted, ",") + `]}`)
}

// classGraph builds a snapshot's nodes for a set of definitions: each is a
// closure defined in script (whose name is url, "" for none known) and, if
// constructed, given an initial map; objects of it are made when objects >
// 0. Every node hangs from the root.
type definition struct {
	name                 string
	script, line, column int
	url                  string
	constructed          bool
	objects              int
}

func classGraph(defs []definition) ([]craftNode, []craftLoc) {
	nodes := []craftNode{{typ: "synthetic", name: ""}}
	var locs []craftLoc
	add := func(n craftNode) int {
		nodes = append(nodes, n)
		nodes[0].edges = append(nodes[0].edges, craftEdge{"element", strconv.Itoa(len(nodes[0].edges)), len(nodes) - 1})
		return len(nodes) - 1
	}
	scripts := map[int]int{}
	for _, d := range defs {
		script, ok := scripts[d.script]
		if !ok && d.url != "" {
			script = add(craftNode{typ: "code", name: d.url, self: 8})
			scripts[d.script] = script
			ok = true
		}
		var sfiEdges []craftEdge
		if ok {
			sfiEdges = []craftEdge{{"internal", "script_or_debug_info", script}}
		}
		sfi := add(craftNode{typ: "code", name: d.name, self: 8, edges: sfiEdges})
		closureEdges := []craftEdge{{"internal", "shared", sfi}}
		if d.constructed {
			closureEdges = append(closureEdges, craftEdge{"internal", "initial_map", add(craftNode{typ: "hidden", name: "system / Map", self: 8})})
		}
		c := add(craftNode{typ: "closure", name: d.name, self: 32, edges: closureEdges})
		locs = append(locs, craftLoc{c, d.script, d.line, d.column})
		for range d.objects {
			o := add(craftNode{typ: "object", name: d.name, self: 16})
			locs = append(locs, craftLoc{o, d.script, d.line, d.column})
		}
	}
	return nodes, locs
}

// classLabelsOf returns the objects of each class label of a snapshot.
func classLabelsOf(t *testing.T, data []byte) map[string]int64 {
	t.Helper()
	g, err := ParseSnapshot(data, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]int64{}
	for _, c := range mustAnalyze(t, g, ByClass).Classes() {
		m[c.Label] += c.Objects
	}
	return m
}

func TestClassLabels(t *testing.T) {
	for _, tc := range []struct {
		name string
		defs []definition
		want map[string]int64 // objects by label, of the classes named Session
	}{{
		name: "one definition keeps the plain name",
		defs: []definition{{name: "Session", script: 3, line: 4, column: 13, url: "/app/session-a.js", constructed: true, objects: 2}},
		want: map[string]int64{"Session": 2},
	}, {
		name: "two classes with objects",
		defs: []definition{
			{name: "Session", script: 3, line: 4, column: 13, url: "/app/session-a.js", constructed: true, objects: 2},
			{name: "Session", script: 4, line: 9, column: 13, url: "/app/session-b.js", constructed: true, objects: 1},
		},
		want: map[string]int64{"Session (session-a.js:5)": 2, "Session (session-b.js:10)": 1},
	}, {
		// The second class's objects are all gone, but its constructor is
		// there: the label is what it was while they lived.
		name: "a constructor without objects still counts",
		defs: []definition{
			{name: "Session", script: 3, line: 4, column: 13, url: "/app/session-a.js", constructed: true, objects: 2},
			{name: "Session", script: 4, line: 9, column: 13, url: "/app/session-b.js", constructed: true},
		},
		want: map[string]int64{"Session (session-a.js:5)": 2},
	}, {
		// A function of the same name that "new" never used is no class.
		name: "a plain function of the name does not count",
		defs: []definition{
			{name: "Session", script: 3, line: 4, column: 13, url: "/app/session-a.js", constructed: true, objects: 2},
			{name: "Session", script: 4, line: 9, column: 13, url: "/app/session-b.js"},
		},
		want: map[string]int64{"Session": 2},
	}, {
		name: "one line of a bundle: columns",
		defs: []definition{
			{name: "Session", script: 3, line: 0, column: 100, url: "https://cdn.example/app.min.js?v=7", constructed: true, objects: 1},
			{name: "Session", script: 3, line: 0, column: 2000, url: "https://cdn.example/app.min.js?v=7", constructed: true, objects: 1},
		},
		want: map[string]int64{"Session (app.min.js:1:101)": 1, "Session (app.min.js:1:2001)": 1},
	}, {
		name: "one base name in two directories: paths",
		defs: []definition{
			{name: "Session", script: 3, line: 2, column: 5, url: "/app/a/index.js", constructed: true, objects: 1},
			{name: "Session", script: 4, line: 2, column: 5, url: "/app/b/index.js", constructed: true, objects: 1},
		},
		want: map[string]int64{"Session (/app/a/index.js:3:6)": 1, "Session (/app/b/index.js:3:6)": 1},
	}, {
		// Jest and vm evaluate one file more than once: scripts apart.
		name: "one file evaluated twice: script ids",
		defs: []definition{
			{name: "Session", script: 3, line: 2, column: 5, url: "/app/s.js", constructed: true, objects: 1},
			{name: "Session", script: 9, line: 2, column: 5, url: "/app/s.js", constructed: true, objects: 1},
		},
		want: map[string]int64{"Session (/app/s.js:3:6 script 3)": 1, "Session (/app/s.js:3:6 script 9)": 1},
	}, {
		name: "a script whose name the snapshot does not give",
		defs: []definition{
			{name: "Session", script: 3, line: 4, column: 13, url: "/app/session-a.js", constructed: true, objects: 1},
			{name: "Session", script: 8, line: 0, column: 0, constructed: true, objects: 1},
		},
		want: map[string]int64{"Session (session-a.js:5)": 1, "Session (script 8:1)": 1},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			nodes, locs := classGraph(tc.defs)
			got := map[string]int64{}
			for label, n := range classLabelsOf(t, craftSnapshot(nodes, locs, false)) {
				if strings.HasPrefix(label, "Session") {
					got[label] = n
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("classes %v, want %v", got, tc.want)
			}
		})
	}
}

// TestUnlocatedClassOfTheSameName: objects whose constructor has no location
// (V8's built-ins) are keyed by name alone, as in DevTools: a script's own
// class Map is another row, labelled with its location.
func TestUnlocatedClassOfTheSameName(t *testing.T) {
	nodes, locs := classGraph([]definition{{name: "Map", script: 3, line: 0, column: 10, url: "/app/map.js", constructed: true, objects: 2}})
	nodes = append(nodes, craftNode{typ: "object", name: "Map", self: 16}, craftNode{typ: "object", name: "Map", self: 16}, craftNode{typ: "object", name: "Map", self: 16})
	for i := len(nodes) - 3; i < len(nodes); i++ {
		nodes[0].edges = append(nodes[0].edges, craftEdge{"element", strconv.Itoa(len(nodes[0].edges)), i})
	}
	got := classLabelsOf(t, craftSnapshot(nodes, locs, false))
	if got["Map"] != 3 || got["Map (map.js:1)"] != 2 {
		t.Errorf("classes %v, want 3 Map and 2 Map (map.js:1)", got)
	}
}

// TestDetachedAsDevTools follows DevTools' propagateDOMState on a small
// graph: a native node marked detached is "Detached X", as are the native
// nodes it reaches through strong edges, unless an attached native node
// reaches them too; nothing passes through a JavaScript object or a weak
// edge, and a node marked attached stays attached. (DevTools' own code,
// gen/devtools-classes.mjs, gives the same rows for this graph; the real
// page of TestClassesAsDevTools checks the rest.)
func TestDetachedAsDevTools(t *testing.T) {
	nodes := []craftNode{
		{typ: "synthetic", name: "", edges: []craftEdge{
			{"element", "1", 1}, {"element", "2", 6}, {"element", "3", 2}, {"element", "4", 3}, {"element", "5", 4}, {"element", "6", 5}, {"element", "7", 7},
		}},
		/* 1 */ {typ: "native", name: `<div id="gone">`, self: 10, detached: 2, edges: []craftEdge{
			{"property", "child", 2}, {"weak", "w", 3}, {"property", "js", 4}, {"property", "shared", 6},
		}},
		/* 2 */ {typ: "native", name: "<span>", self: 10},
		/* 3 */ {typ: "native", name: "Weakly", self: 10},
		/* 4 */ {typ: "object", name: "HTMLDivElement", self: 10, edges: []craftEdge{{"property", "n", 5}}},
		/* 5 */ {typ: "native", name: "BehindJS", self: 10},
		/* 6 */ {typ: "native", name: "Shared", self: 10},
		/* 7 */ {typ: "native", name: "<div>", self: 10, detached: 1, edges: []craftEdge{{"property", "s", 6}}},
	}
	got := classLabelsOf(t, craftSnapshot(nodes, nil, false))
	want := map[string]int64{
		"Detached <div>": 1, "Detached <span>": 1, "Weakly": 1, "HTMLDivElement": 1,
		"BehindJS": 1, "Shared": 1, "<div>": 1,
	}
	for label, n := range want {
		if got[label] != n {
			t.Errorf("%q: %d objects, want %d (all: %v)", label, got[label], n, got)
		}
	}
}

// TestLocationsRefused: locations that point past the nodes, or between
// them, or that outnumber the nodes, are refused with a clear error; an
// array cut inside a location too. Locations before the nodes (V8 writes
// them after) are read as absent.
func TestLocationsRefused(t *testing.T) {
	nodes, locs := classGraph([]definition{
		{name: "Session", script: 3, line: 4, column: 13, url: "/app/a.js", constructed: true, objects: 1},
		{name: "Session", script: 4, line: 4, column: 13, url: "/app/b.js", constructed: true, objects: 1},
	})
	good := craftSnapshot(nodes, locs, false)
	var objects []int // node indexes (7 fields a node) of the two objects
	for i, n := range nodes {
		if n.typ == "object" {
			objects = append(objects, 7*i)
		}
	}
	// Every object's location, again and again, alternating: more
	// locations than nodes.
	var many []string
	for range len(nodes) + 1 {
		many = append(many, fmt.Sprintf("%d,1,1,1,%d,2,2,2", objects[0], objects[1]))
	}
	for _, tc := range []struct {
		name, locations, want string
	}{
		{"past the nodes", "7000,1,1,1", "not a node index"},
		{"between nodes", "8,1,1,1", "not a node index"},
		{"cut short", fmt.Sprintf("%d,1,1,1,%d,1", objects[0], objects[1]), "ends inside a location"},
		{"more than the nodes", strings.Join(many, ","), "more locations than nodes"},
	} {
		data := []byte(replaceLocations(string(good), tc.locations))
		if _, err := ParseSnapshot(data, ReadOptions{}); !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want a malformed-profile error saying %q", tc.name, err, tc.want)
		}
	}
	if got := classLabelsOf(t, craftSnapshot(nodes, locs, true)); got["Session"] != 2 {
		t.Errorf("with the locations before the nodes: %v, want the 2 objects as one class Session", got)
	}
	if got := classLabelsOf(t, good); got["Session (a.js:5)"] != 1 || got["Session (b.js:5)"] != 1 {
		t.Errorf("the crafted snapshot itself: %v", got)
	}
}

// replaceLocations returns the snapshot with its locations array holding
// list instead.
func replaceLocations(snapshot, list string) string {
	i := strings.Index(snapshot, `"locations":[`) + len(`"locations":[`)
	j := i + strings.IndexByte(snapshot[i:], ']')
	return snapshot[:i] + list + snapshot[j:]
}

// TestClassKeys: a class keyed by location carries its name and where its
// constructor is defined, as the snapshot gives it (0-based); a class keyed
// by name alone carries no location.
func TestClassKeys(t *testing.T) {
	nodes, locs := classGraph([]definition{
		{name: "Session", script: 3, line: 4, column: 13, url: "/app/session-a.js", constructed: true, objects: 2},
		{name: "Session", script: 4, line: 9, column: 2, url: "/app/session-b.js", constructed: true, objects: 1},
	})
	g, err := ParseSnapshot(craftSnapshot(nodes, locs, false), ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Class{}
	for _, c := range mustAnalyze(t, g, ByClass).Classes() {
		c.IDs = nil
		got[c.Label] = c
	}
	for label, want := range map[string]Class{
		"Session (session-a.js:5)":  {Name: "Session", Located: true, Location: Location{ScriptID: 3, Line: 4, Column: 13}},
		"Session (session-b.js:10)": {Name: "Session", Located: true, Location: Location{ScriptID: 4, Line: 9, Column: 2}},
		"Function":                  {Name: "Function"},
	} {
		c := got[label]
		if c.Name != want.Name || c.Located != want.Located || c.Location != want.Location {
			t.Errorf("%q: name %q, located %v at %+v; want %q, %v at %+v", label, c.Name, c.Located, c.Location, want.Name, want.Located, want.Location)
		}
	}
	if s := got["Session (session-a.js:5)"]; s.Objects != 2 || s.ShallowSize != 32 {
		t.Errorf("Session (session-a.js:5): %d objects of %d bytes, want 2 of 32", s.Objects, s.ShallowSize)
	}
}
