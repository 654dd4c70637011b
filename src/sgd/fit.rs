//! [`Sgd::fit`]: epochs until a stopping rule, as scikit-learn's `SGDRegressor.fit`.

use rand_core::Rng;

use super::Sgd;
use super::schedule::Schedule;
use super::update::Update;
use crate::data::Dataset;
use crate::error::{Error, What};
use crate::gd::{Control, Epoch, StopReason};

/// How far an epoch's loss may exceed the reference loss before [`Sgd::fit`] calls the run
/// diverged: the larger of the first epoch's loss and the mean of `y²`.
///
/// # Example
/// ```
/// assert_eq!(steepest::sgd::DIVERGENCE_FACTOR, 1e4);
/// ```
pub const DIVERGENCE_FACTOR: f64 = 1e4;

/// When [`Sgd::fit`] stops (scikit-learn's `max_iter`, `tol`, `n_iter_no_change`).
///
/// # Example
/// ```
/// use rand_xoshiro::{Xoshiro128PlusPlus, rand_core::SeedableRng};
/// use steepest::{Control, RowMajor, StopReason, sgd::{Constant, Plain, Sgd, Stopping}};
/// let data = RowMajor::new(&[1.0, 2.0, 3.0, 4.0], &[2.0, 4.0, 6.0, 8.0], 4, 1)?;
/// let (mut w, mut b, mut order) = ([0.0f32], 0.0f32, [0u32; 4]);
/// let mut rng = Xoshiro128PlusPlus::seed_from_u64(1);
/// let mut sgd = Sgd::new(Plain, Constant(0.02));
/// let stop = Stopping { max_epochs: 50, tol: None, ..Stopping::default() };
/// let report = sgd.fit(&data.into(), &mut w, &mut b, &mut order, &mut rng, stop, |_| Control::Continue)?;
/// assert_eq!((report.epochs, report.reason), (50, StopReason::MaxEpochs));
/// # Ok::<(), steepest::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stopping {
    /// The most epochs.
    pub max_epochs: usize,
    /// `None`: run every epoch. `Some(tol)`: stop after `n_iter_no_change` epochs whose loss
    /// is above `best − tol`.
    pub tol: Option<f64>,
    /// Epochs without improvement before stopping (at least 1 is used).
    pub n_iter_no_change: u32,
}

impl Default for Stopping {
    /// scikit-learn's defaults: 1000 epochs, `tol = 1e-3`, 5 epochs.
    fn default() -> Self {
        Stopping {
            max_epochs: 1000,
            tol: Some(1e-3),
            n_iter_no_change: 5,
        }
    }
}

/// The outcome of [`Sgd::fit`].
///
/// # Example
/// ```
/// use rand_xoshiro::{Xoshiro128PlusPlus, rand_core::SeedableRng};
/// use steepest::{Control, RowMajor, StopReason, sgd::{Constant, Plain, Sgd, Stopping}};
/// let data = RowMajor::new(&[1.0, 2.0, 3.0, 4.0], &[2.0, 4.0, 6.0, 8.0], 4, 1)?;
/// let (mut w, mut b, mut order) = ([0.0f32], 0.0f32, [0u32; 4]);
/// let mut rng = Xoshiro128PlusPlus::seed_from_u64(1);
/// let mut sgd = Sgd::new(Plain, Constant(0.02));
/// let report = sgd.fit(&data.into(), &mut w, &mut b, &mut order, &mut rng, Stopping::default(), |_| Control::Continue)?;
/// assert_eq!(report.reason, StopReason::Converged); // tol = 1e-3, as scikit-learn's
/// assert!(report.epochs < 1000 && report.loss < 0.1);
/// # Ok::<(), steepest::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FitReport {
    /// Epochs run.
    pub epochs: usize,
    /// The last epoch's loss (the mean of its samples' squared errors before each update;
    /// NaN if no epoch ran).
    pub loss: f64,
    /// Why it stopped.
    pub reason: StopReason,
}

impl<U: Update, S: Schedule> Sgd<U, S> {
    /// Epochs until `stop` says so, as scikit-learn's `SGDRegressor.fit` does: at most
    /// `max_epochs`; with a tolerance, stop once `n_iter_no_change` consecutive epochs fail to
    /// bring the epoch loss below `best − tol`. `observer` sees every epoch after it ran and
    /// can stop the fit.
    ///
    /// An epoch whose loss exceeds [`DIVERGENCE_FACTOR`] times the reference loss, the larger
    /// of the first epoch's and the mean of `y²` (the loss of the zero model), ends the fit
    /// with [`Error::Diverged`]: a stable run's epoch loss stays near or below where it
    /// started, while an unstable one grows geometrically and passes any such factor within
    /// a few epochs.
    ///
    /// # Errors
    /// As [`epoch`](Self::epoch); also [`Error::InvalidParameter`] for a tolerance that is
    /// not finite and ≥ 0, and [`Error::Diverged`] (the loss) as above. On an error the model
    /// holds the result of the steps before it.
    ///
    /// # Example
    /// ```
    /// use rand_xoshiro::{Xoshiro128PlusPlus, rand_core::SeedableRng};
    /// use steepest::{Control, RowMajor, StopReason, sgd::{Constant, Plain, Sgd, Stopping}};
    /// let data = RowMajor::new(&[1.0, 2.0, 3.0, 4.0], &[2.0, 4.0, 6.0, 8.0], 4, 1)?;
    /// let (mut w, mut b, mut order) = ([0.0f32], 0.0f32, [0u32; 4]);
    /// let mut rng = Xoshiro128PlusPlus::seed_from_u64(1);
    /// let stop = Stopping { max_epochs: 10_000, tol: Some(1e-9), n_iter_no_change: 5 };
    /// let report = Sgd::new(Plain, Constant(0.02))
    ///     .fit(&data.into(), &mut w, &mut b, &mut order, &mut rng, stop, |_| Control::Continue)?;
    /// assert_eq!(report.reason, StopReason::Converged);
    /// assert!((w[0] - 2.0).abs() < 1e-3);
    /// # Ok::<(), steepest::Error>(())
    /// ```
    #[allow(clippy::too_many_arguments)] // data, model (2), order, rng, stopping, observer
    pub fn fit<R: Rng + ?Sized>(
        &mut self,
        data: &Dataset<'_>,
        w: &mut [f32],
        b: &mut f32,
        order: &mut [u32],
        rng: &mut R,
        stop: Stopping,
        mut observer: impl FnMut(&Epoch<'_>) -> Control,
    ) -> Result<FitReport, Error> {
        if let Some(tol) = stop.tol
            && !(tol.is_finite() && tol >= 0.0)
        {
            return Err(Error::InvalidParameter {
                what: What::Tolerance,
                value: tol,
            });
        }
        let (mut best, mut bad) = (f64::INFINITY, 0u32);
        let mut last = f64::NAN;
        let mean_y2 = data
            .y()
            .iter()
            .map(|&v| f64::from(v) * f64::from(v))
            .sum::<f64>()
            / data.n().max(1) as f64;
        let mut reference = mean_y2;
        for epoch in 1..=stop.max_epochs {
            let report = self.epoch(data, w, b, order, rng)?;
            last = report.loss;
            if epoch == 1 {
                reference = reference.max(report.loss);
            } else if report.loss > DIVERGENCE_FACTOR * reference {
                return Err(Error::Diverged {
                    epoch,
                    what: What::Loss,
                });
            }
            if observer(&Epoch {
                epoch,
                loss: report.loss,
                w,
                b: *b,
            }) == Control::Stop
            {
                return Ok(FitReport {
                    epochs: epoch,
                    loss: last,
                    reason: StopReason::Observer,
                });
            }
            if let Some(tol) = stop.tol {
                bad = if report.loss > best - tol { bad + 1 } else { 0 };
                best = best.min(report.loss);
                if bad >= stop.n_iter_no_change.max(1) {
                    return Ok(FitReport {
                        epochs: epoch,
                        loss: last,
                        reason: StopReason::Converged,
                    });
                }
            }
        }
        Ok(FitReport {
            epochs: stop.max_epochs,
            loss: last,
            reason: StopReason::MaxEpochs,
        })
    }
}
