package v8

import (
	"hash/maphash"
	"math/bits"
)

// interner gives each distinct value of a list one index, appending it the
// first time it is seen. Its index is a table of indexes with open
// addressing, at most half full, beside a 32-bit hash of each value: 12 to
// 20 bytes a value, where a Go map keyed by the value would hold a copy of
// each beside its table (package profile's frameTable is the same for its
// frames).
type interner[T comparable] struct {
	list   []T
	seed   maphash.Seed
	slots  []int32  // index in list, or -1 for none; a power of two long
	hashes []uint32 // of list[i]
}

func newInterner[T comparable]() *interner[T] {
	return &interner[T]{seed: maphash.MakeSeed(), slots: emptySlots(0)}
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

// add returns v's index in the list, appending v the first time it is seen.
func (t *interner[T]) add(v T) int32 {
	h := uint32(maphash.Comparable(t.seed, v))
	mask := uint32(len(t.slots) - 1)
	s := h & mask
	for ; t.slots[s] >= 0; s = (s + 1) & mask {
		if i := t.slots[s]; t.hashes[i] == h && t.list[i] == v {
			return i
		}
	}
	i := int32(len(t.list))
	t.list = appendDoubling(t.list, v)
	t.hashes = appendDoubling(t.hashes, h)
	if 2*len(t.hashes) > len(t.slots) {
		t.grow()
		return i
	}
	t.slots[s] = i
	return i
}

// grow doubles the index, placing every value anew by its hash.
func (t *interner[T]) grow() {
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
