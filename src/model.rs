//! A fitted linear model: predictions into a caller buffer, and scores in one pass.

use crate::data::{ColMajor, Dataset, RowMajor, check_len};
use crate::error::{Error, What};
use crate::gd::check_model;
use crate::sgd::fast::{row_residual, seq_residual};
use crate::stats::Moments;

/// `y ≈ x·w + b`, with the weights in any storage (`[f32; D]` in firmware, `Vec<f32>` on a
/// server, a borrowed slice).
///
/// # Example
/// ```
/// use steepest::{LinearModel, RowMajor};
/// let model = LinearModel { weights: [2.0f32], intercept: 1.0 };
/// let data = RowMajor::new(&[0.0, 1.0, 2.0], &[1.0, 3.0, 5.5], 3, 1)?;
/// let mut p = [0.0f32; 3];
/// model.predict(&data.into(), &mut p)?;
/// assert_eq!(p, [1.0, 3.0, 5.0]);
/// let s = model.score(&data.into())?;
/// assert!((s.mse - 0.25 / 3.0).abs() < 1e-12 && s.r2 > 0.97);
/// # Ok::<(), steepest::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct LinearModel<W> {
    /// `w`, one weight per feature.
    pub weights: W,
    /// `b`.
    pub intercept: f32,
}

/// How well a model fits some data, from one pass.
///
/// # Example
/// ```
/// use steepest::{LinearModel, RowMajor};
/// let data = RowMajor::new(&[0.0, 1.0], &[1.0, 2.0], 2, 1)?;
/// let s = LinearModel { weights: [1.0f32], intercept: 1.0 }.score(&data.into())?;
/// assert_eq!((s.mse, s.rmse, s.mae, s.r2), (0.0, 0.0, 0.0, 1.0));
/// # Ok::<(), steepest::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scores {
    /// Mean squared error `Σ r² / n`.
    pub mse: f64,
    /// Its square root.
    pub rmse: f64,
    /// Mean absolute error `Σ |r| / n`.
    pub mae: f64,
    /// The coefficient of determination `1 − Σ r² / Σ (y − ȳ)²` (as scikit-learn's `r2_score`:
    /// 1 for a perfect fit, 0 for the mean, and 0 when `y` is constant and the fit is not
    /// perfect... 1 if it is).
    pub r2: f64,
}

impl<W: AsRef<[f32]>> LinearModel<W> {
    /// Writes `x·w + b` for every sample into `out` (`n` values), in f32 with the SGD
    /// stepper's order of additions (row-major: 8-wide chunks summed lane by lane, then the
    /// lanes in a fixed tree, then the tail; column-major: features in order): the same bits
    /// on every target.
    ///
    /// # Errors
    /// [`Error::Length`] if the model does not have `d` weights or `out` does not have `n`
    /// values; [`Error::InvalidParameter`] for a non-finite weight or intercept.
    ///
    /// # Example
    /// ```
    /// use steepest::{ColMajor, LinearModel};
    /// let data = ColMajor::new(&[1.0, 2.0, 10.0, 20.0], &[0.0; 2], 2, 2, 2)?;
    /// let mut p = [0.0f32; 2];
    /// LinearModel { weights: [1.0f32, 0.5], intercept: -1.0 }.predict(&data.into(), &mut p)?;
    /// assert_eq!(p, [5.0, 11.0]);
    /// # Ok::<(), steepest::Error>(())
    /// ```
    pub fn predict(&self, data: &Dataset<'_>, out: &mut [f32]) -> Result<(), Error> {
        let w = self.check(data)?;
        check_len(What::Y, data.n(), out.len())?;
        let b = self.intercept;
        match data {
            Dataset::RowMajor(v) => {
                for (p, row) in out.iter_mut().zip(v.x().chunks_exact(v.d().max(1))) {
                    *p = row_residual(row, w, b, 0.0);
                }
            }
            Dataset::ColMajor(v) => {
                for (i, p) in out.iter_mut().enumerate() {
                    *p = seq_residual(sample(v, i), w, b, 0.0);
                }
            }
        }
        Ok(())
    }

    /// MSE, RMSE, MAE and R² on `data`, in one pass, with the residuals formed as
    /// [`predict`](Self::predict) forms the predictions and summed in f64.
    ///
    /// # Errors
    /// As [`predict`](Self::predict); [`Error::NonFiniteData`] if the data hold NaN/∞.
    ///
    /// # Example
    /// ```
    /// use steepest::{LinearModel, RowMajor};
    /// let data = RowMajor::new(&[0.0, 1.0, 2.0, 3.0], &[0.0, 2.0, 4.0, 7.0], 4, 1)?;
    /// let s = LinearModel { weights: [2.0f32], intercept: 0.0 }.score(&data.into())?;
    /// assert_eq!((s.mse, s.mae), (0.25, 0.25)); // one residual of 1
    /// # Ok::<(), steepest::Error>(())
    /// ```
    pub fn score(&self, data: &Dataset<'_>) -> Result<Scores, Error> {
        let w = self.check(data)?;
        let b = self.intercept;
        let (mut sq, mut abs) = (0.0f64, 0.0f64);
        let mut add = |r: f32| {
            let r = f64::from(r);
            sq += r * r;
            abs += r.abs();
        };
        match data {
            Dataset::RowMajor(v) => rows(v, w, b, &mut add),
            Dataset::ColMajor(v) => {
                for (i, &y) in v.y().iter().enumerate() {
                    add(seq_residual(sample(v, i), w, b, y));
                }
            }
        }
        let y = Moments::of(data.y());
        if !(sq.is_finite() && abs.is_finite() && y.m2.is_finite()) {
            return Err(data
                .check_finite()
                .err()
                .unwrap_or(Error::NonFinite(What::Loss)));
        }
        let n = data.n() as f64;
        let r2 = if y.m2 > 0.0 {
            1.0 - sq / y.m2
        } else if sq == 0.0 {
            1.0
        } else {
            0.0
        };
        Ok(Scores {
            mse: sq / n,
            rmse: libm::sqrt(sq / n),
            mae: abs / n,
            r2,
        })
    }

    fn check(&self, data: &Dataset<'_>) -> Result<&[f32], Error> {
        let w = self.weights.as_ref();
        check_len(What::Weights, data.d(), w.len())?;
        check_model(w, self.intercept)?;
        Ok(w)
    }
}

fn rows(v: &RowMajor<'_>, w: &[f32], b: f32, add: &mut impl FnMut(f32)) {
    for (row, &y) in v.x().chunks_exact(v.d().max(1)).zip(v.y()) {
        add(row_residual(row, w, b, y));
    }
}

fn sample<'a>(v: &ColMajor<'a>, i: usize) -> impl Iterator<Item = f32> + 'a {
    v.columns()
        .map(move |c| c.get(i).copied().unwrap_or(f32::NAN))
}
