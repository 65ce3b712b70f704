package diff

import (
	"math/rand/v2"
	"testing"
)

// TestKeyNumbersAgreesWithMap numbers random keys, many of them repeated
// and some colliding in their low or high bits, with the table and with a
// map, through resets to smaller and larger sizes, each sized for a tenth of
// the keys it then gets, so that it grows.
func TestKeyNumbersAgreesWithMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var table keyNumbers
	for _, n := range []int{0, 1, 1000, 10, 50000, 3} {
		table.reset(n / 10)
		want := map[uint64]int32{}
		for range n {
			var key uint64
			switch rng.IntN(3) {
			case 0:
				key = uint64(rng.IntN(n + 1)) // small keys, repeated
			case 1:
				key = uint64(rng.IntN(n+1)) << 32 // only high bits differ
			default:
				key = rng.Uint64()
			}
			got, added := table.number(key)
			w, seen := want[key]
			if !seen {
				w = int32(len(want))
				want[key] = w
			}
			if got != w || added == seen {
				t.Fatalf("n=%d: key %#x numbered %d (added %v), want %d (added %v)", n, key, got, added, w, !seen)
			}
		}
	}
}
