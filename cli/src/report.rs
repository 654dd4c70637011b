//! What `steepest fit` prints: the text and JSON reports and the progress bar.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;
use steepest::{Control, Epoch, Scores, StopReason};

use crate::Solver;
use crate::output::say;

/// The text and JSON report.
#[derive(Serialize)]
pub(crate) struct Report {
    pub(crate) source: String,
    pub(crate) rows: usize,
    pub(crate) train_rows: usize,
    pub(crate) test_rows: usize,
    pub(crate) target: String,
    pub(crate) features: Vec<String>,
    pub(crate) solver: Solver,
    pub(crate) standardized: bool,
    pub(crate) rate: f64,
    pub(crate) lambda_max: Option<f64>,
    pub(crate) epochs: usize,
    pub(crate) stopped: String,
    pub(crate) train: Metrics,
    pub(crate) test: Option<Metrics>,
    pub(crate) weights: Vec<f32>,
    pub(crate) intercept: f32,
}

#[derive(Serialize, Clone, Copy)]
pub(crate) struct Metrics {
    pub(crate) mse: f64,
    pub(crate) rmse: f64,
    pub(crate) mae: f64,
    pub(crate) r2: f64,
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

/// The progress bar: drawn on a terminal once a fit has run for a second, never otherwise.
pub(crate) struct Progress {
    pub(crate) bar: Option<ProgressBar>,
    pub(crate) start: Instant,
    /// The step size, shown beside the loss once known.
    pub(crate) rate: std::cell::Cell<Option<f64>>,
}

impl Progress {
    pub(crate) fn new(epochs: usize, quiet: bool) -> Self {
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
            rate: std::cell::Cell::new(None),
        }
    }

    pub(crate) fn epoch(&self, e: &Epoch<'_>) -> Control {
        if let Some(bar) = &self.bar {
            if bar.is_hidden() && self.start.elapsed() > Duration::from_secs(1) {
                bar.set_draw_target(ProgressDrawTarget::stderr());
            }
            bar.set_position(e.epoch as u64);
            if e.epoch.is_multiple_of(16) || e.epoch < 16 {
                let rate = self
                    .rate
                    .get()
                    .map_or(String::new(), |r| format!(", rate {r:.4}"));
                bar.set_message(format!("loss {:.4e}{rate}", e.loss));
            }
        }
        Control::Continue
    }

    pub(crate) fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

pub(crate) fn stopped(reason: StopReason) -> &'static str {
    match reason {
        StopReason::Converged => "converged",
        StopReason::MaxEpochs => "the most epochs (--epochs) ran",
        StopReason::Observer => "stopped",
    }
}

/// `n` and the noun, plural unless `n` is one.
pub(crate) fn count(n: usize, noun: &str) -> String {
    match n {
        1 => format!("1 {noun}"),
        _ => format!("{n} {noun}s"),
    }
}

pub(crate) fn print_report(r: &Report, builtin: bool) {
    let note = match builtin {
        true => " (a built-in data set: give a CSV file to fit your own)",
        false => "",
    };
    say!(
        "{}: {}, {}, target '{}'{note}",
        r.source,
        count(r.rows, "sample"),
        count(r.features.len(), "feature"),
        r.target
    );
    say!(
        "holdout: {}, {}",
        count(r.train_rows, "training row"),
        count(r.test_rows, "test row")
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
        "{solver}, {scaled}, {rate}: {}, {}",
        count(r.epochs, "epoch"),
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

pub(crate) fn fmt_num(v: f32) -> String {
    if v != 0.0 && (v.abs() >= 1e6 || v.abs() < 1e-3) {
        format!("{v:.6e}")
    } else {
        format!("{v:.6}")
    }
}
