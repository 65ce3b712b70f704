// Package profiletest generates small, random but reproducible heap profiles
// for property tests and fuzz seeds. Unlike the benchmark generator in
// internal/heapgen, it aims at the corners a comparison must get right: inlined
// frames (locations with several lines), frames of the Go runtime and standard
// library below the program's own code, addresses without symbols, functions
// of the same name in different files, samples that differ only by their
// "bytes" label, and negative values (which the Go runtime can emit).
//
// Profiles generated with the same Config.Functions share their call graph:
// the same functions and locations under the same IDs. So a base and a target
// generated with different seeds have overlapping rows, as two snapshots of
// one program do.
package profiletest

import (
	"bytes"
	"fmt"
	"math/rand"
	"time"

	pprof "github.com/google/pprof/profile"
	"google.golang.org/protobuf/encoding/protowire"
)

// Config says what to generate. Zero fields take the defaults noted.
type Config struct {
	// Seed chooses the stacks and values; the same Config gives the same
	// profile.
	Seed int64
	// Functions sizes the shared call graph (default 40).
	Functions int
	// Samples is how many samples to write (default 60); samples may share a
	// stack.
	Samples int
	// MaxDepth bounds the number of locations in a stack (default 12).
	MaxDepth int
	// Negative is the fraction of samples with negative values (default 0).
	Negative float64
	// Time is the profile's time; zero writes no time.
	Time time.Time
}

func (c Config) withDefaults() Config {
	if c.Functions <= 0 {
		c.Functions = 40
	}
	if c.Samples <= 0 {
		c.Samples = 60
	}
	if c.MaxDepth <= 0 {
		c.MaxDepth = 12
	}
	return c
}

// HeapTypes returns the sample types of a Go heap profile, in the runtime's
// order. Each call returns new values: pprof's encoder writes into them.
func HeapTypes() []*pprof.ValueType {
	return []*pprof.ValueType{
		{Type: "alloc_objects", Unit: "count"}, {Type: "alloc_space", Unit: "bytes"},
		{Type: "inuse_objects", Unit: "count"}, {Type: "inuse_space", Unit: "bytes"},
	}
}

// runtimeFrames are leaf frames that the site grouping must skip.
var runtimeFrames = [][2]string{
	{"runtime.mallocgc", "/usr/local/go/src/runtime/malloc.go"},
	{"runtime.growslice", "/usr/local/go/src/runtime/slice.go"},
	{"runtime.makemap", "/usr/local/go/src/runtime/map.go"},
	{"bytes.Repeat", "/usr/local/go/src/bytes/bytes.go"},
	{"strings.(*Builder).grow", "/usr/local/go/src/strings/builder.go"},
}

// graph is the call graph shared by every profile of the same size.
type graph struct {
	mapping   *pprof.Mapping
	functions []*pprof.Function
	runtime   []*pprof.Location // leaf locations in the runtime
	user      []*pprof.Location // the program's own locations, some inlined, some unsymbolized
}

func newGraph(n int) *graph {
	rng := rand.New(rand.NewSource(int64(n)))
	g := &graph{mapping: &pprof.Mapping{ID: 1, Start: 0x400000, Limit: 0x8000000, File: "/srv/bin/svc", HasFunctions: true}}
	for i, rf := range runtimeFrames {
		g.functions = append(g.functions, &pprof.Function{ID: uint64(i + 1), Name: rf[0], SystemName: rf[0], Filename: rf[1]})
	}
	for i := 0; i < n; i++ {
		pkg := fmt.Sprintf("github.com/acme/svc/pkg%d", i%7)
		name := fmt.Sprintf("%s.(*T%d).M%d", pkg, i%5, i)
		file := fmt.Sprintf("/src/svc/pkg%d/f%d.go", i%7, i%3)
		if i%9 == 0 {
			name = fmt.Sprintf("main.handler%d", i%4) // the same name in several files
			file = fmt.Sprintf("/src/svc/cmd/main%d.go", i%2)
		}
		g.functions = append(g.functions, &pprof.Function{ID: uint64(len(g.functions) + 1), Name: name, SystemName: name, Filename: file})
	}
	addr := uint64(0x401000)
	newLoc := func(lines ...pprof.Line) *pprof.Location {
		addr += 0x10
		return &pprof.Location{ID: uint64(len(g.runtime) + len(g.user) + 1), Mapping: g.mapping, Address: addr, Line: lines}
	}
	for i := range runtimeFrames {
		g.runtime = append(g.runtime, newLoc(pprof.Line{Function: g.functions[i], Line: int64(100 + i)}))
	}
	user := g.functions[len(runtimeFrames):]
	for i := 0; i < 2*n; i++ {
		f := user[rng.Intn(len(user))]
		line := int64(10 + rng.Intn(90))
		switch r := rng.Intn(10); {
		case r == 0: // no symbols: an address only
			g.user = append(g.user, newLoc())
		case r <= 2: // an inlined call: two lines, innermost first
			g.user = append(g.user, newLoc(pprof.Line{Function: user[rng.Intn(len(user))], Line: int64(10 + rng.Intn(90))}, pprof.Line{Function: f, Line: line}))
		default:
			g.user = append(g.user, newLoc(pprof.Line{Function: f, Line: line}))
		}
	}
	return g
}

// Generate returns a random Go-style heap profile described by cfg.
func Generate(cfg Config) *pprof.Profile {
	cfg = cfg.withDefaults()
	g := newGraph(cfg.Functions)
	rng := rand.New(rand.NewSource(cfg.Seed))
	p := &pprof.Profile{
		SampleType: HeapTypes(),
		PeriodType: &pprof.ValueType{Type: "space", Unit: "bytes"},
		Period:     512 * 1024,
		Mapping:    []*pprof.Mapping{g.mapping},
		Function:   g.functions,
		Location:   append(append([]*pprof.Location(nil), g.runtime...), g.user...),
	}
	if !cfg.Time.IsZero() {
		p.TimeNanos = cfg.Time.UnixNano()
	}
	var stacks [][]*pprof.Location
	for len(p.Sample) < cfg.Samples {
		var stack []*pprof.Location
		if len(stacks) > 0 && rng.Intn(4) == 0 {
			stack = stacks[rng.Intn(len(stacks))] // the same stack, another object size
		} else {
			if rng.Intn(3) > 0 {
				stack = append(stack, g.runtime[rng.Intn(len(g.runtime))])
			}
			for d := 1 + rng.Intn(cfg.MaxDepth); d > 0; d-- {
				stack = append(stack, g.user[rng.Intn(len(g.user))])
			}
			stacks = append(stacks, stack)
		}
		size := int64(8 << rng.Intn(14))
		inuse := int64(rng.Intn(50)) // 0 is common: freed since
		alloc := inuse + int64(rng.Intn(200))
		sign := int64(1)
		if rng.Float64() < cfg.Negative {
			sign = -1
		}
		p.Sample = append(p.Sample, &pprof.Sample{
			Location: stack,
			Value:    []int64{sign * alloc, sign * alloc * size, sign * inuse, sign * inuse * size},
			NumLabel: map[string][]int64{"bytes": {size}},
		})
	}
	return p
}

// Encode writes p as pprof's gzipped protobuf, as the Go runtime does.
func Encode(p *pprof.Profile) []byte {
	var b bytes.Buffer
	if err := p.Write(&b); err != nil {
		panic(fmt.Sprintf("profiletest: write a generated profile: %v", err)) // writing to memory cannot fail
	}
	return b.Bytes()
}

// EncodeUncompressed writes p as plain protobuf: the better fuzz seed, since
// a mutation of gzip data rarely inflates.
func EncodeUncompressed(p *pprof.Profile) []byte {
	var b bytes.Buffer
	if err := p.WriteUncompressed(&b); err != nil {
		panic(fmt.Sprintf("profiletest: write a generated profile: %v", err))
	}
	return b.Bytes()
}

// FrameBomb returns a small plain-protobuf heap profile whose one sample
// names, refs times, one location of lines inlined lines: its stacks hold
// lines×refs frames, from a file of about 6×lines + refs bytes. A decoder that
// expands locations into stacks must refuse it rather than allocate.
func FrameBomb(lines, refs int) []byte {
	str := func(b []byte, s string) []byte {
		return protowire.AppendString(protowire.AppendTag(b, 6, protowire.BytesType), s)
	}
	msg := func(b []byte, num protowire.Number, body []byte) []byte {
		return protowire.AppendBytes(protowire.AppendTag(b, num, protowire.BytesType), body)
	}
	varint := func(b []byte, num protowire.Number, v uint64) []byte {
		return protowire.AppendVarint(protowire.AppendTag(b, num, protowire.VarintType), v)
	}
	var b []byte
	b = msg(b, 1, varint(varint(nil, 1, 1), 2, 2))               // sample_type inuse_space/bytes
	b = msg(b, 5, varint(varint(varint(nil, 1, 1), 2, 3), 4, 4)) // function 1: f in f.go
	var loc []byte
	loc = varint(loc, 1, 1)
	line := msg(nil, 4, varint(varint(nil, 1, 1), 2, 7))
	for i := 0; i < lines; i++ {
		loc = append(loc, line...)
	}
	b = msg(b, 4, loc)
	var ids []byte
	for i := 0; i < refs; i++ {
		ids = protowire.AppendVarint(ids, 1)
	}
	b = msg(b, 2, msg(msg(nil, 1, ids), 2, protowire.AppendVarint(nil, 1024)))
	for _, s := range []string{"", "inuse_space", "bytes", "f", "f.go"} {
		b = str(b, s)
	}
	return b
}
