#!/usr/bin/env bash
# The fleet over object storage: 500 snapshots of 20 processes (25 each,
# internal/heapgen.Fleet with 2,000 stacks of churn per snapshot), uploaded to a
# real S3 server (versitygw on 127.0.0.1) under fleet/api/HOST/PID/, then read
# back by "heapdiff ls", "fleet" (with an empty cache, then a full one) and
# "trend" of one process. Prints each command's wall time and peak memory
# (max RSS from /usr/bin/time) beside how many snapshots it read: memory is
# bounded by sites, never by the number of snapshots, so the fleet of 500
# peaks a few MiB above the trend of 25.
#
#   bash bench/fleet.sh                   # 20 processes x 25 snapshots
#   bash bench/fleet.sh PROCESSES SNAPSHOTS
#
# Needs versitygw (.ci/run installs it in ~/.cache/heapdiff/bin) and
# /usr/bin/time.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
processes=${1:-20}
snapshots=${2:-25}
[ -x /usr/bin/time ] || { echo "bench/fleet.sh needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
gw=${HEAPDIFF_VERSITYGW:-$(command -v versitygw || echo "$HOME/.cache/heapdiff/bin/versitygw")}
[ -x "$gw" ] || { echo "bench/fleet.sh needs versitygw: GOBIN=\$HOME/.cache/heapdiff/bin go install github.com/versity/versitygw/cmd/versitygw@v1.8.0" >&2; exit 1; }
go build -o "$out/heapdiff" ./cmd/heapdiff

root=$(mktemp -d "$PWD/$out/fleet-s3.XXXXXX")
mkdir -p "$root/buckets/bench"
port=""
for try in $(seq 1 20); do
  p=$((20000 + RANDOM % 40000))
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then port=$p; break; fi
done
[ -n "$port" ] || { echo "no free port" >&2; exit 1; }
"$gw" --access bench-access --secret bench-secret-0123456789 --port "127.0.0.1:$port" --quiet posix "$root/buckets" > "$root/versitygw.log" 2>&1 &
gwpid=$!
trap 'kill $gwpid 2>/dev/null; rm -rf "$root"' EXIT
for i in $(seq 1 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.1
done
export AWS_ACCESS_KEY_ID=bench-access AWS_SECRET_ACCESS_KEY=bench-secret-0123456789 AWS_REGION=us-east-1
export AWS_ENDPOINT_URL_S3=http://127.0.0.1:$port AWS_EC2_METADATA_DISABLED=true
export AWS_CONFIG_FILE=$root/none AWS_SHARED_CREDENTIALS_FILE=$root/none

echo "uploading $((processes * snapshots)) snapshots of $processes processes to versitygw at 127.0.0.1:$port ..." >&2
go run ./bench/genfleet -s3 s3://bench/fleet -processes "$processes" -snapshots "$snapshots"
one=$(find "$root/buckets/bench/fleet" -name 'heap-*.pb.gz' -print -quit)
onesize=$(gzip -dc "$one" | wc -c)
total=$(find "$root/buckets/bench/fleet" -name 'heap-*.pb.gz' -printf '%s\n' | awk '{ s += $1 } END { print s }')
first=$(dirname "${one#"$root/buckets/bench/"}")

cache=$root/cache
peak() {
  local name=$1 n=$2; shift 2
  /usr/bin/time -f "%e %M" -o "$out/fleet.time" "$@" > /dev/null
  read -r wall rss < "$out/fleet.time"
  awk -v n="$name" -v s="$n" -v w="$wall" -v r="$rss" 'BEGIN { printf "%-40s %9s %7.2f s %8.1f MiB\n", n, s, w, r / 1024 }'
}
printf "\n%d snapshots, %d processes; %.1f MiB stored; one snapshot %.2f MiB decompressed\n\n" \
  "$((processes * snapshots))" "$processes" "$(echo "$total / 1048576" | bc -l)" "$(echo "$onesize / 1048576" | bc -l)"
printf "%-40s %9s %9s %12s\n" command snapshots wall "peak RSS"
peak "ls" "$((processes * snapshots))" "$out/heapdiff" ls s3://bench/fleet/
peak "fleet (empty cache: downloads all)" "$((processes * snapshots))" "$out/heapdiff" fleet s3://bench/fleet/api/ --cache-dir "$cache"
peak "fleet (from the cache)" "$((processes * snapshots))" "$out/heapdiff" fleet s3://bench/fleet/api/ --cache-dir "$cache"
peak "fleet -o fleet.html (from the cache)" "$((processes * snapshots))" "$out/heapdiff" fleet s3://bench/fleet/api/ --cache-dir "$cache" -o "$root/fleet.html"
peak "trend of one process" "$snapshots" "$out/heapdiff" trend "s3://bench/$first/" --cache-dir "$cache"
echo
"$out/heapdiff" fleet s3://bench/fleet/api/ --cache-dir "$cache" | sed -n '1,3p'
"$out/heapdiff" fleet s3://bench/fleet/api/ --cache-dir "$cache" | sed -n '/^Leak suspects/,/^$/p'
