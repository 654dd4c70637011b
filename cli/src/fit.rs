//! `steepest fit`.

use std::io::{IsTerminal, Read};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rand_xoshiro::Xoshiro128PlusPlus;
use rand_xoshiro::rand_core::SeedableRng;
use serde::Serialize;
use steepest::regression::{Rate, Regression};
use steepest::sgd::{
    Adam, Adaptive, Averaged, Batch, Constant, Exponential, InverseScaling, Momentum, Normalized,
    Plain, Schedule, Sgd, StepDecay, Stopping, Update,
};
use steepest::stats::{Moments, moments};
use steepest::{Control, Dataset, Epoch, Error, LinearModel, RowMajor, Scores, StopReason};

use crate::model::{FORMAT, FitInfo, ModelFile, Standardization};
use crate::output::say;
use crate::table::{self, Table, Target};
use crate::{Failure, FitArgs, ScheduleKind, Solver, UpdateRule};

/// The text and JSON report.
#[derive(Serialize)]
struct Report {
    source: String,
    rows: usize,
    train_rows: usize,
    test_rows: usize,
    target: String,
    features: Vec<String>,
    solver: Solver,
    standardized: bool,
    rate: f64,
    lambda_max: Option<f64>,
    epochs: usize,
    stopped: String,
    train: Metrics,
    test: Option<Metrics>,
    weights: Vec<f32>,
    intercept: f32,
}

#[derive(Serialize, Clone, Copy)]
struct Metrics {
    mse: f64,
    rmse: f64,
    mae: f64,
    r2: f64,
}

impl From<Scores> for Metrics {
    fn from(s: Scores) -> Self {
        Metrics {
            mse: s.mse,
            rmse: s.rmse,
            mae: s.mae,
            r2: s.r2,
        }
    }
}

pub fn run(args: FitArgs) -> Result<(), Failure> {
    if !(0.0..1.0).contains(&args.test_fraction) {
        return Err(Failure::Usage(format!(
            "--test-fraction {}: must be at least 0 and below 1",
            args.test_fraction
        )));
    }
    if !(args.tol.is_finite() && args.tol >= 0.0) {
        return Err(Failure::Usage(format!(
            "--tol {}: must be a number ≥ 0",
            args.tol
        )));
    }
    if args.batch == 0 {
        return Err(Failure::Usage(
            "--batch 0: a batch needs at least one row".into(),
        ));
    }
    let lr = match args.lr.as_str() {
        "auto" => None,
        s => match s.parse::<f64>() {
            Ok(v) if v.is_normal() && v > 0.0 => Some(v),
            _ => {
                return Err(Failure::Usage(format!(
                    "--lr {s}: must be 'auto' or a positive normal number"
                )));
            }
        },
    };
    let (source, mut t) = load(&args)?;
    let n = t.n();
    let n_test = ((n as f64) * args.test_fraction).floor() as usize;
    let n_test = if n - n_test < 1 { 0 } else { n_test };
    let n_train = n - n_test;
    // A seeded holdout: the rows shuffled in place, the last ones held out.
    if n_test > 0 {
        let mut rng = Xoshiro128PlusPlus::seed_from_u64(args.seed);
        steepest::shuffle_rows(&mut t.x, &mut t.y, t.d, &mut rng).map_err(data_error)?;
    }
    let d = t.d;
    let (x_train, x_test) = t.x.split_at_mut(n_train * d);
    let (y_train, y_test) = t.y.split_at(n_train);
    let standardize = !args.no_standardize;
    let mut stats = vec![Moments::default(); d];
    {
        let view: Dataset = RowMajor::new(x_train, y_train, n_train, d)
            .map_err(data_error)?
            .into();
        moments(&view, &mut stats).map_err(data_error)?;
    }
    let progress = Progress::new(args.epochs, args.quiet || args.json);
    let outcome = match args.solver {
        Solver::Gd => fit_gd(
            &args,
            lr,
            standardize,
            (x_train, y_train, n_train, d),
            &stats,
            &progress,
        ),
        Solver::Sgd | Solver::Minibatch => fit_sgd(
            &args,
            lr,
            standardize,
            (x_train, x_test, y_train, n_train, d),
            &stats,
            &progress,
        ),
    };
    progress.finish();
    let fitted = outcome.map_err(|e| fit_error(e, args.solver))?;
    let model = LinearModel {
        weights: fitted.w.clone(),
        intercept: fitted.b,
    };
    let score = |x: &[f32], y: &[f32], rows: usize| -> Result<Option<Metrics>, Failure> {
        if rows == 0 {
            return Ok(None);
        }
        let view: Dataset = RowMajor::new(x, y, rows, d).map_err(data_error)?.into();
        Ok(Some(model.score(&view).map_err(data_error)?.into()))
    };
    let train = score(x_train, y_train, n_train)?
        .ok_or_else(|| Failure::Data("no training rows".into()))?;
    let test = score(x_test, y_test, n_test)?;
    let report = Report {
        source,
        rows: n,
        train_rows: n_train,
        test_rows: n_test,
        target: t.target.clone().unwrap_or_default(),
        features: t.names.clone(),
        solver: args.solver,
        standardized: standardize,
        rate: fitted.rate,
        lambda_max: fitted.lambda_max,
        epochs: fitted.epochs,
        stopped: stopped(fitted.reason).into(),
        train,
        test,
        weights: fitted.original_w.clone(),
        intercept: fitted.original_b,
    };
    if let Some(path) = &args.output {
        let file = ModelFile {
            format: FORMAT.into(),
            version: env!("CARGO_PKG_VERSION").into(),
            features: t.names.clone(),
            target: report.target.clone(),
            weights: report.weights.clone(),
            intercept: report.intercept,
            standardization: standardize.then(|| Standardization {
                mean: stats.iter().map(|m| m.mean).collect(),
                std: stats.iter().map(Moments::std).collect(),
            }),
            fit: FitInfo {
                solver: args.solver,
                update: (args.solver != Solver::Gd).then_some(args.update),
                schedule: (args.solver != Solver::Gd).then_some(args.schedule),
                rate: fitted.rate,
                epochs: fitted.epochs,
                stopped: report.stopped.clone(),
                tol: args.tol,
                seed: args.seed,
                test_fraction: args.test_fraction,
                rows: n,
                train_rows: n_train,
                test_rows: n_test,
            },
        };
        let text = serde_json::to_string_pretty(&file).map_err(|e| Failure::Data(e.to_string()))?;
        std::fs::write(path, text + "\n")
            .map_err(|e| Failure::Data(format!("{}: {e}", path.display())))?;
    }
    if train.r2 < 0.0 {
        eprintln!(
            "warning: the model fits the training rows worse than their mean (R² = {:.3}): \
             the learning rate may be too large; try a smaller --lr or --solver gd",
            train.r2
        );
    }
    if args.json {
        let text =
            serde_json::to_string_pretty(&report).map_err(|e| Failure::Data(e.to_string()))?;
        say!("{text}");
    } else if !args.quiet {
        print_report(&report, args.file.is_none());
    }
    Ok(())
}

fn load(args: &FitArgs) -> Result<(String, Table), Failure> {
    let format = args.csv.format();
    let target = Target::Column(args.target.as_deref());
    match &args.file {
        None => {
            let source = "built-in sensor data".to_string();
            let t = table::read(
                crate::builtin::SENSOR_CSV.as_bytes(),
                &source,
                &format,
                target,
            )?;
            Ok((source, t))
        }
        Some(path) if path.as_os_str() == "-" => {
            let source = "standard input".to_string();
            let t = table::read(std::io::stdin().lock(), &source, &format, target)?;
            Ok((source, t))
        }
        Some(path) => {
            let source = path.display().to_string();
            let file =
                std::fs::File::open(path).map_err(|e| Failure::Data(format!("{source}: {e}")))?;
            let reader: Box<dyn Read> = Box::new(std::io::BufReader::with_capacity(1 << 20, file));
            let t = table::read(reader, &source, &format, target)?;
            Ok((source, t))
        }
    }
}

/// A fitted model: as fitted (on the data standardised in place, for the SGD solvers, which
/// the scores then use as they are) and in the original units.
struct Fitted {
    w: Vec<f32>,
    b: f32,
    original_w: Vec<f32>,
    original_b: f32,
    rate: f64,
    lambda_max: Option<f64>,
    epochs: usize,
    reason: StopReason,
}

fn fit_gd(
    args: &FitArgs,
    lr: Option<f64>,
    standardize: bool,
    (x, y, n, d): (&[f32], &[f32], usize, usize),
    stats: &[Moments],
    progress: &Progress,
) -> Result<Fitted, Error> {
    let view: Dataset = RowMajor::new(x, y, n, d)?.into();
    let tol = (args.tol > 0.0).then_some(args.tol);
    let solver = Regression {
        rate: lr.map_or(Rate::Auto, Rate::Fixed),
        max_epochs: args.epochs,
        tol,
        gtol: tol.map(|_| 1e-5),
        standardize,
        ..Regression::default()
    };
    let (mut w, mut b, mut work) = (vec![0.0f32; d], 0.0f32, vec![0.0f64; 4 * d]);
    let report = solver.fit(&view, stats, &mut w, &mut b, &mut work, |e| {
        progress.epoch(e)
    })?;
    Ok(Fitted {
        original_w: w.clone(),
        original_b: b,
        w,
        b,
        rate: report.rate,
        lambda_max: report.lambda_max,
        epochs: report.epochs,
        reason: report.reason,
    })
}

/// The SGD solvers: the rows standardised in place (train and test alike, with the training
/// statistics), the model turned back into the original units at the end.
fn fit_sgd(
    args: &FitArgs,
    lr: Option<f64>,
    standardize: bool,
    (x_train, x_test, y, n, d): (&mut [f32], &mut [f32], &[f32], usize, usize),
    stats: &[Moments],
    progress: &Progress,
) -> Result<Fitted, Error> {
    let scale: Vec<(f64, f64)> = stats
        .iter()
        .map(|m| {
            let s = m.std();
            if standardize {
                (m.mean, if s.is_normal() { s } else { 0.0 })
            } else {
                (0.0, 1.0)
            }
        })
        .collect();
    if standardize {
        for x in [&mut *x_train, &mut *x_test] {
            for row in x.chunks_exact_mut(d.max(1)) {
                for (v, &(mu, s)) in row.iter_mut().zip(&scale) {
                    *v = if s > 0.0 {
                        ((f64::from(*v) - mu) / s) as f32
                    } else {
                        0.0
                    };
                }
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
    // Back to the original units: w_j = v_j/σ_j, b = c − Σ μ_j·w_j.
    let mut original_w = vec![0.0f32; d];
    let mut shift = 0.0f64;
    for ((o, &v), &(mu, s)) in original_w.iter_mut().zip(&w).zip(&scale) {
        *o = if s > 0.0 {
            (f64::from(v) / s) as f32
        } else {
            0.0
        };
        shift += mu * f64::from(*o);
    }
    let original_b = (f64::from(b) - shift) as f32;
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
fn epochs<U: Update + AverageOf, S: Schedule>(
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
trait AverageOf {
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

/// The progress bar: drawn on a terminal once a fit has run for a second, never otherwise.
struct Progress {
    bar: Option<ProgressBar>,
    start: Instant,
}

impl Progress {
    fn new(epochs: usize, quiet: bool) -> Self {
        let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
            let bar =
                ProgressBar::with_draw_target(Some(epochs as u64), ProgressDrawTarget::hidden());
            if let Ok(style) = ProgressStyle::with_template(
                "{elapsed_precise} [{bar:30}] epoch {pos}/{len} {msg} (eta {eta})",
            ) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar
        });
        Progress {
            bar,
            start: Instant::now(),
        }
    }

    fn epoch(&self, e: &Epoch<'_>) -> Control {
        if let Some(bar) = &self.bar {
            if bar.is_hidden() && self.start.elapsed() > Duration::from_secs(1) {
                bar.set_draw_target(ProgressDrawTarget::stderr());
            }
            bar.set_position(e.epoch as u64);
            if e.epoch.is_multiple_of(16) || e.epoch < 16 {
                bar.set_message(format!("loss {:.4e}", e.loss));
            }
        }
        Control::Continue
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

fn stopped(reason: StopReason) -> &'static str {
    match reason {
        StopReason::Converged => "converged",
        StopReason::MaxEpochs => "the most epochs (--epochs) ran",
        StopReason::Observer => "stopped",
    }
}

fn data_error(e: Error) -> Failure {
    Failure::Data(e.to_string())
}

/// An error of the fit, with a hint where one helps.
fn fit_error(e: Error, solver: Solver) -> Failure {
    let hint = match e {
        Error::Diverged { .. } | Error::Rejected { .. } => match solver {
            Solver::Gd => {
                "\nhint: the learning rate exceeds the stability limit 2/λ_max: use --lr auto \
                 (the default), a smaller --lr, or leave standardisation on"
            }
            _ => {
                "\nhint: the learning rate is too large for these data: try a smaller --lr, \
                  --schedule invscaling, or --update nlms"
            }
        },
        Error::Schedule { .. } => {
            "\nhint: the schedule decays to zero before the epochs end: \
                                   use fewer --epochs or another --schedule"
        }
        _ => "",
    };
    Failure::Data(format!("the fit failed: {e}{hint}"))
}

fn print_report(r: &Report, builtin: bool) {
    if builtin {
        say!(
            "{}: {} samples, {} features, target '{}' (a built-in data set: give a CSV file to fit your own)",
            r.source,
            r.rows,
            r.features.len(),
            r.target
        );
    } else {
        say!(
            "{}: {} samples, {} features, target '{}'",
            r.source,
            r.rows,
            r.features.len(),
            r.target
        );
    }
    say!(
        "holdout: {} training rows, {} test rows",
        r.train_rows,
        r.test_rows
    );
    let rate = match r.lambda_max {
        Some(l) => format!("rate {:.4} (auto: 1/λ_max, λ_max ≈ {l:.4})", r.rate),
        None => format!("rate {}", r.rate),
    };
    let solver = match r.solver {
        Solver::Gd => "gradient descent",
        Solver::Sgd => "SGD",
        Solver::Minibatch => "mini-batch SGD",
    };
    let scaled = if r.standardized {
        "standardised"
    } else {
        "raw features"
    };
    say!(
        "{solver}, {scaled}, {rate}: {} epochs, {}",
        r.epochs,
        r.stopped
    );
    say!("{:<6} {:>14} {:>14}", "", "train", "test");
    let cell = |m: Option<Metrics>, f: fn(Metrics) -> f64| {
        m.map_or_else(|| "-".to_string(), |m| format!("{:.6e}", f(m)))
    };
    for (name, f) in [
        ("MSE", (|m: Metrics| m.mse) as fn(Metrics) -> f64),
        ("RMSE", |m| m.rmse),
        ("MAE", |m| m.mae),
    ] {
        say!(
            "{name:<6} {:>14} {:>14}",
            cell(Some(r.train), f),
            cell(r.test, f)
        );
    }
    let r2 = |m: Option<Metrics>| m.map_or_else(|| "-".to_string(), |m| format!("{:.6}", m.r2));
    say!("{:<6} {:>14} {:>14}", "R²", r2(Some(r.train)), r2(r.test));
    let mut line = format!("{} = ", r.target);
    for (k, (name, w)) in r.features.iter().zip(&r.weights).enumerate() {
        let sign = if k == 0 {
            if *w < 0.0 { "−" } else { "" }
        } else if *w < 0.0 {
            " − "
        } else {
            " + "
        };
        line += &format!("{sign}{}·{name}", fmt_num(w.abs()));
    }
    let sign = if r.intercept < 0.0 { " − " } else { " + " };
    line += &format!("{sign}{}", fmt_num(r.intercept.abs()));
    say!("model: {line}");
}

fn fmt_num(v: f32) -> String {
    if v != 0.0 && (v.abs() >= 1e6 || v.abs() < 1e-3) {
        format!("{v:.6e}")
    } else {
        format!("{v:.6}")
    }
}
