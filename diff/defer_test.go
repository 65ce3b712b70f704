package diff

import (
	"math/rand"
	"reflect"
	"strings"
	"testing"
)

// TestDeferNames checks Options.DeferNames against the comparison that names
// every row: the same rows, changes and rest, in the same order; stack rows
// left unnamed, and named by Row.Named exactly as Compare names them; other
// rows named anyway; and Named keeping nothing in the comparison.
func TestDeferNames(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	for seed := int64(0); seed < propertySeeds; seed++ {
		a, b := pair(t, seed)
		opts := randomOptions(rng)
		opts.Top = []int{0, 3, 50}[rng.Intn(3)]
		named := compare(t, a, b, opts)
		opts.DeferNames = true
		deferred := compare(t, a, b, opts)
		if len(deferred.Rows) != len(named.Rows) || !reflect.DeepEqual(deferred.Rest, named.Rest) || !reflect.DeepEqual(deferred.Total, named.Total) {
			t.Fatalf("seed %d, %+v: %d rows, rest %+v; named: %d rows, rest %+v", seed, opts, len(deferred.Rows), deferred.Rest, len(named.Rows), named.Rest)
		}
		for i := range deferred.Rows {
			r, want := deferred.Rows[i], named.Rows[i]
			if unnamed := r.Name == "" && r.Frames == nil; unnamed != (opts.By == ByStack) {
				t.Fatalf("seed %d, by %s: row %d has name %q and %d frames", seed, opts.By, i, r.Name, len(r.Frames))
			}
			got := r.Named()
			if got.Name != want.Name || !reflect.DeepEqual(got.Frames, want.Frames) || !reflect.DeepEqual(got.Flat, want.Flat) || !reflect.DeepEqual(got.Cum, want.Cum) {
				t.Fatalf("seed %d, %+v: row %d is %q %v, named it is %q %v", seed, opts, i, got.Name, got.Flat, want.Name, want.Flat)
			}
			if opts.By != ByStack {
				continue
			}
			if deferred.Rows[i].Name != "" || deferred.Rows[i].pending == nil {
				t.Fatalf("seed %d: Named kept the name of row %d in the comparison", seed, i)
			}
			// A stack row's name lists its frames, innermost first.
			frames := make([]string, len(want.Frames))
			for j, f := range want.Frames {
				frames[j] = f.String()
			}
			if len(frames) == 0 || want.Name != strings.Join(frames, " < ") {
				t.Fatalf("seed %d: stack row %d is named %q, with %d frames", seed, i, want.Name, len(frames))
			}
		}
	}
}

// TestDetailOfDeferredComparison checks that a comparison whose rows are
// named on demand has the same detail.
func TestDetailOfDeferredComparison(t *testing.T) {
	a, b := load(t, "heap-01.pb.gz"), load(t, "heap-12.pb.gz")
	for _, by := range allGroupings {
		for _, top := range []int{0, 5} {
			opts := Options{By: by, Cum: true, Top: top}
			_, want := explain(t, a, b, opts, pageDetail)
			opts.DeferNames = true
			_, got := explain(t, a, b, opts, pageDetail)
			if !reflect.DeepEqual(got.Stacks, want.Stacks) || !reflect.DeepEqual(got.MoreStacks, want.MoreStacks) || !reflect.DeepEqual(got.Tree, want.Tree) {
				t.Errorf("by %s, top %d: the detail of the deferred comparison differs", by, top)
			}
			if n := countStacks(got.Stacks); n == 0 {
				t.Errorf("by %s, top %d: no row got a stack", by, top)
			}
		}
	}
}

func countStacks(stacks [][]StackChange) int {
	n := 0
	for _, s := range stacks {
		n += len(s)
	}
	return n
}

// TestStackGroupsSurviveHashCollisions makes every stack's hash the same, so
// that stack groups are told apart by their frames alone: the comparison
// must not change.
func TestStackGroupsSurviveHashCollisions(t *testing.T) {
	a, b := load(t, "heap-01.pb.gz"), load(t, "heap-12.pb.gz")
	opts := Options{By: ByStack, Cum: true}
	want := compare(t, a, b, opts)
	defer func(h func([]byte) uint64) { stackHash = h }(stackHash)
	stackHash = func([]byte) uint64 { return 42 }
	got := compare(t, a, b, opts)
	if len(want.Rows) < 10 {
		t.Fatalf("only %d stack rows: the test needs more to mean anything", len(want.Rows))
	}
	if !reflect.DeepEqual(got.Rows, want.Rows) {
		t.Errorf("with every hash equal, %d rows; with real hashes %d, or the rows differ", len(got.Rows), len(want.Rows))
	}
}
