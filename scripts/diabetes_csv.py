#!/usr/bin/env python3
"""Writes tests/data/diabetes.csv: scikit-learn's diabetes data set (442 patients, ten
standardised features, a disease-progression target; Efron, Hastie, Johnstone and Tibshirani,
"Least Angle Regression", 2004), with a header, for the tool's tests.

    .venv/bin/pip install scikit-learn && .venv/bin/python scripts/diabetes_csv.py
"""

import os

from sklearn.datasets import load_diabetes

HERE = os.path.dirname(os.path.abspath(__file__))

data = load_diabetes()
with open(os.path.join(HERE, "..", "tests", "data", "diabetes.csv"), "w") as f:
    f.write(",".join(data.feature_names + ["progression"]) + "\n")
    for row, t in zip(data.data, data.target):
        f.write(",".join(repr(float(v)) for v in row) + "," + repr(float(t)) + "\n")
