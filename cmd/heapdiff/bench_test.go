package main

import (
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/heapdiff/heapdiff/internal/heapgen"
)

var (
	benchPairOnce sync.Once
	benchPairDir  string
	benchPairErr  error
)

// benchPair returns the large benchmark pair (internal/heapgen.Large): the one
// bench/run.sh writes into bench/out, if it is there, else one written into
// a temporary directory once per run. HEAPDIFF_BENCH_DIR names another
// directory holding base.pb.gz and target.pb.gz (bench/out/million, the
// 1M-stack pair).
func benchPair(b *testing.B) (base, target string) {
	b.Helper()
	benchPairOnce.Do(func() {
		dir := filepath.Join("..", "..", "bench", "out")
		if d := os.Getenv("HEAPDIFF_BENCH_DIR"); d != "" {
			benchPairDir = d
			return
		}
		if _, err := os.Stat(filepath.Join(dir, "target.pb.gz")); err == nil {
			benchPairDir = dir
			return
		}
		if benchPairDir, benchPairErr = os.MkdirTemp("", "heapdiff-bench"); benchPairErr != nil {
			return
		}
		bp, tp := heapgen.Pair(heapgen.Large)
		if benchPairErr = heapgen.WriteFile(filepath.Join(benchPairDir, "base.pb.gz"), bp); benchPairErr != nil {
			return
		}
		benchPairErr = heapgen.WriteFile(filepath.Join(benchPairDir, "target.pb.gz"), tp)
	})
	if benchPairErr != nil {
		b.Fatal(benchPairErr)
	}
	return filepath.Join(benchPairDir, "base.pb.gz"), filepath.Join(benchPairDir, "target.pb.gz")
}

// BenchmarkCLICompare runs "heapdiff compare" on the large pair in-process,
// as the user runs it: the text report, and the HTML report written to a
// file. It is here to be profiled (-cpuprofile, -memprofile): bench/run.sh
// measures the real binary against pprof.
func BenchmarkCLICompare(b *testing.B) {
	base, target := benchPair(b)
	html := filepath.Join(b.TempDir(), "report.html")
	for _, c := range []struct {
		name string
		args []string
	}{
		{"text", []string{"compare", base, target}},
		{"html", []string{"compare", "-o", html, base, target}},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				s := &streams{In: nil, Out: io.Discard, ErrOut: io.Discard}
				if code := run(c.args, s); code != exitOK {
					b.Fatalf("heapdiff %v: exit status %d", c.args, code)
				}
			}
		})
	}
}

// BenchmarkCLITrend runs "heapdiff trend" in-process on the snapshots in
// HEAPDIFF_BENCH_SERIES (bench/out/series-large-50, which bench/run.sh
// trend writes: snapshots of the large pair's size), to be profiled.
func BenchmarkCLITrend(b *testing.B) {
	dir := os.Getenv("HEAPDIFF_BENCH_SERIES")
	if dir == "" {
		b.Skip("HEAPDIFF_BENCH_SERIES names no directory of snapshots (bash bench/run.sh trend writes bench/out/series-large-50)")
	}
	b.ReportAllocs()
	for b.Loop() {
		s := &streams{Out: io.Discard, ErrOut: io.Discard}
		if code := run([]string{"trend", dir}, s); code != exitOK {
			b.Fatalf("heapdiff trend %s: exit status %d", dir, code)
		}
	}
}
