package profile

import (
	"errors"
	"testing"
)

// handSnapshot is a hand-written V8 heap snapshot: the root holds object A
// through a shortcut (a user global), A holds B, the root holds C by a weak
// edge only, and nothing holds the closure f.
const handSnapshot = `{"snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count"],
"node_types":[["hidden","object","synthetic","closure"],"string","number","number","number"],
"edge_fields":["type","name_or_index","to_node"],"edge_types":[["property","shortcut","weak","internal"],"string_or_number","node"]},
"node_count":5,"edge_count":3},
"nodes":[2,0,1,0,2, 1,1,3,100,1, 1,2,5,10,0, 1,3,7,20,0, 3,4,9,30,0],
"edges":[1,1,5, 2,0,15, 0,2,10],
"strings":["","A","B","C","f"]}`

// FuzzV8Snapshot feeds arbitrary bytes to the snapshot decoder: it must
// return a profile or an error, never panic or run away.
func FuzzV8Snapshot(f *testing.F) {
	f.Add([]byte(handSnapshot))
	f.Add([]byte(`{"snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count","trace_node_id"],"node_types":[["object"]],"edge_fields":["type","name_or_index","to_node"],"edge_types":[["weak"]],"trace_function_info_fields":["function_id","name","script_name","script_id","line","column"],"trace_node_fields":["id","function_info_index","count","size","children"]},"trace_function_count":1},"nodes":[0,0,1,8,0,2],"edges":[],"trace_function_infos":[0,0,0,0,1,1],"trace_tree":[1,0,0,0,[2,0,1,8,[]]],"strings":["x"]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, opts := range []Options{{}, {AllocationStacks: true}} {
			p, err := Parse("fuzz", data, opts)
			if err == nil && len(p.SampleTypes) == 0 {
				t.Fatal("a profile without sample types")
			}
			if err != nil && errors.Is(err, ErrEmpty) && len(data) > 0 {
				t.Fatalf("non-empty input reported empty: %v", err)
			}
		}
	})
}

// FuzzV8HeapProfile does the same for sampling heap profiles.
func FuzzV8HeapProfile(f *testing.F) {
	f.Add([]byte(`{"head":{"callFrame":{"functionName":"(root)","scriptId":"0","url":"","lineNumber":-1,"columnNumber":-1},"selfSize":0,"id":1,"children":[{"callFrame":{"functionName":"","scriptId":"1","url":"file:///a.js","lineNumber":4,"columnNumber":2},"selfSize":16400,"id":2,"children":[]}]},"samples":[{"size":8200,"nodeId":2,"ordinal":1},{"size":8200,"nodeId":2,"ordinal":2}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse("fuzz", data, Options{})
		if err == nil && len(p.SampleTypes) == 0 {
			t.Fatal("a profile without sample types")
		}
	})
}

// TestHandSnapshot checks the hand-written snapshot against values worked
// out by hand: A (100 bytes) retains B (10); C (20), held only weakly, and
// the unreachable closure f (30) hang off the root and retain themselves.
func TestHandSnapshot(t *testing.T) {
	p, err := Parse("hand", []byte(handSnapshot), Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][3]int64{"A": {1, 100, 110}, "B": {1, 10, 10}, "C": {1, 20, 20}, "Function": {1, 30, 30}}
	got := classes(t, p)
	for name, w := range want {
		if st := got[name]; st.Values == nil || [3]int64(st.Values) != w {
			t.Errorf("%s: %v, want %v", name, st.Values, w)
		}
	}
}
