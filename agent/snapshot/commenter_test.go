package snapshot

import (
	"bytes"
	"fmt"
	"io"
	"runtime"
	"runtime/pprof"
	"slices"
	"testing"

	"github.com/google/pprof/profile"
)

// A Commenter reused across profiles of different sizes gives each the same
// bytes AddComments gives it: no state from one profile leaks into the next.
func TestCommenterReusedMatchesAddComments(t *testing.T) {
	var c Commenter
	var keep [][]byte // grow the heap between profiles, so they differ
	for i := range 5 {
		keep = append(keep, make([]byte, (i+1)<<20))
		var raw bytes.Buffer
		if err := pprof.Lookup("heap").WriteTo(&raw, 0); err != nil {
			t.Fatal(err)
		}
		comments := []string{fmt.Sprintf("heapdiff.seq=%d", i), "heapdiff.trigger=manual"}[:1+i%2]
		var once, reused bytes.Buffer
		if err := AddComments(&once, bytes.NewReader(raw.Bytes()), comments); err != nil {
			t.Fatal(err)
		}
		if err := c.AddComments(&reused, bytes.NewReader(raw.Bytes()), comments); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(once.Bytes(), reused.Bytes()) {
			t.Fatalf("profile %d: a reused Commenter wrote %d bytes that differ from AddComments' %d", i, reused.Len(), once.Len())
		}
		p, err := profile.Parse(&reused)
		if err != nil {
			t.Fatalf("profile %d: %v", i, err)
		}
		if !slices.Equal(p.Comments, comments) {
			t.Fatalf("profile %d: comments %q, want %q", i, p.Comments, comments)
		}
	}
	runtime.KeepAlive(keep)
	// A bad profile after good ones is still an error, and the next good one
	// still works.
	if err := c.AddComments(io.Discard, bytes.NewReader([]byte("not gzip")), nil); err == nil {
		t.Error("plain text accepted by a reused Commenter")
	}
	var raw, out bytes.Buffer
	pprof.Lookup("heap").WriteTo(&raw, 0)
	if err := c.AddComments(&out, &raw, []string{"x"}); err != nil {
		t.Fatalf("after a bad profile: %v", err)
	}
}

// Annotating a profile again with the same Commenter allocates almost nothing;
// AddComments allocates a gzip reader and writer each time (about 850 KiB).
func TestCommenterReuseAllocatesLittle(t *testing.T) {
	var raw bytes.Buffer
	if err := pprof.Lookup("heap").WriteTo(&raw, 0); err != nil {
		t.Fatal(err)
	}
	comments := []string{"heapdiff.trigger=schedule", "heapdiff.rss_bytes=123456789"}
	var c Commenter
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
	run(c.AddComments) // first use allocates the reader, writer and buffers
	reused := run(c.AddComments)
	fresh := run(AddComments)
	t.Logf("per profile: %d bytes with a reused Commenter, %d with AddComments", reused, fresh)
	if reused > 16<<10 {
		t.Errorf("a reused Commenter allocates %d bytes per profile, want under 16 KiB", reused)
	}
	if fresh < 256<<10 {
		t.Errorf("AddComments allocates only %d bytes per profile: the comparison measures nothing", fresh)
	}
}
