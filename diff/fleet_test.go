package diff

import (
	"bytes"
	"slices"
	"strconv"
	"testing"
	"time"

	pprofile "github.com/google/pprof/profile"

	"github.com/heapdiff/heapdiff/internal/heapgen"
	"github.com/heapdiff/heapdiff/profile"
)

// fleetSummaries builds every process's trend from the simulated fleet and
// keeps its summary, as the fleet command does.
func fleetSummaries(t *testing.T, cfg heapgen.FleetConfig) []ProcessSummary {
	t.Helper()
	var out []ProcessSummary
	var b *TrendBuilder
	err := heapgen.Fleet(cfg, func(i, k int, at time.Time, pp *pprofile.Profile) error {
		if k == 0 {
			b = NewTrend(TrendOptions{Options: Options{By: ByFunc}, MinSnapshots: 3})
		}
		var buf bytes.Buffer
		if err := pp.Write(&buf); err != nil {
			return err
		}
		host, pid := heapgen.FleetProcess(i)
		p, err := profile.Parse(host, buf.Bytes(), profile.Options{})
		if err != nil {
			return err
		}
		if err := b.Add(p); err != nil {
			return err
		}
		if k == cfg.Snapshots-1 {
			tr, err := b.Trend()
			if err != nil {
				return err
			}
			out = append(out, SummarizeProcess(host+"/"+strconv.Itoa(pid), tr))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// The fleet view finds what the simulated fleet planted: the processes that
// leak rank above those that do not, the code leak is shared by most
// processes, the bad instance's leak by one, the input-dependent one by
// some, and the cache that fills is no suspect anywhere.
func TestFleetFindsPlantedLeaks(t *testing.T) {
	cfg := heapgen.FleetConfig{Processes: 20, Snapshots: 12, Interval: 10 * time.Minute, Seed: 3}
	procs := fleetSummaries(t, cfg)
	procs = append(procs, UnjudgedProcess("api/web-99/1099", 2, "2 snapshots: too few to judge a shape"))
	f := NewFleet(procs)
	if f.Judged != 20 || len(f.Processes) != 21 || f.Processes[20].Name != "api/web-99/1099" || f.Processes[20].Judged() {
		t.Fatalf("judged %d of %d; last %+v", f.Judged, len(f.Processes), f.Processes[len(f.Processes)-1])
	}
	if f.Type.Type != "inuse_space" || !f.Timed || f.Snapshots != 240 {
		t.Errorf("type %v, timed %v, snapshots %d", f.Type, f.Timed, f.Snapshots)
	}
	// Every process planted with a leak ranks above every one without.
	leaky := func(name string) bool {
		for i := range cfg.Processes {
			host, pid := heapgen.FleetProcess(i)
			if name == host+"/"+strconv.Itoa(pid) {
				return len(heapgen.FleetLeaks(cfg, i)) > 0
			}
		}
		t.Fatalf("unknown process %s", name)
		return false
	}
	lastLeaky, firstClean := -1, len(f.Processes)
	for i, p := range f.Processes[:20] {
		if leaky(p.Name) {
			lastLeaky = i
			if !p.Leaking() {
				t.Errorf("%s leaks but its total is %s", p.Name, p.Total.Shape)
			}
		} else {
			firstClean = min(firstClean, i)
			if p.Leaking() || len(p.Suspects) != 0 {
				t.Errorf("%s does not leak but is %s with suspects %v", p.Name, p.Total.Shape, p.Suspects)
			}
		}
	}
	if lastLeaky > firstClean {
		t.Errorf("a clean process ranks at %d, above a leaking one at %d", firstClean, lastLeaky)
	}
	if f.Leaking != 16 {
		t.Errorf("%d leaking processes, want 16", f.Leaking)
	}
	spread := map[string]SharedSuspect{}
	for _, s := range f.Suspects {
		spread[s.Name] = s
	}
	for _, want := range []struct {
		site   string
		spread Spread
		n      int
	}{{heapgen.FleetCodeLeak, MostProcesses, 16}, {heapgen.FleetSomeLeak, SomeProcesses, 2}, {heapgen.FleetOneLeak, OneProcess, 1}} {
		s, ok := spread[want.site]
		if !ok || s.Spread != want.spread || len(s.Processes) != want.n || s.Of != 20 {
			t.Errorf("%s: %+v, want %s in %d of 20", want.site, s, want.spread, want.n)
		}
	}
	if s := spread[heapgen.FleetOneLeak]; len(s.Processes) == 1 && s.Processes[0] != "web-01/1001" {
		t.Errorf("the bad instance is %v, want web-01/1001", s.Processes)
	}
	if _, ok := spread[heapgen.FleetCache]; ok {
		t.Errorf("the cache that fills is a suspect: %+v", spread[heapgen.FleetCache])
	}
	order := []string{}
	for _, s := range f.Suspects {
		order = append(order, s.Name)
	}
	if !slices.Equal(order, []string{heapgen.FleetCodeLeak, heapgen.FleetSomeLeak, heapgen.FleetOneLeak}) {
		t.Errorf("suspects ranked %v", order)
	}
	// The code leak's processes: fastest first.
	cl := spread[heapgen.FleetCodeLeak]
	if cl.MaxSlope < cl.MedianSlope || cl.MedianSlope <= 0 || cl.Growth <= 0 {
		t.Errorf("code leak slopes: median %v, max %v, growth %d", cl.MedianSlope, cl.MaxSlope, cl.Growth)
	}
}

func TestSpreadRules(t *testing.T) {
	for _, tc := range []struct {
		n, judged int
		want      Spread
	}{{1, 1, OnlyProcess}, {1, 2, OneProcess}, {2, 2, MostProcesses}, {2, 4, MostProcesses}, {2, 5, SomeProcesses},
		{1, 200, OneProcess}, {100, 200, MostProcesses}, {99, 200, SomeProcesses}} {
		if got := spreadOf(tc.n, tc.judged); got != tc.want {
			t.Errorf("spreadOf(%d, %d) = %s, want %s", tc.n, tc.judged, got, tc.want)
		}
	}
}
