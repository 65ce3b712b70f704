package profile

import (
	"hash/maphash"
	"slices"
)

// frameTable interns frames into a profile's Frames table: every loader gives
// each distinct frame one index, which Stack.Frames then refers to.
//
// The index maps a hash of each frame to the last frame with that hash, and
// frames with the same hash chain through next: a map keyed by Frame would
// hold a copy of each frame's 64 bytes beside the table, and more than the
// table itself once its slack is counted.
type frameTable struct {
	p     *Profile
	base  int32 // len(p.Frames) when the table started
	seed  maphash.Seed
	index map[uint64]int32
	next  []int32 // by frame index - base: an earlier frame of the same hash, or -1
}

// newFrameTable starts interning into p.Frames; hint, how many distinct
// frames to expect, sizes the table and its index.
func newFrameTable(p *Profile, hint int) *frameTable {
	p.Frames = slices.Grow(p.Frames, hint)
	return &frameTable{
		p:     p,
		base:  int32(len(p.Frames)),
		seed:  maphash.MakeSeed(),
		index: make(map[uint64]int32, hint),
		next:  make([]int32, 0, hint),
	}
}

// add returns f's index in p.Frames, appending f the first time it is seen.
func (t *frameTable) add(f Frame) int32 {
	h := maphash.Comparable(t.seed, f)
	first, ok := t.index[h]
	if ok {
		for i := first; i >= 0; i = t.next[i-t.base] {
			if t.p.Frames[i] == f {
				return i
			}
		}
	} else {
		first = -1
	}
	i := int32(len(t.p.Frames))
	t.p.Frames = append(t.p.Frames, f)
	t.next = append(t.next, first)
	t.index[h] = i
	return i
}
