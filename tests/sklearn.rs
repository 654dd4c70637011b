//! The stepper against scikit-learn's own `SGDRegressor`: the same steps, given the mapping of
//! the `sgd` module docs (scikit-learn's squared loss is half this crate's, so its `eta0` is
//! twice the crate's rate, its L2 `alpha` half the weight decay, and `Optimal::sklearn` takes
//! its `alpha`). scikit-learn's output, after each of 50 epochs in file order, was written by
//! `scripts/sklearn_sgd.py` into `tests/data/`.

use steepest::Error;
use steepest::sgd::{
    Averaged, Constant, InverseScaling, Momentum, Optimal, Plain, Schedule, Sgd, Update,
};

const D: usize = 3;
const EPOCHS: usize = 50;

fn data() -> (Vec<[f32; D]>, Vec<f32>) {
    let text = include_str!("data/sklearn_x.csv");
    let (mut x, mut y) = (Vec::new(), Vec::new());
    for line in text.lines() {
        let v: Vec<f32> = line.split(',').map(|s| s.parse().unwrap()).collect();
        x.push([v[0], v[1], v[2]]);
        y.push(v[3]);
    }
    (x, y)
}

/// scikit-learn's coefficients and intercept after each epoch of `case`.
fn expected(case: &str) -> Vec<([f64; D], f64)> {
    include_str!("data/sklearn_sgd.csv")
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.split(',').collect::<Vec<_>>())
        .filter(|f| f[0] == case)
        .map(|f| {
            let v = |k: usize| f[k].parse::<f64>().unwrap();
            ([v(2), v(3), v(4)], v(5))
        })
        .collect()
}

/// The stepper's model after each epoch, one `step` per sample in file order (scikit-learn's
/// `shuffle=False`). `read` gives the model scikit-learn reports (the average, for `average`).
fn run<U: Update, S: Schedule>(
    mut sgd: Sgd<U, S>,
    read: impl Fn(&Sgd<U, S>, &[f32], f32) -> ([f32; D], f32),
) -> Vec<([f32; D], f32)> {
    let (x, y) = data();
    let (mut w, mut b) = ([0.0f32; D], 0.0f32);
    (0..EPOCHS)
        .map(|_| {
            for (xi, &yi) in x.iter().zip(&y) {
                sgd.step(&mut w, &mut b, xi, yi).unwrap();
            }
            read(&sgd, &w, b)
        })
        .collect()
}

fn model<U: Update, S: Schedule>(_: &Sgd<U, S>, w: &[f32], b: f32) -> ([f32; D], f32) {
    ([w[0], w[1], w[2]], b)
}

/// Every parameter of every epoch within `1e-5` relative of scikit-learn's. scikit-learn
/// works in f64, the stepper in f32: each step rounds each parameter a few times (`u = 2⁻²⁴`,
/// about 6e-8), and the stable iteration damps old errors, so the difference stays at a small
/// multiple of `u·(d + 2)` times the parameters' size; 1e-5 is seven times the worst observed
/// (1.4e-6) and three orders below a wrong rate or a missed step (those differ by 1e-2 and more).
fn matches(case: &str, got: &[([f32; D], f32)]) {
    let want = expected(case);
    assert_eq!(want.len(), EPOCHS, "{case}: expected rows");
    let mut worst = 0.0f64;
    for (epoch, ((gw, gb), (sw, sb))) in got.iter().zip(&want).enumerate() {
        for (g, s) in gw.iter().chain([gb]).zip(sw.iter().chain([sb])) {
            let rel = (f64::from(*g) - s).abs() / s.abs();
            worst = worst.max(rel);
            assert!(
                rel <= 1e-5,
                "{case} epoch {}: {g} against {s} ({rel:.1e})",
                epoch + 1
            );
        }
    }
    eprintln!("{case}: worst relative difference {worst:.1e}");
}

#[test]
fn optimal_takes_sklearns_first_step() {
    // SGDRegressor(learning_rate='optimal', alpha=1e-4, penalty=None, fit_intercept=False)
    // .partial_fit([[1.]], [1.]).coef_
    let want: f64 = include_str!("data/sklearn_sgd.csv")
        .lines()
        .find_map(|l| l.strip_prefix("optimal_single,1,"))
        .and_then(|rest| rest.split(',').next())
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(want, 10.0);
    let schedule = Optimal::sklearn(1e-4).unwrap();
    assert!((schedule.t0 - 1000.0).abs() < 1e-3, "{}", schedule.t0);
    // No intercept in scikit-learn's run: the bias's own update is not compared.
    let (mut w, mut b) = ([0.0f32], 0.0f32);
    Sgd::new(Plain, schedule)
        .step(&mut w, &mut b, &[1.0], 1.0)
        .unwrap();
    assert!((f64::from(w[0]) - want).abs() <= 1e-5 * want, "{}", w[0]);
    assert!(matches!(
        Optimal::sklearn(0.0),
        Err(Error::InvalidParameter { .. })
    ));
}

#[test]
fn constant() {
    matches(
        "constant",
        &run(Sgd::new(Plain, Constant(0.05 / 2.0)), model),
    );
}

#[test]
fn invscaling() {
    let schedule = InverseScaling {
        eta0: 0.05 / 2.0,
        power_t: 0.25,
    };
    matches("invscaling", &run(Sgd::new(Plain, schedule), model));
}

#[test]
fn l2_penalty() {
    // alpha = 0.01: weight decay 0.02 on the weights, none on the bias.
    let rule = Momentum::new(0.0, 0.0, false, 2.0 * 0.01, &mut []);
    matches("l2", &run(Sgd::new(rule, Constant(0.05 / 2.0)), model));
}

#[test]
fn average() {
    let mut avg = [0.0f32; D + 1];
    let rule = Averaged::new(Plain, 0, &mut avg);
    let got = run(Sgd::new(rule, Constant(0.05 / 2.0)), |sgd, _, _| {
        let (w, b) = sgd.update.averaged().unwrap();
        ([w[0], w[1], w[2]], b)
    });
    matches("average", &got);
}

#[test]
fn optimal() {
    let schedule = Optimal::sklearn(0.1).unwrap();
    matches("optimal", &run(Sgd::new(Plain, schedule), model));
}
