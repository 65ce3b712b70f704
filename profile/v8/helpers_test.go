package v8

import (
	"bytes"
	"compress/gzip"
	"os"
	"testing"
)

// nodeData holds the real Node.js and Bun files of testdata/node.
const nodeData = "../../testdata/node/"

// gunzipFile returns the inflated content of a gzipped file.
func gunzipFile(t testing.TB, path string) []byte {
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
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(zr); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// mustAnalyze analyses a snapshot, keeping it whole.
func mustAnalyze(t testing.TB, g *Snapshot, by Grouping) *Analysis {
	t.Helper()
	a, err := g.Analyze(AnalyzeOptions{By: by})
	if err != nil {
		t.Fatal(err)
	}
	return a
}
