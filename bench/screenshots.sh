#!/usr/bin/env bash
# Takes the README's pictures of the HTML pages, 1280x900 PNGs in docs/: the
# comparison, trend and heap snapshot pages of the small demo (testdata/leaky,
# testdata/node) and the comparison and trend pages at the benchmarks' scale
# (internal/heapgen.Large; 30 snapshots of internal/heapgen.SeriesSize). The
# browser tests take them (report/html_browser_test.go, picture), in
# headless Chromium (/usr/bin/chromium). Look at each before committing it.
#
#   bash bench/screenshots.sh          # into docs/
#   bash bench/screenshots.sh /tmp/x   # elsewhere
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-docs}
[ -x /usr/bin/chromium ] || { echo "bench/screenshots.sh needs Chromium (apt-get install -y chromium)" >&2; exit 1; }
HEAPDIFF_SCREENSHOTS=$dir go test -count=1 -timeout 10m \
  -run '^(TestHTMLInBrowser|TestTrendHTMLInBrowser|TestSnapshotHTMLInBrowser|TestPicturesAtScale)$' ./report
case $dir in /*) ;; *) dir=./$dir ;; esac
ls -l "$dir"/report.png "$dir"/trend.png "$dir"/snapshot.png "$dir"/report-large.png "$dir"/trend-large.png |
  awk '{printf "%-28s %6.0f KB\n", $NF, $5/1e3}'
