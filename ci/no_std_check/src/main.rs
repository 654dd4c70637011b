//! Calls every public kernel, the GD driver, the SGD stepper and the shuffles on opaque inputs (`black_box`), so nothing is
//! constant-folded away. Built by `.ci/run`; never run.
#![no_std]
#![no_main]

use core::hint::black_box;

use rand_xoshiro::Xoshiro128PlusPlus;
use rand_xoshiro::rand_core::SeedableRng;
use steepest::kernels::{bound, reference, simd};
use steepest::sgd::{Adam, Averaged, Constant, InverseScaling, Momentum, Normalized, Plain, Sgd};
use steepest::{ColMajor, Dataset, GradientDescent, RowMajor};

static X: [f32; 64] = [0.5; 64];
static Y: [f32; 16] = [1.0; 16];

fn exercise(data: &Dataset<'_>, w: &mut [f32], grad: &mut [f64]) {
    let b = black_box(0.25f32);
    let _ = black_box(simd::gradient(data, w, b, grad));
    let _ = black_box(reference::gradient(data, w, b, grad));
    let mut scratch = [0.0f64; 30];
    let _ = black_box(reference::least_squares(
        data,
        grad,
        black_box(&mut scratch),
    ));
    let _ = black_box(bound::tolerance(data, w, b, grad));
    let _ = black_box(data.check_finite());
    let _ = black_box(data.rows(black_box(1)..black_box(3)));
    let mut bias = b;
    let gd = black_box(GradientDescent::default());
    let _ = black_box(gd.fit(data, w, &mut bias, grad));
    let mut rng = Xoshiro128PlusPlus::seed_from_u64(black_box(42));
    let mut order = [0u32; 16];
    let order: &mut [u32] = black_box(&mut order);
    let mut sgd = Sgd::new(Plain, Constant(black_box(0.01)));
    let _ = black_box(sgd.epoch(data, w, &mut bias, order, &mut rng));
    let x: &[f32] = black_box(&X[..4]);
    let _ = black_box(sgd.step(w, &mut bias, x, black_box(1.0)));
    let (mut m, mut v, mut buf, mut avg) = ([0.0f32; 5], [0.0f32; 5], [0.0f32; 5], [0.0f32; 5]);
    let schedule = InverseScaling {
        eta0: black_box(0.01),
        power_t: black_box(0.25),
    };
    let mut adam = Sgd::new(Adam::new(black_box(&mut m), black_box(&mut v)), schedule);
    let _ = black_box(adam.epoch(data, w, &mut bias, order, &mut rng));
    let mom = Momentum::new(
        black_box(0.9),
        0.0,
        black_box(true),
        1e-4,
        black_box(&mut buf),
    );
    let mut avg_sgd = Sgd::new(
        Averaged::new(mom, black_box(3), black_box(&mut avg)),
        Constant(0.01),
    );
    let _ = black_box(avg_sgd.epoch(data, w, &mut bias, order, &mut rng));
    let mut nlms = Sgd::new(Normalized::default(), Constant(black_box(0.5)));
    let _ = black_box(nlms.step(w, &mut bias, x, black_box(1.0)));
}

fn exercise_shuffle(x: &mut [f32], y: &mut [f32]) {
    let mut rng = Xoshiro128PlusPlus::seed_from_u64(black_box(7));
    let _ = black_box(steepest::shuffle_rows(x, y, black_box(4), &mut rng));
}

#[unsafe(no_mangle)]
pub extern "C" fn _start() -> ! {
    let x: &[f32] = black_box(&X);
    let y: &[f32] = black_box(&Y);
    let (n, d) = (black_box(16usize), black_box(4usize));
    let mut w = [0.0f32; 4];
    let mut grad = [0.0f64; 4];
    let w: &mut [f32] = black_box(&mut w);
    let grad: &mut [f64] = black_box(&mut grad);
    if let Ok(v) = RowMajor::new(x, y, n, d) {
        exercise(&v.into(), w, grad);
    }
    if let Ok(v) = ColMajor::new(x, y, n, d, black_box(16)) {
        exercise(&v.into(), w, grad);
    }
    let mut xs = X;
    let mut ys = Y;
    exercise_shuffle(black_box(&mut xs), black_box(&mut ys));
    loop {}
}

#[path = "panic.rs"]
mod panic;
