//go:build linux

package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"syscall"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/heapdiff/heapdiff/internal/heapgen"
	"github.com/heapdiff/heapdiff/profile"
)

// The memory budget of compare on valid profiles (README.md, "Limits and
// safety"): whatever the grouping and the format, its peak is at most
// budgetPerByte times the two files' decompressed size, plus budgetPerStack
// bytes for each stack they hold, plus budgetConstant. Rows are named and
// written one at a time, so output of any size adds nothing.
const (
	budgetPerByte  = 4
	budgetPerStack = 512
	budgetConstant = 64 << 20
)

// TestCompareStaysWithinItsMemoryBudget runs the real CLI on a generated pair
// of 50,000 deep stacks each, in the groupings and formats whose output grows
// with the stacks, and checks each process's peak memory against the budget.
// Before rows were named as they were written, text took 3 times the
// budget here, JSON (built whole, then encoded) 14 times, and the HTML
// report of stacks, which compared every stack twice, twice the budget.
func TestCompareStaysWithinItsMemoryBudget(t *testing.T) {
	if raceDetector {
		t.Skip("peak memory means nothing under -race; .ci/run runs this without it")
	}
	if testing.Short() {
		t.Skip("generates a pair of 50,000 stacks and writes hundreds of MiB of reports")
	}
	bin := heapdiffBinary(t)
	dir := t.TempDir()
	// The pair is made by another process: a child's peak memory counts
	// its parent's at the time it started, which must stay small.
	gen := exec.Command(os.Args[0], "-test.run=^TestGenerateMemoryPair$")
	gen.Env = append(os.Environ(), generateEnv+"="+dir)
	if out, err := gen.CombinedOutput(); err != nil {
		t.Fatalf("generate the pair: %v\n%s", err, out)
	}
	counts, err := os.ReadFile(filepath.Join(dir, "pair.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var size, stacks int64
	if _, err := fmt.Sscan(string(counts), &size, &stacks); err != nil {
		t.Fatal(err)
	}
	files := []string{filepath.Join(dir, "base.pb.gz"), filepath.Join(dir, "target.pb.gz")}
	debug.FreeOSMemory()
	budget := budgetPerByte*size + budgetPerStack*stacks + budgetConstant
	t.Logf("%.1f MiB decompressed, %d stacks: budget %d MiB", float64(size)/(1<<20), stacks, budget>>20)

	for _, args := range [][]string{
		{"--by", "stack"},
		{"--by", "stack", "-f", "json"},
		{"--by", "stack", "--cum", "-f", "csv"},
		{"-o", filepath.Join(dir, "site.html")},
		{"--by", "stack", "-o", filepath.Join(dir, "stack.html")},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		cmd := exec.CommandContext(ctx, bin, append(append([]string{"compare"}, files...), args...)...)
		// Stdout stays nil: the output goes to /dev/null.
		start := time.Now()
		err := cmd.Run()
		cancel()
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss * 1024
		t.Logf("%v: %s, peak %d MiB", args, time.Since(start).Round(time.Millisecond), rss>>20)
		if rss > budget {
			t.Errorf("%v: peak memory %d MiB, over the budget of %d MiB", args, rss>>20, budget>>20)
		}
	}
}

// generateEnv names the directory TestGenerateMemoryPair writes to.
const generateEnv = "HEAPDIFF_TEST_MEMORY_PAIR"

// TestGenerateMemoryPair is TestCompareStaysWithinItsMemoryBudget's helper,
// run in its own process: it writes the pair, and pair.txt with their
// decompressed size and how many stacks heapdiff reads in them.
func TestGenerateMemoryPair(t *testing.T) {
	dir := os.Getenv(generateEnv)
	if dir == "" {
		t.Skip("a helper process of TestCompareStaysWithinItsMemoryBudget")
	}
	base, target := heapgen.Pair(heapgen.Config{Stacks: 50_000, Functions: 5_000, MinDepth: 10, MaxDepth: 40, Seed: 1})
	files := []string{filepath.Join(dir, "base.pb.gz"), filepath.Join(dir, "target.pb.gz")}
	if err := heapgen.WriteFile(files[0], base); err != nil {
		t.Fatal(err)
	}
	if err := heapgen.WriteFile(files[1], target); err != nil {
		t.Fatal(err)
	}
	var size, stacks int64
	for _, f := range files {
		size += inflatedSize(t, f)
	}
	loaded, err := profile.LoadAll(files, profile.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range loaded {
		stacks += int64(len(p.Stacks))
	}
	if err := os.WriteFile(filepath.Join(dir, "pair.txt"), fmt.Appendf(nil, "%d %d\n", size, stacks), 0o644); err != nil {
		t.Fatal(err)
	}
}

// inflatedSize returns the decompressed size of a gzipped file.
func inflatedSize(t *testing.T, path string) int64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, zr)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
