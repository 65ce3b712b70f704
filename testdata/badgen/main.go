// Command badgen writes testdata/bad/: one file per kind of bad, odd or
// hostile input that heapdiff must handle with a clear one-line error (or, for
// odd but honest profiles, load and compare). testdata/bad/README.md lists
// them; cmd/heapdiff/bad_test.go runs the real CLI on each. The output depends
// on nothing but this program:
//
//	go run ./testdata/badgen -out testdata/bad
package main

import (
	"bytes"
	"compress/gzip"
	"flag"
	"fmt"
	"io"
	"log"
	"math/rand"
	"os"
	"path/filepath"
	"time"

	pprof "github.com/google/pprof/profile"

	"github.com/heapdiff/heapdiff/internal/profiletest"
)

// bombSize is how much the gzip bomb inflates to: twice the default limit of
// 1 GiB, from a file of about 2 MiB.
const bombSize = 2 << 30

func main() {
	out := flag.String("out", "testdata/bad", "directory to write the files to")
	flag.Parse()
	if err := os.MkdirAll(*out, 0o755); err != nil {
		log.Fatal(err)
	}
	for name, data := range withV8Files(files()) {
		if err := os.WriteFile(filepath.Join(*out, name), data, 0o644); err != nil {
			log.Fatal(err)
		}
	}
	f, err := os.Create(filepath.Join(*out, "bomb.pb.gz"))
	if err != nil {
		log.Fatal(err)
	}
	if err := writeBomb(f, bombSize); err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
}

var t0 = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

// files returns every case but the bomb, by file name.
func files() map[string][]byte {
	rng := rand.New(rand.NewSource(6))
	random := make([]byte, 4096)
	rng.Read(random)
	random[0] = 0x00 // not the gzip magic, not text

	valid := profiletest.Encode(profiletest.Generate(profiletest.Config{Seed: 1, Samples: 400, Time: t0}))

	var garbage bytes.Buffer
	zw := gzip.NewWriter(&garbage)
	zw.Write(random)
	zw.Close()

	// A tiny V8 heap snapshot, cut in the middle of its nodes array.
	snapshot := `{"snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count"],` +
		`"node_types":[["hidden","array","string","object"],"string","number","number","number"],` +
		`"edge_fields":["type","name_or_index","to_node"],"edge_types":[["context","element","property"],"string_or_number","node"]},` +
		`"node_count":3,"edge_count":2},"nodes":[3,0,1,0,2,3,1,3,64,0,`

	// Hostile inputs for the decoders' memory: each small, each inflating
	// to 16 MiB of records that once cost the decoder 24 to 80 bytes each.
	const records = 8 << 20 // of two bytes each
	// Three layers of gzip around 1 GiB of zeros: about a kilobyte.
	nested := gz(gz(gz(make([]byte, 1<<30))))

	return map[string][]byte{
		"emptylocations.pb.gz": gz(profiletest.EmptyRecords(profiletest.FieldLocation, records)),
		"emptyfunctions.pb.gz": gz(profiletest.EmptyRecords(profiletest.FieldFunction, records)),
		"emptysamples.pb.gz":   gz(profiletest.EmptyRecords(profiletest.FieldSample, records)),
		"emptystrings.pb.gz":   gz(profiletest.EmptyRecords(profiletest.FieldString, records)),
		"typesxsamples.pb.gz":  gz(profiletest.TypesTimesSamples(1000, 4<<20)),
		"comments.pb.gz":       gz(profiletest.PackedComments(2 * records)),
		"nested.pb.gz":         nested,
		"javaheapz.txt.gz":     gz(profiletest.JavaHeapText(400_000)),
		"javaheapzbomb.txt.gz": gz(profiletest.JavaHeapText(6_400_000)),

		"empty.pb.gz":            nil,
		"random.bin":             random,
		"truncated.pb.gz":        valid[:len(valid)/2],
		"garbage.gz":             garbage.Bytes(),
		"notes.txt":              []byte("heap notes from Tuesday: it leaks somewhere\n"),
		"notypes.pb.gz":          profiletest.Encode(&pprof.Profile{TimeNanos: t0.UnixNano()}),
		"negative.pb.gz":         profiletest.Encode(profiletest.Generate(profiletest.Config{Seed: 2, Samples: 40, Negative: 0.4, Time: t0.Add(time.Hour)})),
		"nofunc.pb.gz":           profiletest.Encode(noFunctions()),
		"missingloc.pb.gz":       profiletest.Encode(missingLocation()),
		"deep.pb.gz":             profiletest.Encode(deepStack(100_000)),
		"framebomb.pb":           profiletest.FrameBomb(10_000, 10_000),
		"dupids.pb.gz":           profiletest.Encode(duplicateIDs()),
		"cpu.pb.gz":              profiletest.Encode(cpuProfile()),
		"incompatible.pb.gz":     profiletest.Encode(otherTypes()),
		"truncated.heapsnapshot": []byte(snapshot),
	}
}

// gz compresses data as well as deflate can.
func gz(data []byte) []byte {
	var b bytes.Buffer
	zw, err := gzip.NewWriterLevel(&b, gzip.BestCompression)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := zw.Write(data); err != nil {
		log.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		log.Fatal(err)
	}
	return b.Bytes()
}

// writeBomb writes a gzip stream of size zero bytes, compressed as well as
// deflate can (about 1:1000).
func writeBomb(w io.Writer, size int64) error {
	zw, err := gzip.NewWriterLevel(w, gzip.BestCompression)
	if err != nil {
		return err
	}
	zeros := make([]byte, 1<<20)
	for n := int64(0); n < size; n += int64(len(zeros)) {
		if _, err := zw.Write(zeros); err != nil {
			return err
		}
	}
	return zw.Close()
}

// heapProfile returns an empty profile with Go's heap sample types.
func heapProfile() *pprof.Profile {
	return &pprof.Profile{
		SampleType: profiletest.HeapTypes(),
		PeriodType: &pprof.ValueType{Type: "space", Unit: "bytes"},
		Period:     512 * 1024,
		TimeNanos:  t0.Add(time.Hour).UnixNano(),
	}
}

func sample(size int64, locs ...*pprof.Location) *pprof.Sample {
	return &pprof.Sample{Location: locs, Value: []int64{10, 10 * size, 4, 4 * size}, NumLabel: map[string][]int64{"bytes": {size}}}
}

// noFunctions is a profile of a stripped binary: locations are addresses in
// a mapping, with no function or line.
func noFunctions() *pprof.Profile {
	p := heapProfile()
	m := &pprof.Mapping{ID: 1, Start: 0x400000, Limit: 0x800000, File: "/srv/bin/svc"}
	p.Mapping = []*pprof.Mapping{m}
	for i := 0; i < 6; i++ {
		p.Location = append(p.Location, &pprof.Location{ID: uint64(i + 1), Mapping: m, Address: 0x401000 + uint64(i)*0x40})
	}
	for i := 0; i < 5; i++ {
		p.Sample = append(p.Sample, sample(int64(64<<i), p.Location[i], p.Location[5]))
	}
	return p
}

func function(id uint64, name string) *pprof.Function {
	return &pprof.Function{ID: id, Name: name, SystemName: name, Filename: "/src/svc/main.go"}
}

// missingLocation has a sample that names location 99, which the profile
// does not define.
func missingLocation() *pprof.Profile {
	p := heapProfile()
	f := function(1, "main.alloc")
	loc := &pprof.Location{ID: 1, Line: []pprof.Line{{Function: f, Line: 10}}}
	p.Function, p.Location = []*pprof.Function{f}, []*pprof.Location{loc}
	p.Sample = []*pprof.Sample{sample(64, loc), sample(128, &pprof.Location{ID: 99}, loc)}
	return p
}

// duplicateIDs defines location 1 twice, with different lines.
func duplicateIDs() *pprof.Profile {
	p := heapProfile()
	f := function(1, "main.alloc")
	a := &pprof.Location{ID: 1, Line: []pprof.Line{{Function: f, Line: 10}}}
	b := &pprof.Location{ID: 1, Line: []pprof.Line{{Function: f, Line: 20}}}
	p.Function, p.Location = []*pprof.Function{f}, []*pprof.Location{a, b}
	p.Sample = []*pprof.Sample{sample(64, a)}
	return p
}

// deepStack is a recursion depth frames deep through a cycle of 1,000
// functions: far deeper than any runtime records, but each frame is in the
// file.
func deepStack(depth int) *pprof.Profile {
	p := heapProfile()
	const cycle = 1000
	for i := 0; i < cycle; i++ {
		f := function(uint64(i+1), fmt.Sprintf("main.recurse%d", i))
		p.Function = append(p.Function, f)
		p.Location = append(p.Location, &pprof.Location{ID: uint64(i + 1), Line: []pprof.Line{{Function: f, Line: int64(10 + i)}}})
	}
	var stack []*pprof.Location
	for d := 0; d < depth; d++ {
		stack = append(stack, p.Location[d%cycle])
	}
	p.Sample = []*pprof.Sample{sample(1024, stack...), sample(64, p.Location[0], p.Location[1])}
	return p
}

// cpuProfile is a CPU profile, as runtime/pprof writes one.
func cpuProfile() *pprof.Profile {
	f := function(1, "main.spin")
	loc := &pprof.Location{ID: 1, Line: []pprof.Line{{Function: f, Line: 7}}}
	return &pprof.Profile{
		SampleType: []*pprof.ValueType{{Type: "samples", Unit: "count"}, {Type: "cpu", Unit: "nanoseconds"}},
		PeriodType: &pprof.ValueType{Type: "cpu", Unit: "nanoseconds"},
		Period:     10_000_000,
		TimeNanos:  t0.UnixNano(),
		Function:   []*pprof.Function{f},
		Location:   []*pprof.Location{loc},
		Sample:     []*pprof.Sample{{Location: []*pprof.Location{loc}, Value: []int64{3, 30_000_000}}},
	}
}

// otherTypes is a memory profile whose sample types share no name with Go's
// heap profile, so the two cannot be compared.
func otherTypes() *pprof.Profile {
	p := cpuProfile()
	p.SampleType = []*pprof.ValueType{{Type: "allocations", Unit: "count"}, {Type: "memory", Unit: "bytes"}}
	p.PeriodType = nil
	p.Period = 0
	p.Sample[0].Value = []int64{3, 3072}
	return p
}
