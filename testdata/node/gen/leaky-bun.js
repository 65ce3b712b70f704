// leaky-bun.js: the leak of leaky.js, snapshotted by Bun.
//
//   bun leaky-bun.js OUTDIR N   writes OUTDIR/bun-before.heapsnapshot and
//                               OUTDIR/bun-after.heapsnapshot (V8 format),
//                               N leaks apart, and OUTDIR/bun-jsc.json (JSC's
//                               default "Inspector" format)
class LeakySession {
  constructor(id) {
    this.id = id;
    this.payload = new Array(16).fill(id);
  }
}

const sessions = new Map();
const handlers = [];
let nextID = 0;

function leak(n) {
  for (let i = 0; i < n; i++) {
    const id = nextID++;
    sessions.set(id, new LeakySession(id));
    handlers.push(() => id);
  }
}

const [outdir, arg] = process.argv.slice(2);
const n = Number(arg);
const write = (name, format) => {
  Bun.gc(true);
  const snap = Bun.generateHeapSnapshot(format);
  const text = typeof snap === 'string' ? snap : JSON.stringify(snap);
  require('fs').writeFileSync(require('path').join(outdir, name), text);
};
leak(100);
write('bun-before.heapsnapshot', 'v8');
leak(n);
write('bun-after.heapsnapshot', 'v8');
write('bun-jsc.json');
console.log(`sessions=${sessions.size} handlers=${handlers.length}`);
