//! The seed document's worked examples (`shared/seed/000_dfbd0a7133812364.txt`), reproduced.

use std::fmt::Write;

use steepest::{Control, Dataset, GradientDescent, RowMajor, kernels::simd};

const X: [f32; 4] = [1.0, 2.0, 3.0, 4.0];
const Y: [f32; 4] = [2.0, 4.0, 6.0, 8.0];

/// The ten lines the seed's PyTorch full-batch run printed.
const SEED_GD_TABLE: &str = "\
Epoch 10: w = 1.5104, b = 0.4936, Loss = 1.1751
Epoch 20: w = 1.7583, b = 0.5584, Loss = 0.0843
Epoch 30: w = 1.8030, b = 0.5547, Loss = 0.0529
Epoch 40: w = 1.8149, b = 0.5404, Loss = 0.0492
Epoch 50: w = 1.8213, b = 0.5248, Loss = 0.0463
Epoch 60: w = 1.8267, b = 0.5093, Loss = 0.0436
Epoch 70: w = 1.8319, b = 0.4943, Loss = 0.0410
Epoch 80: w = 1.8369, b = 0.4797, Loss = 0.0387
Epoch 90: w = 1.8417, b = 0.4655, Loss = 0.0364
Epoch 100: w = 1.8463, b = 0.4518, Loss = 0.0343
";

fn data() -> Dataset<'static> {
    RowMajor::new(&X, &Y, 4, 1).unwrap().into()
}

#[test]
fn hand_computed_sums_at_zero() {
    // Seed, step 3: Σ x·y = 60 and Σ y = 20, so at w = b = 0: Σ r·x = −60, Σ r = −20.
    let mut g = [0.0];
    let s = simd::gradient(&data(), &[0.0], 0.0, &mut g).unwrap();
    assert_eq!(g[0], -60.0);
    assert_eq!(s.bias, -20.0);
    // ∂L/∂w = (2/4)·(−60) = −30, ∂L/∂b = (2/4)·(−20) = −10 (seed, step 4).
    assert_eq!(2.0 / 4.0 * g[0], -30.0);
    assert_eq!(2.0 / 4.0 * s.bias, -10.0);
}

#[test]
fn first_step_is_the_hand_calculation() {
    let (mut w, mut b, mut g) = ([0.0f32], 0.0f32, [0.0f64]);
    let gd = GradientDescent {
        learning_rate: 0.01,
        max_epochs: 1,
        tolerance: None,
    };
    gd.fit(&data(), &mut w, &mut b, &mut g).unwrap();
    // w = 0 − 0.01·(−30) = 0.3 and b = 0 − 0.01·(−10) = 0.1, each the f32 nearest the
    // exact decimal value.
    assert_eq!(w[0], 0.3f32);
    assert_eq!(b, 0.1f32);
}

#[test]
fn printed_gd_table_comes_out_exactly() {
    let (mut w, mut b, mut g) = ([0.0f32], 0.0f32, [0.0f64]);
    let mut out = String::new();
    GradientDescent::default()
        .fit_with(&data(), &mut w, &mut b, &mut g, |e| {
            if e.epoch % 10 == 0 {
                writeln!(
                    out,
                    "Epoch {}: w = {:.4}, b = {:.4}, Loss = {:.4}",
                    e.epoch, e.w[0], e.b, e.loss
                )
                .unwrap();
            }
            Control::Continue
        })
        .unwrap();
    assert_eq!(out, SEED_GD_TABLE);
}
