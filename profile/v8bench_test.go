package profile

import (
	"testing"
)

// BenchmarkV8Snapshot loads a real Node.js heap snapshot taken with
// --track-heap-objects (about 9 MB of JSON): from its gzipped file, as the
// CLI does, grouped by class and by allocation stack, and by class with its
// collections, and with its retainers too.
func BenchmarkV8Snapshot(b *testing.B) {
	for _, bm := range []struct {
		name string
		opts Options
	}{{"class", Options{}}, {"stack", Options{AllocationStacks: true}}, {"collections", Options{Collections: true}}, {"retainers", Options{Retainers: true}}} {
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Load(nodeData+"tracked-after.heapsnapshot.gz", bm.opts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkV8SnapshotInMemory decodes the same snapshot held in memory
// (Parse), without gzip, so the decoder's own cost shows.
func BenchmarkV8SnapshotInMemory(b *testing.B) {
	data := gunzipFile(b, nodeData+"tracked-after.heapsnapshot.gz")
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse("tracked-after.heapsnapshot", data, Options{AllocationStacks: true}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkV8HeapProfile decodes a node --heap-prof sampling heap profile.
func BenchmarkV8HeapProfile(b *testing.B) {
	data := gunzipFile(b, nodeData+"after.heapprofile.gz")
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse("after.heapprofile", data, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
