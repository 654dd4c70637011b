"""numpy's gradient r = X@w + b - y; g = 2/n * X.T @ r on the shapes of benches/kernels.rs.

One BLAS thread. Prints, per layout, size and d, the median time per call and ns per element
of X. Run through scripts/bench_numpy.sh, which makes the virtual environment.
"""
import os
import statistics
import sys
import time

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

SIZES = [(32 << 10, "32KiB"), (1 << 20, "1MiB"), (16 << 20, "16MiB")]
if os.environ.get("STEEPEST_BENCH_LARGE"):
    SIZES.append((512 << 20, "512MiB"))
DS = [1, 4, 16, 64, 256]


def grad(X, w, b, y):
    r = X @ w + b - y
    return 2.0 / len(y) * (X.T @ r), float(r @ r)


def measure(X, w, b, y):
    grad(X, w, b, y)
    samples = []
    budget = time.perf_counter() + 1.0
    while len(samples) < 5 or (time.perf_counter() < budget and len(samples) < 200):
        t = time.thread_time_ns()
        grad(X, w, b, y)
        samples.append(time.thread_time_ns() - t)
    return statistics.median(samples)


def main():
    with threadpool_limits(limits=1):
        info = threadpool_info()
        print(f"# numpy {np.__version__}, BLAS: " + ", ".join(
            f"{i.get('internal_api')} {i.get('version')} ({i.get('architecture')}, {i.get('num_threads')} thread)"
            for i in info), flush=True)
        print("| layout | X size | d | numpy ns/call | numpy ns per X element |")
        print("|---|---|---|---|---|")
        rng = np.random.default_rng(1)
        for bytes_, label in SIZES:
            for d in DS:
                n = bytes_ // 4 // d
                X = rng.uniform(-1, 1, size=(n, d)).astype(np.float32)
                y = rng.uniform(-1, 1, size=n).astype(np.float32)
                w = rng.uniform(-0.5, 0.5, size=d).astype(np.float32)
                for layout, A in (("row-major", X), ("col-major", np.asfortranarray(X))):
                    ns = measure(A, w, np.float32(0.5), y)
                    print(f"| {layout} | {label} | {d} | {ns:.0f} | {ns / (n * d):.3f} |", flush=True)
                del X


if __name__ == "__main__":
    sys.exit(main())
