package profiletest

import (
	"bytes"
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
)

// Field numbers of the top-level records of profile.proto that the hostile
// generators repeat.
const (
	FieldSample   protowire.Number = 2
	FieldLocation protowire.Number = 4
	FieldFunction protowire.Number = 5
	FieldString   protowire.Number = 6
)

func appendMsg(b []byte, num protowire.Number, body []byte) []byte {
	return protowire.AppendBytes(protowire.AppendTag(b, num, protowire.BytesType), body)
}

func appendVarint(b []byte, num protowire.Number, v uint64) []byte {
	return protowire.AppendVarint(protowire.AppendTag(b, num, protowire.VarintType), v)
}

// header is the start of a plain-protobuf heap profile: the string table
// "", "inuse_space", "bytes", "f", "f.go", the sample type
// inuse_space/bytes, and function 1, f in f.go.
func header() []byte {
	var b []byte
	for _, s := range []string{"", "inuse_space", "bytes", "f", "f.go"} {
		b = protowire.AppendString(protowire.AppendTag(b, FieldString, protowire.BytesType), s)
	}
	b = appendMsg(b, 1, appendVarint(appendVarint(nil, 1, 1), 2, 2))
	return appendMsg(b, FieldFunction, appendVarint(appendVarint(appendVarint(nil, 1, 1), 2, 3), 4, 4))
}

// EmptyRecords returns a plain-protobuf heap profile followed by n empty
// records of the top-level field num, two bytes each: the smallest input
// that makes a decoder keep a record per record. Empty locations, functions
// and samples make it invalid (id 0, no values); empty strings keep it valid.
func EmptyRecords(num protowire.Number, n int) []byte {
	b := header()
	empty := protowire.AppendVarint(protowire.AppendTag(nil, num, protowire.BytesType), 0)
	return append(b, bytes.Repeat(empty, n)...)
}

// TypesTimesSamples returns a protobuf of types empty sample types and
// samples empty samples: a decoder that sizes its values by
// samples × types before checking either allocates without bound.
func TypesTimesSamples(types, samples int) []byte {
	b := appendMsg(nil, FieldString, nil)
	b = append(b, bytes.Repeat(appendMsg(nil, 1, nil), types)...)
	return append(b, bytes.Repeat(appendMsg(nil, FieldSample, nil), samples)...)
}

// PackedComments returns a heap profile with n comments, all the empty
// string, packed one byte each.
func PackedComments(n int) []byte {
	return appendMsg(header(), 13, make([]byte, n))
}

// DistinctLines returns a valid heap profile whose one location holds n
// inlined lines of f, each at its own line number, and whose one sample
// names it: n distinct frames from about 8 bytes each, the least a distinct
// frame can cost.
func DistinctLines(n int) []byte {
	loc := appendVarint(nil, 1, 1)
	for i := 0; i < n; i++ {
		loc = appendMsg(loc, 4, appendVarint(appendVarint(nil, 1, 1), 2, uint64(i+1)))
	}
	b := appendMsg(header(), FieldLocation, loc)
	return appendMsg(b, FieldSample, appendVarint(appendVarint(nil, 1, 1), 2, 64))
}

// DistinctAddresses returns a valid heap profile of n locations without
// symbols, each at its own address, and no samples.
func DistinctAddresses(n int) []byte {
	b := header()
	for i := 0; i < n; i++ {
		b = appendMsg(b, FieldLocation, appendVarint(appendVarint(nil, 1, uint64(i+1)), 3, uint64(i+1)))
	}
	return b
}

// DistinctStacks returns a valid heap profile of n samples, each with its
// own stack of three of 127 locations: the least a distinct stack can cost,
// about 9 bytes.
func DistinctStacks(n int) []byte {
	b := header()
	for i := 1; i <= 127; i++ {
		b = appendMsg(b, FieldLocation, appendVarint(appendVarint(nil, 1, uint64(i)), 3, uint64(i)))
	}
	for i := 0; i < n; i++ {
		ids := []byte{byte(1 + i%127), byte(1 + i/127%127), byte(1 + i/(127*127)%127)}
		b = appendMsg(b, FieldSample, appendVarint(appendMsg(nil, 1, ids), 2, 64))
	}
	return b
}

// JavaHeapText returns a Java heapz text profile of n samples, one short
// line each: the text that costs github.com/google/pprof/profile's legacy
// parser the most per byte (about 75 times its size).
func JavaHeapText(n int) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "--- heapz 1 ---\nformat = java\nresolution = bytes\n")
	b.Write(bytes.Repeat([]byte("1 1 @ 0x1\n"), n))
	return b.Bytes()
}
