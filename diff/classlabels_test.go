package diff

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/heapdiff/heapdiff/profile"
)

// userSessionFacts is what gen/usersessions/main.js knew of its two
// snapshots: how many sessions of each module's UserSession it kept.
type userSessionFacts struct {
	UserSessions  [2]int64 `json:"userSessions"`
	AdminSessions [2]int64 `json:"adminSessions"`
	UploadBytes   int64    `json:"uploadBytes"`
	ProfileChars  int64    `json:"profileChars"`
}

func loadUserSessions(t *testing.T) ([]*profile.Profile, userSessionFacts) {
	t.Helper()
	var facts userSessionFacts
	data, err := os.ReadFile("../testdata/node/usersessions/facts.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &facts); err != nil {
		t.Fatal(err)
	}
	return loadNode(t, "usersessions/before.heapsnapshot.gz", "usersessions/after.heapsnapshot.gz"), facts
}

// TestClassLabelsAcrossSnapshots: admin-session.js, loaded between the two
// snapshots of gen/usersessions/main.js, defines a second class UserSession.
// The first snapshot, which knows one, labels user-session.js's plain
// "UserSession"; the second labels both with their files. The comparison
// matches the class by its key and labels it as the second snapshot does:
// one row of 100 → 1100 sessions, 1000 new, and no row of 100 gone ones.
func TestClassLabelsAcrossSnapshots(t *testing.T) {
	ps, facts := loadUserSessions(t)
	labels := func(p *profile.Profile) []string {
		var out []string
		for _, f := range p.Frames {
			if strings.HasPrefix(f.Function, "UserSession") {
				out = append(out, f.Function)
			}
		}
		slices.Sort(out)
		return out
	}
	user, admin := "UserSession (user-session.js:6)", "UserSession (admin-session.js:6)"
	// The snapshots' own labels differ: the case this test is about.
	if b, a := labels(ps[0]), labels(ps[1]); !slices.Equal(b, []string{"UserSession"}) || !slices.Equal(a, []string{admin, user}) {
		t.Fatalf("the snapshots label %q and %q; want the plain name, then both with files", b, a)
	}
	c, err := Compare(ps[0], ps[1], Options{By: ByClass})
	if err != nil {
		t.Fatal(err)
	}
	count, _, _ := snapshotTypes(t, c)
	var names []string
	for _, r := range c.Rows {
		if strings.HasPrefix(r.Name, "UserSession") {
			names = append(names, r.Name)
		}
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{admin, user}) {
		t.Fatalf("rows %q, want %q and %q", names, admin, user)
	}
	u, a := rowNamed(t, c, user), rowNamed(t, c, admin)
	if ch := u.Flat[count]; ch.Base != facts.UserSessions[0] || ch.Target != facts.UserSessions[1] ||
		u.Objects == nil || u.Objects.New != facts.UserSessions[1]-facts.UserSessions[0] || u.Objects.Deleted != 0 {
		t.Errorf("%s: %d → %d objects, %+v; want %v, all the new ones new", user, ch.Base, ch.Target, u.Objects, facts.UserSessions)
	}
	if ch := a.Flat[count]; ch.Base != facts.AdminSessions[0] || ch.Target != facts.AdminSessions[1] || u.Frames[0].Function != user {
		t.Errorf("%s: %d → %d objects, want %v", admin, ch.Base, ch.Target, facts.AdminSessions)
	}

	// A trend labels the series so too, whichever snapshot comes first.
	for _, order := range [][]int{{0, 1, 1}, {1, 0, 0}} {
		b := NewTrend(TrendOptions{Options: Options{By: ByClass, SampleIndex: "objects"}, AllowMixed: true})
		for i, k := range order {
			p := *ps[k]
			p.Time = time.Date(2026, 12, 1, 10, i, 0, 0, time.UTC)
			if err := b.Add(&p); err != nil {
				t.Fatal(err)
			}
		}
		tr, err := b.Trend()
		if err != nil {
			t.Fatal(err)
		}
		var series []string
		for _, s := range tr.Series {
			if strings.HasPrefix(s.Name, "UserSession") {
				series = append(series, s.Name)
			}
		}
		slices.Sort(series)
		if !slices.Equal(series, []string{admin, user}) {
			t.Errorf("trend of snapshots %v: series %q, want %q and %q", order, series, admin, user)
		}
	}
}

// classView is a heap snapshot's class view of one object per class, with
// the given labels and keys, for tests of labels.
func classView(name string, labels, keys []string, firstID uint64) *profile.Profile {
	p := &profile.Profile{Name: name, Format: profile.FormatV8Snapshot,
		SampleTypes: []profile.ValueType{profile.SnapshotObjects, profile.SnapshotShallowSize, profile.SnapshotRetainedSize},
		ClassKeys:   keys}
	for i, l := range labels {
		p.Frames = append(p.Frames, profile.Frame{Function: l})
		p.Stacks = append(p.Stacks, profile.Stack{Frames: []int32{int32(i)}, Values: []int64{1, 16, 16}})
		p.Objects = append(p.Objects, profile.Objects{IDs: []uint64{firstID + uint64(i)}, Sizes: []uint32{16}})
	}
	return p
}

// TestSameLabelTwoClasses: two snapshots each with one class named Session,
// defined in two places (a module replaced by another between them), each
// label the class plainly. Matched by key they are two classes, one gone and
// one new, and as they would share a label they are labelled by their keys.
// A class keyed by its name alone keeps its name.
func TestSameLabelTwoClasses(t *testing.T) {
	a, b := "Session (/app/a.js:1:1)", "Session (/app/b.js:1:1)"
	base := classView("base", []string{"Session", "Object"}, []string{a, "Object"}, 1)
	target := classView("target", []string{"Session", "Object"}, []string{b, "Object"}, 1)
	c, err := Compare(base, target, Options{By: ByClass})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Change{}
	for _, r := range c.Rows {
		got[r.Name] = r.Flat[0]
	}
	if len(got) != 3 || got[a] != (Change{Base: 1, Target: 0, Significant: true}) || got[b] != (Change{Base: 0, Target: 1, Significant: true}) || got["Object"].Delta() != 0 {
		t.Errorf("rows %v; want %s gone, %s new and Object unchanged", got, a, b)
	}
}
