package diff

import (
	"fmt"
	"math"
	"slices"
)

// Shape is the verdict on how a value moved across a series of snapshots;
// see the package documentation for the rules.
type Shape int

// The shapes, in the order Trend ranks them.
const (
	// SteadyGrowth is the leak signature: significant growth that keeps
	// going to the end of the series.
	SteadyGrowth Shape = iota
	// FaintGrowth grew significantly over the series, but not over its
	// last third: too few samples to tell a slow leak from a cache that
	// filled and then held. More snapshots, a longer window or a finer
	// sampling rate (runtime.MemProfileRate) decide it.
	FaintGrowth
	// Plateau grew significantly, then stopped: a cache filling, a pool warming up.
	Plateau
	// Sawtooth moves beyond noise without a steady direction: oscillation or jitter.
	Sawtooth
	// Flat never moves beyond sampling noise.
	Flat
	// Shrinking falls significantly.
	Shrinking
)

var (
	shapeNames = []string{"steady growth", "faint growth", "plateau", "sawtooth/noisy", "flat", "shrinking"}
	shapeKeys  = []string{"steady_growth", "faint_growth", "plateau", "sawtooth", "flat", "shrinking"}
)

// String returns the shape as people read it, such as "steady growth".
func (s Shape) String() string {
	if int(s) < len(shapeNames) && s >= 0 {
		return shapeNames[s]
	}
	return fmt.Sprintf("Shape(%d)", int(s))
}

// Key returns the shape as machines read it (JSON, CSV), such as "steady_growth".
func (s Shape) Key() string {
	if int(s) < len(shapeKeys) && s >= 0 {
		return shapeKeys[s]
	}
	return s.String()
}

// Thresholds of the shape rules (see the package documentation).
const (
	// MinSteadyR2 is the least R² of steady growth and of shrinking: the
	// line must explain most of the motion.
	MinSteadyR2 = 0.7
	// PlateauSlowdown is how much slower than before a plateau's tail may
	// grow: its slope is at most this fraction of the slope up to the stop.
	PlateauSlowdown = 0.25
)

// Fit is a least-squares line through a series.
type Fit struct {
	// Slope is the line's growth per hour, or per snapshot when the series
	// has no times (Trend.Timed).
	Slope float64
	// SlopeNoise is the standard deviation of Slope expected from sampling
	// alone (0 for exact profiles).
	SlopeNoise float64
	// Start is the line's value at the first snapshot.
	Start float64
	// R2 is the share of the values' variance the line explains, in [0, 1];
	// 0 when the values do not vary.
	R2 float64
}

// Significant reports whether the slope is beyond NoiseThreshold standard
// deviations of sampling noise.
func (f Fit) Significant() bool {
	return f.Slope != 0 && math.Abs(f.Slope) > NoiseThreshold*f.SlopeNoise
}

// samplingErrors describes the sampling errors of a series' values, so that
// the noise of any statistic linear in them (a slope, a difference of
// means) follows. Values of long-lived objects are not independent from one
// snapshot to the next: an object sampled while alive stays sampled, so two
// snapshots share the error of the objects live at both. How much they share
// is estimated from the group's cumulative allocations where the profiles
// carry them (alloc_* beside inuse_*), and bounded by the worst of several
// models where they do not; see the package documentation.
type samplingErrors struct {
	x    []float64 // positions: hours, or snapshot indexes
	vals []int64
	vars []float64 // each value's sampling variance
	// alloc holds the group's cumulative allocations in the values' unit
	// at each snapshot, or nil when the profiles have none.
	alloc []int64
}

// slice returns the errors of the values i to j-1.
func (e samplingErrors) slice(i, j int) samplingErrors {
	s := samplingErrors{x: e.x[i:j], vals: e.vals[i:j], vars: e.vars[i:j]}
	if e.alloc != nil {
		s.alloc = e.alloc[i:j]
	}
	return s
}

// variance returns the sampling variance of Σ a_i·v_i: from what the
// snapshots share, where the allocations tell it; otherwise the largest
// that the models of the errors give it.
func (e samplingErrors) variance(a []float64) float64 {
	if e.alloc != nil {
		return e.shared(a)
	}
	return max(e.independent(a), e.accumulating(a), e.stationary(a))
}

// independent is the variance when every snapshot is an independent sample.
func (e samplingErrors) independent(a []float64) float64 {
	var v float64
	for i := range a {
		v += a[i] * a[i] * e.vars[i]
	}
	return v
}

// accumulating is the variance when errors persist and accumulate, as in a
// population that only grows: e_i = e_{i-1} + d_i with Var(d_i) =
// max(0, Var_i - Var_{i-1}), so Var(Σ a_i e_i) = Σ_j Var(d_j)·(Σ_{i≥j} a_i)².
func (e samplingErrors) accumulating(a []float64) float64 {
	var v, after, prev float64
	for _, x := range a {
		after += x
	}
	for j := range a {
		if d := e.vars[j] - prev; d > 0 {
			v += d * after * after
		}
		after -= a[j]
		prev = e.vars[j]
	}
	return v
}

// lifetimes are the lifetimes of sampled objects, as fractions of a
// series' span, that the stationary model tries.
var lifetimes = []float64{1.0 / 16, 1.0 / 8, 1.0 / 4, 1.0 / 2, 1, 2, 4}

// stationary is the largest variance when the errors are correlated as
// those of a population whose objects live for a while and are then
// replaced (a full cache): Cov(e_i, e_j) = σ_i·σ_j·ρ(|x_i - x_j|), with
// ρ(d) = max(0, 1 - d/L) when every object lives L (an LRU evicting its
// oldest entries) and ρ(d) = exp(-d/L) when lifetimes are exponential
// (random eviction). L is unknown, so the worst over the lifetimes tried
// counts.
func (e samplingErrors) stationary(a []float64) float64 {
	n := len(a)
	span := e.x[n-1] - e.x[0]
	if n < 3 || span <= 0 {
		return 0
	}
	s := make([]float64, n)
	for i := range s {
		s[i] = a[i] * math.Sqrt(e.vars[i])
	}
	var worst float64
	for _, frac := range lifetimes {
		life := frac * span
		var fixed, expo float64
		for i := range s {
			fixed += s[i] * s[i]
			expo += s[i] * s[i]
			for j := i + 1; j < n; j++ {
				d := e.x[j] - e.x[i]
				if d < life {
					fixed += 2 * s[i] * s[j] * (1 - d/life)
				}
				expo += 2 * s[i] * s[j] * math.Exp(-d/life)
			}
		}
		worst = max(worst, fixed, expo)
	}
	return worst
}

// shared is the variance when the errors of two snapshots i < j are those
// of the bytes live at both: Cov(e_i, e_j) = S_ij·√(c_i·c_j), where c is a
// value's variance per unit (Var_i / v_i) and S_ij, the part of v_j already
// live at i, is at least v_j less what the group allocated between them
// and at most the smaller value. A leak (it keeps all it allocates) shares
// all of v_i; a full cache shares what it has not yet replaced; churn
// shares nothing.
func (e samplingErrors) shared(a []float64) float64 {
	n := len(a)
	c := make([]float64, n)
	for i := range c {
		if v := math.Abs(float64(e.vals[i])); v > 0 {
			c[i] = e.vars[i] / v
		}
	}
	var v float64
	for i := range a {
		v += a[i] * a[i] * e.vars[i]
		if a[i] == 0 || c[i] == 0 {
			continue
		}
		for j := i + 1; j < n; j++ {
			if a[j] == 0 || c[j] == 0 {
				continue
			}
			live := min(math.Abs(float64(e.vals[i])), math.Abs(float64(e.vals[j])))
			both := math.Abs(float64(e.vals[j])) - float64(e.alloc[j]-e.alloc[i])
			if both <= 0 {
				continue
			}
			v += 2 * a[i] * a[j] * min(both, live) * math.Sqrt(c[i]*c[j])
		}
	}
	// The shares are estimates, so rounding (values that never change
	// share everything, and a slope's weights sum to 0) can leave the sum
	// a hair below 0.
	return max(v, 0)
}

// slopeWeights returns the weights w with Σ w_i·v_i the least-squares
// slope of v over x, or nil when x does not vary.
func slopeWeights(x []float64) []float64 {
	mx, sxx := centre(x)
	if sxx == 0 {
		return nil
	}
	w := make([]float64, len(x))
	for i, xi := range x {
		w[i] = (xi - mx) / sxx
	}
	return w
}

// slopeVariance returns the variance of the slope Σ w_i·v_i. Without
// allocations, the stationary model costs O(n²) and can only raise the
// variance, so it is worked out only where the slope would otherwise count.
func (e samplingErrors) slopeVariance(w []float64, slope float64) float64 {
	if e.alloc != nil {
		return e.shared(w)
	}
	v := max(e.independent(w), e.accumulating(w))
	if math.Abs(slope) > NoiseThreshold*math.Sqrt(v) {
		v = max(v, e.stationary(w))
	}
	return v
}

// fitLine fits the series by least squares, with the slope's noise from
// the series' sampling errors.
func fitLine(e samplingErrors) Fit {
	n := len(e.x)
	if n < 2 {
		return Fit{}
	}
	l := leastSquares(e.x, e.vals)
	if l.sxx == 0 {
		return Fit{Start: l.mv}
	}
	f := Fit{Slope: l.slope()}
	f.Start = l.mv + f.Slope*(e.x[0]-l.mx)
	if l.svv > 0 {
		f.R2 = math.Min(1, l.sxv*l.sxv/(l.sxx*l.svv))
	}
	f.SlopeNoise = math.Sqrt(e.slopeVariance(slopeWeights(e.x), f.Slope))
	return f
}

// shapeOf classifies a series; it returns the shape and, for a plateau, the
// index of the snapshot from which the value stopped growing (else -1).
func shapeOf(e samplingErrors, fit Fit) (Shape, int) {
	v := e.vals
	rising := fit.Significant() && fit.Slope > 0
	falling := fit.Significant() && fit.Slope < 0
	if len(v) < 2 {
		return Flat, -1
	}
	// A plateau is tried first: a fill whose errors persist (few objects
	// replaced after) can rise well beyond noise from its first value to
	// its level, while neither the slope nor the scatter over the whole
	// series does.
	if !falling {
		if k := plateauStart(e); k >= 0 {
			return Plateau, k
		}
	}
	if !rising && !falling && !scatterSignificant(v, e.vars) {
		return Flat, -1
	}
	// Steady growth must still be growing at the end, where what the
	// snapshots share is known from the allocations; without them, the
	// worst case would hide most leaks over a short span.
	if rising && fit.R2 >= MinSteadyR2 {
		if e.alloc == nil || growingAtEnd(e) {
			return SteadyGrowth, -1
		}
		return FaintGrowth, -1
	}
	if falling {
		neg := e
		neg.vals = make([]int64, len(v))
		for i := range v {
			neg.vals[i] = -v[i]
		}
		neg.alloc = nil // the upside-down series allocates nothing
		if fit.R2 >= MinSteadyR2 || plateauStart(neg) >= 0 {
			return Shrinking, -1
		}
	}
	return Sawtooth, -1
}

// share returns a/(a+b), or 0 when both are 0.
func share(a, b int) float64 {
	if a+b == 0 {
		return 0
	}
	return float64(a) / float64(a+b)
}

// minPlateauTail is the least number of snapshots a plateau's flat tail
// spans: a third of the series, and at least 3.
func minPlateauTail(n int) int {
	return max(3, (n+2)/3)
}

// growingAtEnd reports whether the series grew significantly over its last
// third (at least its last 3 snapshots): the slope fitted over that span
// is positive and beyond NoiseThreshold standard deviations of its
// sampling noise. A leak keeps growing to the end; a cache that filled and
// then holds does not, though the sampled value of what it holds wanders.
func growingAtEnd(e samplingErrors) bool {
	n := len(e.vals)
	f := fitLine(e.slice(max(0, n-minPlateauTail(n)), n))
	return f.Slope > 0 && f.Significant()
}

// plateauStart returns the snapshot k from which the series stopped
// growing, or -1. k is where a line that rises until x[k] and stays level
// after fits the values best (least squares), among the k that leave at
// least minPlateauTail snapshots from k on. The series stopped there when
// all of these hold, each noise worked out from the series' sampling errors
// (so that what the snapshots share counts once):
//   - it rose: the tail's (from k on) mean exceeds the first value by more
//     than NoiseThreshold standard deviations;
//   - the tail is level: its slope is at most PlateauSlowdown times the
//     slope up to k (and, where allocations tell what the snapshots share,
//     less than it beyond noise), the series did not grow significantly
//     over its last third (growingAtEnd), and the tail's values stay within
//     noise of each other.
//
// The end is judged over the last third rather than from k, so that a k
// put a few snapshots early by noise does not count the end of the rise
// against the plateau.
func plateauStart(e samplingErrors) int {
	x, v := e.x, e.vals
	n := len(v)
	best, bestSSE := -1, math.Inf(1)
	hinge := make([]float64, n)
	for k := 1; k <= n-minPlateauTail(n); k++ {
		for i := range x {
			hinge[i] = min(x[i], x[k])
		}
		if sse := leastSquares(hinge, v).residuals(); sse < bestSSE {
			best, bestSSE = k, sse
		}
	}
	if best < 0 {
		return -1
	}
	head := fitLine(e.slice(0, best+1))
	tail := fitLine(e.slice(best, n))
	// The cheap tests first: most series are no plateau, and the noises
	// below cost O(n²) each.
	if head.Slope <= 0 || tail.Slope > PlateauSlowdown*head.Slope {
		return -1
	}
	m := float64(n - best)
	rise := make([]float64, n)
	rise[0] = -1
	var mean float64
	for i := best; i < n; i++ {
		rise[i] += 1 / m
		mean += float64(v[i]) / m
	}
	// The first value's variance is estimated from the value itself, so a
	// first value that is 0 by sampling luck would have none: it is taken
	// to be at least the series' mean variance.
	first := e
	first.vars = slices.Clone(e.vars)
	var meanVar float64
	for _, x := range e.vars {
		meanVar += x / float64(n)
	}
	first.vars[0] = max(first.vars[0], meanVar)
	if mean-float64(v[0]) <= NoiseThreshold*math.Sqrt(first.variance(rise)) {
		return -1
	}
	// The slowdown head - tail is linear in the values; its noise counts
	// the snapshot the two fits share and whatever else they share. A leak
	// whose last snapshots happen to gain few samples slows down by noise
	// alone: the stop must be beyond it. Without allocations the noise is
	// the worst of several models, too wide to tell a stop from a slowdown,
	// and the test is left out.
	slow := make([]float64, n)
	if hw, tw := slopeWeights(x[:best+1]), slopeWeights(x[best:]); hw != nil && tw != nil {
		for i, w := range hw {
			slow[i] += w
		}
		for i, w := range tw {
			slow[best+i] -= w
		}
	}
	if e.alloc != nil && head.Slope-tail.Slope <= NoiseThreshold*math.Sqrt(e.variance(slow)) {
		return -1
	}
	if scatterSignificant(v[best:], e.vars[best:]) || growingAtEnd(e) {
		return -1
	}
	return best
}

// line is the least-squares line of values v over positions x, held as
// the means and centred sums it is worked out from: the one fit behind a
// trend's slopes, their R² and the residuals that place a plateau's stop
// (slopeWeights gives the weights that carry sampling noise to a slope).
type line struct {
	mx, mv        float64 // the means of x and of v
	sxx, sxv, svv float64 // Σ(x-mx)², Σ(x-mx)(v-mv), Σ(v-mv)²
}

// leastSquares fits the line of v over x.
func leastSquares(x []float64, v []int64) line {
	var l line
	l.mx, l.sxx = centre(x)
	for i := range v {
		l.mv += float64(v[i])
	}
	l.mv /= float64(len(v))
	for i := range x {
		dx, dv := x[i]-l.mx, float64(v[i])-l.mv
		l.sxv += dx * dv
		l.svv += dv * dv
	}
	return l
}

// centre returns the mean of x and the sum of its squared deviations.
func centre(x []float64) (mean, squares float64) {
	for _, xi := range x {
		mean += xi
	}
	mean /= float64(len(x))
	for _, xi := range x {
		squares += (xi - mean) * (xi - mean)
	}
	return mean, squares
}

// slope returns the line's slope, 0 when x does not vary.
func (l line) slope() float64 {
	if l.sxx == 0 {
		return 0
	}
	return l.sxv / l.sxx
}

// residuals returns the sum of the squared residuals around the line (of v
// around its mean when x does not vary).
func (l line) residuals() float64 {
	if l.sxx == 0 {
		return l.svv
	}
	return l.svv - l.sxv*l.sxv/l.sxx
}

// scatterSignificant reports whether values scatter around their mean more
// than sampling noise explains: Q = Σ(v_i - mean)² / mean(Var_i) exceeds the
// quantile of χ² with n-1 degrees of freedom that a normal variable exceeds
// NoiseThreshold deviations above its mean (by Wilson and Hilferty's
// approximation). The test looks at every value at once, so a long series of
// pure noise is not called noisy for its few extremes; for two values it is
// about Compare's rule. Exact values (no variance) count any scatter.
func scatterSignificant(v []int64, vars []float64) bool {
	n := len(v)
	if n < 2 {
		return false
	}
	var mean, meanVar float64
	for i := range v {
		mean += float64(v[i])
		meanVar += vars[i]
	}
	mean /= float64(n)
	meanVar /= float64(n)
	var q float64
	for _, x := range v {
		d := float64(x) - mean
		q += d * d
	}
	if meanVar == 0 {
		return q > 0
	}
	k := float64(n - 1)
	c := 2 / (9 * k)
	return q/meanVar > k*math.Pow(1-c+NoiseThreshold*math.Sqrt(c), 3)
}

// steps counts the steps between consecutive snapshots in which the value
// grew and in which it shrank.
func steps(v []int64) (up, down int) {
	for i := 1; i < len(v); i++ {
		switch {
		case v[i] > v[i-1]:
			up++
		case v[i] < v[i-1]:
			down++
		}
	}
	return up, down
}
