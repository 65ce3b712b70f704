package diff

import (
	"math"

	"github.com/heapdiff/heapdiff/profile"
)

// Kept is the share of what a group allocated between two snapshots that is
// still live in the second: Δinuse / Δalloc. Go heap profiles carry both,
// and the live samples are a subset of the allocated ones, so the share is
// robust to sampling luck. A leak made of separately allocated objects keeps
// all of it (1.0), churn nothing (0.0), a full cache a part (it replaces
// entries); a leak grown by append keeps little (most of what it allocates
// are the arrays it outgrew). It is evidence beside the shape of live size
// over time, never a verdict alone: a leak's live size keeps growing at
// every step, whatever it keeps.
type Kept struct {
	// Share is Δinuse / Δalloc; it can fall below 0 (the group freed more
	// than it allocated) and, by sampling noise, exceed 1.
	Share float64
	// Noise is Share's standard deviation from sampling alone: the noise
	// of Δinuse over Δalloc.
	Noise float64
}

// keptTypes returns the live type whose share Kept measures and its
// cumulative partner: the shown type and its partner when the shown type
// is live (inuse_objects, alloc_objects), otherwise inuse_space and
// alloc_space; -1, -1 when the types have no such pair.
func keptTypes(types []profile.ValueType, shown int) (inuse, alloc int) {
	if types[shown].Live() {
		if a := allocPartner(types, shown); a >= 0 {
			return shown, a
		}
	}
	for i, t := range types {
		if t.Type == "inuse_space" {
			if a := allocPartner(types, i); a >= 0 {
				return i, a
			}
		}
	}
	return -1, -1
}

// keptOf returns the share of alloc kept in inuse. inuseNoise is the noise
// of the inuse change and perByte the variance per allocated byte (what one
// sampled allocation weighs; 0 for exact profiles). ok is false when the
// group allocated nothing significant in between: the share would be noise
// over noise. The noise is the larger of the inuse change's over alloc and
// the binomial noise of a share of the n ≈ alloc/perByte sampled
// allocations, so that a share of 0 or 1 over few samples is not exact.
func keptOf(inuse, alloc, inuseNoise, perByte float64) (Kept, bool) {
	if alloc <= 0 || alloc*alloc <= NoiseThreshold*NoiseThreshold*alloc*perByte {
		return Kept{}, false
	}
	k := Kept{Share: inuse / alloc, Noise: inuseNoise / alloc}
	if perByte > 0 {
		n := alloc / perByte
		p := min(max(k.Share, 0.5/n), 1-0.5/n)
		k.Noise = max(k.Noise, math.Sqrt(p*(1-p)/n))
	}
	return k, true
}

// Kept returns the share of what a row (its Flat or Cum changes) allocated
// between the two profiles that is still live in the target; ok is false
// when the profiles carry no cumulative allocations beside the live ones
// (heap snapshots, V8 sampling profiles) or the row allocated nothing
// significant in between.
func (c *Comparison) Kept(changes []Change) (k Kept, ok bool) {
	i, a := keptTypes(c.Types, c.Index)
	if i < 0 || len(changes) != len(c.Types) {
		return Kept{}, false
	}
	// The alloc change's variance is about perByte × (base + target).
	ch := changes[a]
	var perByte float64
	if sum := math.Abs(float64(ch.Base)) + math.Abs(float64(ch.Target)); sum > 0 {
		perByte = ch.Noise * ch.Noise / sum
	}
	return keptOf(float64(changes[i].Delta()), float64(ch.Delta()), changes[i].Noise, perByte)
}

// Kept returns the share of what the series' group allocated from the
// first snapshot to the last that is still live in the last; ok is false
// when the profiles carry no cumulative allocations or the group allocated
// nothing significant in between. Its noise counts what the two snapshots
// share, as the slope's does.
func (s *Series) Kept() (k Kept, ok bool) {
	if s.Values == nil && s.digest != nil {
		return s.digest.kept, s.digest.keptOK
	}
	n := len(s.Values)
	if s.Alloc == nil || n < 2 {
		return Kept{}, false
	}
	e := samplingErrors{x: make([]float64, n), vals: s.Values, vars: make([]float64, n), alloc: s.Alloc}
	for i, sd := range s.Noise {
		e.vars[i] = sd * sd
	}
	diff := make([]float64, n)
	diff[0], diff[n-1] = -1, 1
	inuseNoise := math.Sqrt(e.variance(diff))
	// What one sampled allocation weighs, from the live values' noise.
	var perByte float64
	for i := n - 1; i >= 0 && perByte == 0; i-- {
		if v := math.Abs(float64(s.Values[i])); v > 0 {
			perByte = e.vars[i] / v
		}
	}
	return keptOf(float64(s.Values[n-1]-s.Values[0]), float64(s.Alloc[n-1]-s.Alloc[0]), inuseNoise, perByte)
}
