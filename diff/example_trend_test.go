package diff_test

import (
	"fmt"
	"path/filepath"

	"github.com/heapdiff/heapdiff/diff"
	"github.com/heapdiff/heapdiff/profile"
)

// A trend is built one profile at a time: load, Add, drop. Only the sites'
// values are kept, so a long series fits in memory.
func ExampleTrendBuilder() {
	names, _ := filepath.Glob("../testdata/leaky/heap-*.pb.gz")
	b := diff.NewTrend(diff.TrendOptions{Options: diff.Options{By: diff.ByFunc}})
	for _, name := range names {
		p, err := profile.Load(name, profile.Options{})
		if err != nil {
			fmt.Println(err)
			return
		}
		if err := b.Add(p); err != nil {
			fmt.Println(err)
			return
		}
	}
	t, err := b.Trend()
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range t.Series[:4] {
		fmt.Printf("%-14s %s\n", s.Shape, s.Name)
	}
	// Output:
	// steady growth  main.(*SessionStore).Open
	// steady growth  main.(*JobQueue).Finish
	// plateau        main.(*Cache).Put
	// sawtooth/noisy main.(*Batcher).Grow
}
