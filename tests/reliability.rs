//! Holes found by using the crate as a new user would: counters at their limit, losses that
//! overflow, schedules that decay to zero, checks that ran after the shuffle, averages that
//! overflow, unchecked lengths, errors that pointed at the wrong thing, rates that cannot
//! move anything and divergence that stayed finite. Each test fails on a crate without the
//! corresponding check.

mod common;

use common::linalg::{eigenvalues, gram};
use rand_core::SeedableRng;
use rand_xoshiro::Xoshiro128PlusPlus;
use steepest::sgd::{
    Adam, Averaged, Batch, Constant, Exponential, Grad, InverseScaling, Momentum, Normalized,
    Optimal, Plain, Sample, Schedule, Sgd, StepDecay, Stopping, Update,
};
use steepest::{ColMajor, Control, Dataset, Error, GradientDescent, RowMajor, What};

fn bits(w: &[f32], b: f32) -> (Vec<u32>, u32) {
    (w.iter().map(|v| v.to_bits()).collect(), b.to_bits())
}

/// A small row-major problem, `y = 3·x₀ − x₁ + 0.5` plus a pattern.
fn problem(n: usize, d: usize) -> (Vec<f32>, Vec<f32>) {
    let x: Vec<f32> = (0..n * d)
        .map(|k| ((k * 7919) % 101) as f32 / 101.0)
        .collect();
    let y = (0..n)
        .map(|i| {
            let r = &x[i * d..i * d + d];
            3.0 * r[0] - r.get(1).copied().unwrap_or(0.0) + 0.5 + ((i % 3) as f32 - 1.0) * 0.01
        })
        .collect();
    (x, y)
}

/// Everything an epoch can change, to compare before and after a failed call.
fn snapshot<U: Update, S: Schedule>(
    sgd: &Sgd<U, S>,
    w: &[f32],
    b: f32,
    order: &[u32],
    rng: &Xoshiro128PlusPlus,
) -> (u64, (Vec<u32>, u32), Vec<u32>, Xoshiro128PlusPlus) {
    (sgd.steps(), bits(w, b), order.to_vec(), rng.clone())
}

// 1. Step counters overflow.

#[test]
fn a_full_step_counter_is_an_error_before_anything_is_written() {
    let (x, y) = problem(16, 3);
    let data: Dataset = RowMajor::new(&x, &y, 16, 3).unwrap().into();
    let (mut w, mut b, mut order) = ([0.25f32; 3], 0.5f32, [9u32; 16]);
    let mut rng = Xoshiro128PlusPlus::seed_from_u64(3);
    let mut sgd = Sgd::new(
        Plain,
        InverseScaling {
            eta0: 0.1,
            power_t: 0.25,
        },
    );
    sgd.set_steps(u64::MAX);
    let before = snapshot(&sgd, &w, b, &order, &rng);
    assert_eq!(
        sgd.step(&mut w, &mut b, &x[..3], y[0]),
        Err(Error::StepCounter {
            steps: u64::MAX,
            updates: 1
        })
    );
    assert_eq!(snapshot(&sgd, &w, b, &order, &rng), before);
    // An epoch of 16 updates does not fit in the last 10 counts: refused whole.
    sgd.set_steps(u64::MAX - 10);
    let before = snapshot(&sgd, &w, b, &order, &rng);
    assert_eq!(
        sgd.epoch(&data, &mut w, &mut b, &mut order, &mut rng),
        Err(Error::StepCounter {
            steps: u64::MAX - 10,
            updates: 16
        })
    );
    assert_eq!(snapshot(&sgd, &w, b, &order, &rng), before);
    // Four batches of 4 do not fit in the last 3.
    sgd.set_steps(u64::MAX - 3);
    let before = snapshot(&sgd, &w, b, &order, &rng);
    let (mut bx, mut by, mut g) = ([0.0f32; 12], [0.0f32; 4], [0.0f64; 3]);
    let batch = Batch {
        x: &mut bx,
        y: &mut by,
        grad: &mut g,
    };
    assert_eq!(
        sgd.minibatch_epoch(&data, &mut w, &mut b, &mut order, &mut rng, batch),
        Err(Error::StepCounter {
            steps: u64::MAX - 3,
            updates: 4
        })
    );
    assert_eq!(snapshot(&sgd, &w, b, &order, &rng), before);
    // Exactly enough room: the epoch runs and the counter ends at u64::MAX.
    sgd.set_steps(u64::MAX - 16);
    sgd.epoch(&data, &mut w, &mut b, &mut order, &mut rng)
        .unwrap();
    assert_eq!(sgd.steps(), u64::MAX);
}

// 2. A squared error that overflows f32.

#[test]
fn a_loss_that_overflows_f32_is_rejected_not_reported_as_infinite() {
    let (mut w, mut b) = ([1e20f32], 0.0f32);
    let mut sgd = Sgd::new(Plain, Constant(0.01));
    assert_eq!(
        sgd.step(&mut w, &mut b, &[1.0], 0.0),
        Err(Error::Rejected { step: 0 })
    );
    assert_eq!((w, b, sgd.steps()), ([1e20], 0.0, 0));
    // The same through an epoch and a fit: an error, never `Ok` with an infinite loss.
    for d in [1usize, 9] {
        let x = vec![1.0f32; 4 * d];
        let y = [0.0f32; 4];
        let data: Dataset = RowMajor::new(&x, &y, 4, d).unwrap().into();
        let (mut w, mut b, mut order) = (vec![1e20f32; d], 0.0f32, [0u32; 4]);
        let mut rng = Xoshiro128PlusPlus::seed_from_u64(1);
        let err = sgd
            .epoch(&data, &mut w, &mut b, &mut order, &mut rng)
            .unwrap_err();
        assert!(matches!(err, Error::Rejected { .. }), "d={d}: {err}");
        let stop = Stopping::default();
        let fit = sgd.fit(&data, &mut w, &mut b, &mut order, &mut rng, stop, |_| {
            Control::Continue
        });
        assert!(matches!(fit, Err(Error::Rejected { .. })), "d={d}: {fit:?}");
    }
    // A large but representable squared error is reported finite.
    let (mut w, mut b) = ([1e18f32], 0.0f32);
    let loss = Sgd::new(Plain, Constant(1e-40f32.max(1e-30)))
        .step(&mut w, &mut b, &[1.0], 0.0)
        .unwrap();
    assert!(loss.is_finite() && loss > 9.9e35, "{loss}");
}

// 3. Schedules that decay to zero.

/// Runs epochs until one fails; the failing one must fail before it writes anything, at the
/// first step whose rate is not a positive normal float.
fn decays_to_zero_between_epochs<S: Schedule + Clone>(schedule: S) {
    let n = 1000;
    let (x, y) = problem(n, 2);
    let data: Dataset = RowMajor::new(&x, &y, n, 2).unwrap().into();
    let (mut w, mut b, mut order) = ([0.0f32; 2], 0.0f32, vec![0u32; n]);
    let mut rng = Xoshiro128PlusPlus::seed_from_u64(5);
    let mut sgd = Sgd::new(Plain, schedule.clone());
    for epoch in 0..10_000 {
        let before = snapshot(&sgd, &w, b, &order, &rng);
        match sgd.epoch(&data, &mut w, &mut b, &mut order, &mut rng) {
            Ok(_) => continue,
            Err(Error::Schedule { step, rate }) => {
                assert_eq!(snapshot(&sgd, &w, b, &order, &rng), before, "epoch {epoch}");
                assert!(step >= sgd.steps() && step < sgd.steps() + n as u64);
                assert!(schedule.rate(step - 1).is_normal(), "step {step}");
                assert!(!schedule.rate(step).is_normal() && f64::from(schedule.rate(step)) == rate);
                assert!(epoch > 0, "the first epoch's rates were fine");
                let msg = Error::Schedule { step, rate }.to_string();
                assert!(msg.contains(&format!("step {step}")), "{msg}");
                return;
            }
            Err(e) => panic!("epoch {epoch}: {e}"),
        }
    }
    panic!("never decayed");
}

#[test]
fn schedules_that_decay_to_zero_fail_before_the_epoch() {
    decays_to_zero_between_epochs(Exponential {
        eta0: 0.05,
        k: 1e-2,
    });
    decays_to_zero_between_epochs(StepDecay {
        eta0: 0.05,
        gamma: 0.5,
        every: 10,
    });
    decays_to_zero_between_epochs(InverseScaling {
        eta0: 0.05,
        power_t: 12.0,
    });
}

#[test]
fn a_decaying_schedule_fails_before_the_minibatch_epoch() {
    let n = 100;
    let (x, y) = problem(n, 2);
    let data: Dataset = RowMajor::new(&x, &y, n, 2).unwrap().into();
    let (mut w, mut b, mut order) = ([0.0f32; 2], 0.0f32, vec![0u32; n]);
    let mut rng = Xoshiro128PlusPlus::seed_from_u64(5);
    let schedule = Exponential { eta0: 0.05, k: 1.0 };
    let mut sgd = Sgd::new(Plain, schedule);
    // 10 batches per epoch; the rate leaves the normal range at t = 85.
    let last_good = (0..).find(|&t| !schedule.rate(t).is_normal()).unwrap() - 1;
    let (mut bx, mut by, mut g) = ([0.0f32; 20], [0.0f32; 10], [0.0f64; 2]);
    loop {
        let before = snapshot(&sgd, &w, b, &order, &rng);
        let batch = Batch {
            x: &mut bx,
            y: &mut by,
            grad: &mut g,
        };
        match sgd.minibatch_epoch(&data, &mut w, &mut b, &mut order, &mut rng, batch) {
            Ok(_) => assert!(sgd.steps() <= last_good + 1),
            Err(e) => {
                assert_eq!(
                    e,
                    Error::Schedule {
                        step: last_good + 1,
                        rate: f64::from(schedule.rate(last_good + 1))
                    }
                );
                assert_eq!(snapshot(&sgd, &w, b, &order, &rng), before);
                return;
            }
        }
    }
}

// 4. Validation before randomness.

#[test]
fn every_check_runs_before_the_order_is_drawn() {
    let (x, y) = problem(8, 2);
    let data: Dataset = RowMajor::new(&x, &y, 8, 2).unwrap().into();
    let (mut w, mut b, mut order) = ([0.0f32; 2], 0.0f32, [3u32; 8]);
    let mut rng = Xoshiro128PlusPlus::seed_from_u64(8);
    let before = (order, rng.clone());
    let mut zero = Sgd::new(Plain, Constant(0.0));
    let err = zero
        .epoch(&data, &mut w, &mut b, &mut order, &mut rng)
        .unwrap_err();
    assert_eq!(err, Error::Schedule { step: 0, rate: 0.0 });
    assert_eq!((order, rng.clone()), before);
    let mut nlms = Sgd::new(Normalized::default(), Constant(0.5));
    let (mut bx, mut by, mut g) = ([0.0f32; 4], [0.0f32; 2], [0.0f64; 2]);
    let batch = Batch {
        x: &mut bx,
        y: &mut by,
        grad: &mut g,
    };
    let err = nlms
        .minibatch_epoch(&data, &mut w, &mut b, &mut order, &mut rng, batch)
        .unwrap_err();
    assert!(matches!(err, Error::Unsupported(_)), "{err}");
    assert_eq!((order, rng.clone()), before);
    // An invalid Optimal (α = 0) is refused before the draw too, naming α.
    let mut opt = Sgd::new(
        Plain,
        Optimal {
            alpha: 0.0,
            t0: 1.0,
        },
    );
    let err = opt
        .epoch(&data, &mut w, &mut b, &mut order, &mut rng)
        .unwrap_err();
    assert_eq!(
        err,
        Error::InvalidParameter {
            what: What::Alpha,
            value: 0.0
        }
    );
    assert_eq!((order, rng), before);
}

// 5. Averaged cannot become non-finite.

#[test]
fn the_average_stays_finite_at_the_ends_of_the_range() {
    let mut avg = [0.0f32; 2];
    let mut sgd = Sgd::new(Averaged::new(Plain, 0, &mut avg), Constant(0.01));
    let (mut w, mut b) = ([-3e38f32], 0.0f32);
    // x = 0, y = 0: the residual is 0 and the step leaves w where it is.
    sgd.step(&mut w, &mut b, &[0.0], 0.0).unwrap();
    w = [3e38];
    sgd.step(&mut w, &mut b, &[0.0], 0.0).unwrap();
    let (aw, ab) = sgd.update.averaged().unwrap();
    assert!(aw[0].is_finite() && ab == 0.0, "{aw:?}");
    // The exact mean of −3e38 and 3e38 is 0; each half is rounded once.
    assert!(aw[0].abs() <= 3e38 * f32::EPSILON, "{}", aw[0]);
    // Iterates alternating at ±MAX for many steps: always finite and within [−MAX, MAX].
    let mut avg = [0.0f32; 2];
    let mut sgd = Sgd::new(Averaged::new(Plain, 0, &mut avg), Constant(0.01));
    for k in 0..1000 {
        w = [if k % 3 == 0 { -f32::MAX } else { f32::MAX }];
        sgd.step(&mut w, &mut b, &[0.0], 0.0).unwrap();
        assert!(sgd.update.averaged().unwrap().0[0].is_finite(), "k={k}");
    }
}

// 6. Update::apply checks lengths.

#[test]
fn update_apply_checks_every_length() {
    let (mut w, mut b) = ([1.0f32; 3], 0.5f32);
    let short = Grad::Sample {
        x: Sample::Row(&[1.0]),
        g: 1.0,
    };
    assert_eq!(
        Plain.apply(&mut w, &mut b, short, 0.1, 0),
        Err(Error::Length {
            what: What::X,
            expected: 3,
            found: 1
        })
    );
    let (mut m, mut v) = ([0.0f32; 1], [0.0f32; 1]);
    let full = Grad::Sample {
        x: Sample::Row(&[1.0; 3]),
        g: 1.0,
    };
    let err = Adam::new(&mut m, &mut v)
        .apply(&mut w, &mut b, full, 0.1, 0)
        .unwrap_err();
    assert_eq!(
        err,
        Error::Length {
            what: What::State,
            expected: 4,
            found: 1
        }
    );
    let mut buf = [0.0f32; 2];
    let err = Momentum::new(0.9, 0.0, false, 0.0, &mut buf)
        .apply(&mut w, &mut b, full, 0.1, 0)
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Length {
                what: What::State,
                ..
            }
        ),
        "{err}"
    );
    let sums = Grad::Sums {
        w: &[1.0; 2],
        b: 1.0,
        scale: 0.5,
    };
    let err = Normalized::default()
        .apply(&mut w, &mut b, sums, 0.1, 0)
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Length {
                what: What::Gradient,
                ..
            }
        ),
        "{err}"
    );
    let mut avg = [0.0f32; 4];
    let err = Averaged::new(Plain, 0, &mut avg)
        .apply(&mut w, &mut b, short, 0.1, 0)
        .unwrap_err();
    assert!(matches!(err, Error::Length { what: What::X, .. }), "{err}");
    assert_eq!(bits(&w, b), bits(&[1.0; 3], 0.5));
}

// 7. Errors that point at the right thing.

#[test]
fn errors_name_what_is_wrong() {
    let (x, y) = problem(8, 2);
    let data: Dataset = RowMajor::new(&x, &y, 8, 2).unwrap().into();
    let (mut w, mut b, mut order) = ([0.0f32; 2], 0.0f32, [0u32; 8]);
    let mut rng = Xoshiro128PlusPlus::seed_from_u64(8);
    let batch = Batch {
        x: &mut [],
        y: &mut [],
        grad: &mut [0.0; 2],
    };
    let err = Sgd::new(Plain, Constant(0.1))
        .minibatch_epoch(&data, &mut w, &mut b, &mut order, &mut rng, batch)
        .unwrap_err();
    assert_eq!(err, Error::Empty(What::BatchSize));
    assert!(err.to_string().contains("batch size"), "{err}");
    // GD on data holding NaN or ∞ names the first one's row and column, both layouts.
    for (k, bad) in [(5usize, f32::NAN), (11, f32::INFINITY)] {
        let mut xb = x.clone();
        xb[k] = bad;
        let (row, col) = (k / 2, k % 2);
        let want = Error::NonFiniteData {
            what: What::X,
            row,
            col,
        };
        let rm: Dataset = RowMajor::new(&xb, &y, 8, 2).unwrap().into();
        let cm_x: Vec<f32> = (0..2)
            .flat_map(|j| (0..8).map(move |i| (i, j)))
            .map(|(i, j)| xb[i * 2 + j])
            .collect();
        let cm: Dataset = ColMajor::new(&cm_x, &y, 8, 2, 8).unwrap().into();
        for view in [rm, cm] {
            let (mut w, mut b, mut g) = ([0.0f32; 2], 0.0f32, [0.0f64; 2]);
            let err = GradientDescent::default()
                .fit(&view, &mut w, &mut b, &mut g)
                .unwrap_err();
            assert_eq!(err, want);
        }
    }
    let mut yb = y.clone();
    yb[6] = f32::NAN;
    let view: Dataset = RowMajor::new(&x, &yb, 8, 2).unwrap().into();
    let (mut g, mut w) = ([0.0f64; 2], [0.0f32; 2]);
    let err = GradientDescent::default()
        .fit(&view, &mut w, &mut b, &mut g)
        .unwrap_err();
    assert_eq!(
        err,
        Error::NonFiniteData {
            what: What::Y,
            row: 6,
            col: 0
        }
    );
    // Optimal::sklearn refuses α = 0 (and any α that is not a positive normal float).
    for alpha in [0.0f32, -1e-4, f32::NAN, f32::INFINITY, 1e-40] {
        let err = Optimal::sklearn(alpha).unwrap_err();
        assert!(
            matches!(
                err,
                Error::InvalidParameter {
                    what: What::Alpha,
                    ..
                }
            ),
            "{alpha}: {err}"
        );
    }
}

// 8. Rates that cannot move anything.

#[test]
fn rates_that_are_not_normal_floats_are_refused() {
    let (x, y) = problem(8, 2);
    let data: Dataset = RowMajor::new(&x, &y, 8, 2).unwrap().into();
    for lr in [5e-324, 1e-320, 0.0, -0.1, f64::NAN, f64::INFINITY] {
        let (mut w, mut b, mut g) = ([0.0f32; 2], 0.0f32, [0.0f64; 2]);
        let gd = GradientDescent {
            learning_rate: lr,
            ..GradientDescent::default()
        };
        let err = gd.fit(&data, &mut w, &mut b, &mut g).unwrap_err();
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
        assert!(err.to_string().contains("normal"), "{err}");
    }
    for lr in [1e-40f32, f32::from_bits(1)] {
        let (mut w, mut b, mut order) = ([0.0f32; 2], 0.0f32, [0u32; 8]);
        let mut rng = Xoshiro128PlusPlus::seed_from_u64(8);
        let mut sgd = Sgd::new(Plain, Constant(lr));
        assert_eq!(
            sgd.step(&mut w, &mut b, &x[..2], y[0]),
            Err(Error::Schedule {
                step: 0,
                rate: f64::from(lr)
            })
        );
        assert!(
            sgd.epoch(&data, &mut w, &mut b, &mut order, &mut rng)
                .is_err()
        );
        assert_eq!((bits(&w, b), sgd.steps()), (bits(&[0.0; 2], 0.0), 0));
    }
}

// 11. Finite divergence.

/// `2/λ_max` of GD on `data`: `λ_max` of `(2/n)·X̃ᵀX̃`.
fn stability_limit(x: &[f32], n: usize, d: usize) -> f64 {
    let g = gram(x, n, d);
    let top = *eigenvalues(&g, d + 1).last().unwrap();
    2.0 / (2.0 * top / n as f64)
}

#[test]
fn gd_reports_a_growing_loss_as_divergence() {
    for (n, d) in [(4usize, 1usize), (50, 3), (200, 10), (64, 17)] {
        let (x, y) = problem(n, d);
        let data: Dataset = RowMajor::new(&x, &y, n, d).unwrap().into();
        let limit = stability_limit(&x, n, d);
        // 5% past the limit: the loss grows by about 1.1x per epoch, far from overflowing in
        // 300 epochs; this used to return Ok with a loss grown by orders of magnitude.
        let (mut w, mut b, mut g) = (vec![0.0f32; d], 0.0f32, vec![0.0f64; d]);
        let mut seen = Vec::new();
        let gd = GradientDescent {
            learning_rate: 1.05 * limit,
            max_epochs: 300,
            tolerance: None,
        };
        let err = gd
            .fit_with(&data, &mut w, &mut b, &mut g, |e| {
                seen.push((e.loss, e.w.to_vec(), e.b));
                Control::Continue
            })
            .unwrap_err();
        let Error::Diverged { epoch, what } = err else {
            panic!("n={n} d={d}: {err}")
        };
        assert_eq!(what, What::Loss);
        assert!(epoch < 300, "n={n} d={d}: epoch {epoch}");
        // The model is the one in force at the start of the failing epoch: the last one the
        // observer saw.
        let (_, lw, lb) = seen.last().unwrap();
        assert_eq!(bits(&w, b), bits(lw, *lb), "n={n} d={d}");
        // Below the limit, every epoch to the rounding floor and beyond is a success.
        for f in [0.95, 0.5, 0.05] {
            let (mut w, mut b) = (vec![0.0f32; d], 0.0f32);
            let gd = GradientDescent {
                learning_rate: f * limit,
                max_epochs: 5_000,
                tolerance: None,
            };
            let report = gd.fit(&data, &mut w, &mut b, &mut g);
            assert!(report.is_ok(), "n={n} d={d} f={f}: {report:?}");
        }
    }
}

#[test]
fn sgd_fit_reports_a_growing_loss_as_divergence() {
    let n = 64;
    let (x, y) = problem(n, 3);
    let data: Dataset = RowMajor::new(&x, &y, n, 3).unwrap().into();
    let (mut w, mut b, mut order) = ([0.0f32; 3], 0.0f32, vec![0u32; n]);
    let mut rng = Xoshiro128PlusPlus::seed_from_u64(2);
    // ‖x̃‖² is up to 4 here: a rate of 0.6 makes single updates overshoot; the loss grows
    // by orders of magnitude per epoch (5e6, 1e11, 7e20, …) yet stays finite for five
    // epochs, which used to end in `Ok` at 100 epochs' worth of a diverged model.
    let mut losses = Vec::new();
    let stop = Stopping {
        max_epochs: 5,
        tol: None,
        n_iter_no_change: 5,
    };
    let err = Sgd::new(Plain, Constant(0.6))
        .fit(&data, &mut w, &mut b, &mut order, &mut rng, stop, |e| {
            losses.push(e.loss);
            Control::Continue
        })
        .unwrap_err();
    let Error::Diverged { epoch, what } = err else {
        panic!("{err}: {losses:?}")
    };
    assert_eq!(what, What::Loss);
    let reference = losses[0].max(y.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>() / n as f64);
    // The observer saw every epoch before the diverged one, each within the factor.
    assert_eq!(losses.len(), epoch - 1, "{losses:?}");
    assert!(
        epoch < 5 && losses.iter().all(|&l| l <= 1e4 * reference),
        "{losses:?}"
    );
    // A stable rate runs to the end.
    let mut rng = Xoshiro128PlusPlus::seed_from_u64(2);
    let (mut w, mut b) = ([0.0f32; 3], 0.0f32);
    let report = Sgd::new(Plain, Constant(0.02))
        .fit(&data, &mut w, &mut b, &mut order, &mut rng, stop, |_| {
            Control::Continue
        })
        .unwrap();
    assert_eq!(report.epochs, 5);
}
