package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTrendOutputIsTheSameFromASpill runs trend in every format, check and
// fleet with every snapshot's values sent to a temporary file as it comes,
// and checks that their output is what it is when the values stay in
// memory; that the file is gone when they are done; and, by giving them
// a temporary directory that does not exist, that they used it, and fail
// with one line that says what to do.
func TestTrendOutputIsTheSameFromASpill(t *testing.T) {
	commands := [][]string{
		{"trend", leakyDir},
		{"trend", leakyDir, "--top", "3"},
		{"trend", leakyDir, "-f", "json", "--by", "func"},
		{"trend", leakyDir, "-f", "csv", "--top", "2"},
		{"trend", leakyDir, "-f", "md"},
		{"trend", leakyDir, "-f", "html"},
		{"trend", leakyDir, "--skip", "3", "--by", "line"},
		{"check", leakyDir, "--max-site-growth", "1MiB", "-f", "json"},
		{"fleet", leakyDir, "-f", "json"},
	}
	usual := spillAfter
	t.Cleanup(func() { spillAfter = usual })
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	for _, args := range commands {
		spillAfter = 1 << 60
		wantCode, want, wantErr := runCLI(t, nil, args...)
		spillAfter = 1
		code, got, gotErr := runCLI(t, nil, args...)
		if code != wantCode || got != want || gotErr != wantErr {
			t.Errorf("%v: from a spill, exit %d and\n%s\n%s\nin memory, exit %d and\n%s\n%s", args, code, got, gotErr, wantCode, want, wantErr)
		}
		if left, _ := os.ReadDir(tmp); len(left) > 0 {
			t.Errorf("%v: %s is left in the temporary directory", args, left[0].Name())
		}
	}
	t.Setenv("TMPDIR", filepath.Join(tmp, "missing"))
	for _, args := range commands {
		code, _, errOut := runCLI(t, nil, args...)
		if code != exitError || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, "set TMPDIR to a directory with room") {
			t.Errorf("%v without a temporary directory: exit %d, %q", args, code, errOut)
		}
		if strings.Join(args, " ") == "trend "+leakyDir+" -f md" {
			t.Logf("%v without a temporary directory: %s", args, errOut)
		}
	}
}
