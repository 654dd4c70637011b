//! Gradient descent on arbitrary data and configuration: Ok or a typed error, never a panic;
//! a rejected configuration leaves the model bit-identical, and after divergence the model
//! holds finite parameters.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use steepest::{Control, Error, GradientDescent, RowMajor};

#[derive(Arbitrary, Debug)]
struct Case {
    n: u8,
    d: u8,
    lr: u64,
    epochs: u8,
    tol: Option<u64>,
    stop_at: u8,
    w0: Vec<u32>,
    b0: u32,
    values: Vec<u32>,
}

fuzz_target!(|c: Case| {
    let n = usize::from(c.n % 40) + 1;
    let d = usize::from(c.d % 12) + 1;
    if c.values.is_empty() {
        return;
    }
    let mut vals = c.values.iter().map(|&v| value(v)).cycle();
    let x: Vec<f32> = (0..n * d).map(|_| vals.next().unwrap_or(0.0)).collect();
    let y: Vec<f32> = (0..n).map(|_| vals.next().unwrap_or(0.0)).collect();
    let data = RowMajor::new(&x, &y, n, d).unwrap().into();
    let mut w: Vec<f32> = (0..d)
        .map(|j| c.w0.get(j).map_or(0.0, |&v| f32::from_bits(v)))
        .collect();
    let mut b = f32::from_bits(c.b0);
    let (w_before, b_before) = (w.clone(), b);
    let gd = GradientDescent {
        learning_rate: f64::from_bits(c.lr),
        max_epochs: usize::from(c.epochs % 40),
        tolerance: c.tol.map(f64::from_bits),
    };
    let mut grad = vec![0.0; d];
    let stop_at = usize::from(c.stop_at);
    let result = gd.fit_with(&data, &mut w, &mut b, &mut grad, |e| {
        assert!(e.w.iter().all(|v| v.is_finite()) && e.b.is_finite());
        if e.epoch == stop_at {
            Control::Stop
        } else {
            Control::Continue
        }
    });
    match result {
        Ok(report) => {
            assert!(w.iter().all(|v| v.is_finite()) && b.is_finite());
            assert!(report.loss.is_finite());
        }
        Err(Error::Diverged { .. }) => assert!(w.iter().all(|v| v.is_finite()) && b.is_finite()),
        Err(_) => {
            let same = w
                .iter()
                .zip(&w_before)
                .all(|(p, q)| p.to_bits() == q.to_bits());
            assert!(
                same && b.to_bits() == b_before.to_bits(),
                "model changed on a rejected fit"
            );
        }
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
