package diff

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/heapdiff/heapdiff/internal/profiletest"
	"github.com/heapdiff/heapdiff/profile"
)

// fuzzOptions turns two fuzzed bytes into comparison options, so every
// grouping and flag is reached.
func fuzzOptions(by, flags uint8) Options {
	opts := Options{
		By:        Grouping(by % 5),
		Cum:       flags&1 != 0,
		Normalize: flags&2 != 0,
		Top:       int(flags>>2) & 7,
	}
	if flags&0x20 != 0 {
		opts.Hide = regexp.MustCompile(`^runtime\.|0x`)
	}
	if flags&0x40 != 0 {
		opts.Focus = regexp.MustCompile(`pkg[0-3]|main`)
	}
	if flags&0x80 != 0 {
		opts.SampleIndex = strconv.Itoa(int(by >> 4)) // often out of range: an error, not a panic
	}
	return opts
}

// addCompareSeeds seeds a fuzz target taking two profiles and two option
// bytes with plain protobuf of generated profiles and the shipped snapshots.
func addCompareSeeds(f *testing.F) {
	f.Helper()
	var seeds [][]byte
	for seed := int64(0); seed < 3; seed++ {
		seeds = append(seeds, profiletest.EncodeUncompressed(profiletest.Generate(profiletest.Config{Seed: seed, Functions: 6, Samples: 6, MaxDepth: 5, Negative: 0.2})))
	}
	for _, name := range []string{"heap-01.pb.gz", "heap-12.pb.gz"} {
		data, err := os.ReadFile(filepath.Join("../testdata/leaky", name))
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, data)
	}
	for i, a := range seeds {
		b := seeds[(i+1)%len(seeds)]
		f.Add(a, b, uint8(i), uint8(i*37))
	}
}

// sharedTotals sums the stacks of p for each of types, independently of
// Compare's grouping; also what stacks without frames hold, which count in
// the total but in no row.
func sharedTotals(p *profile.Profile, types []profile.ValueType) (total, frameless []int64) {
	total = make([]int64, len(types))
	frameless = make([]int64, len(types))
	for t, typ := range types {
		i := -1
		for j, st := range p.SampleTypes {
			if st.Type == typ.Type {
				i = j
			}
		}
		for _, s := range p.Stacks {
			total[t] += s.Values[i]
			if len(s.Frames) == 0 {
				frameless[t] += s.Values[i]
			}
		}
	}
	return total, frameless
}

// FuzzCompare compares two profiles loaded from arbitrary bytes with
// arbitrary options. It must never panic; errors are one line; the result is
// well formed (a change per type in every row), the totals are the sums of
// the profiles' stacks, and the rows and the rest add up to the totals.
func FuzzCompare(f *testing.F) {
	addCompareSeeds(f)
	f.Fuzz(func(t *testing.T, a, b []byte, by, flags uint8) {
		opts := profile.Options{MaxSize: 1 << 20}
		base, err := profile.Parse("a", a, opts)
		if err != nil {
			return
		}
		target, err := profile.Parse("b", b, opts)
		if err != nil {
			return
		}
		o := fuzzOptions(by, flags)
		c, err := Compare(base, target, o)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error is not one line: %q", err)
			}
			return
		}
		if len(c.Types) == 0 || c.Index < 0 || c.Index >= len(c.Types) || len(c.Total) != len(c.Types) {
			t.Fatalf("%d types, index %d, %d totals", len(c.Types), c.Index, len(c.Total))
		}
		sums := make([][2]int64, len(c.Types))
		for _, r := range c.Rows {
			if len(r.Flat) != len(c.Types) || o.Cum != (r.Cum != nil) || r.Cum != nil && len(r.Cum) != len(c.Types) {
				t.Fatalf("row %q has %d flat and %d cum changes for %d types", r.Name, len(r.Flat), len(r.Cum), len(c.Types))
			}
			for i, ch := range r.Flat {
				sums[i][0] += ch.Base
				sums[i][1] += ch.Target
			}
		}
		if c.Rest.Rows > 0 {
			for i, ch := range c.Rest.Flat {
				sums[i][0] += ch.Base
				sums[i][1] += ch.Target
			}
		}
		if o.Focus != nil || o.Ignore != nil || o.Hide != nil || o.Normalize {
			return // the totals are of what the filters kept, or scaled
		}
		baseTotal, baseFrameless := sharedTotals(base, c.Types)
		targetTotal, targetFrameless := sharedTotals(target, c.Types)
		for i, typ := range c.Types {
			if c.Total[i].Base != baseTotal[i] || c.Total[i].Target != targetTotal[i] {
				t.Fatalf("%s: total %d → %d, but the stacks sum to %d → %d", typ, c.Total[i].Base, c.Total[i].Target, baseTotal[i], targetTotal[i])
			}
			if sums[i][0] != baseTotal[i]-baseFrameless[i] || sums[i][1] != targetTotal[i]-targetFrameless[i] {
				t.Fatalf("%s: rows sum to %d → %d, total %d → %d (of which stacks without frames %d → %d)",
					typ, sums[i][0], sums[i][1], baseTotal[i], targetTotal[i], baseFrameless[i], targetFrameless[i])
			}
		}
	})
}
