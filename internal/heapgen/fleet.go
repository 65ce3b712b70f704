package heapgen

import (
	"fmt"
	"math/rand"
	"time"

	"github.com/google/pprof/profile"
)

// FleetConfig describes a simulated fleet: processes of one service, each
// writing a series of heap snapshots.
type FleetConfig struct {
	Processes int
	Snapshots int // per process
	Interval  time.Duration
	// Filler adds this many stacks of steady churn to every snapshot, so
	// that profiles weigh what a real service's do.
	Filler int
	Seed   int64
}

// The sites a fleet's processes hold, and the ground truth of who leaks.
const (
	// FleetCodeLeak leaks in four processes of five (all but every fifth):
	// a leak in the code.
	FleetCodeLeak = "main.(*SessionStore).Open"
	// FleetOneLeak leaks in process 1 only: a bad instance.
	FleetOneLeak = "main.(*Batcher).Grow"
	// FleetSomeLeak leaks in every tenth process (0, 10, ...) when the
	// fleet has more than ten: input only some processes see.
	FleetSomeLeak = "main.(*Upload).Buffer"
	// FleetCache fills and stops in every process: a plateau.
	FleetCache = "main.(*Cache).Put"
	// FleetConfigSite never moves.
	FleetConfigSite = "main.loadConfig"
)

// FleetLeaks returns the sites that leak in process i.
func FleetLeaks(cfg FleetConfig, i int) []string {
	var leaks []string
	if i%5 != 4 {
		leaks = append(leaks, FleetCodeLeak)
	}
	if i == 1 {
		leaks = append(leaks, FleetOneLeak)
	}
	if cfg.Processes > 10 && i%10 == 0 {
		leaks = append(leaks, FleetSomeLeak)
	}
	return leaks
}

// FleetProcess names process i: its host and pid.
func FleetProcess(i int) (host string, pid int) { return fmt.Sprintf("web-%02d", i), 1000 + i }

// Fleet calls fn with every snapshot of every process, process by process,
// in time order within each: i is the process, k the snapshot. Processes
// start a few minutes apart, as replicas that come and go. fn gets a fresh
// profile each time. Output depends only on cfg.
func Fleet(cfg FleetConfig, fn func(i, k int, at time.Time, p *profile.Profile) error) error {
	t0 := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	const mib = 1 << 20
	for i := range cfg.Processes {
		rng := rand.New(rand.NewSource(cfg.Seed + int64(i)*7919))
		leaks := map[string]bool{}
		for _, l := range FleetLeaks(cfg, i) {
			leaks[l] = true
		}
		start := t0.Add(time.Duration(i) * 3 * time.Minute)
		// Per-process rates: the code leak grows 4–8 MiB per snapshot.
		codeStep := int64(4*mib + rng.Intn(4*mib))
		host, pid := FleetProcess(i)
		var st fleetState
		for k := range cfg.Snapshots {
			at := start.Add(time.Duration(k) * cfg.Interval)
			inuse := map[string]int64{
				FleetCodeLeak:   4 * mib,
				FleetOneLeak:    2 * mib,
				FleetSomeLeak:   mib,
				FleetCache:      min(int64(k+1), 3) * 6 * mib,
				FleetConfigSite: 2 * mib,
			}
			if leaks[FleetCodeLeak] {
				inuse[FleetCodeLeak] += codeStep * int64(k)
			}
			if leaks[FleetOneLeak] {
				inuse[FleetOneLeak] += 5 * mib * int64(k)
			}
			if leaks[FleetSomeLeak] {
				inuse[FleetSomeLeak] += 3 * mib * int64(k)
			}
			p := fleetProfile(at, host, pid, inuse, &st, cfg.Filler, rng)
			if err := fn(i, k, at, p); err != nil {
				return err
			}
		}
	}
	return nil
}

// fleetState is a process's cumulative allocations, which only grow: of
// each named site, what it had live at the last snapshot, and the filler's.
type fleetState struct {
	alloc, prev [5]int64
	filler      []int64
}

// fleetSites are the named sites, in a fixed order.
var fleetSites = []struct {
	fn   string
	line int64
}{{FleetCodeLeak, 50}, {FleetOneLeak, 90}, {FleetSomeLeak, 120}, {FleetCache, 80}, {FleetConfigSite, 103}}

func fleetProfile(at time.Time, host string, pid int, inuse map[string]int64, st *fleetState, filler int, rng *rand.Rand) *profile.Profile {
	p := &profile.Profile{
		SampleType: []*profile.ValueType{
			{Type: "alloc_objects", Unit: "count"}, {Type: "alloc_space", Unit: "bytes"},
			{Type: "inuse_objects", Unit: "count"}, {Type: "inuse_space", Unit: "bytes"},
		},
		PeriodType: &profile.ValueType{Type: "space", Unit: "bytes"},
		Period:     512 * 1024,
		TimeNanos:  at.UnixNano(),
		Comments:   []string{"heapdiff.host=" + host, fmt.Sprintf("heapdiff.pid=%d", pid), "heapdiff.main_module=example.com/api@v1.0.0"},
	}
	m := &profile.Mapping{ID: 1, Start: 0x400000, Limit: 0x8000000, File: "/usr/local/bin/api", HasFunctions: true, HasFilenames: true, HasLineNumbers: true}
	p.Mapping = []*profile.Mapping{m}
	mainFn := &profile.Function{ID: 1, Name: "main.main", SystemName: "main.main", Filename: "/src/api/main.go"}
	mainLoc := &profile.Location{ID: 1, Mapping: m, Address: 0x400000, Line: []profile.Line{{Function: mainFn, Line: 10}}}
	p.Function = append(p.Function, mainFn)
	p.Location = append(p.Location, mainLoc)
	const size = 4096
	add := func(name string, line int64, inuse, allocated int64) {
		id := uint64(len(p.Function) + 1)
		f := &profile.Function{ID: id, Name: name, SystemName: name, Filename: "/src/api/main.go"}
		l := &profile.Location{ID: uint64(len(p.Location) + 1), Mapping: m, Address: 0x400000 + id*16, Line: []profile.Line{{Function: f, Line: line}}}
		p.Function = append(p.Function, f)
		p.Location = append(p.Location, l)
		p.Sample = append(p.Sample, &profile.Sample{Location: []*profile.Location{l, mainLoc},
			Value: []int64{allocated / size, allocated, inuse / size, inuse}, NumLabel: map[string][]int64{"bytes": {size}}})
	}
	for j, s := range fleetSites {
		v := inuse[s.fn]
		st.alloc[j] += max(v-st.prev[j], 0) + v/8 // what became live, and some churn
		st.prev[j] = v
		add(s.fn, s.line, v, st.alloc[j])
	}
	if len(st.filler) < filler {
		st.filler = make([]int64, filler)
	}
	for f := range filler {
		v := int64(64<<10 + rng.Intn(64<<10))
		st.filler[f] += v // each request's buffers, freed by the next
		add(fmt.Sprintf("main.handler%d", f), int64(200+f), v, st.filler[f])
	}
	return p
}
