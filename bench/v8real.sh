#!/usr/bin/env bash
# Peak memory and time of "heapdiff compare" on a pair of REAL V8 heap
# snapshots: bench/v8real/bot.js, a chat bot's heap (Maps of sessions,
# strings, arrays, closures, Buffers), written by Node.js's
# v8.writeHeapSnapshot() at two sizes, about 160 MB and 215 MB. Measures the
# text comparison and the HTML report with /usr/bin/time (wall time, max
# RSS) and prints peak memory over the larger file's size.
# Target (issue 14): the text comparison peaks at no more than 1.5x the
# larger file.
#
#   bash bench/v8real.sh     # writes bench/out/v8real/{a,b}.heapsnapshot if missing (about a minute)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
dir=$out/v8real
node=${NODE:-/usr/bin/node}
if [ ! -s "$dir/a.heapsnapshot" ] || [ ! -s "$dir/b.heapsnapshot" ]; then
  echo "writing the snapshot pair into $dir with $node ..." >&2
  "$node" --max-old-space-size=4096 bench/v8real/bot.js "$dir" >&2
fi
[ -x /usr/bin/time ] || { echo "bench/v8real.sh needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
go build -o "$out/heapdiff" ./cmd/heapdiff

a=$dir/a.heapsnapshot b=$dir/b.heapsnapshot
size=$(stat -c %s "$a" "$b" | sort -n | tail -1)

echo "date     $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "machine  $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "node     $("$node" --version), go $(go env GOVERSION)"
stat -c '%n %s' "$a" "$b" | awk '{printf "file     %s  %.1f MB\n", $1, $2/1e6}'

# measure NAME CMD...: runs CMD with its output discarded and prints its
# wall time, peak memory, and the peak over the larger file.
measure() {
  local name=$1; shift
  /usr/bin/time -v -o "$out/v8real.time" "$@" > /dev/null 2> "$out/v8real.stderr" || {
    cat "$out/v8real.stderr" >&2; exit 1; }
  local wall rss
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$out/v8real.time" |
    awk -F: '{ if (NF == 3) print $1*3600 + $2*60 + $3; else print $1*60 + $2 }')
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$out/v8real.time")
  awk -v n="$name" -v w="$wall" -v r="$rss" -v s="$size" \
    'BEGIN { printf "%-26s %6.2f s  %7.1f MiB  = %.2fx the larger file\n", n, w, r/1024, r*1024/s }'
}

measure "compare (text)" "$out/heapdiff" compare "$a" "$b"
measure "compare -o report.html" "$out/heapdiff" compare "$a" "$b" -o "$out/v8real.html"
echo "target   text compare <= 1.50x the larger file"
