// bun-named.js: heap snapshots that Bun names itself, for heapdiff's tests.
//
//   bun bun-named.js N    takes N snapshots a little over a second apart
//                         with v8.writeHeapSnapshot() and no file name, in
//                         the working directory, keeping 1000 more objects
//                         of class Entry before each
//
// Bun names them Heap-YYYYMMDD-HHMMSS-PID-THREAD.heapsnapshot (the month
// counted from 0), one name a second: hence the pause. Run twice, it gives
// two processes' snapshots. Each run adds to facts.json what the names
// should say: the process id, the time zone's offset and the times (ms
// since 1970) between which each snapshot was written.
const fs = require('fs');
const v8 = require('v8');

class Entry {
  constructor(id) {
    this.id = id;
  }
}

const kept = [];
const n = Number(process.argv[2]);
const run = {pid: process.pid, utcOffsetMinutes: -new Date().getTimezoneOffset(), snapshots: []};
for (let i = 0; i < n; i++) {
  if (i > 0) Bun.sleepSync(1100);
  for (let j = 0; j < 1000; j++) kept.push(new Entry(kept.length));
  Bun.gc(true);
  const from = Date.now();
  const file = v8.writeHeapSnapshot();
  run.snapshots.push({file, from, to: Date.now()});
}
const facts = fs.existsSync('facts.json') ? JSON.parse(fs.readFileSync('facts.json', 'utf8')) : {processes: []};
facts.processes.push(run);
fs.writeFileSync('facts.json', JSON.stringify(facts, null, 1) + '\n');
