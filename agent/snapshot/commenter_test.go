package snapshot

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"testing"

	"github.com/heapdiff/heapdiff/agent/internal/pproftest"
)

// addComments annotates one profile with a fresh commenter, as a one-off
// caller would.
func addComments(dst io.Writer, src io.Reader, comments []string) error {
	var c commenter
	return c.addComments(dst, src, comments)
}

// A commenter reused across profiles of different sizes gives each the same
// bytes a fresh one gives it: no state from one profile leaks into the next.
func TestCommenterReusedMatchesFresh(t *testing.T) {
	var c commenter
	var keep [][]byte // grow the heap between profiles, so they differ
	for i := range 5 {
		keep = append(keep, make([]byte, (i+1)<<20))
		var raw bytes.Buffer
		if err := pprof.Lookup("heap").WriteTo(&raw, 0); err != nil {
			t.Fatal(err)
		}
		comments := []string{fmt.Sprintf("heapdiff.seq=%d", i), "heapdiff.trigger=manual"}[:1+i%2]
		var once, reused bytes.Buffer
		if err := addComments(&once, bytes.NewReader(raw.Bytes()), comments); err != nil {
			t.Fatal(err)
		}
		if err := c.addComments(&reused, bytes.NewReader(raw.Bytes()), comments); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(once.Bytes(), reused.Bytes()) {
			t.Fatalf("profile %d: a reused commenter wrote %d bytes that differ from a fresh one's %d", i, reused.Len(), once.Len())
		}
		path := filepath.Join(t.TempDir(), "heap.pb.gz")
		if err := os.WriteFile(path, reused.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		if p := pproftest.Parse(t, path); !slices.Equal(p.Comments, comments) {
			t.Fatalf("profile %d: comments %q, want %q", i, p.Comments, comments)
		}
	}
	runtime.KeepAlive(keep)
	// A bad profile after good ones is still an error, and the next good one
	// still works.
	if err := c.addComments(io.Discard, bytes.NewReader([]byte("not gzip")), nil); err == nil {
		t.Error("plain text accepted by a reused commenter")
	}
	var raw, out bytes.Buffer
	pprof.Lookup("heap").WriteTo(&raw, 0)
	if err := c.addComments(&out, &raw, []string{"x"}); err != nil {
		t.Fatalf("after a bad profile: %v", err)
	}
}

// Annotating a profile again with the same commenter allocates almost nothing;
// a fresh one allocates a gzip reader and writer each time (about 850 KiB).
func TestCommenterReuseAllocatesLittle(t *testing.T) {
	var raw bytes.Buffer
	if err := pprof.Lookup("heap").WriteTo(&raw, 0); err != nil {
		t.Fatal(err)
	}
	comments := []string{"heapdiff.trigger=schedule", "heapdiff.rss_bytes=123456789"}
	var c commenter
	var out bytes.Buffer
	run := func(add func(io.Writer, io.Reader, []string) error) uint64 {
		const n = 20
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for range n {
			out.Reset()
			if err := add(&out, bytes.NewReader(raw.Bytes()), comments); err != nil {
				t.Fatal(err)
			}
		}
		runtime.ReadMemStats(&after)
		return (after.TotalAlloc - before.TotalAlloc) / n
	}
	run(c.addComments) // first use allocates the reader, writer and buffers
	reused := run(c.addComments)
	fresh := run(addComments)
	t.Logf("per profile: %d bytes with a reused commenter, %d with a fresh one", reused, fresh)
	if reused > 16<<10 {
		t.Errorf("a reused commenter allocates %d bytes per profile, want under 16 KiB", reused)
	}
	if fresh < 256<<10 {
		t.Errorf("a fresh commenter allocates only %d bytes per profile: the comparison measures nothing", fresh)
	}
}
