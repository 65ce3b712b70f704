//go:build unix

package auto

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/heapdiff/heapdiff/agent/snapshot"
)

// service is a running testdata/service process.
type service struct {
	t      *testing.T
	cmd    *exec.Cmd
	stderr *lockedBuffer
	exited chan struct{}
	err    error
}

// runService starts the service binary with the agent on in dir and the
// given extra environment, and waits until it says it is ready and the agent
// says it started.
func runService(t *testing.T, binary, dir string, env []string, args ...string) *service {
	t.Helper()
	s := &service{t: t, cmd: exec.Command(binary, args...), stderr: &lockedBuffer{}, exited: make(chan struct{})}
	s.cmd.Env = append(os.Environ(), append([]string{"HEAPDIFF_DIR=" + dir, "HEAPDIFF_LOG=json",
		"HEAPDIFF_BASELINE_AFTER=0", "HEAPDIFF_MIN_INTERVAL=0"}, env...)...)
	s.cmd.Stderr = s.stderr
	out, err := s.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		ready <- line
	}()
	go func() { s.err = s.cmd.Wait(); close(s.exited) }()
	t.Cleanup(func() { s.cmd.Process.Kill(); <-s.exited })
	select {
	case line := <-ready:
		if line != "ready\n" {
			t.Fatalf("service said %q; stderr:\n%s", line, s.stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("service not ready; stderr:\n%s", s.stderr.String())
	}
	// The agent logs that it started before the service says it is ready,
	// but on stderr, which exec copies from its pipe in a goroutine of its
	// own: on a busy machine the line can come after "ready" on stdout.
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(s.stderr.String(), "agent started"); {
		if time.Now().After(deadline) {
			t.Fatalf("agent not started; stderr:\n%s", s.stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	return s
}

func (s *service) signal(sig syscall.Signal) {
	s.t.Helper()
	if err := s.cmd.Process.Signal(sig); err != nil {
		s.t.Fatalf("signal %v: %v", sig, err)
	}
}

// wait waits for the service to exit and returns its exit error.
func (s *service) wait() error {
	s.t.Helper()
	select {
	case <-s.exited:
		return s.err
	case <-time.After(30 * time.Second):
		s.t.Fatalf("service did not exit; stderr:\n%s", s.stderr.String())
		return nil
	}
}

// summary returns the agent's closing summary from the service's JSON log,
// or nil if there is none.
func (s *service) summary() map[string]any {
	s.t.Helper()
	var found map[string]any
	for line := range strings.Lines(s.stderr.String()) {
		var r map[string]any
		if json.Unmarshal([]byte(line), &r) == nil && r["msg"] == "heapdiff: agent stopped" {
			if found != nil {
				s.t.Errorf("two summaries:\n%s", s.stderr.String())
			}
			found = r
		}
	}
	return found
}

// snapshotsThen takes n snapshots by SIGUSR2, waiting for each.
func (s *service) snapshotsThen(dir string, n int) {
	s.t.Helper()
	for i := range n {
		s.signal(syscall.SIGUSR2)
		deadline := time.Now().Add(30 * time.Second)
		for files, _ := snapshot.List(dir); len(files) < i+1; files, _ = snapshot.List(dir) {
			if time.Now().After(deadline) {
				s.t.Fatalf("snapshot %d not written; stderr:\n%s", i+1, s.stderr.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// The agent's summary at shutdown, with a real program that imports only
// agent/auto, real signals and its own graceful shutdown: the program's exit
// is what it would be without the agent, and the summary appears when the
// program asks for it, by HEAPDIFF_SUMMARY_ON_SIGNAL or by calling Close.
func TestShutdownSummaryKeepsTheProgramsExit(t *testing.T) {
	binary := filepath.Join(t.TempDir(), "service")
	if out, err := exec.Command("go", "build", "-o", binary, "./testdata/service").CombinedOutput(); err != nil {
		t.Fatalf("build testdata/service: %v\n%s", err, out)
	}

	checkSummary := func(t *testing.T, s *service, dir string) {
		t.Helper()
		sum := s.summary()
		if sum == nil {
			t.Fatalf("no summary; stderr:\n%s", s.stderr.String())
		}
		if sum["snapshots"] != 2.0 || sum["live_heap_end"] == nil || sum["rss_peak"] == nil || sum["alerts"] != 0.0 {
			t.Errorf("summary %v", sum)
		}
		files, _ := snapshot.List(dir)
		want := "heapdiff compare " + filepath.Join(dir, files[0].File) + " " + filepath.Join(dir, files[1].File)
		if len(files) != 2 || sum["compare"] != want {
			t.Errorf("compare %q, want %q (files %v)", sum["compare"], want, files)
		}
	}

	t.Run("own handler, summary on signal", func(t *testing.T) {
		dir := t.TempDir()
		s := runService(t, binary, dir, []string{"HEAPDIFF_SUMMARY_ON_SIGNAL=true"}, "-handle")
		s.snapshotsThen(dir, 2)
		s.signal(syscall.SIGTERM)
		if err := s.wait(); err != nil {
			t.Fatalf("exit: %v, want 0; stderr:\n%s", err, s.stderr.String())
		}
		if !strings.Contains(s.stderr.String(), "service: drained") {
			t.Errorf("the service's own shutdown did not finish; stderr:\n%s", s.stderr.String())
		}
		checkSummary(t, s, dir)
	})

	t.Run("own handler, calls auto.Close", func(t *testing.T) {
		dir := t.TempDir()
		s := runService(t, binary, dir, nil, "-handle", "-close")
		s.snapshotsThen(dir, 2)
		s.signal(syscall.SIGINT)
		if err := s.wait(); err != nil {
			t.Fatalf("exit: %v, want 0; stderr:\n%s", err, s.stderr.String())
		}
		checkSummary(t, s, dir)
		out := s.stderr.String()
		if strings.Index(out, "agent stopped") < strings.Index(out, "draining") {
			t.Errorf("summary before the service's own shutdown began:\n%s", out)
		}
	})

	// Off by default: the package does not listen for SIGTERM, so nothing
	// is logged at shutdown unless the program asks.
	t.Run("own handler, default", func(t *testing.T) {
		dir := t.TempDir()
		s := runService(t, binary, dir, nil, "-handle")
		s.signal(syscall.SIGTERM)
		if err := s.wait(); err != nil {
			t.Fatalf("exit: %v, want 0; stderr:\n%s", err, s.stderr.String())
		}
		if s.summary() != nil {
			t.Errorf("a summary without HEAPDIFF_SUMMARY_ON_SIGNAL or Close:\n%s", s.stderr.String())
		}
	})

	// A program with no handler dies of SIGTERM with the agent on, as it
	// would without it.
	t.Run("no handler", func(t *testing.T) {
		s := runService(t, binary, t.TempDir(), nil)
		s.signal(syscall.SIGTERM)
		err := s.wait()
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			t.Fatalf("exit: %v, want death by SIGTERM; stderr:\n%s", err, s.stderr.String())
		}
		if ws, ok := exit.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
			t.Errorf("exit %v, want death by SIGTERM", err)
		}
	})
}
