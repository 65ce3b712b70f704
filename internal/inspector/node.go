package inspector

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/chromedp/cdproto/cdp"
	jsonv2 "github.com/chromedp/cdproto/cdp/jsonv2"
	"github.com/chromedp/cdproto/heapprofiler"
	"github.com/chromedp/cdproto/runtime"
)

// A Target is one debuggable process (or worker) as the inspector's
// /json/list describes it.
type Target struct {
	ID                   string `json:"id"`
	Type                 string `json:"type"`  // "node" for a Node.js process
	Title                string `json:"title"` // node[PID] by default
	URL                  string `json:"url"`   // the main script
	WebSocketDebuggerURL string `json:"webSocketDebuggerUrl"`
}

// ErrNoTarget says an inspector lists no target a session could attach to.
var ErrNoTarget = errors.New("the inspector lists no target")

// Discover asks the inspector at addr (host:port) for its targets, with
// GET /json/list, and returns the first Node.js one with the WebSocket URL
// rewritten to addr: a process started with --inspect=0.0.0.0:9229, or
// reached through ssh -L or kubectl port-forward, names an address that is
// not the one we reach it at.
func Discover(ctx context.Context, client *http.Client, addr string) (Target, error) {
	list := (&url.URL{Scheme: "http", Host: addr, Path: "/json/list"}).String()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, list, nil)
	if err != nil {
		return Target{}, err
	}
	resp, err := client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return Target{}, fmt.Errorf("GET %s: %w", list, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return Target{}, fmt.Errorf("GET %s: %s (is this a Node.js inspector, started with --inspect?)", list, resp.Status)
	}
	var targets []Target
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&targets); err != nil {
		// Another server on the port answers 200 with its own page.
		return Target{}, fmt.Errorf("GET %s: not an inspector's target list (is this a Node.js inspector, started with --inspect?): %w", list, err)
	}
	for _, t := range targets {
		if t.WebSocketDebuggerURL == "" || (t.Type != "node" && t.Type != "") {
			continue
		}
		u, err := url.Parse(t.WebSocketDebuggerURL)
		if err != nil {
			continue
		}
		u.Host = addr
		t.WebSocketDebuggerURL = u.String()
		return t, nil
	}
	// Bun's inspector answers /json/list with nothing and speaks WebKit's
	// protocol, not V8's.
	return Target{}, fmt.Errorf("GET %s: %w of type \"node\" (Bun's inspector speaks WebKit's protocol, which has no HeapProfiler: see examples/bun-bot)", list, ErrNoTarget)
}

// Attach connects to a Node.js target and lets go of the process as soon
// as it starts to exit. Node.js waits at exit until every debugger attached
// to it disconnects ("Waiting for the debugger to disconnect..."): the
// session asks to be told (NodeRuntime.notifyWhenWaitingForDisconnect) and
// closes its connection when the process says it is waiting
// (NodeRuntime.waitingForDisconnect), so a watched process never outlives
// its own exit because of heapdiff.
func Attach(ctx context.Context, target Target) (*Session, error) {
	s, err := Dial(ctx, target.WebSocketDebuggerURL)
	if err != nil {
		return nil, err
	}
	s.handle("NodeRuntime.waitingForDisconnect", func(jsonv2.Value) {
		s.mu.Lock()
		s.exited = true // Err says ErrExited once the reader ends
		s.mu.Unlock()
		s.conn.Close() // on the reading goroutine: the reader then ends
	})
	if err := s.Call(ctx, "NodeRuntime.notifyWhenWaitingForDisconnect", map[string]bool{"enabled": true}, nil); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// ErrExited is a session's Err when the process ended normally: Node.js
// said it was waiting for its debuggers to disconnect, and the session
// did.
var ErrExited = errors.New("the process exited")

// ErrStarting says the process has not finished starting: it answers the
// inspector before process.pid is set. Ask again shortly.
var ErrStarting = errors.New("the process is still starting (no process.pid yet)")

// IsLoopback reports whether host (a name or an address, without a port) is
// this machine: "localhost" or a loopback address. The inspector gives full
// control of the process, so heapdiff connects elsewhere only when asked.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// Process is what a Node.js process says of itself, from
// process.memoryUsage() and a few properties of process.
type Process struct {
	PID     int    `json:"pid"`
	Version string `json:"version"` // process.version, such as v20.20.2
	Host    string `json:"host"`    // os.hostname(), when the inspector offers require
	Title   string `json:"title"`
	RSS     uint64 `json:"rss"`
	// HeapUsed and HeapTotal are V8's heap as process.memoryUsage() gives it.
	HeapUsed     uint64 `json:"heapUsed"`
	HeapTotal    uint64 `json:"heapTotal"`
	External     uint64 `json:"external"`
	ArrayBuffers uint64 `json:"arrayBuffers"`
	// Limit is the memory the process may use, from
	// process.constrainedMemory() (the cgroup's limit), or 0 when there is
	// none or Node.js cannot tell.
	Limit uint64 `json:"-"`
	// HeapLimit is V8's heap size limit (--max-old-space-size and young
	// space), when v8.getHeapStatistics() can be reached; 0 otherwise.
	HeapLimit uint64 `json:"heapLimit"`
}

// processExpr is evaluated in the target: one round trip, no side effect
// but the call to process.memoryUsage() (which reads /proc on Linux).
// Built-in modules are reached with process.getBuiltinModule (Node.js 22.3
// and later) or the main CommonJS module's require; an ES module program on
// an older Node.js goes without the host name and the heap limit.
const processExpr = `(() => {
  const m = process.memoryUsage();
  let host = "", heapLimit = 0, req = null;
  try {
    if (typeof process.getBuiltinModule === "function") req = (n) => process.getBuiltinModule(n);
    else if (process.mainModule) req = (n) => process.mainModule.require(n);
  } catch (e) {}
  try { if (req) host = req("os").hostname(); } catch (e) {}
  try { if (req) heapLimit = req("v8").getHeapStatistics().heap_size_limit; } catch (e) {}
  let limit = 0;
  try { if (typeof process.constrainedMemory === "function") limit = process.constrainedMemory() || 0; } catch (e) {}
  return JSON.stringify({pid: process.pid, version: process.version, host, title: process.title,
    rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers || 0,
    limit: String(limit), heapLimit});
})()`

// Process asks the target for its process id, version and memory with
// Runtime.evaluate.
func (s *Session) Process(ctx context.Context) (Process, error) {
	yes := true
	res, err := cdp.Call(ctx, s, runtime.Evaluate, runtime.EvaluateParams{
		Expression: processExpr, ReturnByValue: &yes, IncludeCommandLineAPI: &yes, Silent: &yes})
	if err != nil {
		return Process{}, err
	}
	if res.ExceptionDetails != nil {
		return Process{}, fmt.Errorf("%s: the expression threw: %s", runtime.CommandEvaluate, res.ExceptionDetails.Text)
	}
	if res.Result == nil {
		return Process{}, fmt.Errorf("%s: no result", runtime.CommandEvaluate)
	}
	var text string
	if err := jsonv2.Unmarshal(res.Result.Value, &text); err != nil {
		return Process{}, fmt.Errorf("%s: the result is not the expected string: %w", runtime.CommandEvaluate, err)
	}
	var p struct {
		Process
		Limit string `json:"limit"`
	}
	if err := json.Unmarshal([]byte(text), &p); err != nil {
		return Process{}, fmt.Errorf("%s: the result is not the expected object: %w", runtime.CommandEvaluate, err)
	}
	// Node.js says "no limit" as 2^64 or more (a float); anything from
	// 2^62 up is no limit, as cgroup v1's "unlimited" is.
	if f, err := parseFloat(p.Limit); err == nil && f > 0 && f < math.Exp2(62) {
		p.Process.Limit = uint64(f)
	}
	if p.PID <= 0 {
		// Asked between the inspector's start and the end of Node.js's
		// bootstrap, process.pid is not there yet.
		return Process{}, fmt.Errorf("%s: %w", runtime.CommandEvaluate, ErrStarting)
	}
	return p.Process, nil
}

func parseFloat(s string) (float64, error) {
	var f float64
	_, err := fmt.Sscan(s, &f)
	return f, err
}

// HeapUsage returns V8's used and total heap, with Runtime.getHeapUsage.
func (s *Session) HeapUsage(ctx context.Context) (used, total uint64, err error) {
	res, err := cdp.Call(ctx, s, runtime.GetHeapUsage, cdp.Empty{})
	if err != nil {
		return 0, 0, err
	}
	return uint64(res.UsedSize), uint64(res.TotalSize), nil
}

// Memory reads what a memory sample needs: V8's used heap
// (Runtime.getHeapUsage), then the process (Process).
func (s *Session) Memory(ctx context.Context) (heapUsed uint64, p Process, err error) {
	if heapUsed, _, err = s.HeapUsage(ctx); err != nil {
		return 0, Process{}, err
	}
	p, err = s.Process(ctx)
	return heapUsed, p, err
}

// CollectGarbage runs a full garbage collection in the target, with
// HeapProfiler.collectGarbage.
func (s *Session) CollectGarbage(ctx context.Context) error {
	_, err := cdp.Call(ctx, s, heapprofiler.CollectGarbage, cdp.Empty{})
	return err
}

// TakeHeapSnapshot has V8 write a full heap snapshot
// (HeapProfiler.takeHeapSnapshot) and copies it to w chunk by chunk
// (HeapProfiler.addHeapSnapshotChunk) as the chunks arrive: the snapshot is
// never held whole in memory. It returns the bytes written. The process is
// paused while V8 builds and serialises the snapshot. It fails if the
// snapshot did not end as a JSON object ends, so a cut stream is never
// taken for a snapshot.
func (s *Session) TakeHeapSnapshot(ctx context.Context, w io.Writer) (int64, error) {
	out := &writeErr{w: w}
	var first, last byte
	var decodeErr error
	cancel := s.handle(heapprofiler.AddHeapSnapshotChunk.Method, func(v jsonv2.Value) {
		var ev heapprofiler.EventAddHeapSnapshotChunk
		if err := jsonv2.Unmarshal(v, &ev); err != nil {
			if decodeErr == nil {
				decodeErr = fmt.Errorf("%s: %w", heapprofiler.AddHeapSnapshotChunk.Method, err)
			}
			return
		}
		if t := strings.TrimRight(ev.Chunk, " \t\r\n"); t != "" {
			last = t[len(t)-1]
		}
		if t := strings.TrimLeft(ev.Chunk, " \t\r\n"); first == 0 && t != "" {
			first = t[0]
		}
		out.write(ev.Chunk)
	})
	// The handler runs on the reading goroutine and the answer comes after
	// the last chunk: once Call returns, every chunk has been handled.
	no := false
	_, err := cdp.Call(ctx, s, heapprofiler.TakeHeapSnapshot, heapprofiler.TakeHeapSnapshotParams{ReportProgress: &no})
	cancel()
	switch {
	case err != nil:
		if ctx.Err() != nil {
			// V8 goes on writing the snapshot, to this session, after the
			// wait for it ended: closed, the session cannot hand those
			// chunks to a later snapshot's handler, which would write
			// them at the start of another file (found running capture
			// with --timeout under a snapshot's time). The monitor
			// connects again.
			s.Close()
		}
		return out.n, err
	case decodeErr != nil:
		return out.n, decodeErr
	case out.err != nil:
		return out.n, fmt.Errorf("write the snapshot: %w", out.err)
	case out.n == 0 || last != '}':
		return out.n, fmt.Errorf("%s: the snapshot's %d bytes do not end a JSON object: cut short", heapprofiler.CommandTakeHeapSnapshot, out.n)
	case first != '{':
		return out.n, fmt.Errorf("%s: the snapshot's %d bytes do not start a JSON object: another snapshot's chunks came first", heapprofiler.CommandTakeHeapSnapshot, out.n)
	}
	return out.n, nil
}

// StartSampling starts V8's sampling heap profiler
// (HeapProfiler.startSampling), sampling an allocation every interval bytes
// on average (0: V8's default, 32 KiB).
func (s *Session) StartSampling(ctx context.Context, interval int64) error {
	_, err := cdp.Call(ctx, s, heapprofiler.StartSampling, heapprofiler.StartSamplingParams{SamplingInterval: float64(interval)})
	return err
}

// SamplingProfile returns the sampling heap profile collected since
// StartSampling, as the JSON V8 sends ({"head": ..., "samples": ...}: the
// format of node --heap-prof's .heapprofile files). With stop it also stops
// the profiler (HeapProfiler.stopSampling); otherwise it keeps sampling
// (HeapProfiler.getSamplingProfile).
func (s *Session) SamplingProfile(ctx context.Context, stop bool) (jsonv2.Value, error) {
	var res struct {
		Profile jsonv2.Value `json:"profile"`
	}
	method := heapprofiler.CommandGetSamplingProfile
	if stop {
		method = heapprofiler.CommandStopSampling
	}
	if err := s.Call(ctx, method, cdp.Empty{}, &res); err != nil {
		return nil, err
	}
	if len(res.Profile) == 0 || res.Profile[0] != '{' {
		return nil, fmt.Errorf("%s: no profile in the answer", method)
	}
	return res.Profile, nil
}
