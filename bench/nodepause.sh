#!/usr/bin/env bash
# Measures how long a heap snapshot taken by "heapdiff capture node://"
# pauses a Node.js process, by heap size: a process holding N small objects
# (each a class instance with a string and an array, as a bot's sessions
# are) is snapshotted once per size, and the pause capture logs is printed
# with the heap used and the file's size. The pause is the time V8 spends
# building and serialising the snapshot, which capture streams to disk as
# it comes; the process answers nothing meanwhile.
#
#   bash bench/nodepause.sh                # 100k, 1M and 3M objects
#   SIZES="500000" bash bench/nodepause.sh
#
# It needs node (Debian's nodejs) and builds heapdiff into a temporary
# directory; nothing is written into the repository.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
(cd "$repo" && go build -o "$work/heapdiff" ./cmd/heapdiff)
cat >"$work/hold.js" <<'JS'
class Session { constructor(i) { this.user = "user-" + i; this.history = [i, i + 1]; } }
const kept = [];
for (let i = 0; i < Number(process.argv[2]); i++) kept.push(new Session(i));
console.log("ready");
setInterval(() => kept.length, 1000);
JS
printf '%-10s %-12s %-12s %s\n' objects heap_used file pause
for n in ${SIZES:-100000 1000000 3000000}; do
  node --inspect=127.0.0.1:0 --max-old-space-size=4096 "$work/hold.js" "$n" >"$work/out" 2>"$work/err" &
  pid=$!
  until grep -q ready "$work/out" 2>/dev/null; do sleep 0.1; done
  addr="$(grep -o 'ws://[^/]*' "$work/err" | head -1 | cut -c6-)"
  rm -rf "$work/snaps"
  "$work/heapdiff" capture "node://$addr" --dir "$work/snaps" 2>"$work/log" >/dev/null
  pause="$(grep -o 'paused [^ ]*' "$work/log" | cut -d' ' -f2)"
  heap="$(grep -o 'heap used [^,]*' "$work/log" | head -1 | cut -d' ' -f3-)"
  size="$(du -h "$work"/snaps/*.heapsnapshot | cut -f1)"
  printf '%-10s %-12s %-12s %s\n' "$n" "$heap" "$size" "$pause"
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
done
