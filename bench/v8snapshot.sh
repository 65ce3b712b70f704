#!/usr/bin/env bash
# Measures "heapdiff compare" on a large synthetic V8 heap snapshot pair
# (bench/v8snapgen: about 2 million nodes and 10 million edges, over 200 MB
# each), retained sizes included, and prints wall time, peak memory (max RSS
# from /usr/bin/time -v) and peak memory over one file's size.
# Targets (issue 7): under 15 s for the pair, peak under 1.5x one file.
#
#   bash bench/v8snapshot.sh     # generates bench/out/v8-*.heapsnapshot if missing
set -euo pipefail
cd "$(dirname "$0")/.."
out=bench/out
mkdir -p "$out"
if [ ! -s "$out/v8-base.heapsnapshot" ] || [ ! -s "$out/v8-target.heapsnapshot" ]; then
  echo "generating the snapshot pair into $out ..." >&2
  go run ./bench/v8snapgen -out "$out"
fi
go build -o "$out/heapdiff" ./cmd/heapdiff
[ -x /usr/bin/time ] || { echo "bench/v8snapshot.sh needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
/usr/bin/time -v -o "$out/v8.time" "$out/heapdiff" compare "$out/v8-base.heapsnapshot" "$out/v8-target.heapsnapshot" --top 5 > "$out/v8.txt"
wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$out/v8.time" |
  awk -F: '{ if (NF == 3) print $1*3600 + $2*60 + $3; else print $1*60 + $2 }')
rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$out/v8.time")
size=$(stat -c %s "$out/v8-target.heapsnapshot")
awk -v w="$wall" -v r="$rss" -v s="$size" 'BEGIN {
  printf "file   %.1f MiB (target)\nwall   %.2f s     (target < 15 s)\npeak   %.1f MiB   = %.2fx one file (target < 1.5x)\n", s/1048576, w, r/1024, r*1024/s }'
head -12 "$out/v8.txt"
