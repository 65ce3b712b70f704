package diff

import (
	"bufio"
	"bytes"
	"math"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/heapdiff/heapdiff/profile"
)

func load(t testing.TB, name string) *profile.Profile {
	t.Helper()
	p, err := profile.Load(filepath.Join("../testdata/leaky", name), profile.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func compare(t testing.TB, base, target *profile.Profile, opts Options) *Comparison {
	t.Helper()
	c, err := Compare(base, target, opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var allGroupings = []Grouping{BySite, ByFunc, ByLine, ByStack, ByPackage}

func rowsByName(c *Comparison) map[string]Row {
	m := make(map[string]Row, len(c.Rows))
	for _, r := range c.Rows {
		m[r.Name] = r
	}
	return m
}

func TestCompareWithItselfIsZero(t *testing.T) {
	p := load(t, "heap-07.pb.gz")
	for _, by := range allGroupings {
		c := compare(t, p, p, Options{By: by, Cum: true})
		if len(c.Rows) == 0 {
			t.Fatalf("by %s: no rows", by)
		}
		for _, r := range c.Rows {
			for i := range c.Types {
				if r.Flat[i].Delta() != 0 || r.Cum[i].Delta() != 0 || r.Flat[i].Significant {
					t.Fatalf("by %s: row %q has a change against itself: %+v", by, r.Name, r.Flat[i])
				}
			}
		}
		for _, tot := range c.Total {
			if tot.Delta() != 0 {
				t.Errorf("by %s: total delta %d", by, tot.Delta())
			}
		}
	}
}

func TestCompareIsAntisymmetric(t *testing.T) {
	a, b := load(t, "heap-02.pb.gz"), load(t, "heap-09.pb.gz")
	for _, by := range allGroupings {
		ab := compare(t, a, b, Options{By: by, Cum: true})
		ba := rowsByName(compare(t, b, a, Options{By: by, Cum: true}))
		if len(ab.Rows) != len(ba) {
			t.Fatalf("by %s: %d rows one way, %d the other", by, len(ab.Rows), len(ba))
		}
		for _, r := range ab.Rows {
			s, ok := ba[r.Name]
			if !ok {
				t.Fatalf("by %s: row %q missing in the reverse comparison", by, r.Name)
			}
			for i := range ab.Types {
				f, g := r.Flat[i], s.Flat[i]
				if f.Delta() != -g.Delta() || f.Base != g.Target || f.Significant != g.Significant || f.Noise != g.Noise {
					t.Fatalf("by %s: %q %s: %+v vs reverse %+v", by, r.Name, ab.Types[i].Type, f, g)
				}
				if r.Cum[i].Delta() != -s.Cum[i].Delta() {
					t.Fatalf("by %s: %q cum deltas %d and %d", by, r.Name, r.Cum[i].Delta(), s.Cum[i].Delta())
				}
			}
		}
	}
}

func TestFlatDeltasAddUpToTotal(t *testing.T) {
	a, b := load(t, "heap-01.pb.gz"), load(t, "heap-12.pb.gz")
	for _, by := range allGroupings {
		for _, normalize := range []bool{false, true} {
			c := compare(t, a, b, Options{By: by, Normalize: normalize})
			for i, typ := range c.Types {
				var base, target int64
				for _, r := range c.Rows {
					base += r.Flat[i].Base
					target += r.Flat[i].Target
				}
				if base != c.Total[i].Base || target != c.Total[i].Target {
					t.Errorf("by %s normalize=%v %s: rows sum to %d → %d, total is %d → %d",
						by, normalize, typ.Type, base, target, c.Total[i].Base, c.Total[i].Target)
				}
			}
		}
	}
}

func TestTopSumsTheRest(t *testing.T) {
	a, b := load(t, "heap-01.pb.gz"), load(t, "heap-12.pb.gz")
	all := compare(t, a, b, Options{By: ByFunc})
	top := compare(t, a, b, Options{By: ByFunc, Top: 3})
	if len(top.Rows) != 3 || top.Rest.Rows != len(all.Rows)-3 {
		t.Fatalf("top 3 kept %d rows and %d in the rest; there are %d", len(top.Rows), top.Rest.Rows, len(all.Rows))
	}
	for i := range top.Types {
		sum := top.Rest.Flat[i].Delta()
		for _, r := range top.Rows {
			sum += r.Flat[i].Delta()
		}
		if sum != top.Total[i].Delta() {
			t.Errorf("%s: top rows plus rest = %d, total = %d", top.Types[i].Type, sum, top.Total[i].Delta())
		}
	}
}

// TestPlantedLeaksAreSignificantGrowth checks the verdicts against what
// testdata/leakyapp planted.
func TestPlantedLeaksAreSignificantGrowth(t *testing.T) {
	c := compare(t, load(t, "heap-01.pb.gz"), load(t, "heap-12.pb.gz"), Options{By: ByFunc})
	if c.Shown().Type != "inuse_space" {
		t.Fatalf("default sample type = %s", c.Shown().Type)
	}
	rows := rowsByName(c)
	for _, leak := range []string{"main.(*SessionStore).Open", "main.(*JobQueue).Finish"} {
		r, ok := rows[leak]
		if !ok {
			t.Fatalf("no row for %s", leak)
		}
		if ch := r.Flat[c.Index]; !ch.Significant || ch.Delta() < 8<<20 {
			t.Errorf("%s: %+v, want significant growth of more than 8 MiB", leak, ch)
		}
	}
	// The two leaks are the two largest significant growths, in order.
	if c.Rows[0].Name != "main.(*SessionStore).Open" || c.Rows[1].Name != "main.(*JobQueue).Finish" {
		t.Errorf("first rows are %q and %q", c.Rows[0].Name, c.Rows[1].Name)
	}
	// Churn never shows in in-use memory.
	if r, ok := rows["main.handleRequest"]; ok && r.Flat[c.Index].Delta() != 0 {
		t.Errorf("churn shows in use: %+v", r.Flat[c.Index])
	}
	rate, ok := c.RatePerHour(rows["main.(*SessionStore).Open"].Flat[c.Index])
	want := float64(rows["main.(*SessionStore).Open"].Flat[c.Index].Delta()) / (110.0 / 60)
	if !ok || math.Abs(rate-want) > 1 {
		t.Errorf("rate per hour = %v (%v), want %v", rate, ok, want)
	}
	if c.Interval != 110*time.Minute {
		t.Errorf("interval = %v", c.Interval)
	}
}

func TestSiteSkipsRuntimeAndStandardLibrary(t *testing.T) {
	c := compare(t, load(t, "heap-01.pb.gz"), load(t, "heap-12.pb.gz"), Options{By: BySite})
	for _, r := range c.Rows {
		f := r.Frames[0]
		if isGoRuntime(f) {
			// Only stacks made entirely of runtime frames end here.
			continue
		}
		if isGoStd(f) && !isGoRuntime(f) {
			t.Errorf("site %q is in the standard library", r.Name)
		}
	}
	rows := rowsByName(c)
	var config bool
	for name := range rows {
		if strings.HasPrefix(name, "main.loadConfig main.go:") {
			config = true
		}
		if strings.HasPrefix(name, "internal/bytealg.") || strings.HasPrefix(name, "bytes.Repeat") {
			t.Errorf("site %q should have been charged to main.loadConfig", name)
		}
	}
	if !config {
		t.Error("no site for main.loadConfig, whose bytes.Repeat allocates the config")
	}
}

// TestGoStdRootsCoverGoListStd checks goStdRoots against the standard
// library of the go command at hand: every package's first path element is
// in it.
func TestGoStdRootsCoverGoListStd(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command to list the standard library: %v", err)
	}
	out, err := exec.Command(goTool, "list", "std").Output()
	if err != nil {
		t.Fatalf("go list std: %v", err)
	}
	pkgs := strings.Fields(string(out))
	if len(pkgs) < 100 {
		t.Fatalf("go list std lists %d packages", len(pkgs))
	}
	for _, pkg := range pkgs {
		first, _, _ := strings.Cut(pkg, "/")
		if !goStdRoots[first] {
			t.Errorf("standard package %s: %q is not in goStdRoots (diff/gostd.go)", pkg, first)
		}
	}
}

func TestSiteFrameRule(t *testing.T) {
	frames := []profile.Frame{
		{Function: "runtime.mallocgc", File: "/go/src/runtime/malloc.go", Line: 1},
		{Function: "runtime.growslice", File: "/go/src/runtime/slice.go", Line: 2},
		{Function: "bytes.growSlice", File: "/go/src/bytes/buffer.go", Line: 3},
		{Function: "github.com/x/app.(*S).Add", File: "/src/app/s.go", Line: 4},
		{Function: "main.main", File: "/src/main.go", Line: 5},
		{Function: "runtime.systemstack", File: "/go/src/runtime/asm_amd64.s", Line: 6},
		{Function: "runtime.malg", File: "/go/src/runtime/proc.go", Line: 7},
		{Function: "processTicks", File: "node:internal/process/task_queues", Line: 8},
		{Function: "set", File: "", Line: 0},
		{Function: "leak", File: "/app/leaky.js", Line: 41},
		{Function: "myapp/store.(*S).Add", File: "/src/myapp/store/s.go", Line: 10},
		{Function: "vendor/golang.org/x/net/http2/hpack.(*Decoder).readString", File: "/go/src/vendor/golang.org/x/net/http2/hpack/hpack.go", Line: 11},
	}
	pf := newProfileFrames(&profile.Profile{Frames: frames}, Options{})
	for _, f := range frames {
		// The kind found once for both questions answers them as they do.
		k := frameKind(f)
		if k&kindNotOwn != 0 != notOwnCode(f) || k&kindRuntime != 0 != isGoRuntime(f) {
			t.Errorf("frameKind(%s) = %b, but notOwnCode %v, isGoRuntime %v", f.Function, k, notOwnCode(f), isGoRuntime(f))
		}
	}
	for _, tc := range []struct {
		stack []int32
		want  int32
	}{
		{[]int32{0, 1, 2, 3, 4}, 3}, // runtime and bytes skipped
		{[]int32{0, 2, 6}, 2},       // all standard library: the first outside runtime
		{[]int32{6, 5}, 6},          // all runtime: the leaf
		{[]int32{9, 7, 4}, 9},       // JavaScript's own code is skipped, Go's is not JS's
		{[]int32{8, 7, 9}, 9},       // a V8 built-in and a Node module: their caller
		{[]int32{8, 7}, 8},          // nothing but built-ins: the leaf
		{[]int32{0, 2, 10, 4}, 10},  // a module path without a dot is not std
		{[]int32{0, 11, 10}, 10},    // std's vendored packages are std
	} {
		if got := pf.site(tc.stack); got != tc.want {
			t.Errorf("site(%v) = %d (%s), want %d (%s)", tc.stack, got, frames[got].Function, tc.want, frames[tc.want].Function)
		}
	}
}

// TestMatchesPprofByFunction checks flat and cum values by function, to the
// byte, against go tool pprof -top -diff_base for every sample type.
func TestMatchesPprofByFunction(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command to run pprof: %v", err)
	}
	pairs := [][2]string{{"heap-01.pb.gz", "heap-12.pb.gz"}, {"heap-03.pb.gz", "heap-07.pb.gz"}, {"heap-11.pb.gz", "heap-04.pb.gz"}}
	for _, pair := range pairs {
		base, target := load(t, pair[0]), load(t, pair[1])
		for _, st := range target.SampleTypes {
			t.Run(pair[0]+"-"+pair[1]+"-"+st.Type, func(t *testing.T) {
				want := pprofTop(t, goTool, st.Type, pair[0], pair[1])
				c := compare(t, base, target, Options{By: ByFunc, Cum: true, SampleIndex: st.Type})
				got := map[string][2]int64{}
				for _, r := range c.Rows {
					f, cum := r.Flat[c.Index].Delta(), r.Cum[c.Index].Delta()
					if f != 0 || cum != 0 {
						got[r.Name] = [2]int64{f, cum}
					}
				}
				for name, w := range want {
					if got[name] != w {
						t.Errorf("%s: flat, cum = %v; pprof says %v", name, got[name], w)
					}
				}
				for name, g := range got {
					if _, ok := want[name]; !ok {
						t.Errorf("%s: flat, cum = %v; pprof has no such row", name, g)
					}
				}
				if len(want) == 0 {
					t.Error("pprof reported no rows")
				}
			})
		}
	}
}

var topLine = regexp.MustCompile(`^\s*(-?\d+)B?\s+\S+%\s+\S+%\s+(-?\d+)B?\s+\S+%\s+(.+?)(?: \(inline\))?$`)

func pprofTop(t *testing.T, goTool, sampleType, base, target string) map[string][2]int64 {
	t.Helper()
	cmd := exec.Command(goTool, "tool", "pprof", "-top", "-nodecount=100000000", "-nodefraction=0", "-edgefraction=0",
		"-unit=B", "-sample_index="+sampleType, "-diff_base="+base, target)
	cmd.Dir = "../testdata/leaky"
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pprof: %v: %s", err, stderr.String())
	}
	rows := map[string][2]int64{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		m := topLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		flat, _ := strconv.ParseInt(m[1], 10, 64)
		cum, _ := strconv.ParseInt(m[2], 10, 64)
		if prev, dup := rows[m[3]]; dup {
			t.Fatalf("pprof lists %s twice (%v and %d %d)", m[3], prev, flat, cum)
		}
		rows[m[3]] = [2]int64{flat, cum}
	}
	return rows
}

func TestFocusIgnoreHide(t *testing.T) {
	a, b := load(t, "heap-01.pb.gz"), load(t, "heap-12.pb.gz")
	all := compare(t, a, b, Options{By: ByFunc})
	focus := compare(t, a, b, Options{By: ByFunc, Focus: regexp.MustCompile(`SessionStore`)})
	if len(focus.Rows) != 1 || focus.Rows[0].Name != "main.(*SessionStore).Open" {
		t.Errorf("focus on SessionStore kept %d rows: %v", len(focus.Rows), names(focus))
	}
	if got, want := focus.Total[focus.Index], rowsByName(all)["main.(*SessionStore).Open"].Flat[all.Index]; got.Base != want.Base || got.Target != want.Target {
		t.Errorf("focused total %+v, want the SessionStore row %+v", got, want)
	}
	ignore := compare(t, a, b, Options{By: ByFunc, Ignore: regexp.MustCompile(`SessionStore`)})
	if _, ok := rowsByName(ignore)["main.(*SessionStore).Open"]; ok {
		t.Error("ignore kept the ignored function")
	}
	if got, want := ignore.Total[0].Delta()+focus.Total[0].Delta(), all.Total[0].Delta(); got != want {
		t.Errorf("ignored + focused deltas = %d, want the whole %d", got, want)
	}
	// Hiding main.tick's callees charges their values to main.tick itself.
	hide := compare(t, a, b, Options{By: ByFunc, Hide: regexp.MustCompile(`^main\.\(\*`)})
	hr := rowsByName(hide)
	if _, ok := hr["main.(*SessionStore).Open"]; ok {
		t.Error("hide kept a hidden frame")
	}
	if hide.Total[hide.Index] != all.Total[all.Index] {
		t.Errorf("hide changed the total: %+v vs %+v", hide.Total[hide.Index], all.Total[all.Index])
	}
	if hr["main.tick"].Flat[hide.Index].Delta() < 20<<20 {
		t.Errorf("main.tick did not take over the hidden frames' growth: %+v", hr["main.tick"].Flat[hide.Index])
	}
}

func names(c *Comparison) []string {
	var n []string
	for _, r := range c.Rows {
		n = append(n, r.Name)
	}
	return n
}

func TestNormalizeScalesBaseToTarget(t *testing.T) {
	a, b := load(t, "heap-01.pb.gz"), load(t, "heap-12.pb.gz")
	c := compare(t, a, b, Options{Normalize: true})
	for i, tot := range c.Total {
		if d := tot.Delta(); d < -int64(len(c.Rows)) || d > int64(len(c.Rows)) {
			t.Errorf("%s: normalized total delta %d, want about 0", c.Types[i].Type, d)
		}
	}
	if len(c.Warnings) == 0 || !strings.Contains(c.Warnings[len(c.Warnings)-1].Error(), "scaled") {
		t.Errorf("no warning says the base was scaled: %v", c.Warnings)
	}
}

// TestNormalizeScalesFramelessStacks normalizes profiles with stacks that
// have no frames (counted in the totals, never in a row): they are scaled
// with the rest, so the totals end equal.
func TestNormalizeScalesFramelessStacks(t *testing.T) {
	withFrameless := func(name string, a, frameless int64) *profile.Profile {
		return &profile.Profile{
			Name:        name,
			SampleTypes: []profile.ValueType{{Type: "inuse_space", Unit: "bytes"}},
			Frames:      []profile.Frame{{Function: "main.a", File: "/app/main.go", Line: 1}},
			Stacks: []profile.Stack{
				{Frames: []int32{0}, Values: []int64{a}},
				{Values: []int64{frameless}},
			},
		}
	}
	base, target := withFrameless("base", 100, 100), withFrameless("target", 300, 100)
	c := compare(t, base, target, Options{Normalize: true})
	if tot := c.Total[0]; tot.Base != 400 || tot.Target != 400 || tot.Significant {
		t.Errorf("normalized total %+v, want 400 → 400", tot)
	}
	if r := rowsByName(c)["main.a main.go:1"].Flat[0]; r.Base != 200 || r.Target != 300 {
		t.Errorf("normalized row %+v, want 200 → 300", r)
	}
}

// TestFiltersDropFramelessStacks checks pprof's rule that any filter drops
// the samples with no locations: a frameless stack counts in the total only
// when no filter is set.
func TestFiltersDropFramelessStacks(t *testing.T) {
	p := &profile.Profile{
		Name:        "p",
		SampleTypes: []profile.ValueType{{Type: "inuse_space", Unit: "bytes"}},
		Frames:      []profile.Frame{{Function: "main.a", File: "/app/main.go", Line: 1}},
		Stacks: []profile.Stack{
			{Frames: []int32{0}, Values: []int64{100}},
			{Values: []int64{1000}},
		},
	}
	none := regexp.MustCompile(`^nothing$`)
	for _, tc := range []struct {
		name string
		opts Options
		want int64
	}{
		{"no filter", Options{}, 1100},
		{"focus", Options{Focus: regexp.MustCompile(`main`)}, 100},
		{"ignore", Options{Ignore: none}, 100},
		{"hide", Options{Hide: none}, 100},
	} {
		c := compare(t, p, p, tc.opts)
		if got := c.Total[0].Target; got != tc.want {
			t.Errorf("%s: total %d, want %d", tc.name, got, tc.want)
		}
	}
}

func TestSortPutsSignificantGrowthFirst(t *testing.T) {
	c := compare(t, load(t, "heap-12.pb.gz"), load(t, "heap-06.pb.gz"), Options{By: ByLine})
	last := -1
	for _, r := range c.Rows {
		k := rank(r.Flat[c.Index])
		if k < last {
			t.Fatalf("row %q (rank %d) comes after rank %d", r.Name, k, last)
		}
		last = k
	}
}

func TestIncompatibleProfiles(t *testing.T) {
	a := load(t, "heap-01.pb.gz")
	cpu := &profile.Profile{Name: "cpu.pb.gz", SampleTypes: []profile.ValueType{{Type: "samples", Unit: "count"}, {Type: "cpu", Unit: "nanoseconds"}}}
	if _, err := Compare(a, cpu, Options{}); err == nil || !strings.Contains(err.Error(), "share no sample type") {
		t.Errorf("comparing with a CPU profile: %v", err)
	}
	other := &profile.Profile{Name: "odd.pb.gz", SampleTypes: []profile.ValueType{{Type: "inuse_space", Unit: "count"}}}
	if _, err := Compare(a, other, Options{}); err == nil || !strings.Contains(err.Error(), "inuse_space") {
		t.Errorf("comparing with different units: %v", err)
	}
	if _, err := Compare(a, a, Options{SampleIndex: "cpu"}); err == nil || !strings.Contains(err.Error(), "must be one of") {
		t.Errorf("unknown sample index: %v", err)
	}
}

func TestWarnings(t *testing.T) {
	a := load(t, "heap-01.pb.gz")
	noTime := *a
	noTime.Time = time.Time{}
	noTime.Name = "untimed.pb.gz"
	c := compare(t, &noTime, a, Options{})
	if c.Interval != 0 || !hasWarning(c, "carries no time") {
		t.Errorf("interval %v, warnings %v", c.Interval, c.Warnings)
	}
	if _, ok := c.RatePerHour(c.Total[0]); ok {
		t.Error("a rate without times")
	}
	c = compare(t, load(t, "heap-09.pb.gz"), a, Options{})
	if !hasWarning(c, "older than the base") {
		t.Errorf("swapped profiles give no warning: %v", c.Warnings)
	}
	legacy, err := profile.Load("../testdata/pprof/gobench.heap", profile.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c = compare(t, legacy, legacy, Options{})
	if !hasWarning(c, "go tool pprof -proto") {
		t.Errorf("an unsymbolized profile gives no advice: %v", c.Warnings)
	}
}

func hasWarning(c *Comparison, s string) bool {
	return slices.ContainsFunc(c.Warnings, func(e error) bool { return strings.Contains(e.Error(), s) })
}

// TestStackRowsAreNamedWhenKept checks the deferred naming of stack rows:
// with Top, the kept rows are the full comparison's first rows, with the
// same names and frames.
func TestStackRowsAreNamedWhenKept(t *testing.T) {
	a, b := load(t, "heap-01.pb.gz"), load(t, "heap-12.pb.gz")
	all := compare(t, a, b, Options{By: ByStack, Cum: true})
	top := compare(t, a, b, Options{By: ByStack, Cum: true, Top: 4})
	for i, r := range top.Rows {
		want := all.Rows[i]
		if r.Name == "" || r.Name != want.Name || len(r.Frames) != len(want.Frames) || r.Frames[0] != want.Frames[0] {
			t.Errorf("row %d: %q with %d frames; the full comparison has %q with %d", i, r.Name, len(r.Frames), want.Name, len(want.Frames))
		}
		if !strings.Contains(r.Name, " < ") || r.pending != nil {
			t.Errorf("row %d is not a named stack: %q", i, r.Name)
		}
	}
	for _, r := range all.Rows {
		if r.Name == "" || r.pending != nil {
			t.Fatalf("an unnamed row in the full comparison: %+v", r.Flat)
		}
	}
}

// TestFiltersThatLeaveOutMostOfTheHeapAreSaid checks the warning for
// --ignore and --hide leaving out nine tenths of a profile or more: found
// by an exploratory test, a --hide that emptied the service's stacks made
// check pass on 2 MiB of a 141 MiB heap without a word. What a --focus
// does not match, however much, is what it means to leave out.
func TestFiltersThatLeaveOutMostOfTheHeapAreSaid(t *testing.T) {
	ps := leakyProfiles(t)
	base, target := ps[0], ps[11]
	warned := func(c *Comparison) (n int) {
		for _, w := range c.Warnings {
			if strings.Contains(w.Error(), "--ignore and --hide left out") {
				n++
			}
		}
		return n
	}
	for _, tc := range []struct {
		name string
		opts Options
		want int
	}{
		{"hide that empties stacks", Options{Hide: regexp.MustCompile(`main\.|runtime\.main`)}, 2},
		{"ignore everything", Options{Ignore: regexp.MustCompile(`.`)}, 2},
		{"ignore everything, by func", Options{Ignore: regexp.MustCompile(`.`), By: ByFunc}, 2},
		{"focus on one part", Options{Focus: regexp.MustCompile(`Session`)}, 0},
		{"focus on a small part", Options{Focus: regexp.MustCompile(`Batcher`)}, 0},
		{"focus, and an ignore that takes the rest", Options{Focus: regexp.MustCompile(`Session`), Ignore: regexp.MustCompile(`Session`)}, 2},
		{"no filter", Options{}, 0},
	} {
		c := compare(t, base, target, tc.opts)
		if n := warned(c); n != tc.want {
			t.Errorf("%s: %d warnings of what the filters left out, want %d: %v", tc.name, n, tc.want, c.Warnings)
		}
	}
	tr := trendOf(t, ps, TrendOptions{Options: Options{Ignore: regexp.MustCompile(`.`)}})
	n := 0
	for _, w := range tr.Warnings {
		if strings.Contains(w.Error(), "left out 22.7MiB of the 22.7MiB inuse_space of") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("trend: want one warning, naming the first snapshot: %v", tr.Warnings)
	}
}
