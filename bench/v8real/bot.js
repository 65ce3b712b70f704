'use strict';
// bot.js: the heap of a chat bot that leaks its sessions, written as two real
// V8 heap snapshots for bench/v8real.sh.
//
//   node --max-old-space-size=4096 bot.js OUTDIR [SESSIONS_A SESSIONS_B]
//
// The bot keeps a Map of sessions by id. Each session holds what a real one
// does: strings built at run time (user name, e-mail, tags), an array of
// message objects with their text, a Map of per-session state, a Buffer, a
// timer-like record and a closure that handles the next message. Users, a
// cache of rendered replies (strings and arrays of numbers) and a list of
// event handlers (closures) sit beside them. The snapshot OUTDIR/a.heapsnapshot
// is written after SESSIONS_A sessions, OUTDIR/b.heapsnapshot after
// SESSIONS_B (the sessions are never closed: the leak). Everything is made
// from a seeded generator, so a run makes the same heap each time, up to
// V8's own objects. The defaults give about 160 MB and 215 MB with Node 20.
const fs = require('fs');
const path = require('path');
const v8 = require('v8');

const outDir = process.argv[2];
const counts = [Number(process.argv[3] || 44000), Number(process.argv[4] || 59000)];
if (!outDir || !(counts[0] > 0 && counts[1] > counts[0])) {
  console.error('usage: node bot.js OUTDIR [SESSIONS_A SESSIONS_B], with SESSIONS_B > SESSIONS_A');
  process.exit(2);
}
fs.mkdirSync(outDir, {recursive: true});

// A small linear congruential generator: the same numbers every run.
let seed = 42;
function rand(n) {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed % n;
}

const words = ['hello', 'order', 'status', 'refund', 'invoice', 'shipping', 'cancel', 'help',
  'account', 'password', 'reset', 'delivery', 'tracking', 'payment', 'coupon', 'support'];
function sentence(n) {
  const w = [];
  for (let i = 0; i < n; i++) w.push(words[rand(words.length)]);
  return w.join(' ');
}

class User {
  constructor(id) {
    this.id = id;
    this.name = 'user-' + id.toString(36);
    this.email = this.name + '@example.' + ['com', 'org', 'net'][id % 3];
    this.prefs = {lang: ['en', 'de', 'fr'][id % 3], notify: id % 2 === 0, tz: (id % 24) - 12};
  }
}

class Message {
  constructor(from, text, at) {
    this.from = from;
    this.text = text;
    this.at = at;
    this.reactions = rand(4) === 0 ? [rand(100), rand(100)] : null;
  }
}

class Session {
  constructor(id, user) {
    this.id = 'sess-' + id;
    this.user = user;
    this.startedAt = 1764000000000 + id * 1000;
    this.tags = [words[rand(words.length)], words[rand(words.length)], 'v' + rand(10)];
    this.history = [];
    for (let i = 0, n = 3 + rand(5); i < n; i++) {
      this.history.push(new Message(i % 2 ? 'bot' : user.name, sentence(4 + rand(8)), this.startedAt + i));
    }
    this.state = new Map([['step', rand(7)], ['topic', words[rand(words.length)]]]);
    this.buffer = Buffer.alloc(64 + rand(192), id & 0xff);
    this.timer = {due: this.startedAt + 60000, repeat: rand(2) === 0};
    this.onMessage = (text) => {
      this.history.push(new Message(this.user.name, text, Date.now()));
      return this.history.length;
    };
  }
}

const sessions = new Map();
const users = new Map();
const replies = new Map();
const handlers = [];
let nextID = 0;

function openSessions(until) {
  while (nextID < until) {
    const id = nextID++;
    const uid = id % 50000;
    let user = users.get(uid);
    if (!user) {
      user = new User(uid);
      users.set(uid, user);
    }
    const s = new Session(id, user);
    sessions.set(s.id, s);
    if (id % 4 === 0) {
      const key = 'reply:' + s.tags[0] + ':' + (id % 20000);
      replies.set(key, {text: sentence(6), scores: Array.from({length: 8}, () => rand(1000))});
    }
    if (id % 10 === 0) {
      const n = id;
      handlers.push(function onEvent(e) { return e === n; });
    }
  }
}

for (const [i, n] of counts.entries()) {
  openSessions(n);
  const file = path.join(outDir, ['a', 'b'][i] + '.heapsnapshot');
  v8.writeHeapSnapshot(file);
  console.log(`${file}: ${sessions.size} sessions, ${fs.statSync(file).size} bytes`);
}
