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
			Count int64  `json:"count"`
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

// TestObjectSizesAsDevTools compares, class by class, two pairs of
// snapshots of one Node.js process each (gen/sessions/main.js,
// gen/usersessions/main.js) with Chrome DevTools' own Comparison view (its
// heap snapshot code run under Node.js by gen/devtools-classes.mjs): each of
// DevTools' rows is one row here, with its objects in both snapshots, and
// # new, # deleted, Alloc. Size, Freed Size and Size Delta are DevTools'.
// A class the two snapshots label differently (usersessions: a module
// loaded between them defines a second UserSession) is still one row.
// DevTools' Size Delta differs from the change of the class's shallow size
// where objects in both snapshots changed size: the array that keeps
// session-a.js's Sessions doubled in place (its elements' store is its own,
// so its size), and is not a new Array.
func TestObjectSizesAsDevTools(t *testing.T) {
	for _, dir := range []string{"sessions", "usersessions"} {
		t.Run(dir, func(t *testing.T) {
			c, rows, differ := compareWithDevTools(t, "../testdata/node/"+dir+"/")
			_, shallow, _ := snapshotTypes(t, c)
			// The pair has classes whose objects changed size in place:
			// the two columns are not one.
			if differ == 0 {
				t.Error("every class's size delta equals its shallow size's change: the pair does not tell them apart")
			}
			if dir != "sessions" {
				return
			}
			if a := rows["Array"]; a.Objects == nil || a.Flat[shallow].Delta() < a.Objects.SizeDelta()+8*1000 {
				t.Errorf("Array: objects %+v, shallow delta %d; want the shallow size to grow by the 1000 elements added in place, beyond the size delta (new minus deleted)", a.Objects, a.Flat[shallow].Delta())
			}
		})
	}
}

// compareWithDevTools compares the pair of dir with DevTools' rows in its
// devtools-classes.json, and returns the comparison, its rows by name, and
// how many rows have a size delta (DevTools') other than the change of
// their shallow size.
func compareWithDevTools(t *testing.T, dir string) (c *Comparison, rows map[string]Row, differ int) {
	t.Helper()
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
	c, err = Compare(ps[0], ps[1], Options{By: ByClass})
	if err != nil {
		t.Fatal(err)
	}
	// Which class holds each object, by the label its snapshot gives it.
	classOf := func(p *profile.Profile) map[uint64]string {
		m := map[uint64]string{}
		for i, st := range p.Stacks {
			for _, id := range p.Objects[i].IDs {
				m[id] = p.Frames[st.Frames[0]].Function
			}
		}
		return m
	}
	inBase, inTarget := classOf(ps[0]), classOf(ps[1])
	rows = map[string]Row{}
	for _, r := range c.Rows {
		rows[r.Name] = r
	}
	count, shallow, _ := snapshotTypes(t, c)
	compared := 0
	for _, d := range dt.Rows {
		// The row's label is the longer of the snapshots' labels: the
		// one that tells the class from more of its name.
		var label string
		var want [2]int64
		if d.Base != nil {
			label, want[0] = inBase[d.Base.MinID], d.Base.Count
		}
		if d.Target != nil {
			if l := inTarget[d.Target.MinID]; len(l) > len(label) {
				label = l
			}
			want[1] = d.Target.Count
		}
		r, ok := rows[label]
		if label == "" || !ok {
			t.Errorf("DevTools' row %s is no row here (label %q)", d.Key, label)
			continue
		}
		if got := [2]int64{r.Flat[count].Base, r.Flat[count].Target}; got != want {
			t.Errorf("%s: %v objects; DevTools' %s: %v", label, got, d.Key, want)
		}
		if r.Objects == nil {
			t.Errorf("%s: no new or deleted objects counted", label)
			continue
		}
		var o ObjectChange
		if d.Diff != nil {
			o = ObjectChange{New: d.Diff.Added, Deleted: d.Diff.Removed, NewSize: d.Diff.AddedSize, DeletedSize: d.Diff.RemovedSize}
		}
		if *r.Objects != o {
			t.Errorf("%s: %+v; DevTools' %s: %+v", label, *r.Objects, d.Key, o)
		}
		if got := r.Objects.SizeDelta(); got != o.NewSize-o.DeletedSize {
			t.Errorf("%s: size delta %d, DevTools' %d", label, got, o.NewSize-o.DeletedSize)
		}
		if r.Objects.SizeDelta() != r.Flat[shallow].Delta() {
			differ++
		}
		compared++
	}
	if compared != len(c.Rows) {
		t.Errorf("compared %d rows of %d", compared, len(c.Rows))
	}
	return c, rows, differ
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
