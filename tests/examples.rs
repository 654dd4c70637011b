//! The examples end normally when their standard output closes (`... | head`). `cargo test`
//! builds the examples first.

use std::path::PathBuf;
use std::process::Command;

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

/// Every example that runs quickly ends with status 0 when its reader closes the pipe before
/// it writes (`... | head`), instead of panicking with "failed printing to stdout".
#[test]
fn examples_end_normally_when_stdout_closes() {
    use std::process::Stdio;
    for name in [
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
