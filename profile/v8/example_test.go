package v8_test

import (
	"compress/gzip"
	"fmt"
	"log"
	"os"
	"slices"

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
	g, err := v8.ReadSnapshot(zr, 0, v8.ReadOptions{})
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

// Find who holds the objects of a class, as DevTools' Retainers view
// shows it: the snapshot keeps its names (ReadOptions.Names), and the
// analysis finds every object's first retainer before it drops the graph.
func ExampleRetainers() {
	f, err := os.Open("../../testdata/node/retainers/retainers-1.heapsnapshot.gz")
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		log.Fatal(err)
	}
	g, err := v8.ReadSnapshot(zr, 0, v8.ReadOptions{Names: true})
	if err != nil {
		log.Fatal(err)
	}
	a, err := g.Analyze(v8.AnalyzeOptions{By: v8.ByClass, Drop: true, Retainers: true})
	if err != nil {
		log.Fatal(err)
	}
	r := a.Retainers()
	class := slices.Index(r.Classes(), "AuthToken")
	for _, p := range r.Paths(class, nil, 1).Paths {
		fmt.Printf("%d objects held by", p.Objects)
		for _, s := range p.Steps[p.UserStart:] {
			if s.EdgeName != "" {
				fmt.Printf(" -%s-> %s", s.EdgeName, s.Class)
			}
		}
		fmt.Println()
	}
	// Output: 360 objects held by -tokens-> Set -table-> (array) -261-> AuthToken
}
