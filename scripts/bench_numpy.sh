#!/usr/bin/env bash
# numpy's gradient on the shapes of benches/kernels.rs, one BLAS thread, in its own venv.
# OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE are unset for this command only: on some machines they are
# set to work around old OpenBLAS bugs and would slow a current numpy (threadpoolctl prints
# which kernel runs).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q numpy threadpoolctl
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=1 \
    .venv/bin/python scripts/bench_numpy.py
