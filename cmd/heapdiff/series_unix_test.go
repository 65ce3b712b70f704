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

// TestLinksToSnapshotsListedOnce checks, for ls and fleet, that a link to
// a snapshot listed already (an agent's "latest") does not count twice,
// which made a phantom process, and that a directory named through a
// link is listed, not "0 snapshots" (found by a review).
func TestLinksToSnapshotsListedOnce(t *testing.T) {
	top := t.TempDir()
	dir := filepath.Join(top, "snaps")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"heap-01.pb.gz", "heap-06.pb.gz", "heap-12.pb.gz"} {
		data, err := os.ReadFile(filepath.Join(leakyDir, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("heap-12.pb.gz", filepath.Join(dir, "latest.pb.gz")); err != nil {
		t.Fatal(err)
	}
	linkedRoot := filepath.Join(top, "via-link")
	if err := os.Symlink("snaps", linkedRoot); err != nil {
		t.Fatal(err)
	}
	for _, root := range []string{dir, linkedRoot} {
		code, out, errOut := runCLI(t, nil, "ls", root)
		if code != exitOK || !strings.Contains(out, "1 process(es), 3 snapshots") {
			t.Errorf("ls %s: exit %d, stderr %q, output:\n%s", root, code, errOut, out)
		}
		code, out, errOut = runCLI(t, nil, "fleet", root)
		if code != exitOK || !strings.Contains(out, "1 process, 1 judged") || !strings.Contains(out, "3 snapshots") {
			t.Errorf("fleet %s: exit %d, stderr %q, output:\n%s", root, code, errOut, out)
		}
	}
}
