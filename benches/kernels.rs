//! The fused kernel against the scalar reference, a two-pass (`X·w`, then `Xᵀ·r`, the BLAS
//! way) SIMD version, and a plain SIMD read of X and y (the physical floor of one pass), on
//! both layouts, d ∈ {1, 4, 16, 64, 256}, and X of about 32 KiB, 1 MiB and 16 MiB
//! (add 512 MiB with `STEEPEST_BENCH_LARGE=1`). Throughput is bytes of X per second.
//!
//! ```text
//! cargo bench --bench kernels                                   # default build (SSE2 on x86_64)
//! RUSTFLAGS="-C target-cpu=native" cargo bench --bench kernels  # AVX2/FMA where the CPU has them
//! ```
//! Criterion's own filter picks a subset: `cargo bench --bench kernels -- 'row-major/1MiB'`.

#![allow(missing_docs)] // criterion's macros generate undocumented public functions
use std::hint::black_box;

#[path = "support/huge.rs"]
mod huge;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use steepest::kernels::{reference, simd};
use steepest::{ColMajor, Dataset, RowMajor};
use wide::f32x8;

const DS: [usize; 5] = [1, 4, 16, 64, 256];

fn sizes() -> Vec<(usize, &'static str)> {
    let mut s = vec![(32 << 10, "32KiB"), (1 << 20, "1MiB"), (16 << 20, "16MiB")];
    if std::env::var_os("STEEPEST_BENCH_LARGE").is_some() {
        s.push((512 << 20, "512MiB"));
    }
    s
}

/// Sum of every value of X (as stored) and y: the least one pass can cost.
fn read_xy(x: &[f32], y: &[f32]) -> f32 {
    let mut acc = [f32x8::ZERO; 4];
    let mut tail = 0.0f32;
    for s in [x, y] {
        let (quads, rest) = s.as_chunks::<32>();
        for q in quads {
            let (c, _) = q.as_chunks::<8>();
            for (a, v) in acc.iter_mut().zip(c) {
                *a += f32x8::new(*v);
            }
        }
        tail += rest.iter().sum::<f32>();
    }
    ((acc[0] + acc[1]) + (acc[2] + acc[3])).reduce_add() + tail
}

/// Two passes with an n-length temporary: r = X·w + b − y, then g = Xᵀ·r (row-major).
fn two_pass_rm(
    x: &[f32],
    y: &[f32],
    d: usize,
    w: &[f32],
    b: f32,
    r: &mut [f32],
    g: &mut [f32],
) -> f32 {
    let (wc, wt) = w.as_chunks::<8>();
    for ((row, yi), ri) in x.chunks_exact(d).zip(y).zip(r.iter_mut()) {
        let (xc, xt) = row.as_chunks::<8>();
        let mut acc = f32x8::ZERO;
        for (a, b) in xc.iter().zip(wc) {
            acc += f32x8::new(*a) * f32x8::new(*b);
        }
        let mut p = acc.reduce_add();
        for (a, b) in xt.iter().zip(wt) {
            p += a * b;
        }
        *ri = p + b - yi;
    }
    g.fill(0.0);
    let mut loss = 0.0;
    for (row, &ri) in x.chunks_exact(d).zip(r.iter()) {
        let (xc, xt) = row.as_chunks::<8>();
        let (gc, gt) = g.as_chunks_mut::<8>();
        let rv = f32x8::splat(ri);
        for (gv, xv) in gc.iter_mut().zip(xc) {
            *gv = (f32x8::new(*gv) + rv * f32x8::new(*xv)).to_array();
        }
        for (gj, xj) in gt.iter_mut().zip(xt) {
            *gj += ri * xj;
        }
        loss += ri * ri;
    }
    loss
}

/// The same two passes for column-major data: axpy per column, then a dot per column.
fn two_pass_cm(cols: &ColMajor<'_>, w: &[f32], b: f32, r: &mut [f32], g: &mut [f32]) -> f32 {
    for (ri, yi) in r.iter_mut().zip(cols.y()) {
        *ri = b - yi;
    }
    for (col, &wj) in cols.columns().zip(w) {
        let wv = f32x8::splat(wj);
        let (rc, rt) = r.as_chunks_mut::<8>();
        let (cc, ct) = col.as_chunks::<8>();
        for (rv, cv) in rc.iter_mut().zip(cc) {
            *rv = (f32x8::new(*rv) + wv * f32x8::new(*cv)).to_array();
        }
        for (ri, ci) in rt.iter_mut().zip(ct) {
            *ri += wj * ci;
        }
    }
    for (col, gj) in cols.columns().zip(g.iter_mut()) {
        let (rc, rt) = r.as_chunks::<8>();
        let (cc, ct) = col.as_chunks::<8>();
        let mut acc = f32x8::ZERO;
        for (rv, cv) in rc.iter().zip(cc) {
            acc += f32x8::new(*rv) * f32x8::new(*cv);
        }
        *gj = acc.reduce_add() + rt.iter().zip(ct).map(|(a, b)| a * b).sum::<f32>();
    }
    r.iter().map(|v| v * v).sum()
}

/// X and y on huge pages, as numpy's arrays are (see support/huge.rs), and w.
fn data(n: usize, d: usize) -> (huge::Buf, huge::Buf, Vec<f32>) {
    let x = huge::Buf::from_iter(
        n * d,
        (0..n * d).map(|k| ((k.wrapping_mul(2_654_435_761) >> 7) % 1000) as f32 / 500.0 - 1.0),
    );
    let y = huge::Buf::from_iter(n, (0..n).map(|i| ((i * 7919) % 1000) as f32 / 500.0 - 1.0));
    let w: Vec<f32> = (0..d)
        .map(|j| ((j * 31) % 17) as f32 / 17.0 - 0.5)
        .collect();
    (x, y, w)
}

fn bench(c: &mut Criterion) {
    for (bytes, label) in sizes() {
        for &d in &DS {
            let n = bytes / 4 / d;
            let (x, y, w) = data(n, d);
            // Column-major copy with a padded stride (n rounded up to 16, plus 16).
            let ld = n.div_ceil(16) * 16 + 16;
            let mut xc = huge::Buf::new(d * ld);
            for i in 0..n {
                for j in 0..d {
                    xc[j * ld + i] = x[i * d + j];
                }
            }
            let rm: Dataset = RowMajor::new(&x, &y, n, d).unwrap().into();
            let cmv = ColMajor::new(&xc, &y, n, d, ld).unwrap();
            let cm: Dataset = cmv.into();
            let mut grad = vec![0.0f64; d];
            let (mut r, mut g32) = (vec![0.0f32; n], vec![0.0f32; d]);
            for (layout, view) in [("row-major", rm), ("col-major", cm)] {
                let mut group = c.benchmark_group(format!("{layout}/{label}"));
                group.throughput(Throughput::Bytes((n * d * 4) as u64));
                if bytes > 16 << 20 {
                    group.sample_size(10);
                }
                let id = |k: &str| BenchmarkId::new(k, format!("d={d}"));
                group.bench_function(id("fused"), |bch| {
                    bch.iter(|| {
                        simd::gradient(black_box(&view), black_box(&w), black_box(0.5), &mut grad)
                            .map(|s| s.loss)
                    })
                });
                group.bench_function(id("read"), |bch| {
                    let xs: &[f32] = if layout == "row-major" { &x } else { &xc };
                    bch.iter(|| read_xy(black_box(xs), black_box(&y)))
                });
                group.bench_function(id("two-pass"), |bch| {
                    bch.iter(|| {
                        if layout == "row-major" {
                            two_pass_rm(
                                black_box(&x),
                                &y,
                                d,
                                black_box(&w),
                                black_box(0.5),
                                &mut r,
                                &mut g32,
                            )
                        } else {
                            two_pass_cm(
                                black_box(&cmv),
                                black_box(&w),
                                black_box(0.5),
                                &mut r,
                                &mut g32,
                            )
                        }
                    })
                });
                if bytes <= 16 << 20 {
                    group.bench_function(id("reference"), |bch| {
                        bch.iter(|| {
                            reference::gradient(
                                black_box(&view),
                                black_box(&w),
                                black_box(0.5),
                                &mut grad,
                            )
                            .map(|s| s.loss)
                        })
                    });
                }
                group.finish();
            }
        }
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(std::time::Duration::from_millis(300))
        .measurement_time(std::time::Duration::from_secs(1))
        .sample_size(20);
    targets = bench
}
criterion_main!(benches);
