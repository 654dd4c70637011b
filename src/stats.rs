//! Feature statistics in one pass: the count, mean and sum of squared deviations of every
//! feature and of the target, in f64, numerically stable and mergeable.
//!
//! Each block of up to [`BLOCK`] rows is summed as shifted sums `Σ (v − K)` and `Σ (v − K)²`
//! with `K` the block's first value (no division per value, and no cancellation when the
//! values are far from zero but close to each other), turned into `(count, mean, M2)` and
//! merged into the total by Chan et al.'s formula, which [`Moments::merge`] also offers for
//! sums computed elsewhere (chunks, threads, machines).

use crate::data::{ColMajor, Dataset, RowMajor, check_len};
use crate::error::{Error, What};

/// Rows per block of shifted sums.
///
/// # Example
/// ```
/// assert_eq!(steepest::stats::BLOCK, 4096);
/// ```
pub const BLOCK: usize = 4096;

/// The count, mean and sum of squared deviations (`M2`) of some values.
///
/// # Example
/// ```
/// use steepest::stats::Moments;
/// let a = Moments::of(&[1.0, 2.0, 3.0]);
/// let b = Moments::of(&[4.0, 5.0]);
/// let all = a.merge(b);
/// assert_eq!((all.count, all.mean, all.m2), (5.0, 3.0, 10.0));
/// assert_eq!(all.std(), 2f64.sqrt());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Moments {
    /// How many values.
    pub count: f64,
    /// Their mean.
    pub mean: f64,
    /// `Σ (v − mean)²`.
    pub m2: f64,
}

impl Moments {
    /// The moments of `values`, by shifted sums.
    ///
    /// # Example
    /// ```
    /// let m = steepest::stats::Moments::of(&[1e6 + 1.0, 1e6 + 2.0, 1e6 + 3.0]);
    /// assert_eq!((m.mean, m.m2), (1e6 + 2.0, 2.0)); // no cancellation
    /// ```
    pub fn of(values: &[f32]) -> Moments {
        let mut all = Moments::default();
        for block in values.chunks(BLOCK) {
            all = all.merge(block_moments(block.iter().copied()));
        }
        all
    }

    /// The moments of the union of two sets of values (Chan, Golub and LeVeque).
    ///
    /// # Example
    /// ```
    /// use steepest::stats::Moments;
    /// let m = Moments::of(&[2.0]).merge(Moments::of(&[4.0]));
    /// assert_eq!((m.count, m.mean, m.m2), (2.0, 3.0, 2.0));
    /// ```
    #[must_use]
    pub fn merge(self, other: Moments) -> Moments {
        if other.count == 0.0 {
            return self;
        }
        if self.count == 0.0 {
            return other;
        }
        let count = self.count + other.count;
        let delta = other.mean - self.mean;
        Moments {
            count,
            mean: self.mean + delta * (other.count / count),
            m2: self.m2 + other.m2 + delta * delta * (self.count * other.count / count),
        }
    }

    /// The population variance `M2 / count` (0 for no values).
    ///
    /// # Example
    /// ```
    /// assert_eq!(steepest::stats::Moments::of(&[1.0, 3.0]).variance(), 1.0);
    /// ```
    pub fn variance(&self) -> f64 {
        if self.count > 0.0 {
            self.m2 / self.count
        } else {
            0.0
        }
    }

    /// The population standard deviation, as scikit-learn's `StandardScaler` uses it.
    ///
    /// # Example
    /// ```
    /// assert_eq!(steepest::stats::Moments::of(&[1.0, 3.0]).std(), 1.0);
    /// ```
    pub fn std(&self) -> f64 {
        libm::sqrt(self.variance())
    }
}

/// Shifted sums of one variable over one block.
#[derive(Clone, Copy)]
struct Shifted {
    shift: f64,
    count: f64,
    sum: f64,
    sum_sq: f64,
}

impl Shifted {
    fn new(shift: f32) -> Self {
        Shifted {
            shift: f64::from(shift),
            count: 0.0,
            sum: 0.0,
            sum_sq: 0.0,
        }
    }

    #[inline(always)]
    fn add(&mut self, v: f32) {
        let t = f64::from(v) - self.shift;
        self.count += 1.0;
        self.sum += t;
        self.sum_sq += t * t;
    }

    fn moments(&self) -> Moments {
        if self.count == 0.0 {
            return Moments::default();
        }
        let mean_t = self.sum / self.count;
        Moments {
            count: self.count,
            mean: self.shift + mean_t,
            m2: (self.sum_sq - self.sum * mean_t).max(0.0),
        }
    }
}

/// The moments of every feature (into `x`, `d` values, overwritten) and of the target, in one
/// pass over `data`.
///
/// # Errors
/// [`Error::Length`] if `x` does not have `d` elements; [`Error::NonFiniteData`] naming the
/// first NaN or ±∞ (then `x` holds unspecified values).
///
/// # Example
/// ```
/// use steepest::{RowMajor, stats::{Moments, moments}};
/// let data = RowMajor::new(&[1.0, 10.0, 2.0, 20.0, 3.0, 30.0], &[5.0, 6.0, 7.0], 3, 2)?;
/// let mut x = [Moments::default(); 2];
/// let y = moments(&data.into(), &mut x)?;
/// assert_eq!((x[0].mean, x[1].mean, y.mean), (2.0, 20.0, 6.0));
/// assert_eq!((x[0].m2, x[1].m2, y.m2), (2.0, 200.0, 2.0));
/// # Ok::<(), steepest::Error>(())
/// ```
pub fn moments(data: &Dataset<'_>, x: &mut [Moments]) -> Result<Moments, Error> {
    #[cfg(feature = "parallel")]
    return crate::parallel::moments(data, x);
    #[cfg(not(feature = "parallel"))]
    moments_with(data, x, serial)
}

/// The serial statistics pass.
pub(crate) fn serial(data: &Dataset<'_>, x: &mut [Moments]) -> Moments {
    match data {
        Dataset::RowMajor(v) => row_major(v, x),
        Dataset::ColMajor(v) => col_major(v, x),
    }
}

/// [`moments`] with the pass `f`: the checks of the arguments and of the results.
pub(crate) fn moments_with(
    data: &Dataset<'_>,
    x: &mut [Moments],
    f: impl FnOnce(&Dataset<'_>, &mut [Moments]) -> Moments,
) -> Result<Moments, Error> {
    check_len(What::Scratch, data.d(), x.len())?;
    let y = f(data, x);
    let finite = |m: &Moments| m.mean.is_finite() && m.m2.is_finite();
    if finite(&y) && x.iter().all(finite) {
        Ok(y)
    } else {
        Err(data
            .check_finite()
            .err()
            .unwrap_or(Error::NonFinite(What::X)))
    }
}

pub(crate) fn row_major(v: &RowMajor<'_>, out: &mut [Moments]) -> Moments {
    out.fill(Moments::default());
    let d = v.d();
    let mut y = Moments::default();
    for (rows, ys) in v.x().chunks(BLOCK * d).zip(v.y().chunks(BLOCK)) {
        // One block: the sums of a block fit in a few cache lines per feature; `out` is
        // merged once per block.
        y = y.merge(block_moments(ys.iter().copied()));
        for (j, m) in out.iter_mut().enumerate() {
            *m = m.merge(block_moments(feature(rows, d, j)));
        }
    }
    y
}

/// Feature `j`'s values in a block of row-major rows of `d` values.
pub(crate) fn feature(rows: &[f32], d: usize, j: usize) -> impl Iterator<Item = f32> + '_ {
    rows.iter().skip(j).step_by(d.max(1)).copied()
}

/// The moments of one block of values, from shifted sums with the first value as the shift;
/// [`Moments::merge`] of the blocks' moments in order gives every result of this module.
pub(crate) fn block_moments(values: impl Iterator<Item = f32>) -> Moments {
    let mut values = values.peekable();
    let mut s = Shifted::new(values.peek().copied().unwrap_or(0.0));
    for v in values {
        s.add(v);
    }
    s.moments()
}

pub(crate) fn col_major(v: &ColMajor<'_>, out: &mut [Moments]) -> Moments {
    for (m, col) in out.iter_mut().zip(v.columns()) {
        *m = Moments::of(col);
    }
    Moments::of(v.y())
}
