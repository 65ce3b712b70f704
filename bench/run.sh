#!/usr/bin/env bash
# Measures heapdiff where the user waits, beside "go tool pprof" in the same
# run, and prints the machine's figures with the ratios the targets are
# stated in (issue 19). Every command of a section runs once per round, the
# commands alternating, three rounds (ROUNDS=n to change): the machine may
# be shared, so each figure is printed as its range over the rounds, and
# every ratio is taken between two commands of the same round.
#
#   bash bench/run.sh                 # the large pair and the 1M-stack pair
#   bash bench/run.sh large           # one section; sections: large million trend browser
#   bash bench/run.sh million pprof   # the 1M-stack pair with pprof too (about 100 s and 8 GB a run)
#
# Sections:
#   large    the large pair (internal/heapgen.Large: 200,000 stacks, 16 MB gzipped
#            each): gunzip only, decode only, load, compare (text), compare -o
#            report.html, and pprof -top -diff_base.
#            Targets: text at least 30x faster than pprof with at most 1/10 of
#            its peak memory; HTML within 1.5x of text in time and memory.
#   million  the 1M-stack pair (internal/heapgen.Million, 76 MB gzipped each): the
#            same without pprof, unless "pprof" is given too.
#            Targets: text under 3 s and 700 MB; HTML under 5 s and 1.2 GB.
#   trend    trend over 50 and over 200 snapshots of the large pair's size
#            (bench/out/series-large, generated once: minutes, 3 GB of disk),
#            and github.com/google/pprof/profile.Parse loading the 50 one by one;
#            beside them, gunzip alone and loading alone (trend's window of
#            loads, without reducing), the ceilings of trend's speed-up.
#            Targets: peak memory does not grow from 50 to 200 snapshots;
#            trend at least 4x faster than profile.Parse.
#   browser  the HTML report of the large pair opened in headless Chromium
#            (report.BenchmarkHTMLOpen). Target: drawn in under a second.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
[ -x /usr/bin/time ] || { echo "bench/run.sh needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
rounds=${ROUNDS:-3}

sections=() pprof_million=
for a in "$@"; do
  case $a in
    large|million|trend|browser) sections+=("$a") ;;
    pprof) pprof_million=1 ;;
    *) echo "usage: bash bench/run.sh [large] [million] [trend] [browser] [pprof]" >&2; exit 2 ;;
  esac
done
[ ${#sections[@]} -gt 0 ] || sections=(large million)
want() { [[ " ${sections[*]} " == *" $1 "* ]]; }

go build -o "$out/heapdiff" ./cmd/heapdiff
go build -o "$out/loadonly" ./bench/loadonly
pprof=$(go tool -n pprof)
results=$out/run.tsv
: > "$results"

machine
echo "rounds:  $rounds, commands alternating within each round"

# pair_section SECTION DIR WITH_PPROF: the pair in DIR, measured.
pair_section() {
  local s=$1 dir=$2 with_pprof=$3 r
  local base=$dir/base.pb.gz target=$dir/target.pb.gz
  ensure_inflated "$dir"
  echo
  echo "== $s: $(basename "$dir")/{base,target}.pb.gz, $(du -m --apparent-size "$base" | cut -f1) MB + $(du -m --apparent-size "$target" | cut -f1) MB gzipped, $(du -m --apparent-size "$dir/base.pb" | cut -f1) MB + $(du -m --apparent-size "$dir/target.pb" | cut -f1) MB inflated, $(go run ./bench/stackcount "$base" "$target" | awk '$1 == "total" {print $2}') stacks in all"
  for r in $(seq "$rounds"); do
    measure "$s" "$r" "gunzip only (gzip -dc, one after the other)" sh -c "gzip -dc '$base'; gzip -dc '$target'"
    measure "$s" "$r" "gunzip only (as heapdiff: both at once)" "$out/loadonly" -mode gunzip "$base" "$target"
    measure "$s" "$r" "decode only (inflated files, both at once)" "$out/loadonly" -mode load "$dir/base.pb" "$dir/target.pb"
    measure "$s" "$r" "load (gunzip + decode, both at once)" "$out/loadonly" -mode load "$base" "$target"
    measure "$s" "$r" "heapdiff compare" "$out/heapdiff" compare "$base" "$target"
    measure "$s" "$r" "heapdiff compare -o report.html" "$out/heapdiff" compare -o "$out/report.html" "$base" "$target"
    if [ "$with_pprof" = 1 ]; then
      measure "$s" "$r" "go tool pprof -top -diff_base" "$pprof" -top -diff_base="$base" "$target"
    fi
  done
  echo
  summary "$s"
  echo
  if [ "$with_pprof" = 1 ]; then
    ratio "$s" "speed: pprof's wall time over compare's (target: 30x)" "go tool pprof -top -diff_base" "heapdiff compare" wall x
    ratio "$s" "speed: pprof's CPU time over compare's" "go tool pprof -top -diff_base" "heapdiff compare" cpu x
    ratio "$s" "memory: compare's peak over pprof's (target: 1/10)" "heapdiff compare" "go tool pprof -top -diff_base" rss 1/
    ratio "$s" "speed: pprof's wall time over compare -o report.html's" "go tool pprof -top -diff_base" "heapdiff compare -o report.html" wall x
    ratio "$s" "memory: compare -o report.html's peak over pprof's" "heapdiff compare -o report.html" "go tool pprof -top -diff_base" rss 1/
  fi
  ratio "$s" "HTML/text: wall time (target: 1.5x at most)" "heapdiff compare -o report.html" "heapdiff compare" wall x
  ratio "$s" "HTML/text: peak memory (target: 1.5x at most)" "heapdiff compare -o report.html" "heapdiff compare" rss x
  ratio "$s" "compare's wall time over gunzip only (as heapdiff)" "heapdiff compare" "gunzip only (as heapdiff: both at once)" wall x
  ratio "$s" "compare's wall time over load" "heapdiff compare" "load (gunzip + decode, both at once)" wall x
}

if want large; then
  ensure_pair
  pair_section large "$out" 1
fi

if want million; then
  ensure_million
  pair_section million "$out/million" "${pprof_million:-0}"
fi

if want trend; then
  series=$out/series-large
  if [ ! -s "$series/heap-200.pb.gz" ]; then
    echo "generating 200 snapshots of the large pair's size into $series (minutes, 3 GB) ..." >&2
    go run ./bench/genseries -large -out "$series" -n 200
  fi
  # The first 50, as hard links: a directory argument reads regular files only.
  rm -rf "$series-50" && mkdir -p "$series-50"
  ln "$series"/heap-0[0-4][0-9].pb.gz "$series"/heap-050.pb.gz "$series-50"/
  echo
  echo "== trend: $(ls "$series" | wc -l) snapshots of $(du -m --apparent-size "$series/heap-001.pb.gz" | cut -f1) MB gzipped ($(go run ./bench/stackcount "$series/heap-001.pb.gz" | awk '$1 == "total" {print $2}') stacks) each"
  for r in $(seq "$rounds"); do
    measure trend "$r" "gunzip only (50 snapshots, all at once)" "$out/loadonly" -mode gunzip "$series-50"/*.pb.gz
    measure trend "$r" "load only, as trend loads (50 snapshots)" "$out/loadonly" -mode series "$series-50"/*.pb.gz
    measure trend "$r" "heapdiff trend (50 snapshots)" "$out/heapdiff" trend "$series-50"
    measure trend "$r" "profile.Parse, one by one (50 snapshots)" "$out/loadonly" -mode pprof "$series-50"/*.pb.gz
    measure trend "$r" "heapdiff trend (200 snapshots)" "$out/heapdiff" trend "$series"
  done
  echo
  summary trend
  echo
  ratio trend "peak memory, 200 snapshots over 50 (target: 1x, no growth)" "heapdiff trend (200 snapshots)" "heapdiff trend (50 snapshots)" rss x
  ratio trend "speed: profile.Parse's wall time over trend's, 50 (target: 4x)" "profile.Parse, one by one (50 snapshots)" "heapdiff trend (50 snapshots)" wall x
  ratio trend "speed: profile.Parse's CPU time over trend's, 50" "profile.Parse, one by one (50 snapshots)" "heapdiff trend (50 snapshots)" cpu x
  ratio trend "ceiling: profile.Parse's wall time over loading alone, as trend loads" "profile.Parse, one by one (50 snapshots)" "load only, as trend loads (50 snapshots)" wall x
  ratio trend "ceiling: profile.Parse's wall time over gunzip alone" "profile.Parse, one by one (50 snapshots)" "gunzip only (50 snapshots, all at once)" wall x
  ratio trend "wall time, 200 snapshots over 50" "heapdiff trend (200 snapshots)" "heapdiff trend (50 snapshots)" wall x
fi

if want browser; then
  echo
  echo "== browser: the large pair's report.html in headless Chromium ($rounds loads)"
  go test -run '^$' -bench BenchmarkHTMLOpen -benchtime "${rounds}x" ./report | grep -E '^Benchmark|FAIL'
  echo "(from navigation start until painted: ms-to-first-screen the header and charts, ms-to-drawn the table below them too; target: under 1000 ms)"
fi
