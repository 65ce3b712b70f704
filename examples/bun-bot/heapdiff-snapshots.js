// heapdiff-snapshots.js: heap snapshots from inside a Bun (or Node.js)
// process, on SIGUSR2 and on a schedule, named so that heapdiff reads their
// time and process. Copy this file next to your code and call it once:
//
//   const { startHeapSnapshots } = require("./heapdiff-snapshots.js");
//   startHeapSnapshots({ dir: "/var/lib/mybot/heap", everyMs: 10 * 60_000, keep: 50 });
//
// then "kill -USR2 <pid>" writes one now, and
//
//   heapdiff trend /var/lib/mybot/heap
//   heapdiff compare /var/lib/mybot/heap/Heap.<first>.heapsnapshot /var/lib/mybot/heap/Heap.<last>.heapsnapshot
//
// Why in-process for Bun: Bun's inspector speaks WebKit's protocol, which
// has no HeapProfiler domain (its Heap.snapshot returns JavaScriptCore's
// format, whole, in one message), and "bun --heapsnapshot-signal=SIGUSR2"
// ends the process. Bun.generateHeapSnapshot("v8") gives V8's format, which
// heapdiff reads; it returns the snapshot as one string, so the process
// holds it whole for the moment it is written.
//
// Each snapshot is written to a hidden temporary file, synced, and renamed
// to Heap.YYYYMMDD.HHMMSS.PID.0.SEQ.heapsnapshot (local time, as Node.js
// names its own), so readers see a whole file or none. Under Bun it carries
// heapdiff's metadata (trigger, time, host, pid, seq, baseline, RSS, heap
// used, runtime), which "heapdiff compare" shows. The first snapshot, taken
// when startHeapSnapshots is called, is the baseline; keep bounds how many
// snapshots this process keeps, never removing the baseline or the latest.
// Options also come from the environment: HEAPDIFF_DIR, HEAPDIFF_EVERY_MS,
// HEAPDIFF_KEEP.
"use strict";

const fs = require("fs");
const os = require("os");
const path = require("path");

function pad(n, width) {
  return String(n).padStart(width || 2, "0");
}

// fileName is Node.js's own pattern, which heapdiff reads (the month counted
// from 1, unlike the names Bun gives its own snapshots).
function fileName(t, pid, seq) {
  const date = `${t.getFullYear()}${pad(t.getMonth() + 1)}${pad(t.getDate())}`;
  const time = `${pad(t.getHours())}${pad(t.getMinutes())}${pad(t.getSeconds())}`;
  return `Heap.${date}.${time}.${pid}.0.${pad(seq, 3)}.heapsnapshot`;
}

function startHeapSnapshots(options) {
  const o = options || {};
  const env = process.env;
  const dir = o.dir || env.HEAPDIFF_DIR || path.join(os.tmpdir(), "heapdiff");
  const everyMs = Number(o.everyMs ?? env.HEAPDIFF_EVERY_MS ?? 0);
  const keep = Number(o.keep ?? env.HEAPDIFF_KEEP ?? 50);
  const signal = o.signal || "SIGUSR2";
  const log = o.log || ((line) => console.error(line));
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });

  const isBun = typeof Bun !== "undefined";
  const runtime = isBun ? `bun ${Bun.version}` : `node ${process.version}`;
  const written = []; // this process's snapshots, oldest first
  let seq = 0;
  let baseline = null;

  function write(file, trigger, at) {
    const final = path.join(dir, file);
    const tmp = path.join(dir, `.${file}.tmp${process.pid}`);
    try {
      if (isBun) {
        const m = process.memoryUsage();
        const meta = [
          `heapdiff.trigger=${trigger}`, `heapdiff.time=${at.toISOString().replace(/\.\d+Z$/, "Z")}`,
          `heapdiff.host=${os.hostname()}`, `heapdiff.pid=${process.pid}`, `heapdiff.seq=${seq}`,
          ...(baseline ? [`heapdiff.baseline=${baseline}`] : []),
          `heapdiff.rss_bytes=${m.rss}`, `heapdiff.heap_used_bytes=${m.heapUsed}`, `heapdiff.runtime=${runtime}`,
        ];
        let snap = Bun.generateHeapSnapshot("v8");
        const i = snap.indexOf('"nodes":');
        if (i > 0) {
          // After the header, before the nodes: where heapdiff reads it and
          // where Chrome DevTools' loader passes over it.
          snap = snap.slice(0, i) + '"heapdiff":' + JSON.stringify(meta) + ",\n" + snap.slice(i);
        }
        const fd = fs.openSync(tmp, "w", 0o600);
        try {
          fs.writeSync(fd, snap);
          fs.fsyncSync(fd);
        } finally {
          fs.closeSync(fd);
        }
      } else {
        require("v8").writeHeapSnapshot(tmp);
      }
      fs.renameSync(tmp, final);
      return final;
    } catch (err) {
      try {
        fs.unlinkSync(tmp);
      } catch (_) {}
      throw err;
    }
  }

  function prune() {
    while (keep > 0 && written.length > keep) {
      const i = written.findIndex((f) => f !== baseline && f !== written[written.length - 1]);
      if (i < 0) return;
      const [old] = written.splice(i, 1);
      try {
        fs.unlinkSync(path.join(dir, old));
      } catch (_) {}
    }
  }

  // take writes one snapshot now and returns its path (null if it failed:
  // the error is logged, and the process goes on).
  function take(trigger) {
    const at = new Date();
    seq++;
    const file = fileName(at, process.pid, seq);
    const began = Date.now();
    try {
      const final = write(file, trigger, at);
      if (!baseline) baseline = file;
      written.push(file);
      prune();
      log(`heapdiff: ${trigger} heap snapshot ${final} (the process was paused ${Date.now() - began} ms)`);
      return final;
    } catch (err) {
      log(`heapdiff: ${trigger} heap snapshot failed: ${err && err.message}`);
      return null;
    }
  }

  const onSignal = () => take("signal");
  process.on(signal, onSignal);
  const timer = everyMs > 0 ? setInterval(() => take("schedule"), everyMs) : null;
  if (timer && timer.unref) timer.unref(); // never keeps the process alive
  take("baseline");
  return {
    take,
    dir,
    stop() {
      if (timer) clearInterval(timer);
      process.off(signal, onSignal);
    },
  };
}

module.exports = { startHeapSnapshots, fileName };
