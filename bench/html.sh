#!/usr/bin/env bash
# Measures the HTML report of the large generated profile pair
# (internal/heapgen.Large): the file's size and, in headless Chromium
# (/usr/bin/chromium), the time from navigation until the browser has painted
# the first screen (the header and charts), and then everything (the table
# of 1,000 rows, below the screen, too). Targets: under 5 MB (issue 3),
# drawn in under 1 s (issue 19). Also times writing it.
#
#   bash bench/html.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
ensure_pair
go build -o "$out/heapdiff" ./cmd/heapdiff
[ -x /usr/bin/time ] || { echo "bench/html.sh needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
/usr/bin/time -f "write report.html: %e s wall, %U s user, %M KiB max RSS" \
  "$out/heapdiff" compare "$out/base.pb.gz" "$out/target.pb.gz" -o "$out/report.html"
ls -l "$out/report.html" | awk '{printf "report.html: %.2f MB (target: under 5 MB)\n", $5/1e6}'
echo "opening it in headless Chromium (3 times, after one untimed load):"
go test -run '^$' -bench BenchmarkHTMLOpen -benchtime 3x ./report | grep -E 'Benchmark|ok|FAIL'
echo "(from navigation start until painted: ms-to-first-screen the header and charts, ms-to-drawn everything; target: under 1000 ms)"
