// Command genseries writes the trend benchmark's series: n heap profiles of
// one simulated process, ten minutes apart (see heapgen.Series), each of
// heapgen.SeriesSize (20,000 stacks) or, with -large, of the large pair's
// size (heapgen.Large, 200,000 stacks), as DIR/heap-001.pb.gz and on.
//
//	go run ./bench/genseries -out bench/out/series -n 100
//	go run ./bench/genseries -large -out bench/out/series-large -n 200
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
	large := flag.Bool("large", false, "snapshots of the large pair's size (heapgen.Large) instead of heapgen.SeriesSize")
	flag.Parse()
	cfg := heapgen.SeriesSize
	if *large {
		cfg = heapgen.Large
	}
	if err := run(*out, cfg, *n); err != nil {
		fmt.Fprintln(os.Stderr, "genseries:", err)
		os.Exit(1)
	}
}

func run(dir string, cfg heapgen.Config, n int) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return heapgen.Series(cfg, n, 10*time.Minute, func(i int, p *profile.Profile) error {
		return heapgen.WriteFile(filepath.Join(dir, fmt.Sprintf("heap-%03d.pb.gz", i+1)), p)
	})
}
