package diff

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/heapdiff/heapdiff/profile"
)

const retainersData = "../testdata/node/retainers/"

// retainersCounts reads the entries retainers.js counted in each of its
// collections at each snapshot (facts.json).
func retainersCounts(t *testing.T) []map[string]int64 {
	t.Helper()
	var facts struct {
		Snapshots []struct {
			Counts map[string]int64 `json:"counts"`
		} `json:"snapshots"`
	}
	data, err := os.ReadFile(retainersData + "facts.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &facts); err != nil {
		t.Fatal(err)
	}
	var out []map[string]int64
	for _, s := range facts.Snapshots {
		out = append(out, s.Counts)
	}
	return out
}

func loadRetainers(t *testing.T, names ...string) []*profile.Profile {
	t.Helper()
	var paths []string
	for _, n := range names {
		paths = append(paths, retainersData+n)
	}
	ps, err := profile.LoadAll(paths, profile.Options{Retainers: true})
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

// TestFindHolders: on two snapshots of retainers.js, the paths of every
// class that grew are of exactly its new objects (as many as the row's #
// new), and the collections that grew are the program's, with its counts.
func TestFindHolders(t *testing.T) {
	ps := loadRetainers(t, "retainers-1.heapsnapshot.gz", "retainers-2.heapsnapshot.gz")
	if ps[0].Retainers != nil || ps[0].Collections == nil || ps[1].Retainers == nil {
		t.Fatalf("LoadAll kept retainers %v and collections %v for the base, retainers %v for the target; want collections only, then retainers",
			ps[0].Retainers != nil, ps[0].Collections != nil, ps[1].Retainers != nil)
	}
	c, err := Compare(ps[0], ps[1], Options{By: ByClass})
	if err != nil {
		t.Fatal(err)
	}
	h := FindHolders(c, ps[0], ps[1], HolderOptions{})
	if h.Unavailable != "" || !h.NewOnly {
		t.Fatalf("unavailable %q, new only %v", h.Unavailable, h.NewOnly)
	}
	if len(h.Classes) != DefaultHolderClasses {
		t.Errorf("%d classes, want %d", len(h.Classes), DefaultHolderClasses)
	}
	rows := map[string]Row{}
	for _, r := range c.Rows {
		rows[r.Frames[0].Function] = r
	}
	for _, ch := range h.Classes {
		r := rows[ch.Class]
		if r.Objects == nil || ch.Objects != r.Objects.New {
			t.Errorf("%s: paths of %d objects, the row has %+v new", ch.Class, ch.Objects, r.Objects)
		}
		var sum int64
		for _, p := range ch.Paths {
			sum += p.Objects
		}
		if ch.Omitted == 0 && sum != ch.Objects {
			t.Errorf("%s: the paths hold %d objects of %d", ch.Class, sum, ch.Objects)
		}
	}
	counts := retainersCounts(t)
	got := map[string][]int64{}
	for _, g := range h.Collections {
		got[g.Label] = g.Entries
	}
	for label, after := range counts[2] {
		before := counts[1][label]
		want := []int64{before, after}
		if after <= before {
			if _, ok := got[label]; ok {
				t.Errorf("%s did not grow (%d → %d) but is listed", label, before, after)
			}
			continue
		}
		if !slices.Equal(got[label], want) {
			t.Errorf("%s: entries %v, want %v", label, got[label], want)
		}
	}
}

// TestGrewAtEveryStep: of retainers.js's collections, those that grew at
// each of its three snapshots are listed, with the program's counts, and
// the Map that grew once and was then emptied is not.
func TestGrewAtEveryStep(t *testing.T) {
	ps := loadRetainers(t, "retainers-0.heapsnapshot.gz", "retainers-1.heapsnapshot.gz", "retainers-2.heapsnapshot.gz")
	b := NewTrend(TrendOptions{Options: Options{By: ByClass}})
	for _, p := range ps {
		if err := b.Add(p); err != nil {
			t.Fatal(err)
		}
	}
	tr, err := b.Trend()
	if err != nil {
		t.Fatal(err)
	}
	counts := retainersCounts(t)
	got := map[string][]int64{}
	for _, g := range tr.Collections {
		got[g.Label] = g.Entries
		if len(g.Path.Steps) == 0 {
			t.Errorf("%s @%d has no path", g.Label, g.ID)
		}
	}
	var want []string
	for label := range counts[0] {
		series := []int64{counts[0][label], counts[1][label], counts[2][label]}
		grew := series[0] >= minEntriesTest && series[1] > series[0] && series[2] > series[1]
		if !grew {
			if _, ok := got[label]; ok {
				t.Errorf("%s (%v) did not grow at every step but is listed", label, series)
			}
			continue
		}
		want = append(want, label)
		if !slices.Equal(got[label], series) {
			t.Errorf("%s: entries %v, want %v", label, got[label], series)
		}
	}
	if len(want) < 6 {
		t.Fatalf("only %d collections grew at every step in facts.json", len(want))
	}
	if _, ok := got["recent"]; ok {
		t.Error("recent, which grew once and was emptied, is listed")
	}
}

// minEntriesTest is the fewest entries a collection is listed with.
const minEntriesTest = 8

// TestHoldersUnavailable: Go heap profiles have no object graph, and a
// snapshot loaded without retainers has none kept: FindHolders says so
// instead of returning nothing.
func TestHoldersUnavailable(t *testing.T) {
	ps, err := profile.LoadAll([]string{"../testdata/leaky/heap-01.pb.gz", "../testdata/leaky/heap-12.pb.gz"}, profile.Options{Retainers: true})
	if err != nil {
		t.Fatal(err)
	}
	c, err := Compare(ps[0], ps[1], Options{})
	if err != nil {
		t.Fatal(err)
	}
	if h := FindHolders(c, ps[0], ps[1], HolderOptions{}); h.Unavailable != NoObjectGraph || len(h.Classes) != 0 {
		t.Errorf("Go profiles: %+v", h)
	}
	ps, err = profile.LoadAll([]string{retainersData + "retainers-1.heapsnapshot.gz", retainersData + "retainers-2.heapsnapshot.gz"}, profile.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c, err = Compare(ps[0], ps[1], Options{By: ByClass})
	if err != nil {
		t.Fatal(err)
	}
	if h := FindHolders(c, ps[0], ps[1], HolderOptions{}); !strings.Contains(h.Unavailable, "without retainers") {
		t.Errorf("snapshots loaded without retainers: %+v", h)
	}
}

// TestHoldersWithoutStableIDs: Bun renumbers objects at every snapshot,
// so new objects cannot be told apart: the paths are of every object of a
// class, said so, and no collection is matched.
func TestHoldersWithoutStableIDs(t *testing.T) {
	ps, err := profile.LoadAll([]string{"../testdata/node/bun-before.heapsnapshot.gz", "../testdata/node/bun-after.heapsnapshot.gz"}, profile.Options{Retainers: true})
	if err != nil {
		t.Fatal(err)
	}
	c, err := Compare(ps[0], ps[1], Options{By: ByClass})
	if err != nil {
		t.Fatal(err)
	}
	h := FindHolders(c, ps[0], ps[1], HolderOptions{Classes: 3})
	if h.NewOnly || len(h.Collections) != 0 || len(h.Classes) == 0 {
		t.Fatalf("new only %v, %d collections, %d classes", h.NewOnly, len(h.Collections), len(h.Classes))
	}
	for _, ch := range h.Classes {
		for _, st := range ps[1].Stacks {
			if ps[1].Frames[st.Frames[0]].Function == ch.Class && ch.Objects != st.Values[0] {
				t.Errorf("%s: paths of %d objects, the class has %d", ch.Class, ch.Objects, st.Values[0])
			}
		}
	}
}
