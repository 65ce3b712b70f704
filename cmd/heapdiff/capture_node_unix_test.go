//go:build unix

package main

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/heapdiff/heapdiff/internal/nodetest"
)

// A real heapdiff watching a real leaking Node.js bot: it writes the
// baseline at once, one more on SIGUSR2 sent to heapdiff itself, and one
// every 5 s; SIGTERM stops it with the summary. "heapdiff trend" on the
// directory gives rates per hour and names the leaking class; "compare"
// shows it grew; and once a second process's snapshot joins the directory,
// trend refuses to mix the two.
func TestCaptureNodeEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command and runs Node.js")
	}
	bot := nodetest.Start(t, 0, nodetest.Bot(t), "--leak", "--tick", "5")
	bin := filepath.Join(t.TempDir(), "heapdiff")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	dir := t.TempDir()
	cmd := exec.Command(bin, "capture", "node://"+bot.Addr, "--every", "5s", "--dir", dir, "--sample-every", "500ms")
	var stdout, stderr lockedBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	written := func() []string { return strings.Fields(stdout.String()) }
	wait := func(n int) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for len(written()) < n {
			if time.Now().After(deadline) {
				t.Fatalf("node %s: %d snapshots, want %d; stderr:\n%s", bot.Version, len(written()), n, stderr.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	wait(1)
	cmd.Process.Signal(syscall.SIGUSR2)
	wait(2)
	wait(4) // two scheduled ones: 10 s after the baseline
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit: %v; stderr:\n%s", err, stderr.String())
	}
	logs := stderr.String()
	for _, want := range []string{"signal heap snapshot", "schedule heap snapshot", "capture stopped:", "heap_used_peak:", "snapshots: 4",
		"compare: heapdiff compare " + written()[0]} {
		if !strings.Contains(logs, want) {
			t.Errorf("node %s: no %q in stderr:\n%s", bot.Version, want, logs)
		}
	}

	code, out, errOut := runCLI(t, nil, "trend", dir)
	if code != 0 || !strings.Contains(out, "/h") || strings.Contains(errOut+out, "too short for rates per hour") ||
		!regexp.MustCompile(`(?m)^\s+\d+\s+steady growth.*ChatSession$`).MatchString(out) {
		t.Errorf("node %s: trend: exit %d, stderr %q, output:\n%s", bot.Version, code, errOut, out)
	}
	paths := written()
	code, out, _ = runCLI(t, nil, "compare", paths[0], paths[len(paths)-1])
	if code != 0 || !regexp.MustCompile(`(?m)\+\d+\s.*ChatSession$`).MatchString(out) {
		t.Errorf("node %s: compare: exit %d, output:\n%s", bot.Version, code, out)
	}

	other := nodetest.Start(t, 0, nodetest.Bot(t))
	if out, err := exec.Command(bin, "capture", "node://"+other.Addr, "--dir", dir).CombinedOutput(); err != nil {
		t.Fatalf("node %s: one snapshot: %v\n%s", other.Version, err, out)
	}
	code, _, errOut = runCLI(t, nil, "trend", dir)
	if code == 0 || !strings.Contains(errOut, "process") {
		t.Errorf("trend over two processes: exit %d, stderr %q", code, errOut)
	}
}

// lockedBuffer is a buffer a process's output goroutine writes while the
// test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
