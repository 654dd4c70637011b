#!/usr/bin/env bash
# The kernels in a dependent's default release profile (codegen-units = 16, no LTO): every
# loop's helpers inlined. Builds ci/dependent and lists the calls made from inside the
# kernel functions; a call to anything but the kernels' own entry points and memset/memcpy
# (a helper left out of line in another codegen unit: the cause of a 1.4x slowdown once)
# fails. Usage: bash ci/inline_check.sh [extra RUSTFLAGS]
set -euo pipefail
cd "$(dirname "$0")/dependent"
RUSTFLAGS="${1:-}" CARGO_TARGET_DIR=target/check cargo build -q --release
bin=target/check/release/probe
# Each line: the call's target (everything from its first '<'), then the calling function.
allowed='^<(steepest::kernels::simd::(small::(cm_small|rm_small|cm_lockstep)|row_major::(rm_wide|rm_wide_c(<[^>]*>)?|tile_gradient)|col_major::cm_tiled|gradient_(row|col)_major|sums_(row|col)_major)>|mem(set|cpy)@|_DYNAMIC)'
calls=$(objdump -d --no-show-raw-insn -C "$bin" |
    awk '/^[0-9a-f]+ <.*>:$/ { fn = $2; delete got; next }
         # A function address loaded into a register (`call *%r15` then calls it).
         /\tmov +0x[0-9a-f]+\(%rip\),%r[0-9a-z]+ +# [0-9a-f]+ </ {
             r = $0; sub(/^.*\(%rip\),/, "", r); sub(/ .*/, "", r)
             got[r] = substr($0, index($0, "<")) }
         /\tmov +%r[0-9a-z]+,%r[0-9a-z]+$/ {
             split(substr($0, index($0, "%")), rr, ",")
             if (rr[1] in got) got[rr[2]] = got[rr[1]]; else delete got[rr[2]] }
         /\tcall/ && fn ~ /^<steepest::kernels::simd::/ {
             t = substr($0, index($0, "<"))
             if (index($0, "<") == 0) { r = $0; sub(/^.*call +\*/, "", r); t = (r in got) ? got[r] : $0 }
             print t "  in " fn }')
bad=$(grep -Ev "$allowed" <<<"$calls" || true)
echo "kernel call sites in the default-profile build: $(grep -c . <<<"$calls")"
if [ -n "$bad" ]; then
    echo "calls out of the kernels' loops (a helper not inlined):"
    sort <<<"$bad" | uniq -c
    exit 1
fi
echo "no call from a kernel to a helper"
