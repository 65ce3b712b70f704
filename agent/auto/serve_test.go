package auto

import (
	"bufio"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/heapdiff/heapdiff/agent"
)

// freePort returns a TCP port nothing listens on right now.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}

// servedURL is the URL Start logged for the agent's listener, or "".
func servedURL(logs string) string {
	m := regexp.MustCompile(`url=(http://\S+)`).FindStringSubmatch(logs)
	if m == nil {
		return ""
	}
	return m[1]
}

func get(t *testing.T, url, token string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// Without a token the handler is open, so HEAPDIFF_HTTP may only be a
// loopback address: every other one is refused with one log line, nothing
// listens on its port, and the agent itself runs on.
func TestHTTPWithoutTokenRefusesNonLoopback(t *testing.T) {
	port := freePort(t)
	for _, addr := range []string{":" + port, "0.0.0.0:" + port, "[::]:" + port, "192.0.2.1:" + port, "example.com:" + port} {
		for _, token := range []*string{nil, new(string), ptr("  ")} { // unset, empty, and ignored as malformed
			logs := capture(t)
			vars := map[string]string{"HEAPDIFF_DIR": t.TempDir(), "HEAPDIFF_HTTP": addr, "HEAPDIFF_SIGNAL": "off",
				"HEAPDIFF_BASELINE_AFTER": "0"}
			if token != nil {
				vars["HEAPDIFF_TOKEN"] = *token
			}
			a := Start(env(vars))
			if a == nil {
				t.Fatalf("HEAPDIFF_HTTP=%s: the agent did not start:\n%s", addr, logs())
			}
			if _, err := a.Capture("still works"); err != nil {
				t.Errorf("HEAPDIFF_HTTP=%s: the agent does not work: %v", addr, err)
			}
			a.Close()
			want := "HEAPDIFF_HTTP=" + addr + " refused: without HEAPDIFF_TOKEN"
			if n := strings.Count(logs(), want); n != 1 || servedURL(logs()) != "" {
				t.Errorf("HEAPDIFF_HTTP=%s, token %v: want one line %q and no listener:\n%s", addr, token, want, logs())
			}
			if c, err := net.DialTimeout("tcp", "127.0.0.1:"+port, time.Second); err == nil {
				c.Close()
				t.Errorf("HEAPDIFF_HTTP=%s without a token: something listens on port %s", addr, port)
			}
		}
	}
}

func ptr(s string) *string { return &s }

// An address that is not HOST:PORT is said to be one, not refused for not
// being loopback (it was, found by an exploratory test); the agent runs on.
func TestHTTPThatIsNotAnAddress(t *testing.T) {
	for _, addr := range []string{"garbage", "127.0.0.1", "localhost:"} {
		logs := capture(t)
		a := Start(env(map[string]string{"HEAPDIFF_DIR": t.TempDir(), "HEAPDIFF_HTTP": addr, "HEAPDIFF_SIGNAL": "off"}))
		if a == nil {
			t.Fatalf("HEAPDIFF_HTTP=%s: the agent did not start:\n%s", addr, logs())
		}
		a.Close()
		want := "HEAPDIFF_HTTP=\\\"" + addr + "\\\" is not an address: want HOST:PORT"
		if !strings.Contains(logs(), want) || strings.Contains(logs(), "refused: without HEAPDIFF_TOKEN") || servedURL(logs()) != "" {
			t.Errorf("HEAPDIFF_HTTP=%s: want %q and no listener:\n%s", addr, want, logs())
		}
	}
}

// On loopback, without a token, the handler is served and open.
func TestHTTPWithoutTokenServesLoopback(t *testing.T) {
	addrs := []string{"127.0.0.1:0", "localhost:0"}
	if ln, err := net.Listen("tcp", "[::1]:0"); err == nil {
		ln.Close()
		addrs = append(addrs, "[::1]:0")
	}
	for _, addr := range addrs {
		logs := capture(t)
		a := Start(env(map[string]string{"HEAPDIFF_DIR": t.TempDir(), "HEAPDIFF_HTTP": addr, "HEAPDIFF_TOKEN": "",
			"HEAPDIFF_SIGNAL": "off", "HEAPDIFF_BASELINE_AFTER": "0"}))
		if a == nil {
			t.Fatalf("agent not started:\n%s", logs())
		}
		defer a.Close()
		url := servedURL(logs())
		if url == "" || strings.Contains(logs(), "refused") {
			t.Fatalf("HEAPDIFF_HTTP=%s not served:\n%s", addr, logs())
		}
		if code := get(t, url, ""); code != http.StatusOK {
			t.Errorf("HEAPDIFF_HTTP=%s: GET %s without a token: %d", addr, url, code)
		}
	}
}

// With a token any address is allowed, and every request needs the token.
func TestHTTPWithTokenMayListenOnAllInterfaces(t *testing.T) {
	logs := capture(t)
	a := Start(env(map[string]string{"HEAPDIFF_DIR": t.TempDir(), "HEAPDIFF_HTTP": "0.0.0.0:0", "HEAPDIFF_TOKEN": "tok",
		"HEAPDIFF_SIGNAL": "off", "HEAPDIFF_BASELINE_AFTER": "0"}))
	if a == nil {
		t.Fatalf("agent not started:\n%s", logs())
	}
	defer a.Close()
	url := servedURL(logs())
	if url == "" {
		t.Fatalf("HEAPDIFF_HTTP=0.0.0.0:0 with a token not served:\n%s", logs())
	}
	url = strings.Replace(url, "0.0.0.0", "127.0.0.1", 1)
	if code := get(t, url, ""); code != http.StatusUnauthorized {
		t.Errorf("GET without the token: %d, want 401", code)
	}
	if code := get(t, url, "tok"); code != http.StatusOK {
		t.Errorf("GET with the token: %d, want 200", code)
	}
}

// The server Start makes has every timeout set, long enough for a capture
// or a download, and the connection cap.
func TestAdminServerLimits(t *testing.T) {
	a := startAgent(t)
	srv := serve(a, "127.0.0.1:0", false, slog.New(slog.DiscardHandler))
	if srv == nil {
		t.Fatal("no server on 127.0.0.1")
	}
	defer srv.Close()
	if srv.ReadHeaderTimeout <= 0 || srv.ReadTimeout <= 0 || srv.IdleTimeout <= 0 || srv.WriteTimeout < time.Minute {
		t.Errorf("timeouts: read header %v, read %v, write %v (want ≥ 1m for downloads), idle %v",
			srv.ReadHeaderTimeout, srv.ReadTimeout, srv.WriteTimeout, srv.IdleTimeout)
	}
	if srv.ReadHeaderTimeout > srv.ReadTimeout || srv.MaxHeaderBytes <= 0 || srv.MaxHeaderBytes > 1<<20 {
		t.Errorf("read header %v, read %v, max header bytes %d", srv.ReadHeaderTimeout, srv.ReadTimeout, srv.MaxHeaderBytes)
	}
	if AdminMaxConns < 4 || AdminMaxConns > 256 {
		t.Errorf("AdminMaxConns %d", AdminMaxConns)
	}
}

func startAgent(t *testing.T) *agent.Agent {
	t.Helper()
	a, err := agent.Start(agent.Dir(t.TempDir()), agent.Signals(), agent.BaselineAfter(0))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

// The listener holds at most its cap of connections, closing more at once;
// the ones it holds are closed when silent past the header timeout, or idle
// past the idle timeout after a request; then a new request is served.
func TestAdminListenerCapsAndTimesOutConnections(t *testing.T) {
	lim := serverLimits{conns: 4, readHeader: 2 * time.Second, read: 10 * time.Second, write: 10 * time.Second, idle: time.Second}
	var logs lockedBuffer
	srv := serveWith(startAgent(t), "127.0.0.1:0", false, lim, slog.New(slog.NewTextHandler(&logs, nil)))
	if srv == nil {
		t.Fatal("no server")
	}
	defer srv.Close()
	addr := regexp.MustCompile(`url=http://(\S+?)/`).FindStringSubmatch(logs.String())[1]
	base := "http://" + addr + "/debug/heapdiff/"

	// One connection makes a request and stays open, kept alive.
	kept := dial(t, addr)
	io.WriteString(kept, "GET /debug/heapdiff/ HTTP/1.1\r\nHost: x\r\n\r\n")
	br := bufio.NewReader(kept)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("request on a kept-alive connection: %v %v", resp, err)
	}
	io.Copy(io.Discard, resp.Body)
	idleFrom := time.Now()
	// Three more sit silent: the cap is full.
	var silent []net.Conn
	for range lim.conns - 1 {
		silent = append(silent, dial(t, addr))
	}
	silentFrom := time.Now()
	// More than the cap: each is closed at once, before any timeout could.
	for i := range 6 {
		c := dial(t, addr)
		if err := closedWithin(c, lim.idle/2); err != nil {
			t.Errorf("connection %d past the cap: %v", lim.conns+i+1, err)
		}
	}
	if !strings.Contains(logs.String(), "too many connections") || strings.Count(logs.String(), "too many connections") != 1 {
		t.Errorf("want one line about the cap:\n%s", logs.String())
	}
	// The kept-alive one is closed after the idle timeout, well before
	// ReadTimeout, which Go uses when IdleTimeout is unset.
	if err := closedWithin(kept, lim.idle+4*time.Second); err != nil {
		t.Errorf("kept-alive connection: %v", err)
	} else if d := time.Since(idleFrom); d < lim.idle*9/10 {
		t.Errorf("kept-alive connection closed after %v, before the idle timeout %v", d, lim.idle)
	}
	// The silent ones after the header timeout.
	for i, c := range silent {
		if err := closedWithin(c, lim.readHeader+5*time.Second); err != nil {
			t.Errorf("silent connection %d: %v", i, err)
		}
	}
	if d := time.Since(silentFrom); d < lim.readHeader*9/10 {
		t.Errorf("silent connections closed after %v, before the header timeout %v", d, lim.readHeader)
	}
	// The slots are free again.
	if code := get(t, base, ""); code != http.StatusOK {
		t.Errorf("GET after the connections ended: %d", code)
	}
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// closedWithin reports an error unless the server closes c within d.
func closedWithin(c net.Conn, d time.Duration) error {
	c.SetReadDeadline(time.Now().Add(d))
	n, err := c.Read(make([]byte, 1))
	var ne net.Error
	switch {
	case n > 0:
		return errors.New("got data, want the connection closed")
	case errors.As(err, &ne) && ne.Timeout():
		return errors.New("still open after " + d.String())
	case err == nil:
		return errors.New("read nothing and no error")
	}
	return nil // io.EOF or a reset: closed
}
