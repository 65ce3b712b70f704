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
