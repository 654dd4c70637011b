#![allow(missing_docs)]
//! Development probe (not documented API): ns per plain-SGD update with n = 100 000, shuffled
//! and in sequential order (a generator that makes the shuffle the identity), the minimum over
//! 30 epochs, and a random-row read loop. `cargo run --release --example sgd_probe -- 16 64`
//!
//! With `fits` first (`-- fits 1 16 64`) it measures as `scripts/bench_sklearn.py` does
//! scikit-learn: the median over 7 fits of 20 shuffled epochs from zero weights, per update;
//! `scripts/sgd_pairs.sh` alternates the two to compare them under the same conditions.
#[macro_use]
#[path = "common/stdout.rs"]
mod stdout;

#[path = "../benches/support/huge.rs"]
mod huge;

use rand_core::{SeedableRng, TryRng};
use rand_xoshiro::Xoshiro128PlusPlus;
use std::convert::Infallible;
use std::time::Instant;
use steepest::sgd::{Constant, Plain, Sgd};
use steepest::{Dataset, RowMajor};
struct Ident;
impl TryRng for Ident {
    type Error = Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok(u32::MAX)
    }
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        Ok(u64::MAX)
    }
    fn try_fill_bytes(&mut self, b: &mut [u8]) -> Result<(), Infallible> {
        b.fill(255);
        Ok(())
    }
}
const N: usize = 100_000;

/// The bench's data, on huge pages as numpy's arrays are (benches/support/huge.rs).
fn data(d: usize) -> (huge::Buf, huge::Buf) {
    let x = huge::Buf::from_iter(
        N * d,
        (0..N * d).map(|k| ((k * 7919) % 1000) as f32 / 500.0 - 1.0),
    );
    let y = huge::Buf::from_iter(N, x.chunks(d).map(|r| r.iter().sum::<f32>() * 0.1 + 0.5));
    (x, y)
}

/// scikit-learn's protocol: the median over 7 fits (seeds 0..7) of 20 epochs, per update.
fn fits(d: usize) -> f64 {
    let (x, y) = data(d);
    let data: Dataset = RowMajor::new(&x, &y, N, d).unwrap().into();
    let mut order = vec![0u32; N];
    let mut times: Vec<f64> = (0..7u64)
        .map(|seed| {
            let (mut w, mut b) = (vec![0.0f32; d], 0.0f32);
            let mut sgd = Sgd::new(Plain, Constant(0.001f32));
            let mut rng = Xoshiro128PlusPlus::seed_from_u64(seed);
            let t = Instant::now();
            for _ in 0..20 {
                sgd.epoch(&data, &mut w, &mut b, &mut order, &mut rng)
                    .unwrap();
            }
            t.elapsed().as_nanos() as f64 / (20 * N) as f64
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[3]
}

fn main() {
    let mut args = std::env::args().skip(1).peekable();
    if args.peek().map(String::as_str) == Some("fits") {
        for d in args.skip(1).map(|a| a.parse::<usize>().unwrap()) {
            outln!("| {d} | {:.1} |", fits(d));
        }
        return;
    }
    for d in args.map(|a| a.parse::<usize>().unwrap()) {
        let (x, y) = data(d);
        let data: Dataset = RowMajor::new(&x, &y, N, d).unwrap().into();
        let mut order = vec![0u32; N];
        let (mut w, mut b) = (vec![0.0f32; d], 0.0f32);
        let mut sgd = Sgd::new(Plain, Constant(0.001f32));
        let mut rng = Xoshiro128PlusPlus::seed_from_u64(1);
        let mut best = [f64::MAX; 2];
        for _ in 0..30 {
            let t = Instant::now();
            sgd.epoch(&data, &mut w, &mut b, &mut order, &mut rng)
                .unwrap();
            best[0] = best[0].min(t.elapsed().as_nanos() as f64 / N as f64);
            let t = Instant::now();
            sgd.epoch(&data, &mut w, &mut b, &mut order, &mut Ident)
                .unwrap();
            best[1] = best[1].min(t.elapsed().as_nanos() as f64 / N as f64);
        }
        let mut rb = f64::MAX;
        for _ in 0..10 {
            steepest::permutation(&mut order, &mut rng).unwrap();
            let t = Instant::now();
            let mut acc = [0.0f32; 8];
            for &i in &order {
                let row = &x[i as usize * d..i as usize * d + d];
                for (k, v) in row.iter().enumerate() {
                    acc[k % 8] += v;
                }
            }
            std::hint::black_box(acc);
            rb = rb.min(t.elapsed().as_nanos() as f64 / N as f64);
        }
        outln!("random row read {rb:.2} ns");
        outln!(
            "d={d}: shuffled {:.2} ns, sequential {:.2} ns",
            best[0],
            best[1]
        );
    }
}
