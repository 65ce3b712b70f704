package diff

import (
	"testing"

	"github.com/heapdiff/heapdiff/profile"
)

// TestWantsAllocationStacks checks snapshots are loaded by allocation stack
// only when a grouping other than class was chosen on purpose.
func TestWantsAllocationStacks(t *testing.T) {
	for _, c := range []struct {
		chosen bool
		by     Grouping
		want   bool
	}{
		{false, BySite, false}, // the default --by: snapshots stay by class
		{false, ByClass, false},
		{true, ByClass, false},
		{true, BySite, true},
		{true, ByFunc, true},
		{true, ByStack, true},
	} {
		if got := WantsAllocationStacks(c.chosen, c.by); got != c.want {
			t.Errorf("WantsAllocationStacks(%v, %s) = %v, want %v", c.chosen, c.by, got, c.want)
		}
	}
}

// TestGroupingFor checks heap snapshots holding classes are grouped by class
// whatever was asked, and anything else keeps the grouping asked for.
func TestGroupingFor(t *testing.T) {
	classes := &profile.Profile{Format: profile.FormatV8Snapshot,
		Frames: []profile.Frame{{Function: "Leaky"}}, Stacks: []profile.Stack{{Frames: []int32{0}}}}
	traced := &profile.Profile{Format: profile.FormatV8Snapshot,
		Frames: []profile.Frame{{Function: "leak", File: "/app/server.js", Line: 3}}, Stacks: []profile.Stack{{Frames: []int32{0}}}}
	goHeap := &profile.Profile{Format: profile.FormatPprof,
		Frames: []profile.Frame{{Function: "main.leak"}}, Stacks: []profile.Stack{{Frames: []int32{0}}}}
	for _, c := range []struct {
		name     string
		by       Grouping
		profiles []*profile.Profile
		want     Grouping
	}{
		{"snapshots by class", BySite, []*profile.Profile{classes, classes}, ByClass},
		{"snapshot with allocation traces", ByFunc, []*profile.Profile{classes, traced}, ByFunc},
		{"Go profiles", ByLine, []*profile.Profile{goHeap, goHeap}, ByLine},
		{"no profiles", ByStack, nil, ByStack},
	} {
		if got := GroupingFor(c.by, c.profiles...); got != c.want {
			t.Errorf("%s: GroupingFor(%s) = %s, want %s", c.name, c.by, got, c.want)
		}
	}
}
