package diff

import "math/bits"

// keyNumbers numbers distinct uint64 keys in the order they are first seen:
// a hash table with open addressing, for the call tree's groups (buildTree),
// which look up a key for every path at every depth. Go's map took half as
// long again there: its hash is a function call, and its entries hold more
// than the key and its number. The table grows with the keys it holds, not
// with the lookups, so that few keys stay in few cache lines.
type keyNumbers struct {
	keys  []uint64
	nums  []int32 // a key's number plus one; 0 for an empty slot
	shift uint    // 64 minus log2(len(keys))
	n     int32
}

// reset empties the table, sized for about n keys.
func (t *keyNumbers) reset(n int) {
	t.size(1 << max(bits.Len(uint(2*n)), 4))
	t.n = 0
}

// size empties the table and gives it size slots, a power of two.
func (t *keyNumbers) size(size int) {
	if cap(t.keys) < size {
		t.keys = make([]uint64, size)
		t.nums = make([]int32, size)
	} else {
		t.keys, t.nums = t.keys[:size], t.nums[:size]
		clear(t.nums)
	}
	t.shift = uint(64 - bits.TrailingZeros(uint(size)))
}

// number returns key's number, giving it the next one when it is new.
func (t *keyNumbers) number(key uint64) (num int32, added bool) {
	mask := uint64(len(t.keys) - 1)
	for i := (key * 0x9e3779b97f4a7c15) >> t.shift; ; i = (i + 1) & mask {
		if t.nums[i] == 0 {
			break
		}
		if t.keys[i] == key {
			return t.nums[i] - 1, false
		}
	}
	if 2*int(t.n+1) > len(t.keys) {
		t.grow()
	}
	t.put(key, t.n+1)
	t.n++
	return t.n - 1, true
}

// put stores a key known not to be in the table.
func (t *keyNumbers) put(key uint64, num int32) {
	mask := uint64(len(t.keys) - 1)
	i := (key * 0x9e3779b97f4a7c15) >> t.shift
	for t.nums[i] != 0 {
		i = (i + 1) & mask
	}
	t.keys[i], t.nums[i] = key, num
}

// grow doubles the table, keeping its keys and their numbers.
func (t *keyNumbers) grow() {
	keys, nums := t.keys, t.nums
	t.keys, t.nums = nil, nil
	t.size(2 * len(keys))
	for i, num := range nums {
		if num != 0 {
			t.put(keys[i], num)
		}
	}
}
