//! The fused one-pass kernels: for parameters `w`, `b`, one read of the data gives the loss
//! sum `Σ rᵢ²`, the bias sum `Σ rᵢ` and the gradient sum `Σ rᵢ·xᵢ`, with `rᵢ = xᵢ·w + b − yᵢ`.
//!
//! [`reference`](mod@reference) is the plain-loop definition of every result; [`simd`] computes the same
//! sums with `f32x8` lanes, with the same function names and signatures. [`bound`] says how
//! far apart the two may be.

pub mod bound;
pub(crate) mod lanes;
pub mod reference;
pub mod simd;

use crate::data::check_len;
use crate::error::{Error, What};

/// The scalar part of a pass over some rows; the gradient part is the caller's `&mut [f64]`.
///
/// Sums over disjoint row sets add up: split the rows (with
/// [`Dataset::rows`](crate::Dataset::rows)) into chunks, threads or machines, run a kernel on
/// each, then [`merge`](Sums::merge) the `Sums` and add the gradient buffers with
/// [`merge_gradient`]. The result equals one pass within [`bound`]'s error bound (the
/// order of the additions differs, so the bits may not).
///
/// # Example
/// ```
/// use steepest::{kernels::simd, merge_gradient, RowMajor};
/// let x = [1.0, 2.0, 3.0, 4.0];
/// let y = [2.0, 4.0, 6.0, 8.0];
/// let data = RowMajor::new(&x, &y, 4, 1)?;
/// let (mut g1, mut g2) = ([0.0; 1], [0.0; 1]);
/// let a = simd::gradient_row_major(&data.rows(0..2)?, &[0.0], 0.0, &mut g1)?;
/// let b = simd::gradient_row_major(&data.rows(2..4)?, &[0.0], 0.0, &mut g2)?;
/// let all = a.merge(b);
/// merge_gradient(&mut g1, &g2)?;
/// assert_eq!((all.rows, all.loss, all.bias, g1[0]), (4, 120.0, -20.0, -60.0));
/// # Ok::<(), steepest::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Sums {
    /// Number of rows summed over.
    pub rows: usize,
    /// `Σ rᵢ²`.
    pub loss: f64,
    /// `Σ rᵢ`: the bias gradient sum.
    pub bias: f64,
}

impl Sums {
    /// The sums over both row sets.
    ///
    /// # Example
    /// ```
    /// use steepest::{RowMajor, kernels::simd};
    /// let data = RowMajor::new(&[1.0, 2.0, 3.0, 4.0], &[2.0, 4.0, 6.0, 8.0], 4, 1)?;
    /// let (mut g1, mut g2) = ([0.0], [0.0]);
    /// let a = simd::gradient(&data.rows(0..2)?.into(), &[0.0], 0.0, &mut g1)?;
    /// let b = simd::gradient(&data.rows(2..4)?.into(), &[0.0], 0.0, &mut g2)?;
    /// assert_eq!(a.merge(b).loss, 120.0); // 4 + 16 + 36 + 64
    /// # Ok::<(), steepest::Error>(())
    /// ```
    #[must_use]
    pub fn merge(self, other: Sums) -> Sums {
        Sums {
            rows: self.rows.saturating_add(other.rows),
            loss: self.loss + other.loss,
            bias: self.bias + other.bias,
        }
    }

    /// The mean squared error `Σ rᵢ² / n` (0 when no rows were summed).
    ///
    /// # Example
    /// ```
    /// use steepest::{RowMajor, kernels::simd};
    /// let data = RowMajor::new(&[1.0, 2.0, 3.0, 4.0], &[2.0, 4.0, 6.0, 8.0], 4, 1)?;
    /// let s = simd::gradient(&data.into(), &[0.0], 0.0, &mut [0.0])?;
    /// assert_eq!(s.mse(), 30.0); // 120 / 4
    /// # Ok::<(), steepest::Error>(())
    /// ```
    pub fn mse(&self) -> f64 {
        if self.rows == 0 {
            0.0
        } else {
            self.loss / self.rows as f64
        }
    }
}

/// Adds the gradient sums of another row set into `into`, component by component.
///
/// # Errors
/// [`Error::Length`] if the two lengths differ; `into` is then unchanged.
///
/// # Example
/// ```
/// let mut total = [1.0, 2.0];
/// steepest::merge_gradient(&mut total, &[0.5, 0.25])?;
/// assert_eq!(total, [1.5, 2.25]);
/// assert!(steepest::merge_gradient(&mut total, &[1.0]).is_err());
/// # Ok::<(), steepest::Error>(())
/// ```
pub fn merge_gradient(into: &mut [f64], part: &[f64]) -> Result<(), Error> {
    if into.len() != part.len() {
        return Err(Error::Length {
            what: What::Gradient,
            expected: into.len(),
            found: part.len(),
        });
    }
    for (a, b) in into.iter_mut().zip(part) {
        *a += b;
    }
    Ok(())
}

/// Checks the lengths of the parameters and of the gradient buffer against `d`.
pub(crate) fn check_params(d: usize, w: &[f32], grad: &[f64]) -> Result<(), Error> {
    check_len(What::Weights, d, w.len())?;
    check_len(What::Gradient, d, grad.len())
}

/// Turns the sums of a finished pass into the kernel's result: an error if any is not finite.
pub(crate) fn finish(sums: Sums, grad: &[f64]) -> Result<Sums, Error> {
    if !sums.loss.is_finite() {
        Err(Error::NonFinite(What::Loss))
    } else if !sums.bias.is_finite() || !grad.iter().all(|g| g.is_finite()) {
        Err(Error::NonFinite(What::Gradient))
    } else {
        Ok(sums)
    }
}
