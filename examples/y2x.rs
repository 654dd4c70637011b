//! The y = 2x worked example: full-batch gradient descent on x = 1..4, y = 2x from w = b = 0,
//! η = 0.01, 100 epochs, printed every 10 epochs in the format of the PyTorch program it
//! reproduces line for line.
//!
//! `cargo run --release --example y2x`

#[macro_use]
#[path = "common/stdout.rs"]
mod stdout;

use steepest::{Control, GradientDescent, RowMajor};

fn main() -> Result<(), steepest::Error> {
    let x = [1.0, 2.0, 3.0, 4.0];
    let y = [2.0, 4.0, 6.0, 8.0];
    let data = RowMajor::new(&x, &y, 4, 1)?;
    let (mut w, mut b, mut grad) = ([0.0f32], 0.0f32, [0.0f64]);
    let gd = GradientDescent {
        learning_rate: 0.01,
        max_epochs: 100,
        tolerance: None,
    };
    gd.fit_with(&data.into(), &mut w, &mut b, &mut grad, |e| {
        if e.epoch % 10 == 0 {
            // The loss is the one PyTorch printed: at the parameters before this epoch's update.
            outln!(
                "Epoch {}: w = {:.4}, b = {:.4}, Loss = {:.4}",
                e.epoch,
                e.w[0],
                e.b,
                e.loss
            );
        }
        Control::Continue
    })?;
    Ok(())
}
