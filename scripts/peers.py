"""The fused pass and its peers on the same machine, data shapes and sizes, in one run.

For each working-set size (X's bytes) and d, row-major and column-major (numpy's C and
Fortran orders), ns per value of X for:
  * steepest's fused pass, one thread (simd::gradient) and all threads (parallel::gradient),
    from ci/dependent: a crate depending on steepest with cargo's default release profile;
  * numpy's r = X@w + b - y; g = X.T@r with one BLAS thread and with all;
  * scikit-learn's SGDRegressor, one epoch (its own time per value of X, one thread).
Each figure is the minimum over repeated calls. Writes the tables between the markers
"<!-- peers:begin -->" and "<!-- peers:end -->" in BENCHMARKS.md and draws docs/peers.svg.
Run through scripts/peers.sh, which builds the probe and the virtual environment.
"""
import os
import platform
import re
import subprocess
import sys
import time

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..")
PROBE = os.environ["PEERS_PROBE"]
FLAGS = os.environ.get("PEERS_FLAGS", "")
SIZES = [(32 << 10, "32 KiB"), (1 << 20, "1 MiB"), (8 << 20, "8 MiB"), (256 << 20, "256 MiB")]
if os.environ.get("PEERS_QUICK"):
    SIZES = SIZES[:2]
DS = [1, 4, 16, 64, 256]
THREADS = os.cpu_count()


def probe(bytes_, shapes, threads=None):
    env = dict(os.environ, PROBE_BYTES=str(bytes_))
    if threads:
        env["PROBE_THREADS"] = str(threads)
    out = subprocess.run([PROBE, *shapes], env=env, capture_output=True, text=True, check=True)
    return {k: float(v) for k, v in re.findall(r"(\w+)=([0-9.]+)", out.stdout)}


def best(f, budget=1.0, least=5):
    f()
    times = []
    end = time.perf_counter() + budget
    while len(times) < least or (time.perf_counter() < end and len(times) < 200):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return min(times)


def numpy_ns(X, w, b, y, threads):
    def grad():
        r = X @ w + b - y
        return X.T @ r, float(r @ r)

    with threadpool_limits(limits=threads):
        return best(grad) * 1e9 / X.size


def sklearn_ns(X, y):
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import SGDRegressor

    X64, y64 = X.astype(np.float64), y.astype(np.float64)

    def epoch():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            SGDRegressor(max_iter=1, tol=None, shuffle=True, random_state=0).fit(X64, y64)

    return best(epoch, budget=2.0, least=3) * 1e9 / X.size


def cpu():
    fields = {}
    for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
        k, _, v = line.partition(":")
        fields[k.strip()] = v.strip()
    return (f"{fields.get('Model name')} (family {fields.get('CPU family')}, model "
            f"{fields.get('Model')}), {THREADS} CPUs, L2 {fields.get('L2 cache')}, "
            f"L3 {fields.get('L3 cache')}")


def main():
    rng = np.random.default_rng(1)
    rows = []
    # Every probe run first: after a call on all threads, numpy's BLAS threads spin for a
    # while, and a probe run then would share the CPUs with them.
    shapes = [f"{l}:{d}" for l in ("rm", "cm") for d in DS]
    fused = {b: (probe(b, shapes), probe(b, shapes, THREADS)) for b, _ in SIZES}
    for bytes_, label in SIZES:
        one, all_ = fused[bytes_]
        for layout, order in (("rm", "C"), ("cm", "F")):
            for d in DS:
                n = bytes_ // 4 // d
                X = np.asarray(rng.uniform(-1, 1, size=(n, d)), dtype=np.float32, order=order)
                y = rng.uniform(-1, 1, size=n).astype(np.float32)
                w = rng.uniform(-0.5, 0.5, size=d).astype(np.float32)
                row = {
                    "size": label, "bytes": bytes_, "layout": layout, "d": d,
                    "fused1": one[f"{layout}{d}"], "fusedN": all_[f"{layout}{d}"],
                    "numpy1": numpy_ns(X, w, 0.5, y, 1), "numpyN": numpy_ns(X, w, 0.5, y, THREADS),
                    "sgd": sklearn_ns(X, y) if layout == "rm" else None,
                }
                rows.append(row)
                print(row, file=sys.stderr, flush=True)
    write(rows)
    plot(rows)


def write(rows):
    import sklearn

    blas = ", ".join(f"{i.get('internal_api')} {i.get('version')} ({i.get('architecture')})"
                     for i in threadpool_info())
    head = [
        f"Host: {cpu()}. Build: ci/dependent (cargo's default release profile), "
        f"RUSTFLAGS=\"{FLAGS}\". numpy {np.__version__} ({blas}), scikit-learn "
        f"{sklearn.__version__}, Python {platform.python_version()}. Command: "
        f"`RUSTFLAGS=\"{FLAGS}\" scripts/peers.sh`. Each figure: ns per value of X, the minimum "
        f"over repeated calls; \"all\" = {THREADS} threads. numpy's gradient makes two passes "
        f"(X@w, then X.T@r); SGDRegressor is one epoch of per-sample steps on an f64 copy.",
        "",
        "| layout | X | d | fused, 1 thread | fused, all | numpy, 1 thread | numpy, all | "
        "numpy 1 ÷ fused 1 | numpy all ÷ fused all | fused 1 ÷ fused all | SGDRegressor epoch |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        sgd = f"{r['sgd']:.2f}" if r["sgd"] is not None else "–"
        head.append(
            f"| {r['layout']} | {r['size']} | {r['d']} | {r['fused1']:.3f} | {r['fusedN']:.3f} | "
            f"{r['numpy1']:.3f} | {r['numpyN']:.3f} | {r['numpy1'] / r['fused1']:.1f} | "
            f"{r['numpyN'] / r['fusedN']:.1f} | {r['fused1'] / r['fusedN']:.2f} | {sgd} |")
    path = os.path.join(ROOT, "BENCHMARKS.md")
    text = open(path).read()
    a, b = "<!-- peers:begin -->", "<!-- peers:end -->"
    new = text[: text.index(a) + len(a)] + "\n" + "\n".join(head) + "\n" + text[text.index(b):]
    open(path, "w").write(new)


def plot(rows):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
    for ax, layout in zip(axes, ("rm", "cm")):
        for d, colour in zip((4, 64), ("tab:blue", "tab:orange")):
            sel = [r for r in rows if r["layout"] == layout and r["d"] == d]
            xs = [r["bytes"] for r in sel]
            for key, style, name in (("fused1", "-o", "fused, 1 thread"),
                                     ("fusedN", "-s", f"fused, {THREADS} threads"),
                                     ("numpy1", "--o", "numpy, 1 thread"),
                                     ("numpyN", "--s", f"numpy, {THREADS} threads")):
                ax.plot(xs, [r[key] for r in sel], style, color=colour, label=f"d = {d}, {name}")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("bytes of X")
        ax.set_title("row-major" if layout == "rm" else "column-major")
        ax.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel("ns per value of X (lower is faster)")
    axes[1].legend(fontsize=7)
    fig.suptitle(cpu(), fontsize=9)
    fig.tight_layout()
    fig.savefig(os.path.join(ROOT, "docs", "peers.svg"))


if __name__ == "__main__":
    main()
