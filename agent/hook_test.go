package agent

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/heapdiff/heapdiff/agent/snapshot"
)

// A function given to OnSnapshot hears of every snapshot once its file is
// complete, with the metadata written into the profile, in the order the
// functions were added; one added later hears of later snapshots only.
func TestOnSnapshotSeesEachCompleteFile(t *testing.T) {
	a, _ := start(t)
	var first, second []Snapshot
	a.OnSnapshot(func(s Snapshot) {
		// The file is whole and named when the function runs.
		st, err := os.Stat(s.Path)
		if err != nil || st.Size() != s.Bytes {
			t.Errorf("OnSnapshot: %s: stat %v, size %v, want %d bytes", s.Path, err, st, s.Bytes)
		}
		first = append(first, s)
	})
	p1, err := a.Capture("one")
	if err != nil {
		t.Fatal(err)
	}
	a.OnSnapshot(func(s Snapshot) { second = append(second, s) })
	p2, err := a.Capture("two")
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 2 || first[0].Path != p1 || first[1].Path != p2 {
		t.Fatalf("first function saw %v, want %s then %s", first, p1, p2)
	}
	if len(second) != 1 || second[0].Path != p2 {
		t.Fatalf("function added after the first capture saw %v, want only %s", second, p2)
	}
	s := first[1]
	if n, ok := snapshot.ParseName(strings.TrimPrefix(s.Path, a.Dir()+string(os.PathSeparator))); !ok || n != s.Name {
		t.Errorf("Name %+v does not match the file name %s", s.Name, s.Path)
	}
	if s.Name.Seq != 2 || s.Name.Trigger != "manual" || s.Name.PID != os.Getpid() {
		t.Errorf("Name = %+v, want seq 2, trigger manual, pid %d", s.Name, os.Getpid())
	}
	// The comments are the ones in the file.
	inFile := comments(parse(t, s.Path))
	hooked := snapshot.ParseComments(s.Comments)
	for _, key := range []string{"trigger", "time", "host", "pid", "seq", "reason", "live_heap_bytes", "main_module"} {
		v, ok := hooked.Lookup(key)
		if !ok || v != inFile[key] {
			t.Errorf("comment %s: hook has %q (present %v), the file has %q", key, v, ok, inFile[key])
		}
	}
	if !slices.Equal(first[1].Comments, second[0].Comments) || &first[1].Comments[0] == &second[0].Comments[0] {
		t.Error("each function should get its own copy of the same comments")
	}
}
