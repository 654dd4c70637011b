//! The online-learning example tracks the simulated sensor's calibration, including the gain
//! change halfway through. `cargo test` builds the examples first.

use std::process::Command;

#[test]
fn lms_example_tracks_the_calibration() {
    let exe = std::env::current_exe().unwrap();
    let bin = exe
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("examples")
        .join("lms_sensor");
    assert!(
        bin.exists(),
        "{} not built: run through `cargo test`",
        bin.display()
    );
    let out = Command::new(bin).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let last = text.lines().last().unwrap();
    // "sample 20000: rms error E  w = [a, b, c]  b = d"
    let nums: Vec<f32> = last
        .split(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-'))
        .filter_map(|s| s.parse().ok())
        .collect();
    let (rms, w, b) = (nums[1], &nums[2..5], nums[5]);
    // The noise is uniform in ±0.005 (rms 0.0029); the fit must be near that floor and the
    // coefficients near the truth after the change: gain 2.5, −0.8, 0.3, offset 1.
    assert!(rms < 0.005, "{last}");
    for (got, want) in w.iter().zip([2.5, -0.8, 0.3]) {
        assert!((got - want).abs() < 0.01, "{last}");
    }
    assert!((b - 1.0).abs() < 0.01, "{last}");
}
