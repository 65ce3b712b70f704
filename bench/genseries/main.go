// Command genseries writes the trend benchmark's series: n heap profiles of
// one simulated process, ten minutes apart (see heapgen.Series and
// heapgen.SeriesSize), as DIR/heap-001.pb.gz and on.
//
//	go run ./bench/genseries -out bench/out/series -n 100
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/google/pprof/profile"

	"github.com/heapdiff/heapdiff/internal/heapgen"
)

func main() {
	out := flag.String("out", "bench/out/series", "directory to write the snapshots to")
	n := flag.Int("n", 100, "how many snapshots")
	flag.Parse()
	if err := run(*out, *n); err != nil {
		fmt.Fprintln(os.Stderr, "genseries:", err)
		os.Exit(1)
	}
}

func run(dir string, n int) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return heapgen.Series(heapgen.SeriesSize, n, 10*time.Minute, func(i int, p *profile.Profile) error {
		return heapgen.WriteFile(filepath.Join(dir, fmt.Sprintf("heap-%03d.pb.gz", i+1)), p)
	})
}
