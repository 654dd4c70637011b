//! `steepest fit`.

use std::io::Read;

use rand_xoshiro::Xoshiro128PlusPlus;
use rand_xoshiro::rand_core::SeedableRng;
use steepest::stats::{Moments, moments};
use steepest::{Dataset, Error, LinearModel, RowMajor};

use crate::holdout::hold_out;
use crate::model::{FORMAT, FitInfo, ModelFile, Standardization};
use crate::output::say;
use crate::table::{self, Table, Target};
use crate::{Failure, FitArgs, Solver};

use crate::report::{Metrics, Progress, Report, print_report, stopped};
use crate::solvers::{fit_gd, fit_sgd};

pub fn run(args: FitArgs) -> Result<(), Failure> {
    // Every pass runs inside this pool: handing each one to a pool from outside it would
    // cost more than a small pass takes.
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads)
        .build()
        .map_err(|e| Failure::Data(format!("cannot start {} threads: {e}", args.threads)))?;
    pool.install(|| fit(args))
}

fn fit(args: FitArgs) -> Result<(), Failure> {
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
    // A seeded holdout: rows drawn at random moved to the end and held out.
    if n_test > 0 {
        let mut rng = Xoshiro128PlusPlus::seed_from_u64(args.seed);
        hold_out(&mut t.x, &mut t.y, t.d, n_test, &mut rng);
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

fn data_error(e: Error) -> Failure {
    Failure::Data(e.to_string())
}

/// An error of the fit, with a hint where one helps.
fn fit_error(e: Error, solver: Solver) -> Failure {
    let hint = match e {
        Error::Diverged { .. } | Error::Rejected { .. } => match solver {
            Solver::Gd => {
                "\nhint: the learning rate exceeds the stability limit 2/λ_max: use --lr auto \
                 (the default) or a smaller --lr"
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
