//go:build unix

package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// withUmask runs f with the process's umask set to mask. The tests of this
// package do not run in parallel, so no other file is created meanwhile.
func withUmask(mask int, f func()) {
	old := syscall.Umask(mask)
	defer syscall.Umask(old)
	f()
}

// A report written with -o gets the mode a plain create would give it: a
// new file 0666 less the user's umask, whatever that is; an existing file
// keeps its own mode, so a private report stays private.
func TestOutputFileModes(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		umask    int
		existing fs.FileMode // 0: no file before
		want     fs.FileMode
	}{
		{umask: 0o022, want: 0o644},
		{umask: 0o077, want: 0o600},
		{umask: 0o027, want: 0o640},
		{umask: 0o002, want: 0o664},
		{umask: 0o022, existing: 0o600, want: 0o600},
		{umask: 0o022, existing: 0o640, want: 0o640},
		{umask: 0o077, existing: 0o664, want: 0o664},
	} {
		out := filepath.Join(dir, "report.md")
		os.Remove(out)
		if tc.existing != 0 {
			if err := os.WriteFile(out, []byte("old report"), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(out, tc.existing); err != nil { // WriteFile's mode goes through the umask
				t.Fatal(err)
			}
		}
		var code int
		var errOut string
		withUmask(tc.umask, func() { code, _, errOut = runCLI(t, nil, "compare", base, target, "-o", out) })
		if code != exitOK {
			t.Fatalf("umask %03o: exit %d: %s", tc.umask, code, errOut)
		}
		st, err := os.Stat(out)
		if err != nil {
			t.Fatal(err)
		}
		if got := st.Mode().Perm(); got != tc.want {
			t.Errorf("umask %03o, existing file %03o: report is %03o, want %03o", tc.umask, tc.existing, got, tc.want)
		}
		if data, _ := os.ReadFile(out); !strings.Contains(string(data), "inuse_space") {
			t.Errorf("the report was not written: %q", data)
		}
		if left, _ := filepath.Glob(filepath.Join(dir, ".*.tmp")); len(left) != 0 {
			t.Errorf("temporary files left: %v", left)
		}
	}
}
