package diff

import (
	"fmt"
	"strings"
	"testing"
)

// TestNotesBecomeWarnings checks a loader's notes about a profile (here:
// snapshots with allocation traces shown by class) reach the reader as
// warnings naming the file, in a comparison and, once for all the
// snapshots they concern, in a trend, while the comments keep only what
// the file said.
func TestNotesBecomeWarnings(t *testing.T) {
	ps := loadNode(t, "tracked-before.heapsnapshot.gz", "tracked-after.heapsnapshot.gz")
	for _, p := range ps {
		if len(p.Notes) == 0 {
			t.Fatalf("%s: no loader notes, want one saying it has allocation traces", p.Name)
		}
	}
	c, err := Compare(ps[0], ps[1], Options{By: GroupingFor(BySite, ps...)})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		want := p.Name + ": " + p.Notes[0]
		if !strings.Contains(fmt.Sprint(c.Warnings), want) {
			t.Errorf("comparison warnings %v lack %q", c.Warnings, want)
		}
		for _, s := range []Source{c.Base, c.Target} {
			if strings.Contains(strings.Join(s.Comments, " "), "--by") {
				t.Errorf("%s: comments %q hold the loader's advice", s.Name, s.Comments)
			}
		}
	}
	b := NewTrend(TrendOptions{Options: Options{By: GroupingFor(BySite, ps...)}})
	for _, p := range ps {
		if err := b.Add(p); err != nil {
			t.Fatal(err)
		}
	}
	tr, err := b.Trend()
	if err != nil {
		t.Fatal(err)
	}
	want := ps[0].Name + ", " + ps[1].Name + ": " + ps[0].Notes[0]
	if n := strings.Count(fmt.Sprint(tr.Warnings), ps[0].Notes[0]); n != 1 || !strings.Contains(fmt.Sprint(tr.Warnings), want) {
		t.Errorf("trend warnings %v: want %q once", tr.Warnings, want)
	}
}
