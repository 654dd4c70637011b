//! Feature statistics, the model type and the standardised fit with its automatic rate:
//! against plain f64 computations, exact eigenvalues and the least-squares solution.

mod common;

use common::linalg::{eigenvalues, jacobi_error};
use proptest::prelude::*;
use steepest::kernels::reference;
use steepest::regression::{Rate, Regression, lambda_max};
use steepest::stats::{Moments, moments};
use steepest::{ColMajor, Control, Dataset, Error, LinearModel, RowMajor, StopReason, What};

/// A deterministic generator of test data (a 64-bit LCG's high bits), uniform in [0, 1).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Features with offsets and scales far from 0 and 1, a linear target with noise.
fn problem(n: usize, d: usize, seed: u64) -> (Vec<f32>, Vec<f32>) {
    let mut g = Lcg(seed);
    let offsets: Vec<f64> = (0..d).map(|j| [0.0, 2000.0, -50.0, 1e4][j % 4]).collect();
    let scales: Vec<f64> = (0..d).map(|j| [1.0, 30.0, 0.01, 500.0][j % 4]).collect();
    let mut x = Vec::with_capacity(n * d);
    let mut y = Vec::with_capacity(n);
    for _ in 0..n {
        let mut t = 7.0;
        for j in 0..d {
            let v = (offsets[j] + scales[j] * (g.next() - 0.5)) as f32;
            x.push(v);
            t += f64::from(v) * (j as f64 + 1.0) / scales[j];
        }
        y.push((t + 0.1 * (g.next() - 0.5)) as f32);
    }
    (x, y)
}

fn col_major(x: &[f32], n: usize, d: usize) -> Vec<f32> {
    (0..d)
        .flat_map(|j| (0..n).map(move |i| (i, j)))
        .map(|(i, j)| x[i * d + j])
        .collect()
}

/// Two-pass f64 mean and M2 of one column.
fn exact(values: impl Iterator<Item = f32> + Clone) -> (f64, f64) {
    let n = values.clone().count() as f64;
    let mean = values.clone().map(f64::from).sum::<f64>() / n;
    let m2 = values.map(|v| (f64::from(v) - mean).powi(2)).sum::<f64>();
    (mean, m2)
}

#[test]
fn moments_match_two_pass_sums_and_merge() {
    for (n, d) in [(1usize, 1usize), (7, 3), (5000, 4), (9001, 2)] {
        let (x, y) = problem(n, d, n as u64);
        let cm = col_major(&x, n, d);
        let views: [Dataset; 2] = [
            RowMajor::new(&x, &y, n, d).unwrap().into(),
            ColMajor::new(&cm, &y, n, d, n).unwrap().into(),
        ];
        for view in views {
            let mut m = vec![Moments::default(); d];
            let ym = moments(&view, &mut m).unwrap();
            // Shifted sums in f64 of values within a factor 1e3 of their spread: each sum
            // is exact to a few ulps of its size, so 1e-9 relative (of the spread for the
            // mean) is far outside what rounding can do and far inside any wrong value.
            for (j, mj) in m.iter().enumerate() {
                let (mean, m2) = exact((0..n).map(|i| x[i * d + j]));
                let spread = (m2 / n as f64).sqrt().max(1e-30);
                assert!(
                    (mj.mean - mean).abs() <= 1e-9 * spread.max(mean.abs() * 1e-7),
                    "n={n} j={j}"
                );
                assert!((mj.m2 - m2).abs() <= 1e-9 * m2.max(1e-300), "n={n} j={j}");
                assert_eq!(mj.count, n as f64);
            }
            let (mean, m2) = exact(y.iter().copied());
            assert!((ym.mean - mean).abs() <= 1e-9 * mean.abs().max(1.0));
            assert!((ym.m2 - m2).abs() <= 1e-9 * m2.max(1e-300));
        }
        // Chunks merged equal the whole.
        if n > 10 {
            let cut = n / 3;
            let (a, b) = (Moments::of(&y[..cut]), Moments::of(&y[cut..]));
            let all = Moments::of(&y);
            let merged = a.merge(b);
            assert!((merged.mean - all.mean).abs() <= 1e-12 * all.mean.abs().max(1.0));
            assert!((merged.m2 - all.m2).abs() <= 1e-9 * all.m2);
        }
    }
    let bad = [1.0, f32::NAN, 3.0, 4.0];
    let data: Dataset = RowMajor::new(&bad, &[1.0, 2.0], 2, 2).unwrap().into();
    assert_eq!(
        moments(&data, &mut [Moments::default(); 2]),
        Err(Error::NonFiniteData {
            what: What::X,
            row: 0,
            col: 1
        })
    );
}

#[test]
fn predictions_and_scores_match_f64_and_both_layouts() {
    for (n, d) in [(13usize, 1usize), (40, 5), (33, 8), (20, 19)] {
        let (x, y) = problem(n, d, 3 + d as u64);
        let w: Vec<f32> = (0..d).map(|j| 0.5 - j as f32 * 0.1).collect();
        let b = 3.0f32;
        let model = LinearModel {
            weights: w.clone(),
            intercept: b,
        };
        let cm = col_major(&x, n, d);
        let rm: Dataset = RowMajor::new(&x, &y, n, d).unwrap().into();
        let cv: Dataset = ColMajor::new(&cm, &y, n, d, n).unwrap().into();
        let (mut p1, mut p2) = (vec![0.0f32; n], vec![0.0f32; n]);
        model.predict(&rm, &mut p1).unwrap();
        model.predict(&cv, &mut p2).unwrap();
        let (mut sq, mut abs) = (0.0, 0.0);
        for i in 0..n {
            let row = &x[i * d..i * d + d];
            let exact: f64 = row
                .iter()
                .zip(&w)
                .map(|(&a, &c)| f64::from(a) * f64::from(c))
                .sum::<f64>()
                + f64::from(b);
            // Each prediction is a dot product of d terms plus b in f32: within γ_{d+1}·A.
            let a: f64 = row
                .iter()
                .zip(&w)
                .map(|(&a, &c)| (f64::from(a) * f64::from(c)).abs())
                .sum::<f64>()
                + f64::from(b).abs();
            let bound = (d as f64 + 1.0) * f64::from(f32::EPSILON) * a;
            for p in [p1[i], p2[i]] {
                assert!((f64::from(p) - exact).abs() <= bound, "n={n} d={d} i={i}");
            }
            let r = exact - f64::from(y[i]);
            sq += r * r;
            abs += r.abs();
        }
        if d < 8 {
            assert_eq!(p1, p2, "the layouts add in the same order for d < 8");
        }
        let s = model.score(&rm).unwrap();
        let t = model.score(&cv).unwrap();
        let (ym, ym2) = exact(y.iter().copied());
        let _ = ym;
        // The scores' residuals are the predictions' (same bound, relative to the sums).
        for sc in [s, t] {
            assert!(
                (sc.mse - sq / n as f64).abs() <= 1e-4 * sq / n as f64,
                "n={n} d={d}"
            );
            assert!((sc.mae - abs / n as f64).abs() <= 1e-4 * abs / n as f64);
            assert!((sc.rmse - sc.mse.sqrt()).abs() <= 1e-12 * sc.rmse);
            assert!((sc.r2 - (1.0 - sq / ym2)).abs() <= 1e-4 * (sq / ym2).max(1e-3));
        }
    }
    let model = LinearModel {
        weights: [1.0f32; 2],
        intercept: 0.0,
    };
    let data: Dataset = RowMajor::new(&[1.0; 6], &[1.0; 3], 3, 2).unwrap().into();
    assert!(matches!(
        model.predict(&data, &mut [0.0; 2]),
        Err(Error::Length { .. })
    ));
    let short = LinearModel {
        weights: [1.0f32],
        intercept: 0.0,
    };
    assert!(matches!(short.score(&data), Err(Error::Length { .. })));
}

/// `λ_max` of `(2/n)·Z̃ᵀZ̃` for the standardised data, from its eigenvalues.
fn exact_lambda(x: &[f32], n: usize, d: usize, stats: &[Moments]) -> (f64, f64) {
    let p = d + 1;
    let mut h = vec![0.0f64; p * p];
    for i in 0..n {
        let z: Vec<f64> = (0..d)
            .map(|j| (f64::from(x[i * d + j]) - stats[j].mean) / stats[j].std())
            .chain([1.0])
            .collect();
        for r in 0..p {
            for c in 0..p {
                h[r * p + c] += 2.0 * z[r] * z[c] / n as f64;
            }
        }
    }
    (*eigenvalues(&h, p).last().unwrap(), jacobi_error(&h, p))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// The estimate never exceeds λ_max (beyond the rounding of the f32 passes: 1e-4 of it,
    /// for residuals formed in f32 against y of the same size) and is above λ_max/2, where
    /// the rate 1/λ̂ is stable; observed it is within 1e-4 of λ_max.
    #[test]
    fn lambda_max_is_within_its_bound(
        n in 10usize..300, d in 1usize..12, seed in any::<u64>(), corr in 0.0f64..0.95,
    ) {
        let (mut x, y) = problem(n, d, seed);
        // Correlate feature j with feature 0 by `corr`, to spread the spectrum.
        for i in 0..n {
            let base = f64::from(x[i * d]);
            for j in 1..d {
                let v = f64::from(x[i * d + j]);
                x[i * d + j] = ((1.0 - corr) * v + corr * base * (j as f64)) as f32;
            }
        }
        let data: Dataset = RowMajor::new(&x, &y, n, d).unwrap().into();
        let mut stats = vec![Moments::default(); d];
        moments(&data, &mut stats).unwrap();
        prop_assume!(stats.iter().all(|m| m.std() > 1e-3 * m.mean.abs().max(1.0)));
        let (exact, err) = exact_lambda(&x, n, d, &stats);
        let est = lambda_max(&data, Some(&stats), &mut vec![0.0; d], &mut vec![0.0; 3 * d]).unwrap();
        prop_assert!(est <= exact * (1.0 + 1e-4) + err, "{est} > {exact}");
        prop_assert!(est > exact / 2.0, "{est} <= {exact}/2");
    }

    /// With no rate given, the standardised fit reaches the least-squares loss: within 1e-6
    /// relative (the f32 model's rounding moves the loss by far less; a fit stopped early by
    /// a factor ten of its tolerance would not be this close).
    #[test]
    fn the_default_fit_reaches_least_squares(n in 30usize..300, d in 1usize..8, seed in any::<u64>()) {
        let (x, y) = problem(n, d, seed);
        let data: Dataset = RowMajor::new(&x, &y, n, d).unwrap().into();
        let mut stats = vec![Moments::default(); d];
        moments(&data, &mut stats).unwrap();
        let (mut w, mut b, mut work) = (vec![0.0f32; d], 0.0f32, vec![0.0f64; 4 * d]);
        let report = Regression::default()
            .fit(&data, &stats, &mut w, &mut b, &mut work, |_| Control::Continue)
            .unwrap();
        prop_assert_eq!(report.reason, StopReason::Converged);
        // Both losses in f64 from the models (an f32 residual's rounding is 1e-4 of these
        // small residuals, far more than the difference being tested).
        let wf: Vec<f64> = w.iter().map(|&v| f64::from(v)).collect();
        let got = least_squares_mse(&x, &y, d, &wf, f64::from(b));
        let (mut wl, mut scratch) = (vec![0.0f64; d], vec![0.0f64; (d + 1) * (d + 2)]);
        let bl = reference::least_squares(&data, &mut wl, &mut scratch).unwrap();
        let best = least_squares_mse(&x, &y, d, &wl, bl);
        // An f32 model cannot do better than its rounding: moving each weight and the
        // intercept to an f32 neighbour moves prediction i by up to u·Aᵢ, Aᵢ = |b| + Σ|xᵢⱼwⱼ|
        // (u = 2⁻²⁴; 4u for the rounding of the fit's own passes), so the loss by up to
        // 2·√best·ε + ε² with ε = 4u·max Aᵢ. On top of that, 1e-6 relative for the stopping rule.
        let a_max = (0..n)
            .map(|i| bl.abs() + (0..d).map(|j| (f64::from(x[i * d + j]) * wl[j]).abs()).sum::<f64>())
            .fold(0.0, f64::max);
        let eps = 4.0 * f64::from(f32::EPSILON) / 2.0 * a_max;
        let allowed = 1e-6 * best + 2.0 * best.sqrt() * eps + eps * eps;
        prop_assert!(got >= best * (1.0 - 1e-12) && got - best <= allowed, "{got} vs {best} (allowed {allowed})");
    }
}

/// The least-squares model's MSE, in f64.
fn least_squares_mse(x: &[f32], y: &[f32], d: usize, w: &[f64], b: f64) -> f64 {
    let n = y.len();
    (0..n)
        .map(|i| {
            let p: f64 = (0..d).map(|j| f64::from(x[i * d + j]) * w[j]).sum::<f64>() + b;
            (p - f64::from(y[i])).powi(2)
        })
        .sum::<f64>()
        / n as f64
}

#[test]
fn constant_features_get_no_weight_and_no_nan() {
    let n = 50;
    let (mut x, y) = problem(n, 3, 9);
    for i in 0..n {
        x[i * 3 + 1] = 42.0;
    }
    let data: Dataset = RowMajor::new(&x, &y, n, 3).unwrap().into();
    let mut stats = vec![Moments::default(); 3];
    moments(&data, &mut stats).unwrap();
    assert_eq!(stats[1].std(), 0.0);
    let (mut w, mut b, mut work) = (vec![0.0f32; 3], 0.0f32, vec![0.0f64; 12]);
    Regression::default()
        .fit(&data, &stats, &mut w, &mut b, &mut work, |_| {
            Control::Continue
        })
        .unwrap();
    assert_eq!(w[1], 0.0);
    assert!(w.iter().all(|v| v.is_finite()) && b.is_finite());
}

#[test]
fn bad_configurations_leave_the_model_unchanged() {
    let (x, y) = problem(20, 2, 1);
    let data: Dataset = RowMajor::new(&x, &y, 20, 2).unwrap().into();
    let mut stats = vec![Moments::default(); 2];
    moments(&data, &mut stats).unwrap();
    let (mut w, mut b) = ([0.5f32, -0.5], 1.0f32);
    for (cfg, work_len) in [
        (
            Regression {
                rate: Rate::Fixed(0.0),
                ..Regression::default()
            },
            8,
        ),
        (
            Regression {
                tol: Some(-1.0),
                ..Regression::default()
            },
            8,
        ),
        (Regression::default(), 7),
    ] {
        let mut work = vec![0.0f64; work_len];
        let err = cfg.fit(&data, &stats, &mut w, &mut b, &mut work, |_| {
            Control::Continue
        });
        assert!(err.is_err(), "{cfg:?}");
        assert_eq!((w, b), ([0.5, -0.5], 1.0));
    }
    // NaN data: located, and the model is as it was (the automatic rate's passes included).
    let mut xb = x.clone();
    xb[7] = f32::NAN;
    let bad: Dataset = RowMajor::new(&xb, &y, 20, 2).unwrap().into();
    let err = Regression {
        standardize: false,
        ..Regression::default()
    }
    .fit(&bad, &[], &mut w, &mut b, &mut [0.0; 8], |_| {
        Control::Continue
    })
    .unwrap_err();
    assert_eq!(
        err,
        Error::NonFiniteData {
            what: What::X,
            row: 3,
            col: 1
        }
    );
    assert_eq!((w, b), ([0.5, -0.5], 1.0));
}
