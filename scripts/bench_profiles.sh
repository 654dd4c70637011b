#!/usr/bin/env bash
# The kernels built with fat LTO and one codegen unit (as `cargo bench` builds them)
# against the same probe built by a dependent crate with cargo's default release profile
# (ci/dependent: 16 codegen units, no LTO), with the same $RUSTFLAGS. ROUNDS rounds per shape,
# the two builds alternated; prints per shape the minimum of each and the median (and
# quartiles) of the per-round ratio default ÷ fat LTO.
#   RUSTFLAGS="-C target-cpu=native" PROBE_BYTES=32768 scripts/bench_profiles.sh rm:4 cm:16
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS="${ROUNDS:-9}"
CARGO_PROFILE_RELEASE_LTO=fat CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1 \
    cargo build -q --release --example probe --target-dir target/profile-crate
(cd ci/dependent && CARGO_TARGET_DIR=target/profile-default cargo build -q --release)
A=target/profile-crate/release/examples/probe
B=ci/dependent/target/profile-default/release/probe
shapes=("$@")
[ ${#shapes[@]} -gt 0 ] || shapes=(rm:1 rm:4 rm:8 rm:16 rm:17 rm:64 rm:256 cm:1 cm:4 cm:16 cm:64 cm:256)
for s in "${shapes[@]}"; do
    for r in $(seq "$ROUNDS"); do
        # The two builds in turn, each first in every other round: from DRAM the process that
        # runs second can find memory in a different state.
        if (( r % 2 )); then
            a=$("$A" "$s" | cut -d= -f2); b=$("$B" "$s" | cut -d= -f2)
        else
            b=$("$B" "$s" | cut -d= -f2); a=$("$A" "$s" | cut -d= -f2)
        fi
        echo "$s $a $b"
    done
done | python3 -c '
import sys, statistics, collections
m = collections.defaultdict(list)
for line in sys.stdin:
    s, a, b = line.split()
    m[s].append((float(a), float(b)))
print("| shape | fat LTO, ns/value | default profile, ns/value | default ÷ fat LTO: median [quartiles] |")
print("|---|---|---|---|")
for s, v in m.items():
    r = sorted(b / a for a, b in v)
    q = len(r) // 4
    print(f"| {s} | {min(a for a, _ in v):.3f} | {min(b for _, b in v):.3f} | {statistics.median(r):.3f} [{r[q]:.3f}, {r[-1 - q]:.3f}] |")
'
