//go:build unix

package main

import (
	"bytes"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
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

// copyInputs copies the leaky pair and a third snapshot into a directory
// of the test's, whose files -o may then name.
func copyInputs(t *testing.T) (dir string, files []string) {
	t.Helper()
	dir = t.TempDir()
	for _, name := range []string{"heap-01.pb.gz", "heap-06.pb.gz", "heap-12.pb.gz"} {
		data, err := os.ReadFile(filepath.Join(leakyDir, name))
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, path)
	}
	return dir, files
}

// TestOutputNeverReplacesAnInput checks that -o naming one of the profiles
// read, by its path, another path or a hard link, is refused in one line
// (exit 2) and leaves the profile as it was: a report written there would
// have replaced it.
func TestOutputNeverReplacesAnInput(t *testing.T) {
	dir, files := copyInputs(t)
	link := filepath.Join(dir, "link.pb.gz")
	if err := os.Link(files[2], link); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(files[2])
	for _, args := range [][]string{
		{"compare", files[0], files[2], "-o", files[2]},
		{"compare", files[0], files[2], "-o", filepath.Join(dir, ".", "heap-12.pb.gz")},
		{"compare", files[0], files[2], "-o", link},
		{"trend", dir, "-o", files[2]},
		{"check", files[0], files[2], "--max-growth", "1GiB", "-o", files[2]},
		{"check", dir, "--max-growth", "1GiB", "-o", link},
		{"fleet", dir, "-o", files[2]},
	} {
		code, _, errOut := runCLI(t, nil, args...)
		if code != exitUsage || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, "the report would replace it") {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and one line saying the report would replace the profile", args, code, errOut)
		}
		if after, _ := os.ReadFile(files[2]); !bytes.Equal(after, before) {
			t.Fatalf("%v: the profile was changed", args)
		}
	}
	// A new name in the same directory is no input.
	out := filepath.Join(dir, "report.txt")
	if code, _, errOut := runCLI(t, nil, "compare", files[0], files[2], "-o", out); code != exitOK {
		t.Fatalf("-o a new file: exit %d, %s", code, errOut)
	}
	if data, _ := os.ReadFile(out); !bytes.Contains(data, []byte("main.(*SessionStore).Open")) {
		t.Errorf("-o a new file wrote %q", data)
	}
}

// TestOutputThroughLinksAndPipes checks that -o writes through a symbolic
// link to its target, leaving the link a link, and into a named pipe as it
// is, leaving it a pipe: a report renamed over either would have replaced
// it with a regular file.
func TestOutputThroughLinksAndPipes(t *testing.T) {
	dir, files := copyInputs(t)
	target := filepath.Join(dir, "reports", "latest.txt")
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(target, []byte("old report"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "latest.txt")
	if err := os.Symlink(filepath.Join("reports", "latest.txt"), link); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := runCLI(t, nil, "compare", files[0], files[2], "-o", link); code != exitOK {
		t.Fatalf("-o a symbolic link: exit %d, %s", code, errOut)
	}
	if st, err := os.Lstat(link); err != nil || st.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("the link is no longer a link: %v, %v", st, err)
	}
	st, err := os.Stat(target)
	if data, _ := os.ReadFile(target); err != nil || !bytes.Contains(data, []byte("main.(*SessionStore).Open")) || st.Mode().Perm() != 0o600 {
		t.Errorf("the link's target holds %q with mode %v, want the report with its own mode 0600", data, st.Mode())
	}

	fifo := filepath.Join(dir, "pipe")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	got := make(chan []byte)
	go func() {
		f, err := os.Open(fifo)
		if err != nil {
			got <- nil
			return
		}
		defer f.Close()
		data, _ := io.ReadAll(f)
		got <- data
	}()
	if code, _, errOut := runCLI(t, nil, "compare", files[0], files[2], "-o", fifo); code != exitOK {
		t.Fatalf("-o a named pipe: exit %d, %s", code, errOut)
	}
	select {
	case data := <-got:
		if !bytes.Contains(data, []byte("main.(*SessionStore).Open")) {
			t.Errorf("the pipe's reader got %q", data)
		}
	case <-time.After(30 * time.Second):
		t.Errorf("the pipe's reader got nothing in 30 s")
		if f, err := os.OpenFile(fifo, os.O_RDWR, 0); err == nil {
			f.Close() // lets the reader's open return
		}
	}
	if st, err := os.Lstat(fifo); err != nil || st.Mode()&fs.ModeNamedPipe == 0 {
		t.Errorf("the pipe is no longer a pipe: %v, %v", st, err)
	}

	// A dangling link: its target is made, as a shell's > makes it.
	dangling := filepath.Join(dir, "next.txt")
	if err := os.Symlink("made.txt", dangling); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := runCLI(t, nil, "compare", files[0], files[2], "-o", dangling); code != exitOK {
		t.Fatalf("-o a dangling link: exit %d, %s", code, errOut)
	}
	if st, err := os.Lstat(dangling); err != nil || st.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("the dangling link is no longer a link: %v, %v", st, err)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, "made.txt")); !bytes.Contains(data, []byte("main.(*SessionStore).Open")) {
		t.Errorf("the dangling link's target holds %q", data)
	}
}

// TestOutputToTheProcesssOwnStdout checks that -o /dev/stdout, when
// standard output was redirected to a file (>> log), writes to the
// stream: the kernel's link from /dev/stdout leads to the file, which a
// report renamed or truncated there would have replaced, with what the
// shell had written before it (found by a review).
func TestOutputToTheProcesssOwnStdout(t *testing.T) {
	dir, files := copyInputs(t)
	logPath := filepath.Join(dir, "ci.log")
	if err := os.WriteFile(logPath, []byte("HEADER\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	log, err := os.OpenFile(logPath, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	for _, out := range []string{"/dev/stdout", "/dev/fd/1"} {
		if _, err := os.Stat(out); err != nil {
			continue
		}
		var stderr bytes.Buffer
		cmd := exec.Command(heapdiffBinary(t), "compare", files[0], files[2], "-o", out)
		cmd.Stdout, cmd.Stderr = log, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("-o %s: %v\n%s", out, err, stderr.String())
		}
		if _, err := log.WriteString("FOOTER\n"); err != nil {
			t.Fatal(err)
		}
	}
	data, _ := os.ReadFile(logPath)
	if !bytes.HasPrefix(data, []byte("HEADER\n")) || !bytes.HasSuffix(data, []byte("FOOTER\n")) || !bytes.Contains(data, []byte("main.(*SessionStore).Open")) {
		t.Errorf("the log holds:\n%s\nwant HEADER, the reports and FOOTER", data)
	}
}
