package profile

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse mixes every format, and its mutations of protobuf seeds rarely
// become text or JSON: the two targets below start from the legacy text
// profiles and from the Node sampling heap profiles (.heapprofile), so
// those paths get mutations of their own, checked as FuzzParse checks.

// fuzzSentinels are the errors every failure to load must wrap.
var fuzzSentinels = []error{ErrEmpty, ErrNotProfile, ErrTruncated, ErrCorrupt, ErrTooLarge, ErrNoSampleTypes, ErrNotMemory, ErrMalformed, ErrJSCSnapshot}

// checkLoaded checks what Parse made of fuzzed input: an error names the
// input on one line and wraps one of the package's sentinel errors; a
// profile keeps the model's invariants.
func checkLoaded(t *testing.T, name string, p *Profile, err error) {
	t.Helper()
	if err != nil {
		msg := err.Error()
		if !strings.HasPrefix(msg, "load "+name+": ") || strings.Contains(msg, "\n") {
			t.Fatalf("error %q does not name the input on one line", msg)
		}
		for _, s := range fuzzSentinels {
			if errors.Is(err, s) {
				return
			}
		}
		t.Fatalf("error %q wraps none of the package's sentinel errors", msg)
	}
	if p.Name != name {
		t.Fatalf("name = %q", p.Name)
	}
	checkModel(t, p)
}

// addFiles adds the files matching pattern to the corpus, inflated when
// gzipped (a mutation of gzip data rarely inflates to anything).
func addFiles(f *testing.F, pattern string) {
	f.Helper()
	paths, err := filepath.Glob(pattern)
	if err != nil || len(paths) == 0 {
		f.Fatalf("no seeds match %s: %v", pattern, err)
	}
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		if isGzip(data) {
			zr, err := gzip.NewReader(bytes.NewReader(data))
			if err != nil {
				f.Fatal(err)
			}
			if data, err = io.ReadAll(zr); err != nil {
				f.Fatal(err)
			}
		}
		f.Add(data)
	}
}

// FuzzLegacyText loads mutations of the legacy text heap profiles (Go
// debug=1, tcmalloc heapz and growthz, Java heapz), which
// github.com/google/pprof/profile parses for us.
func FuzzLegacyText(f *testing.F) {
	for _, pattern := range []string{"../testdata/pprof/*.heap", "../testdata/pprof/*.growth"} {
		addFiles(f, pattern)
	}
	f.Add([]byte("heap profile: 1: 2 [3: 4] @ heap/1048576\n1: 2 [3: 4] @ 0x1 0x2\n"))
	f.Add([]byte("heap profile: 1: 64 [1: 64] @ heap/512\n1: 64 [1: 64] @ 0x10 0x20\n#\t0x10\tmain.leak+0x1\t/src/main.go:7\n\n" +
		"MAPPED_LIBRARIES:\n00400000-00500000 r-xp 00000000 00:00 0 /bin/app\n"))
	f.Add([]byte("--- heapz 1 ---\nformat = java\nresolution = bytes\nsampling period = 524288\n 64 1 @ 0x1 0x2\n---\n 0x1 java.lang.Object.<init>\n 0x2 Main.main\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		const name = "fuzz.heap"
		p, err := Parse(name, data, Options{MaxSize: fuzzMaxSize})
		checkLoaded(t, name, p, err)
	})
}

// FuzzHeapProfileFiles loads mutations of real Node sampling heap profiles
// (node --heap-prof), and of a small one: FuzzV8HeapProfile's only seed is
// small and it checks no more than that a profile has sample types.
func FuzzHeapProfileFiles(f *testing.F) {
	addFiles(f, "../testdata/node/*.heapprofile.gz")
	f.Add([]byte(`{"head":{"callFrame":{"functionName":"(root)","scriptId":"0","url":"","lineNumber":-1,"columnNumber":-1},"selfSize":0,"id":1,` +
		`"children":[{"callFrame":{"functionName":"leak","scriptId":"1","url":"file:///app/node_modules/pkg/a.js","lineNumber":4,"columnNumber":2},"selfSize":16400,"id":2,` +
		`"children":[{"callFrame":{"functionName":"","scriptId":"1","url":"node:internal/x","lineNumber":0,"columnNumber":0},"selfSize":64,"id":3,"children":[]}]}]},` +
		`"samples":[{"size":8200,"nodeId":2,"ordinal":1},{"size":8200,"nodeId":2,"ordinal":2},{"size":64,"nodeId":3,"ordinal":3}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		const name = "fuzz.heapprofile"
		p, err := Parse(name, data, Options{MaxSize: fuzzMaxSize})
		checkLoaded(t, name, p, err)
	})
}
