package profile

import (
	"errors"
	"strings"
	"testing"

	pprofile "github.com/google/pprof/profile"

	"github.com/heapdiff/heapdiff/internal/profiletest"
)

// TestParseRefusesDuplicateSampleTypes loads profiles whose sample types
// share a name. The rest of heapdiff finds a sample type by name, so such a
// profile would be compared against the wrong values (or against none); it is
// refused with a one-line error naming the file and the name.
func TestParseRefusesDuplicateSampleTypes(t *testing.T) {
	for _, tt := range []struct {
		name  string
		types []*pprofile.ValueType
	}{
		{"bytes and count", []*pprofile.ValueType{{Type: "space", Unit: "bytes"}, {Type: "space", Unit: "count"}}},
		{"identical", []*pprofile.ValueType{{Type: "space", Unit: "bytes"}, {Type: "space", Unit: "bytes"}}},
		{"apart", []*pprofile.ValueType{{Type: "space", Unit: "bytes"}, {Type: "objects", Unit: "count"}, {Type: "space", Unit: "count"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fn := &pprofile.Function{ID: 1, Name: "main.leak", Filename: "main.go"}
			loc := &pprofile.Location{ID: 1, Line: []pprofile.Line{{Function: fn, Line: 3}}}
			values := make([]int64, len(tt.types))
			for i := range values {
				values[i] = int64(i + 1)
			}
			pp := &pprofile.Profile{
				SampleType: tt.types,
				Sample:     []*pprofile.Sample{{Location: []*pprofile.Location{loc}, Value: values}},
				Location:   []*pprofile.Location{loc},
				Function:   []*pprofile.Function{fn},
			}
			for _, data := range [][]byte{profiletest.Encode(pp), profiletest.EncodeUncompressed(pp)} {
				p, err := Parse("dup.pb.gz", data, Options{})
				if err == nil {
					t.Fatalf("Parse succeeded with sample types %v, want an error", p.SampleTypes)
				}
				msg := err.Error()
				if !errors.Is(err, ErrMalformed) || strings.Contains(msg, "\n") || !strings.HasPrefix(msg, "load dup.pb.gz: ") || !strings.Contains(msg, `"space"`) {
					t.Errorf("Parse = %q, want a one-line ErrMalformed naming dup.pb.gz and the sample type \"space\"", msg)
				}
			}
		})
	}
}
