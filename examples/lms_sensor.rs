//! Online learning from a simulated sensor stream: an LMS-style adaptive calibration that
//! would run on a microcontroller as written (`core` only: no heap, no floats printed except
//! through the `out` callback, every buffer a fixed-size array).
//!
//! A pressure sensor's raw reading drifts with temperature and supply voltage. Each sample
//! arrives once, is used for one normalized (NLMS) step, and is gone: the model
//! `p = w·(raw, temp, supply) + b` tracks the true calibration, including a change of the
//! sensor's gain halfway through.
//!
//! `cargo run --release --example lms_sensor`

#[macro_use]
#[path = "common/stdout.rs"]
mod stdout;

use core::fmt;

use rand_xoshiro::Xoshiro128PlusPlus;
use rand_xoshiro::rand_core::{Rng, SeedableRng};
use steepest::sgd::{Constant, Normalized, Sgd};

/// A uniform value in [-1, 1) from the top 24 bits.
fn uniform(rng: &mut Xoshiro128PlusPlus) -> f32 {
    (rng.next_u32() >> 8) as f32 / (1u32 << 23) as f32 - 1.0
}

/// The whole device loop; `out` is where a firmware would log.
fn run(out: &mut dyn FnMut(fmt::Arguments)) -> Result<(), steepest::Error> {
    let mut rng = Xoshiro128PlusPlus::seed_from_u64(2026);
    let mut sgd = Sgd::new(Normalized::default(), Constant(0.5));
    let (mut w, mut b) = ([0.0f32; 3], 0.0f32);
    let mut sq_err = 0.0f32;
    for k in 1..=20_000u32 {
        // The environment: temperature and supply wander, the raw signal follows pressure.
        let t = k as f32 / 20_000.0;
        let temp = 0.5 * libm::sinf(6.0 * t) + 0.1 * uniform(&mut rng);
        let supply = 0.2 * uniform(&mut rng);
        let raw = uniform(&mut rng);
        let gain = if k <= 10_000 { 2.0 } else { 2.5 }; // the sensor ages halfway
        let truth = gain * raw - 0.8 * temp + 0.3 * supply + 1.0 + 0.005 * uniform(&mut rng);
        // One step per sample; the stream is never stored.
        let err = sgd.step(&mut w, &mut b, &[raw, temp, supply], truth)?;
        sq_err += err;
        if k % 2_000 == 0 {
            out(format_args!(
                "sample {k:>5}: rms error {:.4}  w = [{:.3}, {:.3}, {:.3}]  b = {:.3}",
                libm::sqrtf(sq_err / 2_000.0),
                w[0],
                w[1],
                w[2],
                b
            ));
            sq_err = 0.0;
        }
    }
    Ok(())
}

fn main() -> Result<(), steepest::Error> {
    run(&mut |a| stdout::line(a))
}
