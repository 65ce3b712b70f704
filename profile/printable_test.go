package profile

import (
	"strings"
	"testing"

	pprofile "github.com/google/pprof/profile"

	"github.com/heapdiff/heapdiff/internal/profiletest"
)

func TestPrintable(t *testing.T) {
	for in, want := range map[string]string{
		"main.(*Store).Add":           "main.(*Store).Add",
		"C:\\src\\app.go":             "C:\\src\\app.go",
		"héllo 世界 \ufffd":             "héllo 世界 \ufffd",
		"evil\x1b[2J\x1b]0;pwned\x07": `evil\x1b[2J\x1b]0;pwned\x07`,
		"two\nlines\r\tx":             `two\nlines\r\tx`,
		"bad\xff\xfeutf8":             `bad\xff\xfeutf8`,
		"del\x7f c1\u0085":            `del\x7f c1\u0085`,
		"admin\u202e\u2066txt.go":     `admin\u202e\u2066txt.go`,
		"line\u2028sep":               `line\u2028sep`,
	} {
		if got := printable(in); got != want {
			t.Errorf("printable(%q) = %q, want %q", in, got, want)
		}
	}
	clean := "github.com/acme/svc.(*T).M"
	if n := testing.AllocsPerRun(100, func() { _ = printable(clean) }); n != 0 {
		t.Errorf("printable allocates %v times for a clean name", n)
	}
}

// TestHostileStringsAreEscaped loads a profile whose function, file, comment
// and sample type hold terminal escapes, line breaks and invalid UTF-8.
func TestHostileStringsAreEscaped(t *testing.T) {
	fn := &pprofile.Function{ID: 1, Name: "main.f\x1b[31m\nfake row", Filename: "a\xff.go"}
	loc := &pprofile.Location{ID: 1, Line: []pprofile.Line{{Function: fn, Line: 3}}}
	pp := &pprofile.Profile{
		SampleType: []*pprofile.ValueType{{Type: "inuse\r_space", Unit: "bytes"}},
		Function:   []*pprofile.Function{fn},
		Location:   []*pprofile.Location{loc},
		Sample:     []*pprofile.Sample{{Location: []*pprofile.Location{loc}, Value: []int64{1}}},
		Comments:   []string{"host=\x1b]0;owned\x07"},
	}
	p, err := Parse("evil\x1b.pb.gz", profiletest.Encode(pp), Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := []string{p.Name, p.Frames[0].Function, p.Frames[0].File, p.Comments[0], p.SampleTypes[0].Type}
	want := []string{`evil\x1b.pb.gz`, `main.f\x1b[31m\nfake row`, `a\xff.go`, `host=\x1b]0;owned\x07`, `inuse\r_space`}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("loaded %q, want %q", got[i], want[i])
		}
	}
	_, err = Load("no\nsuch\xff.pb.gz", Options{})
	if err == nil || !strings.HasPrefix(err.Error(), `load no\nsuch\xff.pb.gz: no such file`) {
		t.Errorf("error for a missing file with a hostile name: %v", err)
	}
}
