package agent

import (
	"math"
	"runtime"
	"runtime/metrics"
	"time"
)

// Memory is one sample of the process's memory, read without stopping the
// world.
type Memory struct {
	Time     time.Time `json:"time"`
	RSS      uint64    `json:"rss_bytes"`       // resident set size: VmRSS on Linux, a runtime estimate elsewhere
	PeakRSS  uint64    `json:"peak_rss_bytes"`  // highest RSS seen (VmHWM on Linux)
	LiveHeap uint64    `json:"live_heap_bytes"` // heap reachable at the last GC (/gc/heap/live:bytes)
	// PeakLiveHeap is the highest LiveHeap the agent has sampled.
	PeakLiveHeap uint64 `json:"peak_live_heap_bytes"`
	HeapGoal     uint64 `json:"heap_goal_bytes"` // heap size at which the next GC starts
	Mapped       uint64 `json:"mapped_bytes"`    // memory mapped by the Go runtime, released or not
	// Goroutines is runtime.NumGoroutine() when the sample was taken: the
	// program's goroutines, not the runtime's own (which the runtime/metrics
	// count /sched/goroutines:goroutines includes). A snapshot's
	// "goroutines" comment is this count, read at capture time.
	Goroutines uint64 `json:"goroutines"`
	GCCycles   uint64 `json:"gc_cycles"` // completed GC cycles since start
}

// Limit is the memory limit the process runs under. Zero fields mean no limit.
type Limit struct {
	GoMemLimit uint64 `json:"gomemlimit_bytes"` // from GOMEMLIMIT or debug.SetMemoryLimit
	Container  uint64 `json:"container_bytes"`  // from the cgroup (memory.max, memory.limit_in_bytes)
	// ContainerSource names the file the container limit was read from, or
	// says why none was found.
	ContainerSource string `json:"container_source,omitempty"`
}

// Effective is the smaller of the two limits, or 0 if there is none.
func (l Limit) Effective() uint64 {
	switch {
	case l.GoMemLimit == 0:
		return l.Container
	case l.Container == 0:
		return l.GoMemLimit
	}
	return min(l.GoMemLimit, l.Container)
}

// The runtime/metrics this agent reads, in the order of sampler.ms.
var metricNames = [...]string{
	"/memory/classes/total:bytes",
	"/memory/classes/heap/released:bytes",
	"/gc/heap/live:bytes",
	"/gc/heap/goal:bytes",
	"/gc/gomemlimit:bytes",
	"/gc/cycles/total:gc-cycles",
}

const (
	mTotal = iota
	mReleased
	mLive
	mGoal
	mGoMemLimit
	mGCCycles
)

// sampler reads memory with no allocation: its buffers are made once.
type sampler struct {
	ms       [len(metricNames)]metrics.Sample
	rss      rssReader
	peak     uint64 // of RSS
	peakLive uint64
}

func newSampler() *sampler {
	s := &sampler{}
	for i, name := range metricNames {
		s.ms[i].Name = name
	}
	s.rss.open()
	return s
}

func (s *sampler) close() { s.rss.close() }

// read takes one sample. It is not safe for concurrent use.
func (s *sampler) read(now time.Time) (Memory, uint64) {
	metrics.Read(s.ms[:])
	u := func(i int) uint64 {
		if s.ms[i].Value.Kind() != metrics.KindUint64 {
			return 0
		}
		return s.ms[i].Value.Uint64()
	}
	m := Memory{
		Time:       now,
		LiveHeap:   u(mLive),
		HeapGoal:   u(mGoal),
		Mapped:     u(mTotal),
		Goroutines: uint64(runtime.NumGoroutine()),
		GCCycles:   u(mGCCycles),
	}
	rss, hwm, ok := s.rss.read()
	if !ok {
		// What the Go runtime has mapped and not returned to the OS: close to
		// RSS for a pure-Go program, and what GOMEMLIMIT counts.
		rss = m.Mapped - min(m.Mapped, u(mReleased))
	}
	m.RSS = rss
	s.peak = max(s.peak, rss, hwm)
	m.PeakRSS = s.peak
	s.peakLive = max(s.peakLive, m.LiveHeap)
	m.PeakLiveHeap = s.peakLive
	gml := u(mGoMemLimit)
	if gml == math.MaxInt64 {
		gml = 0
	}
	return m, gml
}
