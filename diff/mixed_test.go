package diff

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/heapdiff/heapdiff/profile"
)

func TestSameProgram(t *testing.T) {
	bot := []string{"heapdiff.host=a", "heapdiff.pid=1", "heapdiff.main_module=example.com/bot"}
	botElsewhere := []string{"heapdiff.host=b", "heapdiff.pid=7", "heapdiff.main_module=example.com/bot"}
	other := []string{"heapdiff.host=a", "heapdiff.pid=1", "heapdiff.main_module=example.com/shop"}

	if w, err := sameProgram("a.pb.gz", "b.pb.gz", bot, bot, false); err != nil || len(w) != 0 {
		t.Errorf("one process: %v, %v", w, err)
	}
	w, err := sameProgram("a.pb.gz", "b.pb.gz", bot, botElsewhere, false)
	if err != nil || len(w) != 1 || !strings.Contains(w[0].Error(), "host=a pid=1") || !strings.Contains(w[0].Error(), "host=b pid=7") {
		t.Errorf("two processes of one program: %v, %v", w, err)
	}
	_, err = sameProgram("a.pb.gz", "b.pb.gz", bot, other, false)
	if !errors.Is(err, ErrMixed) || !strings.Contains(err.Error(), "example.com/bot") || !strings.Contains(err.Error(), "example.com/shop") {
		t.Errorf("two programs: %v", err)
	}
	if w, err := sameProgram("a.pb.gz", "b.pb.gz", bot, other, true); err != nil || len(w) != 1 || !errors.Is(w[0], ErrMixed) {
		t.Errorf("two programs, allowed: %v, %v", w, err)
	}
	// Profiles that say nothing of where they come from are compared.
	if w, err := sameProgram("a.pb.gz", "b.pb.gz", nil, other, false); err != nil || len(w) != 0 {
		t.Errorf("no metadata: %v, %v", w, err)
	}
}

// twoProfiles returns a base and a target heap profile: one stack of the
// service's own, growing, and one through heapdiff's agent.
func twoProfiles(gap time.Duration, baseComments, targetComments []string) (*profile.Profile, *profile.Profile) {
	mk := func(at time.Time, own int64, comments []string) *profile.Profile {
		return &profile.Profile{
			Name:        "p-" + at.Format("150405") + ".pb.gz",
			Format:      profile.FormatPprof,
			SampleTypes: []profile.ValueType{{Type: "inuse_space", Unit: "bytes"}},
			Time:        at,
			Comments:    comments,
			Frames: []profile.Frame{
				{Function: "main.leak", File: "/src/main.go", Line: 10},
				{Function: "github.com/heapdiff/heapdiff/agent.(*Agent).capture", File: "/src/agent/capture.go", Line: 90},
				{Function: "github.com/heapdiff/heapdiffx.Other", File: "/src/x.go", Line: 1},
			},
			Stacks: []profile.Stack{
				{Frames: []int32{0}, Values: []int64{own}},
				{Frames: []int32{1}, Values: []int64{2 << 20}},
				{Frames: []int32{2}, Values: []int64{1 << 20}},
			},
		}
	}
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	return mk(t0, 1<<20, baseComments), mk(t0.Add(gap), 5<<20, targetComments)
}

func TestCompareLeavesOutTheAgent(t *testing.T) {
	a, b := twoProfiles(time.Hour, nil, nil)
	c, err := Compare(a, b, Options{By: ByFunc})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range c.Rows {
		names = append(names, r.Name)
	}
	if slices.ContainsFunc(names, func(n string) bool { return strings.Contains(n, "heapdiff/agent") }) ||
		!slices.Contains(names, "github.com/heapdiff/heapdiffx.Other") || c.Total[0].Target != 6<<20 {
		t.Errorf("rows %v, total %+v", names, c.Total[0])
	}
	c, err = Compare(a, b, Options{By: ByFunc, KeepAgent: true})
	if err != nil || len(c.Rows) != 3 || c.Total[0].Target != 8<<20 {
		t.Errorf("KeepAgent: %d rows, total %+v, %v", len(c.Rows), c.Total, err)
	}
}

func TestCompareRefusesTwoPrograms(t *testing.T) {
	a, b := twoProfiles(time.Hour, []string{"heapdiff.main_module=example.com/bot"}, []string{"heapdiff.main_module=example.com/shop"})
	if _, err := Compare(a, b, Options{}); !errors.Is(err, ErrMixed) {
		t.Errorf("two programs: %v", err)
	}
	c, err := Compare(a, b, Options{AllowMixed: true})
	if err != nil || !slices.ContainsFunc(c.Warnings, func(w error) bool { return errors.Is(w, ErrMixed) }) {
		t.Errorf("two programs, allowed: %v, warnings %v", err, c.Warnings)
	}
	a, b = twoProfiles(time.Hour, []string{"host=a", "pid=1"}, []string{"host=a", "pid=2"})
	c, err = Compare(a, b, Options{})
	if err != nil || !slices.ContainsFunc(c.Warnings, func(w error) bool { return strings.Contains(w.Error(), "host=a pid=2") }) {
		t.Errorf("two processes: %v, warnings %v", err, c.Warnings)
	}
}

// TestNoRateOverSeconds checks that profiles taken seconds apart give no
// rate per hour (the datadog pair, 0 s apart, read +403.7GiB/h).
func TestNoRateOverSeconds(t *testing.T) {
	a, b := twoProfiles(2*time.Second, nil, nil)
	c, err := Compare(a, b, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := c.RatePerHour(c.Total[0]); ok {
		t.Error("a rate over 2 seconds")
	}
	if !slices.ContainsFunc(c.Warnings, func(w error) bool { return strings.Contains(w.Error(), "too close for a rate") }) {
		t.Errorf("warnings %v", c.Warnings)
	}
	if _, err := CheckComparison(c, []Limit{{SiteRate, 1}}); !errors.Is(err, ErrNoTimes) {
		t.Errorf("a rate budget over 2 seconds: %v", err)
	}
	a, b = twoProfiles(time.Minute, nil, nil)
	if c, _ := Compare(a, b, Options{}); c == nil {
		t.Fatal("no comparison")
	} else if r, ok := c.RatePerHour(c.Total[0]); !ok || r != float64(4<<20)*60 {
		t.Errorf("a minute apart: rate %v, %v", r, ok)
	}
}
