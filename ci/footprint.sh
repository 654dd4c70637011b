#!/usr/bin/env bash
# Footprint of steepest in Cortex-M4F firmware (thumbv7em-none-eabihf, opt-level "s", fat
# LTO: the `firmware` profile), measured on three examples built and run by
# ci/check-embedded.sh under QEMU mps2-an386 with `-icount shift=0`:
#   fw_base   the sample stream, printing and runtime, no crate code (the baseline)
#   fw_sgd    the same plus the SGD stepper: plain SGD, constant rate, d = 8, online steps
#   firmware  everything: GD, SGD with shuffles, momentum, Adam, NLMS, the fused kernels
# Prints a markdown table (also saved to target/footprint/footprint.md) and fails if the
# stepper's code (fw_sgd's .text minus fw_base's) exceeds BUDGET bytes, or if any firmware
# links an allocator.
#
# Instructions: under -icount shift=0 QEMU advances the virtual clock 1 ns per instruction,
# and SysTick counts the 25 MHz core clock of mps2-an386, so one tick is 40 instructions.
# The firmwares time 1000 and then 2000 samples; (ticks(2000) - ticks(1000)) * 40 / 1000 is
# the instructions per sample, and fw_sgd's minus fw_base's is the step's alone.
set -euo pipefail
cd "$(dirname "$0")/.."
BUDGET=${BUDGET:-2048}
dir=target/footprint
mkdir -p "$dir"
for ex in fw_base fw_sgd firmware; do
    if ! PROFILE=firmware QEMU_EXTRA="-icount shift=0" ELF_OUT="$dir/$ex.path" \
        OUTPUT="$dir/$ex.txt" bash ci/check-embedded.sh . "$ex" -p steepest > /dev/null 2> "$dir/$ex.log"; then
        cat "$dir/$ex.log" >&2
        echo "footprint: $ex failed" >&2
        exit 1
    fi
done

# The same program on the host gives the same model bits (the measurements differ).
cargo run -q --release --example fw_sgd > "$dir/fw_sgd-host.txt"
if ! diff -u <(grep -v '^steps ' "$dir/fw_sgd-host.txt") <(grep -v '^steps ' "$dir/fw_sgd.txt") >&2; then
    echo "footprint: fw_sgd's model differs between the host and the Cortex-M4F" >&2
    exit 1
fi

llvm_bin() {   # the llvm tool of the same LLVM as Debian's rustc (rust-web-llvm pulls it)
    local rustc major
    rustc=$(dpkg -L rustc-web | grep -E '^/[^/]+(/[^/]+)?/bin/rustc$' | head -1)
    major=$("$rustc" -vV | sed -n 's/^LLVM version: \([0-9]*\).*/\1/p')
    command -v "$1-$major" || command -v "$1"
}
SIZE=$(llvm_bin llvm-size)
NM=$(llvm_bin llvm-nm)

section() {   # section ELF NAME -> bytes (0 if absent)
    "$SIZE" -A "$1" | awk -v s="$2" '$1 == s { print $2; found = 1 } END { if (!found) print 0 }'
}
ticks() {     # ticks OUTPUT STEPS -> SysTick ticks of that measured run
    awk -v n="$2" '$1 == "steps" && $2 == n { print $4 }' "$1"
}
stack() {     # stack OUTPUT -> the larger high-water mark of the two runs
    awk '$1 == "steps" { if ($6 > m) m = $6 } END { print m + 0 }' "$1"
}

declare -A text flash ram per
for ex in fw_base fw_sgd firmware; do
    elf=$(cat "$dir/$ex.path")
    if "$NM" "$elf" | grep -qE ' (__rust_alloc|__rg_alloc|__rdl_alloc|malloc)$'; then
        echo "footprint: $ex links an allocator" >&2
        exit 1
    fi
    t=$(section "$elf" .text)
    text[$ex]=$t
    flash[$ex]=$(( $(section "$elf" .vector_table) + t + $(section "$elf" .rodata) + $(section "$elf" .data) ))
    ram[$ex]=$(( $(section "$elf" .data) + $(section "$elf" .bss) ))
done
for ex in fw_base fw_sgd; do
    t1=$(ticks "$dir/$ex.txt" 1000)
    t2=$(ticks "$dir/$ex.txt" 2000)
    per[$ex]=$(( (t2 - t1) * 40 ))   # instructions per 1000 samples
done
sgd_code=$(( text[fw_sgd] - text[fw_base] ))
step_milli=$(( per[fw_sgd] - per[fw_base] ))
fmt3() { printf '%d.%d' $(( $1 / 1000 )) $(( ($1 % 1000) / 100 )); }

{
    echo "| firmware (thumbv7em-none-eabihf, opt-level \"s\", LTO) | .text | flash | static RAM | stack of the steps | instructions per step |"
    echo "|---|---|---|---|---|---|"
    echo "| baseline: sample stream, printing, runtime (\`fw_base\`) | ${text[fw_base]} B | ${flash[fw_base]} B | ${ram[fw_base]} B | $(stack "$dir/fw_base.txt") B (loop only) | – |"
    echo "| SGD only: plain, constant rate, d = 8 (\`fw_sgd\`) | ${text[fw_sgd]} B | ${flash[fw_sgd]} B | ${ram[fw_sgd]} B | $(stack "$dir/fw_sgd.txt") B | $(fmt3 "$step_milli") |"
    echo "| **the stepper's own code** (SGD only − baseline) | **${sgd_code} B** (budget ${BUDGET} B) | | | | |"
    echo "| everything (\`firmware\`) | ${text[firmware]} B | ${flash[firmware]} B | ${ram[firmware]} B | – | – |"
} | tee "$dir/footprint.md"
echo "(instructions per sample with the stream: fw_sgd $(fmt3 "${per[fw_sgd]}"), fw_base $(fmt3 "${per[fw_base]}"))"

if [ "$sgd_code" -gt "$BUDGET" ]; then
    echo "footprint: FAILED: the SGD stepper's code is $sgd_code B, over its $BUDGET B budget" >&2
    exit 1
fi
echo "footprint: OK (SGD stepper $sgd_code B of $BUDGET B; no allocator linked)"
