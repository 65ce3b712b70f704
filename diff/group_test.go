package diff

import (
	"path/filepath"
	"testing"

	"github.com/heapdiff/heapdiff/profile"
)

// TestOutsideGoAgreesWithPackage checks the site rule's shortcut: a frame
// outsideGo passes is one whose package (Frame.Package) is neither the
// standard library nor the runtime, on names that read otherwise at a
// glance and on every frame of the Go profiles in testdata, most of which
// it must pass (or it spares nothing).
func TestOutsideGoAgreesWithPackage(t *testing.T) {
	agrees := func(f profile.Frame) bool {
		return !outsideGo(f) || !notOwnCode(f) && !isGoRuntime(f)
	}
	for _, f := range []profile.Frame{
		{Function: "github.com/a/b.F", File: "b.go"},
		{Function: "github.com/a/b.(*T).M", File: "/src/b.go"},
		{Function: "example.com/x.F[go.shape.int]", File: "x.go"},
		{Function: "sort.Slice[github.com/a.T]", File: "sort.go"},            // std, a dot only in its type parameter
		{Function: "encoding/json.(*decodeState).object", File: "decode.go"}, // std
		{Function: "internal/runtime/maps.newarray", File: "maps.go"},        // runtime
		{Function: "gopkg.in/yaml%2ev3.Unmarshal", File: "yaml.go"},          // escaped
		{Function: "std::vector<a.b/c>::push", File: "x.go"},                 // C++ namespace
		{Function: "net/http.(*conn).serve", File: "http://h/a.js?x.go"},     // a URL
		{Function: "runtime.mallocgc", File: "malloc.go"},                    // runtime, no slash
		{Function: "a.b/c.F", File: "node_modules/x/y.go"},
	} {
		if !agrees(f) {
			t.Errorf("outsideGo(%+v) = true, but its package %q is Go's own", f, f.Package())
		}
	}
	var paths []string
	for _, dir := range []string{"leaky", "leakyapp", "pprof"} { // not bad/: it holds a gzip bomb
		more, err := filepath.Glob(filepath.Join("..", "testdata", dir, "*.pb.gz"))
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, more...)
	}
	if len(paths) == 0 {
		t.Fatal("no Go profiles in testdata")
	}
	var frames, passed int
	for _, path := range paths {
		p, err := profile.Load(path, profile.Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range p.Frames {
			if !isGoFile(f.File) {
				continue
			}
			frames++
			if outsideGo(f) {
				passed++
			}
			if !agrees(f) {
				t.Errorf("%s: outsideGo(%+v) = true, but its package %q is Go's own", path, f, f.Package())
			}
		}
	}
	if frames == 0 || passed == 0 || passed == frames {
		t.Errorf("outsideGo passed %d of %d Go frames of testdata: want some, not all", passed, frames)
	}
	t.Logf("outsideGo passed %d of %d Go frames of %d profiles", passed, frames, len(paths))
}
