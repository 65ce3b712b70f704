package diff

import (
	"math"
	"testing"

	"github.com/heapdiff/heapdiff/profile"
)

// synthetic builds a Go-like heap profile with one stack per site, each with
// the given in-use bytes and objects.
func synthetic(name string, period int64, sites map[string][2]int64) *profile.Profile {
	p := &profile.Profile{
		Name:        name,
		SampleTypes: []profile.ValueType{{Type: "inuse_objects", Unit: "count"}, {Type: "inuse_space", Unit: "bytes"}},
		PeriodType:  profile.ValueType{Type: "space", Unit: "bytes"},
		Period:      period,
	}
	for fn, v := range sites {
		p.Frames = append(p.Frames, profile.Frame{Function: "main." + fn, File: "/app/main.go", Line: 1})
		p.Stacks = append(p.Stacks, profile.Stack{Frames: []int32{int32(len(p.Frames) - 1)}, Values: []int64{v[1], v[0]}})
	}
	return p
}

func expectedVariance(bytes, objects, period float64) float64 {
	s := bytes / objects
	p := 1 - math.Exp(-s/period)
	return bytes * s * (1 - p) / p
}

func TestNoiseFollowsTheSamplingModel(t *testing.T) {
	const period = 512 << 10
	base := synthetic("a", period, map[string][2]int64{
		"leak":  {10 << 20, 10 << 20 / 64}, // 10 MiB of 64-byte objects
		"blip":  {0, 0},                    // absent
		"small": {1 << 20, 1 << 20 / 32},   // 1 MiB
		"big":   {64 << 20, 64},            // 64 objects of 1 MiB: nearly exact
	})
	target := synthetic("b", period, map[string][2]int64{
		"leak":  {30 << 20, 30 << 20 / 64},
		"blip":  {557056, 8}, // one sampled 64 KiB object, scaled up
		"small": {1<<20 + 300<<10, (1<<20 + 300<<10) / 32},
		"big":   {80 << 20, 80},
	})
	c := compare(t, base, target, Options{By: ByFunc, SampleIndex: "inuse_space"})
	rows := rowsByName(c)

	leak := rows["main.leak"].Flat[c.Index]
	want := math.Sqrt(expectedVariance(10<<20, 10<<20/64, period) + expectedVariance(30<<20, 30<<20/64, period))
	if math.Abs(leak.Noise-want) > want*1e-9 {
		t.Errorf("noise of the leak = %v, want %v", leak.Noise, want)
	}
	if !leak.Significant {
		t.Errorf("20 MiB of growth over 10 MiB of small objects is within noise: %+v", leak)
	}
	if blip := rows["main.blip"].Flat[c.Index]; blip.Significant {
		t.Errorf("one sampled 64 KiB object is called significant: %+v", blip)
	}
	if small := rows["main.small"].Flat[c.Index]; small.Significant {
		t.Errorf("300 KiB on 1 MiB of small objects (less than one sample) is called significant: %+v", small)
	}
	if big := rows["main.big"].Flat[c.Index]; !big.Significant {
		t.Errorf("16 more 1 MiB objects, each sampled with p=0.86, are called noise: %+v", big)
	}
	// Large objects are sampled almost surely: their relative noise is far
	// below that of the same bytes in small objects.
	if big, leak := rows["main.big"].Flat[c.Index], rows["main.leak"].Flat[c.Index]; big.Noise/float64(big.Base+big.Target) > leak.Noise/float64(leak.Base+leak.Target)/2 {
		t.Errorf("relative noise of large objects %v is not well below small objects' %v",
			big.Noise/float64(big.Base+big.Target), leak.Noise/float64(leak.Base+leak.Target))
	}
	objects := rows["main.leak"].Flat[0]
	if objects.Noise <= 0 || !objects.Significant {
		t.Errorf("object counts carry no noise estimate: %+v", objects)
	}
}

func TestExactProfilesHaveNoNoise(t *testing.T) {
	base := synthetic("a", 0, map[string][2]int64{"x": {1000, 10}})
	target := synthetic("b", 0, map[string][2]int64{"x": {1001, 10}})
	c := compare(t, base, target, Options{By: ByFunc})
	if ch := c.Rows[0].Flat[c.Index]; ch.Noise != 0 || !ch.Significant {
		t.Errorf("an exact profile's one-byte change: %+v", ch)
	}
}

// TestV8SamplingNoiseIsNotPaired checks the noise of a V8 sampling heap
// profile, whose objects/count is the raw number of samples (not an object
// estimate scaled like space/bytes): bytes must not take space/objects as
// the object size (which would be about the sampling interval and
// understate the noise), so they assume small objects (B·Period), and the
// sample counts are Poisson.
func TestV8SamplingNoiseIsNotPaired(t *testing.T) {
	const period = 512 << 10
	v8 := func(name string, bytes, samples int64) *profile.Profile {
		return &profile.Profile{
			Name:        name,
			Format:      profile.FormatV8HeapProfile,
			SampleTypes: []profile.ValueType{{Type: "objects", Unit: "count"}, {Type: "space", Unit: "bytes"}},
			PeriodType:  profile.ValueType{Type: "space", Unit: "bytes"},
			Period:      period,
			Frames:      []profile.Frame{{Function: "leak", File: "file:///app/server.js", Line: 3}},
			Stacks:      []profile.Stack{{Frames: []int32{0}, Values: []int64{samples, bytes}}},
		}
	}
	// 20 and 30 samples, with V8's scaled estimates of the live bytes.
	base, target := v8("a", 20*period*13/10, 20), v8("b", 30*period*13/10, 30)
	c := compare(t, base, target, Options{By: ByFunc, SampleIndex: "space"})
	// A JavaScript function is its name, script and line.
	r := rowsByName(c)["leak server.js:3"]
	wantSpace := math.Sqrt(float64(base.Stacks[0].Values[1]+target.Stacks[0].Values[1]) * period)
	if got := r.Flat[1].Noise; math.Abs(got-wantSpace) > wantSpace*1e-9 {
		t.Errorf("noise of space = %v, want %v (B·Period)", got, wantSpace)
	}
	if got, want := r.Flat[0].Noise, math.Sqrt(20+30); math.Abs(got-want) > want*1e-9 {
		t.Errorf("noise of the sample count = %v, want %v (Poisson)", got, want)
	}
}
