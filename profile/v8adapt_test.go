package profile

import (
	"fmt"
	"runtime/metrics"
	"slices"
	"testing"

	"github.com/heapdiff/heapdiff/profile/v8"
)

// TestV8FrameBoundIsPprofs: the stacks of V8 files are held to the bound on
// frames per byte that pprof profiles are, which package v8 states apart.
func TestV8FrameBoundIsPprofs(t *testing.T) {
	if v8.MaxFramesPerByte != maxFramesPerByte {
		t.Errorf("v8.MaxFramesPerByte is %d, pprof's bound %d: the memory rule states one", v8.MaxFramesPerByte, maxFramesPerByte)
	}
}

// TestKeepSnapshot: asked to, Load keeps the snapshot's graph beside the
// profile, and every object a class counts is a node of it with the size
// the class adds up; not asked, it keeps nothing.
func TestKeepSnapshot(t *testing.T) {
	if p := mustLoad(t, "leaky-before.heapsnapshot.gz", Options{}); p.Snapshot != nil {
		t.Error("the graph was kept without KeepSnapshot")
	}
	p := mustLoad(t, "leaky-before.heapsnapshot.gz", Options{KeepSnapshot: true})
	g := p.Snapshot
	if g == nil {
		t.Fatal("KeepSnapshot: no graph")
	}
	if want := fmt.Sprintf("%d nodes, %d edges", g.NodeCount(), g.EdgeCount()); !slices.Contains(p.Comments, want) {
		t.Errorf("comments %q lack %q", p.Comments, want)
	}
	size := map[uint64]int64{}
	for v := range uint32(g.NodeCount()) {
		size[g.NodeID(v)] = int64(g.SelfSize(v))
	}
	for i, st := range p.Stacks {
		var sum int64
		for _, id := range p.Objects[i].IDs {
			s, ok := size[id]
			if !ok || s == 0 {
				t.Fatalf("%s: object @%d is no node of the graph, or has no size", p.Frames[st.Frames[0]].Function, id)
			}
			sum += s
		}
		if sum != st.Values[1] {
			t.Errorf("%s: the graph's objects take %d bytes, the class %d", p.Frames[st.Frames[0]].Function, sum, st.Values[1])
		}
	}
}

// TestV8LoadCollectsTheLastOnesGarbage: a V8 load that follows a large one
// (a pair's second snapshot) starts with a collection of the first's
// graph, rather than piling its own onto it.
func TestV8LoadCollectsTheLastOnesGarbage(t *testing.T) {
	cycles := func() uint64 {
		s := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}}
		metrics.Read(s)
		return s[0].Value.Uint64()
	}
	lockV8()
	unlockV8(collectAbove) // a large load ends
	before := cycles()
	lockV8() // the next one starts
	after := cycles()
	unlockV8(0)
	if after == before {
		t.Error("the load after a large one started without a collection")
	}
	if collectFirst {
		t.Error("a small load left a collection pending")
	}
}
