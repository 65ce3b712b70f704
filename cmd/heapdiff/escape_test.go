package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A command-line argument with control characters (BEL, ESC) is escaped in
// every message that quotes it, as the loader escapes the names it reads:
// a path is never a way to ring the terminal's bell or move its cursor.
func TestArgumentsAreEscapedInMessages(t *testing.T) {
	dir := t.TempDir()
	const hostile = "x\x07y\x1b[2Jz"
	emptyDir := filepath.Join(dir, "snaps"+hostile)
	if err := os.Mkdir(emptyDir, 0o755); err != nil {
		t.Fatal(err)
	}
	aFile := filepath.Join(dir, "file"+hostile)
	if err := os.WriteFile(aFile, []byte("not a directory"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		say  string
	}{
		{"empty directory", []string{"trend", emptyDir}, "holds no profiles"},
		{"report into a missing directory", []string{"compare", base, target, "-o", filepath.Join(dir, "missing"+hostile, "r"+hostile+".md")}, "write "},
		{"report over a directory", []string{"compare", base, target, "-o", emptyDir}, "is a directory"},
		{"missing profile", []string{"compare", filepath.Join(dir, "none"+hostile+".pb.gz"), target}, "no such file"},
		{"unknown flag", []string{"compare", "--" + hostile, base, target}, "unknown flag"},
		{"snapshot directory under a file", []string{"capture", "http://127.0.0.1:1/debug/pprof/heap", "--dir", filepath.Join(aFile, "sub"+hostile)}, "snapshot directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := runCLI(t, nil, tc.args...)
			if code == exitOK || !strings.Contains(errOut, tc.say) {
				t.Fatalf("exit %d, stderr %q; want a failure that says %q", code, errOut, tc.say)
			}
			checkEscapedLine(t, errOut)
		})
	}
	// A message that is not an error: where --open put the report, in a
	// temporary directory whose name the environment chose.
	t.Run("report written to", func(t *testing.T) {
		t.Setenv("TMPDIR", emptyDir)
		t.Setenv("BROWSER", "true")
		code, _, errOut := runCLI(t, nil, "compare", base, target, "--open")
		if code != exitOK || !strings.Contains(errOut, "report written to") {
			t.Fatalf("exit %d, stderr %q", code, errOut)
		}
		checkEscapedLine(t, errOut)
	})
}

// checkEscapedLine checks that out is one line, with no control character
// in it, that shows the hostile argument escaped.
func checkEscapedLine(t *testing.T, out string) {
	t.Helper()
	line, ok := strings.CutSuffix(out, "\n")
	if !ok || strings.Contains(line, "\n") {
		t.Errorf("stderr is not one line: %q", out)
	}
	for _, c := range []byte(line) {
		if c < 0x20 || c == 0x7f {
			t.Fatalf("stderr carries the raw byte %#02x: %q", c, out)
		}
	}
	if !strings.Contains(line, `x\x07y\x1b[2Jz`) {
		t.Errorf("stderr does not show the argument escaped (x\\x07y\\x1b[2Jz): %q", out)
	}
}
