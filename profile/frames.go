package profile

import (
	"hash/maphash"
	"math/bits"
	"slices"
)

// frameTable interns frames into a profile's Frames table: every loader gives
// each distinct frame one index, which Stack.Frames then refers to.
//
// The index is a table of frame numbers with open addressing, at most half
// full, beside a 32-bit hash of each frame: 12 to 20 bytes a frame. A Go map
// keyed by Frame would hold a copy of each frame's 64 bytes beside the
// table, more than the table itself once its slack is counted, and one
// keyed by a hash more than twice what this index takes.
type frameTable struct {
	p      *Profile
	base   int32 // len(p.Frames) when the table started
	seed   maphash.Seed
	slots  []int32  // frame number - base, or -1 for none; a power of two long
	hashes []uint32 // of frame base+i
}

// newFrameTable starts interning into p.Frames; hint, how many distinct
// frames to expect, sizes the table and its index.
func newFrameTable(p *Profile, hint int) *frameTable {
	p.Frames = slices.Grow(p.Frames, hint)
	return &frameTable{
		p:      p,
		base:   int32(len(p.Frames)),
		seed:   maphash.MakeSeed(),
		slots:  emptySlots(2 * hint),
		hashes: make([]uint32, 0, hint),
	}
}

// emptySlots returns a table of at least n free slots, and at least 16, a
// power of two long.
func emptySlots(n int) []int32 {
	slots := make([]int32, max(16, 1<<bits.Len(uint(n-1))))
	for i := range slots {
		slots[i] = -1
	}
	return slots
}

// add returns f's index in p.Frames, appending f the first time it is seen.
func (t *frameTable) add(f Frame) int32 {
	h := uint32(maphash.Comparable(t.seed, f))
	mask := uint32(len(t.slots) - 1)
	s := h & mask
	for ; t.slots[s] >= 0; s = (s + 1) & mask {
		if i := t.slots[s]; t.hashes[i] == h && t.p.Frames[t.base+i] == f {
			return t.base + i
		}
	}
	i := int32(len(t.hashes))
	t.p.Frames = append(t.p.Frames, f)
	t.hashes = append(t.hashes, h)
	if 2*len(t.hashes) > len(t.slots) {
		t.grow()
		return t.base + i
	}
	t.slots[s] = i
	return t.base + i
}

// grow doubles the index, placing every frame anew by its hash.
func (t *frameTable) grow() {
	t.slots = emptySlots(2 * len(t.slots))
	mask := uint32(len(t.slots) - 1)
	for i, h := range t.hashes {
		s := h & mask
		for t.slots[s] >= 0 {
			s = (s + 1) & mask
		}
		t.slots[s] = int32(i)
	}
}
