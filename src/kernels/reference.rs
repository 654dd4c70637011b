//! The scalar reference: plain loops that define every result of the kernels.
//!
//! Each function here has a twin of the same name and signature in
//! [`simd`](crate::kernels::simd). The residual is formed in f32 exactly as written in
//! [`residual`]; the sums over samples are accumulated in f64, so these functions are also the
//! most accurate way the crate has to compute them (and the slowest: nothing is vectorised).

use super::{Sums, check_params, finish};
use crate::data::{ColMajor, Dataset, RowMajor};
use crate::error::Error;

/// The residual of one sample: `r = ((Σⱼ xⱼ·wⱼ) + b) − y`, in f32, the dot product summed from
/// `j = 0` upwards starting at `0.0`.
///
/// `x` and `w` are paired up to the shorter of the two.
///
/// # Example
/// ```
/// use steepest::kernels::reference::residual;
/// assert_eq!(residual([1.0, 2.0], &[3.0, 4.0], 0.5, 10.0), 1.5);
/// ```
pub fn residual(x: impl IntoIterator<Item = f32>, w: &[f32], b: f32, y: f32) -> f32 {
    let mut p = 0.0f32;
    for (xj, wj) in x.into_iter().zip(w) {
        p += xj * wj;
    }
    (p + b) - y
}

/// Loss, bias and gradient sums over all samples of either layout.
///
/// `grad` is overwritten with `Σᵢ rᵢ·xᵢⱼ` for every feature `j`.
///
/// # Errors
/// [`Error::Length`] if `w` or `grad` does not have `d` elements;
/// [`Error::NonFinite`] if a sum is NaN or ±∞ (the data hold NaN/∞ or overflow), in which
/// case `grad` holds unspecified values.
///
/// # Example
/// ```
/// use steepest::{kernels::reference, RowMajor};
/// let data = RowMajor::new(&[1.0, 2.0, 3.0, 4.0], &[2.0, 4.0, 6.0, 8.0], 4, 1)?;
/// let mut g = [0.0];
/// let s = reference::gradient(&data.into(), &[0.0], 0.0, &mut g)?;
/// assert_eq!((s.loss, s.bias, g[0]), (120.0, -20.0, -60.0)); // the seed's Σr², Σr, Σr·x
/// # Ok::<(), steepest::Error>(())
/// ```
pub fn gradient(data: &Dataset<'_>, w: &[f32], b: f32, grad: &mut [f64]) -> Result<Sums, Error> {
    match data {
        Dataset::RowMajor(v) => gradient_row_major(v, w, b, grad),
        Dataset::ColMajor(v) => gradient_col_major(v, w, b, grad),
    }
}

/// [`gradient`] for a row-major view.
///
/// # Errors
/// As [`gradient`].
pub fn gradient_row_major(
    data: &RowMajor<'_>,
    w: &[f32],
    b: f32,
    grad: &mut [f64],
) -> Result<Sums, Error> {
    check_params(data.d(), w, grad)?;
    grad.fill(0.0);
    let mut sums = Sums {
        rows: data.n(),
        ..Sums::default()
    };
    for (row, &y) in data.x().chunks_exact(data.d().max(1)).zip(data.y()) {
        let r = residual(row.iter().copied(), w, b, y);
        for (g, &x) in grad.iter_mut().zip(row) {
            *g += f64::from(r) * f64::from(x);
        }
        sums.loss += f64::from(r) * f64::from(r);
        sums.bias += f64::from(r);
    }
    finish(sums, grad)
}

/// [`gradient`] for a column-major view.
///
/// # Errors
/// As [`gradient`].
pub fn gradient_col_major(
    data: &ColMajor<'_>,
    w: &[f32],
    b: f32,
    grad: &mut [f64],
) -> Result<Sums, Error> {
    check_params(data.d(), w, grad)?;
    grad.fill(0.0);
    let mut sums = Sums {
        rows: data.n(),
        ..Sums::default()
    };
    for (i, &y) in data.y().iter().enumerate() {
        let sample = data.columns().map(|col| col.get(i).copied().unwrap_or(0.0));
        let r = residual(sample.clone(), w, b, y);
        for (g, x) in grad.iter_mut().zip(sample) {
            *g += f64::from(r) * f64::from(x);
        }
        sums.loss += f64::from(r) * f64::from(r);
        sums.bias += f64::from(r);
    }
    finish(sums, grad)
}
