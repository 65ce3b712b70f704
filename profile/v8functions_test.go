package profile

import (
	"strconv"
	"strings"
	"testing"
)

// TestSameNamedFunctionsBySite: under --track-heap-objects, objects are
// grouped by allocation stack, and --by func groups the stacks' frames by
// FunctionName. session-a.js and session-b.js each allocate in a function
// set; a's objects grow by 1000, b's are replaced one for one. The two sets
// must stay two functions, named with their scripts and lines.
func TestSameNamedFunctionsBySite(t *testing.T) {
	before, after := sessionsPair(t, Options{AllocationStacks: true})
	gen := nodeData + "gen/sessions/"
	setA := "set session-a.js:" + strconv.Itoa(lineOf(t, gen+"session-a.js", "function set("))
	setB := "set session-b.js:" + strconv.Itoa(lineOf(t, gen+"session-b.js", "function set("))
	// Objects allocated in each function (the stack's leaf), by name.
	byLeaf := func(p *Profile) map[string]int64 {
		if p.IsClassView() {
			t.Fatalf("%s is grouped by class, not by allocation stack", p.Name)
		}
		m := map[string]int64{}
		for _, st := range p.Stacks {
			m[p.Frames[st.Frames[0]].FunctionName()] += st.Values[0]
		}
		return m
	}
	b, a := byLeaf(before), byLeaf(after)
	var sets []string
	for name := range a {
		if strings.HasPrefix(name, "set ") {
			sets = append(sets, name)
		}
	}
	if len(sets) != 2 {
		t.Fatalf("functions named set: %q, want %s and %s", sets, setA, setB)
	}
	if d := a[setA] - b[setA]; d != 1000 {
		t.Errorf("%s: %+d objects, want +1000 (the leak)", setA, d)
	}
	if d := a[setB] - b[setB]; d != 0 {
		t.Errorf("%s: %+d objects, want 0 (replaced one for one)", setB, d)
	}
}

// TestHeapProfileFunctionsByScript: in a real sampling heap profile, Node's
// console defines three functions named value at three lines of one
// script: three functions, where the name alone made one.
func TestHeapProfileFunctionsByScript(t *testing.T) {
	p := mustLoad(t, "after.heapprofile.gz", Options{})
	names := map[string]bool{}
	for _, f := range p.Frames {
		if f.Function == "value" {
			if !strings.HasPrefix(f.FunctionName(), "value node:internal/console/constructor:") {
				t.Errorf("%+v is named %q", f, f.FunctionName())
			}
			names[f.FunctionName()] = true
		}
	}
	if len(names) < 2 {
		t.Errorf("functions named value: %v, want each of its definitions apart", names)
	}
}

// TestClassViewMark: --by class means something only for a heap snapshot
// grouped by class; IsClassView is the mark the comparison reads to refuse
// it for the rest (a sampling heap profile, whose frames are functions, a
// Go profile, a snapshot grouped by allocation stack).
func TestClassViewMark(t *testing.T) {
	classes, _ := sessionsPair(t, Options{})
	stacks, _ := sessionsPair(t, Options{AllocationStacks: true})
	for _, tc := range []struct {
		p    *Profile
		want bool
	}{
		{classes, true},
		{mustLoad(t, "leaky-before.heapsnapshot.gz", Options{AllocationStacks: true}), true}, // no traces: by class
		{mustLoad(t, "bun-before.heapsnapshot.gz", Options{}), true},
		{stacks, false},
		{mustLoad(t, "after.heapprofile.gz", Options{}), false},
		{mustLoad(t, "datadog-after.pb.gz", Options{}), false},
	} {
		if got := tc.p.IsClassView(); got != tc.want {
			t.Errorf("%s: IsClassView %v, want %v", tc.p.Name, got, tc.want)
		}
	}
}
