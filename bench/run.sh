#!/usr/bin/env bash
# Measures "heapdiff compare" against "go tool pprof -top -diff_base" on the
# large generated profile pair (internal/heapgen.Large), in one run, and prints
# wall time, peak memory (max RSS from /usr/bin/time -v) and their ratios.
# Targets (issue 2): heapdiff at least 20x faster, with at most 1/8 of pprof's
# peak memory.
#
#   bash bench/run.sh            # generates bench/out/{base,target}.pb.gz if missing
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
ensure_pair
go build -o "$out/heapdiff" ./cmd/heapdiff
pprof=$(go tool -n pprof)
[ -x /usr/bin/time ] || { echo "bench/run.sh needs /usr/bin/time (apt-get install time)" >&2; exit 1; }

# measure NAME CMD...: runs CMD with output discarded; sets wall and rss.
measure() {
  local name=$1; shift
  /usr/bin/time -v -o "$out/$name.time" "$@" > /dev/null 2> "$out/$name.stderr"
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$out/$name.time" |
    awk -F: '{ if (NF == 3) print $1*3600 + $2*60 + $3; else print $1*60 + $2 }')
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$out/$name.time")
  awk -v n="$name" -v w="$wall" -v r="$rss" 'BEGIN { printf "%-40s %8.2f s %9.1f MiB\n", n, w, r / 1024 }'
}

ls -l "$out"/base.pb.gz "$out"/target.pb.gz | awk '{printf "%-40s %8.1f MB\n", $NF, $5/1e6}'
measure "gunzip both (reference)" sh -c "gzip -dc $out/base.pb.gz; gzip -dc $out/target.pb.gz"
measure "heapdiff compare" "$out/heapdiff" compare "$out/base.pb.gz" "$out/target.pb.gz"
hd_wall=$wall hd_rss=$rss
measure "heapdiff compare --by stack --cum" "$out/heapdiff" compare --by stack --cum "$out/base.pb.gz" "$out/target.pb.gz"
measure "go tool pprof -top -diff_base" "$pprof" -top -diff_base="$out/base.pb.gz" "$out/target.pb.gz"
pp_wall=$wall pp_rss=$rss
echo
awk -v pw="$pp_wall" -v hw="$hd_wall" -v pr="$pp_rss" -v hr="$hd_rss" 'BEGIN {
  printf "speed:  heapdiff is %.1fx faster than pprof (target: 20x)\n", pw / hw
  printf "memory: heapdiff uses 1/%.1f of pprof'"'"'s peak (target: 1/8)\n", pr / hr
}'
