'use strict';
// retainers.js: objects held in known ways, for heapdiff's retainer paths
// (who keeps what grew alive) and growing collections.
//
//   node retainers.js OUTDIR
//
// writes three snapshots, OUTDIR/retainers-0.heapsnapshot, -1 and -2, with
// v8.writeHeapSnapshot(), and OUTDIR/facts.json: how many objects of each
// class the program keeps at each snapshot, how it holds them, and how many
// entries each collection has. Between two snapshots it adds exactly STEP
// objects of each class (STEP / 3 rings of three CycleNode), and every
// holder is reached from a module variable, a listener or a timer, as
// below. Snapshots are taken in a later task than the one that made the
// objects, so that WeakRef targets are no longer kept alive for the task
// that created them (ECMAScript's KeepDuringJob).
const v8 = require('v8');
const fs = require('fs');
const path = require('path');
const {EventEmitter} = require('events');

const FIRST = 60; // objects of each class before the first snapshot
const STEP = 300; // objects of each class added between two snapshots

class UserSession {
  constructor(id) {
    this.id = id;
    this.name = 'user-' + id;
  }
}
class SessionMeta {
  constructor(id) {
    this.seen = id;
  }
}
class ListenerContext {
  constructor(id) {
    this.id = id;
  }
}
class PendingJob {
  constructor(id) {
    this.id = id;
  }
}
class AuthToken {
  constructor(id) {
    this.id = id;
  }
}
class ChainLink {
  constructor(depth, next) {
    this.depth = depth;
    this.next = next;
    this.items = null;
  }
}
class ChainItem {
  constructor(id) {
    this.id = id;
  }
}
class CycleNode {
  constructor(id) {
    this.id = id;
    this.next = null;
  }
}
class RecentEntry {
  constructor(id) {
    this.id = id;
  }
}

// A Map in a module variable: sessions (variable) → Map → UserSession.
const sessions = new Map();
// A WeakMap keyed by the sessions: each SessionMeta lives because its key
// does, and the WeakMap must never be given as what holds it.
const sessionMeta = new WeakMap();
// WeakRefs to every session: weak edges, never a retainer.
const sessionRefs = [];
// A Set in a module variable.
const tokens = new Set();
// A listener array on an EventEmitter: bus (variable) → EventEmitter →
// _events → broadcast → [i] → onBroadcast → ctx (variable) → ListenerContext.
const bus = new EventEmitter();
bus.setMaxListeners(0);
// Buffers in an object used as a dictionary: cache (variable) → Object →
// blob-N → Buffer.
const cache = {};
// A chain of five objects: chain (variable) → ChainLink → next → ChainLink →
// next → ChainLink → next → ChainLink → next → ChainLink → items → Array →
// [i] → ChainItem.
// The last link is found by walking the chain each time: a variable holding
// it would be a shorter path.
const chain = new ChainLink(1, new ChainLink(2, new ChainLink(3, new ChainLink(4, new ChainLink(5, null)))));
function lastLink() {
  let link = chain;
  while (link.next) link = link.next;
  return link;
}
lastLink().items = [];
// Cycles: rings (variable) → Array → [i] → CycleNode → next → CycleNode →
// next → CycleNode, whose next is the first again.
const rings = [];
// A Map that grows once and is then emptied: it did not grow at every step.
const recent = new Map();

let nextID = 0;

function subscribe(id) {
  const ctx = new ListenerContext(id);
  bus.on('broadcast', function onBroadcast() {
    return ctx.id;
  });
}

// A closure in a timer: one timer per batch, whose callback holds the batch
// (a timer that never fires, as a forgotten retry does).
function schedule(batch) {
  const timer = setTimeout(() => batch.length, 1e9);
  timer.unref();
}

function grow(n, withRecent) {
  const batch = [];
  for (let i = 0; i < n; i++) {
    const id = nextID++;
    const s = new UserSession(id);
    sessions.set(id, s);
    sessionMeta.set(s, new SessionMeta(id));
    sessionRefs.push(new WeakRef(s));
    tokens.add(new AuthToken(id));
    subscribe(id);
    cache['blob-' + id] = Buffer.alloc(64, id % 256);
    lastLink().items.push(new ChainItem(id));
    batch.push(new PendingJob(id));
    if (withRecent) recent.set(id, new RecentEntry(id));
  }
  for (let i = 0; i < n / 3; i++) {
    const a = new CycleNode(3 * i);
    const b = new CycleNode(3 * i + 1);
    const c = new CycleNode(3 * i + 2);
    a.next = b;
    b.next = c;
    c.next = a;
    rings.push(a);
  }
  schedule(batch);
}

// Exported so that the module's scope is reachable as real modules' are,
// through require's cache, and the variables above read as variables.
module.exports = {grow};

// HOLDERS says how the program holds each class, as the end of the path
// from a root to each of its objects, in the names DevTools' Retainers view
// gives: edges as [type, name], objects by name (a class's, a function's,
// "system / Context" for a scope, "" for what has none, such as a Map's hash
// table or an anonymous closure, and "{a, b}" for a plain object, listing its
// properties); "*" in a name matches anything, as in a glob (any element
// index, hash table slot or key). The WeakMap is what DevTools gives as the
// retainer of a SessionMeta (its edge is the shorter): heapdiff must give the
// key instead, through which the WeakMap entry lives. Each holder's count says which
// objects of the class it holds: all of them, each timer's batch, or a third
// of them for the rings' three positions.
const HOLDERS = {
  UserSession: [{count: 'all', path: [['context', 'sessions'], 'Map', ['internal', 'table'], '', ['internal', '*'], 'UserSession']}],
  SessionMeta: [{count: 'all', path: [['context', 'sessions'], 'Map', ['internal', 'table'], '', ['internal', '*'], 'UserSession', ['internal', '* / part of key (UserSession @*) -> value (SessionMeta @*) pair in WeakMap (table @*)'], 'SessionMeta']}],
  AuthToken: [{count: 'all', path: [['context', 'tokens'], 'Set', ['internal', 'table'], '', ['internal', '*'], 'AuthToken']}],
  ListenerContext: [{count: 'all', path: [['context', 'bus'], 'EventEmitter', ['property', '_events'], '{broadcast}', ['property', 'broadcast'], 'Array', ['element', '*'], 'onBroadcast', ['internal', 'context'], 'system / Context', ['context', 'ctx'], 'ListenerContext']}],
  PendingJob: [{count: 'per batch', path: ['Timeout', ['property', '_onTimeout'], '', ['internal', 'context'], 'system / Context', ['context', 'batch'], 'Array', ['element', '*'], 'PendingJob']}],
  Buffer: [{count: 'all made by the program', path: [['context', 'cache'], '{blob-*}', ['property', 'blob-*'], 'Buffer']}],
  ChainItem: [{count: 'all', path: [['context', 'chain'], 'ChainLink', ['property', 'next'], 'ChainLink', ['property', 'next'], 'ChainLink', ['property', 'next'], 'ChainLink', ['property', 'next'], 'ChainLink', ['property', 'items'], 'Array', ['element', '*'], 'ChainItem']}],
  CycleNode: [
    {count: 'a third', path: [['context', 'rings'], 'Array', ['element', '*'], 'CycleNode']},
    {count: 'a third', path: [['context', 'rings'], 'Array', ['element', '*'], 'CycleNode', ['property', 'next'], 'CycleNode']},
    {count: 'a third', path: [['context', 'rings'], 'Array', ['element', '*'], 'CycleNode', ['property', 'next'], 'CycleNode', ['property', 'next'], 'CycleNode']},
  ],
  RecentEntry: [{count: 'all', path: [['context', 'recent'], 'Map', ['internal', 'table'], '', ['internal', '*'], 'RecentEntry']}],
  WeakRef: [{count: 'all made by the program', path: [['context', 'sessionRefs'], 'Array', ['element', '*'], 'WeakRef']}],
};

const tick = () => new Promise((resolve) => setTimeout(resolve, 20));

// counts gives each collection's entries (the objects it references) at a
// snapshot, by the variable that holds it.
function counts() {
  return {
    sessions: sessions.size,
    tokens: tokens.size,
    'bus._events.broadcast': bus.listenerCount('broadcast'),
    cache: Object.keys(cache).length,
    'chain.next.next.next.next.items': lastLink().items.length,
    rings: rings.length,
    recent: recent.size,
    sessionRefs: sessionRefs.length,
  };
}

async function main() {
  const dir = process.argv[2];
  if (!dir) {
    console.error('usage: node retainers.js OUTDIR');
    process.exit(2);
  }
  const facts = {node: process.version, first: FIRST, step: STEP, holders: HOLDERS, snapshots: []};
  grow(FIRST, false);
  for (let k = 0; k < 3; k++) {
    if (k > 0) grow(STEP, k === 1);
    if (k === 2) recent.clear();
    await tick();
    const file = `retainers-${k}.heapsnapshot`;
    v8.writeHeapSnapshot(path.join(dir, file));
    facts.snapshots.push({file, counts: counts()});
  }
  // One holder and one snapshot a line, so that a change reads as a diff.
  fs.writeFileSync(path.join(dir, 'facts.json'), `{"node": ${JSON.stringify(facts.node)}, "first": ${FIRST}, "step": ${STEP},
 "holders": {\n${Object.keys(HOLDERS).map((c) => `  ${JSON.stringify(c)}: [\n${HOLDERS[c].map((h) => '   ' + JSON.stringify(h)).join(',\n')}]`).join(',\n')}},
 "snapshots": [\n${facts.snapshots.map((x) => '  ' + JSON.stringify(x)).join(',\n')}]}\n`);
  console.log(JSON.stringify(facts.snapshots.map((s) => s.counts)));
}

main();
