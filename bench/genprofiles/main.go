// Command genprofiles writes the benchmark pair of large Go heap profiles
// (see package heapgen) as DIR/base.pb.gz and DIR/target.pb.gz.
//
//	go run ./bench/genprofiles -out bench/out
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/google/pprof/profile"

	"github.com/heapdiff/heapdiff/internal/heapgen"
)

func main() {
	out := flag.String("out", "bench/out", "directory to write base.pb.gz and target.pb.gz")
	small := flag.Bool("small", false, "write the small pair instead of the large one")
	million := flag.Bool("million", false, "write the 1M-stack pair (heapgen.Million) instead of the large one")
	huge := flag.Bool("huge", false, "write the huge pair (heapgen.Huge, 2,000,000 stacks) instead of the large one")
	flag.Parse()
	cfg := heapgen.Large
	chosen := 0
	for _, size := range []struct {
		set bool
		cfg heapgen.Config
	}{{*small, heapgen.Small}, {*million, heapgen.Million}, {*huge, heapgen.Huge}} {
		if size.set {
			cfg = size.cfg
			chosen++
		}
	}
	if chosen > 1 {
		fmt.Fprintln(os.Stderr, "genprofiles: -small, -million and -huge exclude each other")
		os.Exit(2)
	}
	if err := run(*out, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "genprofiles:", err)
		os.Exit(1)
	}
}

func run(dir string, cfg heapgen.Config) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	base, target := heapgen.Pair(cfg)
	for name, p := range map[string]*profile.Profile{"base.pb.gz": base, "target.pb.gz": target} {
		if err := heapgen.WriteFile(filepath.Join(dir, name), p); err != nil {
			return err
		}
	}
	return nil
}
