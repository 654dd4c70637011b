//! SGD on arbitrary data, schedule, update rule, batch size and seed: Ok or a typed error;
//! with finite input no weight becomes non-finite; a rejected sample leaves the model, the
//! optimizer state and the step counter bit-identical.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use rand_xoshiro::Xoshiro128PlusPlus;
use rand_xoshiro::rand_core::SeedableRng;
use steepest::RowMajor;
use steepest::sgd::{
    Adam, Batch, Constant, Exponential, InverseScaling, Momentum, Normalized, Plain, Schedule, Sgd,
    Update,
};

#[derive(Arbitrary, Debug)]
struct Case {
    n: u8,
    d: u8,
    rule: u8,
    schedule: u8,
    eta: u32,
    param: u32,
    batch: u8,
    seed: u64,
    epochs: u8,
    values: Vec<u32>,
}

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

fn run<U: Update, S: Schedule>(
    c: &Case,
    mut sgd: Sgd<U, S>,
    x: &[f32],
    y: &[f32],
    n: usize,
    d: usize,
) {
    let data = RowMajor::new(x, y, n, d).unwrap().into();
    let mut rng = Xoshiro128PlusPlus::seed_from_u64(c.seed);
    let (mut w, mut b, mut order) = (vec![0.0f32; d], 0.0f32, vec![0u32; n]);
    let bsize = usize::from(c.batch) % n + 1;
    let (mut bx, mut by, mut bg) = (vec![0.0; bsize * d], vec![0.0; bsize], vec![0.0; d]);
    for e in 0..usize::from(c.epochs % 5) {
        let _ = if e % 2 == 0 {
            sgd.epoch(&data, &mut w, &mut b, &mut order, &mut rng)
                .map(|_| ())
        } else {
            let batch = Batch {
                x: &mut bx,
                y: &mut by,
                grad: &mut bg,
            };
            sgd.minibatch_epoch(&data, &mut w, &mut b, &mut order, &mut rng, batch)
                .map(|_| ())
        };
        assert!(
            w.iter().all(|v| v.is_finite()) && b.is_finite(),
            "non-finite weights"
        );
    }
    // One step per sample, online: a rejected step changes nothing.
    for (row, &yi) in x.chunks(d).zip(y) {
        let (wb, bb, tb) = (bits(&w), b.to_bits(), sgd.steps());
        if sgd.step(&mut w, &mut b, row, yi).is_err() {
            assert_eq!(
                (bits(&w), b.to_bits(), sgd.steps()),
                (wb, bb, tb),
                "rejected step changed the model"
            );
        }
        assert!(w.iter().all(|v| v.is_finite()) && b.is_finite());
    }
}

fn with_schedule<U: Update>(c: &Case, rule: U, x: &[f32], y: &[f32], n: usize, d: usize) {
    let eta = f32::from_bits(c.eta);
    let p = f32::from_bits(c.param);
    match c.schedule % 3 {
        0 => run(c, Sgd::new(rule, Constant(eta)), x, y, n, d),
        1 => run(
            c,
            Sgd::new(
                rule,
                InverseScaling {
                    eta0: eta,
                    power_t: p,
                },
            ),
            x,
            y,
            n,
            d,
        ),
        _ => run(
            c,
            Sgd::new(rule, Exponential { eta0: eta, k: p }),
            x,
            y,
            n,
            d,
        ),
    }
}

fuzz_target!(|c: Case| {
    let n = usize::from(c.n % 30) + 1;
    let d = usize::from(c.d % 20) + 1;
    if c.values.is_empty() {
        return;
    }
    let mut vals = c.values.iter().map(|&v| value(v)).cycle();
    let x: Vec<f32> = (0..n * d).map(|_| vals.next().unwrap_or(0.0)).collect();
    let y: Vec<f32> = (0..n).map(|_| vals.next().unwrap_or(0.0)).collect();
    let p = f32::from_bits(c.param);
    match c.rule % 4 {
        0 => with_schedule(&c, Plain, &x, &y, n, d),
        1 => {
            let mut buf = vec![0.0; d + 1];
            with_schedule(
                &c,
                Momentum::new(p, 0.1, c.seed % 2 == 0, 1e-4, &mut buf),
                &x,
                &y,
                n,
                d,
            )
        }
        2 => {
            let (mut m, mut v) = (vec![0.0; d + 1], vec![0.0; d + 1]);
            with_schedule(&c, Adam::new(&mut m, &mut v), &x, &y, n, d)
        }
        _ => with_schedule(&c, Normalized::default(), &x, &y, n, d),
    }
});

/// Three in four inputs are moderate values (|v| < 10³, down to 10⁻³), so the numerical paths
/// are exercised; the fourth is a raw bit pattern (NaN, ±∞, subnormal, huge, tiny).
fn value(v: u32) -> f32 {
    if v % 4 == 0 {
        f32::from_bits(v)
    } else {
        let m = (v >> 8) as f32 / (1u32 << 24) as f32 * 2.0 - 1.0;
        m * [1e-3, 1e-2, 0.1, 1.0, 10.0, 100.0, 1e3][((v >> 2) % 7) as usize]
    }
}
