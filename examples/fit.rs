//! The main job: fit `y = X·w + b` to a CSV file of numbers by full-batch gradient descent.
//!
//! ```text
//! cargo run --release --example fit -- [FILE] [--target COLUMN] [--lr RATE] [--epochs N]
//!                                      [--every K] [--tol T]
//! ```
//!
//! * `FILE`: comma-separated numbers, one sample per line. A first line whose fields are all
//!   non-numeric is a header naming the columns. Without a file, a built-in sensor-calibration
//!   data set is used.
//! * `--target`: the column to predict, by header name or 0-based index (default: the last).
//! * `--lr` (default 0.3), `--epochs` (default 2000), `--every` (progress line every K
//!   epochs, default 200), `--tol` (stop when the loss changes by less, default none).
//!
//! A malformed file (ragged rows, a field that is not a number, NaN or ∞, no data) is reported
//! with its line number and the program exits with status 1; it never panics.

#[macro_use]
#[path = "common/stdout.rs"]
mod stdout;

use std::process::ExitCode;

use steepest::{Control, GradientDescent, RowMajor};

/// Built-in data: a sensor's reading against temperature (°C / 100) and supply voltage (V / 5),
/// `reading = 1.5·temp − 0.7·volt + 3`, measured with a little noise.
const DEFAULT_CSV: &str = "\
temp,volt,reading
0.12,0.81,2.6120
0.25,0.26,3.1932
0.31,0.58,3.0585
0.40,0.10,3.5304
0.18,0.94,2.6125
0.52,0.42,3.4843
0.63,0.69,3.4601
0.71,0.30,3.8563
0.05,0.67,2.6050
0.88,0.15,4.2139
0.95,0.71,3.9300
0.47,0.89,3.0819
0.36,0.05,3.5063
0.77,0.53,3.7839
0.59,0.36,3.6336
0.22,0.62,2.8946
";

struct Options {
    file: Option<String>,
    target: Option<String>,
    lr: f64,
    epochs: usize,
    every: usize,
    tol: Option<f64>,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Options, String> {
    let mut o = Options {
        file: None,
        target: None,
        lr: 0.3,
        epochs: 2000,
        every: 200,
        tol: None,
    };
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--target" => o.target = Some(value("--target")?),
            "--lr" => o.lr = number(&value("--lr")?, "--lr")?,
            "--epochs" => o.epochs = number(&value("--epochs")?, "--epochs")?,
            "--every" => o.every = number::<usize>(&value("--every")?, "--every")?.max(1),
            "--tol" => o.tol = Some(number(&value("--tol")?, "--tol")?),
            "-h" | "--help" => return Err(usage()),
            flag if flag.starts_with("--") => {
                return Err(format!("unknown option {flag}\n{}", usage()));
            }
            file if o.file.is_none() => o.file = Some(file.to_string()),
            extra => return Err(format!("unexpected argument {extra}\n{}", usage())),
        }
    }
    Ok(o)
}

fn usage() -> String {
    "usage: fit [FILE] [--target COLUMN] [--lr RATE] [--epochs N] [--every K] [--tol T]".into()
}

fn number<T: std::str::FromStr>(s: &str, what: &str) -> Result<T, String> {
    s.trim()
        .parse()
        .map_err(|_| format!("{what}: '{s}' is not a number"))
}

/// The data read from a CSV: features row-major, targets, and the feature names.
struct Table {
    x: Vec<f32>,
    y: Vec<f32>,
    d: usize,
    names: Vec<String>,
    target: String,
}

fn read_table(text: &[u8], target: Option<&str>) -> Result<Table, String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .trim(csv::Trim::All)
        .comment(Some(b'#'))
        .from_reader(text);
    let mut rows: Vec<(u64, Vec<f32>)> = Vec::new();
    let mut header: Option<Vec<String>> = None;
    let mut width: Option<usize> = None;
    for record in reader.records() {
        let record = record.map_err(|e| match e.kind() {
            csv::ErrorKind::UnequalLengths {
                pos,
                expected_len,
                len,
            } => format!(
                "line {}: {len} fields, but the lines before have {expected_len}",
                pos.as_ref().map_or(0, |p| p.line())
            ),
            _ => format!("{e}"),
        })?;
        let line = record.position().map_or(0, |p| p.line());
        if record.iter().all(|f| f.is_empty()) {
            continue;
        }
        width = Some(record.len());
        let parsed: Vec<Result<f32, &str>> = record
            .iter()
            .map(|f| f.parse::<f32>().map_err(|_| f))
            .collect();
        if rows.is_empty() && header.is_none() && parsed.iter().all(|p| p.is_err()) {
            header = Some(record.iter().map(str::to_string).collect());
            continue;
        }
        let mut values = Vec::with_capacity(parsed.len());
        for (col, p) in parsed.into_iter().enumerate() {
            match p {
                Ok(v) if v.is_finite() => values.push(v),
                Ok(v) => {
                    return Err(format!(
                        "line {line}, column {}: {v} is not a finite number",
                        col + 1
                    ));
                }
                Err(f) => {
                    return Err(format!(
                        "line {line}, column {}: '{f}' is not a number",
                        col + 1
                    ));
                }
            }
        }
        rows.push((line, values));
    }
    let width = width.unwrap_or(0);
    if rows.is_empty() {
        return Err("no data rows: the file is empty or holds only a header".into());
    }
    if width < 2 {
        return Err(format!(
            "line {}: need at least one feature column and a target column",
            rows[0].0
        ));
    }
    let names = header.unwrap_or_else(|| (0..width).map(|j| format!("x{j}")).collect());
    let t = match target {
        None => width - 1,
        Some(t) => match names.iter().position(|n| n == t) {
            Some(j) => j,
            None => match t.parse::<usize>() {
                Ok(j) if j < width => j,
                _ => {
                    return Err(format!(
                        "--target {t}: no such column (columns: {})",
                        names.join(", ")
                    ));
                }
            },
        },
    };
    let mut x = Vec::with_capacity(rows.len() * (width - 1));
    let mut y = Vec::with_capacity(rows.len());
    for (_, r) in &rows {
        for (j, v) in r.iter().enumerate() {
            if j == t {
                y.push(*v);
            } else {
                x.push(*v);
            }
        }
    }
    let target = names[t].clone();
    let names = names
        .into_iter()
        .enumerate()
        .filter(|(j, _)| *j != t)
        .map(|(_, n)| n)
        .collect();
    Ok(Table {
        x,
        y,
        d: width - 1,
        names,
        target,
    })
}

fn run(o: Options) -> Result<(), String> {
    let text = match &o.file {
        Some(path) => std::fs::read(path).map_err(|e| format!("{path}: {e}"))?,
        None => DEFAULT_CSV.as_bytes().to_vec(),
    };
    let source = o.file.as_deref().unwrap_or("built-in sensor data");
    let t = read_table(&text, o.target.as_deref()).map_err(|e| format!("{source}: {e}"))?;
    let n = t.y.len();
    outln!(
        "{source}: {n} samples, {} features, target '{}'",
        t.d,
        t.target
    );
    let data = RowMajor::new(&t.x, &t.y, n, t.d).map_err(|e| e.to_string())?;
    let (mut w, mut b, mut grad) = (vec![0.0f32; t.d], 0.0f32, vec![0.0f64; t.d]);
    let gd = GradientDescent {
        learning_rate: o.lr,
        max_epochs: o.epochs,
        tolerance: o.tol,
    };
    let report = gd
        .fit_with(&data.into(), &mut w, &mut b, &mut grad, |e| {
            if e.epoch % o.every == 0 {
                outln!("epoch {:>6}: loss = {:.6e}", e.epoch, e.loss);
            }
            Control::Continue
        })
        .map_err(|e| e.to_string())?;
    outln!(
        "stopped after {} epochs ({:?})",
        report.epochs,
        report.reason
    );
    for (name, wj) in t.names.iter().zip(&w) {
        outln!("w[{name}] = {wj:.6}");
    }
    outln!("b = {b:.6}");
    outln!("final loss (MSE) = {:.6e}", report.loss);
    Ok(())
}

fn main() -> ExitCode {
    match parse_args(std::env::args().skip(1)).and_then(run) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
