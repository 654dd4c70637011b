//! SGD in standardised coordinates without a copy of the data: each sample is mapped to
//! `zⱼ = (xⱼ − μⱼ)·sⱼ` (`sⱼ = 1/σⱼ`) as it is used, in a `d`-value scratch buffer (or in the
//! mini-batch buffers, which are filled anyway), and the stepper learns the model `v`, `c` of
//! `z`. [`Scaling::original`] turns it into the model of the data, `wⱼ = vⱼ·sⱼ`,
//! `b = c − Σⱼ μⱼ·wⱼ`. A constant feature (`σⱼ = 0`) gets `sⱼ = 0`: its `z` is 0 and its
//! weight stays 0.

use rand_core::Rng;

use super::grad::Sample;
use super::schedule::Schedule;
use super::update::Update;
use super::{EpochReport, Sgd};
use crate::data::{Dataset, check_len};
use crate::error::{Error, What};
use crate::gd::check_model;
use crate::shuffle::permutation;
use crate::stats::Moments;

/// The per-feature affine map of standardisation: `zⱼ = (xⱼ − μⱼ)·sⱼ`.
///
/// # Example
/// ```
/// use steepest::sgd::Scaling;
/// let s = Scaling::new(&[10.0, 0.0], &[0.5, 1.0])?;
/// let mut w = [0.0f32; 2];
/// let b = s.original(&[2.0, 3.0], 1.0, &mut w)?; // v·z + c = 2·(x₀ − 10)/2 + 3·x₁ + 1
/// assert_eq!((w, b), ([1.0, 3.0], -9.0));
/// # Ok::<(), steepest::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scaling<'a> {
    mean: &'a [f32],
    scale: &'a [f32],
}

impl<'a> Scaling<'a> {
    /// The map with the given means and scales (`sⱼ = 1/σⱼ`, or 0 for a constant feature).
    ///
    /// # Errors
    /// [`Error::Length`] if the two lengths differ; [`Error::InvalidParameter`] (scratch)
    /// for a non-finite mean or a scale that is negative or not finite.
    ///
    /// # Example
    /// ```
    /// use steepest::sgd::Scaling;
    /// assert!(Scaling::new(&[0.0], &[2.0]).is_ok());
    /// assert!(Scaling::new(&[0.0], &[-1.0]).is_err());
    /// ```
    pub fn new(mean: &'a [f32], scale: &'a [f32]) -> Result<Self, Error> {
        check_len(What::Scratch, mean.len(), scale.len())?;
        for (&m, &s) in mean.iter().zip(scale) {
            for (v, ok) in [(m, m.is_finite()), (s, s.is_finite() && s >= 0.0)] {
                if !ok {
                    return Err(Error::InvalidParameter {
                        what: What::Scratch,
                        value: f64::from(v),
                    });
                }
            }
        }
        Ok(Scaling { mean, scale })
    }

    /// Writes the standardisation of features with moments `m` into `mean` and `scale`
    /// (`d` values each), for [`Scaling::new`]: `μⱼ` and `1/σⱼ` (population σ, as
    /// scikit-learn's `StandardScaler`; 0 where `σⱼ` is 0 or `1/σⱼ` would not be finite).
    ///
    /// # Errors
    /// [`Error::Length`] if the buffers do not have `m.len()` values; as [`Scaling::new`].
    ///
    /// # Example
    /// ```
    /// use steepest::{sgd::Scaling, stats::Moments};
    /// let m = [Moments::of(&[1.0, 3.0]), Moments::of(&[5.0, 5.0])];
    /// let (mut mean, mut scale) = ([0.0f32; 2], [0.0f32; 2]);
    /// Scaling::compute(&m, &mut mean, &mut scale)?;
    /// assert_eq!((mean, scale), ([2.0, 5.0], [1.0, 0.0])); // the second is constant
    /// let scaling = Scaling::new(&mean, &scale)?;
    /// # Ok::<(), steepest::Error>(())
    /// ```
    pub fn compute(m: &[Moments], mean: &mut [f32], scale: &mut [f32]) -> Result<(), Error> {
        check_len(What::Scratch, m.len(), mean.len())?;
        check_len(What::Scratch, m.len(), scale.len())?;
        for ((mu, s), mj) in mean.iter_mut().zip(scale.iter_mut()).zip(m) {
            *mu = mj.mean as f32;
            let inv = 1.0 / mj.std();
            *s = if mj.std() > 0.0 && (inv as f32).is_finite() {
                inv as f32
            } else {
                0.0
            };
        }
        Scaling::new(mean, scale).map(|_| ())
    }

    /// The number of features.
    ///
    /// # Example
    /// ```
    /// assert_eq!(steepest::sgd::Scaling::new(&[0.0; 3], &[1.0; 3])?.len(), 3);
    /// # Ok::<(), steepest::Error>(())
    /// ```
    pub fn len(&self) -> usize {
        self.mean.len()
    }

    /// `true` for no features.
    ///
    /// # Example
    /// ```
    /// assert!(steepest::sgd::Scaling::new(&[], &[])?.is_empty());
    /// # Ok::<(), steepest::Error>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.mean.is_empty()
    }

    /// The model of the data's units for the standardised model `v`, `c`: `w` (overwritten)
    /// and the returned intercept, `wⱼ = vⱼ·sⱼ`, `b = c − Σⱼ μⱼ·wⱼ` (summed in f64).
    ///
    /// # Errors
    /// [`Error::Length`] if `v` or `w` does not have `d` values; [`Error::InvalidParameter`]
    /// if the result is not finite (`w` is then unspecified).
    ///
    /// # Example
    /// ```
    /// use steepest::sgd::Scaling;
    /// let mut w = [0.0f32];
    /// let b = Scaling::new(&[100.0], &[0.1])?.original(&[5.0], 2.0, &mut w)?;
    /// assert_eq!((w[0], b), (0.5, -48.0));
    /// # Ok::<(), steepest::Error>(())
    /// ```
    pub fn original(&self, v: &[f32], c: f32, w: &mut [f32]) -> Result<f32, Error> {
        check_len(What::Weights, self.len(), v.len())?;
        check_len(What::Weights, self.len(), w.len())?;
        let mut shift = 0.0f64;
        for ((wj, &vj), (&mu, &s)) in w.iter_mut().zip(v).zip(self.mean.iter().zip(self.scale)) {
            *wj = vj * s;
            shift += f64::from(mu) * f64::from(*wj);
        }
        let b = (f64::from(c) - shift) as f32;
        check_model(w, b)?;
        Ok(b)
    }

    /// Maps one sample's features `x` to `z` in place, as the scaled steps map theirs (for
    /// callers that own their data and standardise it once).
    ///
    /// # Example
    /// ```
    /// let mut x = [12.0f32, 7.0];
    /// steepest::sgd::Scaling::new(&[10.0, 7.0], &[0.5, 0.0])?.standardize_in_place(&mut x);
    /// assert_eq!(x, [1.0, 0.0]);
    /// # Ok::<(), steepest::Error>(())
    /// ```
    pub fn standardize_in_place(&self, x: &mut [f32]) {
        for (xj, (&mu, &s)) in x.iter_mut().zip(self.mean.iter().zip(self.scale)) {
            *xj = (*xj - mu) * s;
        }
    }

    /// The features of `x` mapped into `z`.
    fn standardize(&self, x: impl Iterator<Item = f32>, z: &mut [f32]) {
        for ((zj, xj), (&mu, &s)) in z.iter_mut().zip(x).zip(self.mean.iter().zip(self.scale)) {
            *zj = (xj - mu) * s;
        }
    }
}

impl<U: Update, S: Schedule> Sgd<U, S> {
    /// [`step`](Self::step) on the standardised sample `z = (x − μ)·s`, formed in the
    /// caller's scratch `z` (`d` values): the model `v`, `c` lives in `z`'s coordinates.
    ///
    /// # Errors
    /// As [`step`](Self::step), all leaving `v`, `c` and the state as they were; also
    /// [`Error::Length`] if `scaling` or `z` does not have `d` values.
    ///
    /// # Example
    /// ```
    /// use steepest::sgd::{Constant, Plain, Scaling, Sgd};
    /// // A sensor reading in the thousands: standardised, a rate of 0.05 is stable.
    /// let scaling = Scaling::new(&[2500.0], &[1.0 / 1000.0])?;
    /// let mut sgd = Sgd::new(Plain, Constant(0.05));
    /// let (mut v, mut c, mut z) = ([0.0f32], 0.0f32, [0.0f32]);
    /// for k in 0..3000 {
    ///     let x = [1000.0 + 500.0 * (k % 7) as f32];
    ///     sgd.step_scaled(&mut v, &mut c, &x, 0.004 * x[0] - 3.0, &scaling, &mut z)?;
    /// }
    /// let mut w = [0.0f32];
    /// let b = scaling.original(&v, c, &mut w)?;
    /// assert!((w[0] - 0.004).abs() < 1e-5 && (b + 3.0).abs() < 1e-2, "{w:?} {b}");
    /// # Ok::<(), steepest::Error>(())
    /// ```
    pub fn step_scaled(
        &mut self,
        v: &mut [f32],
        c: &mut f32,
        x: &[f32],
        y: f32,
        scaling: &Scaling<'_>,
        z: &mut [f32],
    ) -> Result<f32, Error> {
        check_len(What::X, v.len(), x.len())?;
        check_len(What::Scratch, v.len(), scaling.len())?;
        check_len(What::Scratch, v.len(), z.len())?;
        scaling.standardize(x.iter().copied(), z);
        self.step(v, c, z, y).map_err(|e| locate(e, x, 0))
    }

    /// [`epoch`](Self::epoch) on standardised samples: each is mapped into the scratch `z`
    /// (`d` values) as it is used, so nothing is copied. The model `v`, `c` lives in the
    /// coordinates of `scaling`.
    ///
    /// # Errors
    /// As [`epoch`](Self::epoch), and [`Error::Length`] if `scaling` or `z` does not have
    /// `d` values.
    ///
    /// # Example
    /// ```
    /// use rand_xoshiro::{Xoshiro128PlusPlus, rand_core::SeedableRng};
    /// use steepest::{RowMajor, sgd::{Constant, Plain, Scaling, Sgd}, stats::{Moments, moments}};
    /// let data = RowMajor::new(&[1e4, 2e4, 3e4, 4e4], &[2.0, 4.0, 6.0, 8.0], 4, 1)?.into();
    /// let mut m = [Moments::default()];
    /// moments(&data, &mut m)?;
    /// let (mut mean, mut scale) = ([0.0f32], [0.0f32]);
    /// Scaling::compute(&m, &mut mean, &mut scale)?;
    /// let scaling = Scaling::new(&mean, &scale)?;
    /// let (mut v, mut c, mut order, mut z) = ([0.0f32], 0.0f32, [0u32; 4], [0.0f32]);
    /// let mut rng = Xoshiro128PlusPlus::seed_from_u64(1);
    /// let mut sgd = Sgd::new(Plain, Constant(0.05));
    /// for _ in 0..300 {
    ///     sgd.epoch_scaled(&data, &mut v, &mut c, &mut order, &mut rng, &scaling, &mut z)?;
    /// }
    /// let mut w = [0.0f32];
    /// let b = scaling.original(&v, c, &mut w)?;
    /// assert!((w[0] - 2e-4).abs() < 1e-7 && b.abs() < 1e-3, "{w:?} {b}");
    /// # Ok::<(), steepest::Error>(())
    /// ```
    #[allow(clippy::too_many_arguments)] // epoch's, the scaling and its scratch
    pub fn epoch_scaled<R: Rng + ?Sized>(
        &mut self,
        data: &Dataset<'_>,
        v: &mut [f32],
        c: &mut f32,
        order: &mut [u32],
        rng: &mut R,
        scaling: &Scaling<'_>,
        z: &mut [f32],
    ) -> Result<EpochReport, Error> {
        let (n, d) = (data.n(), data.d());
        check_len(What::Weights, d, v.len())?;
        check_len(What::Order, n, order.len())?;
        check_len(What::Scratch, d, scaling.len())?;
        check_len(What::Scratch, d, z.len())?;
        self.ready(d, v, *c, n as u64)?;
        permutation(order, rng)?;
        let mut loss = 0.0f64;
        for &i in order.iter() {
            let i = i as usize;
            let y = data.y().get(i).copied().unwrap_or(f32::NAN);
            match data {
                Dataset::RowMajor(view) => {
                    let row = i
                        .checked_mul(d)
                        .and_then(|s| view.x().get(s..s.checked_add(d)?))
                        .unwrap_or(&[]);
                    scaling.standardize(row.iter().copied(), z);
                }
                Dataset::ColMajor(view) => scaling.standardize(
                    view.columns()
                        .map(|col| col.get(i).copied().unwrap_or(f32::NAN)),
                    z,
                ),
            }
            loss += f64::from(self.step_sample(v, c, Sample::Row(z), y, i)?);
        }
        let loss = loss / n as f64;
        self.schedule.end_of_epoch(loss);
        Ok(EpochReport { loss, steps: n })
    }
}

/// A non-finite `z` comes from a non-finite `x` (the map is finite): name it in `x`.
fn locate(e: Error, x: &[f32], row: usize) -> Error {
    match e {
        Error::NonFiniteData { what: What::X, .. } => Error::NonFiniteData {
            what: What::X,
            row,
            col: x.iter().position(|v| !v.is_finite()).unwrap_or(0),
        },
        other => other,
    }
}
