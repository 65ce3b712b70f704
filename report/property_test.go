package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand"
	"testing"
	"time"

	"github.com/heapdiff/heapdiff/diff"
	"github.com/heapdiff/heapdiff/internal/profiletest"
	"github.com/heapdiff/heapdiff/profile"
)

// generatedComparison compares two generated profiles (see package
// profiletest) loaded through profile.Parse.
func generatedComparison(t testing.TB, seed int64, opts diff.Options) *diff.Comparison {
	t.Helper()
	t0 := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	var ps []*profile.Profile
	for i, cfg := range []profiletest.Config{
		{Seed: 2 * seed, Negative: 0.05, Time: t0},
		{Seed: 2*seed + 1, Samples: 90, Negative: 0.05, Time: t0.Add(time.Duration(seed+1) * 17 * time.Minute)},
	} {
		if seed%5 == 4 {
			cfg.Time = time.Time{} // no rates
		}
		p, err := profile.Parse(fmt.Sprintf("gen-%d-%d.pb.gz", seed, i), profiletest.Encode(profiletest.Generate(cfg)), profile.Options{})
		if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	c, err := diff.Compare(ps[0], ps[1], opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// checkJSONChanges checks that a JSON map of changes carries exactly the
// numbers of the comparison's changes, for every sample type.
func checkJSONChanges(t *testing.T, what string, c *diff.Comparison, got map[string]JSONChange, want []diff.Change) {
	t.Helper()
	if len(got) != len(c.Types) {
		t.Fatalf("%s: %d sample types in JSON, want %d", what, len(got), len(c.Types))
	}
	for i, typ := range c.Types {
		j, ok := got[typ.Type]
		if !ok {
			t.Fatalf("%s: no %s in JSON", what, typ.Type)
		}
		ch := want[i]
		if j.Base != ch.Base || j.Target != ch.Target || j.Delta != ch.Delta() || j.Noise != ch.Noise ||
			j.Significant != ch.Significant || j.Status != ch.Status().String() {
			t.Fatalf("%s %s: JSON %+v, comparison %+v", what, typ.Type, j, ch)
		}
		if pct, ok := ch.Percent(); ok != (j.Percent != nil) || ok && *j.Percent != pct {
			t.Fatalf("%s %s: percent %v in JSON, %v (%v) in the comparison", what, typ.Type, j.Percent, pct, ok)
		}
		if rate, ok := c.RatePerHour(ch); ok != (j.RatePerHour != nil) || ok && *j.RatePerHour != rate {
			t.Fatalf("%s %s: rate %v in JSON, %v (%v) in the comparison", what, typ.Type, j.RatePerHour, rate, ok)
		}
	}
}

// TestPropertyJSONRoundTrips renders comparisons of generated profiles, with
// random options, as JSON and checks that decoding gives back every number,
// name and frame exactly (floats included).
func TestPropertyJSONRoundTrips(t *testing.T) {
	rng := rand.New(rand.NewSource(4))
	for seed := int64(0); seed < 25; seed++ {
		opts := diff.Options{
			By:        diff.Grouping(rng.Intn(5)),
			Cum:       rng.Intn(2) == 0,
			Normalize: rng.Intn(4) == 0,
			Top:       rng.Intn(10),
		}
		c := generatedComparison(t, seed, opts)
		var buf bytes.Buffer
		if err := JSON(&buf, c); err != nil {
			t.Fatal(err)
		}
		var doc JSONComparison
		if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		what := fmt.Sprintf("seed %d by %s", seed, opts.By)
		if doc.By != c.By.String() || doc.Cum != c.Cum || doc.Normalized != c.Normalized || doc.SampleIndex != c.Shown().Type ||
			doc.Base.Name != c.Base.Name || doc.Target.Name != c.Target.Name || doc.Base.Period != c.Base.Period {
			t.Fatalf("%s: header %+v does not match the comparison", what, doc)
		}
		if c.Interval > 0 != (doc.IntervalSeconds != nil) || c.Interval > 0 && *doc.IntervalSeconds != c.Interval.Seconds() {
			t.Fatalf("%s: interval %v, want %v", what, doc.IntervalSeconds, c.Interval)
		}
		if len(doc.SampleTypes) != len(c.Types) {
			t.Fatalf("%s: %d sample types, want %d", what, len(doc.SampleTypes), len(c.Types))
		}
		checkJSONChanges(t, what+" total", c, doc.Total, c.Total)
		if len(doc.Rows) != len(c.Rows) {
			t.Fatalf("%s: %d rows, want %d", what, len(doc.Rows), len(c.Rows))
		}
		for i, r := range c.Rows {
			jr := doc.Rows[i]
			if jr.Name != r.Name || len(jr.Frames) != len(r.Frames) {
				t.Fatalf("%s: row %d is %q with %d frames, want %q with %d", what, i, jr.Name, len(jr.Frames), r.Name, len(r.Frames))
			}
			for k, f := range r.Frames {
				if jf := jr.Frames[k]; jf != (JSONFrame{f.Function, f.File, f.Line, f.Address, f.Module}) {
					t.Fatalf("%s: row %q frame %d: %+v, want %+v", what, r.Name, k, jf, f)
				}
			}
			checkJSONChanges(t, what+" "+r.Name, c, jr.Flat, r.Flat)
			if c.Cum {
				checkJSONChanges(t, what+" cum "+r.Name, c, jr.Cum, r.Cum)
			} else if jr.Cum != nil {
				t.Fatalf("%s: row %q has cum values without --cum", what, r.Name)
			}
		}
		if c.Rest.Rows > 0 != (doc.Rest != nil) {
			t.Fatalf("%s: rest %+v, want %d rows", what, doc.Rest, c.Rest.Rows)
		}
		if doc.Rest != nil {
			if doc.Rest.Rows != c.Rest.Rows {
				t.Fatalf("%s: rest has %d rows, want %d", what, doc.Rest.Rows, c.Rest.Rows)
			}
			checkJSONChanges(t, what+" rest", c, doc.Rest.Flat, c.Rest.Flat)
		}
		if len(doc.Warnings) != len(c.Warnings) {
			t.Fatalf("%s: %d warnings, want %d", what, len(doc.Warnings), len(c.Warnings))
		}
	}
}
