package profile

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/klauspost/compress/gzip"
)

// Hostile V8 inputs, round two: snapshots and sampling heap profiles crafted
// to crash the decoder or to make a small file cost gigabytes. The same
// shapes, at sizes that cost gigabytes before the fix, are in testdata/bad
// (see testdata/badgen/v8.go), where cmd/heapdiff's TestBadInputs runs the
// real command on them.

// v8TestHeader is a snapshot header with Node's layouts. Node types: 3
// object, 9 synthetic; edge types: 2 property, 3 internal, 5 shortcut.
func v8TestHeader(nodes, edges, traceFunctions int, edgeTypes string) string {
	if edgeTypes == "" {
		edgeTypes = `"context","element","property","internal","hidden","shortcut","weak"`
	}
	return `{"snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count","trace_node_id"],` +
		`"node_types":[["hidden","array","string","object","code","closure","regexp","number","native","synthetic"],"string","number","number","number","number"],` +
		`"edge_fields":["type","name_or_index","to_node"],"edge_types":[[` + edgeTypes + `],"string_or_number","node"],` +
		`"trace_function_info_fields":["function_id","name","script_name","script_id","line","column"],` +
		`"trace_node_fields":["id","function_info_index","count","size","children"]},` +
		`"node_count":` + strconv.Itoa(nodes) + `,"edge_count":` + strconv.Itoa(edges) + `,"trace_function_count":` + strconv.Itoa(traceFunctions) + `}`
}

// twoNodes is the body of a valid two-node snapshot: the root holds object
// "A" (string 1) by a shortcut; A's allocation trace node is traceID.
func twoNodes(traceID int) string {
	return `"nodes":[9,0,1,0,1,0, 3,1,3,100,0,` + strconv.Itoa(traceID) + `],"edges":[5,1,6]`
}

// traceChain is a tracked snapshot whose trace tree is one chain depth calls
// deep, with an object allocated at every level.
func traceChain(depth int) []byte {
	var b bytes.Buffer
	b.WriteString(v8TestHeader(depth+1, depth, 1, "") + `,"nodes":[9,0,1,0,` + strconv.Itoa(depth) + `,0`)
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
	b.WriteString(`],"trace_function_infos":[0,1,1,0,7,0],"trace_tree":[1,0,0,0,[`)
	for i := range depth {
		b.WriteString(strconv.Itoa(2+i) + `,0,1,8,[`)
	}
	b.WriteString(strings.Repeat("]", depth+2) + `,"strings":["","A"]}`)
	return b.Bytes()
}

// heapProfileHead opens a sampling heap profile at its "(root)" node's
// children.
const heapProfileHead = `{"head":{"callFrame":{"functionName":"(root)","scriptId":"0","url":"","lineNumber":-1,"columnNumber":-1},"selfSize":0,"id":1,"children":[`

// heapChain is a sampling heap profile whose call tree is one chain depth
// nodes deep. With every set, each node has bytes; otherwise only the
// deepest.
func heapChain(depth int, every bool) []byte {
	var b bytes.Buffer
	b.WriteString(heapProfileHead)
	for i := range depth {
		self := 0
		if every || i == depth-1 {
			self = 1024
		}
		b.WriteString(`{"callFrame":{"functionName":"f","url":"a.js","lineNumber":` + strconv.Itoa(i) + `},"selfSize":` + strconv.Itoa(self) + `,"id":` + strconv.Itoa(i+2) + `,"children":[`)
	}
	b.WriteString(strings.Repeat("]}", depth) + `]},"samples":[]}`)
	return b.Bytes()
}

// broom is a sampling heap profile shaped like a broom: a handle of depth
// nodes, then leaves three bytes each ({}), every one sampled.
func broom(depth, leaves int) []byte {
	var b bytes.Buffer
	b.WriteString(heapProfileHead)
	b.WriteString(strings.Repeat(`{"id":1,"children":[`, depth))
	b.WriteString(strings.Repeat(`{},`, leaves-1) + `{}`)
	b.WriteString(strings.Repeat(`]}`, depth))
	b.WriteString(`]},"samples":[{"size":1024,"nodeId":0,"ordinal":1}]}`)
	return b.Bytes()
}

// TestV8HostileRefused feeds crafted snapshots and profiles that crashed the
// decoder, or would expand to gigabytes: each is refused with a one-line
// ErrMalformed that names the file and the problem.
func TestV8HostileRefused(t *testing.T) {
	renumbered := strings.Replace(v8TestHeader(2, 1, 0, ""), `"internal","hidden"`, `"hidden","internal"`, 1)[len(`{"snapshot":`):]
	dupTrace := v8TestHeader(2, 1, 1, "") + `,` + twoNodes(2) +
		`,"trace_function_infos":[0,1,1,0,0,0],"trace_tree":[1,0,0,0,[2,0,0,0,[2,0,1,100,[]]]],"strings":["","A"]}`
	for _, tt := range []struct {
		name string
		data []byte
		opts Options
		want string
	}{
		// A second header renumbered the edge types under the edges
		// read with the first: an index out of range in essentialEdges.
		{"second header", []byte(v8TestHeader(2, 1, 0, "") + `,` + twoNodes(0) + `,"snapshot":` + renumbered + `,"strings":["","A"]}`), Options{},
			`the snapshot has a second "snapshot" member`},
		{"second strings", []byte(v8TestHeader(2, 1, 0, "") + `,` + twoNodes(0) + `,"strings":["","A"],"strings":[]}`), Options{},
			`the snapshot has a second "strings" member`},
		{"second nodes", []byte(v8TestHeader(2, 1, 0, "") + `,` + twoNodes(0) + `,"nodes":[],"strings":["","A"]}`), Options{},
			`the snapshot has a second "nodes" member`},
		// Once a 4 GiB []bool, allocated before the names were checked.
		{"name index 2^32-1", []byte(v8TestHeader(2, 1, 0, "") + `,"nodes":[9,0,1,0,1,0, 3,4294967295,3,100,0,0],"edges":[5,1,6],"strings":["","A"]}`), Options{},
			"node 1 names string 4294967295 of 2"},
		// Trace node 2 is its own caller: a 65,536-frame stack each.
		{"trace node its own caller", []byte(dupTrace), Options{AllocationStacks: true}, "trace node id 2 appears twice"},
		{"trace node its own caller, by class", []byte(dupTrace), Options{}, "trace node id 2 appears twice"},
		{"trace functions without lines", []byte(strings.Replace(dupTrace, `"script_id","line","column"`, `"script_id","lineno","column"`, 1)), Options{AllocationStacks: true},
			`trace_function_info_fields needs "name", "script_name" and "line"`},
		{"trace function cut short", []byte(v8TestHeader(2, 1, 1, "") + `,` + twoNodes(2) + `,"trace_function_infos":[0,1,1,0,0,0,0,1],"trace_tree":[1,0,0,0,[2,0,1,100,[]]],"strings":["","A"]}`), Options{AllocationStacks: true},
			"trace_function_infos ends inside a function"},
		// 2,000 levels, each allocating: 2 million frames from 46 KB.
		{"trace chain", traceChain(2000), Options{AllocationStacks: true}, "its allocation stacks expand to more than"},
		{"heap profile chain", heapChain(2000, true), Options{}, "its stacks expand to more than"},
		{"heap profile null head", []byte(`{"head":null,"samples":null}`), Options{}, "sampling heap profile has no head node"},
		{"heap profile second head", []byte(`{"head":{"id":1},"samples":[],"head":{"id":2}}`), Options{}, `a second "head" member`},
		{"heap profile frame after children", []byte(heapProfileHead + `{"children":[],"callFrame":{"functionName":"f"}}]}}`), Options{},
			"a call tree node's callFrame comes after its children"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			got := allocated(func() { _, err = Parse("crafted", tt.data, tt.opts) })
			if !errors.Is(err, ErrMalformed) || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), "load crafted: ") || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Parse = %v, want a one-line ErrMalformed naming the file and saying %q", err, tt.want)
			}
			// Refused before what it asks for is allocated.
			if limit := uint64(8*len(tt.data)) + 1<<20; got > limit {
				t.Errorf("allocated %d bytes for %d of input before refusing it, want at most %d", got, len(tt.data), limit)
			}
		})
	}
}

// allocated returns the bytes fn allocates (runtime.MemStats.TotalAlloc):
// everything it allocates, garbage included, bounds its peak heap.
func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestV8AllocationIsBounded decodes inputs whose parts once cost many times
// their size, or grew with the square of it, and checks that everything the
// decoder allocates stays within a small multiple of the input: what the
// input's counts and indexes ask for is never taken on trust.
func TestV8AllocationIsBounded(t *testing.T) {
	const n = 1_000_000
	emptyStrings := strings.Repeat(`,""`, n)
	functions := strings.Repeat(`,0,1,1,0,0,0`, n)
	for _, tt := range []struct {
		name  string
		data  []byte
		opts  Options
		ratio float64 // of allocations to input
		check func(t *testing.T, p *Profile)
	}{
		// Each "" (3 bytes) was a 16-byte string header, and more while the
		// table grew: now a string the analysis does not read is counted.
		{"million unused strings", []byte(v8TestHeader(2, 1, 0, "") + `,` + twoNodes(0) + `,"strings":["","A"` + emptyStrings + `]}`), Options{}, 0.5, nil},
		// The table comes before the nodes: every string is kept, in one
		// buffer and an index of four bytes each, which grows by doubling
		// (allocating twice its final size in all).
		{"million strings first", []byte(v8TestHeader(2, 1, 0, "") + `,"strings":["","A"` + emptyStrings + `],` + twoNodes(0) + `}`), Options{}, 3, nil},
		// A trace function (12 bytes here) was 24 bytes, and more while the
		// list grew (by a quarter at a time: five times its size in all);
		// now 12, in a list that doubles.
		{"million trace functions", []byte(v8TestHeader(2, 1, n+1, "") + `,` + twoNodes(2) + `,"trace_function_infos":[0,1,1,0,0,0` + functions + `],"trace_tree":[1,0,0,0,[2,0,1,100,[]]],"strings":["","A"]}`),
			Options{AllocationStacks: true}, 3, func(t *testing.T, p *Profile) {
				if len(p.Stacks) != 1 || p.Frames[p.Stacks[0].Frames[0]].Function != "A" {
					t.Errorf("want one stack allocated in A, got %d stacks", len(p.Stacks))
				}
			}},
		// 4,000 levels, then 200,000 leaves that each cloned the whole path
		// (3.2 GB): the leaves share one stack.
		{"broom", broom(4000, 200_000), Options{}, 3, func(t *testing.T, p *Profile) {
			if len(p.Stacks) != 1 || len(p.Stacks[0].Frames) != 4001 || p.Stacks[0].Values[0] != 200_000 {
				t.Errorf("want one stack of 4,001 frames with 200,000 samples, got %d stacks", len(p.Stacks))
			}
		}},
		// A million nodes of three bytes, each 104 bytes in encoding/json's
		// tree.
		{"million leaves", []byte(heapProfileHead + strings.Repeat(`{},`, n) + `{}]},"samples":[{"size":1024,"nodeId":0}]}`), Options{}, 1, func(t *testing.T, p *Profile) {
			if len(p.Stacks) != 1 || p.Stacks[0].Values[0] != n+1 {
				t.Errorf("want one stack with %d samples, got %d stacks", n+1, len(p.Stacks))
			}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var p *Profile
			var err error
			got := allocated(func() { p, err = Parse("crafted", tt.data, tt.opts) })
			if err != nil {
				t.Fatal(err)
			}
			limit := uint64(tt.ratio*float64(len(tt.data))) + 1<<20
			t.Logf("%d bytes allocated for %d of input (%.2fx)", got, len(tt.data), float64(got)/float64(len(tt.data)))
			if got > limit {
				t.Errorf("allocated %d bytes for %d of input, want at most %d", got, len(tt.data), limit)
			}
			if tt.check != nil {
				tt.check(t, p)
			}
		})
	}
}

// TestGzipTrailerDoesNotSizeColumns loads a gzipped snapshot whose header
// announces 60 million nodes and whose gzip trailer claims a gigabyte (its
// 800 KB of random padding make that a ratio deflate can reach): the columns
// must grow with the nodes that come, not be sized by those claims. The
// forged trailer fails the gzip check at the end, after the decoding.
func TestGzipTrailerDoesNotSizeColumns(t *testing.T) {
	pad := make([]byte, 600<<10)
	rand.NewChaCha8([32]byte{}).Read(pad)
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte(v8TestHeader(60_000_000, 200_000_000, 0, "") + `,"padding":"` + base64.StdEncoding.EncodeToString(pad) + `",` + twoNodes(0) + `,"strings":["","A"]}`))
	zw.Close()
	data := buf.Bytes()
	binary.LittleEndian.PutUint32(data[len(data)-4:], 1<<30)
	path := filepath.Join(t.TempDir(), "forged.heapsnapshot.gz")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	var err error
	got := allocated(func() { _, err = Load(path, Options{}) })
	if !errors.Is(err, ErrCorrupt) {
		t.Errorf("Load = %v, want a corrupt gzip stream", err)
	}
	if got > 32<<20 {
		t.Errorf("allocated %d MiB for a two-node snapshot", got>>20)
	}
}

// TestDeepHeapProfileLoads loads an honest call tree 20,000 levels deep
// (encoding/json, which read these before, refused more than 5,000): it
// must load whole, in one stack.
func TestDeepHeapProfileLoads(t *testing.T) {
	const depth = 20_000
	p, err := Parse("deep.heapprofile", heapChain(depth, false), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Stacks) != 1 || len(p.Stacks[0].Frames) != depth {
		t.Fatalf("got %d stacks, want one of %d frames", len(p.Stacks), depth)
	}
	st := p.Stacks[0]
	if leaf, top := p.Frames[st.Frames[0]], p.Frames[st.Frames[depth-1]]; leaf.Line != depth || top.Line != 1 || st.Values[1] != 1024 {
		t.Errorf("leaf %v, top %v, values %v: want the deepest node first, line %d, and 1024 bytes", leaf, top, st.Values, depth)
	}
}

// TestTraceChainInMemory decodes a trace chain whose stacks hold 125,250
// frames, within the budget its size allows but past the 65,536 any
// snapshot may have, from memory and from a file: the budget is reckoned
// from the snapshot's size either way, and the profiles agree.
func TestTraceChainInMemory(t *testing.T) {
	data := traceChain(500)
	path := filepath.Join(t.TempDir(), "chain.heapsnapshot")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	opts := Options{AllocationStacks: true}
	streamed, err := Load(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	inMemory, err := Parse(path, data, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(streamed.Stacks) != 500 || !reflect.DeepEqual(streamed, inMemory) {
		t.Errorf("%d stacks streamed, %d in memory, or they disagree; want the same 500", len(streamed.Stacks), len(inMemory.Stacks))
	}
}

// TestTraceChainWithinBudget loads a trace chain short enough for the frame
// budget: its stacks are the chain's prefixes, sharing their frames.
func TestTraceChainWithinBudget(t *testing.T) {
	const depth = 100
	p, err := Parse("chain.heapsnapshot", traceChain(depth), Options{AllocationStacks: true})
	if err != nil {
		t.Fatal(err)
	}
	byDepth := map[int]bool{}
	for _, st := range p.Stacks {
		byDepth[len(st.Frames)] = true
		if f := p.Frames[st.Frames[0]]; f.Function != "A" || f.File != "A" || f.Line != 7 {
			t.Errorf("frame %+v, want A A:7", f)
		}
	}
	if len(p.Stacks) != depth || len(byDepth) != depth || !byDepth[1] || !byDepth[depth] {
		t.Errorf("%d stacks of %d depths, want %d stacks of 1 to %d frames", len(p.Stacks), len(byDepth), depth, depth)
	}
}

// v8PeakRatio and v8PeakSlack state the memory rule of the V8 decoders:
// loading a snapshot or a sampling heap profile peaks at no more than
// v8PeakRatio times its decompressed size, plus v8PeakSlack, whatever its
// bytes. The worst honest inputs come near 8x: nodes of ten bytes each
// ("3,1,0,1,0,"), for which the dominator tree needs some 80 bytes a node,
// and call trees whose every node is a distinct frame of 64 bytes.
const (
	v8PeakRatio = 10
	v8PeakSlack = 64 << 20
)

// TestV8PeakMemory loads the worst inputs for the rule, honest and hostile,
// each in a child process, and checks the child's peak resident memory.
func TestV8PeakMemory(t *testing.T) {
	if path := os.Getenv("HEAPDIFF_V8_PEAK_FILE"); path != "" {
		if _, err := Load(path, Options{AllocationStacks: true}); err != nil {
			t.Fatal(err)
		}
		return
	}
	if runtime.GOOS != "linux" {
		t.Skip("peak memory is read from the child's rusage, in kilobytes on Linux")
	}
	if testing.Short() {
		t.Skip("writes inputs of 20 MB and loads them")
	}
	if raceDetector {
		t.Skip("peak memory means nothing under -race; .ci/run runs this without it")
	}
	const n = 2_000_000
	snapshot := func(body string) []byte {
		return []byte(v8TestHeader(n, 1, 0, "") + `,` + body + `}`)
	}
	nodes := func() []byte {
		return snapshot(`"nodes":[9,0,0,0,1,0` + strings.Repeat(`,3,1,0,1,0,0`, n-1) + `],"edges":[5,1,6],"strings":["","A"]`)
	}
	distinctFrames := func() []byte {
		var b bytes.Buffer
		b.WriteString(heapProfileHead)
		for i := range n / 5 {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString(`{"callFrame":{"functionName":"f` + strconv.Itoa(i) + `"},"selfSize":1}`)
		}
		b.WriteString(`]},"samples":[]}`)
		return b.Bytes()
	}
	dir := t.TempDir()
	for _, tt := range []struct {
		name string
		data func() []byte
		gzip bool
	}{
		{"minimal nodes.heapsnapshot", nodes, false},
		{"minimal nodes.heapsnapshot.gz", nodes, true},
		{"strings first.heapsnapshot", func() []byte {
			return snapshot(`"strings":["","A"` + strings.Repeat(`,""`, 3*n) + `],"nodes":[9,0,0,0,1,0,3,1,0,1,0,0],"edges":[5,1,6]`)
		}, false},
		{"distinct frames.heapprofile", distinctFrames, false},
		{"broom.heapprofile.gz", func() []byte { return broom(4000, 3*n) }, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			data := tt.data()
			size := len(data)
			if tt.gzip {
				var buf bytes.Buffer
				zw := gzip.NewWriter(&buf)
				zw.Write(data)
				zw.Close()
				data = buf.Bytes()
			}
			path := filepath.Join(dir, tt.name)
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
			// The child's peak counts what this process holds when it
			// starts the child: give it back first.
			data = nil
			debug.FreeOSMemory()
			cmd := exec.Command(os.Args[0], "-test.run=^TestV8PeakMemory$", "-test.count=1")
			cmd.Env = append(os.Environ(), "HEAPDIFF_V8_PEAK_FILE="+path)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			peak := int64(cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss) << 10
			limit := int64(v8PeakRatio*size + v8PeakSlack)
			t.Logf("%d MB decompressed: peak %d MB (%.1fx)", size>>20, peak>>20, float64(peak)/float64(size))
			if peak > limit {
				t.Errorf("peak memory %d MB for %d MB of input, want at most %d MB", peak>>20, size>>20, limit>>20)
			}
		})
	}
}
