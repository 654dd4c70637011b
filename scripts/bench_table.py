"""Turns `cargo bench --bench kernels` output into the BENCHMARKS.md tables.

usage: python3 scripts/bench_table.py BENCH_LOG [NUMPY_LOG]
Ratios are of criterion's median estimates measured in the same run.
"""
import re
import sys

UNIT = {"ps": 1e-3, "ns": 1.0, "µs": 1e3, "us": 1e3, "ms": 1e6, "s": 1e9}


def parse(path):
    res, name = {}, None
    for line in open(path, encoding="utf-8"):
        m = re.match(r"^(\S+/\S+/\S+/d=\d+)", line)
        if m:
            name = m.group(1)
        m = re.search(r"time:\s+\[\S+ \S+ (\S+) (\S+) \S+ \S+\]", line)
        if m and name:
            res[name] = float(m.group(1)) * UNIT[m.group(2)]
            name = None
    return res


def numpy(path):
    out = {}
    for line in open(path, encoding="utf-8"):
        p = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(p) == 5 and p[2].isdigit():
            out[(p[0], p[1], int(p[2]))] = float(p[3])
    return out


def main():
    res = parse(sys.argv[1])
    npy = numpy(sys.argv[2]) if len(sys.argv) > 2 else {}
    keys = sorted({tuple(k.split("/")[:2]) + (int(k.split("d=")[1]),) for k in res},
                  key=lambda k: (k[0], ["32KiB", "1MiB", "16MiB", "512MiB"].index(k[1]), k[2]))
    print("| layout | X size | d | fused ns/elem | fused ÷ read | two-pass ÷ fused | reference ÷ fused | numpy ÷ fused |")
    print("|---|---|---|---|---|---|---|---|")
    for layout, size, d in keys:
        g = lambda k: res.get(f"{layout}/{size}/{k}/d={d}")
        fused, read, two, ref = g("fused"), g("read"), g("two-pass"), g("reference")
        if fused is None:
            continue
        n_elem = {"32KiB": 32 << 10, "1MiB": 1 << 20, "16MiB": 16 << 20, "512MiB": 512 << 20}[size] // 4
        f = lambda v: f"{v / fused:.2f}" if v else "–"
        rd = f"{fused / read:.2f}" if read else "–"
        np_ = npy.get((layout, size, d))
        print(f"| {layout} | {size} | {d} | {fused / n_elem:.3f} | {rd} | {f(two)} | {f(ref)} | {f(np_)} |")


if __name__ == "__main__":
    main()
