//! `steepest`: fit linear models to CSV files by gradient descent, and apply them.
//!
//! Exit status: 0 on success (also when standard output closes early), 1 for bad data or a
//! failed fit, 2 for bad usage.

mod blocks;
mod builtin;
mod fit;
mod holdout;
mod model;
mod output;
mod predict;
mod report;
mod solvers;
mod table;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Fit linear models y = X·w + b to CSV files by gradient descent, and apply them.
#[derive(Parser)]
#[command(name = "steepest", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Fit a model to a CSV file (with no FILE: to a built-in data set).
    Fit(FitArgs),
    /// Apply a saved model to a CSV file and write the predictions.
    Predict(PredictArgs),
}

/// How a CSV file is read.
#[derive(Args, Clone)]
struct CsvArgs {
    /// Field delimiter: one character, or '\t' for a tab. With ' ', runs of spaces are one
    /// separator (columns aligned with spaces).
    #[arg(long, default_value = ",", value_parser = delimiter)]
    delimiter: u8,
    /// The first line is a header [default: detected: a header if none of its fields is a number].
    #[arg(long, overrides_with = "no_header")]
    header: bool,
    /// The first line is data.
    #[arg(long, overrides_with = "header")]
    no_header: bool,
}

impl CsvArgs {
    fn format(&self) -> table::Format {
        table::Format {
            delimiter: self.delimiter,
            header: if self.header {
                Some(true)
            } else if self.no_header {
                Some(false)
            } else {
                None
            },
        }
    }
}

/// The solver.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
enum Solver {
    /// Full-batch gradient descent.
    Gd,
    /// Stochastic gradient descent, one sample per step, shuffled every epoch.
    Sgd,
    /// Mini-batch SGD (--batch rows per step).
    Minibatch,
}

/// The update rule of the SGD solvers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
enum UpdateRule {
    /// w ← w − η·g.
    Plain,
    /// Heavy-ball momentum 0.9.
    Momentum,
    /// Nesterov momentum 0.9.
    Nesterov,
    /// Adam (β = 0.9, 0.999).
    Adam,
    /// AdamW, weight decay 1e-4.
    Adamw,
    /// Normalized LMS (one sample per step only).
    Nlms,
    /// Polyak averaging of plain SGD from the first step (scikit-learn's average=True).
    Averaged,
}

/// The learning-rate schedule of the SGD solvers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
enum ScheduleKind {
    /// η.
    Constant,
    /// η/(t+1)^0.25, scikit-learn's default.
    Invscaling,
    /// η·exp(−t/(10·n)).
    Exponential,
    /// η halved every 10 epochs.
    Step,
    /// η divided by 5 after 5 epochs without improvement.
    Adaptive,
}

#[derive(Args)]
struct FitArgs {
    /// The CSV file ('-' for standard input); without one, a built-in sensor data set.
    file: Option<PathBuf>,
    /// The target column, by header name or 0-based index [default: the last column].
    #[arg(long)]
    target: Option<String>,
    /// The solver.
    #[arg(long, value_enum, default_value_t = Solver::Gd)]
    solver: Solver,
    /// The update rule (sgd and minibatch solvers).
    #[arg(long, value_enum, default_value_t = UpdateRule::Plain)]
    update: UpdateRule,
    /// The learning-rate schedule (sgd and minibatch solvers).
    #[arg(long, value_enum, default_value_t = ScheduleKind::Invscaling)]
    schedule: ScheduleKind,
    /// Learning rate: 'auto' (gd: 1/λ_max estimated by power iteration; sgd: 0.01) or a
    /// positive number, in standardised units unless --no-standardize.
    #[arg(long, default_value = "auto")]
    lr: String,
    /// The most epochs.
    #[arg(long, default_value_t = 10_000)]
    epochs: usize,
    /// Convergence: stop when 5 epochs in a row bring the loss no lower than (1 − T) times
    /// the best (gd: also when the gradient norm is below 1e-5·√loss); 0 disables it.
    #[arg(long, default_value = "1e-9")]
    tol: f64,
    /// Rows per step of the minibatch solver.
    #[arg(long, default_value_t = 32)]
    batch: usize,
    /// Seed of the holdout split and of the SGD shuffles.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Fit on the raw features instead of standardised ones.
    #[arg(long)]
    no_standardize: bool,
    /// Share of the rows held out for testing (0 for none).
    #[arg(long, default_value_t = 0.2)]
    test_fraction: f64,
    #[command(flatten)]
    csv: CsvArgs,
    /// Write the model as JSON to this file.
    #[arg(long)]
    output: Option<PathBuf>,
    /// Print a machine-readable JSON report instead of text.
    #[arg(long)]
    json: bool,
    /// No progress bar and no text report (errors are still printed).
    #[arg(long, short)]
    quiet: bool,
    /// Threads for the passes over the data (0: one per CPU). The model is the same, bit for
    /// bit, for every count.
    #[arg(long, default_value_t = 0)]
    threads: usize,
}

#[derive(Args)]
struct PredictArgs {
    /// The model file written by `steepest fit --output`.
    #[arg(long)]
    model: PathBuf,
    /// The CSV file ('-' for standard input), with a header naming the model's features.
    file: PathBuf,
    /// Write the predictions here instead of standard output.
    #[arg(long)]
    output: Option<PathBuf>,
    #[command(flatten)]
    csv: CsvArgs,
}

fn delimiter(s: &str) -> Result<u8, String> {
    match s {
        "\\t" | "tab" | "\t" => Ok(b'\t'),
        _ if s.len() == 1 && s.is_ascii() => Ok(s.as_bytes()[0]),
        _ => Err(format!(
            "'{s}' is not a one-character delimiter (use '\\t' for a tab)"
        )),
    }
}

/// Why the tool stops with an error.
#[derive(Debug)]
pub enum Failure {
    /// Bad usage: exit status 2.
    Usage(String),
    /// Bad data or a failed fit: exit status 1.
    Data(String),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Fit(args) => fit::run(args),
        Command::Predict(args) => predict::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(msg)) => {
            eprintln!("error: {msg}");
            ExitCode::from(2)
        }
        Err(Failure::Data(msg)) => {
            eprintln!("error: {msg}");
            ExitCode::FAILURE
        }
    }
}
