// devtools-retainers.mjs: Chrome DevTools' own retainer chains for the
// objects of some classes in heap snapshots, as JSON, for heapdiff's tests
// to compare its retainer paths with. DevTools' heap snapshot worker is
// bundled from the npm package chrome-devtools-frontend (see generate.sh,
// which builds it with the scripts of ../shared/devtools-oracle); its module
// is the first argument.
//
//   node devtools-retainers.mjs DEVTOOLS-HEAP.mjs OUT.json CLASS,CLASS,... SNAPSHOT...
//
// The chain is what DevTools' Retainers view shows when an object is
// selected: it lists the object's retainers (edges into it, weak ones and
// the synthetic root's left out) sorted by distance from the roots, then by
// the retaining object's name, and expands the first one, level after level
// (HeapSnapshotRetainingObjectNode.expandRetainersChain), until it reaches
// an object at distance 1 (a user root, the global object), one with no
// retainers, or 20 levels. The script asks DevTools' own provider for that
// order (createRetainingEdgesProvider, sorted by !edgeDistance then name)
// rather than re-implementing it.
//
// Since an object's first retainer does not depend on where the walk came
// from, the output keeps it once per object: for each snapshot,
//   "first": {"ID": [edgeType, edgeName, retainerID], ...}   every object on a chain
//   "distance": {"ID": n, ...}                               DevTools' distance of each
//   "name": {"ID": "...", ...}                              DevTools' name of each retainer
//   "classes": {"CLASS": [ID, ...]}                          the objects of each class asked for
// A chain is read by following "first" from an object's id for at most 20
// steps, stopping after a retainer whose distance is 1 or that has no entry.
// "first" and "distance" also hold every fifth node of the snapshot (in the
// order of its nodes), so that the tests compare more than the chains.
import fs from 'node:fs';
import zlib from 'node:zlib';
import { MessageChannel } from 'node:worker_threads';

const [modPath, out, classList, ...paths] = process.argv.slice(2);
if (!paths.length) {
  console.error('usage: node devtools-retainers.mjs DEVTOOLS-HEAP.mjs OUT.json CLASS,... SNAPSHOT...');
  process.exit(2);
}
const wanted = new Set(classList.split(','));
const { HeapSnapshotLoader, SecondaryInitManager, HeapSnapshotModel } = await import(new URL(modPath, 'file://' + process.cwd() + '/').href);

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

// The Retainers view's default order: distance ascending, then the
// retaining object's name.
const order = new HeapSnapshotModel.ComparatorConfig('!edgeDistance', true, 'name', true);
const maxLevels = 20; // expandRetainersChain(20)
const sample = 5;
const unreachable = 2 * 100000000; // baseUnreachableDistance

const result = { devtools: 'chrome-devtools-frontend ' + (process.env.DEVTOOLS_VERSION || '?'), snapshots: [] };
for (const p of paths) {
  const snap = await load(p);
  const first = {}, distance = {}, name = {}, classes = {};
  const firstOf = (nodeIndex) => {
    const provider = snap.createRetainingEdgesProvider(nodeIndex);
    provider.sortAndRewind(order);
    const items = provider.serializeItemsRange(0, 1).items;
    return items.length ? items[0] : null;
  };
  for (const agg of Object.values(snap.aggregatesWithFilter({}))) {
    if (!wanted.has(agg.name)) continue;
    const ids = (classes[agg.name] ??= []);
    for (const idx of agg.idxs) {
      const node = snap.createNode(idx);
      ids.push(node.id());
      let id = node.id(), nodeIndex = idx;
      distance[id] = snap.getDistanceForRetainersView(nodeIndex);
      for (let level = 0; level < maxLevels && !(id in first); level++) {
        const e = firstOf(nodeIndex);
        if (!e) break;
        first[id] = [e.type, String(e.name), e.node.id];
        distance[e.node.id] = e.node.distance;
        name[e.node.id] = e.node.name;
        if (!(e.node.distance > 1 && e.node.distance < unreachable)) break;
        id = e.node.id;
        nodeIndex = e.node.nodeIndex;
      }
    }
  }
  // Beyond the chains, a sample of every node: one in every `sample`, in
  // the order of the file.
  const node = snap.createNode(0);
  for (let idx = 0; idx < snap.nodes.length; idx += sample * snap.nodeFieldCount) {
    node.nodeIndex = idx;
    if (node.id() in first) continue;
    const e = firstOf(idx);
    if (!e) continue;
    first[node.id()] = [e.type, String(e.name), e.node.id];
    distance[node.id()] = snap.getDistanceForRetainersView(idx);
    distance[e.node.id] = e.node.distance;
  }
  for (const ids of Object.values(classes)) ids.sort((a, b) => a - b);
  result.snapshots.push({ file: p.split('/').pop(), classes, first, distance, name });
  console.error(`${p}: ${Object.keys(first).length} retainers`);
}
fs.writeFileSync(out, JSON.stringify(result) + '\n');
