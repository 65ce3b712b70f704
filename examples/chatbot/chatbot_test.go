package main

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/heapdiff/heapdiff/diff"
	"github.com/heapdiff/heapdiff/profile"
)

// The planted leaks and the memory that is not a leak, by the function of
// their allocation site.
var (
	leakSites = []string{
		"main.(*sessionStore).touch",
		"main.(*auditLog).record",
		"main.(*rateLimiter).hit",
		"main.(*workerPool).slowRequest",
		"main.(*previewCache).fetch",
	}
	cacheSites = []string{"main.(*bot).render", "main.(*lruCache).put"}
	otherSites = []string{"main.(*bot).request", "main.newBot.func1", "main.buildTable", "main.(*bot).encode"}
)

// serviceRun is one run of the service: its snapshot directory and trend.
type serviceRun struct {
	name  string
	dir   string
	trend *diff.Trend
	err   error
}

// TestVerdictsOnARealService runs the chat bot for real, three seeds with
// the leaks and one control with every leak fixed, each taking a snapshot
// every 1.5 s for 36 s (its reply cache fills over the first 12 s, then
// holds), and reads the trends as a user would (by site, inuse_space):
//   - every planted leak ranks above every site that is not one;
//   - the full cache is never steady growth;
//   - a site-rate budget below every leak's rate fails each leaky run on
//     its leaks and passes the control.
func TestVerdictsOnARealService(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the service for 36 s")
	}
	if raceDetector {
		// The verdicts read the services' growth over time, which a
		// machine busy with every other package's -race tests slows at
		// random: a leak whose service was starved in its last third
		// reads as a plateau (twice in a day's runs). .ci/run runs this
		// test on its own, without -race.
		t.Skip("needs the machine's CPU to itself; .ci/run runs it without -race")
	}
	bin := filepath.Join(t.TempDir(), "chatbot")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	runs := []*serviceRun{{name: "seed 1"}, {name: "seed 2"}, {name: "seed 3"}, {name: "control"}}
	var wg sync.WaitGroup
	for i, r := range runs {
		r.dir = filepath.Join(t.TempDir(), fmt.Sprint(i))
		args := []string{"-dir", r.dir, "-every", "1500ms", "-for", "36s", "-rate", "400", "-seed", fmt.Sprint(i + 1)}
		if r.name == "control" {
			args = append(args, "-leaks=false")
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := exec.Command(bin, args...).CombinedOutput()
			if err != nil {
				r.err = fmt.Errorf("%s: %v\n%s", r.name, err, out)
				return
			}
			r.trend, r.err = trendOf(r.dir)
		}()
	}
	wg.Wait()
	for _, r := range runs {
		if r.err != nil {
			t.Fatal(r.err)
		}
	}

	slowestLeak := -1.0
	for _, r := range runs[:3] {
		t.Run(r.name, func(t *testing.T) {
			tr := r.trend
			t.Logf("trend of %s:\n%s", r.name, table(tr))
			rank := map[string]int{}
			for i, s := range tr.Series {
				fn := siteFunction(s)
				if _, ok := rank[fn]; !ok {
					rank[fn] = i
				}
			}
			lowestLeak := -1
			for _, fn := range leakSites {
				i, ok := rank[fn]
				if !ok {
					t.Fatalf("no site for the leak in %s:\n%s", fn, table(tr))
				}
				s := tr.Series[i]
				if s.Shape != diff.SteadyGrowth && s.Shape != diff.FaintGrowth {
					t.Errorf("the leak in %s is %s", fn, s.Shape)
				}
				lowestLeak = max(lowestLeak, i)
				if slowestLeak < 0 || s.Fit.Slope < slowestLeak {
					slowestLeak = s.Fit.Slope
				}
			}
			for _, fn := range append(append([]string(nil), cacheSites...), otherSites...) {
				if i, ok := rank[fn]; ok && i < lowestLeak {
					t.Errorf("%s (%s) ranks above a leak:\n%s", fn, tr.Series[i].Shape, table(tr))
				}
			}
			for _, s := range tr.Series {
				if fn := siteFunction(s); slices.Contains(cacheSites, fn) && s.Shape == diff.SteadyGrowth {
					t.Errorf("the full cache (%s) is steady growth:\n%s", s.Name, table(tr))
				}
			}
		})
	}

	// A budget at half the slowest leak's rate.
	budget := []diff.Budget{{Measure: diff.GroupRate, Max: slowestLeak / 2}}
	for _, r := range runs {
		bc, err := diff.CheckTrend(r.trend, budget)
		if err != nil {
			t.Fatal(err)
		}
		res := bc.Results[0]
		var over []string
		for _, s := range res.Groups {
			over = append(over, s.Name)
		}
		if r.name == "control" {
			if bc.Over {
				t.Errorf("the control fails a site-rate budget of %.0f B/h: %v\n%s", slowestLeak/2, over, table(r.trend))
			}
			continue
		}
		if !bc.Over {
			t.Errorf("%s passes a site-rate budget of %.0f B/h", r.name, slowestLeak/2)
		}
		for _, name := range over {
			if fn, _, _ := strings.Cut(name, " "); !slices.Contains(leakSites, fn) && !strings.HasPrefix(fn, "main.(*bot).handleMessage") {
				t.Errorf("%s: %s fails the budget but is not a planted leak", r.name, name)
			}
		}
	}
}

// trendOf reads a snapshot directory as heapdiff trend does, by site.
func trendOf(dir string) (*diff.Trend, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.pb.gz"))
	if err != nil {
		return nil, err
	}
	b := diff.NewTrend(diff.TrendOptions{MinSnapshots: 3})
	for _, name := range names {
		p, err := profile.Load(name, profile.Options{})
		if err != nil {
			return nil, err
		}
		if err := b.Add(p); err != nil {
			return nil, err
		}
	}
	return b.Trend()
}

// siteFunction is a site's function, without its file and line.
func siteFunction(s diff.Series) string {
	fn, _, _ := strings.Cut(s.Name, " ")
	return fn
}

// table lists a trend's sites for a failure message.
func table(tr *diff.Trend) string {
	var b strings.Builder
	for i, s := range tr.Series {
		rate := s.Fit.Slope / (1 << 20)
		fmt.Fprintf(&b, "%2d %-16s %+9.1fMiB/h ±%.1f R² %.2f %s\n", i+1, s.Shape, rate, s.Fit.SlopeNoise/(1<<20), s.Fit.R2, s.Name)
	}
	return b.String()
}
