// bot.js is a small chat bot for trying "heapdiff capture node://": it
// handles a message every --tick milliseconds and, with --leak, keeps every
// user's session forever in a Map nobody prunes, the commonest leak there is.
// Without --leak it keeps the last 500 sessions only (an LRU that fills and
// then holds), so its memory is flat.
//
//   node --inspect=127.0.0.1:9229 examples/node-bot/bot.js --leak
//   heapdiff capture node://127.0.0.1:9229 --every 1m --dir snaps/
//   heapdiff trend snaps/
//
// Options: --leak, --tick MS (default 10), --size BYTES of history kept per
// session (default 2048). It needs no package and changes nothing outside
// its process; it prints one line when it starts and stops on SIGTERM or
// SIGINT.
"use strict";

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? Number(args[i + 1]) : def;
};
const leak = args.includes("--leak");
const tick = opt("--tick", 10);
const size = opt("--size", 2048);

// A user's conversation: what the leak keeps.
class ChatSession {
  constructor(user) {
    this.user = user;
    this.started = Date.now();
    this.history = [];
  }
  add(text) {
    this.history.push(text);
  }
}

const sessions = new Map(); // user -> ChatSession
const lruLimit = 500;
let next = 0;

function handle() {
  // Each message comes from a new user (think: a bot in a busy channel).
  const user = "user-" + next++;
  const s = new ChatSession(user);
  s.add("x".repeat(size) + user); // a distinct string, not shared
  sessions.set(user, s);
  if (!leak && sessions.size > lruLimit) {
    sessions.delete(sessions.keys().next().value); // oldest first
  }
  // Per-message garbage, dropped at once: not a leak.
  const reply = JSON.stringify({ to: user, text: "ok", at: Date.now() });
  return reply.length;
}

const timer = setInterval(handle, tick);
const stop = () => {
  clearInterval(timer);
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
console.log(`bot ${process.pid} ${leak ? "leaking" : "flat"}: a message every ${tick} ms`);
