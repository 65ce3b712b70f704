'use strict';
// main.js: a leak whose bytes sit in buffers that two things hold, and a
// module loaded between two snapshots that defines a class of a name
// another module already uses, for heapdiff's tests.
//
//   node main.js OUTDIR
//
// writes OUTDIR/before.heapsnapshot and OUTDIR/after.heapsnapshot with
// v8.writeHeapSnapshot(), and OUTDIR/facts.json. Between the two exactly:
//   - 1000 more UserSession (user-session.js) are kept in the module's Map
//     sessions (100 -> 1100), each with its own 3000-character profile
//     string and a 26 KiB Buffer, its last upload;
//   - each upload is also kept in the module's array uploads, so neither a
//     session nor the array alone holds it: the module's scope does (it
//     dominates both paths), and what a UserSession retains is its own
//     profile, not the 26 MiB of uploads;
//   - admin-session.js, which also defines class UserSession, is loaded,
//     and 50 of its sessions are kept (0 -> 50).
const fs = require('fs');
const path = require('path');
const v8 = require('v8');
const {UserSession} = require('./user-session.js');

const FIRST = 100;
const MORE = 1000;
const ADMINS = 50;
const UPLOAD = 26 * 1024;

const sessions = new Map();
const uploads = [];
let admins = [];
let nextID = 0;

function login() {
  const id = nextID++;
  // A string of 3000 characters, its own: one flat string (padEnd alone
  // makes a tree of concatenated ones), that compresses.
  const profile = Buffer.from(('user ' + id + ': ').padEnd(3000, 'preferences ')).toString('latin1');
  const upload = Buffer.alloc(UPLOAD, id & 0xff);
  uploads.push(upload);
  sessions.set(id, new UserSession(id, profile, upload));
}

const dir = process.argv[2] || '.';
for (let i = 0; i < FIRST; i++) login();
v8.writeHeapSnapshot(path.join(dir, 'before.heapsnapshot'));
for (let i = 0; i < MORE; i++) login();
const admin = require('./admin-session.js');
admins = Array.from({length: ADMINS}, (_, i) => new admin.UserSession(i));
v8.writeHeapSnapshot(path.join(dir, 'after.heapsnapshot'));
const facts = {
  userSessions: [FIRST, FIRST + MORE],
  adminSessions: [0, admins.length],
  uploadBytes: UPLOAD,
  profileChars: 3000,
};
fs.writeFileSync(path.join(dir, 'facts.json'), JSON.stringify(facts, null, 1) + '\n');
