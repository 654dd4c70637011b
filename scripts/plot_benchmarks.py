#!/usr/bin/env python3
"""Draws docs/benchmarks.svg from BENCHMARKS.md's table "Against numpy": ns per value of X at
512 MiB for the fused pass (numpy's time over its ratio, the mean of the two runs) and numpy,
per layout and d.

    .venv/bin/pip install matplotlib && .venv/bin/python scripts/plot_benchmarks.py
"""

import os
import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..")


def rows():
    text = open(os.path.join(ROOT, "BENCHMARKS.md")).read()
    table = text[text.index("| layout | d | fused ÷ read (E, F)"):].split("\n\n")[0]
    for line in table.splitlines()[2:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        layout, d = cells[0], int(cells[1])
        ratios = [float(v) for v in re.findall(r"[0-9.]+", cells[4])]
        numpy_ns = float(cells[5])
        yield layout, d, numpy_ns / (sum(ratios) / len(ratios)), numpy_ns


def main():
    data = list(rows())
    fig, ax = plt.subplots(figsize=(7, 4))
    for layout, style in [("row-major", "-"), ("column-major", "--")]:
        pts = [(d, f, n) for (l, d, f, n) in data if l == layout]
        ds = [p[0] for p in pts]
        ax.plot(ds, [p[1] for p in pts], style, marker="o", label=f"steepest fused, {layout}")
        ax.plot(ds, [p[2] for p in pts], style, marker="s", label=f"numpy (1 thread), {layout}")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("features d")
    ax.set_ylabel("ns per value of X")
    ax.set_title("One loss-and-gradient pass over 512 MiB (AMD EPYC Zen 3, native)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(os.path.join(ROOT, "docs", "benchmarks.svg"), metadata={"Date": None})


if __name__ == "__main__":
    main()
