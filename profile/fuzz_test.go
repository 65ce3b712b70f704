package profile

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	pprofile "github.com/google/pprof/profile"

	"github.com/heapdiff/heapdiff/internal/profiletest"
)

// fuzzMaxSize keeps each fuzz input cheap; the limit itself is part of what
// is fuzzed.
const fuzzMaxSize = 4 << 20

// addSeeds adds every profile in testdata to the fuzz corpus, gzipped ones
// also inflated (a mutation of gzip data rarely inflates, so the protobuf
// decoder is reached through the plain copy), and a few generated profiles.
func addSeeds(f *testing.F) {
	f.Helper()
	for _, pattern := range []string{"../testdata/leaky/*.pb.gz", "../testdata/pprof/*.heap", "../testdata/pprof/*.growth", "../testdata/bad/*",
		"../testdata/node/*.heapprofile.gz", "../testdata/node/datadog-*.pb.gz"} {
		paths, err := filepath.Glob(pattern)
		if err != nil {
			f.Fatal(err)
		}
		for _, path := range paths {
			data, err := os.ReadFile(path)
			if err != nil || len(data) > 1<<20 {
				continue // a directory or the gzip bomb: not a useful seed
			}
			f.Add(data)
			if isGzip(data) {
				if zr, err := gzip.NewReader(bytes.NewReader(data)); err == nil {
					if plain, err := io.ReadAll(io.LimitReader(zr, 1<<20)); err == nil {
						f.Add(plain)
					}
				}
			}
		}
	}
	for seed := int64(0); seed < 4; seed++ {
		f.Add(profiletest.EncodeUncompressed(profiletest.Generate(profiletest.Config{Seed: seed, Functions: 4, Samples: 4, MaxDepth: 4, Negative: 0.3})))
	}
	f.Add([]byte(tinySnapshot))
	f.Add([]byte(`{"head":{"callFrame":{"functionName":"(root)","url":"","lineNumber":-1,"columnNumber":-1},"selfSize":0,"id":1,` +
		`"children":[{"callFrame":{"functionName":"leak","url":"file:///a.js","lineNumber":3,"columnNumber":7},"selfSize":64,"id":2,"children":[]}]},` +
		`"samples":[{"size":64,"nodeId":2,"ordinal":1}]}`))
	f.Add([]byte(`{"version":2,"type":"Inspector","nodes":[]}`)) // JSC, refused with its own message
	f.Add([]byte{})
	f.Add([]byte("heap profile: 1: 2 [3: 4] @ heap/1048576\n1: 2 [3: 4] @ 0x1 0x2\n"))
}

// tinySnapshot is a V8 heap snapshot of two objects, one holding a string: a
// seed small enough for the fuzzer to mutate quickly.
const tinySnapshot = `{"snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count","trace_node_id","detachedness"],` +
	`"node_types":[["hidden","array","string","object","code","closure","regexp","number","native","synthetic","concatenated string","sliced string","symbol","bigint","object shape"],"string","number","number","number","number","number"],` +
	`"edge_fields":["type","name_or_index","to_node"],"edge_types":[["context","element","property","internal","hidden","shortcut","weak"],"string_or_number","node"],` +
	`"trace_function_info_fields":[],"trace_node_fields":[],"sample_fields":[],"location_fields":[]},"node_count":4,"edge_count":3,"trace_function_count":0},` +
	`"nodes":[9,0,1,0,2,0,0,3,1,3,64,1,0,0,3,2,5,32,0,0,0,2,3,7,16,0,0,0],"edges":[1,1,7,1,2,14,2,5,21],` +
	`"trace_function_infos":[],"trace_tree":[],"samples":[],"locations":[],"strings":["","Foo","Bar","hello","a","s"]}`

// checkModel checks the invariants every loaded profile must keep, whatever
// the input: the rest of heapdiff indexes with them without checking.
func checkModel(t *testing.T, p *Profile) {
	t.Helper()
	if len(p.SampleTypes) == 0 || !p.IsMemory() {
		t.Fatalf("loaded a profile with sample types %v", p.SampleTypes)
	}
	seen := map[string]bool{}
	for i, s := range p.Stacks {
		if len(s.Values) != len(p.SampleTypes) {
			t.Fatalf("stack %d has %d values for %d sample types", i, len(s.Values), len(p.SampleTypes))
		}
		for _, f := range s.Frames {
			if f < 0 || int(f) >= len(p.Frames) {
				t.Fatalf("stack %d refers to frame %d of %d", i, f, len(p.Frames))
			}
		}
		key := string(appendStackKey(nil, s.Frames))
		if seen[key] {
			t.Fatalf("stack %d appears twice: samples with one stack must be merged", i)
		}
		seen[key] = true
	}
}

// FuzzParse loads arbitrary bytes as a profile: format detection, gzip, the
// lean protobuf decoder and pprof's legacy text parsers. It must never panic
// or hang; an error must name the input on one line and wrap one of the
// package's sentinel errors; a loaded profile must keep the model's
// invariants and, for protobuf, hold exactly what
// github.com/google/pprof/profile reads from the same bytes.
func FuzzParse(f *testing.F) {
	addSeeds(f)
	sentinels := []error{ErrEmpty, ErrNotProfile, ErrTruncated, ErrCorrupt, ErrTooLarge, ErrNoSampleTypes, ErrNotMemory, ErrMalformed, ErrJSCSnapshot}
	sentinel := func(err error) error {
		for _, s := range sentinels {
			if errors.Is(err, s) {
				return s
			}
		}
		return nil
	}
	// Load reads files through other paths (gzip inflated from the file,
	// heap snapshots streamed): it must agree with Parse on the same bytes.
	path := filepath.Join(f.TempDir(), "fuzz.pb.gz")
	f.Fuzz(func(t *testing.T, data []byte) {
		opts := Options{MaxSize: fuzzMaxSize}
		p, err := Parse(path, data, opts)
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		fromFile, fileErr := Load(path, opts)
		if (err == nil) != (fileErr == nil) || sentinel(err) != sentinel(fileErr) {
			t.Fatalf("Parse and Load disagree:\n Parse: %v\n Load:  %v", err, fileErr)
		}
		if err != nil {
			msg := err.Error()
			if !strings.HasPrefix(msg, "load "+path+": ") || strings.Contains(msg, "\n") {
				t.Fatalf("error %q does not name the input on one line", msg)
			}
			if sentinel(err) == nil {
				t.Fatalf("error %q wraps none of the package's sentinel errors", msg)
			}
			return
		}
		if p.Name != path {
			t.Fatalf("name = %q", p.Name)
		}
		checkModel(t, p)
		if !reflect.DeepEqual(p, fromFile) {
			t.Fatalf("Parse and Load read different profiles: %d and %d stacks", len(p.Stacks), len(fromFile.Stacks))
		}
		if p.Format != FormatPprof {
			return // legacy text is read by pprof itself
		}
		pp, err := pprofile.ParseData(data)
		if err != nil {
			return // pprof is stricter in places (it validates mappings, for one)
		}
		want := FromPprof(pp)
		want.makePrintable() // as Parse does
		if !slices.Equal(p.SampleTypes, want.SampleTypes) || p.Period != want.Period || p.PeriodType != want.PeriodType ||
			!p.Time.Equal(want.Time) || p.DefaultSampleType != want.DefaultSampleType || !slices.Equal(p.Comments, want.Comments) {
			t.Fatalf("metadata differs from pprof's:\n got  %v %d %v %v %q %q\n want %v %d %v %v %q %q",
				p.SampleTypes, p.Period, p.PeriodType, p.Time, p.DefaultSampleType, p.Comments,
				want.SampleTypes, want.Period, want.PeriodType, want.Time, want.DefaultSampleType, want.Comments)
		}
		if g, w := canonical(p), canonical(want); !slices.Equal(g, w) {
			t.Fatalf("stacks differ from pprof's:\n got  %q\n want %q", g, w)
		}
	})
}
