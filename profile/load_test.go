package profile

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"testing"

	pprofile "github.com/google/pprof/profile"
)

// testProfiles lists every profile shipped in testdata.
func testProfiles(t *testing.T) []string {
	t.Helper()
	var paths []string
	// Every valid profile; testdata/bad holds the refused ones on purpose.
	for _, pattern := range []string{"../testdata/leaky/*.pb.gz", "../testdata/pprof/*.heap", "../testdata/pprof/*.growth", "../testdata/node/*.pb.gz"} {
		m, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, m...)
	}
	slices.Sort(paths)
	paths = slices.Compact(paths)
	if len(paths) < 12 {
		t.Fatalf("found only %d test profiles; run from the profile package", len(paths))
	}
	return paths
}

// canonical renders a profile's stacks as sorted lines of "frames = values",
// so two models can be compared regardless of frame and stack order.
func canonical(p *Profile) []string {
	var lines []string
	for _, s := range p.Stacks {
		var b strings.Builder
		for i, f := range s.Frames {
			if i > 0 {
				b.WriteString(" | ")
			}
			fr := p.Frames[f]
			fmt.Fprintf(&b, "%s %s:%d @%x %s", fr.Function, fr.File, fr.Line, fr.Address, fr.Module)
		}
		fmt.Fprintf(&b, " = %v", s.Values)
		lines = append(lines, b.String())
	}
	slices.Sort(lines)
	return lines
}

// TestLeanDecoderMatchesPprof checks that the lean protobuf decoder yields the
// same stacks, values and metadata as github.com/google/pprof/profile.Parse on
// every profile in testdata.
func TestLeanDecoderMatchesPprof(t *testing.T) {
	for _, path := range testProfiles(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			got, err := Load(path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			pp, err := pprofile.ParseData(data)
			if err != nil {
				t.Fatal(err)
			}
			want := FromPprof(pp)
			if !slices.Equal(got.SampleTypes, want.SampleTypes) {
				t.Errorf("sample types = %v, want %v", got.SampleTypes, want.SampleTypes)
			}
			if got.Period != want.Period || got.PeriodType != want.PeriodType || !got.Time.Equal(want.Time) ||
				got.DefaultSampleType != want.DefaultSampleType || !slices.Equal(got.Comments, want.Comments) {
				t.Errorf("metadata differs:\n got  %v %v %v %q %q\n want %v %v %v %q %q",
					got.Period, got.PeriodType, got.Time, got.DefaultSampleType, got.Comments,
					want.Period, want.PeriodType, want.Time, want.DefaultSampleType, want.Comments)
			}
			g, w := canonical(got), canonical(want)
			if !slices.Equal(g, w) {
				t.Errorf("stacks differ: %d stacks vs %d from pprof", len(g), len(w))
				for i := 0; i < len(g) && i < len(w); i++ {
					if g[i] != w[i] {
						t.Errorf("first difference:\n got  %s\n want %s", g[i], w[i])
						break
					}
				}
			}
			if len(got.Stacks) == 0 {
				t.Error("no stacks loaded")
			}
		})
	}
}

func TestLoadGoHeapProfile(t *testing.T) {
	p, err := Load("../testdata/leaky/heap-12.pb.gz", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Format != FormatPprof {
		t.Errorf("format = %q", p.Format)
	}
	wantTypes := []ValueType{{"alloc_objects", "count"}, {"alloc_space", "bytes"}, {"inuse_objects", "count"}, {"inuse_space", "bytes"}}
	if !slices.Equal(p.SampleTypes, wantTypes) {
		t.Errorf("sample types = %v", p.SampleTypes)
	}
	if p.Period != 512*1024 || p.PeriodType != (ValueType{"space", "bytes"}) {
		t.Errorf("period = %d %v", p.Period, p.PeriodType)
	}
	if got := p.Time.Format("2006-01-02T15:04:05Z07:00"); got != "2026-11-26T11:50:00Z" {
		t.Errorf("time = %s", got)
	}
	if !slices.Contains(p.Comments, "trigger=schedule seq=12") {
		t.Errorf("comments = %q", p.Comments)
	}
	if i, _ := p.SampleIndex(""); p.SampleTypes[i].Type != "inuse_space" {
		t.Errorf("default sample index picks %v, want inuse_space", p.SampleTypes[i])
	}
	// Samples that differ only by their "bytes" label are one stack.
	seen := map[string]bool{}
	for _, s := range p.Stacks {
		key := string(appendStackKey(nil, s.Frames))
		if seen[key] {
			t.Fatalf("stack %v appears twice", s.Frames)
		}
		seen[key] = true
	}
	var found bool
	for _, f := range p.Frames {
		if f.Function == "main.(*SessionStore).Open" && strings.HasSuffix(f.File, "leakyapp/main.go") && f.Line > 0 {
			found = true
		}
	}
	if !found {
		t.Error("the leaking function main.(*SessionStore).Open is not among the frames")
	}
}

func TestLoadLegacyFormats(t *testing.T) {
	for _, tc := range []struct {
		file       string
		types      string
		symbolized bool
	}{
		{"gobench.heap", "alloc_objects/count, alloc_space/bytes, inuse_objects/count, inuse_space/bytes", false},
		{"cppbench.heap", "objects/count, space/bytes", false},
		{"cppbench.growth", "objects/count, space/bytes", false},
		{"java.heap", "inuse_objects/count, inuse_space/bytes", true},
	} {
		t.Run(tc.file, func(t *testing.T) {
			p, err := Load("../testdata/pprof/"+tc.file, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if p.Format != FormatLegacy {
				t.Errorf("format = %q, want %q", p.Format, FormatLegacy)
			}
			if got := valueTypesString(p.SampleTypes); got != tc.types {
				t.Errorf("types = %s, want %s", got, tc.types)
			}
			if p.Symbolized() != tc.symbolized {
				t.Errorf("Symbolized() = %v, want %v", p.Symbolized(), tc.symbolized)
			}
			if len(p.Stacks) == 0 {
				t.Error("no stacks")
			}
		})
	}
}

func gzipBytes(t *testing.T, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(data)
	zw.Close()
	return buf.Bytes()
}

// goProfile writes one of the Go runtime's own profiles, as a real producer does.
func goProfile(t *testing.T, name string) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := pprof.Lookup(name).WriteTo(&buf, 0); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestLoadRefusesBadInput(t *testing.T) {
	dir := t.TempDir()
	valid, err := os.ReadFile("../testdata/leaky/heap-02.pb.gz")
	if err != nil {
		t.Fatal(err)
	}
	noTypes := &pprofile.Profile{TimeNanos: 1}
	var noTypesBuf bytes.Buffer
	if err := noTypes.Write(&noTypesBuf); err != nil {
		t.Fatal(err)
	}
	var cpu bytes.Buffer
	if err := pprof.StartCPUProfile(&cpu); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 1e6; i++ {
		runtime.Gosched()
	}
	pprof.StopCPUProfile()

	write := func(name string, data []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	tests := []struct {
		name    string
		path    string
		opts    Options
		wantErr error
		wantMsg string
	}{
		{name: "missing", path: filepath.Join(dir, "nope.pb.gz"), wantMsg: "no such file"},
		{name: "directory", path: dir, wantMsg: "is a directory"},
		{name: "empty", path: write("empty", nil), wantErr: ErrEmpty},
		{name: "empty gzip", path: write("emptygz", gzipBytes(t, nil)), wantErr: ErrEmpty},
		{name: "random bytes", path: write("random", []byte{0xff, 0xfe, 0x00, 0x01, 0x99, 0x42, 0x07, 0x00, 0xff}), wantErr: ErrNotProfile},
		{name: "text", path: write("text", []byte("hello, this is not a profile\n")), wantErr: ErrNotProfile},
		{name: "truncated gzip", path: write("truncated", valid[:len(valid)/2]), wantErr: ErrTruncated},
		{name: "gzip of garbage", path: write("garbage.gz", gzipBytes(t, []byte("\x0a\xff\xff\xff\xff\xff"))), wantErr: ErrNotProfile},
		{name: "no sample types", path: write("notypes", noTypesBuf.Bytes()), wantErr: ErrNoSampleTypes},
		{name: "cpu profile", path: write("cpu", cpu.Bytes()), wantErr: ErrNotMemory, wantMsg: "samples/count, cpu/nanoseconds"},
		{name: "goroutine profile", path: write("goroutine", goProfile(t, "goroutine")), wantErr: ErrNotMemory, wantMsg: "goroutine/count"},
		{name: "over the limit", path: write("big", gzipBytes(t, bytes.Repeat([]byte{0}, 1<<20))), opts: Options{MaxSize: 1 << 16}, wantErr: ErrTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Load(tc.path, tc.opts)
			if err == nil {
				t.Fatalf("Load succeeded with %d stacks, want an error", len(p.Stacks))
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "load "+tc.path+": ") {
				t.Errorf("error %q does not start by naming the file", msg)
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("error %q is more than one line", msg)
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Errorf("error %q is not %v", msg, tc.wantErr)
			}
			if tc.wantMsg != "" && !strings.Contains(msg, tc.wantMsg) {
				t.Errorf("error %q does not say %q", msg, tc.wantMsg)
			}
		})
	}
}

func TestLoadStdin(t *testing.T) {
	data, err := os.ReadFile("../testdata/leaky/heap-03.pb.gz")
	if err != nil {
		t.Fatal(err)
	}
	p, err := Load("-", Options{Stdin: bytes.NewReader(data)})
	if err != nil {
		t.Fatal(err)
	}
	q, err := Load("../testdata/leaky/heap-03.pb.gz", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "-" || !slices.Equal(canonical(p), canonical(q)) {
		t.Errorf("standard input gave %d stacks named %q; the file gives %d", len(p.Stacks), p.Name, len(q.Stacks))
	}
}

func TestLoadUncompressed(t *testing.T) {
	raw := goProfile(t, "heap") // debug=0 writes gzip
	pp, err := pprofile.ParseData(raw)
	if err != nil {
		t.Fatal(err)
	}
	var plain bytes.Buffer
	if err := pp.WriteUncompressed(&plain); err != nil {
		t.Fatal(err)
	}
	a, err := Parse("plain", plain.Bytes(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Parse("gz", raw, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(canonical(a), canonical(b)) {
		t.Error("plain and gzipped encodings of one profile load differently")
	}
}

func TestLoadAllKeepsOrder(t *testing.T) {
	paths := []string{"../testdata/leaky/heap-05.pb.gz", "../testdata/leaky/heap-01.pb.gz"}
	ps, err := LoadAll(paths, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range ps {
		if p.Name != paths[i] {
			t.Errorf("profile %d is %s, want %s", i, p.Name, paths[i])
		}
	}
	if _, err := LoadAll([]string{paths[0], "../testdata/nope"}, Options{}); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("LoadAll with a missing file: %v", err)
	}
}

func TestPackageOf(t *testing.T) {
	for name, want := range map[string]string{
		"main.main":                               "main",
		"github.com/x/y.(*T).M":                   "github.com/x/y",
		"github.com/x/y.F[go.shape.int].func1":    "github.com/x/y",
		"github.com/x/y.G[github.com/a/b.T]":      "github.com/x/y",
		"internal/runtime/maps.newarray":          "internal/runtime/maps",
		"runtime.mallocgc":                        "runtime",
		"gopkg.in/yaml%2ev3.(*decoder).unmarshal": "gopkg.in/yaml.v3",
		"std::vector<int>::push_back":             "std::vector<int>",
		"nodot":                                   "nodot",
	} {
		if got := packageOf(name); got != want {
			t.Errorf("packageOf(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestSampleIndex(t *testing.T) {
	types := []ValueType{{"alloc_objects", "count"}, {"alloc_space", "bytes"}, {"space", "bytes"}}
	for _, tc := range []struct {
		name, def string
		want      int
		err       bool
	}{
		{"", "", 2, false},
		{"", "alloc_space", 1, false},
		{"alloc_objects", "", 0, false},
		{"inuse_space", "", 2, false},
		{"1", "", 1, false},
		{"7", "", 0, true},
		{"cpu", "", 0, true},
	} {
		got, err := SampleIndex(types, tc.def, tc.name)
		if (err != nil) != tc.err || (!tc.err && got != tc.want) {
			t.Errorf("SampleIndex(%q, default %q) = %d, %v; want %d (error %v)", tc.name, tc.def, got, err, tc.want, tc.err)
		}
	}
}

// TestParseAndLoadAgreeOnACorruptSnapshot gives a gzipped heap snapshot that
// is malformed early and whose gzip checksum is wrong (found by FuzzParse):
// Load streams it to the snapshot decoder, which stops at the bad node, and
// Parse, which used to inflate it whole first, stopped at the checksum.
// Both now take the same path and give the same answer.
func TestParseAndLoadAgreeOnACorruptSnapshot(t *testing.T) {
	bad := strings.Replace(tinySnapshot, `"nodes":[9,`, `"nodes":[198001,`, 1)
	gz := gzipBytes(t, []byte(bad+strings.Repeat(" ", 1<<20)))
	gz[len(gz)-8] ^= 0xff // the CRC-32
	path := filepath.Join(t.TempDir(), "corrupt.heapsnapshot.gz")
	if err := os.WriteFile(path, gz, 0o600); err != nil {
		t.Fatal(err)
	}
	_, loadErr := Load(path, Options{})
	_, parseErr := Parse(path, gz, Options{})
	if loadErr == nil || parseErr == nil || loadErr.Error() != parseErr.Error() {
		t.Fatalf("Load and Parse disagree:\n Load:  %v\n Parse: %v", loadErr, parseErr)
	}
	if !errors.Is(loadErr, ErrMalformed) {
		t.Errorf("got %v, want the snapshot's own error", loadErr)
	}
}
