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
