package diff

import (
	"cmp"
	"math"
	"slices"
	"time"

	"github.com/heapdiff/heapdiff/profile"
)

// The fleet view looks across many processes of one service (pods, VMs,
// machines that come and go), each followed by its own Trend, and answers
// two questions: which processes leak, ranked by how fast their live heap
// grows; and which leak suspects are shared by most processes (a leak in
// the code, which every instance runs) rather than found in one (a bad
// instance, or bad input reaching one). It keeps a small summary of each
// process's trend, so a fleet of any size costs memory by sites, not by
// snapshots: build a trend, summarize it, drop it.

// Majority is the share of judged processes a suspect must be found in,
// at least two of them, to be called shared by most: a leak in the code.
const Majority = 0.5

// Spread says how widely a leak suspect is found across a fleet.
type Spread int

// The spreads, most widely shared first.
const (
	// MostProcesses: a suspect in at least Majority of the judged
	// processes, and in two or more. Every instance runs the same code, so
	// the leak is in the code.
	MostProcesses Spread = iota
	// SomeProcesses: in two or more, but fewer than Majority: a leak that
	// needs something only some instances see (a kind of input, a
	// configuration, a version being rolled out).
	SomeProcesses
	// OneProcess: in one process of several: a bad instance or bad input.
	OneProcess
	// OnlyProcess: the fleet has one judged process, so nothing can be
	// said about spread.
	OnlyProcess
)

var (
	spreadNames = []string{"code leak (most processes)", "some processes", "one process", "only process"}
	spreadKeys  = []string{"most", "some", "one", "only"}
)

// String returns the spread as people read it.
func (s Spread) String() string {
	if s >= 0 && int(s) < len(spreadNames) {
		return spreadNames[s]
	}
	return "Spread(?)"
}

// Key returns the spread as machines read it (JSON): most, some, one, only.
func (s Spread) Key() string {
	if s >= 0 && int(s) < len(spreadKeys) {
		return spreadKeys[s]
	}
	return s.String()
}

// SeriesSummary is what the fleet keeps of one series: its first and last
// values, its line and its shape.
type SeriesSummary struct {
	Name   string
	First  int64
	Last   int64
	Fit    Fit
	Shape  Shape
	Growth Change
}

func summarize(s *Series) SeriesSummary {
	return SeriesSummary{Name: s.Name, First: s.Growth.Base, Last: s.Growth.Target, Fit: s.Fit, Shape: s.Shape, Growth: s.Growth}
}

// IsSuspect reports whether a series is a leak suspect: steady or faint
// growth, whose slope is beyond noise and positive.
func (s SeriesSummary) IsSuspect() bool {
	return (s.Shape == SteadyGrowth || s.Shape == FaintGrowth) && s.Fit.Significant() && s.Fit.Slope > 0
}

// ProcessSummary is what the fleet keeps of one process: its trend's total
// (the live heap, for inuse_space) and its leak suspects. A process that
// could not be judged (too few snapshots, snapshots that do not form one
// series) has a Problem and nothing else.
type ProcessSummary struct {
	// Name identifies the process, such as SERVICE/HOST/PID.
	Name      string
	Snapshots int
	First     time.Time
	Last      time.Time
	// Timed is set when every snapshot had a time: slopes are per hour.
	Timed bool
	Type  profile.ValueType
	Total SeriesSummary
	// Suspects are the sites with steady or faint growth beyond noise, in
	// the trend's rank order.
	Suspects []SeriesSummary
	Warnings []string
	// Problem says why the process has no trend; empty when it has one.
	Problem string
}

// Judged reports whether the process has a trend.
func (p *ProcessSummary) Judged() bool { return p.Problem == "" }

// Leaking reports whether the process's total grows steadily beyond noise.
func (p *ProcessSummary) Leaking() bool {
	return p.Judged() && p.Total.Shape == SteadyGrowth && p.Total.IsSuspect()
}

// SummarizeProcess keeps what the fleet view needs of t: its total and its
// leak suspects. The trend can be dropped afterwards.
func SummarizeProcess(name string, t *Trend) ProcessSummary {
	p := ProcessSummary{Name: name, Snapshots: len(t.Snapshots), Timed: t.Timed, Type: t.Type, Total: summarize(&t.Total)}
	if t.Timed {
		p.First, p.Last = t.Snapshots[0].Time, t.Snapshots[len(t.Snapshots)-1].Time
	}
	for i := range t.Series {
		if s := summarize(&t.Series[i]); s.IsSuspect() {
			p.Suspects = append(p.Suspects, s)
		}
	}
	for _, w := range t.Warnings {
		p.Warnings = append(p.Warnings, w.Error())
	}
	return p
}

// UnjudgedProcess records a process that has no trend, and why.
func UnjudgedProcess(name string, snapshots int, problem string) ProcessSummary {
	return ProcessSummary{Name: name, Snapshots: snapshots, Problem: problem}
}

// SharedSuspect is one leak suspect across the fleet.
type SharedSuspect struct {
	Name string
	// Processes names the processes it is a suspect in, fastest growing
	// first.
	Processes []string
	// Of is how many processes were judged.
	Of     int
	Spread Spread
	// MedianSlope and MaxSlope are of its slopes in those processes.
	MedianSlope float64
	MaxSlope    float64
	// Growth sums its growth, first snapshot to last, over those processes.
	Growth int64
}

// Share returns the share of judged processes the suspect is found in.
func (s *SharedSuspect) Share() float64 {
	if s.Of == 0 {
		return 0
	}
	return float64(len(s.Processes)) / float64(s.Of)
}

// Fleet is the view across a fleet's processes.
type Fleet struct {
	Type profile.ValueType
	// Timed is set when every judged process's slopes are per hour.
	Timed bool
	// Processes holds every process: judged ones ranked by the growth rate
	// of their total (leaking ones, growing steadily beyond noise, first),
	// then the unjudged by name.
	Processes []ProcessSummary
	// Judged counts the processes with a trend.
	Judged int
	// Leaking counts the judged processes whose total grows steadily.
	Leaking int
	// Suspects are the leak suspects across processes, most widely shared
	// first, then by median slope.
	Suspects []SharedSuspect
	First    time.Time
	Last     time.Time
	// Snapshots counts the snapshots of judged processes.
	Snapshots int
	Warnings  []string
}

// NewFleet ranks processes and pools their suspects. Processes whose sample
// type differs from the first judged one's are left unjudged, with a
// problem saying so.
func NewFleet(procs []ProcessSummary) *Fleet {
	f := &Fleet{Timed: true}
	first := true
	for i := range procs {
		p := procs[i]
		p.Suspects = slices.Clone(p.Suspects)
		if p.Judged() {
			if first {
				f.Type, first = p.Type, false
			} else if p.Type != f.Type {
				p = UnjudgedProcess(p.Name, p.Snapshots, "its snapshots follow "+p.Type.Type+"/"+p.Type.Unit+", the fleet "+f.Type.Type+"/"+f.Type.Unit)
			}
		}
		if p.Judged() {
			f.Judged++
			f.Snapshots += p.Snapshots
			f.Timed = f.Timed && p.Timed
			if p.Leaking() {
				f.Leaking++
			}
			if !p.First.IsZero() && (f.First.IsZero() || p.First.Before(f.First)) {
				f.First = p.First
			}
			if p.Last.After(f.Last) {
				f.Last = p.Last
			}
		}
		f.Processes = append(f.Processes, p)
	}
	if f.Judged == 0 {
		f.Timed = false
	}
	slices.SortStableFunc(f.Processes, func(a, b ProcessSummary) int {
		if a.Judged() != b.Judged() {
			return boolFirst(a.Judged(), b.Judged())
		}
		if !a.Judged() {
			return cmp.Compare(a.Name, b.Name)
		}
		if a.Leaking() != b.Leaking() {
			return boolFirst(a.Leaking(), b.Leaking())
		}
		return cmp.Or(cmp.Compare(b.Total.Fit.Slope, a.Total.Fit.Slope), cmp.Compare(a.Name, b.Name))
	})
	f.Suspects = poolSuspects(f.Processes, f.Judged)
	return f
}

// boolFirst orders true before false.
func boolFirst(a, b bool) int {
	if a == b {
		return 0
	}
	if a {
		return -1
	}
	return 1
}

// poolSuspects gathers each suspect's processes (ranked processes in,
// fastest first) and judges its spread.
func poolSuspects(procs []ProcessSummary, judged int) []SharedSuspect {
	index := map[string]int{}
	var out []SharedSuspect
	var slopes [][]float64
	for _, p := range procs {
		if !p.Judged() {
			continue
		}
		seen := map[string]bool{}
		for _, s := range p.Suspects {
			if seen[s.Name] { // one row per site and process
				continue
			}
			seen[s.Name] = true
			i, ok := index[s.Name]
			if !ok {
				i = len(out)
				index[s.Name] = i
				out = append(out, SharedSuspect{Name: s.Name, Of: judged})
				slopes = append(slopes, nil)
			}
			out[i].Processes = append(out[i].Processes, p.Name)
			out[i].Growth += s.Growth.Delta()
			slopes[i] = append(slopes[i], s.Fit.Slope)
		}
	}
	for i := range out {
		s := &out[i]
		s.MedianSlope, s.MaxSlope = median(slopes[i]), slices.Max(slopes[i])
		s.Spread = spreadOf(len(s.Processes), judged)
		// The processes' order is the fleet's rank; show the fastest
		// growers of this site first.
		order := make([]int, len(s.Processes))
		for k := range order {
			order[k] = k
		}
		slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(slopes[i][b], slopes[i][a]) })
		names := make([]string, len(order))
		for k, j := range order {
			names[k] = s.Processes[j]
		}
		s.Processes = names
	}
	slices.SortStableFunc(out, func(a, b SharedSuspect) int {
		return cmp.Or(cmp.Compare(a.Spread, b.Spread), cmp.Compare(len(b.Processes), len(a.Processes)),
			cmp.Compare(b.MedianSlope, a.MedianSlope), cmp.Compare(a.Name, b.Name))
	})
	return out
}

// spreadOf judges how widely a suspect found in n of judged processes is
// shared.
func spreadOf(n, judged int) Spread {
	switch {
	case judged <= 1:
		return OnlyProcess
	case n >= 2 && float64(n) >= Majority*float64(judged):
		return MostProcesses
	case n >= 2:
		return SomeProcesses
	}
	return OneProcess
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n == 0 {
		return math.NaN()
	}
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
