//! The gradient-descent driver: errors leave the model alone, divergence is caught, stops work.

use steepest::{ColMajor, Control, Dataset, Error, GradientDescent, RowMajor, StopReason, What};

const X: [f32; 4] = [1.0, 2.0, 3.0, 4.0];
const Y: [f32; 4] = [2.0, 4.0, 6.0, 8.0];

fn seed() -> Dataset<'static> {
    RowMajor::new(&X, &Y, 4, 1).unwrap().into()
}

fn gd(lr: f64, epochs: usize) -> GradientDescent {
    GradientDescent {
        learning_rate: lr,
        max_epochs: epochs,
        tolerance: None,
    }
}

#[test]
fn bad_learning_rates_are_rejected_and_the_model_is_unchanged() {
    for lr in [0.0, -0.01, f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -0.0] {
        let (mut w, mut b, mut g) = ([0.5f32], 0.25f32, [0.0]);
        let err = gd(lr, 10).fit(&seed(), &mut w, &mut b, &mut g).unwrap_err();
        assert!(
            matches!(
                err,
                Error::InvalidParameter {
                    what: What::LearningRate,
                    ..
                }
            ),
            "{lr}: {err}"
        );
        assert_eq!(
            (w[0].to_bits(), b.to_bits()),
            (0.5f32.to_bits(), 0.25f32.to_bits())
        );
    }
}

#[test]
fn bad_tolerance_and_parameters_are_rejected() {
    let (mut w, mut b, mut g) = ([0.0f32], 0.0f32, [0.0]);
    let mut cfg = gd(0.01, 10);
    cfg.tolerance = Some(f64::NAN);
    assert!(matches!(
        cfg.fit(&seed(), &mut w, &mut b, &mut g),
        Err(Error::InvalidParameter {
            what: What::Tolerance,
            ..
        })
    ));
    let mut w_nan = [f32::NAN];
    assert!(matches!(
        gd(0.01, 1).fit(&seed(), &mut w_nan, &mut b, &mut g),
        Err(Error::InvalidParameter {
            what: What::Weights,
            ..
        })
    ));
    let mut b_inf = f32::INFINITY;
    assert!(matches!(
        gd(0.01, 1).fit(&seed(), &mut w, &mut b_inf, &mut g),
        Err(Error::InvalidParameter {
            what: What::Bias,
            ..
        })
    ));
}

#[test]
fn mismatched_lengths_are_rejected() {
    let (mut w2, mut b, mut g1, mut g2) = ([0.0f32; 2], 0.0f32, [0.0], [0.0; 2]);
    assert_eq!(
        gd(0.01, 1).fit(&seed(), &mut w2, &mut b, &mut g1),
        Err(Error::Length {
            what: What::Weights,
            expected: 1,
            found: 2
        })
    );
    let mut w1 = [0.0f32];
    assert_eq!(
        gd(0.01, 1).fit(&seed(), &mut w1, &mut b, &mut g2),
        Err(Error::Length {
            what: What::Gradient,
            expected: 1,
            found: 2
        })
    );
    assert_eq!(w1, [0.0]);
}

#[test]
fn non_finite_data_is_an_error_not_nan_weights() {
    for (i, bad) in [
        (0usize, f32::NAN),
        (3, f32::INFINITY),
        (2, f32::NEG_INFINITY),
    ] {
        let mut x = X;
        x[i] = bad;
        let data = RowMajor::new(&x, &Y, 4, 1).unwrap();
        let (mut w, mut b, mut g) = ([0.5f32], 0.25f32, [0.0]);
        let err = gd(0.01, 5)
            .fit(&data.into(), &mut w, &mut b, &mut g)
            .unwrap_err();
        // The error names the value's row and column, as the data check does.
        let located = Error::NonFiniteData {
            what: What::X,
            row: i,
            col: 0,
        };
        assert_eq!(err, located, "{err}");
        assert_eq!((w, b), ([0.5], 0.25));
        assert_eq!(data.check_finite(), Err(located));
    }
    let mut y = Y;
    y[1] = f32::NAN;
    let data = RowMajor::new(&X, &y, 4, 1).unwrap();
    let (mut w, mut b, mut g) = ([0.5f32], 0.25f32, [0.0]);
    assert!(
        gd(0.01, 5)
            .fit(&data.into(), &mut w, &mut b, &mut g)
            .is_err()
    );
    assert_eq!((w, b), ([0.5], 0.25));
}

#[test]
fn divergence_stops_at_the_last_finite_parameters() {
    // η far beyond 2/λ_max: the loss grows ~30x per epoch until f32 overflows.
    let (mut w, mut b, mut g) = ([0.0f32], 0.0f32, [0.0]);
    let mut seen = Vec::new();
    let err = gd(1.0, 10_000)
        .fit_with(&seed(), &mut w, &mut b, &mut g, |e| {
            seen.push((e.epoch, e.w[0], e.b));
            Control::Continue
        })
        .unwrap_err();
    let Error::Diverged { epoch, .. } = err else {
        panic!("{err}")
    };
    assert!(epoch > 1 && epoch < 100, "epoch {epoch}");
    assert!(w[0].is_finite() && b.is_finite());
    // The model holds the parameters in force at the start of the failing epoch: the last
    // ones the observer saw.
    let &(last, lw, lb) = seen.last().unwrap();
    assert_eq!(last, epoch - 1);
    assert_eq!((w[0], b), (lw, lb));
}

#[test]
fn observer_can_stop_and_sees_every_epoch() {
    let (mut w, mut b, mut g) = ([0.0f32], 0.0f32, [0.0]);
    let mut epochs = Vec::new();
    let report = gd(0.01, 100)
        .fit_with(&seed(), &mut w, &mut b, &mut g, |e| {
            epochs.push(e.epoch);
            if e.epoch == 7 {
                Control::Stop
            } else {
                Control::Continue
            }
        })
        .unwrap();
    assert_eq!(epochs, (1..=7).collect::<Vec<_>>());
    assert_eq!((report.epochs, report.reason), (7, StopReason::Observer));
}

#[test]
fn tolerance_stops_when_the_loss_settles() {
    let (mut w, mut b, mut g) = ([0.0f32], 0.0f32, [0.0]);
    let mut cfg = gd(0.05, 100_000);
    cfg.tolerance = Some(1e-10);
    let report = cfg.fit(&seed(), &mut w, &mut b, &mut g).unwrap();
    assert_eq!(report.reason, StopReason::Converged);
    assert!(report.epochs < 100_000);
    assert!((w[0] - 2.0).abs() < 1e-3 && b.abs() < 3e-3, "w={w:?} b={b}");
}

#[test]
fn zero_epochs_only_evaluates() {
    let (mut w, mut b, mut g) = ([0.0f32], 0.0f32, [0.0]);
    let report = gd(0.01, 0).fit(&seed(), &mut w, &mut b, &mut g).unwrap();
    assert_eq!((report.epochs, report.loss, w[0], b), (0, 30.0, 0.0, 0.0));
}

#[test]
fn the_loss_never_rises_with_a_small_step_and_both_layouts_agree() {
    // y = 3·x0 − 2·x1 + 0.5·x2 + 1, 50 samples.
    let n = 50;
    let d = 3;
    let x: Vec<f32> = (0..n * d)
        .map(|k| ((k * 37) % 23) as f32 / 11.0 - 1.0)
        .collect();
    let y: Vec<f32> = x
        .chunks(d)
        .map(|r| 3.0 * r[0] - 2.0 * r[1] + 0.5 * r[2] + 1.0)
        .collect();
    let mut xc = vec![0.0; n * d];
    for i in 0..n {
        for j in 0..d {
            xc[j * n + i] = x[i * d + j];
        }
    }
    let rm: Dataset = RowMajor::new(&x, &y, n, d).unwrap().into();
    let cm: Dataset = ColMajor::new(&xc, &y, n, d, n).unwrap().into();
    let mut fits = Vec::new();
    for data in [rm, cm] {
        let (mut w, mut b, mut g) = (vec![0.0f32; d], 0.0f32, vec![0.0; d]);
        let mut last = f64::INFINITY;
        let report = gd(0.1, 3000)
            .fit_with(&data, &mut w, &mut b, &mut g, |e| {
                // Near the optimum the parameters move by less than their f32 spacing
                // (2.4e-7 at |w| = 3), so rounding, not the step, decides the last bits of
                // the loss: residuals then change by ~|x|·2.4e-7 and the loss by ~1e-12.
                // Above 1e-9 the step dominates and the loss must fall every epoch.
                if last > 1e-9 {
                    assert!(
                        e.loss <= last,
                        "loss rose at epoch {}: {} > {last}",
                        e.epoch,
                        e.loss
                    );
                }
                last = e.loss;
                Control::Continue
            })
            .unwrap();
        assert!(report.loss < 1e-8, "{report:?}");
        fits.push((w, b));
    }
    assert_eq!(
        fits[0], fits[1],
        "d < 8: the layouts run the same arithmetic"
    );
    let (w, b) = &fits[0];
    for (got, want) in w.iter().zip([3.0, -2.0, 0.5]) {
        assert!((got - want).abs() < 1e-3, "{w:?}");
    }
    assert!((b - 1.0).abs() < 1e-3);
}
