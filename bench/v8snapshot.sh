#!/usr/bin/env bash
# Measures "heapdiff compare" on a large synthetic V8 heap snapshot pair
# (bench/v8snapgen: about 2 million nodes and 10 million edges, over 200 MB
# each), retained sizes included, and prints wall time, peak memory (max RSS
# from /usr/bin/time -v) and peak memory over one file's size.
# Targets (issue 7): under 15 s for the pair, peak under 1.5x one file.
# Then the same with --retainers (issue 15): at most 50% more of each.
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
measure() { # measure NAME ARGS...: runs compare, sets wall (s) and rss (KiB)
  local name="$1"
  shift
  /usr/bin/time -v -o "$out/$name.time" "$out/heapdiff" compare "$out/v8-base.heapsnapshot" "$out/v8-target.heapsnapshot" --top 5 "$@" > "$out/$name.txt"
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$out/$name.time" |
    awk -F: '{ if (NF == 3) print $1*3600 + $2*60 + $3; else print $1*60 + $2 }')
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$out/$name.time")
  cpu=$(awk -F': ' '/User time|System time/ {s += $2} END {print s}' "$out/$name.time")
}
size=$(stat -c %s "$out/v8-target.heapsnapshot")
measure v8
wall0=$wall rss0=$rss cpu0=$cpu
awk -v w="$wall" -v r="$rss" -v s="$size" 'BEGIN {
  printf "file   %.1f MiB (target)\nwall   %.2f s     (target < 15 s)\npeak   %.1f MiB   = %.2fx one file (target < 1.5x)\n", s/1048576, w, r/1024, r*1024/s }'
head -12 "$out/v8.txt"
# Retainer paths for the top 20 classes (issue 15): at most 50% more wall
# time and memory than the same comparison without them.
measure v8-retainers --retainers
# CPU time (user + system) says the same as wall time on an idle machine,
# and more reliably on a busy one.
awk -v w="$wall" -v r="$rss" -v c="$cpu" -v w0="$wall0" -v r0="$rss0" -v c0="$cpu0" 'BEGIN {
  printf "\n--retainers (paths of the new objects of the top 20 classes, collections that grew)\n"
  printf "wall   %.2f s     = %+.0f%% (target <= +50%%)\n", w, (w/w0-1)*100
  printf "cpu    %.2f s     = %+.0f%% (%.2f s without)\n", c, (c/c0-1)*100, c0
  printf "peak   %.1f MiB   = %+.0f%% (target <= +50%%)\n", r/1024, (r/r0-1)*100 }'
sed -n '/who holds/,/^$/p' "$out/v8-retainers.txt" | head -8
