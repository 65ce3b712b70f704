#!/usr/bin/env bash
# generate.sh regenerates testdata/node/ with the real runtimes:
#   bash testdata/node/gen/generate.sh [CASE...]
# CASE is leaky (the leaky, tracked, heapprofile, datadog and bun files),
# sessions, usersessions, bun-named, chromium or retainers; all of them when
# none is given. It needs Node.js 20, network access to the npm registry (for
# @datadog/pprof, bun, and DevTools' front end) and, for chromium, Chromium;
# sessions, chromium and retainers also run DevTools' own heap snapshot code
# on their snapshots, built with the scripts of DEVTOOLS_ORACLE (default
# ../shared/devtools-oracle beside the repository). Tests and CI only read
# the committed outputs.
set -euo pipefail
gen="$(cd "$(dirname "$0")" && pwd)"
out="$(dirname "$gen")"
repo="$(cd "$out/../.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
N=1000
cases=("$@")
[ ${#cases[@]} -gt 0 ] || cases=(leaky sessions usersessions bun-named chromium retainers)

# npm packages, once: @datadog/pprof and bun.
packages() {
  [ -d "$work/node_modules/bun" ] && return
  (cd "$work" && npm init -y >/dev/null && npm install --no-audit --no-fund --silent @datadog/pprof@5 bun@1 >/dev/null)
}

# devtools builds DevTools' heap snapshot worker (chrome-devtools-frontend
# from npm) into $work/oracle/devtools-heap.mjs, once.
DEVTOOLS_VERSION=1.0.1705227
devtools() {
  local o="$work/oracle"
  [ -f "$o/devtools-heap.mjs" ] && return
  mkdir -p "$o"
  cp -r "${DEVTOOLS_ORACLE:-$repo/../shared/devtools-oracle}/." "$o"
  chmod -R u+w "$o"
  (cd "$o" && npm pack --silent "chrome-devtools-frontend@$DEVTOOLS_VERSION" >/dev/null &&
    tar xzf "chrome-devtools-frontend-$DEVTOOLS_VERSION.tgz" &&
    npm install --no-audit --no-fund --silent esbuild@0.28 >/dev/null && node build.mjs)
}

# devtools_classes OUT.json[.gz] SNAPSHOT... writes DevTools' rows by class
# (gzipped when OUT ends in .gz; a directory trend reads leaves .json out).
devtools_classes() {
  local dest="$1"
  shift
  devtools
  DEVTOOLS_VERSION=$DEVTOOLS_VERSION node "$gen/devtools-classes.mjs" "$work/oracle/devtools-heap.mjs" "$work/classes.json" "$@" >/dev/null
  case "$dest" in
  *.gz) gzip -9 -n -c "$work/classes.json" >"$dest" ;;
  *) cp "$work/classes.json" "$dest" ;;
  esac
}

leaky() {
# Leaky pair: N LeakySession objects and N closures apart.
node "$gen/leaky.js" snapshot "$work" "$N"
gzip -9 -n -c "$work/before.heapsnapshot" >"$out/leaky-before.heapsnapshot.gz"
gzip -9 -n -c "$work/after.heapsnapshot" >"$out/leaky-after.heapsnapshot.gz"

# The same with allocation tracking (trace_function_infos and trace_tree).
node --track-heap-objects "$gen/leaky.js" snapshot "$work" "$N"
gzip -9 -n -c "$work/before.heapsnapshot" >"$out/tracked-before.heapsnapshot.gz"
gzip -9 -n -c "$work/after.heapsnapshot" >"$out/tracked-after.heapsnapshot.gz"

# Sampling heap profiles, written at exit: a short run and a long one.
node --heap-prof --heap-prof-interval=8192 --heap-prof-dir="$work" --heap-prof-name=before.heapprofile "$gen/leaky.js" run 2000
node --heap-prof --heap-prof-interval=8192 --heap-prof-dir="$work" --heap-prof-name=after.heapprofile "$gen/leaky.js" run 20000
gzip -9 -n -c "$work/before.heapprofile" >"$out/before.heapprofile.gz"
gzip -9 -n -c "$work/after.heapprofile" >"$out/after.heapprofile.gz"

# @datadog/pprof and bun from the npm registry.
packages
NODE_PATH="$work/node_modules" node "$gen/leaky.js" pprof "$work" "$N"
cp "$work/before.pb.gz" "$out/datadog-before.pb.gz"
cp "$work/after.pb.gz" "$out/datadog-after.pb.gz"

bun="$work/node_modules/bun/bin/bun.exe"
"$bun" "$gen/leaky-bun.js" "$work" "$N"
gzip -9 -n -c "$work/bun-before.heapsnapshot" >"$out/bun-before.heapsnapshot.gz"
gzip -9 -n -c "$work/bun-after.heapsnapshot" >"$out/bun-after.heapsnapshot.gz"
gzip -9 -n -c "$work/bun-jsc.json" >"$out/bun-jsc.json.gz"

}

# Two modules' classes Session and functions set, closures, and file names
# given by Node.js: one process's pair, under --track-heap-objects.
sessions() {
  local d="$work/sessions"
  mkdir -p "$d"
  # v8.writeHeapSnapshot() writes in the working directory, the signal's
  # snapshot in --diagnostic-dir: both in $d.
  (cd "$d" && node --track-heap-objects --heapsnapshot-signal=SIGUSR2 --diagnostic-dir="$d" "$gen/sessions/main.js" "$d" >/dev/null)
  rm -f "$out"/sessions/Heap.*.heapsnapshot.gz
  mkdir -p "$out/sessions"
  for f in "$d"/Heap.*.heapsnapshot; do gzip -9 -n -c "$f" >"$out/sessions/$(basename "$f").gz"; done
  cp "$d/facts.json" "$out/sessions/facts.json"
  devtools_classes "$out/sessions/devtools-classes.json" $(ls "$d"/Heap.*.heapsnapshot | sort)
}

# Uploads held by two things (so the module's scope retains them), and a
# class name given a second definition between two snapshots: one
# process's pair, from gen/usersessions/main.js.
usersessions() {
  local d="$work/usersessions"
  mkdir -p "$d"
  node "$gen/usersessions/main.js" "$d" >/dev/null
  mkdir -p "$out/usersessions"
  for f in before after; do gzip -9 -n -c "$d/$f.heapsnapshot" >"$out/usersessions/$f.heapsnapshot.gz"; done
  cp "$d/facts.json" "$out/usersessions/facts.json"
  devtools_classes "$out/usersessions/devtools-classes.json" "$d/before.heapsnapshot" "$d/after.heapsnapshot"
}

# File names given by Bun: two snapshots of one process, one of another.
bun_named() {
  packages
  local d="$work/bun-named"
  mkdir -p "$d"
  (cd "$d" && "$work/node_modules/bun/bin/bun.exe" "$gen/bun-named.js" 2 >/dev/null && "$work/node_modules/bun/bin/bun.exe" "$gen/bun-named.js" 1 >/dev/null)
  rm -f "$out"/bun-named/Heap-*.heapsnapshot.gz
  mkdir -p "$out/bun-named"
  for f in "$d"/Heap-*.heapsnapshot; do gzip -9 -n -c "$f" >"$out/bun-named/$(basename "$f").gz"; done
  cp "$d/facts.json" "$out/bun-named/facts.json"
}

# Objects held in known ways, three snapshots of one process, and DevTools'
# own retainer chains for them.
retainers() {
  local d="$work/retainers"
  mkdir -p "$d" "$out/retainers"
  node "$gen/retainers.js" "$d" >/dev/null
  rm -f "$out"/retainers/retainers-*.heapsnapshot.gz
  for f in "$d"/retainers-*.heapsnapshot; do gzip -9 -n -c "$f" >"$out/retainers/$(basename "$f").gz"; done
  cp "$d/facts.json" "$out/retainers/facts.json"
  devtools
  local classes
  classes="$(node -p "Object.keys(require('$d/facts.json').holders).join(',')")"
  DEVTOOLS_VERSION=$DEVTOOLS_VERSION node "$gen/devtools-retainers.mjs" "$work/oracle/devtools-heap.mjs" "$work/retainers.json" "$classes" $(ls "$d"/retainers-*.heapsnapshot | sort) >/dev/null
  gzip -9 -n -c "$work/retainers.json" >"$out/retainers/devtools-retainers.json.gz"
}

# A page in Chromium holding detached DOM nodes.
chromium_version=
chromium() {
  mkdir -p "$out/chromium"
  chromium_version="$("${CHROMIUM:-/usr/bin/chromium}" --version 2>/dev/null | awk '{print $2}')"
  node --experimental-websocket "$gen/chromium-page.mjs" "$gen/chromium-page.js" "$work/page.heapsnapshot" 2>/dev/null
  gzip -9 -n -c "$work/page.heapsnapshot" >"$out/chromium/page.heapsnapshot.gz"
  devtools_classes "$out/chromium/devtools-classes.json.gz" "$work/page.heapsnapshot"
}

for c in "${cases[@]}"; do
  case "$c" in
  leaky) leaky ;;
  sessions) sessions ;;
  usersessions) usersessions ;;
  bun-named) bun_named ;;
  chromium) chromium ;;
  retainers) retainers ;;
  *) echo "generate.sh: unknown case $c (want leaky, sessions, usersessions, bun-named, chromium or retainers)" >&2; exit 2 ;;
  esac
done

packages
{
  echo "node $(node --version)"
  echo "bun $("$work/node_modules/bun/bin/bun.exe" --version)"
  echo "@datadog/pprof $(node -p "require('$work/node_modules/@datadog/pprof/package.json').version")"
  if [ -n "$chromium_version" ]; then echo "chromium $chromium_version"; else grep '^chromium' "$out/VERSIONS" || true; fi
  echo "chrome-devtools-frontend $DEVTOOLS_VERSION (DevTools' rows by class and retainer chains)"
} >"$work/VERSIONS"
mv "$work/VERSIONS" "$out/VERSIONS"
ls -lR "$out"
