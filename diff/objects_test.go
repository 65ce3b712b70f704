package diff

import (
	"regexp"
	"strings"
	"testing"

	"github.com/heapdiff/heapdiff/profile"
)

func loadNode(t *testing.T, names ...string) []*profile.Profile {
	t.Helper()
	var paths []string
	for _, n := range names {
		paths = append(paths, "../testdata/node/"+n)
	}
	ps, err := profile.LoadAll(paths, profile.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

func rowNamed(t *testing.T, c *Comparison, name string) Row {
	t.Helper()
	for _, r := range c.Rows {
		if r.Name == name {
			return r
		}
	}
	t.Fatalf("no row %q", name)
	return Row{}
}

// TestSnapshotObjectChanges compares the leaky Node pair: the 1000 sessions
// created between the snapshots are new, none is deleted.
func TestSnapshotObjectChanges(t *testing.T) {
	ps := loadNode(t, "leaky-before.heapsnapshot.gz", "leaky-after.heapsnapshot.gz")
	c, err := Compare(ps[0], ps[1], Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := rowNamed(t, c, "LeakySession")
	if r.Objects == nil || r.Objects.New != 1000 || r.Objects.Deleted != 0 || r.Flat[0].Delta() != 1000 {
		t.Fatalf("LeakySession: objects %+v, count delta %d; want 1000 new, 0 deleted, +1000", r.Objects, r.Flat[0].Delta())
	}
	for _, row := range c.Rows {
		if o := row.Objects; o == nil || o.New-o.Deleted != row.Flat[0].Delta() {
			t.Errorf("%s: objects %+v do not add up to the count delta %d", row.Name, o, row.Flat[0].Delta())
		}
	}
}

// TestBunIDsDoNotMatch: Bun renumbers objects, so only count deltas are
// shown, with a warning.
func TestBunIDsDoNotMatch(t *testing.T) {
	ps := loadNode(t, "bun-before.heapsnapshot.gz", "bun-after.heapsnapshot.gz")
	c, err := Compare(ps[0], ps[1], Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r := rowNamed(t, c, "LeakySession"); r.Objects != nil || r.Flat[0].Delta() != 1000 {
		t.Errorf("LeakySession: objects %+v, delta %d; want no object counts and +1000", r.Objects, r.Flat[0].Delta())
	}
	if !warned(c, "do not match") {
		t.Errorf("no warning about object ids in %v", c.Warnings)
	}
}

func warned(c *Comparison, s string) bool {
	for _, w := range c.Warnings {
		if strings.Contains(w.Error(), s) {
			return true
		}
	}
	return false
}

func TestDifferentKindsRefused(t *testing.T) {
	ps := loadNode(t, "leaky-before.heapsnapshot.gz", "datadog-after.pb.gz", "after.heapprofile.gz")
	for _, pair := range [][2]int{{0, 1}, {1, 0}, {2, 1}, {0, 2}} {
		_, err := Compare(ps[pair[0]], ps[pair[1]], Options{})
		if err == nil || !strings.Contains(err.Error(), "cannot be compared") {
			t.Errorf("%s vs %s: %v, want a refusal", ps[pair[0]].Name, ps[pair[1]].Name, err)
		}
	}
}

func TestMergeCount(t *testing.T) {
	base := classObjects{[]uint64{1, 3, 5, 7}, []uint32{10, 30, 50, 70}}
	target := classObjects{[]uint64{3, 4, 7, 9, 11}, []uint32{31, 40, 70, 90, 110}}
	o := mergeCount(base, target)
	want := ObjectChange{New: 3, Deleted: 2, NewSize: 40 + 90 + 110, DeletedSize: 10 + 50}
	if o != want || o.SizeDelta() != 180 {
		t.Errorf("mergeCount = %+v (size delta %d); want %+v (180): object 3 grew by a byte, and is neither new nor deleted", o, o.SizeDelta(), want)
	}
}

// TestRetainedTotalIsTheReachableHeap checks that the retained-size total of a
// snapshot comparison is what the snapshots' roots retain, not the sum of the
// classes' retained sizes, which overlap.
func TestRetainedTotalIsTheReachableHeap(t *testing.T) {
	ps := loadNode(t, "leaky-before.heapsnapshot.gz", "leaky-after.heapsnapshot.gz")
	c, err := Compare(ps[0], ps[1], Options{})
	if err != nil {
		t.Fatal(err)
	}
	var ri, si = -1, -1
	for i, typ := range c.Types {
		switch typ {
		case profile.SnapshotRetainedSize:
			ri = i
		case profile.SnapshotShallowSize:
			si = i
		}
	}
	total := c.Total[ri]
	if total.Base != ps[0].Whole["retained_size"] || total.Target != ps[1].Whole["retained_size"] {
		t.Errorf("retained total %+v, want the roots' %d and %d", total, ps[0].Whole["retained_size"], ps[1].Whole["retained_size"])
	}
	var sum int64
	for _, r := range c.Rows {
		sum += r.Flat[ri].Target
	}
	if total.Target >= sum {
		t.Errorf("retained total %d is not below the overlapping sum of classes %d", total.Target, sum)
	}
	// The reachable heap is at most the shallow size of all objects.
	if total.Target > c.Total[si].Target || total.Target < c.Total[si].Target/2 {
		t.Errorf("retained total %d, shallow total %d", total.Target, c.Total[si].Target)
	}
	// With a filter there is no whole value: the sum, and a warning.
	f, err := Compare(ps[0], ps[1], Options{Focus: regexp.MustCompile("Leaky")})
	if err != nil {
		t.Fatal(err)
	}
	if !hasWarning(f, "overlap") {
		t.Errorf("a filtered snapshot comparison does not warn about its retained total: %v", f.Warnings)
	}
}
