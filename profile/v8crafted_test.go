package profile

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// dupTypeSnapshot lists "type" twice in node_fields: a node then has two
// type values but one name, one id and one edge count.
const dupTypeSnapshot = `{"snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count","type"],
"node_types":[["hidden","object"],"string","number","number","number","number"],
"edge_fields":["type","name_or_index","to_node"],"edge_types":[["property","internal"],"string_or_number","node"]},
"node_count":2,"edge_count":1},
"nodes":[0,0,1,0,1,1, 1,1,3,100,0,1],
"edges":[0,1,6],
"strings":["","A"]}`

// manyEdgeTypesSnapshot lists 301 edge types with "internal" at index 255,
// and its one edge has type 300: a type that does not fit a byte must not be
// taken for another.
func manyEdgeTypesSnapshot() string {
	var types []string
	for i := range 301 {
		name := fmt.Sprintf("t%d", i)
		if i == 255 {
			name = "internal"
		}
		types = append(types, `"`+name+`"`)
	}
	return `{"snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count"],
"node_types":[["hidden","object"],"string","number","number","number"],
"edge_fields":["type","name_or_index","to_node"],"edge_types":[[` + strings.Join(types, ",") + `],"string_or_number","node"]},
"node_count":2,"edge_count":1},
"nodes":[0,0,1,0,1, 1,1,3,100,0],
"edges":[300,1,5],
"strings":["","A"]}`
}

// TestSnapshotCraftedHeaders feeds snapshots whose header is crafted to
// break the decoder's bookkeeping: each is refused with a one-line
// ErrMalformed, none panics.
func TestSnapshotCraftedHeaders(t *testing.T) {
	for _, tt := range []struct {
		name, data, want string
	}{
		{"duplicate node field", dupTypeSnapshot, `node_fields lists "type" twice`},
		{"duplicate edge field", strings.Replace(handSnapshot, `"edge_fields":["type","name_or_index","to_node"]`, `"edge_fields":["type","name_or_index","to_node","to_node"]`, 1), `edge_fields lists "to_node" twice`},
		{"edge type past a byte", manyEdgeTypesSnapshot(), "edge type 300"},
		{"node type past a byte", strings.Replace(handSnapshot, `"nodes":[2,0,1,0,2,`, `"nodes":[256,0,1,0,2,`, 1), "node type 256"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for _, opts := range []Options{{}, {AllocationStacks: true}} {
				_, err := Parse("crafted.heapsnapshot", []byte(tt.data), opts)
				if !errors.Is(err, ErrMalformed) || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "crafted.heapsnapshot") {
					t.Fatalf("Parse = %v, want a one-line ErrMalformed naming the file and saying %q", err, tt.want)
				}
			}
		})
	}
}
