package profile

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
)

// TestAppendFramesDecodesEveryLength checks appendFrames, which decodes ids
// of up to four bytes without protowire, against protowire on packed fields
// that mix ids of every length at every position: where four bytes can be
// read at once and in the field's last three bytes, which it leaves to
// protowire.
func TestAppendFramesDecodesEveryLength(t *testing.T) {
	const tableSize = 1 << 15
	frameOf := make([]int32, tableSize)
	for id := range frameOf {
		frameOf[id] = int32(tableSize - id) // not the identity, so a wrong id shows
	}
	frameOf[7] = -1 // a location the profile does not have

	// Ids at the edges of one-, two- and three-byte varints (three-byte ids
	// above the table stand for four-byte ones in the error cases below).
	ids := []uint64{0, 1, 127, 128, 300, 16383, 16384, tableSize - 1}
	for n := 1; n <= len(ids); n++ {
		for start := range ids {
			var field []byte
			var want []int32
			for k := 0; k < n; k++ {
				id := ids[(start+k)%len(ids)]
				field = protowire.AppendVarint(field, id)
				want = append(want, frameOf[id])
			}
			got, err := appendFrames([]int32{-5}, field, frameOf)
			if err != nil {
				t.Fatalf("field % x: %v", field, err)
			}
			if !slices.Equal(got[1:], want) || got[0] != -5 {
				t.Fatalf("field % x: frames %v, want [-5] then %v", field, got, want)
			}
		}
	}

	// An id of any length that names no location is refused, named as it
	// was written: four- and five-byte ids are decoded whole to be named.
	for _, id := range []uint64{7, tableSize, 1<<21 - 1, 1 << 21, 1<<28 - 1, 1 << 28, 1<<35 + 3} {
		for _, pad := range []int{0, 1, 5} { // the id in the last bytes, or followed by others
			field := protowire.AppendVarint(nil, 1)
			field = protowire.AppendVarint(field, id)
			for range pad {
				field = protowire.AppendVarint(field, 2)
			}
			_, err := appendFrames(nil, field, frameOf)
			if want := fmt.Sprintf("missing location %d", id); err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("id %d followed by %d ids: error %v, want one saying %q", id, pad, err, want)
			}
		}
	}

	// A field cut inside its last varint, or holding one longer than ten
	// bytes, is refused as not protobuf, wherever it is.
	for name, field := range map[string][]byte{
		"cut short":  {0x01, 0x02, 0x81, 0x82},
		"cut after":  {0x81, 0x82, 0x83, 0x84, 0x85},
		"overlong":   append([]byte{0x01}, slices.Repeat([]byte{0xff}, 11)...),
		"only a cut": {0x80},
	} {
		if _, err := appendFrames(nil, field, frameOf); !errors.Is(err, errNotProto) {
			t.Errorf("%s (% x): error %v, want errNotProto", name, field, err)
		}
	}
}
