#![allow(missing_docs)]
//! Development probe (not documented API): min-of-many timing of the fused kernel per shape
//! (`PROBE_BYTES` of X, default 32 KiB; `PROBE_READ=1` adds a plain read of X and y,
//! `PROBE_REF=1` the scalar reference and its ratio).
#[path = "../benches/support/huge.rs"]
mod huge;
use std::hint::black_box;
use std::time::Instant;
use steepest::{ColMajor, Dataset, RowMajor, kernels::simd};
fn main() {
    let shapes: Vec<(String, usize)> = std::env::args()
        .skip(1)
        .map(|a| {
            let (l, d) = a.split_once(':').unwrap();
            (l.to_string(), d.parse().unwrap())
        })
        .collect();
    let shapes = if shapes.is_empty() {
        [
            "cm:1", "cm:4", "cm:16", "cm:64", "rm:1", "rm:4", "rm:16", "rm:64", "rm:256",
        ]
        .iter()
        .map(|s| {
            let (l, d) = s.split_once(':').unwrap();
            (l.to_string(), d.parse().unwrap())
        })
        .collect()
    } else {
        shapes
    };
    for (layout, d) in shapes {
        let bytes: usize = std::env::var("PROBE_BYTES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(32768);
        let n = bytes / 4 / d;
        // On huge pages as the benches' data (STEEPEST_BENCH_PAGES=4k: plain pages).
        let x = huge::Buf::from_iter(n * d, (0..n * d).map(|k| (k % 97) as f32 / 50.0 - 1.0));
        let y = huge::Buf::from_iter(n, (0..n).map(|k| (k % 13) as f32 / 7.0 - 1.0));
        let w = vec![0.3f32; d];
        let data: Dataset = if layout == "cm" {
            ColMajor::new(&x, &y, n, d, n + 16 - n % 16)
                .ok()
                .or(ColMajor::new(&x, &y, n, d, n).ok())
                .unwrap()
                .into()
        } else {
            RowMajor::new(&x, &y, n, d).unwrap().into()
        };
        let mut g = vec![0.0; d];
        if std::env::var_os("PROBE_READ").is_some() {
            let mut best = f64::MAX;
            for _ in 0..7 {
                let t = Instant::now();
                let s: f32 = black_box(&x)
                    .chunks_exact(8)
                    .fold(wide::f32x8::ZERO, |a, c| {
                        a + wide::f32x8::new(c.try_into().unwrap())
                    })
                    .to_array()
                    .iter()
                    .sum::<f32>()
                    + black_box(&y).iter().sum::<f32>();
                black_box(s);
                best = best.min(t.elapsed().as_nanos() as f64 / (n * d) as f64);
            }
            print!("read{d}={best:.3} ");
        }
        let reps = (6_000_000 / (n * d)).max(1);
        let mut best = f64::MAX;
        for _ in 0..(if n * d > 1 << 24 { 7 } else { 60 }) {
            let t = Instant::now();
            for _ in 0..reps {
                black_box(simd::gradient(black_box(&data), &w, 0.5, &mut g).ok());
            }
            best = best.min(t.elapsed().as_nanos() as f64 / reps as f64 / (n * d) as f64);
        }
        print!("{layout}{d}={best:.3} ");
        if std::env::var_os("PROBE_REF").is_some() {
            let fused = best;
            let mut best = f64::MAX;
            for _ in 0..7 {
                let t = Instant::now();
                black_box(
                    steepest::kernels::reference::gradient(black_box(&data), &w, 0.5, &mut g).ok(),
                );
                best = best.min(t.elapsed().as_nanos() as f64 / (n * d) as f64);
            }
            print!("ref{d}={best:.3} (x{:.2}) ", best / fused);
        }
    }
    println!();
}
