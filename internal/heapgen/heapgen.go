// Package heapgen generates large, realistic Go heap profile pairs for
// benchmarks: many distinct stacks over a shared call graph, values with Go's
// four heap sample types and "bytes" labels, and a second profile whose stacks
// grew, shrank, appeared and vanished, with every ID renumbered and every table
// shuffled, so nothing can be matched by ID or position. Output depends only
// on the Config.
package heapgen

import (
	"fmt"
	"math/rand"
	"time"

	"github.com/google/pprof/profile"
)

// Config sizes a generated pair.
type Config struct {
	Stacks    int   // distinct stacks in the base profile
	Functions int   // distinct functions
	MinDepth  int   // shortest stack
	MaxDepth  int   // longest stack
	Seed      int64 // the same seed gives the same pair
}

// Large is the benchmark pair the README's figures are for: about 200,000
// stacks over 20,000 functions, 10-40 frames deep, about 14 MB gzipped each.
var Large = Config{Stacks: 200_000, Functions: 20_000, MinDepth: 10, MaxDepth: 40, Seed: 1}

// Million is five times Large: 1,000,000 distinct stacks in each profile,
// about 80 MB gzipped each, the second size bench/run.sh measures (issue
// 19's "1M-stack pair"). Generating it takes about half a minute and 3 GiB.
var Million = Config{Stacks: 1_000_000, Functions: 20_000, MinDepth: 10, MaxDepth: 40, Seed: 1}

// Huge is ten times Large: 2,000,000 distinct stacks in each profile, about
// 2,200,000 in both together, about 186 MB decompressed (151 MB gzipped)
// each. It is the pair "bash bench/memory.sh huge" checks compare's memory
// budget on; generating it takes about a minute and 6 GiB.
var Huge = Config{Stacks: 2_000_000, Functions: 20_000, MinDepth: 10, MaxDepth: 40, Seed: 1}

// Small is a quick pair for tests and short benchmarks.
var Small = Config{Stacks: 2_000, Functions: 500, MinDepth: 5, MaxDepth: 20, Seed: 1}

// site is a call site: a function and a line in it.
type site struct {
	fn   int
	line int64
}

type stack struct {
	sites []int // indexes into sites, leaf first
	size  int64 // object size
	count int64 // in-use objects
	alloc int64 // allocated objects (>= count)
}

// Pair returns a base profile and a target profile.
func Pair(cfg Config) (base, target *profile.Profile) {
	rng := rand.New(rand.NewSource(cfg.Seed))
	names := make([]string, cfg.Functions)
	files := make([]string, cfg.Functions)
	for i := range names {
		pkg := fmt.Sprintf("github.com/example/svc%d/internal/pkg%d", i%37, i%211)
		names[i] = fmt.Sprintf("%s.(*Type%d).Method%d", pkg, i%97, i)
		files[i] = fmt.Sprintf("/src/%s/file%d.go", pkg, i%13)
	}
	// A few call sites per function; callers are drawn from a skewed
	// distribution so stacks share their outer frames, as real ones do.
	var sites []site
	for f := 0; f < cfg.Functions; f++ {
		for l := 0; l < 1+rng.Intn(5); l++ {
			sites = append(sites, site{fn: f, line: int64(10 + rng.Intn(400))})
		}
	}
	pick := func(depth, maxDepth int) int {
		// Outer frames come from a small set, inner ones from anywhere.
		outer := float64(depth) / float64(maxDepth)
		n := len(sites)
		if outer > 0.6 {
			n = max(1, int(float64(len(sites))*(1-outer)*0.5))
		}
		return rng.Intn(n)
	}
	seen := map[string]bool{}
	var stacks []stack
	for len(stacks) < cfg.Stacks {
		depth := cfg.MinDepth + rng.Intn(cfg.MaxDepth-cfg.MinDepth+1)
		st := stack{sites: make([]int, depth)}
		for d := range st.sites {
			st.sites[d] = pick(d, depth)
		}
		key := fmt.Sprint(st.sites)
		if seen[key] {
			continue
		}
		seen[key] = true
		st.size = int64(8 << rng.Intn(14)) // 8 B to 64 KiB
		st.count = int64(1 + rng.Intn(2000))
		st.alloc = st.count * int64(1+rng.Intn(50))
		stacks = append(stacks, st)
	}

	t0 := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	base = build(stacks, sites, names, files, t0, rng)

	// The target: 10% of stacks gone, 30% grown, 20% shrunk, 10% new.
	var next []stack
	for _, st := range stacks {
		switch r := rng.Float64(); {
		case r < 0.10:
			continue
		case r < 0.40:
			st.count += 1 + st.count*int64(rng.Intn(300))/100
			st.alloc += st.count * 3
		case r < 0.60:
			st.count -= st.count * int64(rng.Intn(90)) / 100
			st.alloc += st.count
		}
		next = append(next, st)
	}
	for added := 0; added < cfg.Stacks/10; {
		depth := cfg.MinDepth + rng.Intn(cfg.MaxDepth-cfg.MinDepth+1)
		st := stack{sites: make([]int, depth), size: int64(8 << rng.Intn(14)), count: int64(1 + rng.Intn(2000))}
		st.alloc = st.count * 2
		for d := range st.sites {
			st.sites[d] = pick(d, depth)
		}
		key := fmt.Sprint(st.sites)
		if seen[key] {
			continue
		}
		seen[key] = true
		next = append(next, st)
		added++
	}
	target = build(next, sites, names, files, t0.Add(time.Hour), rng)
	return base, target
}

// build assembles a profile from stacks, numbering and ordering functions,
// locations and samples in a random order of its own.
func build(stacks []stack, sites []site, names, files []string, at time.Time, rng *rand.Rand) *profile.Profile {
	p := &profile.Profile{
		SampleType: []*profile.ValueType{
			{Type: "alloc_objects", Unit: "count"}, {Type: "alloc_space", Unit: "bytes"},
			{Type: "inuse_objects", Unit: "count"}, {Type: "inuse_space", Unit: "bytes"},
		},
		PeriodType: &profile.ValueType{Type: "space", Unit: "bytes"},
		Period:     512 * 1024,
		TimeNanos:  at.UnixNano(),
	}
	m := &profile.Mapping{ID: 1, Start: 0x400000, Limit: 0x8000000, File: "/usr/local/bin/svc", HasFunctions: true, HasFilenames: true, HasLineNumbers: true}
	p.Mapping = []*profile.Mapping{m}
	fnID := rng.Perm(len(names))
	fns := make([]*profile.Function, len(names))
	for i := range names {
		fns[i] = &profile.Function{ID: uint64(fnID[i] + 1), Name: names[i], SystemName: names[i], Filename: files[i]}
	}
	locID := rng.Perm(len(sites))
	locs := make([]*profile.Location, len(sites))
	for i, s := range sites {
		locs[i] = &profile.Location{ID: uint64(locID[i] + 1), Mapping: m, Address: 0x400000 + uint64(i)*16,
			Line: []profile.Line{{Function: fns[s.fn], Line: s.line}}}
	}
	for _, i := range rng.Perm(len(stacks)) {
		st := stacks[i]
		sample := &profile.Sample{
			Value:    []int64{st.alloc, st.alloc * st.size, st.count, st.count * st.size},
			NumLabel: map[string][]int64{"bytes": {st.size}},
		}
		for _, s := range st.sites {
			sample.Location = append(sample.Location, locs[s])
		}
		p.Sample = append(p.Sample, sample)
	}
	for _, i := range rng.Perm(len(fns)) {
		p.Function = append(p.Function, fns[i])
	}
	for _, i := range rng.Perm(len(locs)) {
		p.Location = append(p.Location, locs[i])
	}
	return p
}
