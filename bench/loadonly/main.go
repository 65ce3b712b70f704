// Command loadonly does one part of what heapdiff does with profiles, and
// nothing else, so that bench/run.sh can time it beside the whole command
// and show where the time goes:
//
//	loadonly -mode gunzip FILE...  inflate the files as heapdiff does (klauspost/compress, all at once), and drop the bytes
//	loadonly -mode load FILE...    load them into heapdiff's model (profile.LoadAll: inflate and decode, all at once)
//	loadonly -mode series FILE...  load them as heapdiff trend does (profile.Load, up to four at once, one a core),
//	                               dropping each: trend without its reducing and verdicts
//	loadonly -mode pprof FILE...   parse them one by one with github.com/google/pprof/profile.Parse, as a program
//	                               that followed a series with pprof's own package would, dropping each
//
// Given inflated files, -mode load is the decoder alone. It prints what it
// read: bytes, or stacks (samples for pprof). Like heapdiff, it collects
// garbage at GOGC=50 unless GOGC says otherwise.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"sync"

	pprofile "github.com/google/pprof/profile"
	"github.com/klauspost/compress/gzip"

	"github.com/heapdiff/heapdiff/profile"
)

func main() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(50) // as heapdiff does (cmd/heapdiff/main.go)
	}
	mode := flag.String("mode", "load", "gunzip, load, series or pprof")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: loadonly -mode gunzip|load|series|pprof FILE...")
		os.Exit(2)
	}
	var err error
	switch *mode {
	case "gunzip":
		err = gunzip(flag.Args())
	case "load":
		err = load(flag.Args())
	case "series":
		err = loadSeries(flag.Args())
	case "pprof":
		err = parsePprof(flag.Args())
	default:
		err = fmt.Errorf("unknown mode %q: want gunzip, load, series or pprof", *mode)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadonly:", err)
		os.Exit(1)
	}
}

// gunzip inflates every file at once, one goroutine each, as
// profile.LoadAll does before it decodes.
func gunzip(paths []string) error {
	sizes := make([]int64, len(paths))
	errs := make([]error, len(paths))
	var wg sync.WaitGroup
	for i, path := range paths {
		wg.Go(func() { sizes[i], errs[i] = inflate(path) })
	}
	wg.Wait()
	var total int64
	for i, err := range errs {
		if err != nil {
			return err
		}
		total += sizes[i]
	}
	fmt.Printf("%d bytes inflated\n", total)
	return nil
}

func inflate(path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	n, err := io.Copy(io.Discard, zr)
	if err != nil {
		return n, fmt.Errorf("%s: %w", path, err)
	}
	return n, nil
}

func load(paths []string) error {
	ps, err := profile.LoadAll(paths, profile.Options{})
	if err != nil {
		return err
	}
	stacks := 0
	for _, p := range ps {
		stacks += len(p.Stacks)
	}
	fmt.Printf("%d stacks loaded\n", stacks)
	return nil
}

// loadSeries loads the files as heapdiff trend does (cmd/heapdiff's
// loadSeries): a window of min(GOMAXPROCS, 4) loads at once, each profile
// dropped once it is in.
func loadSeries(paths []string) error {
	window := make(chan struct{}, max(1, min(runtime.GOMAXPROCS(0), 4)))
	stacks := make([]int, len(paths))
	errs := make([]error, len(paths))
	var wg sync.WaitGroup
	for i, path := range paths {
		window <- struct{}{}
		wg.Go(func() {
			defer func() { <-window }()
			p, err := profile.Load(path, profile.Options{})
			if err != nil {
				errs[i] = err
				return
			}
			stacks[i] = len(p.Stacks)
		})
	}
	wg.Wait()
	total := 0
	for i, err := range errs {
		if err != nil {
			return err
		}
		total += stacks[i]
	}
	fmt.Printf("%d stacks loaded\n", total)
	return nil
}

func parsePprof(paths []string) error {
	samples := 0
	for _, path := range paths {
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		p, err := pprofile.Parse(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		samples += len(p.Sample)
	}
	fmt.Printf("%d samples parsed\n", samples)
	return nil
}
