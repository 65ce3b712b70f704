package profile

import (
	"errors"
	"strings"
	"testing"

	pprofile "github.com/google/pprof/profile"

	"github.com/heapdiff/heapdiff/internal/profiletest"
)

// TestFrameBombIsRefused loads a 70 KB profile whose one sample names a
// location of 10,000 inlined lines 10,000 times: 100 million frames, gigabytes
// once expanded into stacks. It must be refused before anything that size is
// allocated (the test would otherwise take seconds and gigabytes).
func TestFrameBombIsRefused(t *testing.T) {
	data := profiletest.FrameBomb(10_000, 10_000)
	if len(data) > 100_000 {
		t.Fatalf("the bomb is %d bytes; it should be small", len(data))
	}
	_, err := Parse("bomb.pb", data, Options{})
	if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "expand to more than") {
		t.Fatalf("Parse = %v, want a malformed profile that expands too much", err)
	}
	// The same shape, small, is a valid profile and loads.
	p, err := Parse("small.pb", profiletest.FrameBomb(100, 100), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Stacks) != 1 || len(p.Stacks[0].Frames) != 100*100 {
		t.Fatalf("got %d stacks, want one of 10,000 frames", len(p.Stacks))
	}
}

// TestDeepStackLoads loads a stack of 100,000 distinct frames, far deeper than
// any producer writes but honest (each frame costs bytes in the file): it must
// load whole.
func TestDeepStackLoads(t *testing.T) {
	const depth = 100_000
	pp := &pprofile.Profile{SampleType: profiletest.HeapTypes()}
	s := &pprofile.Sample{Value: []int64{1, 512, 1, 512}}
	for i := 0; i < depth; i++ {
		fn := &pprofile.Function{ID: uint64(i + 1), Name: "f", Filename: "f.go"}
		loc := &pprofile.Location{ID: uint64(i + 1), Line: []pprofile.Line{{Function: fn, Line: int64(i + 1)}}}
		pp.Function = append(pp.Function, fn)
		pp.Location = append(pp.Location, loc)
		s.Location = append(s.Location, loc)
	}
	pp.Sample = []*pprofile.Sample{s}
	p, err := Parse("deep.pb.gz", profiletest.Encode(pp), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Stacks) != 1 || len(p.Stacks[0].Frames) != depth || len(p.Frames) != depth {
		t.Fatalf("got %d stacks and %d frames, want one stack of %d", len(p.Stacks), len(p.Frames), depth)
	}
}
