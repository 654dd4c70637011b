#!/usr/bin/env bash
# scikit-learn's SGDRegressor on the shapes of benches/sgd.rs, in its own venv.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q numpy scikit-learn
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 \
    .venv/bin/python scripts/bench_sklearn.py
