// Package nodetest starts real Node.js processes for tests: the example bot
// of examples/node-bot under the inspector, on a port of its own.
package nodetest

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
)

// Node returns the path of the node binary and its version. Without one the
// test is skipped, or fails under CI=true, where .ci/run installs Debian's
// nodejs.
func Node(t testing.TB) (path, version string) {
	t.Helper()
	path, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("no node binary: .ci/run should have installed Debian's nodejs")
		}
		t.Skip("no node binary (apt-get install nodejs)")
	}
	out, err := exec.Command(path, "--version").Output()
	if err != nil {
		t.Fatalf("%s --version: %v", path, err)
	}
	return path, strings.TrimSpace(string(out))
}

// Bot is the path of examples/node-bot/bot.js.
func Bot(t testing.TB) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	p := filepath.Join(filepath.Dir(file), "..", "..", "examples", "node-bot", "bot.js")
	if _, err := os.Stat(p); err != nil {
		t.Fatal(err)
	}
	return p
}

// A Process is a Node.js process started under the inspector.
type Process struct {
	Cmd     *exec.Cmd
	Addr    string // the inspector's host:port
	Version string // node --version
	PID     int
}

var listening = regexp.MustCompile(`Debugger listening on ws://([^/\s]+)/`)

// Start runs node with --inspect on 127.0.0.1 (port 0 picks a free one;
// give the previous process's port to restart "the same" service) and the
// script and its arguments, waits until the inspector listens and the
// script has printed its first line (the bot does once it runs), and stops
// the process when the test ends.
func Start(t testing.TB, port int, script string, args ...string) *Process {
	t.Helper()
	return start(t, fmt.Sprintf("--inspect=127.0.0.1:%d", port), true, script, args...)
}

// StartWaiting runs node with --inspect-brk on a free port of 127.0.0.1:
// the process waits for a debugger before it runs the script. It returns
// once the inspector listens, and stops the process when the test ends.
func StartWaiting(t testing.TB, script string) *Process {
	t.Helper()
	return start(t, "--inspect-brk=127.0.0.1:0", false, script)
}

// start runs node with the inspector flag, the script and its arguments,
// and waits until the inspector listens, and, with printed, until the
// script has printed its first line.
func start(t testing.TB, inspect string, printed bool, script string, args ...string) *Process {
	t.Helper()
	node, version := Node(t)
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, node, append([]string{inspect, script}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &Process{Cmd: cmd, Version: version, PID: cmd.Process.Pid}
	t.Cleanup(func() {
		cancel()
		cmd.Wait()
	})
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sent := false
		for sc.Scan() {
			if m := listening.FindStringSubmatch(sc.Text()); m != nil && !sent {
				found <- m[1]
				sent = true
			}
		}
	}()
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stdout)
		for first := true; sc.Scan(); first = false {
			if first {
				close(ready)
			}
		}
	}()
	timeout := time.After(15 * time.Second)
	select {
	case p.Addr = <-found:
	case <-timeout:
		t.Fatalf("node %s (%s): the inspector did not start listening within 15s", version, script)
	}
	if !printed {
		return p
	}
	select {
	case <-ready:
	case <-timeout:
		t.Fatalf("node %s (%s): the script printed nothing within 15s", version, script)
	}
	return p
}

// Stop ends the process with SIGTERM (the bot exits at once) and waits.
func (p *Process) Stop(t testing.TB) {
	t.Helper()
	p.Cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { p.Cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		p.Cmd.Process.Kill()
		<-done
	}
}
