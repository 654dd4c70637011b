//! Full-batch gradient descent over the fused kernel.

use crate::data::Dataset;
use crate::error::{Error, What};
use crate::kernels::simd;

/// Full-batch gradient descent on the mean squared error `L = (1/n)·Σ (xᵢ·w + b − yᵢ)²`.
///
/// Each epoch is one fused pass (loss and gradient together) and one update
/// `w ← w − η·(2/n)·Σ rᵢ·xᵢ`, `b ← b − η·(2/n)·Σ rᵢ`, computed in f64 from the f64 sums and
/// rounded once to f32 (the same on every target).
///
/// # Example
/// ```
/// use steepest::{GradientDescent, RowMajor};
/// let data = RowMajor::new(&[1.0, 2.0, 3.0, 4.0], &[2.0, 4.0, 6.0, 8.0], 4, 1)?;
/// let (mut w, mut b, mut grad) = ([0.0f32], 0.0f32, [0.0f64]);
/// let gd = GradientDescent { learning_rate: 0.01, max_epochs: 1, tolerance: None };
/// gd.fit(&data.into(), &mut w, &mut b, &mut grad)?;
/// assert_eq!((w[0], b), (0.3, 0.1)); // the seed's hand-computed first step
/// # Ok::<(), steepest::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GradientDescent {
    /// The step size η: finite and positive. It is applied in f64.
    pub learning_rate: f64,
    /// The most epochs (passes and updates) to run; 0 only evaluates the loss.
    pub max_epochs: usize,
    /// Stop once an epoch's loss differs from the previous epoch's by less than this
    /// (finite, ≥ 0); `None` runs every epoch.
    pub tolerance: Option<f64>,
}

impl Default for GradientDescent {
    /// The seed's settings: η = 0.01, 100 epochs, no tolerance.
    fn default() -> Self {
        GradientDescent {
            learning_rate: 0.01,
            max_epochs: 100,
            tolerance: None,
        }
    }
}

/// What an observer sees after each epoch.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Epoch<'a> {
    /// The epoch, from 1.
    pub epoch: usize,
    /// The epoch's loss. Gradient descent: the mean squared error at the parameters the
    /// epoch started from (before its update). SGD: the mean of the samples' squared errors,
    /// each taken before its own update.
    pub loss: f64,
    /// The weights after the epoch's update.
    pub w: &'a [f32],
    /// The bias after the epoch's update.
    pub b: f32,
}

/// An observer's answer: go on, or stop after this epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Control {
    /// Run the next epoch.
    Continue,
    /// Stop now; the fit returns with [`StopReason::Observer`].
    Stop,
}

/// Why a fit stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopReason {
    /// `max_epochs` epochs ran.
    MaxEpochs,
    /// The loss changed by less than the tolerance.
    Converged,
    /// The observer returned [`Control::Stop`].
    Observer,
}

/// The outcome of a fit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Report {
    /// Epochs run (updates made).
    pub epochs: usize,
    /// The mean squared error at the final parameters (one more pass after the last update).
    pub loss: f64,
    /// Why it stopped.
    pub reason: StopReason,
}

impl GradientDescent {
    /// Fits `w` and `b` in place, starting from their current values.
    ///
    /// `grad` is the caller's scratch for the gradient sums (`d` values, overwritten): no
    /// allocation happens.
    ///
    /// # Errors
    /// Before any change to `w` and `b`: [`Error::InvalidParameter`] for a learning rate that
    /// is not finite and positive, a tolerance that is not finite and ≥ 0, or a non-finite
    /// initial `w` or `b`; [`Error::Length`] if `w` or `grad` does not have `d` elements;
    /// [`Error::NonFinite`] if the first pass is not finite (NaN/∞ in the data, or an
    /// overflow at the initial parameters). During the fit: [`Error::Diverged`] with the
    /// epoch at which the loss or gradient became non-finite, or an update would have made a
    /// parameter non-finite; `w` and `b` then hold the last finite parameters.
    pub fn fit(
        &self,
        data: &Dataset<'_>,
        w: &mut [f32],
        b: &mut f32,
        grad: &mut [f64],
    ) -> Result<Report, Error> {
        self.fit_with(data, w, b, grad, |_| Control::Continue)
    }

    /// [`fit`](Self::fit), calling `observer` once per epoch, after the update.
    ///
    /// # Errors
    /// As [`fit`](Self::fit).
    ///
    /// # Example
    /// ```
    /// use steepest::{Control, GradientDescent, RowMajor};
    /// let data = RowMajor::new(&[1.0, 2.0, 3.0, 4.0], &[2.0, 4.0, 6.0, 8.0], 4, 1)?;
    /// let (mut w, mut b, mut grad) = ([0.0f32], 0.0f32, [0.0f64]);
    /// let report = GradientDescent::default().fit_with(&data.into(), &mut w, &mut b, &mut grad, |e| {
    ///     if e.epoch % 10 == 0 {
    ///         println!("Epoch {}: w = {:.4}, b = {:.4}, Loss = {:.4}", e.epoch, e.w[0], e.b, e.loss);
    ///     }
    ///     Control::Continue
    /// })?;
    /// assert_eq!(report.epochs, 100);
    /// # Ok::<(), steepest::Error>(())
    /// ```
    pub fn fit_with(
        &self,
        data: &Dataset<'_>,
        w: &mut [f32],
        b: &mut f32,
        grad: &mut [f64],
        mut observer: impl FnMut(&Epoch<'_>) -> Control,
    ) -> Result<Report, Error> {
        self.validate(w, *b)?;
        let n = data.n() as f64;
        let step = self.learning_rate * 2.0 / n;
        let mut previous: Option<f64> = None;
        let mut epoch = 0;
        let reason = loop {
            let sums = pass(data, w, *b, grad, epoch + 1)?;
            if epoch == self.max_epochs {
                return Ok(Report {
                    epochs: epoch,
                    loss: sums.mse(),
                    reason: StopReason::MaxEpochs,
                });
            }
            epoch += 1;
            // The update is checked whole before any of it is written.
            let new_b = (f64::from(*b) - step * sums.bias) as f32;
            let finite = new_b.is_finite()
                && w.iter()
                    .zip(grad.iter())
                    .all(|(&wj, &gj)| ((f64::from(wj) - step * gj) as f32).is_finite());
            if !finite {
                return Err(Error::Diverged {
                    epoch,
                    what: What::Weights,
                });
            }
            for (wj, &gj) in w.iter_mut().zip(grad.iter()) {
                *wj = (f64::from(*wj) - step * gj) as f32;
            }
            *b = new_b;
            let loss = sums.mse();
            let control = observer(&Epoch {
                epoch,
                loss,
                w,
                b: *b,
            });
            if control == Control::Stop {
                break StopReason::Observer;
            }
            if let (Some(tol), Some(prev)) = (self.tolerance, previous)
                && (prev - loss).abs() < tol
            {
                break StopReason::Converged;
            }
            previous = Some(loss);
        };
        let sums = pass(data, w, *b, grad, epoch + 1)?;
        Ok(Report {
            epochs: epoch,
            loss: sums.mse(),
            reason,
        })
    }

    fn validate(&self, w: &[f32], b: f32) -> Result<(), Error> {
        let lr = self.learning_rate;
        if !(lr.is_finite() && lr > 0.0) {
            return Err(Error::InvalidParameter {
                what: What::LearningRate,
                value: lr,
            });
        }
        if let Some(tol) = self.tolerance
            && !(tol.is_finite() && tol >= 0.0)
        {
            return Err(Error::InvalidParameter {
                what: What::Tolerance,
                value: tol,
            });
        }
        check_model(w, b)
    }
}

/// Checks that every parameter of a model is finite.
pub(crate) fn check_model(w: &[f32], b: f32) -> Result<(), Error> {
    if let Some(bad) = w.iter().find(|v| !v.is_finite()) {
        return Err(Error::InvalidParameter {
            what: What::Weights,
            value: f64::from(*bad),
        });
    }
    if !b.is_finite() {
        return Err(Error::InvalidParameter {
            what: What::Bias,
            value: f64::from(b),
        });
    }
    Ok(())
}

/// One fused pass at the start of `epoch`; a non-finite result is the data's fault at the
/// first epoch and divergence after it.
fn pass(
    data: &Dataset<'_>,
    w: &[f32],
    b: f32,
    grad: &mut [f64],
    epoch: usize,
) -> Result<crate::kernels::Sums, Error> {
    simd::gradient(data, w, b, grad).map_err(|e| match e {
        Error::NonFinite(what) if epoch > 1 => Error::Diverged { epoch, what },
        other => other,
    })
}
