//! Full-batch gradient descent over the fused kernel.

use crate::data::Dataset;
use crate::data::check_len;
use crate::error::{Error, What};
use crate::kernels::Sums;
use crate::kernels::simd::F32_CHAIN;
use crate::passes::{Passes, pass};

const U: f64 = 1.0 / 16_777_216.0; // 2⁻²⁴: f32 unit roundoff
const U64: f64 = 1.0 / 9_007_199_254_740_992.0; // 2⁻⁵³

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
/// assert_eq!((w[0], b), (0.3, 0.1)); // the first step of the y = 2x worked example
/// # Ok::<(), steepest::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GradientDescent {
    /// The step size η: a positive normal float. It is applied in f64.
    pub learning_rate: f64,
    /// The most epochs (passes and updates) to run; 0 only evaluates the loss.
    pub max_epochs: usize,
    /// Stop once an epoch's loss differs from the previous epoch's by less than this
    /// (finite, ≥ 0); `None` runs every epoch.
    pub tolerance: Option<f64>,
}

impl Default for GradientDescent {
    /// η = 0.01, 100 epochs, no tolerance: the settings of the y = 2x worked example.
    fn default() -> Self {
        GradientDescent {
            learning_rate: 0.01,
            max_epochs: 100,
            tolerance: None,
        }
    }
}

/// What an observer sees after each epoch.
///
/// # Example
/// ```
/// use steepest::{Control, GradientDescent, RowMajor};
/// let data = RowMajor::new(&[1.0, 2.0, 3.0, 4.0], &[2.0, 4.0, 6.0, 8.0], 4, 1)?;
/// let (mut w, mut b, mut grad) = ([0.0f32], 0.0f32, [0.0f64]);
/// let mut losses = Vec::new();
/// GradientDescent::default().fit_with(&data.into(), &mut w, &mut b, &mut grad, |e| {
///     losses.push(e.loss); // at the parameters the epoch started from
///     Control::Continue
/// })?;
/// assert_eq!(losses.len(), 100);
/// assert!(losses.windows(2).all(|p| p[1] <= p[0]));
/// # Ok::<(), steepest::Error>(())
/// ```
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
///
/// # Example
/// ```
/// use steepest::{Control, GradientDescent, RowMajor};
/// let data = RowMajor::new(&[1.0, 2.0, 3.0, 4.0], &[2.0, 4.0, 6.0, 8.0], 4, 1)?;
/// let (mut w, mut b, mut grad) = ([0.0f32], 0.0f32, [0.0f64]);
/// let report = GradientDescent::default().fit_with(&data.into(), &mut w, &mut b, &mut grad, |e| {
///     if e.loss < 1.0 { Control::Stop } else { Control::Continue }
/// })?;
/// assert_eq!(report.reason, steepest::StopReason::Observer);
/// # Ok::<(), steepest::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Control {
    /// Run the next epoch.
    Continue,
    /// Stop now; the fit returns with [`StopReason::Observer`].
    Stop,
}

/// Why a fit stopped.
///
/// # Example
/// ```
/// use steepest::{Control, GradientDescent, RowMajor};
/// let data = RowMajor::new(&[1.0, 2.0, 3.0, 4.0], &[2.0, 4.0, 6.0, 8.0], 4, 1)?;
/// let (mut w, mut b, mut grad) = ([0.0f32], 0.0f32, [0.0f64]);
/// let gd = GradientDescent { learning_rate: 0.05, max_epochs: 10_000, tolerance: Some(1e-12) };
/// assert_eq!(gd.fit(&data.into(), &mut w, &mut b, &mut grad)?.reason, steepest::StopReason::Converged);
/// # Ok::<(), steepest::Error>(())
/// ```
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
///
/// # Example
/// ```
/// use steepest::{Control, GradientDescent, RowMajor};
/// let data = RowMajor::new(&[1.0, 2.0, 3.0, 4.0], &[2.0, 4.0, 6.0, 8.0], 4, 1)?;
/// let (mut w, mut b, mut grad) = ([0.0f32], 0.0f32, [0.0f64]);
/// let report = GradientDescent::default().fit(&data.into(), &mut w, &mut b, &mut grad)?;
/// assert_eq!((report.epochs, report.reason), (100, steepest::StopReason::MaxEpochs));
/// assert!(report.loss < 0.05);
/// # Ok::<(), steepest::Error>(())
/// ```
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
    /// is not a positive normal float, a tolerance that is not finite and ≥ 0, or a
    /// non-finite initial `w` or `b`; [`Error::Length`] if `w` or `grad` does not have `d`
    /// elements; [`Error::NonFiniteData`] with the row and column of the first NaN/∞ in the
    /// data; [`Error::NonFinite`] if the first pass overflows at the initial parameters.
    /// During the fit: [`Error::Diverged`] with the epoch at which the loss or gradient
    /// became non-finite, an update would have made a parameter non-finite, or the loss grew
    /// by more than its rounding bound ([`Diverged`](Error::Diverged) explains); `w` and `b`
    /// then hold the parameters in force at the start of that epoch.
    ///
    /// Full-batch GD with a constant rate lowers the least-squares loss at every epoch
    /// exactly when `η < 2/λ_max` (`λ_max` the largest eigenvalue of `(2/n)·X̃ᵀX̃`, `X̃` the data
    /// with a column of ones), so growth beyond rounding is divergence, not noise: the loss
    /// of epoch `k` may exceed that of epoch `k−1` only by the bound on the rounding of both
    /// passes and of the parameters to f32, computed from `Σy²`, `Σx²` (one extra pass, the
    /// first time the loss grows at all) and the current parameters.
    ///
    /// # Example
    /// ```
    /// use steepest::{Control, GradientDescent, RowMajor};
    /// let data = RowMajor::new(&[1.0, 2.0, 3.0, 4.0], &[2.0, 4.0, 6.0, 8.0], 4, 1)?;
    /// let (mut w, mut b, mut grad) = ([0.0f32], 0.0f32, [0.0f64]);
    /// let gd = GradientDescent { learning_rate: 0.05, max_epochs: 2000, tolerance: None };
    /// gd.fit(&data.into(), &mut w, &mut b, &mut grad)?;
    /// assert!((w[0] - 2.0).abs() < 1e-4 && b.abs() < 1e-3);
    /// // A rate beyond the stability limit is reported, not silently run.
    /// let (mut w, mut b) = ([0.0f32], 0.0f32);
    /// let fast = GradientDescent { learning_rate: 0.2, ..gd };
    /// assert!(matches!(fast.fit(&data.into(), &mut w, &mut b, &mut grad), Err(steepest::Error::Diverged { .. })));
    /// # Ok::<(), steepest::Error>(())
    /// ```
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
        observer: impl FnMut(&Epoch<'_>) -> Control,
    ) -> Result<Report, Error> {
        self.fit_passes(&mut { *data }, w, b, grad, observer)
    }

    /// [`fit_with`](Self::fit_with) with its passes run by `passes`: data in memory, or an
    /// engine's aggregate query. The same sums give the same fit.
    ///
    /// # Errors
    /// As [`fit_with`](Self::fit_with), and the errors of `passes`.
    ///
    /// # Example
    /// ```
    /// use steepest::{Control, Dataset, GradientDescent, RowMajor};
    /// let mut data: Dataset = RowMajor::new(&[1.0, 2.0, 3.0, 4.0], &[2.0, 4.0, 6.0, 8.0], 4, 1)?.into();
    /// let (mut w, mut b, mut g) = ([0.0f32], 0.0f32, [0.0f64]);
    /// let gd = GradientDescent { learning_rate: 0.05, max_epochs: 500, tolerance: None };
    /// gd.fit_passes(&mut data, &mut w, &mut b, &mut g, |_| Control::Continue)?;
    /// assert!((w[0] - 2.0).abs() < 1e-3);
    /// # Ok::<(), steepest::Error>(())
    /// ```
    pub fn fit_passes(
        &self,
        data: &mut impl Passes,
        w: &mut [f32],
        b: &mut f32,
        grad: &mut [f64],
        mut observer: impl FnMut(&Epoch<'_>) -> Control,
    ) -> Result<Report, Error> {
        self.validate(w, *b)?;
        let n = data.n() as f64;
        let step = self.learning_rate * 2.0 / n;
        let mut previous: Option<f64> = None;
        let mut growth = Growth::new(data);
        let mut epoch = 0;
        let reason = loop {
            let sums = pass(data, w, *b, grad, epoch + 1)?;
            growth.check(data, w, *b, sums.mse(), epoch + 1)?;
            if epoch == self.max_epochs {
                return Ok(Report {
                    epochs: epoch,
                    loss: sums.mse(),
                    reason: StopReason::MaxEpochs,
                });
            }
            epoch += 1;
            if !apply(step, &sums, grad, w, b) {
                return Err(Error::Diverged {
                    epoch,
                    what: What::Weights,
                });
            }
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
        growth.check(data, w, *b, sums.mse(), epoch + 1)?;
        Ok(Report {
            epochs: epoch,
            loss: sums.mse(),
            reason,
        })
    }

    /// One step from a pass's sums, as [`fit_with`](Self::fit_with) takes it:
    /// `w ← w − η·(2/n)·g`, `b ← b − η·(2/n)·Σr`, in f64, rounded once to f32. For drivers
    /// whose passes run elsewhere (an engine's aggregate, another machine): the same update
    /// gives the same model for the same sums.
    ///
    /// # Errors
    /// [`Error::Length`] if `w` or `grad` does not have `d` values; [`Error::Empty`] if
    /// `sums.rows` is 0; [`Error::InvalidParameter`] for a rate that is not a positive normal
    /// float or a non-finite model; [`Error::NonFinite`] if the sums are not finite;
    /// [`Error::Diverged`] (epoch 0) if the new model would not be finite. Nothing is written
    /// on an error.
    ///
    /// # Example
    /// ```
    /// use steepest::{GradientDescent, RowMajor, kernels::simd};
    /// let data = RowMajor::new(&[1.0, 2.0, 3.0, 4.0], &[2.0, 4.0, 6.0, 8.0], 4, 1)?.into();
    /// let (mut w, mut b, mut g) = ([0.0f32], 0.0f32, [0.0f64]);
    /// let gd = GradientDescent { learning_rate: 0.01, max_epochs: 1, tolerance: None };
    /// let sums = simd::gradient(&data, &w, b, &mut g)?;
    /// gd.step(&sums, &g, &mut w, &mut b)?;
    /// assert_eq!((w[0], b), (0.3, 0.1)); // -0.01·(2/4)·(-60), -0.01·(2/4)·(-20)
    /// # Ok::<(), steepest::Error>(())
    /// ```
    pub fn step(&self, sums: &Sums, grad: &[f64], w: &mut [f32], b: &mut f32) -> Result<(), Error> {
        self.validate(w, *b)?;
        check_len(What::Gradient, w.len(), grad.len())?;
        if sums.rows == 0 {
            return Err(Error::Empty(What::Rows));
        }
        if !(sums.loss.is_finite() && sums.bias.is_finite()) {
            return Err(Error::NonFinite(What::Loss));
        }
        if !grad.iter().all(|g| g.is_finite()) {
            return Err(Error::NonFinite(What::Gradient));
        }
        let step = self.learning_rate * 2.0 / sums.rows as f64;
        if apply(step, sums, grad, w, b) {
            Ok(())
        } else {
            Err(Error::Diverged {
                epoch: 0,
                what: What::Weights,
            })
        }
    }

    fn validate(&self, w: &[f32], b: f32) -> Result<(), Error> {
        let lr = self.learning_rate;
        if !(lr.is_normal() && lr > 0.0) {
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

/// The update `θ ← θ − step·∇`, checked whole before any of it is written: `false` (and
/// nothing written) if the new model would not be finite.
fn apply(step: f64, sums: &Sums, grad: &[f64], w: &mut [f32], b: &mut f32) -> bool {
    let new_b = (f64::from(*b) - step * sums.bias) as f32;
    let finite = new_b.is_finite()
        && w.iter()
            .zip(grad.iter())
            .all(|(&wj, &gj)| ((f64::from(wj) - step * gj) as f32).is_finite());
    if finite {
        for (wj, &gj) in w.iter_mut().zip(grad.iter()) {
            *wj = (f64::from(*wj) - step * gj) as f32;
        }
        *b = new_b;
    }
    finite
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

/// The loss-growth test of [`GradientDescent::fit`]: the previous epoch's loss and
/// parameter norms, and the data's `Σy²` and `Σx²`, summed the first time they are needed.
pub(crate) struct Growth {
    n: f64,
    gamma: f64,
    gamma_sum: f64,
    previous: Option<(f64, f64, f64)>,
    sums: Option<(f64, f64)>,
}

/// `γₖ = k·u/(1 − k·u)`, `u = 2⁻²⁴`.
fn gamma(k: usize) -> f64 {
    let ku = k as f64 * U;
    ku / (1.0 - ku)
}

impl Growth {
    pub(crate) fn new(data: &impl Passes) -> Self {
        let n = data.n() as f64;
        Growth {
            n,
            gamma: gamma(data.d() + 2),
            gamma_sum: gamma(F32_CHAIN + 1) + 2.0 * n * U64,
            previous: None,
            sums: None,
        }
    }

    /// The bound on a pass's mean-loss error, and on the loss change from rounding the
    /// parameters to f32, at loss `loss` and parameter norms `ww = ‖w‖²`, `bb = b²`.
    ///
    /// With `S_r = n·L` and `S_A = 3·(n·b² + Σy² + ‖w‖²·Σx²) ≥ Σᵢ Aᵢ²` (`Aᵢ = |b| + |yᵢ| +
    /// Σⱼ|xᵢⱼwⱼ|`, by Cauchy–Schwarz), a pass's mean loss is within
    /// `(2/n)·(2γ·(2√(S_A·S_r) + γ·S_A) + γ_s·S_r)` of the exact one (the bound of
    /// `kernels::bound`, its `Σ Aᵢ|rᵢ|` bounded by `√(S_A·S_r)`, `γ_s` that of the f32 chains
    /// and the f64 sums), and rounding the parameters to f32 moves each residual by at most
    /// `u·Aᵢ`, so the loss by at most `(u/n)·(2√(S_A·S_r) + u·S_A)`.
    fn bound(&self, (yy, xx): (f64, f64), loss: f64, ww: f64, bb: f64) -> f64 {
        let s_a = 3.0 * (self.n * bb + yy + ww * xx);
        let s_r = self.n * loss;
        let cross = 2.0 * libm::sqrt(s_a * s_r);
        let g = self.gamma;
        let pass = 2.0 / self.n * (2.0 * g * (cross + g * s_a) + self.gamma_sum * s_r);
        let params = U / self.n * (cross + U * s_a);
        pass + params
    }

    /// [`Error::Diverged`] if `loss` (the mean squared error at `w`, `b`, the start of
    /// `epoch`) exceeds the previous epoch's by more than twice the sum of both epochs'
    /// bounds (doubled, as in `kernels::bound`, for the rounding of the bound itself).
    pub(crate) fn check(
        &mut self,
        data: &mut impl Passes,
        w: &[f32],
        b: f32,
        loss: f64,
        epoch: usize,
    ) -> Result<(), Error> {
        let ww: f64 = w.iter().map(|&v| f64::from(v) * f64::from(v)).sum();
        let bb = f64::from(b) * f64::from(b);
        if let Some((prev, prev_ww, prev_bb)) = self.previous
            && loss > prev
        {
            let sums = match self.sums {
                Some(s) => s,
                None => *self.sums.insert(data.magnitudes()?),
            };
            let allowed = self.bound(sums, loss, ww, bb) + self.bound(sums, prev, prev_ww, prev_bb);
            if loss - prev > 2.0 * allowed {
                return Err(Error::Diverged {
                    epoch,
                    what: What::Loss,
                });
            }
        }
        self.previous = Some((loss, ww, bb));
        Ok(())
    }
}
