//go:build unix

package main

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/heapdiff/heapdiff/agent/snapshot"
)

// A real Ctrl-C (SIGINT) to a real heapdiff process waiting for its next
// fetch stops it cleanly: exit 0, the snapshot kept, nothing half-written.
func TestCaptureInterruptStopsCleanly(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command")
	}
	bin := filepath.Join(t.TempDir(), "heapdiff")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	srv := newPprofServer(t)
	dir := t.TempDir()
	cmd := exec.Command(bin, "capture", srv.URL+"/debug/pprof/heap", "--every", "1h", "--dir", dir)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if files, _ := snapshot.List(dir); len(files) == 1 {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("no first snapshot")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGINT)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit: %v; stderr %q", err, stderr.String())
		}
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("heapdiff capture did not stop on SIGINT")
	}
	if !strings.Contains(stderr.String(), "stopped: 1 snapshot(s)") || !strings.HasSuffix(stdout.String(), ".pb.gz\n") {
		t.Errorf("stdout %q stderr %q", stdout.String(), stderr.String())
	}
}
