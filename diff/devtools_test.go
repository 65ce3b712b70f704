package diff

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/heapdiff/heapdiff/profile"
)

// devtoolsComparison is what testdata/node/gen/devtools-classes.mjs wrote
// for a pair: Chrome DevTools' own rows by its class keys, each with the
// smallest id of its objects in each snapshot and, where objects were
// added or removed, its Comparison view's numbers.
type devtoolsComparison struct {
	Files []string `json:"files"`
	Rows  []struct {
		Key          string `json:"key"`
		Base, Target *struct {
			MinID uint64 `json:"minId"`
		}
		Diff *struct {
			Added       int64 `json:"added"`
			Removed     int64 `json:"removed"`
			AddedSize   int64 `json:"addedSize"`
			RemovedSize int64 `json:"removedSize"`
		} `json:"diff"`
	} `json:"rows"`
}

// TestObjectSizesAsDevTools compares, class by class, the sessions pair
// (gen/sessions/main.js, two snapshots of one Node.js process) with Chrome
// DevTools' own Comparison view (its heap snapshot code run under Node.js
// by gen/devtools-classes.mjs): # new, # deleted, Alloc. Size, Freed Size
// and Size Delta are DevTools' for every row. DevTools' Size Delta differs
// from the change of the class's shallow size where objects in both
// snapshots changed size: the array that keeps session-a.js's Sessions
// doubled in place (its elements' store is its own, so its size), and is
// not a new Array.
func TestObjectSizesAsDevTools(t *testing.T) {
	dir := "../testdata/node/sessions/"
	data, err := os.ReadFile(dir + "devtools-classes.json")
	if err != nil {
		t.Fatal(err)
	}
	var dt devtoolsComparison
	if err := json.Unmarshal(data, &dt); err != nil {
		t.Fatal(err)
	}
	if len(dt.Files) != 2 {
		t.Fatalf("DevTools' rows are of %d snapshots, want a pair", len(dt.Files))
	}
	ps, err := profile.LoadAll([]string{filepath.Join(dir, dt.Files[0]+".gz"), filepath.Join(dir, dt.Files[1]+".gz")}, profile.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := Compare(ps[0], ps[1], Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Which class holds each object, by the label its row has.
	classOf := func(p *profile.Profile) map[uint64]string {
		m := map[uint64]string{}
		for _, st := range p.Stacks {
			for _, id := range st.IDs {
				m[id] = p.Frames[st.Frames[0]].Function
			}
		}
		return m
	}
	inBase, inTarget := classOf(ps[0]), classOf(ps[1])
	rows := map[string]Row{}
	for _, r := range c.Rows {
		rows[r.Name] = r
	}
	_, shallow, _ := snapshotTypes(t, c)
	compared, differ := 0, 0
	for _, d := range dt.Rows {
		label := ""
		switch {
		case d.Target != nil:
			label = inTarget[d.Target.MinID]
		case d.Base != nil:
			label = inBase[d.Base.MinID]
		}
		r, ok := rows[label]
		if label == "" || !ok {
			t.Errorf("DevTools' row %s is no row here (label %q)", d.Key, label)
			continue
		}
		if r.Objects == nil {
			t.Errorf("%s: no new or deleted objects counted", label)
			continue
		}
		var want ObjectChange
		if d.Diff != nil {
			want = ObjectChange{New: d.Diff.Added, Deleted: d.Diff.Removed, NewSize: d.Diff.AddedSize, DeletedSize: d.Diff.RemovedSize}
		}
		if *r.Objects != want {
			t.Errorf("%s: %+v; DevTools' %s: %+v", label, *r.Objects, d.Key, want)
		}
		if got := r.Objects.SizeDelta(); got != want.NewSize-want.DeletedSize {
			t.Errorf("%s: size delta %d, DevTools' %d", label, got, want.NewSize-want.DeletedSize)
		}
		if r.Objects.SizeDelta() != r.Flat[shallow].Delta() {
			differ++
		}
		compared++
	}
	if compared != len(c.Rows) {
		t.Errorf("compared %d rows of %d", compared, len(c.Rows))
	}
	// The pair has classes whose objects changed size in place: the two
	// columns are not one.
	if differ == 0 {
		t.Error("every class's size delta equals its shallow size's change: the pair does not tell them apart")
	}
	if a := rows["Array"]; a.Objects == nil || a.Flat[shallow].Delta() < a.Objects.SizeDelta()+8*1000 {
		t.Errorf("Array: objects %+v, shallow delta %d; want the shallow size to grow by the 1000 elements added in place, beyond the size delta (new minus deleted)", a.Objects, a.Flat[shallow].Delta())
	}
}

// snapshotTypes finds the indexes of a heap snapshot comparison's types.
func snapshotTypes(t *testing.T, c *Comparison) (count, shallow, retained int) {
	t.Helper()
	count, shallow, retained = -1, -1, -1
	for i, typ := range c.Types {
		switch typ {
		case profile.SnapshotObjects:
			count = i
		case profile.SnapshotShallowSize:
			shallow = i
		case profile.SnapshotRetainedSize:
			retained = i
		}
	}
	if count < 0 || shallow < 0 || retained < 0 {
		t.Fatalf("types %v are not a heap snapshot's", c.Types)
	}
	return count, shallow, retained
}
