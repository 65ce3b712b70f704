package profile

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// smallSnapshot is a valid two-node snapshot with member inserted after its
// header, where heapdiff capture writes its metadata.
func smallSnapshot(member string) string {
	return `{"snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count"],
"node_types":[["hidden","object"],"string","number","number","number"],
"edge_fields":["type","name_or_index","to_node"],"edge_types":[["property","internal"],"string_or_number","node"]},
"node_count":2,"edge_count":1},
` + member + `"nodes":[0,0,1,0,1, 1,1,3,100,0],
"edges":[0,1,5],
"strings":["","A"]}`
}

// The metadata heapdiff capture writes in a snapshot or a sampling heap
// profile becomes the profile's comments, escaped like every string read;
// a member that is not an array of strings, or is too long, is refused.
func TestHeapdiffMember(t *testing.T) {
	comments := []string{"heapdiff.trigger=schedule", "heapdiff.pid=42", "heapdiff.host=a\x1bb"}
	p, err := Parse("x.heapsnapshot", []byte(smallSnapshot(`"heapdiff":["heapdiff.trigger=schedule","heapdiff.pid=42","heapdiff.host=a\u001bb"],
`)), Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := slices.Clone(comments)
	want[2] = Printable(want[2])
	for _, c := range want {
		if !slices.Contains(p.Comments, c) {
			t.Errorf("comments %q lack %q", p.Comments, c)
		}
	}
	prof := `{"head":{"callFrame":{"functionName":"(root)","scriptId":"0","url":"","lineNumber":-1,"columnNumber":-1},"selfSize":0,"id":1,"children":[]},"samples":[],` +
		`"heapdiff":["heapdiff.trigger=signal"]}`
	p, err = Parse("x.heapprofile", []byte(prof), Options{})
	if err != nil || !slices.Contains(p.Comments, "heapdiff.trigger=signal") {
		t.Errorf("sampling profile: %v, comments %q", err, p.Comments)
	}
	for _, bad := range []string{`"heapdiff":{"a":1},` + "\n", `"heapdiff":["` + strings.Repeat("x", 70<<10) + `"],` + "\n", `"heapdiff":[1],` + "\n"} {
		if _, err := Parse("x.heapsnapshot", []byte(smallSnapshot(bad)), Options{}); err == nil || !errors.Is(err, ErrMalformed) && !strings.Contains(err.Error(), "longer than") {
			t.Errorf("member %.40s...: %v, want a refusal", bad, err)
		}
	}
}
