// chromium-page.mjs: a heap snapshot of a page in headless Chromium, taken
// over the DevTools protocol, for heapdiff's tests of detached DOM nodes.
//
//   node --experimental-websocket chromium-page.mjs SCRIPT.js OUT.heapsnapshot
//
// It opens about:blank, evaluates SCRIPT.js in the page, collects garbage
// and writes HeapProfiler.takeHeapSnapshot's chunks to OUT. CHROMIUM names
// the browser (default /usr/bin/chromium).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const [script, out] = process.argv.slice(2);
const profileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chromium-page-'));
const chrome = spawn(process.env.CHROMIUM || '/usr/bin/chromium',
  ['--headless=new', '--no-sandbox', '--disable-gpu', '--remote-debugging-port=0', `--user-data-dir=${profileDir}`, 'about:blank'],
  { stdio: ['ignore', 'ignore', 'pipe'] });
try {
  let log = '';
  const wsURL = await new Promise((resolve, reject) => {
    chrome.stderr.on('data', (d) => { log += d; const m = log.match(/ws:\/\/\S+/); if (m) resolve(m[0]); });
    chrome.on('exit', () => reject(new Error('chromium exited: ' + log)));
    setTimeout(() => reject(new Error('chromium gave no DevTools URL: ' + log)), 30000);
  });
  const targets = await (await fetch(`http://127.0.0.1:${new URL(wsURL).port}/json/list`)).json();
  const ws = new WebSocket(targets.find((t) => t.type === 'page').webSocketDebuggerUrl);
  await new Promise((r) => ws.addEventListener('open', r));
  let id = 0;
  const pending = new Map();
  const chunks = [];
  ws.addEventListener('message', (ev) => {
    const m = JSON.parse(ev.data);
    if (m.id && pending.has(m.id)) { pending.get(m.id)(m); pending.delete(m.id); }
    else if (m.method === 'HeapProfiler.addHeapSnapshotChunk') chunks.push(m.params.chunk);
  });
  const send = (method, params = {}) => new Promise((resolve, reject) => {
    const i = ++id;
    pending.set(i, (m) => (m.error ? reject(new Error(method + ': ' + m.error.message)) : resolve(m.result)));
    ws.send(JSON.stringify({ id: i, method, params }));
  });
  const r = await send('Runtime.evaluate', { expression: fs.readFileSync(script, 'utf8'), awaitPromise: true });
  if (r.exceptionDetails) throw new Error('page script: ' + JSON.stringify(r.exceptionDetails));
  await send('HeapProfiler.enable');
  await send('HeapProfiler.collectGarbage');
  await send('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
  fs.writeFileSync(out, chunks.join(''));
  ws.close();
} finally {
  if (chrome.exitCode === null) {
    const exited = new Promise((r) => chrome.once('exit', r));
    chrome.kill();
    await exited;
  }
  fs.rmSync(profileDir, { recursive: true, force: true });
}
