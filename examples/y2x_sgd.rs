//! The y = 2x worked example with SGD: x = 1..4, per-sample updates in a shuffled order,
//! η = 0.01, 100 epochs, the full-data loss printed every 10 epochs in the PyTorch format.
//!
//! The PyTorch program started from `torch.randn` values; this one starts from a fixed draw of the
//! same kind (w = 0.2, b = −0.3, from `--start W B` to change) and shuffles with
//! `Xoshiro128PlusPlus::seed_from_u64(SEED)` (`--seed N`, default 2024), so its lines are the
//! same on every run and platform.
//!
//! `cargo run --release --example y2x_sgd`

#[macro_use]
#[path = "common/stdout.rs"]
mod stdout;

use rand_xoshiro::Xoshiro128PlusPlus;
use rand_xoshiro::rand_core::SeedableRng;
use steepest::kernels::simd;
use steepest::sgd::{Constant, Plain, Sgd};
use steepest::{Dataset, RowMajor};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut seed = 2024u64;
    let (mut w0, mut b0) = (0.2f32, -0.3f32);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--seed" => seed = it.next().ok_or("--seed N")?.parse()?,
            "--start" => {
                w0 = it.next().ok_or("--start W B")?.parse()?;
                b0 = it.next().ok_or("--start W B")?.parse()?;
            }
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    let x = [1.0f32, 2.0, 3.0, 4.0];
    let y = [2.0f32, 4.0, 6.0, 8.0];
    let data: Dataset = RowMajor::new(&x, &y, 4, 1)?.into();
    let mut rng = Xoshiro128PlusPlus::seed_from_u64(seed);
    let (mut w, mut b, mut order) = ([w0], b0, [0u32; 4]);
    let mut sgd = Sgd::new(Plain, Constant(0.01));
    let mut grad = [0.0f64];
    for epoch in 1..=100 {
        sgd.epoch(&data, &mut w, &mut b, &mut order, &mut rng)?;
        if epoch % 10 == 0 {
            let loss = simd::gradient(&data, &w, b, &mut grad)?.mse();
            outln!(
                "Epoch {epoch}: w = {:.4}, b = {:.4}, Loss = {loss:.4}",
                w[0],
                b
            );
        }
    }
    Ok(())
}
