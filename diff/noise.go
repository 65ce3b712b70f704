package diff

import (
	"math"
	"strings"

	"github.com/heapdiff/heapdiff/profile"
)

// noiseModel computes the sampling variance of a stack's values (see the
// package documentation for the formulas).
type noiseModel struct {
	period  float64 // bytes per sample on average; 0 for exact profiles
	bytes   []bool  // per compared type: counted in bytes
	count   []bool  // per compared type: counted in objects
	partner []int   // per compared type: its space/objects partner, or -1
}

func newNoiseModel(p *profile.Profile, idx []int) noiseModel {
	m := noiseModel{
		bytes:   make([]bool, len(idx)),
		count:   make([]bool, len(idx)),
		partner: make([]int, len(idx)),
	}
	if p.PeriodType.IsBytes() && p.Period > 0 {
		m.period = float64(p.Period)
	}
	prefix := make([]string, len(idx))
	for t, i := range idx {
		st := p.SampleTypes[i]
		m.bytes[t] = st.IsBytes()
		m.count[t] = st.IsCount()
		prefix[t] = typePrefix(st.Type)
		m.partner[t] = -1
	}
	if p.Format.CountsRawSamples() {
		// V8's objects/count is the raw number of samples, not an object
		// estimate scaled like space/bytes: B/N is about the sampling
		// interval, not an object's size, so the types are not paired.
		return m
	}
	for t := range idx {
		for u := range idx {
			if prefix[t] == prefix[u] && (m.bytes[t] && m.count[u] || m.count[t] && m.bytes[u]) {
				m.partner[t] = u
			}
		}
	}
	return m
}

// typePrefix returns what a type name says before its last "_": "inuse" for
// "inuse_space" and "inuse_objects", "" for "space".
func typePrefix(name string) string {
	if i := strings.LastIndexByte(name, '_'); i >= 0 {
		return name[:i]
	}
	return ""
}

// variances writes the sampling variance of each of vals into out.
func (m noiseModel) variances(vals []int64, out []float64) {
	for t := range out {
		out[t] = 0
	}
	if m.period == 0 {
		return
	}
	// The two types of a pair (space and objects) have one object size,
	// so one probability of being sampled: it is computed once, for the
	// first of them (a pair's types follow each other in Go's profiles).
	lastSize, lastP := -1.0, 0.0
	for t, v := range vals {
		if v == 0 {
			continue
		}
		x := math.Abs(float64(v))
		var other float64
		if p := m.partner[t]; p >= 0 {
			other = math.Abs(float64(vals[p]))
		}
		switch {
		case m.bytes[t] && other > 0:
			size := x / other
			if size != lastSize {
				lastSize, lastP = size, -math.Expm1(-size/m.period)
			}
			p := lastP
			out[t] = x * size * (1 - p) / p
		case m.bytes[t]:
			out[t] = x * m.period
		case m.count[t] && other > 0:
			size := other / x
			if size != lastSize {
				lastSize, lastP = size, -math.Expm1(-size/m.period)
			}
			p := lastP
			out[t] = x * (1 - p) / p
		default:
			out[t] = x // no size known: Poisson
		}
	}
}
