package heapgen

import (
	"bytes"
	"testing"
	"time"

	"github.com/google/pprof/profile"
)

// series encodes every snapshot of a small series.
func series(t *testing.T, n int) [][]byte {
	t.Helper()
	var out [][]byte
	err := Series(Small, n, 10*time.Minute, func(_ int, p *profile.Profile) error {
		out = append(out, encode(t, p))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSeriesIsDeterministic(t *testing.T) {
	a, b := series(t, 3), series(t, 3)
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			t.Fatalf("snapshot %d differs between two runs", i)
		}
	}
}

// TestSeriesShape checks what the trend benchmark relies on: the snapshots'
// times advance, alloc_* values never fall, and some stacks leak steadily.
func TestSeriesShape(t *testing.T) {
	const n = 5
	var prev []*profile.Sample
	var prevTime int64
	grewEveryStep := make([]bool, Small.Stacks)
	err := Series(Small, n, 10*time.Minute, func(k int, p *profile.Profile) error {
		if k > 0 && p.TimeNanos-prevTime != int64(10*time.Minute) {
			t.Errorf("snapshot %d is %v after the previous one", k, time.Duration(p.TimeNanos-prevTime))
		}
		prevTime = p.TimeNanos
		cur := make([]*profile.Sample, len(p.Sample))
		for i, s := range p.Sample {
			cur[i] = &profile.Sample{Value: append([]int64(nil), s.Value...)}
			if prev == nil {
				grewEveryStep[i] = true
				continue
			}
			if s.Value[0] < prev[i].Value[0] || s.Value[1] < prev[i].Value[1] {
				t.Fatalf("snapshot %d: sample %d's alloc values fell: %v after %v", k, i, s.Value, prev[i].Value)
			}
			grewEveryStep[i] = grewEveryStep[i] && s.Value[2] > prev[i].Value[2]
		}
		prev = cur
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// A fifth leak; a stack that only wobbles grows four times in a row
	// about one time in sixteen.
	leaking := 0
	for _, grew := range grewEveryStep {
		if grew {
			leaking++
		}
	}
	if leaking < Small.Stacks*15/100 || leaking > Small.Stacks*35/100 {
		t.Errorf("%d of %d stacks grew at every step; about a quarter should", leaking, Small.Stacks)
	}
}
