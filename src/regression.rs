//! Least squares by gradient descent that works on unscaled data with no tuning: the fit runs
//! in standardised coordinates `zⱼ = (xⱼ − μⱼ)/σⱼ` through the fused kernel over the original
//! data, with a step size from an estimate of the Hessian's largest eigenvalue.
//!
//! # Standardisation without copying
//! A model `v`, `c` in standardised coordinates is the model `wⱼ = vⱼ/σⱼ`,
//! `b = c − Σⱼ μⱼ·wⱼ` in the original ones: both give every sample the same prediction. So
//! each epoch turns `(v, c)` into `(w, b)` (O(d)), runs one fused pass over the original data
//! at `(w, b)`, and turns its sums into the standardised gradient
//! `∂L/∂vⱼ = (2/n)·(Σ rᵢxᵢⱼ − μⱼ·Σ rᵢ)/σⱼ`, `∂L/∂c = (2/n)·Σ rᵢ` (O(d)). A constant feature
//! (`σⱼ = 0`) carries no information: its weight stays 0 and the intercept absorbs it; no
//! division by zero happens. The model is reported in the original units.
//!
//! # The automatic step size
//! Gradient descent on least squares with a constant step `η` converges exactly when
//! `η < 2/λ_max`, `λ_max` the largest eigenvalue of the Hessian `H = (2/n)·Z̃ᵀZ̃` (`Z̃` the
//! standardised data with a column of ones). [`lambda_max`] estimates it by power iteration,
//! each product `H·u` one fused pass: the kernel's gradient at the model of `u` minus its
//! gradient at zero is `Σ (z̃ᵢ·u)·xᵢ`, from which `Z̃ᵀZ̃u` follows in O(d). The estimate is a
//! norm ratio `‖Hu‖/‖u‖`, which never exceeds `λ_max` (up to rounding), and it is stopped
//! when it moves by less than 1e-6 relative or after [`POWER_ITERATIONS`]. The rate used is
//! `1/λ̂` (the safety factor: half the stability limit of the estimate), stable whenever
//! `λ̂ > λ_max/2`; should the start vector miss the top eigenvector so badly that it is not,
//! the divergence test of [`GradientDescent`](crate::GradientDescent) stops the fit.
//!
//! # Convergence
//! Two criteria, either of which ends the fit with [`StopReason::Converged`]:
//!
//! | criterion | here | scikit-learn `SGDRegressor` | Spark MLlib `LinearRegression` |
//! |---|---|---|---|
//! | loss change | `L_k > (1 − tol)·L_best` for `n_iter_no_change` epochs in a row: relative to the best loss | `L_k > L_best − tol` for `n_iter_no_change` epochs: absolute, against the best loss | relative change of the loss `≤ tol` |
//! | gradient norm | `‖∇L_k‖ ≤ gtol·√L_k`, both in units of `y` | – | – |
//!
//! Both bound how far the loss is from the least-squares one: for least squares
//! `‖∇L‖² ≥ 2λ_min·(L − L*)`, so the gradient test leaves `(L − L*)/L ≤ gtol²/(2λ_min)`, and
//! a loss change of `τ·L` per epoch at the rate `1/λ_max` means `‖∇L‖² ≈ 2λ_max·τ·L`, so
//! `(L − L*)/L ≲ τ·κ` with `κ = λ_max/λ_min` the condition number of the standardised
//! problem. Counting epochs against the best loss, as scikit-learn does, rather than
//! comparing consecutive ones, keeps the test meaningful once the loss reaches the floor of
//! f32 rounding, where it fluctuates instead of falling.

use crate::data::{Dataset, check_len};
use crate::error::{Error, What};
use crate::gd::{Control, Epoch, Growth, StopReason, check_model};
use crate::passes::{Passes, pass};
use crate::stats::Moments;

/// The most power iterations [`lambda_max`] runs.
///
/// # Example
/// ```
/// assert_eq!(steepest::regression::POWER_ITERATIONS, 50);
/// ```
pub const POWER_ITERATIONS: usize = 50;

/// The step size of [`Regression`].
///
/// # Example
/// ```
/// use steepest::regression::Rate;
/// assert_eq!(Rate::default(), Rate::Auto);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum Rate {
    /// `1/λ̂`, from [`lambda_max`].
    #[default]
    Auto,
    /// A given step size in the fit's coordinates (standardised, unless standardisation is
    /// off): a positive normal float.
    Fixed(f64),
}

/// Least-squares regression by full-batch gradient descent, standardised and with an
/// automatic step size by default.
///
/// # Example
/// ```
/// use steepest::{RowMajor, regression::Regression, stats::{Moments, moments}};
/// // Unscaled features: a size in the thousands and a year.
/// let x = [1200.0, 1990.0, 2500.0, 2005.0, 900.0, 1950.0, 3100.0, 2018.0, 1800.0, 1975.0];
/// let y = [210e3, 400e3, 150e3, 530e3, 290e3];
/// let data = RowMajor::new(&x, &y, 5, 2)?.into();
/// let mut stats = [Moments::default(); 2];
/// moments(&data, &mut stats)?;
/// let (mut w, mut b, mut work) = ([0.0f32; 2], 0.0f32, [0.0f64; 8]); // work: 4·d
/// let report = Regression::default().fit(&data, &stats, &mut w, &mut b, &mut work, |_| {
///     steepest::Control::Continue
/// })?;
/// assert_eq!(report.reason, steepest::StopReason::Converged);
/// assert!(report.loss < 1e9); // the mean of y² is 1.2e11
/// # Ok::<(), steepest::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Regression {
    /// The step size.
    pub rate: Rate,
    /// The most epochs.
    pub max_epochs: usize,
    /// Stop once `n_iter_no_change` epochs in a row fail to bring the loss below
    /// `(1 − tol)` times the best one; `None`: never.
    pub tol: Option<f64>,
    /// Epochs without improvement before the loss test stops the fit (at least 1 is used).
    pub n_iter_no_change: u32,
    /// Stop once the gradient's norm is at most `gtol·√L` (both in units of `y`, in the fit's
    /// coordinates); `None`: never.
    pub gtol: Option<f64>,
    /// Fit in standardised coordinates (the model is reported in the original units).
    pub standardize: bool,
}

impl Default for Regression {
    /// Standardised, automatic rate, 10 000 epochs at most, `tol = 1e-9` over 5 epochs,
    /// `gtol = 1e-5`.
    fn default() -> Self {
        Regression {
            rate: Rate::Auto,
            max_epochs: 10_000,
            tol: Some(1e-9),
            n_iter_no_change: 5,
            gtol: Some(1e-5),
            standardize: true,
        }
    }
}

/// The outcome of [`Regression::fit`].
///
/// # Example
/// ```
/// use steepest::{Control, RowMajor, regression::Regression, stats::{Moments, moments}};
/// let data = RowMajor::new(&[1.0, 2.0, 3.0, 4.0], &[2.0, 4.0, 6.0, 8.0], 4, 1)?.into();
/// let mut stats = [Moments::default()];
/// moments(&data, &mut stats)?;
/// let (mut w, mut b, mut work) = ([0.0f32], 0.0f32, [0.0f64; 4]);
/// let r = Regression::default().fit(&data, &stats, &mut w, &mut b, &mut work, |_| Control::Continue)?;
/// assert!(r.lambda_max.is_some() && (r.rate - 1.0 / r.lambda_max.unwrap()).abs() < 1e-12);
/// assert!((w[0] - 2.0).abs() < 1e-4);
/// # Ok::<(), steepest::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RegressionReport {
    /// Epochs run.
    pub epochs: usize,
    /// The mean squared error at the final model.
    pub loss: f64,
    /// Why it stopped.
    pub reason: StopReason,
    /// The step size used, in the fit's coordinates.
    pub rate: f64,
    /// The estimate of `λ_max` behind an automatic rate.
    pub lambda_max: Option<f64>,
}

/// The map between standardised and original coordinates.
#[derive(Clone, Copy)]
struct Coords<'a> {
    stats: Option<&'a [Moments]>,
    d: usize,
}

impl Coords<'_> {
    /// `(μⱼ, σⱼ)`, with `σⱼ = 0` for a constant (frozen) feature.
    fn at(&self, j: usize) -> (f64, f64) {
        match self.stats.and_then(|s| s.get(j)) {
            Some(m) => {
                let s = m.std();
                (m.mean, if s.is_normal() { s } else { 0.0 })
            }
            None => (0.0, 1.0),
        }
    }

    /// The original-units model of `(v, c)`.
    fn model_of(&self, v: &[f64], c: f64, w: &mut [f32], b: &mut f32) -> Result<(), Error> {
        let mut shift = 0.0;
        for (j, (wj, &vj)) in w.iter_mut().zip(v).enumerate() {
            let (mu, sigma) = self.at(j);
            *wj = if sigma > 0.0 {
                (vj / sigma) as f32
            } else {
                0.0
            };
            shift += mu * f64::from(*wj);
        }
        *b = (c - shift) as f32;
        check_model(w, *b)
    }

    /// `(v, c)` of an original-units model.
    fn params_of(&self, w: &[f32], b: f32, v: &mut [f64]) -> f64 {
        let mut c = f64::from(b);
        for (j, (vj, &wj)) in v.iter_mut().zip(w).enumerate() {
            let (mu, sigma) = self.at(j);
            *vj = f64::from(wj) * sigma;
            c += mu * f64::from(wj);
        }
        c
    }

    /// The standardised form of `Σ pᵢxᵢ` (in `g`, overwritten) and `Σ pᵢ`, times `scale`:
    /// `scale·(gⱼ − μⱼ·s)/σⱼ` and `scale·s`. Returns the latter.
    fn standardise(&self, g: &mut [f64], s: f64, scale: f64) -> f64 {
        for (j, gj) in g.iter_mut().enumerate().take(self.d) {
            let (mu, sigma) = self.at(j);
            *gj = if sigma > 0.0 {
                scale * (*gj - mu * s) / sigma
            } else {
                0.0
            };
        }
        scale * s
    }
}

fn norm(v: &[f64], c: f64) -> f64 {
    libm::sqrt(v.iter().map(|x| x * x).sum::<f64>() + c * c)
}

/// Splits the caller's work buffer into `K` parts of `d` values.
fn split<const K: usize>(work: &mut [f64], d: usize) -> Result<[&mut [f64]; K], Error> {
    check_len(What::Scratch, d.saturating_mul(K), work.len())?;
    let mut parts = work.chunks_exact_mut(d.max(1));
    let mut next = || parts.next().unwrap_or(&mut []);
    Ok(core::array::from_fn(|_| next()))
}

/// Estimates `λ_max` of the least-squares Hessian `(2/n)·Z̃ᵀZ̃` by power iteration (see the
/// module docs), in standardised coordinates if `stats` is given. `w` (`d` values) and
/// `work` (`3·d` values) are scratch, overwritten. Costs one fused pass per iteration, plus
/// one.
///
/// # Errors
/// [`Error::Length`] for `stats`, `w` or `work` of the wrong length; [`Error::NonFiniteData`]
/// for NaN/∞ in the data; [`Error::NonFinite`] if a pass overflows.
///
/// # Example
/// ```
/// use steepest::{RowMajor, regression::lambda_max};
/// // One feature, x = ±1 (mean 0): H = 2·[[1, 0], [0, 1]], λ_max = 2.
/// let data = RowMajor::new(&[1.0, -1.0, 1.0, -1.0], &[3.0, 1.0, 3.0, 1.0], 4, 1)?.into();
/// let l = lambda_max(&data, None, &mut [0.0f32], &mut [0.0; 3])?;
/// assert!((l - 2.0).abs() < 1e-6, "{l}");
/// # Ok::<(), steepest::Error>(())
/// ```
pub fn lambda_max(
    data: &Dataset<'_>,
    stats: Option<&[Moments]>,
    w: &mut [f32],
    work: &mut [f64],
) -> Result<f64, Error> {
    let d = data.d();
    if let Some(s) = stats {
        check_len(What::Scratch, d, s.len())?;
    }
    check_len(What::Weights, d, w.len())?;
    let [grad, g0, u] = split::<3>(work, d)?;
    power(&mut { *data }, Coords { stats, d }, w, grad, g0, u)
}

/// The power iteration of [`lambda_max`], on checked buffers.
fn power(
    data: &mut impl Passes,
    coords: Coords<'_>,
    w: &mut [f32],
    grad: &mut [f64],
    g0: &mut [f64],
    u: &mut [f64],
) -> Result<f64, Error> {
    let n = data.n() as f64;
    // The gradient at zero, −Σ yᵢxᵢ and −Σ yᵢ: the products below subtract it.
    w.fill(0.0);
    let zero = pass(data, w, 0.0, g0, 1)?;
    // The model of s·u with s of the size of y, so that the residuals' rounding (relative to
    // y) stays small against the products.
    let s = libm::sqrt(zero.loss / n).max(1e-30);
    for (j, uj) in u.iter_mut().enumerate() {
        *uj = if coords.at(j).1 > 0.0 { 1.0 } else { 0.0 };
    }
    let mut uc = 1.0;
    let mut lambda = 0.0f64;
    for _ in 0..POWER_ITERATIONS {
        let len = norm(u, uc);
        for uj in u.iter_mut() {
            *uj *= s / len;
        }
        let mut b = 0.0f32;
        coords.model_of(u, uc * s / len, w, &mut b)?;
        let sums = pass(data, w, b, grad, 1)?;
        for (gj, &g0j) in grad.iter_mut().zip(g0.iter()) {
            *gj -= g0j;
        }
        // (2/n)·Z̃ᵀZ̃·(u/‖u‖), from Σ pᵢxᵢ and Σ pᵢ of pᵢ = s·z̃ᵢ·u/‖u‖.
        uc = coords.standardise(grad, sums.bias - zero.bias, 2.0 / (n * s));
        u.copy_from_slice(grad);
        let next = norm(u, uc);
        let done = (next - lambda).abs() <= 1e-6 * next;
        lambda = next;
        if done {
            break;
        }
    }
    Ok(lambda)
}

impl Regression {
    /// Fits `w` and `b` (in the original units, starting from their values) to `data`.
    /// `stats` holds the features' moments ([`moments`](crate::stats::moments); it may be
    /// empty if `standardize` is off); `work` is scratch of `4·d` values. `observer` sees
    /// every epoch (the loss at the model the epoch started from) and can stop the fit.
    ///
    /// # Errors
    /// Before any change to `w` and `b`: [`Error::Length`] for `w`, `stats` or `work`;
    /// [`Error::InvalidParameter`] for a rate that is not a positive normal float, a `tol` or
    /// `gtol` that is not finite and ≥ 0, or a non-finite `w` or `b`;
    /// [`Error::NonFiniteData`] naming the first NaN/∞ in the data. During the fit:
    /// [`Error::Diverged`] as [`GradientDescent::fit`](crate::GradientDescent::fit) reports
    /// it, with `w` and `b` the model of the epoch before.
    ///
    /// # Example
    /// ```
    /// use steepest::{Control, RowMajor, regression::Regression, stats::{Moments, moments}};
    /// let data = RowMajor::new(&[10.0, 20.0, 30.0, 40.0], &[25.0, 45.0, 65.0, 85.0], 4, 1)?.into();
    /// let mut stats = [Moments::default()];
    /// moments(&data, &mut stats)?;
    /// let (mut w, mut b, mut work) = ([0.0f32], 0.0f32, [0.0f64; 4]);
    /// let mut epochs = 0;
    /// Regression::default().fit(&data, &stats, &mut w, &mut b, &mut work, |_| {
    ///     epochs += 1;
    ///     Control::Continue
    /// })?;
    /// assert!((w[0] - 2.0).abs() < 1e-4 && (b - 5.0).abs() < 1e-3, "{w:?} {b}"); // y = 2x + 5
    /// # Ok::<(), steepest::Error>(())
    /// ```
    pub fn fit(
        &self,
        data: &Dataset<'_>,
        stats: &[Moments],
        w: &mut [f32],
        b: &mut f32,
        work: &mut [f64],
        observer: impl FnMut(&Epoch<'_>) -> Control,
    ) -> Result<RegressionReport, Error> {
        self.fit_passes(&mut { *data }, stats, w, b, work, observer)
    }

    /// [`fit`](Self::fit) with its passes run by `passes`: data in memory, or an engine's
    /// aggregate query. The same sums give the same fit.
    ///
    /// # Errors
    /// As [`fit`](Self::fit), and the errors of `passes`.
    ///
    /// # Example
    /// ```
    /// use steepest::{Control, RowMajor, regression::Regression, stats::{Moments, moments}};
    /// let data = RowMajor::new(&[10.0, 20.0, 30.0, 40.0], &[25.0, 45.0, 65.0, 85.0], 4, 1)?.into();
    /// let mut stats = [Moments::default()];
    /// moments(&data, &mut stats)?;
    /// let (mut w, mut b, mut work) = ([0.0f32], 0.0f32, [0.0f64; 4]);
    /// let fit = Regression::default();
    /// fit.fit_passes(&mut { data }, &stats, &mut w, &mut b, &mut work, |_| Control::Continue)?;
    /// assert!((w[0] - 2.0).abs() < 1e-4 && (b - 5.0).abs() < 1e-3, "{w:?} {b}");
    /// # Ok::<(), steepest::Error>(())
    /// ```
    pub fn fit_passes(
        &self,
        data: &mut impl Passes,
        stats: &[Moments],
        w: &mut [f32],
        b: &mut f32,
        work: &mut [f64],
        mut observer: impl FnMut(&Epoch<'_>) -> Control,
    ) -> Result<RegressionReport, Error> {
        let d = data.d();
        check_len(What::Weights, d, w.len())?;
        if self.standardize {
            check_len(What::Scratch, d, stats.len())?;
        }
        let [grad, g0, v, saved] = split::<4>(work, d)?;
        self.validate(w, *b)?;
        let coords = Coords {
            stats: self.standardize.then_some(stats),
            d,
        };
        // The caller's model, exactly (f32 → f64 is exact), to restore on an early error.
        for (s, &wj) in saved.iter_mut().zip(w.iter()) {
            *s = f64::from(wj);
        }
        let start_b = *b;
        let (rate, lambda) = match self.rate {
            Rate::Fixed(r) => (r, None),
            Rate::Auto => match power(data, coords, w, grad, g0, v) {
                Ok(l) => (1.0 / l, Some(l)),
                Err(e) => {
                    for (wj, &s) in w.iter_mut().zip(saved.iter()) {
                        *wj = s as f32;
                    }
                    *b = start_b;
                    return Err(e);
                }
            },
        };
        for (wj, &s) in w.iter_mut().zip(saved.iter()) {
            *wj = s as f32;
        }
        *b = start_b;
        let mut c = coords.params_of(w, *b, v);
        let n = data.n() as f64;
        let mut growth = Growth::new(data);
        let (mut best, mut bad) = (f64::INFINITY, 0u32);
        let mut epoch = 0;
        let reason = loop {
            let sums = pass(data, w, *b, grad, epoch + 1)?;
            let loss = sums.mse();
            growth.check(data, w, *b, loss, epoch + 1)?;
            if epoch == self.max_epochs {
                break StopReason::MaxEpochs;
            }
            let gc = coords.standardise(grad, sums.bias, 2.0 / n);
            let gnorm = norm(grad, gc);
            // The update; if its model is not finite, the epoch's model is put back.
            for (s, &wj) in saved.iter_mut().zip(w.iter()) {
                *s = f64::from(wj);
            }
            let epoch_b = *b;
            for (vj, &gj) in v.iter_mut().zip(grad.iter()) {
                *vj -= rate * gj;
            }
            c -= rate * gc;
            if coords.model_of(v, c, w, b).is_err() {
                for (wj, &s) in w.iter_mut().zip(saved.iter()) {
                    *wj = s as f32;
                }
                *b = epoch_b;
                return Err(Error::Diverged {
                    epoch: epoch + 1,
                    what: What::Weights,
                });
            }
            epoch += 1;
            if observer(&Epoch {
                epoch,
                loss,
                w,
                b: *b,
            }) == Control::Stop
            {
                break StopReason::Observer;
            }
            if let Some(tol) = self.tol {
                bad = if loss < (1.0 - tol) * best {
                    0
                } else {
                    bad + 1
                };
                best = best.min(loss);
            }
            let small_change = bad >= self.n_iter_no_change.max(1);
            let small_gradient =
                matches!(self.gtol, Some(gtol) if gnorm <= gtol * libm::sqrt(loss));
            if small_change || small_gradient {
                break StopReason::Converged;
            }
        };
        let sums = pass(data, w, *b, grad, epoch + 1)?;
        growth.check(data, w, *b, sums.mse(), epoch + 1)?;
        Ok(RegressionReport {
            epochs: epoch,
            loss: sums.mse(),
            reason,
            rate,
            lambda_max: lambda,
        })
    }

    fn validate(&self, w: &[f32], b: f32) -> Result<(), Error> {
        if let Rate::Fixed(r) = self.rate
            && !(r.is_normal() && r > 0.0)
        {
            return Err(Error::InvalidParameter {
                what: What::LearningRate,
                value: r,
            });
        }
        for t in [self.tol, self.gtol].into_iter().flatten() {
            if !(t.is_finite() && t >= 0.0) {
                return Err(Error::InvalidParameter {
                    what: What::Tolerance,
                    value: t,
                });
            }
        }
        check_model(w, b)
    }
}
