package profile

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/heapdiff/heapdiff/profile/v8"
)

// Retainer paths and collections as the model gives them: loaded with
// Options.Retainers, through the adapter. Package v8's tests check the
// algorithm against DevTools itself.

// retainersFacts is testdata/node/retainers/facts.json: how retainers.js
// holds each class, and its collections' entries at each snapshot.
type retainersFacts struct {
	First, Step int64
	Holders     map[string][]struct {
		Count string            `json:"count"`
		Path  []json.RawMessage `json:"path"`
	} `json:"holders"`
	Snapshots []struct {
		File   string           `json:"file"`
		Counts map[string]int64 `json:"counts"`
	} `json:"snapshots"`
}

func readRetainersFacts(t testing.TB) *retainersFacts {
	t.Helper()
	var f retainersFacts
	data, err := os.ReadFile("../testdata/node/retainers/facts.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	return &f
}

// holderStep is one element of a holder's path in facts.json: an edge
// [type, name] or an object's name, with globs.
type holderStep struct {
	edge      bool
	typ, name string
}

func parseHolder(raw []json.RawMessage) []holderStep {
	var out []holderStep
	for _, r := range raw {
		var name string
		if json.Unmarshal(r, &name) == nil {
			out = append(out, holderStep{name: name})
			continue
		}
		var e [2]string
		if err := json.Unmarshal(r, &e); err != nil {
			panic(err)
		}
		out = append(out, holderStep{edge: true, typ: e[0], name: e[1]})
	}
	return out
}

// globMatch matches a facts.json name, where "*" stands for anything.
func globMatch(pattern, s string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == s
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return strings.HasSuffix(s, parts[len(parts)-1])
}

// matchesHolder reports whether a path ends as a holder says, and where
// the holder's part starts in the path's steps.
func matchesHolder(p RetainerPath, h []holderStep) (int, bool) {
	// The holder alternates objects and edges; a path's step is the edge
	// into an object, then the object.
	var flat []holderStep
	for i, s := range p.Steps {
		if i > 0 {
			flat = append(flat, holderStep{edge: true, typ: s.EdgeType, name: s.EdgeName})
		}
		name := s.Name
		if s.NodeType == "object" || s.NodeType == "native" {
			name = s.Class
		}
		flat = append(flat, holderStep{name: name})
	}
	if len(h) > len(flat) {
		return 0, false
	}
	tail := flat[len(flat)-len(h):]
	for i, want := range h {
		got := tail[i]
		if want.edge != got.edge || want.typ != got.typ {
			return 0, false
		}
		if want.edge {
			if !globMatch(want.name, got.name) {
				return 0, false
			}
			continue
		}
		// DevTools names a plain object by its properties, "{a, b}".
		if !globMatch(want.name, got.name) && !(strings.HasPrefix(want.name, "{") && got.name == "Object") {
			return 0, false
		}
	}
	// Where the holder starts, counted in steps: its first element is an
	// edge (into step k) or an object (step k).
	k := len(p.Steps) - (len(h)+1)/2
	if !h[0].edge {
		k = len(p.Steps) - (len(h)+2)/2
	}
	return k, true
}

// TestRetainerPathsAsBuilt checks the clustered paths of the objects each
// snapshot of retainers.js added against how the program holds them
// (facts.json): every holder is one cluster of the right number of
// objects, whose path ends as the holder says, whose user part starts
// where the program's holding starts, and which never passes a weak edge
// or a WeakMap's table.
func TestRetainerPathsAsBuilt(t *testing.T) {
	facts := readRetainersFacts(t)
	var prevMax uint64
	for k, snap := range facts.Snapshots {
		t.Run(snap.File, func(t *testing.T) {
			p := mustLoad(t, "retainers/"+snap.File+".gz", Options{Retainers: true})
			added := facts.First
			if k > 0 {
				added = facts.Step
			}
			for class, holders := range facts.Holders {
				if class == "RecentEntry" && k != 1 {
					continue // made only before the second snapshot
				}
				res := p.Retainers.Paths(class, func(id uint64) bool { return id > prevMax }, 0)
				for _, h := range holders {
					want := added
					switch h.Count {
					case "a third":
						want = added / 3
					}
					steps := parseHolder(h.Path)
					n := 0
					for _, c := range res.Paths {
						start, ok := matchesHolder(c, steps)
						if !ok {
							continue
						}
						n++
						if c.Objects != want {
							t.Errorf("%s: %d objects held as %s, want %d", class, c.Objects, pathString(c), want)
						}
						if steps[0].edge && start != c.UserStart && c.Root != RootSystem {
							t.Errorf("%s: user part starts at step %d of %s, the program's holding at %d", class, c.UserStart, pathString(c), start)
						}
					}
					if n != 1 {
						t.Errorf("%s: %d clusters held as %s, want 1; got:", class, n, h.Path)
						for _, c := range res.Paths {
							t.Logf("  %d objects: %s", c.Objects, pathString(c))
						}
					}
				}
				for _, c := range res.Paths {
					for _, s := range c.Steps {
						if s.EdgeType == "weak" || s.Class == "WeakMap" || s.Class == "WeakRef" && s != c.Steps[len(c.Steps)-1] {
							t.Errorf("%s: a path through a weak edge or a WeakMap: %s", class, pathString(c))
						}
					}
				}
			}
			prevMax = p.MaxObjectID
		})
	}
}

// pathString writes a path for test messages.
func pathString(p RetainerPath) string {
	var b strings.Builder
	for i, s := range p.Steps {
		if i == p.UserStart {
			b.WriteString("| ")
		}
		if i > 0 {
			fmt.Fprintf(&b, " -%s:%s-> ", s.EdgeType, s.EdgeName)
		}
		fmt.Fprintf(&b, "%s/%s@%d", s.Class, s.Name, s.ID)
	}
	return b.String()
}

// TestCollectionsAsBuilt checks the collections each snapshot of
// retainers.js lists against the entries the program counted, finding each
// by the names on its path.
func TestCollectionsAsBuilt(t *testing.T) {
	facts := readRetainersFacts(t)
	for _, snap := range facts.Snapshots {
		t.Run(snap.File, func(t *testing.T) {
			p := mustLoad(t, "retainers/"+snap.File+".gz", Options{Retainers: true})
			list, least := p.Collections.List, p.Collections.Least
			if least != v8.MinCollectionEntries {
				t.Errorf("least %d, want %d", least, v8.MinCollectionEntries)
			}
			found := map[string]Collection{}
			for _, c := range list {
				path, ok := p.Retainers.PathOf(c.ID)
				if !ok {
					t.Fatalf("no path to collection @%d", c.ID)
				}
				if _, wanted := snap.Counts[path.Label()]; wanted {
					if prev, dup := found[path.Label()]; dup {
						t.Errorf("two collections %s: @%d and @%d", path.Label(), prev.ID, c.ID)
					}
					found[path.Label()] = c
				}
			}
			for label, want := range snap.Counts {
				got, ok := found[label]
				switch {
				case want < v8.MinCollectionEntries && ok:
					t.Errorf("%s: listed with %d entries, the program has %d (fewer than %d)", label, got.Entries, want, v8.MinCollectionEntries)
				case want >= v8.MinCollectionEntries && !ok:
					t.Errorf("%s: not listed; the program has %d entries", label, want)
				case ok && got.Entries != want:
					t.Errorf("%s (%s @%d): %d entries, the program has %d", label, got.Class, got.ID, got.Entries, want)
				}
			}
		})
	}
}

// TestRetainersPeakMemory loads, in a child process and with
// Options.Retainers, the snapshots whose nodes cost the fewest bytes each
// (two million objects of one class, twelve bytes a node in the file),
// reached by nothing or each hung from the root, and checks the child's
// peak resident memory against V8's rule: ten times the input and 64 MiB.
func TestRetainersPeakMemory(t *testing.T) {
	if path := os.Getenv("HEAPDIFF_RETAINERS_PEAK_FILE"); path != "" {
		p, err := Load(path, Options{Retainers: true})
		if err != nil {
			t.Fatal(err)
		}
		if r := p.Retainers.Paths("A", nil, 5); r.Objects == 0 {
			t.Fatal("no paths")
		}
		return
	}
	if runtime.GOOS != "linux" {
		t.Skip("peak memory is read from the child's rusage, in kilobytes on Linux")
	}
	if testing.Short() {
		t.Skip("writes inputs of up to 60 MB and loads them")
	}
	if raceDetector {
		t.Skip("peak memory means nothing under -race; .ci/run runs this without it")
	}
	const n = 2_000_000
	for _, hung := range []bool{false, true} {
		t.Run(fmt.Sprintf("hung from the root %v", hung), func(t *testing.T) {
			var b strings.Builder
			if hung {
				b.WriteString(v8TestHeader(n, n-1, 0, ""))
				b.WriteString(`,"nodes":[9,0,0,0,` + strconv.Itoa(n-1) + `,0`)
			} else {
				b.WriteString(v8TestHeader(n, 1, 0, ""))
				b.WriteString(`,"nodes":[9,0,0,0,1,0`)
			}
			for range n - 1 {
				b.WriteString(`,3,1,1,1,0,0`)
			}
			b.WriteString(`],"edges":[`)
			if hung {
				for i := 1; i < n; i++ {
					if i > 1 {
						b.WriteString(",")
					}
					b.WriteString("1," + strconv.Itoa(i) + "," + strconv.Itoa(6*i))
				}
			} else {
				b.WriteString("5,1,6")
			}
			b.WriteString(`],"strings":["","A"]}`)
			size := b.Len()
			path := filepath.Join(t.TempDir(), "minimal.heapsnapshot")
			if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
				t.Fatal(err)
			}
			b = strings.Builder{}
			debug.FreeOSMemory()
			cmd := exec.Command(os.Args[0], "-test.run=^TestRetainersPeakMemory$", "-test.count=1")
			cmd.Env = append(os.Environ(), "HEAPDIFF_RETAINERS_PEAK_FILE="+path)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			peak := int64(cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss) << 10
			limit := int64(v8PeakRatio*size + v8PeakSlack)
			t.Logf("%d MB: peak %d MB (%.1fx)", size>>20, peak>>20, float64(peak)/float64(size))
			if peak > limit {
				t.Errorf("peak memory %d MB for %d MB of input, want at most %d MB", peak>>20, size>>20, limit>>20)
			}
		})
	}
}

// TestBadSnapshotsWithRetainers loads every broken snapshot of testdata/bad
// with Options.Retainers: each is refused as it is without (one line naming
// the file), or loads as it does without, never with a crash of the
// retainer code.
func TestBadSnapshotsWithRetainers(t *testing.T) {
	files, err := filepath.Glob("../testdata/bad/*heapsnapshot*")
	if err != nil || len(files) < 3 {
		t.Fatalf("%d bad snapshots (%v)", len(files), err)
	}
	// 48 and 120 MB of JSON once inflated: 20-30 s under -race, against
	// 3 s for all the files without it. .ci/run runs this test without.
	inflating := []string{"v8-funcinfos.heapsnapshot.gz", "v8-strings.heapsnapshot.gz"}
	for _, f := range files {
		if raceDetector && slices.Contains(inflating, filepath.Base(f)) {
			t.Logf("%s: left to the run without -race", f)
			continue
		}
		_, plain := Load(f, Options{})
		_, with := Load(f, Options{Retainers: true})
		if fmt.Sprint(plain) != fmt.Sprint(with) || errors.Is(with, ErrInternal) {
			t.Errorf("%s: %v with retainers, %v without", f, with, plain)
		}
	}
}

// TestRetainersOfHostileSnapshots loads, with Options.Retainers, a snapshot
// whose names carry terminal escapes, a bell, a newline and a
// right-to-left override, and whose header does not name one node's type
// nor one edge's: every class's paths and every object's path come back,
// each string escaped as the profile's frames are, the unnamed types as "".
func TestRetainersOfHostileSnapshots(t *testing.T) {
	strs := []string{"", "global", "Window\x1b[2J", "\x1b[31mkey\nx", "weird", "A\x07bell\u202e"}
	quoted, _ := json.Marshal(strs)
	node := func(typ, name, id, size, edges int) string {
		return fmt.Sprintf("%d,%d,%d,%d,%d,0", typ, name, id, size, edges)
	}
	edge := func(typ, name, to int) string { return fmt.Sprintf("%d,%d,%d", typ, name, 6*to) }
	data := v8TestHeader(4, 4, 0, "") +
		`,"nodes":[` + strings.Join([]string{node(9, 0, 1, 0, 2), node(3, 2, 3, 10, 2), node(3, 5, 5, 20, 0), node(12, 4, 7, 30, 0)}, ",") +
		`],"edges":[` + strings.Join([]string{edge(5, 1, 1), edge(1, 0, 1), edge(2, 3, 2), edge(9, 4, 3)}, ",") +
		`],"strings":` + string(quoted) + `}`
	p, err := Parse("hostile.heapsnapshot", []byte(data), Options{Retainers: true})
	if err != nil {
		t.Fatal(err)
	}
	escaped := func(s string) bool { return s == printable(s) && !strings.ContainsAny(s, "\x1b\x07\n\u202e") }
	paths := 0
	check := func(path RetainerPath) {
		paths++
		for _, s := range path.Steps {
			for _, str := range []string{s.EdgeType, s.EdgeName, s.NodeType, s.Class, s.Name} {
				if !escaped(str) {
					t.Errorf("a path shows %q unescaped", str)
				}
			}
		}
	}
	for _, f := range p.Frames {
		for _, path := range p.Retainers.Paths(f.Function, nil, 0).Paths {
			check(path)
		}
	}
	for _, id := range []uint64{3, 5, 7} {
		path, ok := p.Retainers.PathOf(id)
		if !ok {
			t.Fatalf("no path to @%d", id)
		}
		check(path)
		if last := path.Steps[len(path.Steps)-1]; id == 7 && (last.NodeType != "" || last.EdgeType != "") {
			t.Errorf("@7, of an unnamed type held by an edge of an unnamed type: %+v", last)
		}
	}
	if paths < 5 {
		t.Errorf("%d paths checked", paths)
	}
}
