package agent

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestDiskFull fills a real, tiny tmpfs (mounting one needs root, as the
// tests have here and in CI; elsewhere the test is skipped) and checks that
// a full disk is logged once, counted, leaves no partial snapshot under a
// final name, and that the agent captures again once space is freed.
func TestDiskFull(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root")
	}
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=32k"); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v", err)
	}
	t.Cleanup(func() { syscall.Unmount(dir, syscall.MNT_DETACH) })
	// Fill it to the last byte, so no snapshot can fit.
	filler := filepath.Join(dir, "filler")
	f, err := os.Create(filler)
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := f.Write(make([]byte, 512)); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			break
		}
	}
	f.Close()

	a, logs := start(t, Dir(dir))
	for range 3 {
		if _, err := a.Capture("full"); err == nil {
			t.Fatal("a capture into a full disk succeeded")
		}
	}
	if n := logs.count("disk full"); n != 1 {
		t.Errorf("disk full logged %d times, want once:\n%s", n, logs)
	}
	if s := a.Stats(); s.CaptureFailures != 3 || !strings.Contains(s.LastError, "no space") {
		t.Errorf("failures %d, last error %q", s.CaptureFailures, s.LastError)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() != "filler" {
			t.Errorf("left behind on a full disk: %s", e.Name())
		}
	}

	// Space comes back: the agent captures again, and the file parses.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	name, err := a.Capture("space again")
	if err != nil {
		t.Fatalf("capture after freeing space: %v", err)
	}
	if filepath.Dir(name) != dir {
		t.Errorf("snapshot written to %s, not into %s", name, dir)
	}
	parse(t, name)
}
