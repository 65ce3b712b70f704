#!/usr/bin/env bash
# Peak memory (max RSS from /usr/bin/time) of heapdiff on big inputs: compare
# on the large generated pair (internal/heapgen.Large, about 200,000 stacks each),
# and trend over a series of 100 snapshots (internal/heapgen.SeriesSize, about
# 20,000 stacks each). Prints each command's wall time and peak memory, and
# the peak over the decompressed size of its input, the figure that says
# whether memory is bounded by the input rather than by anything it holds.
#
# With "huge", it checks compare's memory budget (README.md, "Limits and
# safety": 4 x the files' decompressed size + 512 bytes per stack + 64 MiB)
# on the huge pair (internal/heapgen.Huge, 2,000,000 distinct stacks each, about
# 355 MiB decompressed; generating it takes a minute and about 6 GiB), in the
# formats whose output grows with the stacks: text and JSON by stack write
# gigabytes, so the JSON run takes minutes.
#
#   bash bench/memory.sh        # generates bench/out/{base,target}.pb.gz and bench/out/series/ if missing
#   bash bench/memory.sh huge   # generates bench/out/huge/{base,target}.pb.gz if missing
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
mode=${1:-large}
case $mode in
  large|huge) ;;
  *) echo "usage: bash bench/memory.sh [huge]" >&2; exit 2 ;;
esac
[ -x /usr/bin/time ] || { echo "bench/memory.sh needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
go build -o "$out/heapdiff" ./cmd/heapdiff

# inflated FILE...: the total decompressed size of the files, in bytes.
inflated() { cat "$@" | gzip -dc | wc -c; }

if [ "$mode" = huge ]; then
  huge=$out/huge
  if [ ! -s "$huge/base.pb.gz" ] || [ ! -s "$huge/target.pb.gz" ]; then
    echo "generating the huge pair into $huge (a minute, about 6 GiB) ..." >&2
    go run ./bench/genprofiles -huge -out "$huge"
  fi
  input=$(inflated "$huge/base.pb.gz" "$huge/target.pb.gz")
  stacks=$(go run ./bench/stackcount "$huge/base.pb.gz" "$huge/target.pb.gz" | awk '$1 == "total" { print $2 }')
  budget=$((4 * input + 512 * stacks + 64 * 1048576))
  printf "huge pair: %s + %s bytes decompressed (%.1f MiB), %d stacks: budget %.0f MiB\n\n" \
    "$(gzip -dc "$huge/base.pb.gz" | wc -c)" "$(gzip -dc "$huge/target.pb.gz" | wc -c)" \
    "$(echo "$input / 1048576" | bc -l)" "$stacks" "$(echo "$budget / 1048576" | bc -l)"
  printf "%-36s %9s %9s %12s  %s\n" command wall cpu "peak RSS" "of budget"
  # run NAME CMD...: runs CMD, output discarded, and prints its wall and CPU
  # time, its peak RSS, and that peak as a share of the budget.
  run() {
    local name=$1; shift
    /usr/bin/time -f "%e %U %S %M" -o "$out/memory.time" "$@" > /dev/null
    read -r wall user sys rss < "$out/memory.time"
    awk -v n="$name" -v w="$wall" -v c="$(echo "$user + $sys" | bc)" -v r="$rss" -v b="$budget" \
      'BEGIN { printf "%-36s %7.1f s %7.1f s %8.1f MiB  %5.1f%%\n", n, w, c, r / 1024, r * 1024 / b * 100 }'
  }
  run "compare" "$out/heapdiff" compare "$huge/base.pb.gz" "$huge/target.pb.gz"
  run "compare --by stack" "$out/heapdiff" compare --by stack "$huge/base.pb.gz" "$huge/target.pb.gz"
  run "compare --by stack -f json" "$out/heapdiff" compare --by stack -f json "$huge/base.pb.gz" "$huge/target.pb.gz"
  run "compare -o x.html" "$out/heapdiff" compare -o "$huge/x.html" "$huge/base.pb.gz" "$huge/target.pb.gz"
  run "compare --by stack -o x.html" "$out/heapdiff" compare --by stack -o "$huge/x.html" "$huge/base.pb.gz" "$huge/target.pb.gz"
  exit 0
fi

ensure_pair
if [ ! -s "$out/series/heap-100.pb.gz" ]; then
  echo "generating 100 snapshots into $out/series ..." >&2
  go run ./bench/genseries -out "$out/series" -n 100
fi

# peak NAME INPUT_BYTES CMD...: runs CMD, output discarded, and prints its wall
# time, peak RSS, and peak RSS over INPUT_BYTES.
peak() {
  local name=$1 input=$2; shift 2
  /usr/bin/time -f "%e %M" -o "$out/memory.time" "$@" > /dev/null
  read -r wall rss < "$out/memory.time"
  awk -v n="$name" -v w="$wall" -v r="$rss" -v input="$input" \
    'BEGIN { printf "%-44s %7.2f s %8.1f MiB  %5.2fx input\n", n, w, r / 1024, r * 1024 / input }'
}

pair=$(inflated "$out/base.pb.gz" "$out/target.pb.gz")
one=$(inflated "$out/series/heap-001.pb.gz")
printf "large pair: %.1f MiB decompressed (both); series: 100 x %.1f MiB\n\n" "$(echo "$pair / 1048576" | bc -l)" "$(echo "$one / 1048576" | bc -l)"
printf "%-44s %9s %12s  %s\n" command wall "peak RSS" "peak / input"
peak "compare" "$pair" "$out/heapdiff" compare "$out/base.pb.gz" "$out/target.pb.gz"
peak "compare --by stack --cum" "$pair" "$out/heapdiff" compare --by stack --cum "$out/base.pb.gz" "$out/target.pb.gz"
peak "compare -f json" "$pair" "$out/heapdiff" compare -f json "$out/base.pb.gz" "$out/target.pb.gz"
# trend reads one snapshot at a time: its input, for memory, is one snapshot.
peak "trend (100 snapshots)" "$one" "$out/heapdiff" trend "$out/series"
peak "trend --by stack (100 snapshots)" "$one" "$out/heapdiff" trend --by stack "$out/series"
