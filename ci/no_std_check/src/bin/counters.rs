//! The per-sample stepper (every rule, every schedule, the schedule checks and the counter),
//! built by `.ci/run` with the library's overflow checks on (`--profile overflow`) and
//! `--features panic-never`: the link fails if any counter or other integer in that path
//! could overflow and panic. Never run.
#![no_std]
#![no_main]

use core::hint::black_box;

use steepest::sgd::{
    Adam, Adaptive, Averaged, Constant, Exponential, InverseScaling, Momentum, Normalized, Optimal,
    Plain, Schedule, Sgd, StepDecay, Update,
};

fn steps<U: Update, S: Schedule>(update: U, schedule: S, w: &mut [f32], x: &[f32]) {
    let mut sgd = Sgd::new(update, schedule);
    sgd.set_steps(black_box(u64::MAX - 1));
    let mut b = black_box(0.5f32);
    for _ in 0..black_box(3) {
        let _ = black_box(sgd.step(w, &mut b, x, black_box(1.0)));
    }
    let _ = black_box(
        sgd.schedule
            .check(black_box(u64::MAX - 5), black_box(u64::MAX)),
    );
    let _ = black_box(sgd.steps());
}

fn all<U: Update>(make: &mut dyn FnMut() -> U, w: &mut [f32], x: &[f32]) {
    let eta = black_box(0.01f32);
    steps(make(), Constant(eta), w, x);
    steps(
        make(),
        InverseScaling {
            eta0: eta,
            power_t: black_box(0.25),
        },
        w,
        x,
    );
    steps(
        make(),
        Exponential {
            eta0: eta,
            k: black_box(1e-3),
        },
        w,
        x,
    );
    steps(
        make(),
        StepDecay {
            eta0: eta,
            gamma: black_box(0.5),
            every: black_box(10),
        },
        w,
        x,
    );
    steps(
        make(),
        Adaptive::new(eta, black_box(1e-3), black_box(5)),
        w,
        x,
    );
    if let Ok(s) = Optimal::sklearn(black_box(1e-4)) {
        steps(make(), s, w, x);
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn _start() -> ! {
    static X: [f32; 9] = [0.5; 9];
    let x: &[f32] = black_box(&X);
    let mut w = [0.0f32; 9];
    let w: &mut [f32] = black_box(&mut w);
    let (mut m, mut v, mut buf, mut avg) = ([0.0f32; 10], [0.0f32; 10], [0.0f32; 10], [0.0f32; 10]);
    all(&mut || Plain, w, x);
    all(&mut || Normalized::default(), w, x);
    let mut adam = Adam::new(black_box(&mut m), black_box(&mut v));
    adam.weight_decay = black_box(1e-4);
    let mut sgd = Sgd::new(adam, Constant(black_box(0.01)));
    let mut b = 0.0f32;
    let _ = black_box(sgd.step(w, &mut b, x, black_box(1.0)));
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
    avg_sgd.set_steps(black_box(u64::MAX - 1));
    for _ in 0..black_box(3) {
        let _ = black_box(avg_sgd.step(w, &mut b, x, black_box(1.0)));
    }
    let y: &[f32] = black_box(&X[..4]);
    let (n, d) = (black_box(4usize), black_box(2usize));
    if let (Ok(v), Some(w)) = (steepest::RowMajor::new(&X[..8], y, n, d), w.get_mut(..2)) {
        let mut order = [0u32; 4];
        let mut rng = <rand_xoshiro::Xoshiro128PlusPlus as rand_xoshiro::rand_core::SeedableRng>::seed_from_u64(black_box(1));
        let mut sgd = Sgd::new(Plain, Constant(black_box(0.01)));
        sgd.set_steps(black_box(u64::MAX - 5));
        let _ = black_box(sgd.epoch(&v.into(), w, &mut b, black_box(&mut order), &mut rng));
        // The per-sample path of the epoch, both layouts, with a rule that has state.
        let (mut m, mut v2) = ([0.0f32; 3], [0.0f32; 3]);
        let mut adam = Sgd::new(Adam::new(&mut m, &mut v2), Constant(black_box(0.01)));
        adam.set_steps(black_box(u64::MAX - 5));
        let _ = black_box(adam.epoch(&v.into(), w, &mut b, black_box(&mut order), &mut rng));
        if let Ok(c) = steepest::ColMajor::new(&X[..8], y, n, d, black_box(4)) {
            let _ = black_box(adam.epoch(&c.into(), w, &mut b, black_box(&mut order), &mut rng));
        }
    }
    loop {}
}

#[path = "../panic.rs"]
mod panic;
