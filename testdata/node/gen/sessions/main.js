'use strict';
// main.js: two modules' same-named classes and functions, closures with and
// without a name, and snapshots named by Node.js itself, for heapdiff's tests.
//
//   node --track-heap-objects --heapsnapshot-signal=SIGUSR2 \
//        --diagnostic-dir=OUTDIR main.js OUTDIR
//
// Run it in OUTDIR. It takes the first snapshot by sending itself SIGUSR2 and
// the second with v8.writeHeapSnapshot() and no file name (which writes in
// the working directory, not in --diagnostic-dir), so Node.js names both
// Heap.YYYYMMDD.HHMMSS.PID.THREAD.SEQ.heapsnapshot, at least a second apart.
// OUTDIR/facts.json records what the names should say: the process id, the
// time zone's offset, and the times (ms since 1970) between which each
// snapshot was written.
// Between the two snapshots exactly:
//   - session-a.js's Session: 1000 more are made and kept (1000 -> 2000);
//   - session-b.js's Session: the 1000 kept are dropped and 1000 new ones
//     kept instead (1000 -> 1000: 1000 new, 1000 deleted);
//   - each Session allocates one object in its module's function set;
//   - 2000 closures named onBroadcast and 500 anonymous ones are kept.
const fs = require('fs');
const v8 = require('v8');
const a = require('./session-a.js');
const b = require('./session-b.js');

const N = 1000;
const kept = {a: [], b: [], handlers: []};
let nextID = 0;

function makeA(n) {
  for (let i = 0; i < n; i++) kept.a.push(new a.Session(nextID++));
}

function replaceB(n) {
  kept.b = [];
  for (let i = 0; i < n; i++) kept.b.push(new b.Session(nextID++));
}

function subscribe(n, m) {
  for (let i = 0; i < n; i++) {
    const id = i;
    kept.handlers.push(function onBroadcast() { return id; });
  }
  for (let i = 0; i < m; i++) {
    const id = i;
    kept.handlers.push(() => id);
  }
}

const dir = process.argv[2] || '.';
const snapshots = () => fs.readdirSync(dir).filter((f) => f.endsWith('.heapsnapshot'));
const facts = {pid: process.pid, utcOffsetMinutes: -new Date().getTimezoneOffset(), snapshots: []};

async function main() {
  makeA(N);
  replaceB(N);
  const before = snapshots();
  let from = Date.now();
  process.kill(process.pid, 'SIGUSR2');
  while (snapshots().length === before.length) await new Promise((r) => setTimeout(r, 20));
  const first = snapshots().find((f) => !before.includes(f));
  facts.snapshots.push({file: first, from, to: Date.now()});
  // Node.js names files by the second: keep the two names apart in time.
  await new Promise((r) => setTimeout(r, 1100));
  makeA(N);
  replaceB(N);
  subscribe(2 * N, N / 2);
  from = Date.now();
  const second = v8.writeHeapSnapshot();
  facts.snapshots.push({file: require('path').basename(second), from, to: Date.now()});
  fs.writeFileSync(dir + '/facts.json', JSON.stringify({processes: [facts]}, null, 1) + '\n');
  console.log(`a=${kept.a.length} b=${kept.b.length} handlers=${kept.handlers.length}`);
}

main();
