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
	p := func(name string, comments []string, main profile.Binary) *profile.Profile {
		return &profile.Profile{Name: name, Comments: comments, Main: main}
	}
	bot := []string{"heapdiff.host=a", "heapdiff.pid=1", "heapdiff.main_module=example.com/bot"}
	botElsewhere := []string{"heapdiff.host=b", "heapdiff.pid=7", "heapdiff.main_module=example.com/bot"}
	other := []string{"heapdiff.host=a", "heapdiff.pid=1", "heapdiff.main_module=example.com/shop"}
	build1 := profile.Binary{File: "/srv/bot", BuildID: "aaa"}

	if w, err := sameProgram(p("a", bot, build1), p("b", bot, build1), false); err != nil || len(w) != 0 {
		t.Errorf("one process: %v, %v", w, err)
	}
	w, err := sameProgram(p("a", bot, build1), p("b", botElsewhere, build1), false)
	if err != nil || len(w) != 1 || !strings.Contains(w[0].Error(), "host=a pid=1") || !strings.Contains(w[0].Error(), "host=b pid=7") {
		t.Errorf("two processes of one program: %v, %v", w, err)
	}
	_, err = sameProgram(p("a", bot, build1), p("b", other, build1), false)
	if !errors.Is(err, ErrMixed) || !strings.Contains(err.Error(), "example.com/bot") || !strings.Contains(err.Error(), "example.com/shop") {
		t.Errorf("two programs: %v", err)
	}
	if w, err := sameProgram(p("a", bot, build1), p("b", other, build1), true); err != nil || len(w) != 1 || !errors.Is(w[0], ErrMixed) {
		t.Errorf("two programs, allowed: %v, %v", w, err)
	}
	// Profiles that say nothing of where they come from are compared.
	if w, err := sameProgram(p("a", nil, profile.Binary{}), p("b", other, build1), false); err != nil || len(w) != 0 {
		t.Errorf("no metadata: %v, %v", w, err)
	}
	// The main binary, as pprof names it.
	w, _ = sameProgram(p("a", nil, build1), p("b", nil, profile.Binary{File: "/srv/bot", BuildID: "bbb"}), false)
	if len(w) != 1 || !strings.Contains(w[0].Error(), "different builds (build id aaa, bbb)") {
		t.Errorf("two builds: %v", w)
	}
	w, _ = sameProgram(p("a", nil, profile.Binary{File: "/srv/bot"}), p("b", nil, profile.Binary{File: "/srv/shop"}), false)
	if len(w) != 1 || !strings.Contains(w[0].Error(), "different binaries (/srv/bot, /srv/shop)") {
		t.Errorf("two binaries: %v", w)
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
	// A Go program's heap and a Node.js one's, both pprof (the second as
	// @datadog/pprof writes it): compared, they were one long list of
	// sites new and gone.
	a, b = twoProfiles(time.Hour, nil, nil)
	for i := range b.Frames {
		b.Frames[i].File = "/app/server.js"
	}
	_, err = Compare(a, b, Options{})
	if !errors.Is(err, ErrMixed) || !strings.Contains(err.Error(), "is a profile of a Go program and") || !strings.Contains(err.Error(), "of a JavaScript program") {
		t.Errorf("a Go and a JavaScript program: %v", err)
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
	if _, err := CheckComparison(c, []Budget{{GroupRate, 1}}); !errors.Is(err, ErrNoTimes) {
		t.Errorf("a rate budget over 2 seconds: %v", err)
	}
	a, b = twoProfiles(time.Minute, nil, nil)
	if c, _ := Compare(a, b, Options{}); c == nil {
		t.Fatal("no comparison")
	} else if r, ok := c.RatePerHour(c.Total[0]); !ok || r != float64(4<<20)*60 {
		t.Errorf("a minute apart: rate %v, %v", r, ok)
	}
}

// TestTrendSeesARestart follows Bun snapshots of two processes (named by
// Bun, so their pid is known) and the same with the pids removed: the
// largest object id falls at the restart, which alone refuses the series.
func TestTrendSeesARestart(t *testing.T) {
	ps := loadNode(t, "bun-named/Heap-20261101-031832-24035-0.heapsnapshot.gz", "bun-named/Heap-20261101-031833-24035-0.heapsnapshot.gz",
		"bun-named/Heap-20261101-031833-24113-0.heapsnapshot.gz")
	trend := func() error {
		b := NewTrend(TrendOptions{})
		for _, p := range ps {
			if err := b.Add(p); err != nil {
				return err
			}
		}
		_, err := b.Trend()
		return err
	}
	if err := trend(); !errors.Is(err, ErrMixed) || !strings.Contains(err.Error(), "pid=24113") {
		t.Errorf("two pids: %v", err)
	}
	for _, p := range ps {
		p.Comments = slices.DeleteFunc(p.Comments, func(c string) bool { return strings.HasPrefix(c, "pid=") })
	}
	if err := trend(); !errors.Is(err, ErrMixed) || !strings.Contains(err.Error(), "largest object id falls") {
		t.Errorf("no pids: %v", err)
	}
}

// TestClassNeedsClasses refuses --by class where there are no classes: a
// Go heap profile and a V8 sampling heap profile.
func TestClassNeedsClasses(t *testing.T) {
	goProfile := load(t, "heap-01.pb.gz")
	if _, err := Compare(goProfile, load(t, "heap-12.pb.gz"), Options{By: ByClass}); err == nil || !strings.Contains(err.Error(), "no classes") {
		t.Errorf("a Go profile by class: %v", err)
	}
	hp := loadNode(t, "before.heapprofile.gz", "after.heapprofile.gz")
	if _, err := Compare(hp[0], hp[1], Options{By: ByClass}); err == nil || !strings.Contains(err.Error(), "sampling heap profile") {
		t.Errorf("a sampling heap profile by class: %v", err)
	}
	if err := NewTrend(TrendOptions{Options: Options{By: ByClass}}).Add(goProfile); err == nil || !strings.Contains(err.Error(), "no classes") {
		t.Errorf("a trend of Go profiles by class: %v", err)
	}
	snaps := loadNode(t, "leaky-before.heapsnapshot.gz", "leaky-after.heapsnapshot.gz")
	if _, err := Compare(snaps[0], snaps[1], Options{By: ByClass}); err != nil {
		t.Errorf("heap snapshots by class: %v", err)
	}
}
