package diff

import (
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/heapdiff/heapdiff/profile"
)

// explain compares base and target keeping the detail det allows.
func explain(t *testing.T, base, target *profile.Profile, opts Options, det DetailOptions) (*Comparison, *Detail) {
	t.Helper()
	opts.Detail = &det
	c := compare(t, base, target, opts)
	if c.Detail == nil {
		t.Fatal("Options.Detail was set, but the comparison has no detail")
	}
	return c, c.Detail
}

// pageDetail bounds a detail as the HTML report does (report.HTMLOptions).
var pageDetail = DetailOptions{MinFraction: 0.0005, MaxNodes: 6000, StacksPerRow: 4, StackRows: 400}

// everything keeps the whole detail.
var everything = DetailOptions{}

func TestTreeRootIsTheTotal(t *testing.T) {
	a, b := load(t, "heap-01.pb.gz"), load(t, "heap-12.pb.gz")
	for _, opts := range []Options{
		{},
		{Focus: regexp.MustCompile(`SessionStore`)},
		{Ignore: regexp.MustCompile(`JobQueue`), Hide: regexp.MustCompile(`^runtime\.`)},
	} {
		c, d := explain(t, a, b, opts, pageDetail)
		root := d.Tree[0]
		if root.Parent != -1 || root.Name != "root" {
			t.Fatalf("first node is %+v, want the root", root)
		}
		for ti := range c.Types {
			if root.Values[ti].Base != c.Total[ti].Base || root.Values[ti].Target != c.Total[ti].Target {
				t.Errorf("%+v %s: root %+v, total %+v", opts, c.Types[ti].Type, root.Values[ti], c.Total[ti])
			}
		}
	}
}

// childSums returns, for each node, the sum of its children's values.
func childSums(tree []Node, ti int) map[int32][2]int64 {
	sums := map[int32][2]int64{}
	for _, n := range tree[1:] {
		s := sums[n.Parent]
		s[0] += n.Values[ti].Base
		s[1] += n.Values[ti].Target
		sums[n.Parent] = s
	}
	return sums
}

func TestTreeChildrenAddUp(t *testing.T) {
	a, b := load(t, "heap-01.pb.gz"), load(t, "heap-12.pb.gz")
	_, full := explain(t, a, b, Options{}, everything)
	_, small := explain(t, a, b, Options{}, DetailOptions{MinFraction: 0.01, MaxNodes: 25})

	for _, d := range []*Detail{full, small} {
		for i, n := range d.Tree[1:] {
			if int(n.Parent) > i || d.Tree[n.Parent].Depth != n.Depth-1 {
				t.Fatalf("node %d %q: parent %d at depth %d, own depth %d: not depth-first", i+1, n.Name, n.Parent, d.Tree[n.Parent].Depth, n.Depth)
			}
		}
	}
	if nodes := len(small.Tree); nodes >= len(full.Tree) || nodes > 25*2 {
		t.Fatalf("pruned tree has %d nodes (full %d)", nodes, len(full.Tree))
	}
	folded := 0
	for _, n := range small.Tree {
		if n.Folded > 0 {
			folded++
			if !strings.HasPrefix(n.Name, "(") {
				t.Errorf("folded node named %q", n.Name)
			}
		}
	}
	if folded == 0 {
		t.Error("pruning folded nothing")
	}
	t.Logf("full tree %d nodes, pruned %d with %d folded", len(full.Tree), len(small.Tree), folded)

	// Folding keeps every parent's children summing to the same values: a
	// node's children add up to its value minus what it allocates itself.
	path := func(tree []Node, i int32) string {
		var p []string
		for ; i >= 0; i = tree[i].Parent {
			p = append(p, tree[i].Name)
		}
		return strings.Join(p, "<")
	}
	fullByPath := map[string]int32{}
	for i := range full.Tree {
		fullByPath[path(full.Tree, int32(i))] = int32(i)
	}
	for ti := range full.Tree[0].Values {
		fullSums, smallSums := childSums(full.Tree, ti), childSums(small.Tree, ti)
		for i, n := range small.Tree {
			if n.Folded > 0 {
				continue
			}
			j, ok := fullByPath[path(small.Tree, int32(i))]
			if !ok {
				t.Fatalf("pruned node %q is not in the full tree", path(small.Tree, int32(i)))
			}
			if n.Values[ti] != full.Tree[j].Values[ti] {
				t.Errorf("%q: %+v pruned, %+v full", n.Name, n.Values[ti], full.Tree[j].Values[ti])
			}
			if got, want := smallSums[int32(i)], fullSums[j]; got != want {
				t.Errorf("%q: children sum to %v pruned, %v full", n.Name, got, want)
			}
			if s := fullSums[j]; s[1] > n.Values[ti].Target || s[0] > n.Values[ti].Base {
				t.Errorf("%q: children %v exceed the node %+v", n.Name, s, n.Values[ti])
			}
		}
	}
}

func TestTreeFindsTheLeak(t *testing.T) {
	c, d := explain(t, load(t, "heap-01.pb.gz"), load(t, "heap-12.pb.gz"), Options{}, pageDetail)
	for _, n := range d.Tree {
		if n.Name == "main.(*SessionStore).Open" {
			if v := n.Values[c.Index]; !v.Significant || v.Delta() < 10<<20 {
				t.Errorf("the planted leak's node: %+v", v)
			}
			return
		}
	}
	t.Error("no node for main.(*SessionStore).Open")
}

func TestStacksAddUpToTheirRow(t *testing.T) {
	a, b := load(t, "heap-01.pb.gz"), load(t, "heap-12.pb.gz")
	for _, by := range allGroupings {
		for _, opts := range []Options{
			{By: by},
			{By: by, Hide: regexp.MustCompile(`^main\.\(\*`), Normalize: true, Top: 5},
		} {
			c, d := explain(t, a, b, opts, everything)
			if len(d.Stacks) != len(c.Rows) {
				t.Fatalf("%v: %d stack lists for %d rows", by, len(d.Stacks), len(c.Rows))
			}
			for i, r := range c.Rows {
				if len(d.Stacks[i]) == 0 || d.MoreStacks[i] != 0 {
					t.Fatalf("%v: row %q has %d stacks, %d more", by, r.Name, len(d.Stacks[i]), d.MoreStacks[i])
				}
				for ti := range c.Types {
					var base, target int64
					for _, s := range d.Stacks[i] {
						base += s.Values[ti].Base
						target += s.Values[ti].Target
						if opts.Hide != nil {
							for _, f := range s.Frames {
								if opts.Hide.MatchString(f.Function) {
									t.Fatalf("hidden frame %s in a stack", f.Function)
								}
							}
						}
					}
					want := r.Flat[ti]
					slack := int64(0)
					if opts.Normalize {
						slack = int64(len(d.Stacks[i])) // each stack's base is rounded
					}
					if target != want.Target || base < want.Base-slack || base > want.Base+slack {
						t.Errorf("%v %s row %q: stacks sum to %d → %d, row %d → %d", by, c.Types[ti].Type, r.Name, base, target, want.Base, want.Target)
					}
				}
			}
		}
	}
}

func TestStacksAreCapped(t *testing.T) {
	a, b := load(t, "heap-01.pb.gz"), load(t, "heap-12.pb.gz")
	c, all := explain(t, a, b, Options{By: ByPackage}, everything)
	_, capped := explain(t, a, b, Options{By: ByPackage}, DetailOptions{StacksPerRow: 1, StackRows: 2})
	tested := false
	for i := range c.Rows {
		if i >= 2 {
			if capped.Stacks[i] != nil {
				t.Errorf("row %d beyond DetailOptions.StackRows has stacks", i)
			}
			continue
		}
		n := len(capped.Stacks[i])
		if n > len(c.Types) || n+capped.MoreStacks[i] != len(all.Stacks[i]) {
			t.Errorf("row %q: %d stacks kept + %d more, of %d", c.Rows[i].Name, n, capped.MoreStacks[i], len(all.Stacks[i]))
		}
		if len(all.Stacks[i]) > 1 {
			tested = true
			// The first is the one with the largest change of the shown type.
			if got, want := capped.Stacks[i][0].Values[c.Index].Delta(), all.Stacks[i][0].Values[c.Index].Delta(); got != want {
				t.Errorf("row %q: kept a stack of delta %d, the largest is %d", c.Rows[i].Name, got, want)
			}
		}
	}
	if !tested {
		t.Error("no row has more than one stack: the test tests nothing")
	}
}

// TestSitesWhateverTheGrouping checks the detail's rows by site against a
// comparison grouped by site under the same options, whatever the
// detailed comparison's own grouping, Top, filters and normalization.
func TestSitesWhateverTheGrouping(t *testing.T) {
	a, b := load(t, "heap-01.pb.gz"), load(t, "heap-12.pb.gz")
	for _, opts := range []Options{
		{By: ByFunc, Top: 3},
		{By: ByStack, Cum: true},
		{By: ByPackage, Normalize: true, Hide: regexp.MustCompile(`^main\.\(\*`)},
		{By: ByLine, Focus: regexp.MustCompile(`Session|Job`), SampleIndex: "alloc_space"},
		{By: BySite, Top: 2},
		// Grouped by site, the comparison's own rows are the sites.
		{By: BySite},
		{By: BySite, Top: 3, Normalize: true, Focus: regexp.MustCompile(`Session|Job`), SampleIndex: "inuse_objects"},
	} {
		bySite := opts
		bySite.By, bySite.Top, bySite.Cum = BySite, 0, false
		sites := compare(t, a, b, bySite)
		c, d := explain(t, a, b, opts, pageDetail)
		// The detail leaves the comparison's own rows as they are without it.
		if plain := compare(t, a, b, opts); !reflect.DeepEqual(c.Rows, plain.Rows) || !reflect.DeepEqual(c.Rest, plain.Rest) {
			t.Errorf("%+v: the rows with a detail differ from those without:\n %+v %+v\n %+v %+v", opts, c.Rows, c.Rest, plain.Rows, plain.Rest)
		}
		if len(d.Sites) != len(sites.Rows) {
			t.Fatalf("%+v: %d sites, want %d", opts, len(d.Sites), len(sites.Rows))
		}
		for i, r := range sites.Rows {
			got := d.Sites[i]
			if got.Name != r.Name || !reflect.DeepEqual(got.Frames, r.Frames) || !reflect.DeepEqual(got.Flat, r.Flat) {
				t.Errorf("%+v: site %d: %q %+v, want %q %+v", opts, i, got.Name, got.Flat, r.Name, r.Flat)
			}
		}
	}
}

// TestSitesFollowTheComparison checks that the rows by site take the
// comparison's own options: the agent's stacks are kept with KeepAgent, and
// profiles of two programs are compared with AllowMixed.
func TestSitesFollowTheComparison(t *testing.T) {
	a, b := twoProfiles(time.Hour, []string{"heapdiff.main_module=example.com/bot"}, []string{"heapdiff.main_module=example.com/shop"})
	for _, keep := range []bool{false, true} {
		opts := Options{By: ByFunc, AllowMixed: true, KeepAgent: keep, Detail: &DetailOptions{}}
		c, err := Compare(a, b, opts)
		if err != nil {
			t.Fatalf("KeepAgent %v: %v", keep, err)
		}
		var total int64
		agent := false
		for _, s := range c.Detail.Sites {
			total += s.Flat[0].Target
			agent = agent || strings.Contains(s.Name, "heapdiff/agent")
		}
		if agent != keep || total != c.Total[0].Target {
			t.Errorf("KeepAgent %v: sites %+v sum to %d of %d, agent's site kept: %v", keep, c.Detail.Sites, total, c.Total[0].Target, agent)
		}
	}
}

// TestDetailLeavesTheRowsAlone checks that keeping a detail, collected in
// the same pass as the rows, changes nothing else of the comparison, and
// that a comparison keeps none unless asked.
func TestDetailLeavesTheRowsAlone(t *testing.T) {
	a, b := load(t, "heap-01.pb.gz"), load(t, "heap-12.pb.gz")
	for _, by := range allGroupings {
		for _, opts := range []Options{
			{By: by},
			{By: by, Cum: true, Top: 4, Normalize: true, Hide: regexp.MustCompile(`^runtime\.`)},
			{By: by, DeferNames: true, Ignore: regexp.MustCompile(`JobQueue`)},
		} {
			want := compare(t, a, b, opts)
			if want.Detail != nil {
				t.Fatalf("%+v: a detail nobody asked for", opts)
			}
			got, d := explain(t, a, b, opts, pageDetail)
			if len(d.Stacks) != len(got.Rows) || len(d.MoreStacks) != len(got.Rows) || len(d.Tree) == 0 {
				t.Fatalf("%+v: %d stack lists and %d counts for %d rows, %d tree nodes", opts, len(d.Stacks), len(d.MoreStacks), len(got.Rows), len(d.Tree))
			}
			got.Detail = nil
			for i := range got.Rows {
				got.Rows[i], want.Rows[i] = got.Rows[i].Named(), want.Rows[i].Named()
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%+v: the comparison with a detail differs from the one without", opts)
			}
		}
	}
}
