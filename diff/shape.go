package diff

import (
	"fmt"
	"math"
)

// Shape is the verdict on how a value moved across a series of snapshots;
// see the package documentation for the rules.
type Shape int

// The shapes, in the order Trend ranks them.
const (
	// SteadyGrowth is the leak signature: significant growth that keeps going.
	SteadyGrowth Shape = iota
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
	shapeNames = []string{"steady growth", "plateau", "sawtooth/noisy", "flat", "shrinking"}
	shapeKeys  = []string{"steady_growth", "plateau", "sawtooth", "flat", "shrinking"}
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

// fitLine fits values v (with sampling variances vars) at positions x by
// least squares. The slope's noise is the larger of two models of sampling
// error: independent from snapshot to snapshot, and persistent (an object
// sampled while alive stays sampled, so each snapshot carries the previous
// one's error plus that of what was added since).
func fitLine(x []float64, v []int64, vars []float64) Fit {
	n := len(x)
	if n < 2 {
		return Fit{}
	}
	mx, mv, sxx, sxv, svv := moments(x, v)
	if sxx == 0 {
		return Fit{Start: mv}
	}
	f := Fit{Slope: sxv / sxx}
	f.Start = mv + f.Slope*(x[0]-mx)
	if svv > 0 {
		f.R2 = math.Min(1, sxv*sxv/(sxx*svv))
	}
	// The slope is Σ w_i v_i with w_i = (x_i - mean)/sxx. Persistent
	// errors: e_i = e_{i-1} + d_i with Var(d_i) = max(0, vars[i]-vars[i-1]),
	// so Var(Σ w_i e_i) = Σ_j Var(d_j) (Σ_{i≥j} w_i)², and since the w_i sum
	// to 0, Σ_{i≥j} w_i = -Σ_{i<j} w_i.
	var indep, persist, before, prev float64
	for j := range x {
		w := (x[j] - mx) / sxx
		indep += w * w * vars[j]
		if d := vars[j] - prev; d > 0 {
			persist += d * before * before
		}
		before += w
		prev = vars[j]
	}
	f.SlopeNoise = math.Sqrt(math.Max(indep, persist))
	return f
}

// shapeOf classifies a series; it returns the shape and, for a plateau, the
// index of the snapshot from which the value stopped growing (else -1).
func shapeOf(x []float64, v []int64, vars []float64, fit Fit) (Shape, int) {
	rising := fit.Significant() && fit.Slope > 0
	falling := fit.Significant() && fit.Slope < 0
	if len(v) < 2 || !rising && !falling && !scatterSignificant(v, vars) {
		return Flat, -1
	}
	if !falling {
		if k := plateauStart(x, v, vars); k >= 0 {
			return Plateau, k
		}
	}
	if rising && fit.R2 >= MinSteadyR2 {
		return SteadyGrowth, -1
	}
	if falling {
		neg := make([]int64, len(v))
		for i := range v {
			neg[i] = -v[i]
		}
		if fit.R2 >= MinSteadyR2 || plateauStart(x, neg, vars) >= 0 {
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

// plateauStart returns the snapshot k from which the series stopped
// growing, or -1. k is where a line that rises until x[k] and stays level
// after fits the values best (least squares), among the k that leave at
// least minPlateauTail snapshots from k on. The series stopped there when
// all of these hold:
//   - it rose: the tail's (from k on) mean exceeds the first value by more
//     than NoiseThreshold standard deviations;
//   - the tail is level: its slope is at most PlateauSlowdown times the
//     slope up to k and not significantly positive, and its values stay
//     within noise of each other.
func plateauStart(x []float64, v []int64, vars []float64) int {
	n := len(v)
	best, bestSSE := -1, math.Inf(1)
	hinge := make([]float64, n)
	for k := 1; k <= n-minPlateauTail(n); k++ {
		for i := range x {
			hinge[i] = min(x[i], x[k])
		}
		if sse := residuals(hinge, v); sse < bestSSE {
			best, bestSSE = k, sse
		}
	}
	if best < 0 {
		return -1
	}
	var mean, meanVar float64
	for i := best; i < n; i++ {
		mean += float64(v[i])
		meanVar += vars[i]
	}
	mean /= float64(n - best)
	// The tail's errors may persist from one snapshot to the next, so its
	// mean is taken to be as noisy as one of its values.
	meanVar /= float64(n - best)
	rise := mean - float64(v[0])
	if rise <= NoiseThreshold*math.Sqrt(vars[0]+meanVar) {
		return -1
	}
	head := fitLine(x[:best+1], v[:best+1], vars[:best+1])
	tail := fitLine(x[best:], v[best:], vars[best:])
	slowdown := head.Slope - tail.Slope
	if head.Slope <= 0 || tail.Slope > PlateauSlowdown*head.Slope ||
		slowdown <= NoiseThreshold*math.Hypot(head.SlopeNoise, tail.SlopeNoise) ||
		tail.Significant() && tail.Slope > 0 || scatterSignificant(v[best:], vars[best:]) {
		return -1
	}
	return best
}

// residuals returns the sum of squared residuals of the least-squares line
// of v over x.
func residuals(x []float64, v []int64) float64 {
	_, _, sxx, sxv, svv := moments(x, v)
	if sxx == 0 {
		return svv
	}
	return svv - sxv*sxv/sxx
}

// moments returns the means of x and v, and their centred sums of squares
// and of products.
func moments(x []float64, v []int64) (mx, mv, sxx, sxv, svv float64) {
	n := float64(len(x))
	for i := range x {
		mx += x[i]
		mv += float64(v[i])
	}
	mx, mv = mx/n, mv/n
	for i := range x {
		dx, dv := x[i]-mx, float64(v[i])-mv
		sxx += dx * dx
		sxv += dx * dv
		svv += dv * dv
	}
	return mx, mv, sxx, sxv, svv
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
