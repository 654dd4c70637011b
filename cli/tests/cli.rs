//! The `steepest` binary run as a user runs it: help, the built-in fit, real and unscaled
//! files against least squares, every error message and exit status, `predict`, pipes.

use std::path::PathBuf;
use std::process::{Command, Stdio};

use assert_cmd::cargo::CommandCargoExt;
use rand_xoshiro::Xoshiro128PlusPlus;
use rand_xoshiro::rand_core::SeedableRng;
use steepest::kernels::reference;
use steepest::{Dataset, LinearModel, RowMajor};

fn steepest() -> Command {
    Command::cargo_bin("steepest").unwrap()
}

fn run(args: &[&str]) -> (i32, String, String) {
    let out = steepest().args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn temp(name: &str, content: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("steepest-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path
}

#[test]
fn help_describes_every_option_with_its_default() {
    for args in [&["--help"][..], &["fit", "--help"], &["predict", "--help"]] {
        let (code, out, _) = run(args);
        assert_eq!(code, 0, "{args:?}");
        assert!(out.contains("Usage"), "{out}");
    }
    let (_, out, _) = run(&["fit", "--help"]);
    for option in [
        "--target",
        "--solver",
        "--update",
        "--schedule",
        "--lr",
        "--epochs",
        "--tol",
        "--batch",
        "--seed",
        "--no-standardize",
        "--test-fraction",
        "--delimiter",
        "--header",
        "--no-header",
        "--output",
        "--json",
        "--quiet",
        "--threads",
    ] {
        assert!(out.contains(option), "fit --help lacks {option}:\n{out}");
    }
    for default in [
        "[default: gd]",
        "[default: auto]",
        "[default: 10000]",
        "[default: 42]",
        "[default: 0.2]",
        "[default: ,]",
        "[default: 32]",
        "[default: 1e-9]",
    ] {
        assert!(out.contains(default), "fit --help lacks {default}:\n{out}");
    }
}

#[test]
fn the_built_in_fit_says_so_and_recovers_the_calibration() {
    let (code, out, err) = run(&["fit"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("built-in sensor data: 16 samples, 2 features, target 'reading'"));
    assert!(out.contains("a built-in data set"), "{out}");
    assert!(out.contains("converged"), "{out}");
    // reading = 1.5·temp − 0.7·volt + 3, noise ±0.002.
    let (_, json, _) = run(&["fit", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let w = &v["weights"];
    assert!((w[0].as_f64().unwrap() - 1.5).abs() < 0.01, "{json}");
    assert!((w[1].as_f64().unwrap() + 0.7).abs() < 0.01, "{json}");
    assert!(
        (v["intercept"].as_f64().unwrap() - 3.0).abs() < 0.01,
        "{json}"
    );
    assert_eq!(v["train_rows"], 13);
    assert_eq!(v["test_rows"], 3);
}

/// Uniform values in [0, 1) from a 64-bit LCG started at `seed`.
fn uniform(mut s: u64) -> impl FnMut() -> f64 {
    move || {
        s = s
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (s >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A 500-row housing file: sqft 500–5000, bedrooms 1–6, year 1900–2020, price 1e5–1e6.
fn housing() -> String {
    let mut rnd = uniform(7);
    let mut csv = String::from("sqft,bedrooms,year,price\n");
    for _ in 0..500 {
        let sqft = (500.0 + 4500.0 * rnd()).round();
        let bed = (1.0 + 6.0 * rnd()).floor().min(6.0);
        let year = (1900.0 + 120.0 * rnd()).round();
        let price = (150.0 * sqft
            + 8000.0 * bed
            + 1500.0 * (year - 1900.0)
            + 60_000.0 * (rnd() - 0.5)
            + 20_000.0)
            .round()
            .clamp(1e5, 1e6);
        csv += &format!("{sqft},{bed},{year},{price}\n");
    }
    csv
}

/// The least-squares MSE of the training rows the tool uses with its defaults (seed 42: 20 %
/// of the rows drawn from the end as in a Fisher–Yates shuffle and held out), for the f32
/// model.
fn least_squares_train_mse(csv: &str) -> f64 {
    let mut rows = csv.lines().skip(1);
    let (mut x, mut y) = (Vec::new(), Vec::new());
    let mut d = 0;
    for line in rows.by_ref() {
        let v: Vec<f32> = line.split(',').map(|f| f.parse().unwrap()).collect();
        d = v.len() - 1;
        x.extend_from_slice(&v[..d]);
        y.push(v[d]);
    }
    let n = y.len();
    let mut rng = Xoshiro128PlusPlus::seed_from_u64(42);
    let train = n - (n as f64 * 0.2).floor() as usize;
    for i in (train..n).rev() {
        let j = steepest::bounded_u64(&mut rng, i as u64 + 1) as usize;
        y.swap(i, j);
        for k in 0..d {
            x.swap(i * d + k, j * d + k);
        }
    }
    let data: Dataset = RowMajor::new(&x[..train * d], &y[..train], train, d)
        .unwrap()
        .into();
    let (mut w, mut scratch) = (vec![0.0f64; d], vec![0.0f64; (d + 1) * (d + 2)]);
    let b = reference::least_squares(&data, &mut w, &mut scratch).unwrap();
    LinearModel {
        weights: w.iter().map(|&v| v as f32).collect::<Vec<_>>(),
        intercept: b as f32,
    }
    .score(&data)
    .unwrap()
    .mse
}

/// With default options the fit reaches the least-squares MSE of its training rows within
/// 1e-3 relative, on unscaled data and on a real standardised data set, where a fixed rate
/// used to diverge.
#[test]
fn defaults_reach_least_squares_on_unscaled_and_real_data() {
    let diabetes = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/data/diabetes.csv"),
    )
    .unwrap();
    for (name, csv) in [("housing.csv", housing()), ("diabetes.csv", diabetes)] {
        let path = temp(name, &csv);
        let (code, out, err) = run(&["fit", path.to_str().unwrap(), "--json"]);
        assert_eq!(code, 0, "{name}: {err}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        let got = v["train"]["mse"].as_f64().unwrap();
        let best = least_squares_train_mse(&csv);
        assert!(
            (got - best).abs() <= 1e-3 * best,
            "{name}: MSE {got} against least squares {best}"
        );
        assert_eq!(v["stopped"], "converged", "{name}");
        assert!(v["test"]["r2"].as_f64().unwrap() > 0.3, "{name}: {out}");
    }
}

/// The passes run on all cores with the one-thread bits: the same model file and report for
/// one, two and three threads, on a file large enough (8000 rows of 8 features) that the
/// passes split into tasks.
#[test]
fn every_thread_count_writes_the_same_model() {
    let mut rnd = uniform(11);
    let mut csv = String::from("a,b,c,d,e,f,g,h,y\n");
    for _ in 0..8000 {
        let x: Vec<f64> = (0..8)
            .map(|j| 10.0 * j as f64 + (j + 1) as f64 * rnd())
            .collect();
        let y = x
            .iter()
            .enumerate()
            .map(|(j, v)| (j as f64 - 3.5) * v)
            .sum::<f64>()
            + rnd();
        let row: Vec<String> = x.iter().chain([&y]).map(|v| format!("{v:.4}")).collect();
        csv += &(row.join(",") + "\n");
    }
    let path = temp("threads.csv", &csv);
    let fits: Vec<(String, Vec<u8>)> = ["1", "2", "3"]
        .iter()
        .map(|t| {
            let model = temp(&format!("threads-{t}.json"), "");
            let (code, out, err) = run(&[
                "fit",
                path.to_str().unwrap(),
                "--json",
                "--threads",
                t,
                "--output",
                model.to_str().unwrap(),
            ]);
            assert_eq!(code, 0, "{t} threads: {err}");
            (out, std::fs::read(&model).unwrap())
        })
        .collect();
    assert!(fits.iter().all(|f| *f == fits[0]), "{:?}", fits[0].0);
}

#[test]
fn columns_aligned_with_spaces_fit_as_their_csv() {
    let csv = housing();
    // Right-aligned in columns of 12, two spaces apart, a space at each line's end.
    let aligned: String = csv
        .lines()
        .map(|line| {
            let cols: Vec<String> = line.split(',').map(|f| format!("{f:>12}")).collect();
            cols.join("  ") + " \n"
        })
        .collect();
    let models: Vec<Vec<u8>> = [("h.csv", &csv, ","), ("h.txt", &aligned, " ")]
        .iter()
        .map(|(name, text, delimiter)| {
            let path = temp(name, text);
            let model = temp(&format!("{name}.json"), "");
            let (code, out, err) = run(&[
                "fit",
                path.to_str().unwrap(),
                "--delimiter",
                delimiter,
                "--output",
                model.to_str().unwrap(),
            ]);
            assert_eq!(code, 0, "{name}: {err}");
            assert!(
                out.contains("500 samples, 3 features, target 'price'"),
                "{out}"
            );
            std::fs::read(&model).unwrap()
        })
        .collect();
    assert_eq!(models[0], models[1]);
    // One feature and one test row are one, not "1 features".
    let path = temp("one.txt", " 1  2\n 2  3\n 3  5\n 4  9\n 5 11\n");
    let (code, out, err) = run(&[
        "fit",
        path.to_str().unwrap(),
        "--delimiter",
        " ",
        "--test-fraction",
        "0.2",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("5 samples, 1 feature, target 'x1'"), "{out}");
    assert!(
        out.contains("holdout: 4 training rows, 1 test row\n"),
        "{out}"
    );
    // A ragged line is still one.
    let path = temp("ragged.txt", "a  b  y\n1  2  3\n4  5\n");
    let (code, _, err) = run(&["fit", path.to_str().unwrap(), "--delimiter", " "]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("line 3: 2 fields, but the lines before have 3"),
        "{err}"
    );
}

#[test]
fn a_diverging_fixed_rate_is_an_error_with_a_hint() {
    let path = temp("h.csv", &housing());
    let (code, _, err) = run(&[
        "fit",
        path.to_str().unwrap(),
        "--lr",
        "0.5",
        "--no-standardize",
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("diverged"), "{err}");
    assert!(err.contains("hint") && err.contains("--lr auto"), "{err}");
}

#[test]
fn malformed_files_are_clear_errors_with_status_1() {
    for (name, content, needle) in [
        (
            "ragged.csv",
            "a,b,y\n1,2,3\n4,5\n",
            "line 3: 2 fields, but the lines before have 3",
        ),
        (
            "text.csv",
            "1,2,3\n4,five,6\n",
            "line 2, column 2: 'five' is not a number",
        ),
        (
            "nan.csv",
            "1,2,3\n4,5,NaN\n",
            "line 2, column 3: NaN is not a finite number",
        ),
        (
            "inf.csv",
            "1,2,3\n4,inf,6\n",
            "line 2, column 2: inf is not a finite number",
        ),
        ("empty.csv", "", "no data rows"),
        ("header.csv", "a,b,y\n", "no data rows"),
        (
            "one.csv",
            "1\n2\n",
            "need at least one feature column and a target column",
        ),
        (
            "semi.csv",
            "a;b;y\n1;2;3\n",
            "seems to use ';' as its delimiter; pass --delimiter ';'",
        ),
        (
            "tab.csv",
            "a\tb\ty\n1\t2\t3\n",
            "seems to use a tab as its delimiter; pass --delimiter '\\t'",
        ),
        (
            "space.txt",
            "a b y\n1 2 3\n",
            "seems to use a space as its delimiter; pass --delimiter ' '",
        ),
    ] {
        let path = temp(name, content);
        let (code, _, err) = run(&["fit", path.to_str().unwrap()]);
        assert_eq!(code, 1, "{name}: {err}");
        assert!(
            err.contains(needle),
            "{name}: expected '{needle}' in: {err}"
        );
        assert!(!err.contains("panicked"), "{name}: {err}");
    }
    // The right delimiter reads the same file.
    let path = temp("semi2.csv", "a;b;y\n1;2;5\n2;1;4\n3;3;9\n4;0;4\n5;2;9\n");
    let (code, out, err) = run(&[
        "fit",
        path.to_str().unwrap(),
        "--delimiter",
        ";",
        "--test-fraction",
        "0",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("5 samples, 2 features, target 'y'"), "{out}");
    let (code, _, err) = run(&["fit", "/no/such/file.csv"]);
    assert_eq!(code, 1);
    assert!(err.contains("/no/such/file.csv"), "{err}");
}

#[test]
fn bad_usage_exits_with_status_2() {
    for args in [
        &["fit", "--solver", "newton"][..],
        &["fit", "--epochs", "many"],
        &["fit", "--lr", "-1"],
        &["fit", "--lr", "1e-320"],
        &["fit", "--test-fraction", "1.5"],
        &["fit", "--delimiter", "ab"],
        &["fit", "--batch", "0"],
        &["frobnicate"],
        &["predict", "x.csv"],
    ] {
        let (code, _, err) = run(args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
    let path = temp("named.csv", "x0,y\n1,2\n2,4\n");
    let (code, _, err) = run(&["fit", path.to_str().unwrap(), "--target", "nope"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("--target nope: no such column (columns: x0, y)"),
        "{err}"
    );
}

#[test]
fn every_solver_and_rule_fits_the_built_in_data() {
    // Momentum multiplies the step by about 1/(1 − 0.9): a tenth of the rate.
    for (solver, update, schedule, lr) in [
        ("sgd", "plain", "invscaling", "0.05"),
        ("sgd", "momentum", "constant", "0.005"),
        ("sgd", "nesterov", "step", "0.005"),
        ("sgd", "adam", "invscaling", "0.05"),
        ("sgd", "adamw", "adaptive", "0.05"),
        ("sgd", "nlms", "constant", "0.05"),
        // The average includes the iterates from zero, so it needs the whole run.
        ("sgd", "averaged", "constant", "0.05 --tol 0"),
        ("minibatch", "plain", "constant", "0.05"),
        ("minibatch", "adam", "exponential", "0.05"),
    ] {
        let mut args = vec![
            "fit",
            "--solver",
            solver,
            "--update",
            update,
            "--schedule",
            schedule,
            "--epochs",
            "3000",
            "--json",
            "--lr",
        ];
        args.extend(lr.split(' '));
        let (code, out, err) = run(&args);
        assert_eq!(code, 0, "{solver} {update} {schedule}: {err}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        let w0 = v["weights"][0].as_f64().unwrap();
        assert!(
            (w0 - 1.5).abs() < 0.1,
            "{solver} {update} {schedule}: {out}"
        );
    }
    let (code, _, err) = run(&["fit", "--solver", "minibatch", "--update", "nlms"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("batch size of 1"), "{err}");
}

#[test]
fn predict_applies_the_saved_model_and_checks_its_features() {
    let data = temp(
        "train.csv",
        "a,b,y\n1,0,3\n2,1,6\n3,0,7\n4,1,10\n5,0,11\n6,1,14\n",
    );
    let model = data.with_file_name("model.json");
    let (code, _, err) = run(&[
        "fit",
        data.to_str().unwrap(),
        "--output",
        model.to_str().unwrap(),
        "--test-fraction",
        "0",
        "--quiet",
    ]);
    assert_eq!(code, 0, "{err}");
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&model).unwrap()).unwrap();
    assert_eq!(saved["features"], serde_json::json!(["a", "b"]));
    assert_eq!(saved["fit"]["rows"], 6);
    assert!(saved["standardization"]["mean"].is_array());
    // y = 2a + b + 1; the new file has its columns in another order and an extra one.
    let new = temp("new.csv", "b,extra,a\n0,9,10\n1,9,0\n");
    let (code, out, err) = run(&[
        "predict",
        "--model",
        model.to_str().unwrap(),
        new.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let p: Vec<f64> = out.lines().skip(1).map(|l| l.parse().unwrap()).collect();
    assert_eq!(out.lines().next(), Some("y"));
    assert!(
        (p[0] - 21.0).abs() < 1e-3 && (p[1] - 2.0).abs() < 1e-3,
        "{out}"
    );
    let wrong = temp("wrong.csv", "a,c\n1,2\n");
    let (code, _, err) = run(&[
        "predict",
        "--model",
        model.to_str().unwrap(),
        wrong.to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    assert!(
        err.contains("the model's feature 'b' is not a column of the file"),
        "{err}"
    );
    let junk = temp("junk.json", "{\"not\": 1}");
    let (code, _, err) = run(&[
        "predict",
        "--model",
        junk.to_str().unwrap(),
        new.to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("not a steepest model file"), "{err}");
}

#[test]
fn standard_input_and_a_closed_stdout() {
    let mut child = steepest()
        .args(["fit", "-", "--test-fraction", "0", "--quiet", "--json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"x,y\n1,3\n2,5\n3,7\n4,9\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["source"], "standard input");
    assert!((v["weights"][0].as_f64().unwrap() - 2.0).abs() < 1e-3);
    // The reader goes away before the first line: a normal end.
    let mut child = steepest()
        .args(["fit"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
