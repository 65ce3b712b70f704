package inspector

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/heapdiff/heapdiff/internal/nodetest"
	"github.com/heapdiff/heapdiff/profile"
)

// connect starts the example bot under the inspector and opens a session.
func connect(t *testing.T, args ...string) (*nodetest.Process, *Session) {
	t.Helper()
	p := nodetest.Start(t, 0, nodetest.Bot(t), args...)
	return p, attach(t, p)
}

// attach opens a session to p, closed when the test ends.
func attach(t *testing.T, p *nodetest.Process) *Session {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	target, err := Discover(ctx, http.DefaultClient, p.Addr)
	if err != nil {
		t.Fatalf("node %s: %v", p.Version, err)
	}
	s, err := Attach(ctx, target)
	if err != nil {
		t.Fatalf("node %s: %v", p.Version, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// A real Node.js process says who it is and how much memory it uses; the
// heap V8 reports and the one process.memoryUsage() reports agree.
func TestProcessAndHeapUsage(t *testing.T) {
	p, s := connect(t)
	ctx := context.Background()
	info, err := s.Process(ctx)
	if err != nil {
		t.Fatalf("node %s: %v", p.Version, err)
	}
	if info.PID != p.PID || info.Version != p.Version {
		t.Errorf("node %s: process says pid %d version %q, want %d %q", p.Version, info.PID, info.Version, p.PID, p.Version)
	}
	if info.RSS < 1<<20 || info.HeapUsed < 1<<20 || info.HeapTotal < info.HeapUsed || info.Host == "" {
		t.Errorf("node %s: implausible process facts %+v", p.Version, info)
	}
	used, total, err := s.HeapUsage(ctx)
	if err != nil {
		t.Fatalf("node %s: %v", p.Version, err)
	}
	if used < 1<<20 || total < used || used > 4*info.HeapUsed+(8<<20) {
		t.Errorf("node %s: Runtime.getHeapUsage used %d total %d, process.memoryUsage heapUsed %d", p.Version, used, total, info.HeapUsed)
	}
}

// A full heap snapshot streamed to a file loads as one, with the bot's own
// class in it; so does a sampling heap profile.
func TestSnapshotAndSamplingProfileLoad(t *testing.T) {
	p, s := connect(t, "--leak", "--tick", "1")
	ctx := context.Background()
	if err := s.StartSampling(ctx, 4096); err != nil {
		t.Fatalf("node %s: %v", p.Version, err)
	}
	time.Sleep(300 * time.Millisecond)
	path := filepath.Join(t.TempDir(), "x.heapsnapshot")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	n, err := s.TakeHeapSnapshot(ctx, f)
	f.Close()
	if err != nil {
		t.Fatalf("node %s: %v", p.Version, err)
	}
	if fi, _ := os.Stat(path); fi.Size() != n || n < 1<<20 {
		t.Fatalf("node %s: wrote %d bytes, file has %d", p.Version, n, fi.Size())
	}
	prof, err := profile.Load(path, profile.Options{})
	if err != nil {
		t.Fatalf("node %s: the snapshot does not load: %v", p.Version, err)
	}
	if !hasFrame(prof, "ChatSession") {
		t.Errorf("node %s: no ChatSession class in the snapshot", p.Version)
	}
	raw, err := s.SamplingProfile(ctx, true)
	if err != nil {
		t.Fatalf("node %s: %v", p.Version, err)
	}
	hp := filepath.Join(t.TempDir(), "x.heapprofile")
	os.WriteFile(hp, raw, 0o644)
	if _, err := profile.Load(hp, profile.Options{}); err != nil {
		t.Fatalf("node %s: the sampling profile does not load: %v\n%.200s", p.Version, err, raw)
	}
	// A second session on the same process works alongside.
	if err := s.CollectGarbage(ctx); err != nil {
		t.Fatalf("node %s: %v", p.Version, err)
	}
}

func hasFrame(p *profile.Profile, name string) bool {
	for _, f := range p.Frames {
		if strings.Contains(f.Function, name) {
			return true
		}
	}
	return false
}

// When the process exits, the session lets it go at once (Node.js waits at
// exit for attached debuggers) and says so: calls fail with ErrClosed naming
// the method, and Done is closed.
func TestProcessExitEndsSession(t *testing.T) {
	p, s := connect(t)
	began := time.Now()
	p.Cmd.Process.Signal(os.Interrupt)
	exited := make(chan error, 1)
	go func() { _, err := p.Cmd.Process.Wait(); exited <- err }()
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		t.Fatalf("node %s: the process did not exit within 5s of SIGINT with a session attached", p.Version)
	}
	t.Logf("node %s exited %v after SIGINT", p.Version, time.Since(began).Round(time.Millisecond))
	select {
	case <-s.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the session did not end when the process exited")
	}
	_, _, err := s.HeapUsage(context.Background())
	if !errors.Is(err, ErrClosed) || !strings.Contains(err.Error(), "Runtime.getHeapUsage") {
		t.Errorf("after exit: %v, want ErrClosed naming Runtime.getHeapUsage", err)
	}
}

// An address where nothing listens, or a server that is no inspector, gets
// an error that says what was tried.
func TestDiscoverErrors(t *testing.T) {
	ctx := context.Background()
	if _, err := Discover(ctx, http.DefaultClient, "127.0.0.1:1"); err == nil || !strings.Contains(err.Error(), "/json/list") {
		t.Errorf("nothing listening: %v", err)
	}
	var empty bytes.Buffer
	empty.WriteString("[]")
	srv := newServer(t, empty.String())
	if _, err := Discover(ctx, http.DefaultClient, srv); !errors.Is(err, ErrNoTarget) || !strings.Contains(err.Error(), "Bun") {
		t.Errorf("empty list: %v", err)
	}
	// Another server on the port, answering 200 with a page of its own:
	// it said "invalid character 'o'" and no more.
	other := newServer(t, "ok, but not an inspector")
	if _, err := Discover(ctx, http.DefaultClient, other); err == nil || !strings.Contains(err.Error(), "is this a Node.js inspector") {
		t.Errorf("another server: %v", err)
	}
	if !IsLoopback("127.0.0.1") || !IsLoopback("localhost") || !IsLoopback("[::1]") || IsLoopback("10.0.0.1") || IsLoopback("example.com") {
		t.Error("IsLoopback misjudges an address")
	}
}

// A snapshot whose wait ends before V8 has written it (capture's
// --timeout) closes the session: V8 goes on sending its chunks to the
// session, and a later snapshot on it took them as its own first bytes, a
// corrupt file under a final name (found running capture with --timeout
// under a snapshot's time). A new session then takes a whole snapshot.
func TestSnapshotTimeoutClosesTheSession(t *testing.T) {
	p, s := connect(t, "--leak", "--tick", "1")
	time.Sleep(300 * time.Millisecond) // some heap to write
	ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	_, err := s.TakeHeapSnapshot(ctx, io.Discard)
	cancel()
	if err == nil {
		t.Skipf("node %s: the snapshot was written within a millisecond", p.Version)
	}
	select {
	case <-s.Done():
	case <-time.After(10 * time.Second):
		t.Fatalf("node %s: the session is still open after a snapshot timed out (%v)", p.Version, err)
	}
	again := attach(t, p)
	ctx, cancel = context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var buf bytes.Buffer
	if _, err := again.TakeHeapSnapshot(ctx, &buf); err != nil {
		t.Fatalf("node %s: the next snapshot: %v", p.Version, err)
	}
	if !bytes.HasPrefix(buf.Bytes(), []byte(`{"snapshot":`)) {
		t.Errorf("node %s: the next snapshot starts %.40q", p.Version, buf.Bytes())
	}
}
