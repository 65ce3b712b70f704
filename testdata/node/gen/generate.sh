#!/usr/bin/env bash
# generate.sh regenerates testdata/node/ with the real runtimes:
#   bash testdata/node/gen/generate.sh
# It needs Node.js 20 and network access to the npm registry (for
# @datadog/pprof and bun); tests and CI only read the committed outputs.
set -euo pipefail
gen="$(cd "$(dirname "$0")" && pwd)"
out="$(dirname "$gen")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
N=1000

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
(cd "$work" && npm init -y >/dev/null && npm install --no-audit --no-fund --silent @datadog/pprof@5 bun@1 >/dev/null)
NODE_PATH="$work/node_modules" node "$gen/leaky.js" pprof "$work" "$N"
cp "$work/before.pb.gz" "$out/datadog-before.pb.gz"
cp "$work/after.pb.gz" "$out/datadog-after.pb.gz"

bun="$work/node_modules/bun/bin/bun.exe"
"$bun" "$gen/leaky-bun.js" "$work" "$N"
gzip -9 -n -c "$work/bun-before.heapsnapshot" >"$out/bun-before.heapsnapshot.gz"
gzip -9 -n -c "$work/bun-after.heapsnapshot" >"$out/bun-after.heapsnapshot.gz"
gzip -9 -n -c "$work/bun-jsc.json" >"$out/bun-jsc.json.gz"

{ echo "node $(node --version)"; echo "bun $("$bun" --version)"; echo "@datadog/pprof $(node -p "require('$work/node_modules/@datadog/pprof/package.json').version")"; } >"$out/VERSIONS"
ls -l "$out"
