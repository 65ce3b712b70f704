package auto

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/heapdiff/heapdiff/agent"
)

// Limits of the flood test's child: few file descriptors, so that without
// the cap a thousand idle connections would exhaust them, and a short header
// timeout, so the test does not wait long.
const (
	floodChildFiles = 128
	floodCap        = 16
	floodConns      = 1000
	floodHeader     = 3 * time.Second
)

// The attack, on a real process: a service with 128 file descriptors
// serves the agent on HEAPDIFF_HTTP; a client opens 1,000 idle connections to
// it. The service's file descriptors stay bounded by the cap, the service's
// own listener still accepts and its handler still opens a file meanwhile,
// every idle connection is closed (past the cap at once, under it by the
// header timeout), and then the agent's handler serves a new request.
func TestIdleConnectionFloodLeavesTheServiceItsFiles(t *testing.T) {
	if os.Getenv("HEAPDIFF_FLOOD_CHILD") == "1" {
		floodChild()
		return
	}
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil || lim.Cur < floodConns+200 {
		t.Skipf("this test process may open only %d files (%v); the flood needs %d", lim.Cur, err, floodConns+200)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestIdleConnectionFloodLeavesTheServiceItsFiles$")
	cmd.Env = append(os.Environ(), "HEAPDIFF_FLOOD_CHILD=1", "HEAPDIFF_FLOOD_DIR="+t.TempDir())
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	ready := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		ready <- line
		io.Copy(io.Discard, out)
	}()
	var admin, service string
	select {
	case line := <-ready:
		if _, err := fmt.Sscanf(line, "admin=%s service=%s", &admin, &service); err != nil {
			t.Fatalf("child said %q (%v); stderr:\n%s", line, err, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("child not ready; stderr:\n%s", stderr.String())
	}
	pid := cmd.Process.Pid
	base := openFiles(t, pid)

	// Watch the child's open files while the flood runs.
	var peak atomic.Int64
	stop := make(chan struct{})
	var watched sync.WaitGroup
	watched.Go(func() {
		for {
			if n, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid)); err == nil {
				peak.Store(max(peak.Load(), int64(len(n))))
			}
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	})
	var flood []net.Conn
	for range floodConns {
		c, err := net.DialTimeout("tcp", admin, 5*time.Second)
		if err != nil {
			t.Fatalf("dial %d: %v", len(flood)+1, err)
		}
		defer c.Close()
		flood = append(flood, c)
	}
	floodedAt := time.Now()

	// While the capped connections sit idle, the service works: its
	// listener accepts and its handler opens a file.
	client := &http.Client{Timeout: floodHeader / 2}
	resp, err := client.Get("http://" + service + "/")
	if err != nil {
		t.Errorf("the service's own request during the flood: %v; child stderr:\n%s", err, stderr.String())
	} else {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.HasPrefix(string(body), "opened ") {
			t.Errorf("the service's own request during the flood: %s %q", resp.Status, body)
		}
	}
	if time.Since(floodedAt) >= floodHeader {
		t.Logf("the service was asked only %v after the flood, past the header timeout", time.Since(floodedAt))
	}

	// Every flood connection is closed by the child.
	deadline := time.Now().Add(floodHeader + 10*time.Second)
	open := 0
	for _, c := range flood {
		c.SetReadDeadline(deadline)
		if n, err := c.Read(make([]byte, 1)); n > 0 || isTimeout(err) {
			open++
		}
	}
	close(stop)
	watched.Wait()
	if open > 0 {
		t.Errorf("%d of %d idle connections still open after the header timeout", open, floodConns)
	}
	if p := peak.Load(); p > int64(base+floodCap+4) {
		t.Errorf("child had up to %d files open, over %d before the flood + %d connections + 4", p, base, floodCap)
	} else {
		t.Logf("child's open files: %d before the flood, at most %d during it (limit %d)", base, p, floodChildFiles)
	}

	// And the agent's handler serves a new request.
	resp, err = (&http.Client{Timeout: 5 * time.Second}).Get("http://" + admin + "/debug/heapdiff/")
	if err != nil {
		t.Fatalf("GET the agent after the flood: %v; child stderr:\n%s", err, stderr.String())
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("GET the agent after the flood: %s", resp.Status)
	}
	log := stderr.String()
	if !strings.Contains(log, "too many connections") || strings.Contains(log, "too many open files") {
		t.Errorf("child's log:\n%s", log)
	}
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

// openFiles counts the file descriptors process pid has open.
func openFiles(t *testing.T, pid int) int {
	t.Helper()
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		t.Fatal(err)
	}
	return len(fds)
}

// floodChild is the service under attack: few file descriptors, the agent
// served on loopback with a small cap, and a listener of its own whose
// handler opens a file.
func floodChild() {
	var lim syscall.Rlimit
	syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim)
	lim.Cur = floodChildFiles
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		fmt.Fprintln(os.Stderr, "setrlimit:", err)
		os.Exit(2)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	a, err := agent.Start(agent.Dir(os.Getenv("HEAPDIFF_FLOOD_DIR")), agent.Signals(), agent.BaselineAfter(0), agent.Logger(log))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	srv := serveWith(a, "127.0.0.1:0", false, serverLimits{conns: floodCap, readHeader: floodHeader,
		read: 2 * floodHeader, write: 2 * floodHeader, idle: floodHeader}, log)
	if srv == nil {
		os.Exit(2)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	go http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, err := os.Open("/proc/self/status")
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		f.Close()
		fmt.Fprintln(w, "opened", f.Name())
	}))
	fmt.Printf("admin=%s service=%s\n", srv.Addr, ln.Addr())
	time.Sleep(2 * time.Minute)
	os.Exit(0)
}
