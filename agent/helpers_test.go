package agent

import (
	"bytes"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heapdiff/heapdiff/agent/internal/pproftest"
	"github.com/heapdiff/heapdiff/agent/snapshot"
)

// logBuffer collects log output from the agent's goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *logBuffer) count(s string) int { return strings.Count(b.String(), s) }

func (b *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// withBackoff shortens the webhook's retry waits for tests.
func withBackoff(b ...time.Duration) Option {
	return func(c *config) error {
		c.backoff = b
		return nil
	}
}

// start starts an agent for a test with quiet defaults (no baseline timer, no
// warm-up, no GC before capture, no minimum interval) and closes it when the
// test ends.
func start(t *testing.T, opts ...Option) (*Agent, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	base := []Option{Dir(t.TempDir()), BaselineAfter(0), Warmup(0), GCBeforeCapture(false), MinInterval(0), Logger(logs.logger())}
	a, err := Start(append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a, logs
}

// snapshots lists the snapshot files in dir.
func snapshots(t *testing.T, dir string) []snapshot.File {
	t.Helper()
	files, err := snapshot.List(dir)
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// parse reads a snapshot with pprof's own parser, failing the test if it is
// not a valid profile.
func parse(t *testing.T, path string) pproftest.Profile {
	t.Helper()
	return pproftest.Parse(t, path)
}

// comments returns a profile's heapdiff comments as a map.
func comments(p pproftest.Profile) map[string]string {
	m := map[string]string{}
	for _, f := range snapshot.ParseComments(p.Comments) {
		if f.Heapdiff {
			m[f.Key] = f.Value
		}
	}
	return m
}

// eventually polls cond until it holds or a generous deadline passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// endedPID returns the pid of a process that has ended, as an earlier run
// of a service on this host has: this test binary, run to do nothing.
func endedPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}
