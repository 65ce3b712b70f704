package agent

import (
	"math"
	"time"
)

// Growth is a least-squares line fitted through the samples of one series
// over the growth window.
type Growth struct {
	BytesPerHour float64 `json:"bytes_per_hour"`
	// R2 is the coefficient of determination, from 0 to 1: near 1 for a steady
	// climb, near 0 for noise around a flat line.
	R2      float64 `json:"r2"`
	Samples int     `json:"samples"`      // samples in the fit
	Span    float64 `json:"span_seconds"` // time between the first and last of them
}

// A GrowthFit fits two memory series against time by least squares over a
// bounded window of samples: RSS at every sample, and a heap only at the
// samples that measured it afresh. The agent fits its own process this way;
// "heapdiff capture node://" fits a Node.js process's RSS and V8 heap with
// one. Its memory does not grow with uptime. Not safe for concurrent use.
type GrowthFit struct{ r *ring }

// NewGrowthFit returns a fit holding enough samples taken every every to
// cover window.
func NewGrowthFit(window, every time.Duration) *GrowthFit {
	return &GrowthFit{r: newRing(window, every)}
}

// Add records the sample taken at t. fresh says heap is a new measurement
// (for the Go runtime's live heap, a GC finished since the last sample); a
// heap that merely repeats an old figure is left out of the heap's fit.
func (g *GrowthFit) Add(t time.Time, rss, heap float64, fresh bool) {
	g.r.add(point{t: t, rss: rss, live: heap, gc: fresh})
}

// Fit returns the growth of RSS and of the heap over the samples no older
// than window before the newest.
func (g *GrowthFit) Fit(window time.Duration) (rss, heap Growth) { return g.r.fit(window) }

// point is one sample as the growth fit sees it.
type point struct {
	t         time.Time
	rss, live float64
	// gc says a garbage collection finished since the previous sample, so
	// live is a new measurement. The runtime measures the live heap only at
	// the end of a GC; between GCs it reports the last one's figure again,
	// and fitting those repeats would draw a staircase the fit reads as a
	// flat line (no GC for a minute: "0 B/h") or as a straight one.
	gc bool
}

// ring keeps the most recent samples, enough to cover the growth window. It is
// bounded: memory use does not grow with uptime.
type ring struct {
	buf   []point
	start int // index of the oldest point
	n     int
}

// maxRing bounds the ring whatever the window and sample interval.
const maxRing = 10_000

func newRing(window, every time.Duration) *ring {
	n := int(window/every) + 2
	return &ring{buf: make([]point, min(max(n, 3), maxRing))}
}

func (r *ring) add(p point) {
	if r.n < len(r.buf) {
		r.buf[(r.start+r.n)%len(r.buf)] = p
		r.n++
		return
	}
	r.buf[r.start] = p
	r.start = (r.start + 1) % len(r.buf)
}

func (r *ring) at(i int) point { return r.buf[(r.start+i)%len(r.buf)] }

// fit fits rss and live heap against time over the points no older than
// window before the newest. RSS is fitted at every point; the live heap only
// at the points where a GC had finished since the one before, each one a
// fresh measurement (see point.gc), and its span runs from the first of
// those to the last.
func (r *ring) fit(window time.Duration) (rss, live Growth) {
	if r.n == 0 {
		return
	}
	last := r.at(r.n - 1).t
	first := 0
	for first < r.n-1 && last.Sub(r.at(first).t) > window {
		first++
	}
	var f1, f2 fitter
	p0 := r.at(first)
	var live0 point // the first fresh live-heap point
	var liveLast time.Time
	for i := first; i < r.n; i++ {
		p := r.at(i)
		// Hours, so the slope comes out in bytes per hour; values relative to
		// the first point, so the sums of squares keep their precision.
		x := p.t.Sub(p0.t).Hours()
		f1.add(x, p.rss-p0.rss)
		if p.gc {
			if live0.t.IsZero() {
				live0 = p
			}
			f2.add(x, p.live-live0.live)
			liveLast = p.t
		}
	}
	liveSpan := 0.0
	if !live0.t.IsZero() {
		liveSpan = liveLast.Sub(live0.t).Seconds()
	}
	return f1.growth(last.Sub(p0.t).Seconds()), f2.growth(liveSpan)
}

// fitter accumulates the sums for a simple linear regression.
type fitter struct {
	n, sx, sy, sxx, sxy, syy float64
}

func (f *fitter) add(x, y float64) {
	f.n++
	f.sx += x
	f.sy += y
	f.sxx += x * x
	f.sxy += x * y
	f.syy += y * y
}

func (f *fitter) growth(span float64) Growth {
	g := Growth{Samples: int(f.n), Span: span}
	if f.n < 2 {
		return g
	}
	vx := f.sxx - f.sx*f.sx/f.n
	vy := f.syy - f.sy*f.sy/f.n
	cxy := f.sxy - f.sx*f.sy/f.n
	if vx <= 0 {
		return g
	}
	g.BytesPerHour = cxy / vx
	if vy > 0 {
		g.R2 = math.Min(1, math.Max(0, cxy*cxy/(vx*vy)))
	}
	return g
}
