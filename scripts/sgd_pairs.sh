#!/usr/bin/env bash
# Alternates scikit-learn's SGDRegressor (scripts/bench_sklearn.py) and the crate's epoch
# (examples/sgd_probe.rs `fits`, the same protocol: median of 7 fits of 20 shuffled epochs) for
# ROUNDS rounds, and prints each round's ns per update and speed-up per d: pairs measured
# seconds apart see the same load on the shared caches. Both run on one CPU (CPU=0 unless
# CPU is set; CPU= leaves them unpinned): this machine's two vCPUs differ in speed, by up to
# 2x, and which one is slow changes over the day. Native build.
#   ROUNDS=10 ./scripts/sgd_pairs.sh
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q numpy scikit-learn
RUSTFLAGS="-C target-cpu=native" cargo build -q --release --example sgd_probe
pin=()
if [ -n "${CPU-0}" ] && command -v taskset > /dev/null; then pin=(taskset -c "${CPU-0}"); fi
for k in $(seq "${ROUNDS:-10}"); do
    sk=$("${pin[@]}" env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 \
        .venv/bin/python scripts/bench_sklearn.py | grep -E '^\| [0-9]')
    rs=$("${pin[@]}" target/release/examples/sgd_probe fits 1 16 64)
    paste <(echo "$sk") <(echo "$rs") | awk -v k="$k" -F'|' '{ printf "round %s d=%s: scikit-learn %s ns, steepest %s ns, %.1fx\n", k, $2+0, $3+0, $6+0, $3/$6 }'
done
