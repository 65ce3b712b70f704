package auto

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/heapdiff/heapdiff/agent"
)

// Limits of the HEAPDIFF_HTTP listener. It shares the process, and so its
// file descriptors and memory, with the service: a client that opens
// connections and sends nothing must not be able to starve the service.
const (
	// AdminMaxConns is how many connections the listener holds at once;
	// past it, new ones are closed as soon as they are accepted.
	AdminMaxConns = 32
	// AdminReadHeaderTimeout bounds reading a request's headers, and how long
	// a new connection may stay silent.
	AdminReadHeaderTimeout = 10 * time.Second
	// AdminReadTimeout bounds reading a whole request; none has a body.
	AdminReadTimeout = 30 * time.Second
	// AdminWriteTimeout bounds one response from the end of its request's
	// headers: a capture (a garbage collection of a large heap, perhaps after
	// waiting for a capture in progress) or the download of a large snapshot
	// over a slow link (100 MiB at 350 KiB/s).
	AdminWriteTimeout = 5 * time.Minute
	// AdminIdleTimeout is how long a kept-alive connection may wait for its
	// next request.
	AdminIdleTimeout = 30 * time.Second
	// adminMaxHeaderBytes bounds a request's headers.
	adminMaxHeaderBytes = 64 << 10
)

// serverLimits are the listener's limits; tests shrink them.
type serverLimits struct {
	conns                         int
	readHeader, read, write, idle time.Duration
}

var adminLimits = serverLimits{AdminMaxConns, AdminReadHeaderTimeout, AdminReadTimeout, AdminWriteTimeout, AdminIdleTimeout}

// serve serves the agent's handler at /debug/heapdiff/ on its own listener at
// addr, with adminLimits. Without a token (guarded false) the handler is open,
// so addr must be a loopback address; any other is refused with a log line,
// and the agent runs on without the listener. It returns the server, its Addr
// the address it listens on, or nil when there is none.
func serve(a *agent.Agent, addr string, guarded bool, log *slog.Logger) *http.Server {
	return serveWith(a, addr, guarded, adminLimits, log)
}

func serveWith(a *agent.Agent, addr string, guarded bool, lim serverLimits, log *slog.Logger) *http.Server {
	const refused = "heapdiff: HEAPDIFF_HTTP=%s refused: without HEAPDIFF_TOKEN the agent's handler, which serves heap profiles, " +
		"listens on loopback only; use 127.0.0.1:PORT, [::1]:PORT or localhost:PORT, or set HEAPDIFF_TOKEN"
	if _, port, err := net.SplitHostPort(addr); err != nil || port == "" {
		log.Error(fmt.Sprintf("heapdiff: HEAPDIFF_HTTP=%q is not an address: want HOST:PORT, such as 127.0.0.1:6061", addr))
		return nil
	}
	if !guarded && !loopbackHost(addr) {
		log.Error(fmt.Sprintf(refused, addr))
		return nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		log.Error("heapdiff: HEAPDIFF_HTTP: cannot listen", "addr", addr, "err", err)
		return nil
	}
	// localhost might resolve to something else: check what was bound.
	if tcp, ok := ln.Addr().(*net.TCPAddr); !guarded && (!ok || !tcp.IP.IsLoopback()) {
		ln.Close()
		log.Error(fmt.Sprintf(refused, addr), "bound", ln.Addr().String())
		return nil
	}
	mux := http.NewServeMux()
	mux.Handle("/debug/heapdiff/", http.StripPrefix("/debug/heapdiff", a.Handler()))
	srv := &http.Server{
		Addr:              ln.Addr().String(), // for the record: Serve below uses ln
		Handler:           mux,
		ReadHeaderTimeout: lim.readHeader,
		// Once ReadTimeout passes, a request's context is canceled (the
		// server's read of the connection times out); the handlers do not
		// use it, so a long download still runs to WriteTimeout.
		ReadTimeout:    lim.read,
		WriteTimeout:   lim.write,
		IdleTimeout:    lim.idle,
		MaxHeaderBytes: adminMaxHeaderBytes,
		ErrorLog:       slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	go srv.Serve(&cappedListener{Listener: ln, slots: make(chan struct{}, lim.conns), log: log})
	log.Info("heapdiff: serving the agent", "url", "http://"+ln.Addr().String()+"/debug/heapdiff/",
		"token", guarded, "max_conns", lim.conns)
	return srv
}

// loopbackHost reports whether addr's host is a loopback IP address or
// "localhost". An empty host (":6060") means every interface.
func loopbackHost(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// cappedListener holds at most cap(slots) connections at a time. Past that it
// closes each new connection as soon as it is accepted, so the connections it
// holds, and the file descriptors they take from the process, stay bounded
// however many a client opens, and an operator's request gets through as soon
// as the server's timeouts end an idle one. (golang.org/x/net/netutil's
// LimitListener waits instead, which queues the operator behind every
// connection waiting in the kernel's backlog; and it is not the standard
// library.)
type cappedListener struct {
	net.Listener
	slots   chan struct{}
	log     *slog.Logger
	refused atomic.Uint64
	logged  atomic.Int64 // unix nanoseconds of the last "at the cap" line
}

// capLogEvery is the least time between two "at the cap" log lines.
const capLogEvery = time.Minute

func (l *cappedListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		select {
		case l.slots <- struct{}{}:
			return &cappedConn{Conn: c, release: func() { <-l.slots }}, nil
		default:
			c.Close()
			n := l.refused.Add(1)
			now, last := time.Now().UnixNano(), l.logged.Load()
			if now-last >= int64(capLogEvery) && l.logged.CompareAndSwap(last, now) {
				l.log.Warn("heapdiff: HEAPDIFF_HTTP: too many connections; closing new ones until some end",
					"max_conns", cap(l.slots), "refused_total", n)
			}
		}
	}
}

// cappedConn gives its slot back when it is closed, once.
type cappedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *cappedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
