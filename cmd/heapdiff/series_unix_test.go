//go:build unix

package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestDirectoryOfLinks checks that a directory's symbolic links to
// profiles are read, by trend and by fleet, as the profiles they link to
// (they were left out without a word, and a directory of links "held no
// profiles"), while reports heapdiff writes beside snapshots, gzipped
// or not, and links to what is not a regular file stay out.
func TestDirectoryOfLinks(t *testing.T) {
	dir := t.TempDir()
	abs, err := filepath.Abs(leakyDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"heap-01.pb.gz", "heap-06.pb.gz", "heap-12.pb.gz"} {
		if err := os.Symlink(filepath.Join(abs, name), filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	for name, link := range map[string]string{"dangling.pb.gz": "/nonexistent", "up.pb.gz": ".."} {
		if err := os.Symlink(link, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"trend.json.gz", "report.html", "notes.md.gz"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("not a profile"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	paths, err := expandPaths([]string{dir})
	var names []string
	for _, p := range paths {
		names = append(names, filepath.Base(p))
	}
	if want := []string{"heap-01.pb.gz", "heap-06.pb.gz", "heap-12.pb.gz"}; err != nil || !slices.Equal(names, want) {
		t.Fatalf("expandPaths: %q, %v; want %q", names, err, want)
	}
	code, out, errOut := runCLI(t, nil, "trend", dir)
	if code != exitOK || !strings.Contains(out, "snapshots  3,") || !strings.Contains(out, "main.(*SessionStore).Open") {
		t.Errorf("trend of links: exit %d, stderr %q, output:\n%s", code, errOut, out)
	}
	code, out, errOut = runCLI(t, nil, "fleet", dir)
	if code != exitOK || !strings.Contains(out, "3 snapshots") {
		t.Errorf("fleet of links: exit %d, stderr %q, output:\n%s", code, errOut, out)
	}
}
