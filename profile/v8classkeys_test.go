package profile

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// devtoolsRows is what testdata/node/gen/devtools-classes.mjs wrote: Chrome
// DevTools' own Summary rows (and Comparison, for a pair) by its class keys.
type devtoolsRows struct {
	Files []string `json:"files"`
	Rows  []struct {
		Key      string    `json:"key"`
		Name     string    `json:"name"`
		Location []int     `json:"location"`
		Base     *dtTotals `json:"base"`
		Target   *dtTotals `json:"target"`
		Diff     *struct {
			Added, Removed int64
		} `json:"diff"`
	} `json:"rows"`
}

type dtTotals struct {
	Count, Self, Retained int64
	MinID                 uint64 `json:"minId"`
	IDSum                 uint64 `json:"idSum"`
}

func loadDevtoolsRows(t *testing.T, path string) *devtoolsRows {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasSuffix(path, ".gz") {
		data = gunzipFile(t, path)
	}
	var d devtoolsRows
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatal(err)
	}
	if len(d.Rows) == 0 {
		t.Fatalf("%s: no rows", path)
	}
	return &d
}

// matchDevtools finds, for each of DevTools' rows in snapshot i of d, the
// stack of p holding the same objects: the one with the row's smallest id,
// which must hold as many objects, of the same sizes and ids. It checks
// that rows and stacks pair off one to one, and returns the label of each
// row's stack by its DevTools key.
func matchDevtools(t *testing.T, d *devtoolsRows, i int, p *Profile) map[string]string {
	t.Helper()
	stackOf := map[uint64]int{}
	for k := range p.Stacks {
		for _, id := range p.Objects[k].IDs {
			stackOf[id] = k
		}
	}
	labels := map[string]string{}
	claimed := map[int]string{}
	for _, r := range d.Rows {
		want := r.Base
		if i == 1 {
			want = r.Target
		}
		if want == nil {
			continue
		}
		k, ok := stackOf[want.MinID]
		if !ok {
			t.Errorf("%s: DevTools' row %q (%s) holds object @%d, which no class holds", p.Name, r.Name, r.Key, want.MinID)
			continue
		}
		if other, dup := claimed[k]; dup {
			t.Errorf("%s: DevTools' rows %s and %s are one class here", p.Name, other, r.Key)
		}
		claimed[k] = r.Key
		st, o := p.Stacks[k], p.Objects[k]
		var sum uint64
		for _, id := range o.IDs {
			sum += id
		}
		var size int64
		for _, sz := range o.Sizes {
			size += int64(sz)
		}
		label := p.Frames[st.Frames[0]].Function
		if len(o.Sizes) != len(o.IDs) || size != st.Values[1] {
			t.Errorf("%s: %d sizes of %d objects add up to %d, want its shallow size %d", label, len(o.Sizes), len(o.IDs), size, st.Values[1])
		}
		if st.Values[0] != want.Count || st.Values[1] != want.Self || st.Values[2] != want.Retained || sum != want.IDSum {
			t.Errorf("%s: %s: %d objects, %d bytes, retaining %d (id sum %d); DevTools' %s: %d, %d, %d (%d)",
				p.Name, label, st.Values[0], st.Values[1], st.Values[2], sum, r.Key, want.Count, want.Self, want.Retained, want.IDSum)
		}
		labels[r.Key] = label
	}
	if len(claimed) != len(p.Stacks) {
		t.Errorf("%s: %d classes, DevTools shows %d", p.Name, len(p.Stacks), len(claimed))
	}
	return labels
}

// TestClassesAsDevTools compares every class of real snapshots with Chrome
// DevTools' own Summary rows (its heap snapshot code, run by
// gen/devtools-classes.mjs): two modules' classes Session are two rows, as
// in DevTools, with the same objects, sizes and retained sizes; DOM nodes
// detached from a page are "Detached <div>"; and no row is split or merged
// that DevTools does not split or merge.
func TestClassesAsDevTools(t *testing.T) {
	for _, tc := range []struct{ dir, rows string }{
		{"sessions", "devtools-classes.json"}, // plain: trend sessions/ leaves it out
		{"chromium", "devtools-classes.json.gz"},
	} {
		dir := tc.dir
		t.Run(dir, func(t *testing.T) {
			d := loadDevtoolsRows(t, nodeData+dir+"/"+tc.rows)
			var profiles []*Profile
			for _, f := range d.Files {
				profiles = append(profiles, mustLoad(t, dir+"/"+f+".gz", Options{}))
			}
			// Names DevTools shows on more than one row, in either
			// snapshot: only those have their location in the label.
			keysOf := map[string]map[string]bool{}
			for _, r := range d.Rows {
				if keysOf[r.Name] == nil {
					keysOf[r.Name] = map[string]bool{}
				}
				keysOf[r.Name][r.Key] = true
			}
			labelOf := map[string]string{}
			for i, p := range profiles {
				if !p.IsClassView() {
					t.Fatalf("%s is not grouped by class", p.Name)
				}
				for key, label := range matchDevtools(t, d, i, p) {
					if prev, ok := labelOf[key]; ok && prev != label {
						t.Errorf("DevTools' row %s is %q in one snapshot and %q in the other", key, prev, label)
					}
					labelOf[key] = label
				}
			}
			seen := map[string]string{}
			for _, r := range d.Rows {
				label := labelOf[r.Key]
				if other, dup := seen[label]; dup {
					t.Errorf("DevTools' rows %s and %s are both labelled %q", other, r.Key, label)
				}
				seen[label] = r.Key
				qualified := strings.HasPrefix(label, r.Name+" (") && strings.HasSuffix(label, ")")
				switch {
				case len(keysOf[r.Name]) > 1 && r.Location != nil && !qualified:
					t.Errorf("DevTools shows %d rows named %s; this one (%s) is labelled %q, without its location", len(keysOf[r.Name]), r.Name, r.Key, label)
				case (len(keysOf[r.Name]) == 1 || r.Location == nil) && label != r.Name:
					t.Errorf("DevTools' row %s is labelled %q, want %q", r.Key, label, r.Name)
				}
			}
			if len(profiles) == 2 {
				checkNewAndDeleted(t, d, profiles[0], profiles[1])
			}
		})
	}
}

// checkNewAndDeleted compares, class by class, the objects only in the
// target (new) and only in the base (deleted) with DevTools' Comparison.
func checkNewAndDeleted(t *testing.T, d *devtoolsRows, base, target *Profile) {
	t.Helper()
	idsOf := func(p *Profile, minID uint64) []uint64 {
		for _, o := range p.Objects {
			for _, id := range o.IDs {
				if id == minID {
					return o.IDs
				}
			}
		}
		return nil
	}
	compared := 0
	for _, r := range d.Rows {
		if r.Diff == nil {
			continue
		}
		var b, a []uint64
		if r.Base != nil {
			b = idsOf(base, r.Base.MinID)
		}
		if r.Target != nil {
			a = idsOf(target, r.Target.MinID)
		}
		in := func(ids []uint64) map[uint64]bool {
			m := map[uint64]bool{}
			for _, id := range ids {
				m[id] = true
			}
			return m
		}
		inBase, inTarget := in(b), in(a)
		var added, removed int64
		for _, id := range a {
			if !inBase[id] {
				added++
			}
		}
		for _, id := range b {
			if !inTarget[id] {
				removed++
			}
		}
		if added != r.Diff.Added || removed != r.Diff.Removed {
			t.Errorf("%s: %d new, %d deleted; DevTools: %d, %d", r.Key, added, removed, r.Diff.Added, r.Diff.Removed)
		}
		compared++
	}
	if compared == 0 {
		t.Error("DevTools' Comparison has no rows")
	}
}

// lineOf returns the 1-based line of the first line of a file that
// contains text.
func lineOf(t *testing.T, path, text string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		if strings.Contains(sc.Text(), text) {
			return n
		}
	}
	t.Fatalf("%s has no line with %q", path, text)
	return 0
}

// sessionsPair loads gen/sessions/main.js's two snapshots, in order.
func sessionsPair(t *testing.T, opts Options) (before, after *Profile) {
	t.Helper()
	files, err := filepath.Glob(nodeData + "sessions/Heap.*.heapsnapshot.gz")
	if err != nil || len(files) != 2 {
		t.Fatalf("want the two snapshots of gen/sessions/main.js, found %q (%v)", files, err)
	}
	b, err := Load(files[0], opts)
	if err != nil {
		t.Fatal(err)
	}
	a, err := Load(files[1], opts)
	if err != nil {
		t.Fatal(err)
	}
	return b, a
}

// TestSameNamedClassesAreTwoRows: session-a.js's Session leaks 1000 objects,
// session-b.js's replaces its 1000; as one row they read +1000 Session, 2000
// new and 1000 deleted. Each is its own row, labelled with the file and line
// of its constructor, while uniquely named classes keep their names.
func TestSameNamedClassesAreTwoRows(t *testing.T) {
	before, after := sessionsPair(t, Options{})
	gen := nodeData + "gen/sessions/"
	labelA := "Session (session-a.js:" + strconv.Itoa(lineOf(t, gen+"session-a.js", "constructor(")) + ")"
	labelB := "Session (session-b.js:" + strconv.Itoa(lineOf(t, gen+"session-b.js", "constructor(")) + ")"
	b, a := classes(t, before), classes(t, after)
	for _, c := range []struct {
		label           string
		before, after   int64
		newObj, deleted int
	}{
		{labelA, 1000, 2000, 1000, 0},
		{labelB, 1000, 1000, 1000, 1000},
	} {
		bs, ok1 := b[c.label]
		as, ok2 := a[c.label]
		if !ok1 || !ok2 {
			t.Errorf("no class %q in both snapshots", c.label)
			continue
		}
		if bs.Values[0] != c.before || as.Values[0] != c.after {
			t.Errorf("%s: %d then %d objects, want %d then %d", c.label, bs.Values[0], as.Values[0], c.before, c.after)
		}
		if n, d := len(diffIDs(as.IDs, bs.IDs)), len(diffIDs(bs.IDs, as.IDs)); n != c.newObj || d != c.deleted {
			t.Errorf("%s: %d new, %d deleted, want %d and %d", c.label, n, d, c.newObj, c.deleted)
		}
	}
	if _, ok := a["Session"]; ok {
		t.Error(`a class is labelled plain "Session" although two modules define one`)
	}
	// Node's own classes, defined once, keep their plain names.
	for _, name := range []string{"Module", "EventEmitter"} {
		if _, ok := a[name]; !ok {
			t.Errorf("no class %q: a uniquely defined class lost its plain name", name)
		}
	}
}

// diffIDs returns the ids of a (sorted) not in b (sorted).
func diffIDs(a, b []uint64) []uint64 {
	var out []uint64
	j := 0
	for _, id := range a {
		for j < len(b) && b[j] < id {
			j++
		}
		if j == len(b) || b[j] != id {
			out = append(out, id)
		}
	}
	return out
}

// TestClosuresAreOneClass: DevTools names every closure "Function" (it does
// not split closures by name or location, HeapSnapshot.ts's
// classKeyInternal), so the 2000 onBroadcast closures and 500 anonymous
// ones main.js keeps are one row, as there (TestClassesAsDevTools checks the
// counts against DevTools' own).
func TestClosuresAreOneClass(t *testing.T) {
	before, after := sessionsPair(t, Options{})
	b, a := classes(t, before), classes(t, after)
	if d := a["Function"].Values[0] - b["Function"].Values[0]; d < 2490 || d > 2510 {
		t.Errorf("Function: %+d objects, want the 2500 closures kept, give or take a few of Node.js's own", d)
	}
	for name := range a {
		if strings.Contains(name, "onBroadcast") {
			t.Errorf("a class %q: closures are split by name, which DevTools does not do", name)
		}
	}
}

// TestClassKeysAcrossSnapshots: every class of DevTools' rows for the
// usersessions pair (gen/usersessions/main.js: a module defining a second
// UserSession is loaded between the snapshots, so the snapshots label
// user-session.js's class differently) has one key in both snapshots, the
// class's name with its script's path, line and column; keys tell each
// snapshot's classes apart, as labels do.
func TestClassKeysAcrossSnapshots(t *testing.T) {
	d := loadDevtoolsRows(t, nodeData+"usersessions/devtools-classes.json")
	var ps [2]*Profile
	keyOf := [2]map[uint64]string{}
	for i, f := range d.Files {
		p := mustLoad(t, "usersessions/"+f+".gz", Options{})
		if len(p.ClassKeys) != len(p.Frames) {
			t.Fatalf("%s: %d keys for %d classes", p.Name, len(p.ClassKeys), len(p.Frames))
		}
		seen := map[string]bool{}
		keyOf[i] = map[uint64]string{}
		for j, st := range p.Stacks {
			k := p.ClassKeys[st.Frames[0]]
			if seen[k] {
				t.Errorf("%s: two classes have the key %q", p.Name, k)
			}
			seen[k] = true
			for _, id := range p.Objects[j].IDs {
				keyOf[i][id] = k
			}
		}
		ps[i] = p
	}
	// V8 places a class's constructor at its parameters: line and column
	// of the "(" after "constructor", 1-based. The path is where the
	// generator ran.
	gen := nodeData + "gen/usersessions/user-session.js"
	wantKey := "/testdata/node/gen/usersessions/user-session.js:" + strconv.Itoa(lineOf(t, gen, "constructor(")) + ":" +
		strconv.Itoa(strings.Index(lineText(t, gen, "constructor("), "constructor(")+len("constructor")+1) + ")"
	found := false
	for _, r := range d.Rows {
		if r.Base == nil || r.Target == nil {
			continue
		}
		kb, kt := keyOf[0][r.Base.MinID], keyOf[1][r.Target.MinID]
		if kb != kt {
			t.Errorf("DevTools' row %s has the key %q in %s and %q in %s", r.Key, kb, ps[0].Name, kt, ps[1].Name)
		}
		found = found || strings.HasPrefix(kb, "UserSession (/") && strings.HasSuffix(kb, wantKey)
	}
	if !found {
		t.Errorf("no class has a key \"UserSession (/...%s\"", wantKey)
	}
}

// lineText returns the first line of a file that contains text.
func lineText(t *testing.T, path, text string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(data), "\n") {
		if strings.Contains(l, text) {
			return l
		}
	}
	t.Fatalf("%s has no line with %q", path, text)
	return ""
}
