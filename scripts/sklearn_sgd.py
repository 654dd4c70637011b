#!/usr/bin/env python3
"""scikit-learn's SGDRegressor on a small committed data set, for tests/sklearn.rs.

Writes tests/data/sklearn_x.csv (the data: f32-representable values, one sample per line,
the target last) and tests/data/sklearn_sgd.csv (case, epoch, coefficients, intercept after
each epoch). Every run uses shuffle=False, tol=None and one partial_fit call per epoch, so the
samples are visited in file order and the step counter carries over, as the crate's stepper
does when it takes one `step` per sample.

    python3 -m venv .venv && .venv/bin/pip install scikit-learn
    .venv/bin/python scripts/sklearn_sgd.py
"""

import csv
import os
import sys

import numpy as np
import sklearn
from sklearn.linear_model import SGDRegressor

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "tests", "data")
N, D, EPOCHS = 40, 3, 50

# name: SGDRegressor settings (loss is squared_error throughout).
CASES = {
    "constant": dict(learning_rate="constant", eta0=0.05, penalty=None),
    "invscaling": dict(learning_rate="invscaling", eta0=0.05, power_t=0.25, penalty=None),
    "l2": dict(learning_rate="constant", eta0=0.05, penalty="l2", alpha=0.01),
    "average": dict(learning_rate="constant", eta0=0.05, penalty=None, average=True),
    "optimal": dict(learning_rate="optimal", alpha=0.1, penalty=None),
}


def data():
    rng = np.random.RandomState(2024)
    x = rng.uniform(-1.0, 1.0, size=(N, D)).astype(np.float32)
    noise = rng.normal(0.0, 0.05, size=N)
    y = (x.astype(np.float64) @ np.array([1.5, -2.0, 0.5]) + 0.3 + noise).astype(np.float32)
    return x, y


def run(x, y, settings):
    model = SGDRegressor(shuffle=False, tol=None, max_iter=1, fit_intercept=True, **settings)
    rows = []
    for epoch in range(1, EPOCHS + 1):
        model.partial_fit(x.astype(np.float64), y.astype(np.float64))
        rows.append([epoch, *model.coef_.tolist(), float(model.intercept_[0])])
    return rows


def main():
    x, y = data()
    with open(os.path.join(OUT, "sklearn_x.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        for xi, yi in zip(x, y):
            w.writerow([repr(float(v)) for v in xi] + [repr(float(yi))])
    with open(os.path.join(OUT, "sklearn_sgd.csv"), "w", newline="") as f:
        f.write(f"# scikit-learn {sklearn.__version__}, numpy {np.__version__}\n")
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["case", "epoch"] + [f"coef{j}" for j in range(D)] + ["intercept"])
        # One step from zero on x = 1, y = 1 with optimal at alpha = 1e-4: typw = 10 = eta0.
        single = SGDRegressor(
            learning_rate="optimal", alpha=1e-4, penalty=None, fit_intercept=False,
            shuffle=False, tol=None, max_iter=1,
        ).partial_fit([[1.0]], [1.0])
        w.writerow(["optimal_single", 1, repr(float(single.coef_[0])), "", "", "0.0"])
        for name, settings in CASES.items():
            for row in run(x, y, settings):
                w.writerow([name] + [repr(v) if isinstance(v, float) else v for v in row])
    print("wrote tests/data/sklearn_x.csv and tests/data/sklearn_sgd.csv", file=sys.stderr)


if __name__ == "__main__":
    main()
