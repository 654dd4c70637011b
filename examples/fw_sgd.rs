//! Footprint firmware: uses only the SGD stepper, plain SGD with a constant rate on d = 8,
//! one online `step` per sample of a sensor stream. `ci/footprint.sh` builds it and
//! `fw_base.rs` (the same program without the stepper) for a Cortex-M4F with
//! `opt-level = "s"` and LTO, and publishes the difference of their code sizes, the stack
//! high-water mark of the steps and the instructions per step (QEMU `-icount`).
//!
//! On the host it is an ordinary program: `cargo run --release --example fw_sgd`.

#![cfg_attr(target_os = "none", no_std)]
#![cfg_attr(target_os = "none", no_main)]
#![cfg_attr(target_os = "none", allow(unsafe_code))] // see fw/common.rs

#[cfg(not(target_os = "none"))]
#[macro_use]
#[path = "common/stdout.rs"]
mod stdout;

#[path = "fw/common.rs"]
mod common;

use common::{D, Out, measure, print, sample};
use steepest::sgd::{Constant, Plain, Sgd};

/// `steps` plain-SGD steps from sample `first` on; returns the last sample's squared error
/// (NaN if a step failed: it cannot here, the stream is finite and the rate small).
#[inline(never)]
fn learn(
    sgd: &mut Sgd<Plain, Constant>,
    w: &mut [f32; D],
    b: &mut f32,
    first: u32,
    steps: u32,
) -> f32 {
    let mut loss = 0.0;
    for k in first..first + steps {
        let (x, y) = sample(k);
        loss = sgd.step(w, b, &x, y).unwrap_or(f32::NAN);
    }
    loss
}

fn run(out: Out<'_>) -> bool {
    let mut sgd = Sgd::new(Plain, Constant(0.02));
    let (mut w, mut b) = ([0.0f32; D], 0.0f32);
    // Two measured runs: the difference of their times is the cost of 1000 steps alone.
    let (_, short) = measure(|| learn(&mut sgd, &mut w, &mut b, 0, 1000));
    print(out, &w, b, f32::NAN, 1000, &short);
    let (loss, long) = measure(|| learn(&mut sgd, &mut w, &mut b, 1000, 2000));
    print(out, &w, b, loss, 2000, &long);
    loss.is_finite() && loss < 1e-6
}

#[cfg(not(target_os = "none"))]
fn main() {
    let mut print = |a: core::fmt::Arguments| stdout::line(a);
    if !run(&mut print) {
        std::process::exit(1);
    }
}
