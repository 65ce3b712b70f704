'use strict';
// leaky.js: a small deterministic leak for heapdiff's tests.
//
//   node leaky.js snapshot OUTDIR N   writes OUTDIR/before.heapsnapshot and
//                                     OUTDIR/after.heapsnapshot, N leaks apart
//   node --heap-prof ... leaky.js run N   leaks N sessions, then exits
//   node leaky.js pprof OUTDIR N      writes @datadog/pprof heap profiles
//
// Between the two snapshots exactly N LeakySession objects are created and
// kept in a Map, N closures are pushed on an array, and 500 TransientRecord
// objects are created and dropped. 50 StableRecord objects live throughout.
const v8 = require('v8');
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');

class LeakySession {
  constructor(id) {
    this.id = id;
    this.payload = new Array(16).fill(id);
  }
}

class TransientRecord {
  constructor(i) {
    this.text = 'transient-' + i;
  }
}

class StableRecord {
  constructor(i) {
    this.n = i;
  }
}

const sessions = new Map();
const handlers = [];
const stable = [];
let nextID = 0;

function leak(n) {
  for (let i = 0; i < n; i++) {
    const id = nextID++;
    sessions.set(id, new LeakySession(id));
    handlers.push(() => id);
  }
}

function churn(n) {
  let tmp = [];
  for (let i = 0; i < n; i++) {
    tmp.push(new TransientRecord(i));
  }
  tmp = null;
  return n;
}

for (let i = 0; i < 50; i++) {
  stable.push(new StableRecord(i));
}

const [mode, arg1, arg2] = process.argv.slice(2);
switch (mode) {
  case 'snapshot': {
    const n = Number(arg2);
    leak(100);
    v8.writeHeapSnapshot(path.join(arg1, 'before.heapsnapshot'));
    leak(n);
    churn(500);
    v8.writeHeapSnapshot(path.join(arg1, 'after.heapsnapshot'));
    break;
  }
  case 'run': {
    leak(Number(arg1));
    churn(500);
    // --heap-prof writes its profile at exit, after the main module has
    // returned: only what is still reachable then is in it. A server's
    // state stays reachable through its handles; here, through a global.
    globalThis.leaky = {sessions, handlers, stable};
    break;
  }
  case 'pprof': {
    const pprof = require('@datadog/pprof');
    const n = Number(arg2);
    pprof.heap.start(32 * 1024, 64);
    leak(100);
    const write = (name) => {
      const buf = pprof.encodeSync(pprof.heap.profile());
      fs.writeFileSync(path.join(arg1, name), buf);
    };
    write('before.pb.gz');
    leak(n);
    churn(500);
    write('after.pb.gz');
    pprof.heap.stop();
    break;
  }
  default:
    console.error('usage: leaky.js snapshot|run|pprof ...');
    process.exit(2);
}
console.log(`sessions=${sessions.size} handlers=${handlers.length} stable=${stable.length}`);
