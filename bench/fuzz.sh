#!/usr/bin/env bash
# Runs every fuzz target in the repository (each `func FuzzXxx` in a
# *_test.go file) for a set time, one after the other, and prints how many
# inputs each ran. Go fuzzes one target of one package at a time.
#
#   bash bench/fuzz.sh                    # every target, 20s each
#   FUZZTIME=2m bash bench/fuzz.sh Trend  # the targets whose name matches "Trend"
#
# Settings (environment):
#   FUZZTIME          how long to fuzz each target (default 20s; also 5000x)
#   MINIMIZETIME      -fuzzminimizetime (default 5s). Go's default, 60s,
#                     spends it on every new interesting input: FuzzCompare
#                     and FuzzTrend made 10 and 9 execs in 100s with it,
#                     499k and 141k with 5s.
#   FUZZ_PARALLEL     -parallel, the fuzzing workers (default: GOMAXPROCS)
#
# A failing input (a crasher) is written by Go to
# PACKAGE/testdata/fuzz/FuzzXxx/HASH, where plain `go test` runs it from then
# on: fix the bug and commit the file as its regression test. The script
# names every crasher and exits 1 if there was one. The inputs that found
# new coverage stay in Go's cache ($(go env GOCACHE)/fuzz), so each run
# starts from where the last one stopped.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${FUZZTIME:-20s}
minimize=${MINIMIZETIME:-5s}
filter=${1:-.}
parallel=()
[ -n "${FUZZ_PARALLEL:-}" ] && parallel=(-parallel "$FUZZ_PARALLEL")

# Each target as "package-dir target", from the test files' declarations.
mapfile -t targets < <(grep -rHoE --include='*_test.go' '^func Fuzz[A-Za-z0-9_]+\(' . |
  sed -E 's|^\./||; s|/[^/]*_test\.go:func (Fuzz[A-Za-z0-9_]+)\($| \1|; s|^[^/ ]*_test\.go:func (Fuzz[A-Za-z0-9_]+)\($|. \1|' |
  grep -E " .*${filter}" | sort -u)
if [ "${#targets[@]}" -eq 0 ]; then
  echo "bench/fuzz.sh: no fuzz target matches ${filter}" >&2
  exit 2
fi

log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT
printf '%-22s %-24s %12s  %s\n' package target execs result
failed=0
for t in "${targets[@]}"; do
  pkg=${t% *} name=${t#* }
  out="$log/$name.txt"
  if go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" -fuzzminimizetime "$minimize" \
    "${parallel[@]}" "./$pkg" >"$out" 2>&1; then
    result=ok
  else
    failed=1
    crasher=$(grep -oE 'testdata/fuzz/[^ ]+' "$out" | tail -1 || true)
    if [ -n "$crasher" ]; then
      result="CRASHER $pkg/$crasher"
    else
      result="FAILED (no crasher written): $(grep -m1 -E 'FAIL|panic|error' "$out" || tail -1 "$out")"
    fi
    sed 's/^/    /' "$out" | tail -30 >&2
  fi
  execs=$(grep -oE 'execs: [0-9]+' "$out" | tail -1 | cut -d' ' -f2 || true)
  printf '%-22s %-24s %12s  %s\n' "$pkg" "$name" "${execs:-?}" "$result"
done
exit "$failed"
