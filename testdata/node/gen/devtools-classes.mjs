// devtools-classes.mjs: Chrome DevTools' own Summary and Comparison rows by
// class for a heap snapshot or a pair of them, as JSON, for heapdiff's tests to
// compare with. DevTools' heap snapshot worker is bundled from the npm
// package chrome-devtools-frontend (see generate.sh, which builds it with
// the scripts of ../shared/devtools-oracle); its module is the first
// argument.
//
//   node devtools-classes.mjs DEVTOOLS-HEAP.mjs OUT.json BASE [TARGET]
//
// Rows are keyed as DevTools keys them (classKeyInternal): objects whose
// constructor has a location by "scriptId,line,column,name", the others by
// ",name". Interface definitions (DevTools' names for plain objects by their
// properties, "{a, b}") are off, as heapdiff does not infer them.
import fs from 'node:fs';
import zlib from 'node:zlib';
import { MessageChannel } from 'node:worker_threads';

const [modPath, out, ...paths] = process.argv.slice(2);
const { HeapSnapshotLoader, SecondaryInitManager } = await import(new URL(modPath, 'file://' + process.cwd() + '/').href);

async function load(file) {
  const loader = new HeapSnapshotLoader({ sendEvent() {} });
  let data = fs.readFileSync(file);
  if (data[0] === 0x1f && data[1] === 0x8b) data = zlib.gunzipSync(data);
  for (let off = 0; off < data.length; off += 1 << 22) loader.write(data.subarray(off, off + (1 << 22)).toString('utf8'));
  loader.close();
  const { port1, port2 } = new MessageChannel();
  new SecondaryInitManager(port2);
  const snap = await loader.buildSnapshot(port1);
  port1.close(); port2.close();
  snap.applyInterfaceDefinitions([]);
  return snap;
}

const snaps = [];
for (const p of paths) snaps.push(await load(p));
const summaries = snaps.map((s) => s.aggregatesWithFilter({}));
const diff = snaps.length === 2 ? snaps[1].calculateSnapshotDiff(1, snaps[0].aggregatesForDiff('[]')) : {};

const rows = {};
const row = (k, name) => rows[k] ??= { key: k, name, location: k.startsWith(',') ? null : k.split(',').slice(0, 3).map(Number) };
// ids tell the tests which of their rows is which: the smallest id of a
// row's objects, and the sum of them all.
function ids(snap, idxs) {
  const node = snap.createNode(0);
  let min = Infinity, sum = 0;
  for (const i of idxs) { node.nodeIndex = i; const id = node.id(); min = Math.min(min, id); sum += id; }
  return { minId: min, idSum: sum };
}
snaps.forEach((snap, i) => {
  for (const [k, a] of Object.entries(summaries[i])) {
    row(k, a.name)[i ? 'target' : 'base'] = { count: a.count, self: a.self, retained: a.maxRet, ...ids(snap, a.idxs) };
  }
});
for (const [k, d] of Object.entries(diff)) {
  row(k, d.name).diff = { added: d.addedCount, removed: d.removedCount, addedSize: d.addedSize, removedSize: d.removedSize };
}
const result = {
  devtools: 'chrome-devtools-frontend ' + (process.env.DEVTOOLS_VERSION || '?'),
  files: paths.map((p) => p.split('/').pop()),
  rows: Object.values(rows).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.key < b.key ? -1 : 1)),
};
// One row a line, so that a change reads as a diff.
const lines = result.rows.map((r) => ' ' + JSON.stringify(r));
fs.writeFileSync(out, `{"devtools": ${JSON.stringify(result.devtools)},\n "files": ${JSON.stringify(result.files)},\n "rows": [\n${lines.join(',\n')}\n]}\n`);
