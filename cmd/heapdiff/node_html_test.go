package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCompareNodeHTML: -o FILE.html picks the page that fits the data:
// DevTools' Comparison columns for snapshots by class, the call tree for
// snapshots grouped by allocation stack and for sampling heap profiles.
func TestCompareNodeHTML(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name     string
		args     []string
		snapshot bool
	}{
		{"class.html", []string{nodeData + "leaky-before.heapsnapshot.gz", nodeData + "leaky-after.heapsnapshot.gz"}, true},
		{"bun.html", []string{nodeData + "bun-before.heapsnapshot.gz", nodeData + "bun-after.heapsnapshot.gz"}, true},
		{"traced.html", []string{"--by", "site", nodeData + "tracked-before.heapsnapshot.gz", nodeData + "tracked-after.heapsnapshot.gz"}, false},
		{"sampled.html", []string{nodeData + "before.heapprofile.gz", nodeData + "after.heapprofile.gz"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, tc.name)
			code, _, errOut := runCLI(t, nil, append([]string{"compare", "-o", path}, tc.args...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			page, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			s := string(page)
			isSnapshot := strings.Contains(s, "<h1>Heap snapshot comparison</h1>") && strings.Contains(s, `"snapshot":{`)
			hasFlame := strings.Contains(s, `id="flame"`)
			if isSnapshot != tc.snapshot || hasFlame == tc.snapshot {
				t.Errorf("snapshot page %v, flame graph %v; want the snapshot page: %v", isSnapshot, hasFlame, tc.snapshot)
			}
		})
	}
}
