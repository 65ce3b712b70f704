package profile

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
)

const nodeData = "../testdata/node/"

// The leak of testdata/node/gen/leaky.js: between the two snapshots it
// creates exactly this many LeakySession objects and closures.
const leaked = 1000

func mustLoad(t *testing.T, name string, opts Options) *Profile {
	t.Helper()
	p, err := Load(nodeData+name, opts)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// classStack is a class's stack of a snapshot profile, with its objects.
type classStack struct {
	Stack
	Objects
}

// classes indexes a snapshot profile's stacks by class name.
func classes(t *testing.T, p *Profile) map[string]classStack {
	t.Helper()
	m := map[string]classStack{}
	for i, st := range p.Stacks {
		if len(st.Frames) != 1 {
			t.Fatalf("%s: a class stack has %d frames", p.Name, len(st.Frames))
		}
		name := p.Frames[st.Frames[0]].Function
		if _, dup := m[name]; dup {
			t.Fatalf("%s: class %s appears twice", p.Name, name)
		}
		m[name] = classStack{st, p.Objects[i]}
	}
	return m
}

func TestNodeSnapshotClasses(t *testing.T) {
	before := mustLoad(t, "leaky-before.heapsnapshot.gz", Options{})
	after := mustLoad(t, "leaky-after.heapsnapshot.gz", Options{})
	if !before.IsHeapSnapshot() || before.Period != 0 || before.SampleTypes[2] != SnapshotRetainedSize {
		t.Fatalf("not read as an exact heap snapshot: %+v", before.SampleTypes)
	}
	b, a := classes(t, before), classes(t, after)
	for _, c := range []struct {
		name        string
		before, dlt int64
	}{
		{"LeakySession", 100, leaked},
		{"StableRecord", 50, 0},
		{"Function", -1, leaked}, // one closure per leak
	} {
		bs, as := b[c.name], a[c.name]
		if c.before >= 0 && bs.Values[0] != c.before {
			t.Errorf("%s: %d objects before, want %d", c.name, bs.Values[0], c.before)
		}
		if d := as.Values[0] - bs.Values[0]; d != c.dlt {
			t.Errorf("%s: count delta %d, want %d", c.name, d, c.dlt)
		}
	}
	if _, ok := a["TransientRecord"]; ok {
		t.Errorf("TransientRecord objects were dropped before the snapshot, but the class is listed")
	}
	ls, lsBefore := a["LeakySession"], b["LeakySession"]
	shallow, retained := ls.Values[1]-lsBefore.Values[1], ls.Values[2]-lsBefore.Values[2]
	if shallow <= 0 || retained < shallow {
		t.Errorf("LeakySession: shallow delta %d, retained delta %d: want retained >= shallow > 0", shallow, retained)
	}
	// Each session holds its payload array, so it retains more than itself.
	if ls.Values[2] <= ls.Values[1] {
		t.Errorf("LeakySession retains %d bytes, no more than its shallow %d", ls.Values[2], ls.Values[1])
	}
	// Node keeps ids stable: the 100 old sessions keep theirs.
	if len(ls.IDs) != 1100 || !containsAll(ls.IDs, lsBefore.IDs) {
		t.Errorf("LeakySession ids: %d after, not a superset of the %d before", len(ls.IDs), len(lsBefore.IDs))
	}
	// The root retains everything: the global object's class retains less
	// than all shallow sizes together.
	var total int64
	for _, st := range after.Stacks {
		total += st.Values[1]
	}
	if g := a["global"].Values[2]; g <= 0 || g > total {
		t.Errorf("global retains %d bytes of a %d-byte heap", g, total)
	}
}

func containsAll(sorted, sub []uint64) bool {
	i := 0
	for _, v := range sub {
		for i < len(sorted) && sorted[i] < v {
			i++
		}
		if i == len(sorted) || sorted[i] != v {
			return false
		}
	}
	return true
}

// TestSnapshotFieldOrder rewrites a real snapshot with its node and edge
// fields in another order (Bun's writer is free to choose its own), and with
// the arrays laid out to match, and expects the same profile.
func TestSnapshotFieldOrder(t *testing.T) {
	data := gunzipFile(t, nodeData+"bun-before.heapsnapshot.gz")
	want, err := Parse("orig", data, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	var head map[string]any
	var nodes, edges []uint64
	for key, dst := range map[string]any{"snapshot": &head, "nodes": &nodes, "edges": &edges} {
		if err := json.Unmarshal(doc[key], dst); err != nil {
			t.Fatal(err)
		}
	}
	meta := head["meta"].(map[string]any)
	permute := func(fieldsKey, typesKey string, values []uint64, order []int) []uint64 {
		fields := meta[fieldsKey].([]any)
		types := meta[typesKey].([]any)
		nf := len(fields)
		newFields, newTypes := make([]any, nf), make([]any, nf)
		for i, j := range order {
			newFields[i], newTypes[i] = fields[j], types[j]
		}
		meta[fieldsKey], meta[typesKey] = newFields, newTypes
		out := make([]uint64, len(values))
		for base := 0; base < len(values); base += nf {
			for i, j := range order {
				out[base+i] = values[base+j]
			}
		}
		return out
	}
	// node_fields: type,name,id,self_size,edge_count,trace_node_id,detachedness
	nodes = permute("node_fields", "node_types", nodes, []int{2, 3, 6, 0, 4, 1, 5})
	// to_node is an index into the nodes array; its field count is unchanged.
	edges = permute("edge_fields", "edge_types", edges, []int{2, 0, 1})
	doc["snapshot"] = mustJSON(t, head)
	doc["nodes"] = mustJSON(t, nodes)
	doc["edges"] = mustJSON(t, edges)
	// Keys in a fixed order, snapshot first, as writers do.
	var buf bytes.Buffer
	buf.WriteString("{")
	for i, key := range []string{"snapshot", "nodes", "edges", "trace_function_infos", "trace_tree", "samples", "locations", "strings"} {
		if i > 0 {
			buf.WriteString(",")
		}
		buf.WriteString(`"` + key + `":`)
		buf.Write(doc[key])
	}
	buf.WriteString("}")
	got, err := Parse("permuted", buf.Bytes(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Stacks, want.Stacks) || !reflect.DeepEqual(got.Frames, want.Frames) {
		t.Errorf("the permuted snapshot reads differently: %d stacks vs %d", len(got.Stacks), len(want.Stacks))
	}
}

func mustJSON(t *testing.T, v any) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func gunzipFile(t testing.TB, path string) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(zr); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestSnapshotStreamMatchesMemory loads a snapshot from its file (streamed
// through gzip) and from memory, and expects the same profile.
func TestSnapshotStreamMatchesMemory(t *testing.T) {
	streamed := mustLoad(t, "leaky-before.heapsnapshot.gz", Options{})
	inMemory, err := Parse(nodeData+"leaky-before.heapsnapshot.gz", gunzipFile(t, nodeData+"leaky-before.heapsnapshot.gz"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(streamed, inMemory) {
		t.Error("streamed and in-memory decoding disagree")
	}
}

func TestBunSnapshots(t *testing.T) {
	before := classes(t, mustLoad(t, "bun-before.heapsnapshot.gz", Options{}))
	after := classes(t, mustLoad(t, "bun-after.heapsnapshot.gz", Options{}))
	if d := after["LeakySession"].Values[0] - before["LeakySession"].Values[0]; d != leaked {
		t.Errorf("Bun LeakySession count delta %d, want %d", d, leaked)
	}
	_, err := Load(nodeData+"bun-jsc.json.gz", Options{})
	if !errors.Is(err, ErrJSCSnapshot) || !strings.Contains(err.Error(), `generateHeapSnapshot("v8")`) {
		t.Errorf("JSC snapshot: got %v, want a refusal that says to use the V8 format", err)
	}
}

// TestTrackedAllocationStacks groups a --track-heap-objects pair by
// allocation stack: the sessions' payload arrays are allocated in the
// LeakySession constructor, called from leak.
func TestTrackedAllocationStacks(t *testing.T) {
	count := func(p *Profile) int64 {
		var n int64
		for _, st := range p.Stacks {
			if len(st.Frames) < 2 {
				continue
			}
			leaf, caller := p.Frames[st.Frames[0]], p.Frames[st.Frames[1]]
			if leaf.Function == "LeakySession" && leaf.Line == 18 && caller.Function == "leak" && strings.HasSuffix(leaf.File, "leaky.js") {
				n += st.Values[0]
			}
		}
		return n
	}
	before := mustLoad(t, "tracked-before.heapsnapshot.gz", Options{AllocationStacks: true})
	after := mustLoad(t, "tracked-after.heapsnapshot.gz", Options{AllocationStacks: true})
	if d := count(after) - count(before); d < leaked || d%leaked != 0 {
		t.Errorf("objects allocated in LeakySession < leak grew by %d, want a multiple of %d", d, leaked)
	}
	// Without traces the class view is kept, and says why.
	p := mustLoad(t, "leaky-before.heapsnapshot.gz", Options{AllocationStacks: true})
	// The why is the loader's note, not a comment: comments are what the
	// file said.
	if _, ok := classes(t, p)["LeakySession"]; !ok || !strings.Contains(strings.Join(p.Notes, " "), "track-heap-objects") {
		t.Errorf("untraced snapshot with AllocationStacks: notes %q", p.Notes)
	}
	if c := strings.Join(p.Comments, " "); strings.Contains(c, "track-heap-objects") || strings.Contains(c, "grouped by") {
		t.Errorf("untraced snapshot with AllocationStacks: comments %q hold the loader's note", p.Comments)
	}
}

func TestV8HeapProfile(t *testing.T) {
	before := mustLoad(t, "before.heapprofile.gz", Options{})
	after := mustLoad(t, "after.heapprofile.gz", Options{})
	if after.Format != FormatV8HeapProfile || after.Period != 8192 {
		t.Fatalf("format %q, period %d: want a sampling heap profile sampled every 8192 bytes (the generator's --heap-prof-interval)", after.Format, after.Period)
	}
	site := func(p *Profile, fn string, line int64) (objects, bytes int64) {
		for _, st := range p.Stacks {
			f := p.Frames[st.Frames[0]]
			if f.Function == fn && f.Line == line {
				objects += st.Values[0]
				bytes += st.Values[1]
			}
		}
		return
	}
	// leaky.js line 41 is "function leak(n) {" (0-based 40 in the file).
	_, b := site(before, "leak", 41)
	_, a := site(after, "leak", 41)
	if b <= 0 || a < 5*b {
		t.Errorf("leak leaky.js:41: %d bytes before, %d after; the run leaking ten times more should hold far more", b, a)
	}
	for _, f := range after.Frames {
		if f.Function == "" {
			t.Errorf("frame with an empty function name: %+v", f)
		}
	}
}

// TestSnapshotMalformed cuts a snapshot at many points and breaks it in
// other ways: every error names the problem, none panics.
func TestSnapshotMalformed(t *testing.T) {
	data := gunzipFile(t, nodeData+"bun-before.heapsnapshot.gz")
	for _, cut := range []int{20, 500, len(data) / 3, len(data) / 2, len(data) - 3} {
		_, err := Parse("cut", data[:cut], Options{})
		if !errors.Is(err, ErrMalformed) {
			t.Errorf("cut at %d: %v, want ErrMalformed", cut, err)
		}
	}
	for name, edit := range map[string]func(string) string{
		"edge count": func(s string) string { return strings.Replace(s, `"nodes":[9,0,1,0,2,`, `"nodes":[9,0,1,0,3,`, 1) },
		"no type": func(s string) string {
			return strings.Replace(s, `"node_fields":["type",`, `"node_fields":["kind",`, 1)
		},
		"negative": func(s string) string { return strings.Replace(s, `"nodes":[9,`, `"nodes":[-9,`, 1) },
	} {
		changed := edit(string(data))
		if changed == string(data) {
			t.Fatalf("%s: the edit did not apply", name)
		}
		if _, err := Parse(name, []byte(changed), Options{}); !errors.Is(err, ErrMalformed) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: %v, want a one-line ErrMalformed", name, err)
		}
	}
}
