// Package agent lets a Go service snapshot its own heap, for heapdiff to
// compare later: on a signal, on a schedule, on demand, and when memory grows.
//
//	a, err := agent.Start(agent.Dir("/var/lib/mybot/heap"), agent.Every(30*time.Minute))
//	if err != nil { ... }          // only for an invalid option
//	defer a.Close()
//
// Then "kill -USR2 <pid>" writes a snapshot, and "heapdiff compare" reads any
// two of them. With no code at all, import _ "github.com/heapdiff/heapdiff/agent/auto"
// and configure it with HEAPDIFF_* environment variables.
//
// # Snapshots
//
// A snapshot is the runtime's heap profile in pprof's gzipped protobuf format,
// taken right after a garbage collection (so it describes the heap now, not as
// of the last GC; see [GCBeforeCapture]). It is written to a temporary file,
// synced and renamed, so a crash never leaves a partial file under a final
// name. Names sort by time and say what they are:
//
//	heap-20261126T154210Z-bot1-4242-0007-signal.pb.gz
//
// (UTC time, host, pid, sequence, trigger; see package snapshot). The profile's
// comments carry metadata, as "heapdiff.key=value": trigger, RSS, live heap,
// heap goal, goroutines (runtime.NumGoroutine at capture time), GOMEMLIMIT,
// container limit, Go version, main module, host, pid, the growth rates and
// R² of the live heap and of RSS, the baseline's file name, and gauges.
// "heapdiff compare" and "pprof -comments" show them.
//
// A capture reuses its buffers, gzip reader and writer from one capture to
// the next, so the agent's own share of the service's allocations is a few
// KiB per capture; runtime/pprof allocates about 1.3 MiB more to write the
// profile (its own gzip writer, which it does not let a caller reuse).
//
// One capture runs at a time. Captures asked for from outside (signals, POST to
// the handler) closer than [MinInterval] are dropped and counted, so a storm
// of signals yields a snapshot or two, never a full disk. Retention ([Keep],
// [MaxBytes], [MaxAge]) removes the oldest snapshots but always keeps the
// baseline (see [BaselineAfter]), the latest snapshot, and the snapshots the
// last [AlertSnapshotsKept] alerts named, so the files an alert or the
// summary names still exist; it never touches a file whose name the agent
// did not write. It counts and removes only snapshots named with this
// host, so replicas on other hosts sharing a directory never remove each
// other's files; of another process on this host (a restart's earlier run,
// or a sibling sharing the directory), it keeps the baseline and the latest
// snapshot while that process runs (on Unix, where the agent can tell).
// A directory removed while the service runs (a cleaner of /tmp) is made
// again at the next capture. Errors (a file in the directory's way, a
// read-only directory, a full disk) are logged once per cause and counted;
// they never stop or slow the service.
// A directory the agent creates gets mode 0700. The default one ([DefaultDir])
// sits in the shared temporary directory, where another local user could make
// it first: the agent refuses it, with one log line, when it is a symbolic
// link, owned by another user, or writable by group or others, and does the
// same for any directory in a folder every user can write to.
//
// # Watching memory
//
// Every [SampleEvery] the agent reads, without stopping the world: RSS (from
// /proc/self/status on Linux, a runtime/metrics estimate elsewhere), the live
// heap, the heap goal, memory mapped by the runtime, goroutines and GC cycles.
// It knows the memory limit from GOMEMLIMIT and from the container's cgroup
// (v1 or v2). After a warm-up ([Warmup], 5 minutes by default) it fits the
// live heap and RSS against time by least squares over [GrowthWindow] and
// reports each one's growth in bytes per hour with its R², which tells a
// steady climb from noise. Triggers ([RSSAbove], [LimitAbove], [GrowthAbove]
// on the live heap, [RSSGrowthAbove], and [Gauge] thresholds) each alert and
// take a snapshot when they fire, then stay quiet for [Cooldown]; the memory
// triggers wait for warm-up to end. An alert names the pair to compare, the
// baseline and its own snapshot, as a heapdiff command with absolute paths
// quoted for a shell. [Agent.Close] logs a summary of the run.
//
// # Telling people
//
// Alerts and errors go to the [Logger] the service gives (silent otherwise)
// and, with [Webhook], to a Slack-compatible endpoint. [Agent.Handler] serves a
// JSON summary, the snapshot list and downloads, and capture-now, for an
// internal admin listener. [Agent.Stats] returns the same summary to code; the
// subpackage agent/prom exports it to Prometheus.
//
// # Dependencies
//
// The agent is a module of its own, github.com/heapdiff/heapdiff/agent, apart
// from heapdiff's command-line tool, and it requires no other module: agent,
// agent/snapshot and agent/auto import only the standard library. So
// importing it adds nothing to a service's module graph but the agent itself,
// and nothing to its binary but the agent's own packages; a test builds such
// a service, offline, and checks both. It needs Go 1.25 or later. The
// Prometheus exporter, agent/prom, is a separate module that a service
// requires only if it wants it.
package agent
