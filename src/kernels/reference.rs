//! The scalar reference: plain loops that define every result of the kernels.
//!
//! Each function here has a twin of the same name and signature in
//! [`simd`](crate::kernels::simd). The residual is formed in f32 exactly as written in
//! [`residual`]; the sums over samples are accumulated in f64, so these functions are also the
//! most accurate way the crate has to compute them (and the slowest: nothing is vectorised).

use super::{Sums, check_params, finish};
use crate::data::{ColMajor, ColSlices, ColumnView, Dataset, RowMajor};
use crate::error::{Error, What};

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
/// assert_eq!((s.loss, s.bias, g[0]), (120.0, -20.0, -60.0)); // Σr², Σr, Σr·x of y = 2x at w = 0
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
///
/// # Example
/// ```
/// use steepest::{RowMajor, kernels::reference};
/// let data = RowMajor::new(&[1.0, 1.0, 2.0, 1.0], &[3.0, 4.0], 2, 2)?; // y = x₀ + 2·x₁
/// let mut g = [0.0; 2];
/// let s = reference::gradient_row_major(&data, &[1.0, 2.0], 0.0, &mut g)?;
/// assert_eq!((s.loss, g), (0.0, [0.0, 0.0])); // an exact fit
/// # Ok::<(), steepest::Error>(())
/// ```
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
///
/// # Example
/// ```
/// use steepest::{ColMajor, kernels::reference};
/// let data = ColMajor::new(&[1.0, 2.0, 1.0, 1.0], &[3.0, 5.0], 2, 2, 2)?; // columns (1, 2), (1, 1)
/// let mut g = [0.0; 2];
/// let s = reference::gradient_col_major(&data, &[0.0, 0.0], 0.0, &mut g)?;
/// assert_eq!((s.loss, s.bias, g), (34.0, -8.0, [-13.0, -8.0]));
/// # Ok::<(), steepest::Error>(())
/// ```
pub fn gradient_col_major(
    data: &ColMajor<'_>,
    w: &[f32],
    b: f32,
    grad: &mut [f64],
) -> Result<Sums, Error> {
    columns(data, w, b, grad)
}

/// [`gradient`] for a [`ColSlices`] view.
///
/// # Errors
/// As [`gradient`].
///
/// # Example
/// ```
/// use steepest::{ColSlices, kernels::reference};
/// let cols = [&[1.0, 2.0][..], &[1.0, 1.0][..]];
/// let data = ColSlices::new(&cols, &[3.0, 5.0])?;
/// let mut g = [0.0; 2];
/// let s = reference::gradient_col_slices(&data, &[0.0, 0.0], 0.0, &mut g)?;
/// assert_eq!((s.loss, s.bias, g), (34.0, -8.0, [-13.0, -8.0]));
/// # Ok::<(), steepest::Error>(())
/// ```
pub fn gradient_col_slices(
    data: &ColSlices<'_>,
    w: &[f32],
    b: f32,
    grad: &mut [f64],
) -> Result<Sums, Error> {
    columns(data, w, b, grad)
}

/// Either column view, sample by sample.
fn columns<'a>(
    data: &impl ColumnView<'a>,
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

/// The least-squares fit `(w*, b*)` that minimises `Σᵢ (xᵢ·w + b − yᵢ)²`, by the normal
/// equations `AᵀA·θ = Aᵀy` (`A = [X, 1]`, `θ = (w, b)`) formed and solved by Cholesky, all in
/// f64: the exact answer the optimizers are tested against, for small `d`. (Forming `AᵀA`
/// squares the condition number, so this is a reference for well-conditioned data, not a
/// solver for ill-conditioned ones.) Writes `w*` into `w` and returns `b*`.
///
/// `scratch` holds `(d + 1)·(d + 2)` values: the matrix and the right-hand side.
///
/// # Errors
/// [`Error::Length`] if `w` does not have `d` elements or `scratch` fewer than
/// `(d + 1)·(d + 2)`; [`Error::Overflow`] if that size overflows; [`Error::NonFiniteData`]
/// for a NaN or ±∞ in the data; [`Error::Singular`] if a pivot is not positive (linearly
/// dependent features). `w` is written only on success.
///
/// # Example
/// ```
/// use steepest::{kernels::reference, RowMajor};
/// let data = RowMajor::new(&[1.0, 2.0, 3.0, 4.0], &[2.0, 4.0, 6.0, 8.0], 4, 1)?;
/// let (mut w, mut scratch) = ([0.0f64], [0.0f64; 6]);
/// let b = reference::least_squares(&data.into(), &mut w, &mut scratch)?;
/// assert!((w[0] - 2.0).abs() < 1e-12 && b.abs() < 1e-12); // y = 2x exactly
/// # Ok::<(), steepest::Error>(())
/// ```
pub fn least_squares(data: &Dataset<'_>, w: &mut [f64], scratch: &mut [f64]) -> Result<f64, Error> {
    let (n, d) = (data.n(), data.d());
    crate::data::check_len(What::Weights, d, w.len())?;
    let p = d + 1;
    let need = p.checked_mul(p + 1).ok_or(Error::Overflow)?;
    let (m, rhs) = match scratch
        .get_mut(..need)
        .and_then(|s| s.split_at_mut_checked(p * p))
    {
        Some(parts) => parts,
        None => {
            return Err(Error::Length {
                what: What::Scratch,
                expected: need,
                found: scratch.len(),
            });
        }
    };
    m.fill(0.0);
    rhs.fill(0.0);
    // Feature j of sample i (j = d: the bias's constant 1).
    let value = |i: usize, j: usize| -> f32 {
        if j == d {
            return 1.0;
        }
        match data {
            Dataset::RowMajor(v) => v.x().get(i * d + j),
            Dataset::ColMajor(v) => v.x_values().get(j * v.ld() + i),
        }
        .copied()
        .unwrap_or(f32::NAN)
    };
    for (i, &yi) in data.y().iter().enumerate().take(n) {
        if !yi.is_finite() {
            return Err(Error::NonFiniteData {
                what: What::Y,
                row: i,
                col: 0,
            });
        }
        for r in 0..p {
            let ar = value(i, r);
            if !ar.is_finite() {
                return Err(Error::NonFiniteData {
                    what: What::X,
                    row: i,
                    col: r,
                });
            }
            let ar = f64::from(ar);
            for c in 0..=r {
                if let Some(v) = m.get_mut(r * p + c) {
                    *v += ar * f64::from(value(i, c));
                }
            }
            if let Some(v) = rhs.get_mut(r) {
                *v += ar * f64::from(yi);
            }
        }
    }
    // Cholesky in place: the lower triangle of m becomes L with L·Lᵀ = AᵀA.
    let at = |m: &[f64], r: usize, c: usize| m.get(r * p + c).copied().unwrap_or(0.0);
    for c in 0..p {
        let diag = at(m, c, c) - (0..c).map(|k| at(m, c, k) * at(m, c, k)).sum::<f64>();
        if !(diag > 0.0 && diag.is_finite()) {
            return Err(Error::Singular);
        }
        let lcc = libm::sqrt(diag);
        if let Some(v) = m.get_mut(c * p + c) {
            *v = lcc;
        }
        for r in c + 1..p {
            let v = (at(m, r, c) - (0..c).map(|k| at(m, r, k) * at(m, c, k)).sum::<f64>()) / lcc;
            if let Some(slot) = m.get_mut(r * p + c) {
                *slot = v;
            }
        }
    }
    // L·z = Aᵀy, then Lᵀ·θ = z, in rhs.
    for r in 0..p {
        let s: f64 = (0..r)
            .map(|k| at(m, r, k) * rhs.get(k).copied().unwrap_or(0.0))
            .sum();
        if let Some(v) = rhs.get_mut(r) {
            *v = (*v - s) / at(m, r, r);
        }
    }
    for r in (0..p).rev() {
        let s: f64 = (r + 1..p)
            .map(|k| at(m, k, r) * rhs.get(k).copied().unwrap_or(0.0))
            .sum();
        if let Some(v) = rhs.get_mut(r) {
            *v = (*v - s) / at(m, r, r);
        }
    }
    for (dst, src) in w.iter_mut().zip(rhs.iter()) {
        *dst = *src;
    }
    Ok(rhs.get(d).copied().unwrap_or(f64::NAN))
}
