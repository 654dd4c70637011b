//! Where a driver's passes run: the [`Passes`] trait, data in memory's implementation, and
//! the drivers' error mapping of a pass.

use crate::data::Dataset;
use crate::error::Error;
use crate::kernels::Sums;

/// Where a driver's passes run: over data in memory ([`Dataset`]), or elsewhere (an engine's
/// aggregate query, other machines). [`Regression::fit_passes`](crate::regression::Regression::fit_passes)
/// runs the same fit over any of them.
///
/// # Example
/// ```
/// use steepest::{Dataset, Passes, RowMajor};
/// let mut data: Dataset = RowMajor::new(&[1.0, 2.0], &[2.0, 4.0], 2, 1)?.into();
/// let mut g = [0.0];
/// let s = Passes::pass(&mut data, &[0.0], 0.0, &mut g)?;
/// assert_eq!((s.loss, g[0], data.magnitudes()?), (20.0, -10.0, (20.0, 5.0)));
/// # Ok::<(), steepest::Error>(())
/// ```
pub trait Passes {
    /// The number of samples.
    ///
    /// # Example
    /// ```
    /// use steepest::{Dataset, Passes, RowMajor};
    /// let mut data: Dataset = RowMajor::new(&[1.0, 2.0], &[2.0, 4.0], 2, 1)?.into();
    /// assert_eq!(Passes::n(&data), 2);
    /// # Ok::<(), steepest::Error>(())
    /// ```
    fn n(&self) -> usize;
    /// The number of features.
    ///
    /// # Example
    /// ```
    /// use steepest::{Dataset, Passes, RowMajor};
    /// let mut data: Dataset = RowMajor::new(&[1.0, 2.0], &[2.0, 4.0], 2, 1)?.into();
    /// assert_eq!(Passes::d(&data), 1);
    /// # Ok::<(), steepest::Error>(())
    /// ```
    fn d(&self) -> usize;
    /// One fused pass of the model `(w, b)`: its sums, and `Σ rᵢ·xᵢⱼ` written into `grad`.
    ///
    /// # Errors
    /// As [`kernels::simd::gradient`](crate::kernels::simd::gradient): a length, or
    /// [`Error::NonFinite`] when a sum is not finite.
    ///
    /// # Example
    /// ```
    /// use steepest::{Dataset, Passes, RowMajor};
    /// let mut data: Dataset = RowMajor::new(&[1.0, 2.0], &[2.0, 4.0], 2, 1)?.into();
    /// let mut g = [0.0];
    /// assert_eq!(data.pass(&[2.0], 0.0, &mut g)?.loss, 0.0); // y = 2x exactly
    /// # Ok::<(), steepest::Error>(())
    /// ```
    fn pass(&mut self, w: &[f32], b: f32, grad: &mut [f64]) -> Result<Sums, Error>;
    /// `Σ yᵢ²` and `Σᵢⱼ xᵢⱼ²` in f64: the scale of the divergence test, asked for at most once
    /// per fit, the first time the loss grows.
    ///
    /// # Errors
    /// Whatever computing them can fail with.
    ///
    /// # Example
    /// ```
    /// use steepest::{Dataset, Passes, RowMajor};
    /// let mut data: Dataset = RowMajor::new(&[1.0, 2.0], &[2.0, 4.0], 2, 1)?.into();
    /// assert_eq!(data.magnitudes()?, (20.0, 5.0)); // 2² + 4², 1² + 2²
    /// # Ok::<(), steepest::Error>(())
    /// ```
    fn magnitudes(&mut self) -> Result<(f64, f64), Error>;
    /// The error to report when the first pass is not finite: by default `error` itself; data
    /// in memory name the first NaN or infinity.
    ///
    /// # Example
    /// ```
    /// use steepest::{Dataset, Error, Passes, RowMajor, What};
    /// let mut data: Dataset = RowMajor::new(&[1.0, f32::NAN], &[2.0, 4.0], 2, 1)?.into();
    /// let e = data.locate_non_finite(Error::NonFinite(What::Loss));
    /// assert_eq!(e, Error::NonFiniteData { what: What::X, row: 1, col: 0 });
    /// # Ok::<(), steepest::Error>(())
    /// ```
    fn locate_non_finite(&mut self, error: Error) -> Error {
        error
    }
}

impl Passes for Dataset<'_> {
    fn n(&self) -> usize {
        Dataset::n(self)
    }

    fn d(&self) -> usize {
        Dataset::d(self)
    }

    fn pass(&mut self, w: &[f32], b: f32, grad: &mut [f64]) -> Result<Sums, Error> {
        #[cfg(feature = "parallel")]
        let sums = crate::parallel::gradient(self, w, b, grad);
        #[cfg(not(feature = "parallel"))]
        let sums = crate::kernels::simd::gradient(self, w, b, grad);
        sums
    }

    fn magnitudes(&mut self) -> Result<(f64, f64), Error> {
        Ok(magnitudes(self))
    }

    fn locate_non_finite(&mut self, error: Error) -> Error {
        self.check_finite().err().unwrap_or(error)
    }
}

/// One pass at the start of `epoch`; a non-finite result is the data's fault at the first
/// epoch (located then, on the error path) and divergence after it.
pub(crate) fn pass(
    data: &mut impl Passes,
    w: &[f32],
    b: f32,
    grad: &mut [f64],
    epoch: usize,
) -> Result<Sums, Error> {
    data.pass(w, b, grad).map_err(|e| match e {
        Error::NonFinite(what) if epoch > 1 => Error::Diverged { epoch, what },
        Error::NonFinite(what) => data.locate_non_finite(Error::NonFinite(what)),
        other => other,
    })
}

/// `Σ yᵢ²` and `Σ xᵢⱼ²` in f64.
fn magnitudes(data: &Dataset<'_>) -> (f64, f64) {
    let sq = |v: &[f32]| v.iter().map(|&a| f64::from(a) * f64::from(a)).sum::<f64>();
    let xx = match data {
        Dataset::RowMajor(v) => sq(v.x()),
        Dataset::ColMajor(v) => v.columns().map(sq).sum(),
    };
    (sq(data.y()), xx)
}
