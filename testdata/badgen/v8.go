package main

import (
	"bytes"
	"compress/gzip"
	"maps"
	"strconv"
	"strings"
)

// The hostile V8 cases: heap snapshots and sampling heap profiles crafted to
// crash the decoder or to make a small file cost gigabytes. Each is a few
// kilobytes to a few hundred (the large ones gzipped); testdata/bad/README.md
// says what each does and what heapdiff must answer.

// v8Files returns the hostile V8 cases, by file name.
func v8Files() map[string][]byte {
	return map[string][]byte{
		"v8-dupheader.heapsnapshot":     v8DuplicateHeader(),
		"v8-namebomb.heapsnapshot":      v8NameBomb(),
		"v8-strings.heapsnapshot.gz":    v8Gzip(v8ManyStrings(40_000_000)),
		"v8-funcinfos.heapsnapshot.gz":  v8Gzip(v8ManyTraceFunctions(4_000_000)),
		"v8-tracecycle.heapsnapshot":    v8TraceCycles(1000),
		"v8-tracechain.heapsnapshot.gz": v8Gzip(v8TraceChain(8192)),
		"v8-broom.heapprofile.gz":       v8Gzip(v8Broom(4900, 200_000, false)),
		"v8-bristles.heapprofile.gz":    v8Gzip(v8Broom(4900, 20_000, true)),
	}
}

// withV8Files adds the hostile V8 cases to files.
func withV8Files(files map[string][]byte) map[string][]byte {
	maps.Copy(files, v8Files())
	return files
}

// v8Header is a snapshot header with Node's node, edge and trace layouts.
// Type indexes used below: node types 3 object, 9 synthetic; edge types
// 1 element, 2 property, 3 internal, 5 shortcut.
func v8Header(nodes, edges, traceFunctions int) string {
	return `{"snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count","trace_node_id"],` +
		`"node_types":[["hidden","array","string","object","code","closure","regexp","number","native","synthetic"],"string","number","number","number","number"],` +
		`"edge_fields":["type","name_or_index","to_node"],` +
		`"edge_types":[["context","element","property","internal","hidden","shortcut","weak"],"string_or_number","node"],` +
		`"trace_function_info_fields":["function_id","name","script_name","script_id","line","column"],` +
		`"trace_node_fields":["id","function_info_index","count","size","children"]},` +
		`"node_count":` + strconv.Itoa(nodes) + `,"edge_count":` + strconv.Itoa(edges) + `,"trace_function_count":` + strconv.Itoa(traceFunctions) + `}`
}

// v8DuplicateHeader has a second "snapshot" header after the edges that
// renumbers the edge types: the edge read as an "element" is "internal"
// under the second header, which has no name recorded for it.
func v8DuplicateHeader() []byte {
	second := strings.Replace(v8Header(2, 1, 0)[len(`{"snapshot":`):],
		`["context","element","property","internal",`, `["context","internal","property","element",`, 1)
	return []byte(v8Header(2, 1, 0) + `,` +
		`"nodes":[9,0,1,0,1,0, 3,1,3,100,0,0],` +
		`"edges":[1,0,6],` +
		`"snapshot":` + second + `,` +
		`"strings":["","A"]}`)
}

// v8NameBomb names string 4294967295 in a table of two.
func v8NameBomb() []byte {
	return []byte(v8Header(2, 1, 0) + `,` +
		`"nodes":[9,0,1,0,1,0, 3,4294967295,3,100,0,0],` +
		`"edges":[5,1,6],` +
		`"strings":["","A"]}`)
}

// v8Small is a valid two-node snapshot (the root holds object "A" by a
// shortcut) up to its string table, which the caller writes.
func v8Small(traceFunctions int, traces string) string {
	return v8Header(2, 1, traceFunctions) + `,` +
		`"nodes":[9,0,1,0,1,0, 3,1,3,100,0,` + traces + `],` +
		`"edges":[5,1,6],`
}

// v8ManyStrings is a valid snapshot whose string table holds n empty
// strings, three bytes each ("",), after the two it uses.
func v8ManyStrings(n int) []byte {
	var b bytes.Buffer
	b.WriteString(v8Small(0, "0"))
	b.WriteString(`"strings":["","A"`)
	b.WriteString(strings.Repeat(`,""`, n))
	b.WriteString(`]}`)
	return b.Bytes()
}

// v8ManyTraceFunctions is a valid tracked snapshot with n trace functions
// (twelve bytes each), of which its one trace node uses the first.
func v8ManyTraceFunctions(n int) []byte {
	var b bytes.Buffer
	b.WriteString(v8Small(n, "2"))
	b.WriteString(`"trace_function_infos":[0,1,1,0,0,0`)
	b.WriteString(strings.Repeat(`,0,0,0,0,0,0`, n-1))
	b.WriteString(`],"trace_tree":[1,0,0,0,[2,0,1,100,[]]],"strings":["","A"]}`)
	return b.Bytes()
}

// v8TraceCycles gives each of n trace nodes a child with its own id, so
// that following callers from it never reaches the root; each object is
// allocated at one of them.
func v8TraceCycles(n int) []byte {
	var b bytes.Buffer
	b.WriteString(v8Header(n+1, n, 1) + `,"nodes":[9,0,1,0,` + strconv.Itoa(n) + `,0`)
	for i := range n {
		b.WriteString(`, 3,1,` + strconv.Itoa(3+2*i) + `,100,0,` + strconv.Itoa(2+i))
	}
	b.WriteString(`],"edges":[`)
	for i := range n {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`2,1,` + strconv.Itoa(6*(i+1)))
	}
	b.WriteString(`],"trace_function_infos":[0,1,1,0,0,0],"trace_tree":[1,0,0,0,[`)
	for i := range n {
		if i > 0 {
			b.WriteString(",")
		}
		id := strconv.Itoa(2 + i)
		b.WriteString(id + `,0,0,0,[` + id + `,0,1,100,[]]`)
	}
	b.WriteString(`]],"strings":["","A"]}`)
	return b.Bytes()
}

// v8TraceChain is a valid tracked snapshot whose allocation trace tree is
// one chain depth calls deep, with an object allocated at every level: its
// allocation stacks hold depth²/2 frames.
func v8TraceChain(depth int) []byte {
	var b bytes.Buffer
	b.WriteString(v8Header(depth+1, depth, 1) + `,"nodes":[9,0,1,0,` + strconv.Itoa(depth) + `,0`)
	for i := range depth {
		b.WriteString(`,3,1,` + strconv.Itoa(3+2*i) + `,8,0,` + strconv.Itoa(2+i))
	}
	b.WriteString(`],"edges":[`)
	for i := range depth {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`2,1,` + strconv.Itoa(6*(i+1)))
	}
	b.WriteString(`],"trace_function_infos":[0,1,1,0,0,0],"trace_tree":[1,0,0,0,[`)
	for i := range depth {
		b.WriteString(strconv.Itoa(2+i) + `,0,1,8,[`)
	}
	b.WriteString(strings.Repeat("]", depth+1) + `],"strings":["","A"]}`)
	return b.Bytes()
}

// v8Broom is a sampling heap profile shaped like a broom: a handle of depth
// call tree nodes (a little under the 5,000 levels encoding/json allowed),
// then leaves, every one of them sampled. The leaves are three bytes each
// ({}) and all alike, or, with distinct set, each on its own line.
func v8Broom(depth, leaves int, distinct bool) []byte {
	var b bytes.Buffer
	b.WriteString(`{"head":{"callFrame":{"functionName":"(root)","scriptId":"0","url":"","lineNumber":-1,"columnNumber":-1},"selfSize":0,"id":1,"children":[`)
	b.WriteString(strings.Repeat(`{"id":1,"children":[`, depth))
	for i := range leaves {
		if i > 0 {
			b.WriteString(",")
		}
		if distinct {
			b.WriteString(`{"callFrame":{"lineNumber":` + strconv.Itoa(i) + `}}`)
		} else {
			b.WriteString(`{}`)
		}
	}
	b.WriteString(strings.Repeat(`]}`, depth))
	b.WriteString(`]},"samples":[{"size":1024,"nodeId":0,"ordinal":1}]}`)
	return b.Bytes()
}

// v8Gzip compresses data as well as deflate can.
func v8Gzip(data []byte) []byte {
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	zw.Write(data)
	zw.Close()
	return b.Bytes()
}
