//! Footprint baseline: `fw_sgd.rs` without the SGD stepper (each sample only goes to
//! `black_box`), so that the difference of the two firmwares' sizes is the stepper's code.
//! See `ci/footprint.sh`. On the host: `cargo run --release --example fw_base`.

#![cfg_attr(target_os = "none", no_std)]
#![cfg_attr(target_os = "none", no_main)]
#![cfg_attr(target_os = "none", allow(unsafe_code))] // see fw/common.rs

#[cfg(not(target_os = "none"))]
#[macro_use]
#[path = "common/stdout.rs"]
mod stdout;

#[path = "fw/common.rs"]
mod common;

use core::hint::black_box;

use common::{D, Out, measure, print, sample};

/// The same loop as `fw_sgd`'s `learn`, with the step replaced by `black_box`.
#[inline(never)]
fn learn(w: &mut [f32; D], b: &mut f32, first: u32, steps: u32) -> f32 {
    for k in first..first + steps {
        black_box(sample(k));
    }
    black_box((w, b));
    0.0
}

fn run(out: Out<'_>) -> bool {
    let (mut w, mut b) = ([0.0f32; D], 0.0f32);
    let (_, short) = measure(|| learn(&mut w, &mut b, 0, 1000));
    print(out, &w, b, f32::NAN, 1000, &short);
    let (loss, long) = measure(|| learn(&mut w, &mut b, 1000, 2000));
    print(out, &w, b, loss, 2000, &long);
    true
}

#[cfg(not(target_os = "none"))]
fn main() {
    let mut print = |a: core::fmt::Arguments| stdout::line(a);
    if !run(&mut print) {
        std::process::exit(1);
    }
}
