package v8_test

import (
	"compress/gzip"
	"fmt"
	"log"
	"os"

	"github.com/heapdiff/heapdiff/profile/v8"
)

// Read a Node.js heap snapshot, analyse it, and print one class as
// DevTools' Summary shows it.
func Example() {
	f, err := os.Open("../../testdata/node/leaky-after.heapsnapshot.gz")
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		log.Fatal(err)
	}
	g, err := v8.ReadSnapshot(zr, 0)
	if err != nil {
		log.Fatal(err)
	}
	a, err := g.Analyze(v8.AnalyzeOptions{By: v8.ByClass, Drop: true})
	if err != nil {
		log.Fatal(err)
	}
	for _, c := range a.Classes() {
		if c.Label == "LeakySession" {
			fmt.Printf("%s: %d objects, %d bytes, retaining %d\n", c.Label, c.Objects, c.ShallowSize, c.RetainedSize)
		}
	}
	// Output: LeakySession: 1100 objects, 44000 bytes, retaining 237600
}
