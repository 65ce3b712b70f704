# Sourced by the bench scripts, from the repository root: where generated
# inputs go, and the large profile pair (internal/heapgen.Large), generated once.
out=bench/out
mkdir -p "$out"

# ensure_pair writes $out/base.pb.gz and $out/target.pb.gz if missing.
ensure_pair() {
  if [ ! -s "$out/base.pb.gz" ] || [ ! -s "$out/target.pb.gz" ]; then
    echo "generating the large pair into $out ..." >&2
    go run ./bench/genprofiles -out "$out"
  fi
}

# ensure_million writes $out/million/{base,target}.pb.gz (internal/heapgen.Million,
# 1,000,000 stacks each) if missing: about a minute and 3 GiB.
ensure_million() {
  if [ ! -s "$out/million/base.pb.gz" ] || [ ! -s "$out/million/target.pb.gz" ]; then
    echo "generating the 1M-stack pair into $out/million (about a minute, 3 GiB) ..." >&2
    go run ./bench/genprofiles -million -out "$out/million"
  fi
}

# ensure_inflated DIR writes DIR/base.pb and DIR/target.pb, the pair
# inflated, if missing: what "decode only" reads.
ensure_inflated() {
  local f
  for f in base target; do
    [ -s "$1/$f.pb" ] || gzip -dc "$1/$f.pb.gz" > "$1/$f.pb"
  done
}

# machine prints what the figures were measured on: date, cores, CPU,
# memory, load, Go, and the commit measured.
machine() {
  echo "date:    $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "machine: $(nproc) cores, $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo), $(awk '/^MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo) RAM, $(uname -sr)"
  echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min) at the start: other work on the machine slows every command"
  echo "go:      $(go version | cut -d' ' -f3-), heapdiff $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD 2>/dev/null || echo ' (modified)')"
}

# measure SECTION ROUND NAME CMD...: runs CMD with its output discarded and
# appends "SECTION<TAB>ROUND<TAB>NAME<TAB>wall<TAB>cpu<TAB>rss_kib" to
# $results (from /usr/bin/time: wall seconds, user+system seconds, maximum
# resident set size). A failing command stops the script with its error.
measure() {
  local section=$1 round=$2 name=$3; shift 3
  if ! /usr/bin/time -f "%e %U %S %M" -o "$out/measure.time" "$@" > /dev/null 2> "$out/measure.err"; then
    echo "bench: $name failed:" >&2
    cat "$out/measure.err" >&2
    exit 1
  fi
  local wall user sys rss
  read -r wall user sys rss < <(tail -n 1 "$out/measure.time")
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$section" "$round" "$name" "$wall" "$(echo "$user + $sys" | bc)" "$rss" >> "$results"
  printf '  round %s  %-44s %7.2f s wall %7.2f s cpu %8.1f MiB\n' "$round" "$name" "$wall" "$(echo "$user + $sys" | bc)" "$(echo "$rss / 1024" | bc -l)" >&2
}

# summary SECTION: one line per command of the section, in the order first
# run: the range (min-max) over the rounds of wall time, CPU time and peak
# RSS.
summary() {
  awk -F'\t' -v s="$1" '
    $1 != s { next }
    !($3 in n) { order[++k] = $3 }
    { n[$3]++
      if (!($3 in wmin) || $4 < wmin[$3]) wmin[$3] = $4; if ($4 > wmax[$3]) wmax[$3] = $4
      if (!($3 in cmin) || $5 < cmin[$3]) cmin[$3] = $5; if ($5 > cmax[$3]) cmax[$3] = $5
      if (!($3 in rmin) || $6 < rmin[$3]) rmin[$3] = $6; if ($6 > rmax[$3]) rmax[$3] = $6 }
    END {
      printf "%-44s %3s %15s %15s %19s\n", "command", "n", "wall (s)", "cpu (s)", "peak RSS (MiB)"
      for (i = 1; i <= k; i++) { c = order[i]
        printf "%-44s %3d %6.2f - %6.2f %6.2f - %6.2f %8.1f - %8.1f\n", c, n[c], wmin[c], wmax[c], cmin[c], cmax[c], rmin[c] / 1024, rmax[c] / 1024 }
    }' "$results"
}

# ratio SECTION LABEL NUM DEN FIELD FORMAT: NUM's FIELD (wall, cpu or rss)
# over DEN's, taken in the same round, for every round in which both ran,
# printed as their range with LABEL and FORMAT ("x" for NUM/DEN, "1/" for
# DEN/NUM shown as 1/k).
ratio() {
  awk -F'\t' -v s="$1" -v label="$2" -v a="$3" -v b="$4" -v field="$5" -v fmt="$6" '
    BEGIN { col = field == "wall" ? 4 : field == "cpu" ? 5 : 6 }
    $1 != s { next }
    $3 == a { num[$2] = $col }
    $3 == b { den[$2] = $col }
    END {
      for (r in num) if ((r in den) && den[r] > 0 && num[r] > 0) {
        x = num[r] / den[r]; m++
        if (m == 1 || x < lo) lo = x
        if (m == 1 || x > hi) hi = x
      }
      if (m == 0) { printf "%-58s (not measured)\n", label; exit }
      if (fmt == "1/") printf "%-58s 1/%.1f - 1/%.1f  (%d rounds)\n", label, 1 / hi, 1 / lo, m
      else printf "%-58s %.2fx - %.2fx  (%d rounds)\n", label, lo, hi, m
    }' "$results"
}
