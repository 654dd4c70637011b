//! SGD: nanoseconds per sample update, n = 100 000 rows, d ∈ {1, 16, 64}, shuffled order
//! (each epoch draws a new Fisher–Yates order with Xoshiro128PlusPlus), against the scalar
//! reference step on the same order, and the shuffle alone.
//!
//! ```text
//! RUSTFLAGS="-C target-cpu=native" cargo bench --bench sgd
//! ```
//! `scripts/bench_sklearn.sh` measures scikit-learn's `SGDRegressor` on the same shapes.

#![allow(missing_docs)] // criterion's macros generate undocumented public functions

use std::hint::black_box;

#[path = "support/huge.rs"]
mod huge;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rand_core::SeedableRng;
use rand_xoshiro::Xoshiro128PlusPlus;
use steepest::sgd::{Constant, Plain, Sgd, reference};
use steepest::{Dataset, RowMajor, permutation};

const N: usize = 100_000;

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("sgd");
    group.throughput(Throughput::Elements(N as u64));
    group.sample_size(20);
    for d in [1usize, 16, 64] {
        // On huge pages, as scikit-learn's numpy arrays are (see support/huge.rs).
        let x = huge::Buf::from_iter(
            N * d,
            (0..N * d).map(|k| ((k * 7919) % 1000) as f32 / 500.0 - 1.0),
        );
        let y = huge::Buf::from_iter(N, x.chunks(d).map(|r| r.iter().sum::<f32>() * 0.1 + 0.5));
        let data: Dataset = RowMajor::new(&x, &y, N, d).unwrap().into();
        let mut order = vec![0u32; N];
        let mut rng = Xoshiro128PlusPlus::seed_from_u64(1);
        let lr = 0.001f32;
        group.bench_function(BenchmarkId::new("epoch-simd", format!("d={d}")), |b| {
            let (mut w, mut bias) = (vec![0.0f32; d], 0.0f32);
            let mut sgd = Sgd::new(Plain, Constant(lr));
            b.iter(|| {
                sgd.epoch(black_box(&data), &mut w, &mut bias, &mut order, &mut rng)
                    .map(|r| r.loss)
            })
        });
        group.bench_function(BenchmarkId::new("epoch-reference", format!("d={d}")), |b| {
            let (mut w, mut bias) = (vec![0.0f32; d], 0.0f32);
            b.iter(|| {
                permutation(&mut order, &mut rng).unwrap();
                let mut loss = 0.0f32;
                for &i in &order {
                    let i = i as usize;
                    loss +=
                        reference::plain_step(&mut w, &mut bias, &x[i * d..i * d + d], y[i], lr);
                }
                black_box(loss)
            })
        });
        if d == 1 {
            group.bench_function("shuffle", |b| {
                b.iter(|| permutation(black_box(&mut order), &mut rng))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
