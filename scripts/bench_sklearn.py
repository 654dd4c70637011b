"""scikit-learn's SGDRegressor on the shapes of benches/sgd.rs: ns per sample update.

Plain SGD (penalty=None, constant learning rate), shuffled every epoch, n = 100 000,
d in {1, 16, 64}; the median over repeated fits of 20 epochs (tol=None) divided by 20·n. The
data are the same values as the Rust bench's, passed as float64 C-contiguous arrays, the
dtype SGDRegressor computes in, so that no conversion is charged to it; 20 epochs amortize
the fit's setup. Thread CPU time. Run through scripts/bench_sklearn.sh, which makes the
virtual environment.
"""
import statistics
import time
import warnings

import numpy as np
import sklearn
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import SGDRegressor

N = 100_000
EPOCHS = 20


def main():
    warnings.simplefilter("ignore", ConvergenceWarning)
    print(f"# scikit-learn {sklearn.__version__}, numpy {np.__version__}")
    print("| d | SGDRegressor ns per update |")
    print("|---|---|")
    for d in (1, 16, 64):
        k = np.arange(N * d)
        X = (((k * 7919) % 1000) / 500.0 - 1.0).astype(np.float32).reshape(N, d)
        y = (X.sum(axis=1) * 0.1 + 0.5).astype(np.float32)
        X, y = np.ascontiguousarray(X, dtype=np.float64), y.astype(np.float64)
        samples = []
        for rep in range(7):
            m = SGDRegressor(penalty=None, learning_rate="constant", eta0=0.001, max_iter=EPOCHS,
                             tol=None, shuffle=True, random_state=rep)
            t = time.thread_time_ns()
            m.fit(X, y)
            samples.append((time.thread_time_ns() - t) / (EPOCHS * N))
        print(f"| {d} | {statistics.median(samples):.1f} |", flush=True)


if __name__ == "__main__":
    main()
