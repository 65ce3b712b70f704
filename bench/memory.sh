#!/usr/bin/env bash
# Peak memory (max RSS from /usr/bin/time) of heapdiff on big inputs: compare
# on the large generated pair (bench/heapgen.Large, about 200,000 stacks each),
# and trend over a series of 100 snapshots (bench/heapgen.SeriesSize, about
# 20,000 stacks each). Prints each command's wall time and peak memory, and
# the peak over the decompressed size of its input, the figure that says
# whether memory is bounded by the input rather than by anything it holds.
#
#   bash bench/memory.sh        # generates bench/out/{base,target}.pb.gz and bench/out/series/ if missing
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
ensure_pair
if [ ! -s "$out/series/heap-100.pb.gz" ]; then
  echo "generating 100 snapshots into $out/series ..." >&2
  go run ./bench/genseries -out "$out/series" -n 100
fi
go build -o "$out/heapdiff" ./cmd/heapdiff
[ -x /usr/bin/time ] || { echo "bench/memory.sh needs /usr/bin/time (apt-get install time)" >&2; exit 1; }

# inflated FILE...: the total decompressed size of the files, in bytes.
inflated() { cat "$@" | gzip -dc | wc -c; }

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
