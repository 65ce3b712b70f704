package diff

import (
	"fmt"
	"math"
	"math/rand"
	"regexp"
	"testing"
	"time"

	"github.com/heapdiff/heapdiff/internal/profiletest"
	"github.com/heapdiff/heapdiff/profile"
)

// The tests in this file check algebraic properties of Compare over many
// generated profiles (see package profiletest): inlined frames, runtime leaf
// frames, unsymbolized addresses, repeated stacks and negative values. The
// tests in compare_test.go check the same kind of property on the shipped
// snapshots of testdata/leakyapp.

const propertySeeds = 25

// generated encodes a generated profile and loads it through profile.Parse,
// as a file would be.
func generated(t testing.TB, cfg profiletest.Config) *profile.Profile {
	t.Helper()
	name := fmt.Sprintf("gen-%d.pb.gz", cfg.Seed)
	p, err := profile.Parse(name, profiletest.Encode(profiletest.Generate(cfg)), profile.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// pair generates a base and a target of the same program, an hour apart.
func pair(t testing.TB, seed int64) (base, target *profile.Profile) {
	t0 := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	base = generated(t, profiletest.Config{Seed: 2 * seed, Negative: 0.05, Time: t0})
	target = generated(t, profiletest.Config{Seed: 2*seed + 1, Samples: 90, Negative: 0.05, Time: t0.Add(time.Hour)})
	return base, target
}

// randomOptions picks a grouping and, sometimes, filters.
func randomOptions(rng *rand.Rand) Options {
	opts := Options{By: allGroupings[rng.Intn(len(allGroupings))], Cum: rng.Intn(2) == 0}
	if rng.Intn(4) == 0 {
		opts.Focus = regexp.MustCompile(fmt.Sprintf("pkg%d", rng.Intn(7)))
	}
	if rng.Intn(4) == 0 {
		opts.Ignore = regexp.MustCompile(fmt.Sprintf("M%d$", rng.Intn(40)))
	}
	if rng.Intn(4) == 0 {
		opts.Hide = regexp.MustCompile(`^runtime\.|T3`)
	}
	return opts
}

// uniqueRows indexes rows by name, failing if two rows share one (the
// properties below match rows by name).
func uniqueRows(t *testing.T, c *Comparison) map[string]Row {
	t.Helper()
	m := rowsByName(c)
	if len(m) != len(c.Rows) {
		t.Fatalf("by %s: %d rows but %d distinct names", c.By, len(c.Rows), len(m))
	}
	return m
}

func TestPropertyCompareWithItselfIsZero(t *testing.T) {
	for seed := int64(0); seed < propertySeeds; seed++ {
		p, _ := pair(t, seed)
		for _, by := range allGroupings {
			c := compare(t, p, p, Options{By: by, Cum: true, Normalize: seed%2 == 0})
			if len(c.Rows) == 0 {
				t.Fatalf("seed %d by %s: no rows", seed, by)
			}
			for _, r := range c.Rows {
				for i := range c.Types {
					for _, ch := range []Change{r.Flat[i], r.Cum[i]} {
						if ch.Delta() != 0 || ch.Significant || ch.Status() != Same {
							t.Fatalf("seed %d by %s: row %q %s changed against itself: %+v", seed, by, r.Name, c.Types[i].Type, ch)
						}
					}
				}
			}
			for i, tot := range c.Total {
				if tot.Delta() != 0 || tot.Significant {
					t.Fatalf("seed %d by %s: total %s changed against itself: %+v", seed, by, c.Types[i].Type, tot)
				}
			}
		}
	}
}

func TestPropertyCompareIsAntisymmetric(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for seed := int64(0); seed < propertySeeds; seed++ {
		a, b := pair(t, seed)
		opts := randomOptions(rng)
		ab := compare(t, a, b, opts)
		ba := uniqueRows(t, compare(t, b, a, opts))
		if len(uniqueRows(t, ab)) != len(ba) {
			t.Fatalf("seed %d by %s: %d rows one way, %d the other", seed, opts.By, len(ab.Rows), len(ba))
		}
		mirrored := func(what string, f, g Change) {
			t.Helper()
			if f.Base != g.Target || f.Target != g.Base || f.Delta() != -g.Delta() || f.Noise != g.Noise || f.Significant != g.Significant {
				t.Fatalf("seed %d by %s: %s: %+v, reversed %+v", seed, opts.By, what, f, g)
			}
		}
		for i, typ := range ab.Types {
			revTotal := compare(t, b, a, opts).Total[i]
			mirrored("total "+typ.Type, ab.Total[i], revTotal)
			for _, r := range ab.Rows {
				s, ok := ba[r.Name]
				if !ok {
					t.Fatalf("seed %d by %s: row %q missing in the reverse comparison", seed, opts.By, r.Name)
				}
				mirrored(r.Name+" "+typ.Type, r.Flat[i], s.Flat[i])
				if opts.Cum {
					mirrored(r.Name+" cum "+typ.Type, r.Cum[i], s.Cum[i])
				}
			}
		}
	}
}

func TestPropertyDeltasAddUpToTotal(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	for seed := int64(0); seed < propertySeeds; seed++ {
		a, b := pair(t, seed)
		opts := randomOptions(rng)
		opts.Normalize = rng.Intn(3) == 0
		opts.Top = rng.Intn(8) // 0 keeps every row
		c := compare(t, a, b, opts)
		for i, typ := range c.Types {
			var base, target, delta int64
			for _, r := range c.Rows {
				base += r.Flat[i].Base
				target += r.Flat[i].Target
				delta += r.Flat[i].Delta()
			}
			if c.Rest.Rows > 0 {
				base += c.Rest.Flat[i].Base
				target += c.Rest.Flat[i].Target
				delta += c.Rest.Flat[i].Delta()
			}
			tot := c.Total[i]
			if base != tot.Base || target != tot.Target || delta != tot.Delta() {
				t.Errorf("seed %d by %s top %d normalize %v %s: rows and rest sum to %d → %d (delta %d), total is %d → %d (delta %d)",
					seed, opts.By, opts.Top, opts.Normalize, typ.Type, base, target, delta, tot.Base, tot.Target, tot.Delta())
			}
		}
	}
}

// sums accumulates the base and target values and the noise variance of
// several changes.
type sums struct {
	base, target []int64
	variance     []float64
}

func (s *sums) add(changes []Change) {
	if s.base == nil {
		s.base = make([]int64, len(changes))
		s.target = make([]int64, len(changes))
		s.variance = make([]float64, len(changes))
	}
	for i, ch := range changes {
		s.base[i] += ch.Base
		s.target[i] += ch.Target
		s.variance[i] += ch.Noise * ch.Noise
	}
}

// sumBy sums the flat changes of rows by a key derived from each row; rows
// with no value at all are left out, as Compare leaves them out.
func sumBy(rows []Row, key func(Row) string) map[string]*sums {
	m := map[string]*sums{}
	for _, r := range rows {
		k := key(r)
		if m[k] == nil {
			m[k] = &sums{}
		}
		m[k].add(r.Flat)
	}
	return dropZero(m)
}

// dropZero removes the groups whose values are all zero.
func dropZero(m map[string]*sums) map[string]*sums {
	for k, s := range m {
		if allZero(s.base) && allZero(s.target) {
			delete(m, k)
		}
	}
	return m
}

func changesZero(changes []Change) bool {
	for _, ch := range changes {
		if ch.Base != 0 || ch.Target != 0 {
			return false
		}
	}
	return true
}

// checkSums checks that rows, summed by key, give the rows of another grouping:
// the same values and, up to rounding, the same noise.
func checkSums(t *testing.T, what string, got map[string]*sums, want *Comparison, wantFlat func(Row) []Change) {
	t.Helper()
	rows := uniqueRows(t, want)
	for name, r := range rows {
		if changesZero(wantFlat(r)) {
			delete(rows, name) // a row for its cum only
		}
	}
	if len(got) != len(rows) {
		t.Fatalf("%s: %d groups, want %d", what, len(got), len(rows))
	}
	for name, s := range got {
		r, ok := rows[name]
		if !ok {
			t.Fatalf("%s: group %q is not a row of the %s grouping", what, name, want.By)
		}
		for i, ch := range wantFlat(r) {
			if s.base[i] != ch.Base || s.target[i] != ch.Target {
				t.Fatalf("%s: %q %s sums to %d → %d, want %d → %d", what, name, want.Types[i].Type, s.base[i], s.target[i], ch.Base, ch.Target)
			}
			if v := ch.Noise * ch.Noise; math.Abs(s.variance[i]-v) > 1e-9*math.Max(1, v) {
				t.Fatalf("%s: %q %s: variances sum to %g, want %g", what, name, want.Types[i].Type, s.variance[i], v)
			}
		}
	}
}

func leafFunction(r Row) string { return r.Frames[0].FunctionName() }

// TestPropertyGroupingsAgree checks that finer groupings, summed, give the
// coarser ones: stacks summed by their leaf frame's function give the func
// rows, lines summed by function give them too, sites summed by package give
// the package rows; and that a function's cum is the sum of the stacks that
// pass through it, each counted once.
func TestPropertyGroupingsAgree(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	for seed := int64(0); seed < propertySeeds; seed++ {
		a, b := pair(t, seed)
		opts := randomOptions(rng)
		with := func(by Grouping) *Comparison {
			o := opts
			o.By, o.Cum = by, true
			return compare(t, a, b, o)
		}
		stacks, funcs, lines, sites, pkgs := with(ByStack), with(ByFunc), with(ByLine), with(BySite), with(ByPackage)
		flat := func(r Row) []Change { return r.Flat }
		prefix := fmt.Sprintf("seed %d", seed)
		checkSums(t, prefix+": stacks by leaf function", sumBy(stacks.Rows, leafFunction), funcs, flat)
		checkSums(t, prefix+": lines by function", sumBy(lines.Rows, leafFunction), funcs, flat)
		checkSums(t, prefix+": sites by package", sumBy(sites.Rows, func(r Row) string { return r.Frames[0].Package() }), pkgs, flat)

		// cum: every function a stack passes through gets the stack once.
		cum := map[string]*sums{}
		for _, r := range stacks.Rows {
			seen := map[string]bool{}
			for _, f := range r.Frames {
				name := f.FunctionName()
				if seen[name] {
					continue
				}
				seen[name] = true
				if cum[name] == nil {
					cum[name] = &sums{}
				}
				cum[name].add(r.Flat)
			}
		}
		checkSums(t, prefix+": stacks through each function (cum)", dropZero(cum), funcs, func(r Row) []Change { return r.Cum })
	}
}
