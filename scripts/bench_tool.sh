#!/usr/bin/env bash
# The steepest tool on a generated file of ROWS rows (default 10^7) of three features and a
# target: load time, time per gradient-descent epoch and peak memory, with THREADS threads
# (default 0: one per CPU).
#
#     cargo build --release -p steepest-cli && ./scripts/bench_tool.sh
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${ROWS:-10000000}
file=${FILE:-target/bench-tool-$rows.csv}
bin=target/release/steepest
if [ ! -s "$file" ]; then
    awk -v n="$rows" 'BEGIN {
        srand(7); print "sqft,bedrooms,year,price";
        for (i = 0; i < n; i++) {
            s = int(500 + 4500 * rand()); b = 1 + int(6 * rand()); y = 1900 + int(121 * rand());
            printf "%d,%d,%d,%d\n", s, b, y, 150 * s + 8000 * b + 1500 * (y - 1900) + 60000 * (rand() - 0.5) + 20000
        }
    }' > "$file"
fi
bytes=$(stat -c %s "$file")
measure() {   # prints "seconds peak_kib"
    /usr/bin/time -f "%e %M" "$bin" fit "$file" --quiet --threads "${THREADS:-0}" "$@" 2>&1 >/dev/null | tail -1
}
read -r t0 m0 < <(measure --lr 0.1 --epochs 0 --test-fraction 0)
read -r t1 m1 < <(measure --lr 0.1 --epochs 200 --tol 0 --test-fraction 0)
data_mb=$(( rows * 16 / 1048576 ))
echo "file: $file, $rows rows, $(( bytes / 1048576 )) MiB of text, $data_mb MiB of f32 data"
echo "load (read, statistics, one pass): ${t0} s, peak memory $(( m0 / 1024 )) MiB"
echo "per epoch: $(awk -v a="$t1" -v b="$t0" 'BEGIN { printf "%.1f", (a - b) / 200 * 1000 }') ms (200 epochs: ${t1} s), peak memory $(( m1 / 1024 )) MiB"
