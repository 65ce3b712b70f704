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
		if got := looksLikeV8JSON([]byte(in)); got != want {
			t.Errorf("looksLikeV8JSON(%q) = %v, want %v", in, got, want)
		}
	}
}
