package nodemon

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

// The metadata goes right before "nodes" wherever the chunks split the
// stream, even inside the key; the result is the same JSON with one more
// member.
func TestInserterAcrossChunks(t *testing.T) {
	snap := []byte(`{"snapshot":{"meta":{"node_fields":["a"],"node_count":1},"x":"nodes"},` + "\n" + `"nodes":[1],"strings":["nodes"]}`)
	want := []byte(`{"snapshot":{"meta":{"node_fields":["a"],"node_count":1},"x":"nodes"},` + "\n" +
		`"heapdiff":["heapdiff.trigger=x"],` + "\n" + `"nodes":[1],"strings":["nodes"]}`)
	for size := 1; size <= len(snap); size++ {
		var out bytes.Buffer
		in := &inserter{w: &out, member: metadataMember([]string{"heapdiff.trigger=x"})}
		for i := 0; i < len(snap); i += size {
			in.Write(snap[i:min(i+size, len(snap))])
		}
		if err := in.close(); err != nil || !bytes.Equal(out.Bytes(), want) {
			t.Fatalf("chunks of %d: %v\n%s", size, err, out.Bytes())
		}
	}
	var v map[string]any
	if err := json.Unmarshal(want, &v); err != nil || v["heapdiff"] == nil {
		t.Fatalf("not JSON with the member: %v", err)
	}
	in := &inserter{w: &bytes.Buffer{}}
	in.Write([]byte(`{"snapshot":{}}`))
	if in.close() == nil {
		t.Error("a snapshot with no nodes was accepted")
	}
}

// Names are Node.js's pattern in local time and read back as written;
// other names are not taken for capture's.
func TestFileNames(t *testing.T) {
	at := time.Date(2026, 12, 1, 9, 5, 7, 0, time.Local)
	name := fileName(at, 4242, 7, extSnapshot)
	if name != "Heap.20261201.090507.4242.0.007.heapsnapshot" {
		t.Errorf("name %s", name)
	}
	n, ok := parseFileName(name)
	if !ok || !n.Time.Equal(at) || n.PID != 4242 || n.Seq != 7 {
		t.Errorf("parsed %+v %v", n, ok)
	}
	for _, bad := range []string{"Heap.20261201.090507.4242.1.007.heapsnapshot", "Heap-20261101-090507-4242-0.heapsnapshot",
		"Heap.20261301.090507.4242.0.007.heapsnapshot", "heap-20261126T154210Z-bot1-4242-0007-signal.pb.gz", "Heap.20261201.090507.4242.0.007.json"} {
		if _, ok := parseFileName(bad); ok {
			t.Errorf("%s taken for a capture file", bad)
		}
	}
}
