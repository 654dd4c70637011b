//! The solvers behind `steepest fit`: gradient descent through the library's standardised
//! regression, and the SGD stepper on data standardised in place.

use rand_xoshiro::Xoshiro128PlusPlus;
use rand_xoshiro::rand_core::SeedableRng;
use steepest::regression::{Rate, Regression, lambda_max};
use steepest::sgd::{
    Adam, Adaptive, Averaged, Batch, Constant, Exponential, InverseScaling, Momentum, Normalized,
    Plain, Scaling, Schedule, Sgd, StepDecay, Stopping, Update,
};
use steepest::stats::Moments;
use steepest::{Control, Dataset, Epoch, Error, RowMajor, StopReason};

use crate::report::Progress;
use crate::{FitArgs, ScheduleKind, Solver, UpdateRule};

/// A fitted model: as fitted (on the data standardised in place, for the SGD solvers, which
/// the scores then use as they are) and in the original units.
pub(crate) struct Fitted {
    pub(crate) w: Vec<f32>,
    pub(crate) b: f32,
    pub(crate) original_w: Vec<f32>,
    pub(crate) original_b: f32,
    pub(crate) rate: f64,
    pub(crate) lambda_max: Option<f64>,
    pub(crate) epochs: usize,
    pub(crate) reason: StopReason,
}

pub(crate) fn fit_gd(
    args: &FitArgs,
    lr: Option<f64>,
    standardize: bool,
    (x, y, n, d): (&[f32], &[f32], usize, usize),
    stats: &[Moments],
    progress: &Progress,
) -> Result<Fitted, Error> {
    let view: Dataset = RowMajor::new(x, y, n, d)?.into();
    let tol = (args.tol > 0.0).then_some(args.tol);
    let (mut w, mut b, mut work) = (vec![0.0f32; d], 0.0f32, vec![0.0f64; 4 * d]);
    // The automatic rate, estimated here so the progress bar can show it from the start.
    let lambda = match lr {
        Some(_) => None,
        None => Some(lambda_max(
            &view,
            standardize.then_some(stats),
            &mut w,
            work.get_mut(..3 * d).unwrap_or(&mut []),
        )?),
    };
    let rate = lr.or(lambda.map(|l| 1.0 / l)).unwrap_or(0.0);
    progress.rate.set(Some(rate));
    w.fill(0.0);
    let solver = Regression {
        rate: Rate::Fixed(rate),
        max_epochs: args.epochs,
        tol,
        gtol: tol.map(|_| 1e-5),
        standardize,
        ..Regression::default()
    };
    let report = solver.fit(&view, stats, &mut w, &mut b, &mut work, |e| {
        progress.epoch(e)
    })?;
    Ok(Fitted {
        original_w: w.clone(),
        original_b: b,
        w,
        b,
        rate: report.rate,
        lambda_max: lambda,
        epochs: report.epochs,
        reason: report.reason,
    })
}

/// The SGD solvers: the rows standardised in place (train and test alike, with the training
/// statistics), the model turned back into the original units at the end.
pub(crate) fn fit_sgd(
    args: &FitArgs,
    lr: Option<f64>,
    standardize: bool,
    (x_train, x_test, y, n, d): (&mut [f32], &mut [f32], &[f32], usize, usize),
    stats: &[Moments],
    progress: &Progress,
) -> Result<Fitted, Error> {
    // The library's map (z = (x − μ)·s, s = 1/σ, 0 for a constant feature), applied once to
    // the rows the tool owns, so the fast plain-SGD epoch runs on them.
    let (mut mean, mut scale) = (vec![0.0f32; d], vec![1.0f32; d]);
    if standardize {
        Scaling::compute(stats, &mut mean, &mut scale)?;
    }
    let scaling = Scaling::new(&mean, &scale)?;
    if standardize {
        for x in [&mut *x_train, &mut *x_test] {
            for row in x.chunks_exact_mut(d.max(1)) {
                scaling.standardize_in_place(row);
            }
        }
    }
    let view: Dataset = RowMajor::new(x_train, y, n, d)?.into();
    let eta = lr.unwrap_or(0.01) as f32;
    let mut rng = Xoshiro128PlusPlus::seed_from_u64(args.seed);
    let (mut w, mut b) = (vec![0.0f32; d], 0.0f32);
    let (mut s1, mut s2) = (vec![0.0f32; d + 1], vec![0.0f32; d + 1]);
    let stop = Stopping {
        max_epochs: args.epochs,
        tol: (args.tol > 0.0).then_some(args.tol),
        n_iter_no_change: 5,
    };
    let mut go = |w: &mut Vec<f32>, b: &mut f32| -> Result<(usize, StopReason), Error> {
        macro_rules! with_schedule {
            ($rule:expr) => {
                match args.schedule {
                    ScheduleKind::Constant => epochs(
                        args,
                        &view,
                        $rule,
                        Constant(eta),
                        w,
                        b,
                        &mut rng,
                        stop,
                        progress,
                    ),
                    ScheduleKind::Invscaling => epochs(
                        args,
                        &view,
                        $rule,
                        InverseScaling {
                            eta0: eta,
                            power_t: 0.25,
                        },
                        w,
                        b,
                        &mut rng,
                        stop,
                        progress,
                    ),
                    ScheduleKind::Exponential => epochs(
                        args,
                        &view,
                        $rule,
                        Exponential {
                            eta0: eta,
                            k: 0.1 / n as f32,
                        },
                        w,
                        b,
                        &mut rng,
                        stop,
                        progress,
                    ),
                    ScheduleKind::Step => epochs(
                        args,
                        &view,
                        $rule,
                        StepDecay {
                            eta0: eta,
                            gamma: 0.5,
                            every: 10 * n as u64,
                        },
                        w,
                        b,
                        &mut rng,
                        stop,
                        progress,
                    ),
                    ScheduleKind::Adaptive => epochs(
                        args,
                        &view,
                        $rule,
                        Adaptive::new(eta, args.tol, 5),
                        w,
                        b,
                        &mut rng,
                        stop,
                        progress,
                    ),
                }
            };
        }
        match args.update {
            UpdateRule::Plain => with_schedule!(Plain),
            UpdateRule::Momentum => with_schedule!(Momentum::new(0.9, 0.0, false, 0.0, &mut s1)),
            UpdateRule::Nesterov => with_schedule!(Momentum::new(0.9, 0.0, true, 0.0, &mut s1)),
            UpdateRule::Adam => with_schedule!(Adam::new(&mut s1, &mut s2)),
            UpdateRule::Adamw => {
                let mut a = Adam::new(&mut s1, &mut s2);
                a.weight_decay = 1e-4;
                a.decoupled = true;
                with_schedule!(a)
            }
            UpdateRule::Nlms => with_schedule!(Normalized::default()),
            UpdateRule::Averaged => with_schedule!(Averaged::new(Plain, 0, &mut s1)),
        }
    };
    let (epochs_run, reason) = go(&mut w, &mut b)?;
    let mut original_w = vec![0.0f32; d];
    let original_b = scaling.original(&w, b, &mut original_w)?;
    Ok(Fitted {
        w,
        b,
        original_w,
        original_b,
        rate: f64::from(eta),
        lambda_max: None,
        epochs: epochs_run,
        reason,
    })
}

/// Runs SGD epochs (or mini-batch epochs) with `rule` and `schedule`; the averaged rule's
/// average is the model at the end.
#[allow(clippy::too_many_arguments)]
pub(crate) fn epochs<U: Update + AverageOf, S: Schedule>(
    args: &FitArgs,
    view: &Dataset<'_>,
    rule: U,
    schedule: S,
    w: &mut Vec<f32>,
    b: &mut f32,
    rng: &mut Xoshiro128PlusPlus,
    stop: Stopping,
    progress: &Progress,
) -> Result<(usize, StopReason), Error> {
    let (n, d) = (view.n(), view.d());
    let mut sgd = Sgd::new(rule, schedule);
    let mut order = vec![0u32; n];
    let result = if args.solver == Solver::Minibatch {
        let bsize = args.batch.min(n);
        let (mut bx, mut by, mut grad) = (
            vec![0.0f32; bsize * d],
            vec![0.0f32; bsize],
            vec![0.0f64; d],
        );
        let (mut best, mut bad) = (f64::INFINITY, 0u32);
        let mut reason = StopReason::MaxEpochs;
        let mut ran = 0;
        for epoch in 1..=stop.max_epochs {
            let batch = Batch {
                x: &mut bx,
                y: &mut by,
                grad: &mut grad,
            };
            let r = sgd.minibatch_epoch(view, w, b, &mut order, rng, batch)?;
            ran = epoch;
            if progress.epoch(&Epoch {
                epoch,
                loss: r.loss,
                w,
                b: *b,
            }) == Control::Stop
            {
                reason = StopReason::Observer;
                break;
            }
            if let Some(tol) = stop.tol {
                bad = if r.loss > best - tol { bad + 1 } else { 0 };
                best = best.min(r.loss);
                if bad >= stop.n_iter_no_change {
                    reason = StopReason::Converged;
                    break;
                }
            }
        }
        (ran, reason)
    } else {
        let r = sgd.fit(view, w, b, &mut order, rng, stop, |e| progress.epoch(e))?;
        (r.epochs, r.reason)
    };
    if let Some((aw, ab)) = sgd.update.average() {
        w.copy_from_slice(aw);
        *b = ab;
    }
    Ok(result)
}

/// The model an update rule stands for at the end of a fit: the average for [`Averaged`].
pub(crate) trait AverageOf {
    fn average(&self) -> Option<(&[f32], f32)> {
        None
    }
}
impl AverageOf for Plain {}
impl AverageOf for Momentum<'_> {}
impl AverageOf for Adam<'_> {}
impl AverageOf for Normalized {}
impl<U: Update> AverageOf for Averaged<'_, U> {
    fn average(&self) -> Option<(&[f32], f32)> {
        self.averaged()
    }
}
