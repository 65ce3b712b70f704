package profile

import "testing"

// TestFormatNames pins the names reports show for each format: they are
// written into JSON output ("format") and golden files, so a renamed
// constant must not change them.
func TestFormatNames(t *testing.T) {
	for f, want := range map[Format]string{
		formatUnknown:       "",
		FormatPprof:         "pprof",
		FormatLegacy:        "legacy text",
		FormatV8Snapshot:    "v8 heap snapshot",
		FormatV8HeapProfile: "v8 sampling heap profile",
		formatJSCSnapshot:   "jsc heap snapshot",
	} {
		if got := f.String(); got != want {
			t.Errorf("Format(%d).String() = %q, want %q", f, got, want)
		}
	}
}

// TestLooksLikeV8JSONKinds checks the sniffer hands back the typed format
// the loaders switch on.
func TestLooksLikeV8JSONKinds(t *testing.T) {
	for in, want := range map[string]Format{
		` {"snapshot":{}}`:                       FormatV8Snapshot,
		`{"head":{}}`:                            FormatV8HeapProfile,
		`{"version":2,"type":"Inspector","x":1}`: formatJSCSnapshot,
		`{"other":1}`:                            formatUnknown,
		`not json`:                               formatUnknown,
	} {
		if got := v8Format([]byte(in)); got != want {
			t.Errorf("v8Format(%q) = %v, want %v", in, got, want)
		}
	}
}

// TestValueTypeHelpers checks each helper against the sample types heapdiff
// meets: Go's four, a heap snapshot's three and V8 sampling profiles' two.
func TestValueTypeHelpers(t *testing.T) {
	type want struct{ bytes, count, cumulative, live bool }
	for v, w := range map[ValueType]want{
		{"alloc_objects", "count"}: {count: true, cumulative: true},
		{"alloc_space", "bytes"}:   {bytes: true, cumulative: true},
		{"inuse_objects", "count"}: {count: true, live: true},
		{"inuse_space", "bytes"}:   {bytes: true, live: true},
		SnapshotObjects:            {count: true},
		SnapshotShallowSize:        {bytes: true},
		SnapshotRetainedSize:       {bytes: true},
		{"space", "bytes"}:         {bytes: true},
		{"objects", "objects"}:     {count: true},
		{"cpu", "nanoseconds"}:     {},
	} {
		got := want{v.IsBytes(), v.IsCount(), v.Cumulative(), v.Live()}
		if got != w {
			t.Errorf("%s: bytes, count, cumulative, live = %+v, want %+v", v, got, w)
		}
	}
	if a, ok := (ValueType{"inuse_space", "bytes"}).Allocated(); !ok || a != (ValueType{"alloc_space", "bytes"}) {
		t.Errorf("inuse_space/bytes allocated = %v, %v; want alloc_space/bytes", a, ok)
	}
	if a, ok := (ValueType{"alloc_space", "bytes"}).Allocated(); ok {
		t.Errorf("alloc_space/bytes has an allocated partner %v; want none", a)
	}
}

// TestFormatKinds checks which formats hold the same kind of data and which
// count objects as raw samples.
func TestFormatKinds(t *testing.T) {
	if FormatPprof.Holds() != FormatLegacy.Holds() {
		t.Errorf("pprof holds %q, legacy text %q: both are Go heap profiles", FormatPprof.Holds(), FormatLegacy.Holds())
	}
	if FormatPprof.Holds() == FormatV8Snapshot.Holds() || FormatV8Snapshot.Holds() == FormatV8HeapProfile.Holds() || FormatPprof.Holds() == FormatV8HeapProfile.Holds() {
		t.Errorf("formats of different kinds share a description")
	}
	for _, f := range []Format{FormatPprof, FormatLegacy, FormatV8Snapshot, FormatV8HeapProfile} {
		if got := f.CountsRawSamples(); got != (f == FormatV8HeapProfile) {
			t.Errorf("%s: CountsRawSamples = %v", f, got)
		}
		if got := f.IsHeapSnapshot(); got != (f == FormatV8Snapshot) {
			t.Errorf("%s: IsHeapSnapshot = %v", f, got)
		}
	}
}

// TestLanguage checks the language a profile's frames tell, on the real
// profiles of testdata (Go's runtime, @datadog/pprof for Node.js, V8's own
// formats) and on made ones: a few frames of the other language do not
// change it, an even mix or frames without files tell nothing.
func TestLanguage(t *testing.T) {
	for path, want := range map[string]string{
		"../testdata/leaky/heap-01.pb.gz":              "Go",
		"../testdata/node/datadog-after.pb.gz":         "JavaScript",
		"../testdata/node/after.heapprofile.gz":        "JavaScript",
		"../testdata/node/leaky-after.heapsnapshot.gz": "JavaScript",
	} {
		p, err := Load(path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if got := p.Language(); got != want {
			t.Errorf("%s: language %q, want %q", path, got, want)
		}
	}
	files := func(names ...string) *Profile {
		p := &Profile{Format: FormatPprof}
		for _, n := range names {
			p.Frames = append(p.Frames, Frame{Function: "f", File: n})
		}
		return p
	}
	many := func(n int, name string) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = name
		}
		return out
	}
	for _, tc := range []struct {
		p    *Profile
		want string
	}{
		{files(append(many(19, "/src/main.go"), "/app/script.js")...), "Go"},
		{files(append(many(19, "/app/server.ts"), "node:internal/timers", "/src/addon.go")...), "JavaScript"},
		{files("/src/main.go", "/app/a.mjs"), ""},
		{files("", ""), ""},
		{files("/app/lib.cjs", "/app/view.tsx"), "JavaScript"},
	} {
		if got := tc.p.Language(); got != tc.want {
			t.Errorf("frames %v: language %q, want %q", tc.p.Frames, got, tc.want)
		}
	}
}
