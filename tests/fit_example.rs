//! Runs the `fit` example (the main job) on good and malformed CSV files: a clear error naming
//! the line and exit status 1, never a panic. `cargo test` builds the examples first.

use std::path::PathBuf;
use std::process::{Command, Output};

fn example() -> PathBuf {
    example_named("fit")
}

fn example_named(name: &str) -> PathBuf {
    // target/<profile>/deps/<this test> → target/<profile>/examples/<name>
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().unwrap().parent().unwrap().join("examples");
    let bin = dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.exists(),
        "{} not built: run through `cargo test`",
        bin.display()
    );
    bin
}

fn run_on(name: &str, content: &str, args: &[&str]) -> Output {
    let dir = std::env::temp_dir().join(format!("steepest-fit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    Command::new(example())
        .arg(&path)
        .args(args)
        .output()
        .unwrap()
}

fn fails_with(name: &str, content: &str, needle: &str) {
    let out = run_on(name, content, &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{name}: {err}");
    assert!(
        err.contains(needle),
        "{name}: expected '{needle}' in: {err}"
    );
    assert!(!err.contains("panicked"), "{name}: {err}");
}

#[test]
fn malformed_files_are_clear_errors() {
    fails_with("ragged.csv", "a,b,y\n1,2,3\n4,5\n6,7,8\n", "line 3");
    fails_with(
        "text.csv",
        "1,2,3\n4,five,6\n",
        "line 2, column 2: 'five' is not a number",
    );
    fails_with("nan.csv", "1,2,3\n4,5,NaN\n", "line 2, column 3");
    fails_with("inf.csv", "1,2,3\n4,inf,6\n", "line 2, column 2");
    fails_with("empty.csv", "", "no data rows");
    fails_with("header.csv", "a,b,y\n", "no data rows");
    fails_with("one_column.csv", "1\n2\n", "at least one feature");
    let out = run_on("good.csv", "a,y\n1,2\n2,4\n", &["--target", "nope"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no such column"));
    // A rate too small to move anything is refused, with the reason.
    for lr in ["1e-320", "5e-324", "0"] {
        let out = run_on("good.csv", "a,y\n1,2\n2,4\n", &["--lr", lr]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "--lr {lr}: {err}");
        assert!(err.contains("normal float"), "--lr {lr}: {err}");
    }
}

/// Every example that runs quickly ends with status 0 when its reader closes the pipe before
/// it writes (`... | head`), instead of panicking with "failed printing to stdout".
#[test]
fn examples_end_normally_when_stdout_closes() {
    use std::process::Stdio;
    for name in [
        "fit",
        "y2x",
        "y2x_sgd",
        "lms_sensor",
        "fw_base",
        "fw_sgd",
        "firmware",
    ] {
        let mut child = Command::new(example_named(name))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take()); // the reader goes away before the first line
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{name}: {err}");
        assert!(!err.contains("panicked"), "{name}: {err}");
    }
}

#[test]
fn fits_a_file_by_named_target() {
    // y = 2·x0 + 1, with a middle target column named by the header.
    let csv = "x0,y,junk\n0,1,5\n1,3,5\n2,5,5\n3,7,5\n4,9,5\n";
    let out = run_on(
        "named.csv",
        csv,
        &[
            "--target", "y", "--lr", "0.02", "--epochs", "20000", "--every", "5000",
        ],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("5 samples, 2 features, target 'y'"), "{text}");
    assert!(text.contains("epoch  20000"), "{text}");
    let w0: f32 = text
        .lines()
        .find_map(|l| l.strip_prefix("w[x0] = "))
        .unwrap()
        .parse()
        .unwrap();
    assert!((w0 - 2.0).abs() < 1e-3, "{text}");
}

#[test]
fn built_in_data_recovers_the_calibration() {
    let out = Command::new(example()).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    let get = |p: &str| -> f32 {
        text.lines()
            .find_map(|l| l.strip_prefix(p))
            .unwrap()
            .parse()
            .unwrap()
    };
    // Generated as 1.5·temp − 0.7·volt + 3 with noise of at most ±0.002.
    assert!((get("w[temp] = ") - 1.5).abs() < 0.01, "{text}");
    assert!((get("w[volt] = ") + 0.7).abs() < 0.01, "{text}");
    assert!((get("b = ") - 3.0).abs() < 0.01, "{text}");
}
