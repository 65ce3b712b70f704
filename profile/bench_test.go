package profile

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"

	pprofile "github.com/google/pprof/profile"

	"github.com/heapdiff/heapdiff/internal/heapgen"
)

var (
	largeOnce sync.Once
	largeDir  string
	largeErr  error
)

// largePair writes the benchmark pair (internal/heapgen.Large) once per run.
func largePair(b *testing.B) (base, target string) {
	b.Helper()
	largeOnce.Do(func() {
		largeDir, largeErr = os.MkdirTemp("", "heapdiff-bench")
		if largeErr != nil {
			return
		}
		bp, tp := heapgen.Pair(heapgen.Large)
		for name, p := range map[string]*pprofile.Profile{"base.pb.gz": bp, "target.pb.gz": tp} {
			var buf bytes.Buffer
			if largeErr = p.Write(&buf); largeErr != nil {
				return
			}
			if largeErr = os.WriteFile(filepath.Join(largeDir, name), buf.Bytes(), 0o644); largeErr != nil {
				return
			}
		}
	})
	if largeErr != nil {
		b.Fatal(largeErr)
	}
	return filepath.Join(largeDir, "base.pb.gz"), filepath.Join(largeDir, "target.pb.gz")
}

// BenchmarkLoadPair loads both profiles of the large pair, in parallel, with
// the lean decoder. Compare with BenchmarkPprofParsePair in the same run.
func BenchmarkLoadPair(b *testing.B) {
	base, target := largePair(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := LoadAll([]string{base, target}, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPprofParsePair parses the same pair with profile.Parse, the
// reference the lean decoder is measured against.
func BenchmarkPprofParsePair(b *testing.B) {
	base, target := largePair(b)
	b.ReportAllocs()
	for b.Loop() {
		for _, path := range []string{base, target} {
			data, err := os.ReadFile(path)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := pprofile.ParseData(data); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkDecodeProto decodes the large pair's base profile, already
// inflated, with the lean decoder alone: what a snapshot costs beyond
// gunzip, the floor (bench/run.sh prints both beside compare).
func BenchmarkDecodeProto(b *testing.B) {
	base, _ := largePair(b)
	gz, err := os.ReadFile(base)
	if err != nil {
		b.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		b.Fatal(err)
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeProto(data); err != nil {
			b.Fatal(err)
		}
	}
}
