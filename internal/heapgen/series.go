package heapgen

import (
	"math/rand"
	"time"

	"github.com/google/pprof/profile"
)

// SeriesSize is the snapshot size of the trend benchmark (bench/memory.sh):
// a tenth of Large, about a real service's heap profile, a hundred times.
var SeriesSize = Config{Stacks: 20_000, Functions: 5_000, MinDepth: 10, MaxDepth: 40, Seed: 1}

// Series calls fn with n snapshots of one simulated process, interval apart,
// all with the stacks of Pair(cfg)'s base profile: a fifth of the stacks
// leak (their in-use objects grow by a fixed step every snapshot), the others
// wobble around their first value, and every alloc_* value only grows, as the
// Go runtime's counters do. fn gets the same *profile.Profile every time,
// with new values: it must be done with it when it returns. Output depends
// only on the arguments.
func Series(cfg Config, n int, interval time.Duration, fn func(i int, p *profile.Profile) error) error {
	p, _ := Pair(cfg)
	rng := rand.New(rand.NewSource(cfg.Seed + 1))
	type state struct {
		size, first, inuse, alloc int64 // size in bytes, the rest in objects
		leak                      int64 // objects added per snapshot; 0 if it does not leak
	}
	states := make([]state, len(p.Sample))
	for i, s := range p.Sample {
		st := state{size: s.NumLabel["bytes"][0], first: s.Value[2], alloc: s.Value[0]}
		if rng.Intn(5) == 0 {
			st.leak = 1 + st.first/20
		}
		states[i] = st
	}
	t0 := time.Unix(0, p.TimeNanos)
	p.Comments = []string{"host=bench", "pid=1"}
	for k := 0; k < n; k++ {
		for i, s := range p.Sample {
			st := &states[i]
			inuse := st.first + st.leak*int64(k)
			if st.leak == 0 && st.first > 0 {
				inuse = max(0, st.first+rng.Int63n(st.first/5+1)-st.first/10)
			}
			st.alloc += max(inuse-st.inuse, 0) + rng.Int63n(3)
			st.inuse = inuse
			s.Value = []int64{st.alloc, st.alloc * st.size, inuse, inuse * st.size}
		}
		p.TimeNanos = t0.Add(time.Duration(k) * interval).UnixNano()
		if err := fn(k, p); err != nil {
			return err
		}
	}
	return nil
}
