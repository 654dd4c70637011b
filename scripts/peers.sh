#!/usr/bin/env bash
# The fused pass against numpy and scikit-learn on this machine, in one run: builds the probe
# of ci/dependent (cargo's default release profile, feature parallel) with $RUSTFLAGS, makes
# the virtual environment, and runs scripts/peers.py, which rewrites the peers tables of
# BENCHMARKS.md and docs/peers.svg. PEERS_QUICK=1: the two smallest sizes only.
set -euo pipefail
cd "$(dirname "$0")/.."
(cd ci/dependent && CARGO_TARGET_DIR=target/peers cargo build -q --release --features parallel)
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q numpy threadpoolctl scikit-learn matplotlib
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE \
    PEERS_PROBE=ci/dependent/target/peers/release/probe PEERS_FLAGS="${RUSTFLAGS:-}" \
    .venv/bin/python scripts/peers.py
