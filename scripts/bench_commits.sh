#!/usr/bin/env bash
# The probe of two commits, each built by ci/dependent (cargo's default release profile)
# with the same $RUSTFLAGS, alternated: ROUNDS rounds, each build first in every other one,
# each run the minimum over repeated passes per shape. Prints per shape the median (and
# range) of the per-round ratio NEW ÷ OLD and each build's minimum, ns per value of X.
# Pinned to $CPUS (default 0).
#   RUSTFLAGS="-C target-cpu=native" PROBE_BYTES=6291456 scripts/bench_commits.sh OLD NEW rm:16 cm:64
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 3 ] || { echo "usage: $0 OLD NEW SHAPE..." >&2; exit 2; }
old="$1" new="$2"; shift 2
work=target/bench-commits
for c in "$old" "$new"; do
    dir="$work/$(git rev-parse --short "$c")"
    rm -rf "$dir" && mkdir -p "$dir" && git archive "$c" | tar -x -C "$dir"
    (cd "$dir/ci/dependent" && CARGO_TARGET_DIR="$PWD/../../../target-$(basename "$dir")" \
        cargo build -q --release --features parallel)
done
A="$work/target-$(git rev-parse --short "$old")/release/probe"
B="$work/target-$(git rev-parse --short "$new")/release/probe"
ROUNDS="${ROUNDS:-5}" CPUS="${CPUS:-0}" python3 - "$A" "$B" "$@" <<'PY'
import os, re, statistics, subprocess, sys
a, b, shapes = sys.argv[1], sys.argv[2], sys.argv[3:]
def run(p):
    out = subprocess.run(["taskset", "-c", os.environ["CPUS"], p, *shapes],
                         capture_output=True, text=True, check=True).stdout
    return {k: float(v) for k, v in re.findall(r"(\w+)=([\d.]+)", out)}
ratios, mins = {}, {}
for r in range(int(os.environ["ROUNDS"])):
    x, y = (run(a), run(b)) if r % 2 == 0 else tuple(reversed((run(b), run(a))))
    for k in x:
        ratios.setdefault(k, []).append(y[k] / x[k])
        m = mins.setdefault(k, [x[k], y[k]])
        mins[k] = [min(m[0], x[k]), min(m[1], y[k])]
for k, rs in ratios.items():
    rs.sort()
    print(f"{k}: new/old {statistics.median(rs):.3f} [{rs[0]:.3f}..{rs[-1]:.3f}]"
          f"  old {mins[k][0]:.4f} new {mins[k][1]:.4f}")
PY
